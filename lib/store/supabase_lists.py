"""The lists of the production store that the pages and the jobs read: an expert's upcoming and
time-holding bookings, bookings in a range, paid bookings without a link, sessions about to start,
payments waiting, the newest bookings and today's counts.

``ListRequests`` is a part of ``SupabaseStore`` (it uses the store's ``_table``, ``_rpc``,
``_every_row`` and ``_execute``, so every request keeps the store's error mapping); it is split out
only so that each file reads as one subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from lib.domain import (
    Booking,
    BookingStatus,
    HeldTime,
    OpsCounts,
)
from lib.store.supabase_rows import (
    _ACTIVE,
    BOOKING_SELECT,
    _booking,
    _is_uuid,
    _iso,
    _rows,
    _wall,
)


class ListRequests:
    """The lists through PostgREST (see the module docstring)."""

    def _active(self, columns: str, expert_id: str, start: datetime, end: datetime, pending_since: datetime) -> Any:
        """The request for an expert's time-holding bookings overlapping ``[start, end)``."""
        # A session lasts at most a few hours, so one overlapping start began the day before at the earliest.
        return (
            self._table("bookings").select(columns)
            .eq("expert_id", expert_id)
            .in_("status", list(_ACTIVE))
            .gte("scheduled_date", (start.date() - timedelta(days=1)).isoformat())
            .lte("scheduled_date", end.date().isoformat())
            .gt("ends_at", _wall(start))
            .lt("starts_at", _wall(end))
            .or_(f'status.neq.pending,created_at.gte."{_iso(pending_since)}"')
            .order("scheduled_date")
            .order("scheduled_time")
            .order("id")
        )

    def upcoming_for_expert(self, expert_id: str, now_local: datetime, limit: int = 200) -> list[Booking]:
        """Confirmed bookings of the expert that end after ``now_local`` (wall clock), in one request."""
        if not _is_uuid(expert_id):
            return []
        # Sessions last at most a few hours, so one that still runs started yesterday at the
        # earliest; the date bound lets the (expert_id, status, scheduled_date) index do the work.
        since = (now_local.date() - timedelta(days=1)).isoformat()
        request = (
            self._table("bookings").select(BOOKING_SELECT)
            .eq("expert_id", expert_id)
            .eq("status", BookingStatus.CONFIRMED.value)
            .gte("scheduled_date", since)
            .gt("ends_at", _wall(now_local))
            .order("scheduled_date")
            .order("scheduled_time")
            .limit(limit)
        )
        return [_booking(r) for r in _rows(self._execute(request, "listing the expert's sessions"))]

    def bookings_between(self, start: datetime, end: datetime, statuses: Sequence[BookingStatus],
                         expert_id: str | None = None, limit: int = 500) -> list[Booking]:
        """Bookings in ``statuses`` overlapping ``[start, end)`` (wall clock), in one request; a
        session lasts at most a few hours, so the date bounds let a scheduled_date index work."""
        if not statuses or (expert_id is not None and not _is_uuid(expert_id)):
            return []
        request = self._table("bookings").select(BOOKING_SELECT)
        if expert_id is not None:
            request = request.eq("expert_id", expert_id)
        request = (
            request.in_("status", [s.value for s in statuses])
            .gte("scheduled_date", (start.date() - timedelta(days=1)).isoformat())
            .lte("scheduled_date", end.date().isoformat())
            .gt("ends_at", _wall(start))
            .lt("starts_at", _wall(end))
            .order("scheduled_date")
            .order("scheduled_time")
            .order("id")
            .limit(limit)
        )
        return [_booking(r) for r in _rows(self._execute(request, "listing bookings by time"))]

    def active_bookings(self, expert_id: str, start: datetime, end: datetime,
                        pending_since: datetime) -> list[Booking]:
        """The expert's time-holding bookings overlapping ``[start, end)`` (wall clock), in one
        request that the (expert_id, status, scheduled_date, ...) index serves."""
        if not _is_uuid(expert_id):
            return []
        rows = self._every_row(lambda: self._active(BOOKING_SELECT, expert_id, start, end, pending_since),
                               "reading the expert's bookings")
        return [_booking(r) for r in rows]

    def active_times(self, expert_id: str, start: datetime, end: datetime,
                     pending_since: datetime) -> list[HeldTime]:
        """The rows of ``active_bookings``, three columns of each (no names), in one request."""
        if not _is_uuid(expert_id):
            return []
        rows = self._every_row(
            lambda: self._active("id,scheduled_date,scheduled_time,duration", expert_id, start, end, pending_since),
            "reading the expert's bookings")
        return [HeldTime(r["id"], datetime.combine(date.fromisoformat(r["scheduled_date"]),
                                                   time.fromisoformat(r["scheduled_time"])), r["duration"])
                for r in rows]

    def missing_links(self, limit: int = 500) -> list[Booking]:
        """``paid`` bookings with no meeting link, oldest first."""
        request = (
            self._table("bookings").select(BOOKING_SELECT)
            .eq("status", BookingStatus.PAID.value)
            .is_("meeting_link", "null")
            .order("created_at")
            .limit(limit)
        )
        return [_booking(r) for r in _rows(self._execute(request, "listing bookings without a link"))]

    def confirmed_starting(self, after: datetime, until: datetime, limit: int = 1000) -> list[Booking]:
        """``confirmed`` bookings starting in ``(after, until]`` (wall clock), by start, in one
        request; the date bounds let the (status, scheduled_date) part of an index do the work."""
        request = (
            self._table("bookings").select(BOOKING_SELECT)
            .eq("status", BookingStatus.CONFIRMED.value)
            .gte("scheduled_date", after.date().isoformat())
            .lte("scheduled_date", until.date().isoformat())
            .gt("starts_at", _wall(after))
            .lte("starts_at", _wall(until))
            .order("scheduled_date")
            .order("scheduled_time")
            .limit(limit)
        )
        return [_booking(r) for r in _rows(self._execute(request, "listing sessions that start soon"))]

    def pending_since(self, older_than: datetime, limit: int = 200) -> list[Booking]:
        """``pending`` bookings created before ``older_than``, oldest first, in one request."""
        request = (
            self._table("bookings").select(BOOKING_SELECT)
            .eq("status", BookingStatus.PENDING.value)
            .lt("created_at", _iso(older_than))
            .order("created_at")
            .limit(limit)
        )
        return [_booking(r) for r in _rows(self._execute(request, "listing bookings awaiting payment"))]

    def recent_bookings(self, limit: int = 200, status: BookingStatus | None = None) -> list[Booking]:
        """The newest bookings, optionally of one status."""
        request = self._table("bookings").select(BOOKING_SELECT)
        if status is not None:
            request = request.eq("status", BookingStatus(status).value)
        request = request.order("created_at", desc=True).limit(limit)
        return [_booking(r) for r in _rows(self._execute(request, "listing bookings"))]

    def counts(self, today: date) -> OpsCounts:
        """The ops page's four numbers, in one request."""
        rows = _rows(self._execute(self._rpc("ops_counts", {"p_today": today.isoformat()}), "counting bookings"))
        row = rows[0] if rows else {}
        return OpsCounts(
            today=int(row.get("today") or 0),
            awaiting_payment=int(row.get("awaiting_payment") or 0),
            awaiting_link=int(row.get("awaiting_link") or 0),
            emails_not_sent=int(row.get("emails_not_sent") or 0),
        )

