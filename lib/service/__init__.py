"""The booking service: the one entry point that every page and the CLI call.

It runs the booking life ``pending -> paid -> confirmed -> cancelled | completed`` (and
``pending -> expired`` when a booking is not paid in time) over four ports (store, meeting
provider, payment gateway, email sender) and keeps the rules: no double booking, no duplicate
events or emails on retry, and a paid booking is never lost.

The work is split by capability, each part a class over the same ``Ports``:
``queries`` (reads), ``availability`` (hours and free slots), ``booking`` (the booking life),
``payments``, ``links``, ``outbox`` (emails) and ``reminders``. ``BookingService`` is only the facade
that builds them and names their public methods; every public method takes a required keyword-only ``actor``.
``calendar`` brings Google Calendar to each booking after a reschedule or a cancel (durable work).

Longer than 400 lines on purpose: the facade lists every public method of the parts with its
docstring, so pages, the CLI, the worker and the endpoint read one surface; it holds no logic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, tzinfo
from typing import Any

from lib.access import Actor, require_can_see, require_staff
from lib.calendar_work import CalendarWork
from lib.clock import Clock, system_clock
from lib.config import Settings
from lib.domain import (
    Attendance,
    Booking,
    BookingRequest,
    BookingStatus,
    Customer,
    Email,
    Expert,
    HistoryEntry,
    JobRun,
    JoinClicks,
    LinkRunResult,
    OpsCounts,
    SessionType,
)
from lib.meetings import HealthCheck, MeetingProvider
from lib.meetings.quota import BudgetUse
from lib.notify import EmailSender
from lib.overview_readings import Overview
from lib.payments import PaymentGateway
from lib.scheduling import Availability
from lib.service.attendance import AttendanceRecorder
from lib.service.booking import BookingLife, BookingOutcome, BookingPreview
from lib.service.booking_desk import BookingDesk, BookingPage
from lib.service.calendar import CalendarChanges, CalendarRun, Reconciliation, WaitingChange
from lib.service.clicks import JoinLinks
from lib.service.expert_availability import Scheduling, SlotList
from lib.service.expert_pages import AvailabilityView, ExpertPages, MySessionsView
from lib.service.jobs import JobRuns
from lib.service.links import LinkOutcome, Links, Progress
from lib.service.ops_page import OpsPage, OpsView
from lib.service.outbox import DispatchResult, Outbox
from lib.service.overview_figures import OverviewFigures
from lib.service.payments import PaymentCheck, Payments
from lib.service.ports import ConfirmRoute, Ports
from lib.service.queries import ExpertSessions, Queries
from lib.service.reminders import ReminderRun, Reminders
from lib.service.self_service import CustomerChange, SelfService, Visit
from lib.service.session_types import SessionTypes
from lib.session_type_document import FILE, Wording
from lib.store import BookingInputs, BookingStore

__all__ = ["BookingOutcome", "BookingPage", "BookingPreview", "BookingService", "DispatchResult", "ExpertSessions",
           "LinkOutcome", "PaymentCheck", "Ports", "SlotList"]


class BookingService:
    """Books, pays, links, reschedules and cancels, through the configured adapters."""

    def __init__(
        self,
        store: BookingStore,
        meetings: MeetingProvider,
        payments: PaymentGateway,
        sender: EmailSender,
        settings: Settings,
        clock: Clock = system_clock,
        sleep: Callable[[float], None] | None = None,
        background_dispatch: bool = False,
        attendance_reader: Any = None,
    ) -> None:
        self.ports = Ports(store, meetings, payments, sender, settings, clock, sleep, attendance_reader)
        self._queries = Queries(self.ports)
        # With a real mail server a page must not wait for SMTP: send from a worker thread.
        self._outbox = Outbox(self.ports, background=background_dispatch)
        self._calendar = CalendarChanges(self.ports)
        self._links = Links(self.ports, self._outbox, self._calendar)
        self._payments = Payments(self.ports, self._links)
        self._scheduling = Scheduling(self.ports)
        self._types = SessionTypes(self.ports)
        self._expert_pages = ExpertPages(self.ports, self._scheduling)
        self._ops_page = OpsPage(self.ports, self._expert_pages)
        self._life = BookingLife(self.ports, self._outbox, self._links, self._payments, self._scheduling,
                                 self._calendar, self._types)
        self._reminders = Reminders(self.ports)
        self._jobs = JobRuns(self.ports)
        self._join = JoinLinks(self.ports)
        self._attendance = AttendanceRecorder(self.ports)
        self._overview = OverviewFigures(self.ports)
        self._self_service = SelfService(self.ports, self)
        self._desk = BookingDesk(self.ports)

    # -- the ports, shared by every part (setting one swaps it for all) ---------------------
    @property
    def store(self) -> BookingStore:
        return self.ports.store

    @store.setter
    def store(self, value: BookingStore) -> None:
        self.ports.store = value

    @property
    def meetings(self) -> MeetingProvider:
        return self.ports.meetings

    @meetings.setter
    def meetings(self, value: MeetingProvider) -> None:
        # A new adapter is a new build of that port: its confirm route is decided again, here.
        self.ports.meetings = value
        self.ports.route = ConfirmRoute.of(value, self.ports.payments)

    @property
    def payments(self) -> PaymentGateway:
        return self.ports.payments

    @payments.setter
    def payments(self, value: PaymentGateway) -> None:
        self.ports.payments = value
        self.ports.route = ConfirmRoute.of(self.ports.meetings, value)

    @property
    def route(self) -> ConfirmRoute:
        """How these adapters take a booking from paid to confirmed, decided when they were set:
        whether the gateway settles here (no payment page) and whether links are made here (no calendar)."""
        return self.ports.route

    @property
    def sender(self) -> EmailSender:
        return self.ports.sender

    @sender.setter
    def sender(self, value: EmailSender) -> None:
        self.ports.sender = value

    @property
    def settings(self) -> Settings:
        return self.ports.settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.ports.settings = value

    @property
    def clock(self) -> Clock:
        return self.ports.clock

    @clock.setter
    def clock(self, value: Clock) -> None:
        self.ports.clock = value

    @property
    def tz(self) -> tzinfo:
        """The app timezone, from the settings."""
        return self.ports.tz

    # -- time ---------------------------------------------------------------------------
    def now_local(self) -> datetime:
        """Now as a naive wall-clock datetime in the app timezone (WIB by default)."""
        return self.ports.now_local()

    def today(self) -> date:
        """Today's date in the app timezone, never the UTC date."""
        return self.ports.today()

    # -- reads (lib.service.queries) -----------------------------------------------------
    def experts(self, *, actor: Actor) -> list[Expert]:
        """Every expert (anyone signed in)."""
        return self._queries.experts(actor=actor)

    def customers(self, *, actor: Actor) -> list[Customer]:
        """Every customer with their email (staff)."""
        return self._queries.customers(actor=actor)

    def search_customers(self, query: str, limit: int = 20, *, actor: Actor) -> list[Customer]:
        """Up to ``limit`` (1..100) customers whose name or email contains ``query``
        (case-insensitive), by name: the booking form's customer search (staff)."""
        return self._queries.search_customers(query, limit, actor=actor)

    def get_booking(self, booking_id: str, *, actor: Actor) -> Booking:
        """The booking, ``NotFound``, or ``PermissionDenied`` for another expert's booking."""
        return self._queries.get_booking(booking_id, actor=actor)

    def booking_page(self, booking_id: str, first_day: date, days: int, *, actor: Actor) -> BookingPage:
        """The booking as ``get_booking`` gives it, with its ``calendar_note`` and what its
        reschedule form draws (``booking_desk`` of its expert for ``days`` days from
        ``first_day``), in one store call: the Confirmation page."""
        return self._desk.page(booking_id, first_day, days, actor=actor)

    def quote(self, expert_id: str, duration: int, session_type_id: str | None = None, *, actor: Actor,
              known: BookingInputs | None = None) -> int:
        """The price in rupiah of ``duration`` minutes of the expert's session type (staff);
        ``known``: what ``booking_desk`` read."""
        return self._queries.quote(expert_id, duration, session_type_id, actor=actor, known=known)

    def booking_desk(self, expert_id: str, first_day: date, days: int, *, actor: Actor,
                     customer_id: str | None = None) -> BookingInputs:
        """The expert, their session types and hours, and their bookings around ``days`` days from
        ``first_day`` (and for staff the customer ``customer_id``), in one store call (on Supabase
        one request): what the Book page and the reschedule form draw, each part taking it as
        ``known`` (an expert their own; staff anyone's)."""
        return self._desk.read(expert_id, first_day, days, actor=actor, customer_id=customer_id)

    # -- session types (lib.service.session_types) ----------------------------------------
    def session_types(self, expert_id: str, *, actor: Actor, active_only: bool = False,
                      known: BookingInputs | None = None) -> list[SessionType]:
        """The expert's session types in their order (``active_only``: those that can be
        booked; ``known``: what ``booking_desk`` read). An expert reads their own; staff anyone's."""
        return self._types.list(expert_id, actor=actor, active_only=active_only, known=known)

    def set_session_types(self, expert_id: str, document: object, *, actor: Actor,
                          words: Wording = FILE) -> list[SessionType]:
        """Replace the expert's session types with those of ``document`` (the JSON shape of
        ``python -m lib types EXPERT --json``, see ``lib.session_type_document``); a bad document is
        refused in words (naming its parts as ``words`` does: the file's keys, or the page's
        ``table_wording``) and changes nothing. Staff only."""
        return self._types.replace(expert_id, document, actor=actor, words=words)

    def upcoming_for_expert(self, expert_id: str, limit: int = 200, *, actor: Actor) -> list[Booking]:
        """The expert's confirmed sessions that have not ended yet."""
        return self._queries.upcoming_for_expert(expert_id, limit, actor=actor)

    def sessions_between(self, expert_id: str, first_day: date, last_day: date, *, actor: Actor) -> ExpertSessions:
        """The expert's paid, confirmed and completed sessions on ``first_day`` to ``last_day``
        (past ones too, with their attendance): a week of My sessions (an expert their own)."""
        return self._queries.sessions_between(expert_id, first_day, last_day, actor=actor)

    def my_sessions_view(self, expert: Expert, first_day: date, last_day: date, *, actor: Actor) -> MySessionsView:
        """My sessions in one store call: ``sessions_between``, the expert's hours and
        ``upcoming_for_expert`` of ``expert`` (as already read in this run)."""
        return self._expert_pages.my_sessions(expert, first_day, last_day, actor=actor)

    def availability_view(self, expert: Expert, *, actor: Actor) -> AvailabilityView:
        """The Availability page's reads in one store call: the hours, ``availability_problem`` and
        the session types of ``expert`` (as already read in this run)."""
        return self._expert_pages.availability(expert, actor=actor)

    def next_bookings(self, limit: int = 20, *, actor: Actor) -> list[Booking]:
        """The next pending, paid or confirmed bookings by date and time: all for staff, an
        expert's own for an expert."""
        return self._queries.next_bookings(limit, actor=actor)

    def ops_counts(self, *, actor: Actor) -> OpsCounts:
        """Today's numbers for the ops page."""
        return self._queries.ops_counts(actor=actor)

    def ops_view(self, status: BookingStatus | None, wanted: str | None, experts: Sequence[Expert], *,
                 actor: Actor) -> OpsView:
        """The Ops page's lists in one store call: ``ops_counts``, ``missing_links``, the failed
        ``emails``, ``customer_changes``, ``job_runs``, ``recent_bookings(status=status)`` and the
        booking shown whole (``wanted`` when among them, else the newest) with its history, its
        expert (from ``experts``, as already read in this run) and their hours."""
        return self._ops_page.view(status, wanted, experts, actor=actor)

    def missing_links(self, limit: int = 500, *, actor: Actor) -> list[Booking]:
        """Paid bookings with no meeting link, oldest first."""
        return self._queries.missing_links(limit, actor=actor)

    def recent_bookings(self, limit: int = 200, status: BookingStatus | None = None,
                        *, actor: Actor) -> list[Booking]:
        """The latest bookings, optionally of one status."""
        return self._queries.recent_bookings(limit, status, actor=actor)

    def history(self, booking_id: str, *, actor: Actor) -> list[HistoryEntry]:
        """A booking's history, oldest first."""
        return self._queries.history(booking_id, actor=actor)

    def emails(self, limit: int = 200, booking_id: str | None = None, *, actor: Actor) -> list[Email]:
        """The email outbox, or one booking's emails."""
        return self._queries.emails(limit, booking_id, actor=actor)

    def meeting_health(self, *, actor: Actor) -> HealthCheck:
        """The meeting provider's connection check."""
        return self._queries.meeting_health(actor=actor)

    def request_budget(self, *, actor: Actor) -> BudgetUse | None:
        """Google's shared per-minute request budget, or None without Google."""
        return self._queries.request_budget(actor=actor)

    def stuck_pending(self, *, actor: Actor, limit: int = 200) -> list[Booking]:
        """Bookings awaiting payment longer than ``midtrans.pending_alert_minutes``."""
        return self._queries.stuck_pending(actor=actor, limit=limit)

    # -- availability and free slots (lib.service.expert_availability) --------------------------
    def availability(self, expert_id: str, *, actor: Actor, known: BookingInputs | None = None) -> Availability:
        """The expert's availability (the default hours, with the ``booking_horizon_days``
        setting, when they stored none; ``known``: what ``booking_desk`` read). An expert reads
        only their own; staff anyone's."""
        return self._scheduling.availability(expert_id, actor=actor, known=known)

    def availability_problem(self, expert_id: str, *, actor: Actor) -> str | None:
        """Why the expert's stored hours cannot be read, in words, or ``None``: such an expert has
        no bookable hours until new ones are saved (``availability`` then gives none)."""
        return self._scheduling.availability_problem(expert_id, actor=actor)

    def set_availability(self, expert_id: str, availability: Availability, *, actor: Actor) -> Availability:
        """Store the expert's availability (a valid ``lib.scheduling.Availability``, e.g. from
        ``lib.scheduling.from_json``) and return it; an override more than two years ahead is
        refused. An expert sets only their own; staff anyone's."""
        return self._scheduling.set_availability(expert_id, availability, actor=actor)

    def default_availability(self, *, actor: Actor) -> Availability:
        """The hours of an expert who stored none: Monday to Friday 09:00-17:00 in the app
        timezone, bookable ``booking_horizon_days`` ahead; a key left out of an availability
        file takes its value (anyone with a role)."""
        return self._scheduling.default_availability_for(actor=actor)

    def set_calendar_id(self, expert_id: str, calendar_id: str, *, actor: Actor) -> Expert:
        """Change the Google calendar whose busy time blocks the expert's slots (their email
        unless set otherwise) and return the expert; drops the expert's cached busy time. Only
        staff change it, for any expert; an expert asks ops (``PermissionDenied``)."""
        return self._scheduling.set_calendar_id(expert_id, calendar_id, actor=actor)

    def free_slots(self, expert_id: str, duration: int, first_day: date, days: int, *, actor: Actor,
                   exclude_booking: str | None = None, known: BookingInputs | None = None,
                   expert: Expert | None = None, availability: Availability | None = None) -> SlotList:
        """The expert's free starts for a ``duration``-minute session on ``days`` days from
        ``first_day`` (their hours, minus their active bookings with buffers, minus busy time in
        their calendar, after notice, within the daily maximum and horizon).

        ``SlotList.calendar`` is "ok", "not connected" or "unavailable: <why>" (then the slots
        come from the console's own bookings alone). ``exclude_booking``: the booking being
        rescheduled; what this run read already is not read again: ``known`` (what ``booking_desk``
        read), or ``expert`` with ``availability`` (their hours). Staff see anyone's, an expert their own.
        """
        return self._scheduling.free_slots(expert_id, duration, first_day, days, actor=actor,
                                           exclude_booking=exclude_booking, known=known, expert=expert,
                                           availability=availability)

    def preview_slots(self, expert_id: str, availability: Availability, duration: int, first_day: date,
                      days: int, *, actor: Actor, expert: Expert | None = None) -> SlotList:
        """The free slots an edited, unsaved ``availability`` would leave for the expert, with their
        real bookings and calendar (the Availability page's preview); nothing is stored.
        ``expert``: the expert as already read in this run (not read again)."""
        return self._scheduling.preview_slots(expert_id, availability, duration, first_day, days, actor=actor,
                                              expert=expert)

    # -- the booking life (lib.service.booking) -------------------------------------------
    def book(self, request: BookingRequest, *, actor: Actor) -> Booking:
        """Validate the request and store it as ``pending``.

        A start that is not a free slot is refused with ``SlotUnavailable`` (why, and the nearest
        free times), unless staff give ``request.override_reason`` (kept in the history).
        """
        return self._life.book(request, actor=actor)

    def preview_booking(self, request: BookingRequest, *, actor: Actor,
                        known: BookingInputs | None = None) -> BookingPreview:
        """What ``book`` would store, writing nothing; ``known``: what ``booking_desk`` read for
        the request's expert and customer (the store is read for what it does not cover)."""
        return self._life.preview_booking(request, actor=actor, known=known)

    def book_and_pay(self, request: BookingRequest, *, actor: Actor, dispatch: bool = True) -> BookingOutcome:
        """Book, start the payment and, once paid, create the link and queue the emails (and send
        them, unless ``dispatch=False``)."""
        return self._life.book_and_pay(request, actor=actor, dispatch=dispatch)

    def reschedule(self, booking_id: str, new_date: date, new_time: time, *, actor: Actor,
                   override_reason: str | None = None) -> Booking:
        """Move a booking; its meeting moves with it. Like ``book``, a start that is not a free
        slot is refused with ``SlotUnavailable`` unless staff give ``override_reason``."""
        return self._life.reschedule(booking_id, new_date, new_time, actor=actor, override_reason=override_reason)

    def preview_reschedule(self, booking_id: str, new_date: date, new_time: time, *, actor: Actor,
                           override_reason: str | None = None) -> str | None:
        """Check a move as ``reschedule`` would, writing nothing: None for a free start, else why
        the start is not free (ops moving it anyway with ``override_reason``)."""
        return self._life.preview_reschedule(booking_id, new_date, new_time, actor=actor,
                                             override_reason=override_reason)

    def cancel(self, booking_id: str, reason: str = "Cancelled by ops", *, actor: Actor) -> Booking:
        """Cancel a booking and its meeting, and queue the cancellation emails."""
        return self._life.cancel(booking_id, reason, actor=actor)

    def expire_unpaid(self, *, actor: Actor) -> list[Booking]:
        """``pending -> expired`` for bookings unpaid after ``pending_expiry_minutes``."""
        return self._life.expire_unpaid(actor=actor)

    def complete_finished(self, *, actor: Actor) -> int:
        """``confirmed -> completed`` for sessions that have ended; how many."""
        return self._life.complete_finished(actor=actor)

    # -- payments (lib.service.payments) -------------------------------------------------
    def pay(self, booking_id: str, *, actor: Actor) -> Booking:
        """Start the payment of a pending booking (paid at once with the demo gateway)."""
        return self._payments.pay(booking_id, actor=actor)

    def start_payment(self, booking_id: str, *, actor: Actor) -> Booking:
        """Open a new payment attempt at the gateway."""
        return self._payments.start_payment(booking_id, actor=actor)

    def check_payment(self, booking_id: str, *, actor: Actor) -> PaymentCheck:
        """Ask the gateway whether the payment settled, and move the booking on."""
        return self._payments.check_payment(booking_id, actor=actor)

    def apply_payment_notification(self, payload: Mapping[str, Any], *, actor: Actor) -> PaymentCheck:
        """Verify and apply a gateway's notification."""
        return self._payments.apply_payment_notification(payload, actor=actor)

    # -- links (lib.service.links) ---------------------------------------------------------
    def create_link(self, booking_id: str, *, actor: Actor, dispatch: bool = True) -> Booking:
        """Create the meeting of a paid booking and confirm it; idempotent."""
        return self._links.create_link(booking_id, actor=actor, dispatch=dispatch)

    def make_link(self, booking_id: str, *, actor: Actor, dispatch: bool = True) -> LinkOutcome:
        """``create_link``, telling whether this call confirmed the booking (what a job counts)."""
        return self._links.make_link(booking_id, actor=actor, dispatch=dispatch)

    def set_link_manually(self, booking_id: str, url: str, *, actor: Actor) -> Booking:
        """Confirm a paid booking with a link pasted by hand."""
        return self._links.set_link_manually(booking_id, url, actor=actor)

    def create_missing_links(self, progress: Progress | None = None, *, actor: Actor,
                             concurrency: int | None = None) -> LinkRunResult:
        """Create links for every paid booking without one, a bounded number at a time."""
        return self._links.create_missing_links(progress, actor=actor, concurrency=concurrency)

    # -- emails (lib.service.outbox) -------------------------------------------------------
    def dispatch_emails(self, limit: int = 100, *, actor: Actor) -> DispatchResult:
        """Send up to ``limit`` queued emails."""
        return self._outbox.dispatch_emails(limit, actor=actor)

    def resend_email(self, email_id: int, *, actor: Actor) -> Email:
        """Queue a failed email again (the same row) and send it."""
        return self._outbox.resend_email(email_id, actor=actor)

    def queue_reminders(self, *, actor: Actor) -> int:
        """Queue the reminder emails (``reminder_offsets`` before each confirmed session) whose
        moment has come, each once; how many were new. The dispatcher sends them."""
        return self._reminders.queue_reminders(actor=actor).queued

    def queue_reminders_run(self, *, actor: Actor) -> ReminderRun:
        """``queue_reminders``, also saying for how many sessions the reminders could not be
        prepared (each logged; the others are queued all the same): what the worker records."""
        return self._reminders.queue_reminders(actor=actor)

    # -- background job runs (lib.service.jobs) ---------------------------------------------
    # -- calendar work: Google converges to the booking (lib.service.calendar) ---------------
    def run_calendar_work(self, *, actor: Actor, stop: threading.Event | None = None) -> CalendarRun:
        """Run every calendar change that is due, until none is or ``stop`` is set (the worker's
        job; staff or the system)."""
        require_staff(actor, "run calendar changes")
        return self._calendar.run_due(actor.label, stop)

    def calendar_work(self, booking_id: str, *, actor: Actor) -> CalendarWork | None:
        """The booking's calendar change, if one was ever queued (whoever may see the booking)."""
        require_can_see(actor, self.ports.load(booking_id))
        return self._calendar.work_for(booking_id)

    def calendar_note(self, booking_id: str, *, actor: Actor) -> str | None:
        """What to tell the person while the booking's calendar change is on its way, or None."""
        booking = self.ports.load(booking_id)
        require_can_see(actor, booking)
        return self._calendar.note_for(booking)

    def calendar_waiting(self, *, actor: Actor) -> list[WaitingChange]:
        """Calendar changes waiting longer than ``calendar_alert_minutes`` (staff)."""
        return self._calendar.waiting_too_long(actor=actor)

    def retry_calendar_now(self, booking_id: str, *, actor: Actor) -> bool:
        """Ops "Retry now": try a waiting calendar change at once; whether it is done now."""
        return self._calendar.retry_now(booking_id, actor=actor)

    def reconcile_calendar(self, since: date, days: int, *, fix: bool, actor: Actor) -> Reconciliation:
        """Compare the bookings of ``days`` days from ``since`` with the calendar; ``fix`` queues
        the work that makes them agree."""
        return self._calendar.reconcile(since, days, fix=fix, actor=actor)

    def record_job_run(self, run: JobRun, *, actor: Actor) -> None:
        """Store one finished run of a worker's job (runs older than two weeks are dropped)."""
        self._jobs.record(run, actor=actor)

    def job_runs(self, *, actor: Actor) -> list[JobRun]:
        """Each background job's latest run, from every worker, by job name (staff)."""
        return self._jobs.latest(actor=actor)

    # -- Join links through the click-counting redirect (lib.service.clicks) ------------------
    def follow_join_link(self, token: str, *, actor: Actor, click: bool = True) -> str | None:
        """The booking's current meeting link for a Join token, after recording one click unless
        ``click`` is false (``None``, nothing recorded, when the booking has no link to open now);
        ``NotFound`` for a malformed or unknown token. The endpoint's ``GET /j/<token>`` (system
        actor; a ``HEAD`` request asks with ``click=False``)."""
        return self._join.follow(token, actor=actor, click=click)

    def join_clicks(self, booking_id: str, *, actor: Actor) -> list[JoinClicks]:
        """Each person's clicks on the booking's Join links and the latest, by person (whoever may
        see the booking)."""
        return self._join.clicks(booking_id, actor=actor)

    # -- meeting attendance (lib.service.attendance) -----------------------------------------
    def record_attendance(self, *, actor: Actor, booking_id: str | None = None) -> dict[str, int]:
        """Read from Google Meet who joined each ended session whose check is due (or just
        ``booking_id``) and store it; counts by outcome ("recorded", "no-shows", "no data",
        "waiting", "failed", "checked"). Google meetings only (else ``ConfigError``); staff or system."""
        return self._attendance.record(actor=actor, booking_id=booking_id)

    def attendance(self, booking_id: str, *, actor: Actor) -> Attendance | None:
        """The booking's stored attendance, or None when none was read yet (staff)."""
        return self._attendance.get(booking_id, actor=actor)

    # -- the Overview page (lib.service.overview_figures) --------------------------------------------
    def overview(self, first_day: date, last_day: date, *, actor: Actor) -> Overview:
        """The Overview's figures for the bookings made from ``first_day`` to ``last_day`` (both
        included, app timezone), aggregated by the store, with those of the period of the same
        length just before as ``previous`` (the headline's changes; staff)."""
        return self._overview.overview(first_day, last_day, actor=actor)

    # -- customer self-service (lib.service.self_service; the endpoint's /r/ and /c/) ----------
    def self_service_visit(self, token: str, *, actor: Actor) -> Visit:
        """The booking behind a self-service token as its pages show it (the endpoint acting),
        or ``SelfServiceRefused`` (unknown token, booking cancelled or started)."""
        return self._self_service.visit(token, actor=actor)

    def self_service_times(self, visit: Visit, first_day: date | None = None, *, actor: Actor) -> list:
        """The free starts the reschedule page offers: the expert's, for the booking's length,
        the coming days from ``first_day``, by the console's own slot rules."""
        return self._self_service.free_times(visit, first_day, actor=actor)

    def self_service_reschedule(self, token: str, form: str, picked: str, *, actor: Actor) -> Booking:
        """Move the booking for its customer (``reschedule`` acting as the customer), within the policy."""
        return self._self_service.reschedule(token, form, picked, actor=actor)

    def self_service_cancel(self, token: str, form: str, reason: str = "", *, actor: Actor) -> Booking:
        """Cancel the booking for its customer (``cancel`` acting as the customer), within the policy;
        a paid booking becomes a refund due."""
        return self._self_service.cancel(token, form, reason, actor=actor)

    def customer_changes(self, *, actor: Actor, days: int = 30) -> list[CustomerChange]:
        """Bookings customers changed in the last ``days`` days and every refund due (ops)."""
        return self._self_service.changes(actor=actor, days=days)

    @property
    def gateway_refunds(self) -> bool:
        """Whether the payment gateway pays refunds back itself (Midtrans)."""
        return self._self_service.gateway_refunds

    def start_refund(self, booking_id: str, *, actor: Actor) -> Any:
        """Ask the gateway (Midtrans's refund API) to pay back a refund due (ops)."""
        return self._self_service.start_refund(booking_id, actor=actor)

    def record_refund(self, booking_id: str, note: str, *, actor: Actor) -> Any:
        """Record a refund due as paid back by hand, with ops' note (ops)."""
        return self._self_service.record_refund(booking_id, note, actor=actor)
