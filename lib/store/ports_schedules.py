"""What an expert offers and when: session types, availability, and the time their bookings hold.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from lib.domain import Booking, HeldTime, SessionType
from lib.scheduling import Availability


@runtime_checkable
class ScheduleStore(Protocol):
    """Each expert's session types and availability, and the times their bookings hold (what the slot check reads)."""

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

    def get_availability(self, expert_id: str) -> Availability | None:
        """The expert's stored availability, or ``None`` when they have none (default hours);
        ``UnreadableAvailability`` (with the reason in words) when what is stored cannot be read."""
        ...

    def set_availability(self, expert_id: str, availability: Availability) -> None:
        """Store (replace) the expert's availability; ``NotFound`` for an unknown expert."""
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
