"""Reads: what the pages and the CLI show. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from lib.access import Actor, require_can_see, require_expert_or_staff, require_known, require_staff
from lib.domain import (
    ACTIVE_STATUSES,
    Attendance,
    Booking,
    BookingStatus,
    Customer,
    Email,
    Expert,
    HistoryEntry,
    OpsCounts,
)
from lib.errors import InvalidInput, NotFound
from lib.meetings import HealthCheck
from lib.meetings.quota import BudgetUse
from lib.service.ports import Ports
from lib.store import (
    AttendanceStore,
    BookingInputs,
    BookingListStore,
    BookingRecordStore,
    OutboxStore,
    PeopleStore,
    RequestBudgetStore,
    ScheduleStore,
)
from lib.validation import clean_duration, price_for, type_price

# The sessions a week shows: booked and paid (with or without their link yet), and the ones held.
SESSION_STATUSES = (BookingStatus.PAID, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
_WEEK_LIMIT = 1000  # far more sessions than one expert's week can hold


@dataclass(frozen=True)
class ExpertSessions:
    """An expert's sessions on some days (past ones too), by date and time, with the attendance
    read of those that have one (by booking id)."""

    bookings: list[Booking]
    attendance: dict[str, Attendance]


class QueriesStore(BookingRecordStore, BookingListStore, PeopleStore, ScheduleStore, OutboxStore, AttendanceStore,
                   RequestBudgetStore, Protocol):
    """What ``Queries`` reads and writes in the store."""


class Queries:
    """Every read of the service, each behind its permission check."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    @property
    def store(self) -> QueriesStore:
        """The store, as the protocols this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def experts(self, *, actor: Actor) -> list[Expert]:
        """Every expert; anyone signed in may see who can be booked (the gate also reads it to
        resolve roles, as the system)."""
        require_known(actor, "see the experts")
        return self.store.list_experts()

    def customers(self, *, actor: Actor) -> list[Customer]:
        """Every customer with their email: staff only."""
        require_staff(actor, "see the customer list")
        return self.store.list_customers()

    def search_customers(self, query: str, limit: int = 20, *, actor: Actor) -> list[Customer]:
        """Up to ``limit`` customers whose name or email contains ``query``, by name (staff).

        One store query with the limit: no page loads every customer. ``limit`` is 1..100.
        """
        require_staff(actor, "search customers")
        if not isinstance(query, str):
            raise InvalidInput("The search must be text.")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
            raise InvalidInput(f"The search limit must be a whole number from 1 to 100, got {limit!r}.")
        return self.store.search_customers(query.strip()[:200], limit)

    def get_booking(self, booking_id: str, *, actor: Actor) -> Booking:
        """The booking, or ``NotFound`` with a message a person can read.

        An expert gets ``PermissionDenied`` for another expert's booking (e.g. an edited
        ``?booking=`` link).
        """
        booking = self.ports.load(booking_id)
        require_can_see(actor, booking)
        return booking

    def quote(self, expert_id: str, duration: int, session_type_id: str | None = None, *, actor: Actor,
              known: BookingInputs | None = None) -> int:
        """The price in rupiah of ``duration`` minutes of the expert's session type (without one,
        at the expert's hourly rate, what a new type of theirs starts with); ``known``: the expert
        and their types as read already."""
        require_staff(actor, "quote prices")
        mine = known is not None and known.expert is not None and known.expert.id == expert_id
        expert = known.expert if mine else self.store.get_expert(expert_id)  # type: ignore[union-attr]
        if expert is None:
            raise NotFound("Unknown expert; pick one from the list.")
        if session_type_id is None:
            return price_for(expert.hourly_rate, clean_duration(duration))
        kind = (next((t for t in known.session_types if t.id == session_type_id), None)  # type: ignore[union-attr]
                if mine else self.store.get_session_type(session_type_id))
        if kind is None or kind.expert_id != expert.id:
            raise NotFound(f"{expert.name} does not offer that session type; pick one of their types.")
        if clean_duration(duration) not in kind.durations:
            raise InvalidInput(f"“{kind.name()}” is not offered for {duration} minutes.")
        return type_price(kind, duration)

    def upcoming_for_expert(self, expert_id: str, limit: int = 200, *, actor: Actor) -> list[Booking]:
        """The expert's confirmed sessions that have not ended yet, "now" taken in the app timezone."""
        require_expert_or_staff(actor, expert_id, "see upcoming sessions")
        return self.store.upcoming_for_expert(expert_id, self.ports.now_local(), limit)

    def sessions_between(self, expert_id: str, first_day: date, last_day: date, *, actor: Actor) -> ExpertSessions:
        """The expert's paid, confirmed and completed sessions on ``first_day`` to ``last_day`` (both
        included, app timezone), past ones with their attendance: a week of My sessions. An expert
        reads only their own; staff anyone's."""
        require_expert_or_staff(actor, expert_id, "see sessions")
        if last_day < first_day:
            raise InvalidInput("The last day must not be before the first day.")
        start = datetime.combine(first_day, time(0))
        end = datetime.combine(last_day + timedelta(days=1), time(0))
        bookings = self.store.bookings_between(start, end, SESSION_STATUSES, expert_id, _WEEK_LIMIT)
        ended = [b.id for b in bookings if b.status is BookingStatus.COMPLETED
                 or datetime.combine(b.scheduled_date, b.scheduled_time) < self.ports.now_local()]
        attendance = self.store.attendance(ended) if ended else {}
        return ExpertSessions(bookings, attendance)

    def next_bookings(self, limit: int = 20, *, actor: Actor) -> list[Booking]:
        """The bookings still to come that are not cancelled or expired (pending, paid, confirmed), by
        date and time: every expert's for staff, an expert's own for an expert (the Confirmation
        page's list to pick from)."""
        require_known(actor, "list bookings")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 200:
            raise InvalidInput(f"The number of bookings must be a whole number from 1 to 200, got {limit!r}.")
        expert_id = None if actor.is_staff else actor.expert_id
        if expert_id is None and not actor.is_staff:
            return []
        now = self.ports.now_local()
        horizon = now + timedelta(days=3 * 366)  # further than any booking horizon
        return self.store.bookings_between(now, horizon, tuple(ACTIVE_STATUSES), expert_id, limit)

    def ops_counts(self, *, actor: Actor) -> OpsCounts:
        """Today's numbers for the ops page, "today" in the app timezone."""
        require_staff(actor, "see the ops numbers")
        return self.store.counts(self.ports.today())

    def missing_links(self, limit: int = 500, *, actor: Actor) -> list[Booking]:
        """Paid bookings with no meeting link, oldest first."""
        require_staff(actor, "list bookings missing a link")
        return self.store.missing_links(limit)

    def recent_bookings(self, limit: int = 200, status: BookingStatus | None = None,
                        *, actor: Actor) -> list[Booking]:
        """The latest bookings, optionally of one status."""
        require_staff(actor, "list all bookings")
        return self.store.recent_bookings(limit, status)

    def history(self, booking_id: str, *, actor: Actor) -> list[HistoryEntry]:
        """A booking's history, oldest first."""
        require_staff(actor, "read booking history")
        return self.store.history(booking_id)

    def emails(self, limit: int = 200, booking_id: str | None = None, *, actor: Actor) -> list[Email]:
        """The email outbox, or one booking's emails."""
        require_staff(actor, "read the email outbox")
        return self.store.list_emails(limit, booking_id)

    def meeting_health(self, *, actor: Actor) -> HealthCheck:
        """The meeting provider's connection check, for the ops page."""
        require_staff(actor, "check the meeting provider")
        return self.ports.meetings.check_connection()

    def request_budget(self, *, actor: Actor) -> BudgetUse | None:
        """The Google calendar's shared per-minute request budget: requests taken in the last 60
        seconds and the limit, for the ops page; None when links are not made with Google."""
        require_staff(actor, "see the Google request budget")
        settings = self.ports.settings
        if settings.meeting_provider != "google":
            return None
        google = settings.google
        used = self.store.request_slots_used(google.calendar_id, self.ports.clock())
        return BudgetUse(google.calendar_id, used, google.requests_per_minute)

    def stuck_pending(self, *, actor: Actor, limit: int = 200) -> list[Booking]:
        """Bookings still awaiting payment ``midtrans.pending_alert_minutes`` after they were made,
        oldest first: the ops page's alert list."""
        require_staff(actor, "list bookings awaiting payment")
        cutoff = self.ports.clock() - timedelta(minutes=self.ports.settings.midtrans.pending_alert_minutes)
        return self.store.pending_since(cutoff, limit)
