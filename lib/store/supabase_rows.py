"""How the production store reads and writes rows: the columns each PostgREST request selects,
and the mapping between PostgREST's JSON rows and the console's values (bookings, people,
emails, attendance, history lines). Shared by ``supabase.py`` and ``supabase_ops.py``; split
out only so that each file reads as one subject.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from lib.domain import (
    ACTIVE_STATUSES,
    Attendance,
    Booking,
    BookingStatus,
    Customer,
    Email,
    EmailDraft,
    EmailStatus,
    Expert,
    HistoryLine,
)
from lib.timefmt import medium_when

_BOOKING_COLUMNS = (
    "id,user_id,expert_id,session_type,scheduled_date,scheduled_time,duration,status,price,"
    "meeting_link,google_event_id,event_version,revision,link_attempts,last_error,payment_ref,"
    "request_key,created_at,paid_at,confirmed_at,cancelled_at,cancel_reason,"
    "payment_order_id,payment_token,payment_url,payment_attempts,payment_started_at,session_type_id,session_names"
)
# Names of both sides in the same request, through the foreign keys on user_id and expert_id.
BOOKING_SELECT = _BOOKING_COLUMNS + ",customer:users!user_id(name,email),expert:experts!expert_id(name,email)"
EXPERT_SELECT = "id,name,email,hourly_rate,expertise,calendar_id"
AVAILABILITY_SELECT = (
    "timezone,weekly,overrides,buffer_before,buffer_after,min_notice_minutes,slot_step_minutes,max_per_day,horizon_days"
)
CUSTOMER_SELECT = "id,name,email"
HISTORY_SELECT = "booking_id,at,event,detail,actor"
EMAIL_SELECT = (
    "id,booking_id,kind,version,recipient,subject,body_text,body_html,ics,status,attempts,last_error,created_at,"
    "sent_at"
)
JOB_RUN_SELECT = "job,worker,started_at,finished_at,outcome,message,counts"
_ACTIVE = tuple(s.value for s in ACTIVE_STATUSES)


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _iso(instant: datetime) -> str:
    """An instant as UTC ISO text, as the SQLite store keeps it."""
    return instant.astimezone(UTC).isoformat()


def _wall(moment: datetime) -> str:
    """A wall-clock moment in the app timezone, compared with the ``timestamp`` columns."""
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _money(value: Any) -> int:
    # The platform's price column may be numeric: PostgREST then sends 250000.00.
    return int(Decimal(str(value)))


def _attendance(r: Mapping[str, Any]) -> Attendance:
    return Attendance(
        booking_id=str(r["booking_id"]), status=r["status"], expert_joined=bool(r["expert_joined"]),
        customer_joined=bool(r["customer_joined"]), expert_joined_at=_ts(r.get("expert_joined_at")),
        expert_left_at=_ts(r.get("expert_left_at")), customer_joined_at=_ts(r.get("customer_joined_at")),
        customer_left_at=_ts(r.get("customer_left_at")), together_minutes=int(r.get("together_minutes") or 0),
        expert_match=r["expert_match"], customer_match=r["customer_match"], attempts=int(r.get("attempts") or 0),
        checked_at=_ts(r.get("checked_at")), next_check_at=_ts(r.get("next_check_at")),
        last_error=r.get("last_error") or "",
    )


def _booking(row: Mapping[str, Any]) -> Booking:
    customer = row.get("customer") or {}
    expert = row.get("expert") or {}
    return Booking(
        id=row["id"],
        user_id=row["user_id"],
        expert_id=row["expert_id"],
        session_type=row["session_type"],
        scheduled_date=date.fromisoformat(row["scheduled_date"]),
        scheduled_time=time.fromisoformat(row["scheduled_time"]),
        duration=row["duration"],
        status=BookingStatus(row["status"]),
        price=_money(row["price"]),
        customer_name=customer.get("name", ""),
        customer_email=customer.get("email", ""),
        expert_name=expert.get("name", ""),
        expert_email=expert.get("email", ""),
        meeting_link=row.get("meeting_link"),
        google_event_id=row.get("google_event_id"),
        event_version=row.get("event_version") or 0,
        revision=row.get("revision") or 0,
        link_attempts=row.get("link_attempts") or 0,
        last_error=row.get("last_error"),
        payment_ref=row.get("payment_ref"),
        created_at=_ts(row.get("created_at")),
        paid_at=_ts(row.get("paid_at")),
        confirmed_at=_ts(row.get("confirmed_at")),
        cancelled_at=_ts(row.get("cancelled_at")),
        cancel_reason=row.get("cancel_reason"),
        payment_order_id=row.get("payment_order_id"),
        payment_token=row.get("payment_token"),
        payment_url=row.get("payment_url"),
        payment_attempts=row.get("payment_attempts") or 0,
        payment_started_at=_ts(row.get("payment_started_at")),
        session_type_id=str(row["session_type_id"]) if row.get("session_type_id") else None,
        session_names=tuple(sorted((row.get("session_names") or {}).items())),
    )


def _expert(row: Mapping[str, Any]) -> Expert:
    return Expert(row["id"], row["name"], row["email"], _money(row["hourly_rate"]), row.get("expertise") or "",
                  row.get("calendar_id") or "")


def ilike_value(query: str) -> str:
    """``query`` as the quoted value of an ``ilike`` filter inside PostgREST's ``or=(...)``,
    matching names and emails that contain it.

    LIKE's own ``%``, ``_`` and ``\\`` are escaped so they match themselves; PostgREST turns
    every ``*`` into ``%``, so a typed ``*`` becomes ``_`` (any one character, itself included).
    The value is double-quoted, with ``\\`` and ``"`` backslash-escaped, so commas, dots and
    parentheses in it do not end the filter.
    """
    like = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "_")
    pattern = f"*{like}*"
    return '"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _customer(row: Mapping[str, Any]) -> Customer:
    return Customer(row["id"], row["name"], row["email"])


def _email(row: Mapping[str, Any]) -> Email:
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
        last_error=row.get("last_error"),
        created_at=_ts(row["created_at"]),  # type: ignore[arg-type]
        sent_at=_ts(row.get("sent_at")),
        ics=row.get("ics"),
    )


def _drafts(emails: Sequence[EmailDraft]) -> list[dict[str, Any]]:
    return [
        {"booking_id": e.booking_id, "kind": e.kind, "version": e.version, "recipient": e.recipient,
         "subject": e.subject, "body_text": e.body_text, "body_html": e.body_html, "ics": e.ics,
         "replaces": list(e.replaces)}
        for e in emails
    ]


def _line(line: HistoryLine) -> dict[str, str]:
    """The history line a transition function writes as given (the service words it)."""
    return {"p_event": line.event, "p_detail": line.detail}


def _rows(data: Any) -> list[dict[str, Any]]:
    if data is None:
        return []
    return data if isinstance(data, list) else [data]


def _slot(day: date, at: time) -> str:
    """A session's start as a message names it: ``Mon 11 Mar 2030, 14:00``."""
    return medium_when(day, at)
