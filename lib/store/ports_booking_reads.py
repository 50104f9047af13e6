"""What booking one session reads before it writes, in one read: the earlier booking of the same
form (its request key), the expert, their session types and hours, the customer picked, and the
times the expert's bookings hold around the start; and what the Confirmation page shows of one
booking (it, its calendar work, and the same of its expert for the reschedule form). On Supabase
each store call is a round trip; one call here replaces five or more.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from lib.calendar_work import CalendarWork
from lib.domain import Booking, Customer, Expert, HeldTime, SessionType
from lib.errors import UnreadableAvailability
from lib.scheduling import Availability


@dataclass(frozen=True)
class BookingInputs:
    """Everything the checks of one booking read, as the separate reads would have returned it.

    ``availability`` is ``None`` when the expert stored none; ``unreadable`` is set (and
    ``availability`` ``None``) when the stored hours cannot be read. ``held`` are the expert's
    time-holding bookings overlapping ``[held_from, held_to)`` (wall clock, app timezone), as
    ``ScheduleStore.active_times`` gives them for that range.
    """

    earlier: Booking | None = None
    expert: Expert | None = None
    session_types: list[SessionType] = field(default_factory=list)
    availability: Availability | None = None
    unreadable: UnreadableAvailability | None = None
    customer: Customer | None = None
    held: list[HeldTime] = field(default_factory=list)
    held_from: datetime | None = None
    held_to: datetime | None = None

    def held_between(self, start: datetime, end: datetime) -> list[HeldTime] | None:
        """The held times overlapping ``[start, end)`` (wall clock) when that range lies within the
        one read, as ``active_times`` would give them; ``None`` when it does not (read it then)."""
        if self.held_from is None or self.held_to is None or start < self.held_from or end > self.held_to:
            return None
        return [h for h in self.held if h.starts_at < end and start < h.starts_at + timedelta(minutes=h.duration)]


@dataclass(frozen=True)
class BookingView:
    """One booking as the Confirmation page reads it: the booking (``None`` when unknown), its
    calendar work if any was ever queued, and ``inputs`` of its expert (no key, no customer)."""

    booking: Booking | None = None
    calendar_work: CalendarWork | None = None
    inputs: BookingInputs = field(default_factory=BookingInputs)


@runtime_checkable
class BookingReadStore(Protocol):
    """The reads of the booking form, one call each."""

    def booking_inputs(self, expert_id: str, request_key: str | None, customer_id: str | None,
                       held_from: datetime | None, held_to: datetime | None,
                       pending_since: datetime) -> BookingInputs:
        """In one read: the booking ``request_key`` created (if any), the expert (``None`` when
        unknown), their session types in order (retired ones too), their stored hours, the
        customer ``customer_id`` (if given and known) and, with a range, the times their active
        bookings hold in it (pending ones made at or after ``pending_since`` only)."""
        ...

    def booking_view(self, booking_id: str, held_from: datetime | None, held_to: datetime | None,
                     pending_since: datetime) -> BookingView:
        """In one read: the booking (as ``get_booking``), its calendar work (as ``calendar_work``)
        and ``booking_inputs`` of its expert for the range; an empty view for an unknown booking."""
        ...
