"""The lists of bookings the pages, the reminders and the ops page read, and the Overview's figures.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from lib.domain import Booking, BookingStatus, OpsCounts
from lib.overview_readings import OverviewStats, PeriodTotals


@runtime_checkable
class BookingListStore(Protocol):
    """Reads over many bookings: the pages' lists, the ops counts and the Overview's aggregates."""

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

    def pending_since(self, older_than: datetime, limit: int = 200) -> list[Booking]:
        """``pending`` bookings created before ``older_than``, oldest first (the ops alert list)."""
        ...

    def recent_bookings(self, limit: int = 200, status: BookingStatus | None = None) -> list[Booking]: ...
    def counts(self, today: date) -> OpsCounts: ...

    def overview_stats(self, start: datetime, end: datetime, zone: str) -> OverviewStats:
        """The Overview's aggregates (``lib.overview_readings``) of the bookings created in the instants
        ``[start, end)``, each booking's day being its creation date in the timezone ``zone``.
        Aggregated by the database; never every booking read into Python."""
        ...

    def overview_totals(self, start: datetime, end: datetime) -> PeriodTotals:
        """The headline's totals of the bookings created in the instants ``[start, end)``: exactly
        ``PeriodTotals.of(self.overview_stats(start, end, zone))`` for any ``zone``, but only those
        five numbers, counted by the database (the period before the Overview's range)."""
        ...
