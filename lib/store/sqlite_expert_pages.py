"""``ExpertPageStore`` on SQLite: the separate reads in one place (each a query in the same process).

``ExpertPageTables`` is a part of ``SQLiteStore``; split out only so that each file reads as one subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lib.domain import BookingStatus
from lib.errors import UnreadableAvailability
from lib.store.ports_expert_pages import ExpertSetupRows, ExpertWeekRows, StoredHours


class ExpertPageTables:
    """The reads of one expert's pages (see ``lib.store.ports_expert_pages``)."""

    def _stored_hours(self, expert_id: str) -> StoredHours:
        try:
            return StoredHours(self.get_availability(expert_id))  # type: ignore[attr-defined]
        except UnreadableAvailability as exc:
            return StoredHours(None, exc.reason)

    def expert_week(self, expert_id: str, start: datetime, end: datetime, statuses: Sequence[BookingStatus],
                    now_local: datetime, week_limit: int = 500, upcoming_limit: int = 200) -> ExpertWeekRows:
        week = self.bookings_between(start, end, statuses, expert_id, week_limit)  # type: ignore[attr-defined]
        ended = [b.id for b in week if b.status is BookingStatus.COMPLETED
                 or datetime.combine(b.scheduled_date, b.scheduled_time) < now_local]
        attendance = self.attendance(ended) if ended else {}  # type: ignore[attr-defined]
        upcoming = self.upcoming_for_expert(expert_id, now_local, upcoming_limit)  # type: ignore[attr-defined]
        return ExpertWeekRows(week, attendance, self._stored_hours(expert_id), upcoming)

    def expert_setup(self, expert_id: str) -> ExpertSetupRows:
        return ExpertSetupRows(self._stored_hours(expert_id), self.session_types(expert_id))  # type: ignore[attr-defined]
