"""The lists of ``SQLiteStore`` that the pages and the jobs read: an expert's upcoming and
time-holding bookings, bookings in a range, paid bookings without a link, sessions about to start,
payments waiting, the newest bookings and today's counts.

``ListTables`` is a part of ``SQLiteStore`` (it uses the store's ``_all`` and ``_one``); it is split out
only so that each file reads as one subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from lib.domain import Booking, BookingStatus, HeldTime, OpsCounts
from lib.store.sqlite_rows import _ACTIVE_SQL, _BOOKING_SELECT, _booking, _ts


class ListTables:
    """The lists in SQL (see the module docstring)."""

    def upcoming_for_expert(self, expert_id: str, now_local: datetime, limit: int = 200) -> list[Booking]:
        rows = self._all(
            _BOOKING_SELECT + " WHERE b.expert_id = ? AND b.status = 'confirmed' AND b.ends_at > ?"
            " ORDER BY b.scheduled_date, b.scheduled_time LIMIT ?",
            (expert_id, now_local.strftime("%Y-%m-%d %H:%M:%S"), limit),
        )
        return [_booking(r) for r in rows]

    def bookings_between(self, start: datetime, end: datetime, statuses: Sequence[BookingStatus],
                         expert_id: str | None = None, limit: int = 500) -> list[Booking]:
        if not statuses:
            return []
        marks = ", ".join("?" * len(statuses))
        where = f"b.status IN ({marks}) AND b.ends_at > ? AND b.starts_at < ?"
        params: list[object] = [s.value for s in statuses]
        params += [start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S")]
        if expert_id is not None:
            where = "b.expert_id = ? AND " + where
            params.insert(0, expert_id)
        rows = self._all(_BOOKING_SELECT + f" WHERE {where} ORDER BY b.scheduled_date, b.scheduled_time, b.id LIMIT ?",
                         (*params, limit))
        return [_booking(r) for r in rows]

    def active_bookings(self, expert_id: str, start: datetime, end: datetime,
                        pending_since: datetime) -> list[Booking]:
        # The (expert_id, status, ends_at) index narrows to the expert's active rows ending after start.
        rows = self._all(
            _BOOKING_SELECT + f" WHERE b.expert_id = ? AND b.status IN {_ACTIVE_SQL} AND b.ends_at > ?"
            " AND b.starts_at < ? AND (b.status <> 'pending' OR b.created_at >= ?)"
            " ORDER BY b.scheduled_date, b.scheduled_time",
            (expert_id, start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S"), _ts(pending_since)),
        )
        return [_booking(r) for r in rows]

    def active_times(self, expert_id: str, start: datetime, end: datetime,
                     pending_since: datetime) -> list[HeldTime]:
        # The rows of active_bookings, three columns of each (no join: the names are not wanted).
        rows = self._all(
            f"SELECT b.id, b.scheduled_date, b.scheduled_time, b.duration FROM bookings b"
            f" WHERE b.expert_id = ? AND b.status IN {_ACTIVE_SQL} AND b.ends_at > ?"
            " AND b.starts_at < ? AND (b.status <> 'pending' OR b.created_at >= ?)"
            " ORDER BY b.scheduled_date, b.scheduled_time",
            (expert_id, start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S"), _ts(pending_since)),
        )
        return [HeldTime(r[0], datetime.combine(date.fromisoformat(r[1]), time.fromisoformat(r[2])), r[3])
                for r in rows]

    def missing_links(self, limit: int = 500) -> list[Booking]:
        rows = self._all(
            _BOOKING_SELECT + " WHERE b.status = 'paid' AND b.meeting_link IS NULL ORDER BY b.created_at LIMIT ?",
            (limit,),
        )
        return [_booking(r) for r in rows]

    def confirmed_starting(self, after: datetime, until: datetime, limit: int = 1000) -> list[Booking]:
        rows = self._all(
            _BOOKING_SELECT + " WHERE b.status = 'confirmed' AND b.starts_at > ? AND b.starts_at <= ?"
            " ORDER BY b.scheduled_date, b.scheduled_time LIMIT ?",
            (after.strftime("%Y-%m-%d %H:%M:%S"), until.strftime("%Y-%m-%d %H:%M:%S"), limit),
        )
        return [_booking(r) for r in rows]

    def pending_since(self, older_than: datetime, limit: int = 200) -> list[Booking]:
        rows = self._all(
            _BOOKING_SELECT + " WHERE b.status = 'pending' AND b.created_at < ? ORDER BY b.created_at LIMIT ?",
            (_ts(older_than), limit),
        )
        return [_booking(r) for r in rows]

    def recent_bookings(self, limit: int = 200, status: BookingStatus | None = None) -> list[Booking]:
        if status is None:
            rows = self._all(_BOOKING_SELECT + " ORDER BY b.created_at DESC LIMIT ?", (limit,))
        else:
            rows = self._all(_BOOKING_SELECT + " WHERE b.status = ? ORDER BY b.created_at DESC LIMIT ?",
                             (status.value, limit))
        return [_booking(r) for r in rows]

    def counts(self, today: date) -> OpsCounts:
        row = self._one(
            "SELECT"
            " (SELECT COUNT(*) FROM bookings"
            " WHERE scheduled_date = ? AND status IN ('confirmed', 'paid', 'completed')),"
            " (SELECT COUNT(*) FROM bookings WHERE status = 'pending'),"
            " (SELECT COUNT(*) FROM bookings WHERE status = 'paid'),"
            " (SELECT COUNT(*) FROM email_outbox WHERE status IN ('queued', 'failed'))",  # uses the status index
            (today.isoformat(),),
        )
        assert row is not None
        return OpsCounts(today=row[0], awaiting_payment=row[1], awaiting_link=row[2], emails_not_sent=row[3])
