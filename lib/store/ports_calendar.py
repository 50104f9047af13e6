"""Calendar work (``lib.calendar_work``): the durable change bringing a booking's event to it.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from lib.calendar_work import CalendarWork
from lib.domain import HistoryLine


@runtime_checkable
class CalendarWorkStore(Protocol):
    """Queue, lease, retry and finish each booking's calendar work; count history lines by event."""

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
