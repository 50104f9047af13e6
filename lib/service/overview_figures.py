"""The ops Overview's figures for a range of days (read only; see ``lib.overview_readings``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Protocol

from lib.access import Actor, require_staff
from lib.errors import InvalidInput
from lib.overview_readings import Overview, OverviewStats, PeriodTotals
from lib.service.history import CALENDAR_REPAIRED
from lib.service.ports import Ports
from lib.store import BookingListStore, CalendarWorkStore

# A longer range would still be one query per figure, but its daily charts stop being readable.
MAX_DAYS = 366


class OverviewFiguresStore(BookingListStore, CalendarWorkStore, Protocol):
    """What ``OverviewFigures`` reads and writes in the store."""


class OverviewFigures:
    """The Overview page's read, behind the staff check."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    @property
    def store(self) -> OverviewFiguresStore:
        """The store, as the protocols this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def overview(self, first_day: date, last_day: date, *, actor: Actor) -> Overview:
        """The figures of the bookings made from ``first_day`` to ``last_day`` (both included,
        days in the app timezone), aggregated by the store, with those of the period of the same
        length just before (the headline's changes: only their totals). Staff only; at most a year."""
        require_staff(actor, "see the overview")
        if not isinstance(first_day, date) or not isinstance(last_day, date):
            raise InvalidInput("The overview's range needs a first and a last day.")
        if last_day < first_day:
            raise InvalidInput(f"The range ends ({last_day}) before it starts ({first_day}).")
        if (last_day - first_day).days + 1 > MAX_DAYS:
            raise InvalidInput(f"The overview covers at most {MAX_DAYS} days at once; pick a shorter range.")
        days = last_day - first_day + timedelta(days=1)
        repaired = None
        if self.ports.route.has_calendar:  # a calendar outside (Google) can diverge
            start, end = self._instants(first_day, last_day)
            repaired = self.store.count_history(CALENDAR_REPAIRED, start, end)
        return Overview(first_day, last_day, self._stats(first_day, last_day),
                        previous=self._totals(first_day - days, first_day - timedelta(days=1)),
                        calendar_repaired=repaired)

    def _instants(self, first_day: date, last_day: date) -> tuple[datetime, datetime]:
        # Midnight of each end in the app timezone, as instants: the store compares created_at with them.
        tz = self.ports.tz
        return datetime.combine(first_day, time(0), tz), datetime.combine(last_day + timedelta(days=1), time(0), tz)

    def _stats(self, first_day: date, last_day: date) -> OverviewStats:
        start, end = self._instants(first_day, last_day)
        return self.store.overview_stats(start, end, self.ports.settings.timezone)

    def _totals(self, first_day: date, last_day: date) -> PeriodTotals:
        # The period before feeds only the headline's changes: its five totals, not all its figures.
        return self.store.overview_totals(*self._instants(first_day, last_day))
