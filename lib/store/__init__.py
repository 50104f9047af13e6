"""Booking stores: where bookings live (SQLite by default, Supabase in production).

Longer than 400 lines on purpose: the protocol is every read and write the service makes, each
with the contract both stores keep, in one place the contract tests are written against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Protocol

from lib.calendar_work import CalendarWork
from lib.domain import (
    Attendance,
    Booking,
    BookingStatus,
    Customer,
    Email,
    EmailDraft,
    EmailStatus,
    Expert,
    HeldTime,
    HistoryEntry,
    HistoryLine,
    JobRun,
    JoinClicks,
    Meeting,
    NewBooking,
    NewCustomer,
    OpsCounts,
    SessionType,
)
from lib.overview_readings import OverviewStats
from lib.scheduling import Availability
from lib.self_service_policy import Claim, Refund, SelfServiceRecord

# The most bookings one ``expire_pending`` call expires: below Supabase's "Max rows" (1,000 unless
# changed), so each call's answer names every booking it expired.
EXPIRE_BATCH = 500


class BookingStore(Protocol):
    """Every read and write of the booking service.

    Transitions are conditional on the current status (and return ``None`` when the booking
    was not in it), so two people clicking at once change a booking once. Each transition
    writes its history entry and queues its emails in the same transaction.

    The history entry is the ``line`` the caller gives (its ``event`` and ``detail``, worded by
    ``lib.service.history``), written exactly as given with the ``actor`` and only when the
    transition happened; a store words no history line itself.
    """

    # People
    def list_experts(self) -> list[Expert]: ...
    def get_expert(self, expert_id: str) -> Expert | None: ...
    def add_expert(self, name: str, email: str, hourly_rate: int, expertise: str = "",
                   calendar_id: str = "") -> Expert:
        """Insert an expert; an empty ``calendar_id`` means their email."""
        ...

    def set_calendar_id(self, expert_id: str, calendar_id: str) -> Expert:
        """Change the Google calendar whose busy time blocks the expert's slots (an empty
        ``calendar_id`` means their email again) and return the expert as stored; ``NotFound``
        for an unknown expert. The value is checked by the service, not here."""
        ...

    def list_customers(self) -> list[Customer]: ...
    def get_customer(self, customer_id: str) -> Customer | None: ...
    def add_customer(self, customer: NewCustomer) -> Customer: ...

    def search_customers(self, query: str, limit: int = 20) -> list[Customer]:
        """Up to ``limit`` customers whose name or email contains ``query`` (case-insensitive;
        ``%``, ``_`` and ``*`` in it are plain characters as far as the store can say), by name."""
        ...

    # Session types (each expert's own)
    def session_types(self, expert_id: str) -> list[SessionType]:
        """The expert's types, retired ones too, in their order (none for an unknown expert). A new
        expert starts with the standard types (``lib.domain.STANDARD_SESSION_TYPES``) at their rate."""
        ...

    def get_session_type(self, type_id: str) -> SessionType | None: ...

    def replace_session_types(self, expert_id: str, types: Sequence[SessionType]) -> list[SessionType]:
        """Make ``types`` (checked by the service) the expert's, in one transaction, and return
        them all as stored: a listed id of theirs is updated, a new one added; their types not
        listed are deleted, or retired (kept for them) when bookings name them. ``NotFound`` for
        an unknown expert; ``InvalidInput`` for an id of another expert's type."""
        ...

    # Availability
    def get_availability(self, expert_id: str) -> Availability | None:
        """The expert's stored availability, or ``None`` when they have none (default hours);
        ``UnreadableAvailability`` (with the reason in words) when what is stored cannot be read."""
        ...

    def set_availability(self, expert_id: str, availability: Availability) -> None:
        """Store (replace) the expert's availability; ``NotFound`` for an unknown expert."""
        ...

    # Bookings
    def create_booking(self, new: NewBooking, actor: str, *, line: HistoryLine) -> Booking:
        """Insert as ``pending`` (and the new customer, if any) with ``line`` in one transaction.

        The price, ``session_type`` (English) and ``session_names`` come from the session type
        (``new.session_type_id``, else the expert's active type named ``new.session_type``);
        ``InvalidInput`` when it is not the expert's, is retired or does not offer the duration.

        Raises ``SlotTaken`` when the expert holds an overlapping active booking. A
        ``request_key`` seen before returns the booking it created instead.
        """
        ...

    def get_booking(self, booking_id: str) -> Booking | None: ...
    def find_by_request_key(self, request_key: str) -> Booking | None: ...
    def mark_paid(self, booking_id: str, payment_ref: str, at: datetime, actor: str, *,
                  line: HistoryLine) -> Booking | None:
        """``pending -> paid`` with ``line`` for a payment whose attempt was numbered before it
        went to the gateway (``add_payment_attempt``: Midtrans); ``None`` when not pending."""
        ...

    def mark_paid_counting_attempt(self, booking_id: str, payment_ref: str, at: datetime, actor: str, *,
                                   line: HistoryLine) -> Booking | None:
        """``pending -> paid`` with ``line`` for a payment settled within the process (the demo),
        its attempt counted in the same transaction (its order id never left the process, so it
        needs no numbering first); ``None`` (nothing counted) when not pending."""
        ...

    def mark_paid_and_claim_link(self, booking_id: str, payment_ref: str, at: datetime, lease_until: datetime,
                                 actor: str, *, line: HistoryLine) -> Booking | None:
        """``mark_paid_counting_attempt`` that also takes the link lease until ``lease_until`` (what
        ``claim_for_link`` does), in the same transaction: for a caller that makes the link at once.
        Other workers' claims fail until the lease is released or runs out. ``None`` when not pending."""
        ...

    # Gateway payments (Midtrans)
    def add_payment_attempt(self, booking_id: str) -> Booking | None:
        """Count one more payment attempt of a ``pending`` booking and return it (its
        ``payment_attempts`` numbers the new attempt); ``None`` when it is not pending.

        Taken before the gateway is called, so an attempt whose answer was lost never hands its
        (single-use) order id out twice.
        """
        ...

    def start_payment(self, booking_id: str, order_id: str, token: str, redirect_url: str, at: datetime,
                      actor: str, *, line: HistoryLine) -> Booking | None:
        """Store the current gateway payment of a ``pending`` booking (and log ``line``); ``None``
        when the booking is no longer pending."""
        ...

    def mark_payment_failed(self, booking_id: str, reason: str, at: datetime, actor: str, *,
                            line: HistoryLine) -> Booking | None:
        """``pending -> cancelled`` because the gateway refused, cancelled or expired the payment;
        ``None`` when the booking is no longer pending (paid meanwhile, or cancelled already)."""
        ...

    def pending_since(self, older_than: datetime, limit: int = 200) -> list[Booking]:
        """``pending`` bookings created before ``older_than``, oldest first (the ops alert list)."""
        ...

    def claim_for_link(self, booking_id: str, now: datetime, lease_until: datetime) -> Booking | None:
        """Take a ``paid`` booking with no link for link creation until ``lease_until``.

        Returns ``None`` if it is not ``paid`` or another worker holds the lease.
        """
        ...

    def record_link_attempt(self, booking_id: str, error: str | None, actor: str, *, line: HistoryLine) -> None:
        """Count one link attempt and log ``line``; an ``error`` becomes the booking's last error
        (a success keeps the previous one)."""
        ...

    def release_link_claim(self, booking_id: str) -> None: ...

    def confirm(
        self,
        booking_id: str,
        meeting_link: str,
        event_id: str | None,
        event_version: int,
        at: datetime,
        emails: Sequence[EmailDraft],
        actor: str,
        *,
        line: HistoryLine,
    ) -> Booking | None:
        """``paid -> confirmed`` with a link no counted attempt made (one ops pasted), ``line`` and
        ``emails`` queued, in one transaction; ``None`` (nothing written) when not paid."""
        ...

    def confirm_with_attempt(
        self,
        booking_id: str,
        meeting_link: str,
        event_id: str | None,
        event_version: int,
        at: datetime,
        emails: Sequence[EmailDraft],
        actor: str,
        *,
        attempt: HistoryLine,
        line: HistoryLine,
    ) -> Booking | None:
        """``confirm`` of a link a link attempt made: that attempt is counted (``link_attempts``)
        and ``attempt`` logged before ``line``, in the same transaction; ``None`` when not paid
        (nothing written: the caller records the attempt on its own)."""
        ...

    def pay_and_confirm(
        self,
        booking_id: str,
        payment_ref: str,
        meeting: Meeting,
        at: datetime,
        emails: Sequence[EmailDraft],
        actor: str,
        *,
        paid: HistoryLine,
        attempt: HistoryLine,
        line: HistoryLine,
    ) -> Booking | None:
        """``pending -> paid -> confirmed`` for a payment and a meeting both made within the
        process (the demo gateway, Jitsi), in ONE transaction (one request on every store):
        ``mark_paid_counting_attempt`` then ``confirm_with_attempt``, the lines in that order
        (``paid``, ``attempt``, ``line``) and ``emails`` queued. The booking is then confirmed or
        still pending, never in between; ``None`` (nothing written) when it is not pending."""
        ...

    def reschedule(
        self,
        booking_id: str,
        new_date: date,
        new_time: time,
        at: datetime,
        emails_for: EmailsFor,
        actor: str,
        *,
        line_for: LineFor,
    ) -> Booking:
        """Move the booking (overlap-checked, excluding itself) and bump its revision.

        ``emails_for`` renders the emails from the moved booking, and ``line_for`` its history
        line from the booking before and after the move, for the transaction that moves it.
        """
        ...

    def reschedule_with_calendar_work(
        self,
        booking_id: str,
        new_date: date,
        new_time: time,
        at: datetime,
        emails_for: EmailsFor,
        actor: str,
        *,
        line_for: LineFor,
        calendar: str,
    ) -> Booking:
        """``reschedule`` that also queues the booking's calendar work (reason ``calendar``) in
        the transaction that moves it: a booking with an event outside (Google)."""
        ...

    def cancel(
        self,
        booking_id: str,
        at: datetime,
        reason: str,
        emails: Sequence[EmailDraft],
        actor: str,
        *,
        line: HistoryLine,
    ) -> Booking | None:
        """Active -> ``cancelled`` with ``line`` and ``emails``; ``None`` when no longer active."""
        ...

    def cancel_with_calendar_work(
        self,
        booking_id: str,
        at: datetime,
        reason: str,
        emails: Sequence[EmailDraft],
        actor: str,
        *,
        line: HistoryLine,
        calendar: str,
    ) -> Booking | None:
        """``cancel`` that also queues the booking's calendar work (reason ``calendar``) in the same
        transaction, held until the link lease the booking had (an attempt in flight) ends."""
        ...

    def complete_ended(self, now_local: datetime, at: datetime, actor: str, *, line: HistoryLine) -> int:
        """``confirmed -> completed`` for every session that ended by ``now_local``, ``line`` in
        each one's history; how many."""
        ...

    def expire_pending(self, cutoff: datetime, now: datetime, actor: str, *, line: HistoryLine,
                       limit: int = EXPIRE_BATCH) -> list[Booking]:
        """``pending -> expired`` for at most ``limit`` bookings created before ``cutoff`` and still
        unpaid, oldest first, with ``line`` in each one's history; returns them all. Fewer than
        ``limit`` back: none is left (call again until then). Conditional on ``pending`` booking
        by booking, so a payment recorded first wins and a second run expires nothing twice. An
        expired booking no longer holds its slot."""
        ...

    def active_bookings(self, expert_id: str, start: datetime, end: datetime,
                        pending_since: datetime) -> list[Booking]:
        """The expert's bookings that hold their time (paid, confirmed, and pending ones made at
        or after the instant ``pending_since``) and overlap the wall-clock range ``[start, end)``
        (naive, app timezone), by date and time. Indexed: costs the expert's rows in the range."""
        ...

    def active_times(self, expert_id: str, start: datetime, end: datetime,
                     pending_since: datetime) -> list[HeldTime]:
        """The times the bookings of ``active_bookings`` (the same arguments) hold, in the same
        order: their id, wall-clock start and minutes, without the rest of each booking (the
        slot check of every new booking reads these)."""
        ...

    # Lists for the pages
    def upcoming_for_expert(self, expert_id: str, now_local: datetime, limit: int = 200) -> list[Booking]:
        """Confirmed bookings of the expert that end after ``now_local``, by date and time."""
        ...

    def bookings_between(self, start: datetime, end: datetime, statuses: Sequence[BookingStatus],
                         expert_id: str | None = None, limit: int = 500) -> list[Booking]:
        """Bookings in one of ``statuses`` (of one expert, or of all) that overlap the wall-clock
        range ``[start, end)`` (naive, app timezone), by date and time (a week of sessions, past
        ones too; the next bookings to open)."""
        ...

    def missing_links(self, limit: int = 500) -> list[Booking]:
        """``paid`` bookings with no meeting link, oldest first."""
        ...

    def confirmed_starting(self, after: datetime, until: datetime, limit: int = 1000) -> list[Booking]:
        """``confirmed`` bookings whose wall-clock start (naive, app timezone) is after ``after``
        and at or before ``until``, by date and time (the sessions reminders are due for)."""
        ...

    def recent_bookings(self, limit: int = 200, status: BookingStatus | None = None) -> list[Booking]: ...
    def counts(self, today: date) -> OpsCounts: ...
    def history(self, booking_id: str) -> list[HistoryEntry]: ...
    def add_history(self, booking_id: str, event: str, detail: str, actor: str) -> None: ...

    # Email outbox
    def claim_queued_emails(self, now: datetime, lease_until: datetime, limit: int = 100) -> list[Email]:
        """Take queued emails for sending until ``lease_until``; two dispatchers never get the same row.

        Skips rows leased by another dispatcher and rows whose ``not_before`` is after ``now``.
        """
        ...

    def list_emails(self, limit: int = 200, booking_id: str | None = None) -> list[Email]: ...

    def queue_emails(self, emails: Sequence[EmailDraft], at: datetime, not_before: datetime | None = None) -> None:
        """Queue emails outside a transition (the "link still being prepared" notice), to be
        claimed no sooner than ``not_before``.

        Like the transitions' queueing: idempotent by (booking, kind, version), and each email
        drops its booking's rows of the kinds it ``replaces`` that are still queued and not leased
        by a dispatcher (which email replaces which is the service's rule, not the store's).
        """
        ...

    def email_keys(self, booking_ids: Sequence[str]) -> set[tuple[str, str, int]]:
        """The (booking_id, kind, version) of every outbox row of these bookings, in any status:
        what is queued or sent already, so a run renders only what is new."""
        ...

    def drop_emails(self, email_ids: Sequence[int]) -> None:
        """Delete these emails if still ``queued`` (a reminder the dispatcher found pointless at
        send time); sent and failed rows stay as the record."""
        ...

    def requeue_email(self, email_id: int) -> Email | None:
        """``failed`` -> ``queued`` on the same row (ops "Resend"); ``None`` if it is not failed."""
        ...
    def release_emails(self, email_ids: Sequence[int]) -> None:
        """Give back the lease on ``queued`` emails a stopped dispatcher did not get to."""
        ...

    def mark_email(self, email_id: int, status: EmailStatus, error: str | None, at: datetime) -> None:
        """Record a send attempt: ``sent``, ``failed`` (permanent) or ``queued`` (try again later)."""
        ...

    # The rolling per-minute request budget of a calendar, shared by every process on this store
    def take_request_slot(self, calendar_id: str, limit: int, now: datetime) -> float:
        """Atomically take one of ``limit`` request slots of ``calendar_id`` in the rolling minute
        before ``now`` (per-second buckets, see ``lib.store.budget``): 0.0 when taken, else the
        seconds until enough of the oldest requests have left it (nothing taken)."""
        ...

    def request_slots_used(self, calendar_id: str, now: datetime) -> int:
        """How many slots of ``calendar_id`` the rolling minute before ``now`` has used."""
        ...


    # Calendar work (lib.calendar_work): the durable change bringing a booking's event to it
    def queue_calendar_work(self, booking_id: str, reason: str, at: datetime) -> None:
        """Queue the booking's calendar work (again: its generation grows), due at ``at``; the
        link lease the booking holds now becomes its ``hold_until``."""
        ...

    def claim_calendar_work(self, now: datetime, lease_until: datetime, limit: int = 20,
                            booking_id: str | None = None) -> list[CalendarWork]:
        """Lease waiting work until ``lease_until``: up to ``limit`` items due by ``now``, or the
        one of ``booking_id`` whenever it is due. Work another worker leases is skipped."""
        ...

    def finish_calendar_work(self, booking_id: str, generation: int, at: datetime, actor: str, *,
                             line: HistoryLine | None) -> bool:
        """Mark the work done if it is still ``generation`` (else free it to run again now) and
        write ``line`` in the same transaction; whether it was marked done."""
        ...

    def calendar_work_later(self, booking_id: str, generation: int, not_before: datetime,
                            error: str | None) -> None:
        """Free the lease and try again at ``not_before`` (when still ``generation``); an
        ``error`` counts as a failed attempt and becomes the last error."""
        ...

    def calendar_work(self, booking_ids: Sequence[str]) -> dict[str, CalendarWork]:
        """The calendar work of these bookings, waiting or done, by booking id."""
        ...

    def calendar_work_waiting(self, queued_before: datetime, limit: int = 200) -> list[CalendarWork]:
        """Work still waiting that was queued before ``queued_before``, oldest first."""
        ...

    def count_history(self, event: str, start: datetime, end: datetime) -> int:
        """How many history lines named ``event`` were written in the instants ``[start, end)``."""
        ...

    # Background job runs, shared by every worker on this store
    def record_job_run(self, run: JobRun, keep_days: int) -> None:
        """Store one finished run, and drop runs of any job that finished more than ``keep_days``
        days before it."""
        ...

    def last_job_runs(self) -> list[JobRun]:
        """The latest run of each job (by the order runs were recorded), by job name."""
        ...

    # Join links through the click-counting redirect (``public_base_url``)
    def issue_join_tokens(self, booking_id: str, tokens: Mapping[str, str], at: datetime) -> dict[str, str]:
        """Store ``tokens`` (person -> token) for the persons of the booking that have none yet,
        and return every person's stored token: one that exists already wins, so two emails
        drafted at once end up with the same token."""
        ...

    def join_token(self, token: str) -> tuple[str, str] | None:
        """The (booking_id, person) a token was issued for, or ``None``."""
        ...

    def record_join_click(self, booking_id: str, person: str, at: datetime) -> None:
        """Record one click of ``person`` on the booking's Join link."""
        ...

    def join_clicks(self, booking_id: str) -> list[JoinClicks]:
        """Each person's click count and latest click on the booking, by person (only persons
        who clicked)."""

    # Customer self-service (``lib.service.self_service``): the Reschedule and Cancel links
    def issue_self_service(self, booking_id: str, token: str, form_key: str, at: datetime) -> SelfServiceRecord:
        """Store the booking's self-service token and form key unless it has them already, and
        return the stored row: one that exists wins, so every email carries the same links."""
        ...

    def self_service_by_token(self, token: str) -> SelfServiceRecord | None:
        """The self-service row of a token, or ``None``."""
        ...

    def self_service_of(self, booking_id: str) -> SelfServiceRecord | None:
        """The booking's self-service row, or ``None`` when no link was issued."""
        ...

    def claim_self_service(self, booking_id: str, revision: int, at: datetime, stale_before: datetime,
                           reschedule_limit: int | None) -> Claim:
        """Let one customer change of the booking's ``revision`` go ahead, atomically: ``BUSY``
        when a change of that (or a later) revision was made, or is being made by a claim taken
        at or after ``stale_before``; with ``reschedule_limit`` (a move), ``LIMIT`` when the
        customer moved it that often already, else the move is counted with the claim."""
        ...

    def release_self_service(self, booking_id: str, revision: int, rescheduled: bool) -> None:
        """Give back an unfinished claim of ``revision`` (the change was refused), and its count."""
        ...

    def finish_self_service(self, booking_id: str, revision: int, change: str, at: datetime,
                            refund_amount: int = 0) -> None:
        """Mark the claim of ``revision`` done with the customer's ``change`` (``rescheduled`` or
        ``cancelled``); a ``refund_amount`` above 0 records that much as a refund due."""
        ...

    def self_service_changes(self, since: datetime, limit: int = 100) -> list[SelfServiceRecord]:
        """The rows of customers' changes made at or after ``since``, and every refund still due,
        newest change first."""
        ...

    def set_refund(self, booking_id: str, expected: Refund, new: Refund, ref: str, at: datetime) -> bool:
        """Move the booking's refund from ``expected`` to ``new`` with a reference; whether it was
        still ``expected`` (so two people starting one refund start it once)."""
        ...

    # Meeting attendance (Google Meet conference records)
    def ended_sessions(self, after: datetime, until: datetime, limit: int = 500) -> list[Booking]:
        """``confirmed`` or ``completed`` bookings with a meeting link whose wall-clock end (naive,
        app timezone) is after ``after`` and at or before ``until``, by end."""
        ...

    def attendance(self, booking_ids: Sequence[str]) -> dict[str, Attendance]:
        """The stored attendance of these bookings, by booking id (bookings without one are left out)."""
        ...

    def save_attendance(self, attendance: Attendance, lines: Sequence[HistoryLine], actor: str) -> bool:
        """Store a booking's attendance unless a final one (``recorded``, ``no data``) is stored
        already, and only then write ``lines`` to its history, in one transaction; whether it was stored."""
        ...

    def google_user_emails(self, user_ids: Sequence[str]) -> dict[str, str]:
        """The remembered email of each Google user id (``users/{id}``) known, by id."""
        ...

    def remember_google_user_email(self, user_id: str, email: str, at: datetime) -> None:
        """Remember (or replace) the email a Google user id resolved to."""

    # The Overview page
    def overview_stats(self, start: datetime, end: datetime, zone: str) -> OverviewStats:
        """The Overview's aggregates (``lib.overview_readings``) of the bookings created in the instants
        ``[start, end)``, each booking's day being its creation date in the timezone ``zone``.
        Aggregated by the database; never every booking read into Python."""
        ...


class EmailsFor(Protocol):
    def __call__(self, booking: Booking) -> Sequence[EmailDraft]: ...


class LineFor(Protocol):
    """The history line of a move, from the booking as it was and as it is after the move."""

    def __call__(self, before: Booking, after: Booking) -> HistoryLine: ...
