"""Rows of the embedded store's tables as domain values, and the SQL pieces several parts share.

Used by ``lib.store.sqlite`` (the booking life) and ``lib.store.sqlite_ops`` (what the worker,
the endpoint and the Overview keep), which work on the same file.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from lib.domain import (
    ACTIVE_STATUSES,
    Attendance,
    Booking,
    BookingStatus,
    Email,
    EmailStatus,
    Expert,
)

_BOOKING_SELECT = """
SELECT b.*, u.name AS customer_name, u.email AS customer_email,
       e.name AS expert_name, e.email AS expert_email
FROM bookings b JOIN users u ON u.id = b.user_id JOIN experts e ON e.id = b.expert_id
"""
# A written bookings row as ``_booking`` reads it (``INSERT``/``UPDATE ... RETURNING`` this), so
# a transition returns its row without reading it again.
_BOOKING_RETURNING = """
RETURNING *, (SELECT name FROM users WHERE id = user_id) AS customer_name,
       (SELECT email FROM users WHERE id = user_id) AS customer_email,
       (SELECT name FROM experts WHERE id = expert_id) AS expert_name,
       (SELECT email FROM experts WHERE id = expert_id) AS expert_email
"""
_ACTIVE = tuple(s.value for s in ACTIVE_STATUSES)
_ACTIVE_SQL = "(" + ", ".join(f"'{s}'" for s in _ACTIVE) + ")"
def _ts(value: datetime) -> str:
    """Instants are stored as UTC ISO strings, so they compare as text."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _parse_ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _attendance(r: sqlite3.Row) -> Attendance:
    return Attendance(
        booking_id=r["booking_id"], status=r["status"], expert_joined=bool(r["expert_joined"]),
        customer_joined=bool(r["customer_joined"]), expert_joined_at=_parse_ts(r["expert_joined_at"]),
        expert_left_at=_parse_ts(r["expert_left_at"]), customer_joined_at=_parse_ts(r["customer_joined_at"]),
        customer_left_at=_parse_ts(r["customer_left_at"]), together_minutes=int(r["together_minutes"]),
        expert_match=r["expert_match"], customer_match=r["customer_match"], attempts=int(r["attempts"]),
        checked_at=_parse_ts(r["checked_at"]), next_check_at=_parse_ts(r["next_check_at"]),
        last_error=r["last_error"] or "",
    )


def _booking(row: sqlite3.Row) -> Booking:
    return Booking(
        id=row["id"],
        user_id=row["user_id"],
        expert_id=row["expert_id"],
        session_type=row["session_type"],
        scheduled_date=date.fromisoformat(row["scheduled_date"]),
        scheduled_time=time.fromisoformat(row["scheduled_time"]),
        duration=row["duration"],
        status=BookingStatus(row["status"]),
        price=row["price"],
        customer_name=row["customer_name"],
        customer_email=row["customer_email"],
        expert_name=row["expert_name"],
        expert_email=row["expert_email"],
        meeting_link=row["meeting_link"],
        google_event_id=row["google_event_id"],
        event_version=row["event_version"],
        revision=row["revision"],
        link_attempts=row["link_attempts"],
        last_error=row["last_error"],
        payment_ref=row["payment_ref"],
        created_at=_parse_ts(row["created_at"]),
        paid_at=_parse_ts(row["paid_at"]),
        confirmed_at=_parse_ts(row["confirmed_at"]),
        cancelled_at=_parse_ts(row["cancelled_at"]),
        cancel_reason=row["cancel_reason"],
        payment_order_id=row["payment_order_id"],
        payment_token=row["payment_token"],
        payment_url=row["payment_url"],
        payment_attempts=row["payment_attempts"],
        payment_started_at=_parse_ts(row["payment_started_at"]),
        session_type_id=row["session_type_id"],
        session_names=tuple(sorted(json.loads(row["session_names"] or "{}").items())),
    )


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local_day(instant: str | None, zone: str) -> str | None:
    """SQL ``local_day(ts, zone)``: the date (``YYYY-MM-DD``) of a stored UTC instant in ``zone``."""
    if instant is None:
        return None
    return datetime.fromisoformat(instant).astimezone(_zone(zone)).date().isoformat()


def _day_sql(start: datetime, end: datetime, zone: str) -> tuple[str, tuple[str, ...]]:
    """SQL for ``created_at``'s day in ``zone``: SQLite's own date arithmetic when the zone keeps
    one UTC offset over ``[start, end]`` (WIB always does), else ``local_day`` (Python per row,
    several times slower)."""
    tz = _zone(zone)
    days = (end - start).days + 1
    offsets = {(start + timedelta(days=i)).astimezone(tz).utcoffset() for i in range(days + 1)}
    if len(offsets) == 1:
        minutes = int(offsets.pop().total_seconds() // 60)  # type: ignore[union-attr]
        return f"date(created_at, '{minutes:+d} minutes')", ()
    return "local_day(created_at, ?)", (zone,)


def _wall_instant(wall: str | None, zone: str) -> str | None:
    """SQL ``wall_instant(wall, zone)``: a wall-clock time in ``zone`` (``YYYY-MM-DD HH:MM:SS``,
    as ``starts_at``) as a UTC instant in the stored form."""
    if wall is None:
        return None
    return _ts(datetime.fromisoformat(wall).replace(tzinfo=_zone(zone)))


def _start_sql(start: datetime, end: datetime, zone: str) -> tuple[str, tuple[str, ...]]:
    """SQL for a session's start (``starts_at``, wall clock in ``zone``) as a UTC instant:
    SQLite's own arithmetic when the zone keeps one UTC offset from ``start`` until two years
    after ``end`` (sessions are booked at most a horizon ahead; WIB never changes), else
    ``wall_instant`` (Python per row)."""
    tz = _zone(zone)
    days = (end - start).days + 2 * 366
    offsets = {(start + timedelta(days=i)).astimezone(tz).utcoffset() for i in range(days + 1)}
    if len(offsets) == 1:
        minutes = int(offsets.pop().total_seconds() // 60)  # type: ignore[union-attr]
        return f"datetime(b.starts_at, '{-minutes:+d} minutes')", ()
    return "wall_instant(b.starts_at, ?)", (zone,)


def _expert(row: sqlite3.Row) -> Expert:
    return Expert(row["id"], row["name"], row["email"], row["hourly_rate"], row["expertise"], row["calendar_id"] or "")


def like_pattern(query: str) -> str:
    """``%query%`` for ``LIKE ... ESCAPE '\\'``: the query's own ``%``, ``_`` and ``\\`` match
    themselves; ``*`` matches any one character, as it does in the Supabase store (PostgREST
    reads every ``*`` of a like pattern as ``%``)."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "_")
    return f"%{escaped}%"


def _email(row: sqlite3.Row) -> Email:
    return Email(
        id=row["id"],
        booking_id=row["booking_id"],
        kind=row["kind"],
        version=row["version"],
        recipient=row["recipient"],
        subject=row["subject"],
        body_text=row["body_text"],
        body_html=row["body_html"],
        status=EmailStatus(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        created_at=_parse_ts(row["created_at"]),  # type: ignore[arg-type]
        sent_at=_parse_ts(row["sent_at"]),
        ics=row["ics"],
    )
