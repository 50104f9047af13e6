"""The production store: the platform's Supabase project, through PostgREST with supabase-py.

Server side only, with the service-role key (which bypasses row level security). The schema and
the functions it calls come from ``supabase/migrations``. Every page read is one request:
customer and expert names come as embedded resources, filters and order run in PostgREST, and
each transition that writes several rows is one SQL function called over ``/rpc``.

Longer than 400 lines on purpose: the whole ``BookingStore`` protocol plus the mapping of
PostgREST's errors at this boundary, kept together so each method sits beside the SQL it calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from postgrest.exceptions import APIError
from postgrest.types import ReturnMethod

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
    HeldTime,
    HistoryEntry,
    HistoryLine,
    JobOutcome,
    JobRun,
    JoinClicks,
    Meeting,
    NewBooking,
    NewCustomer,
    OpsCounts,
)
from lib.errors import (
    ConfigError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    SlotTaken,
    StoreFailed,
    StoreUnavailable,
)
from lib.overview import DayCount, ExpertAttendance, Funnel, Lateness, LinkDelay, OverviewStats, WeekRevenue
from lib.scheduling import Availability, from_json, to_json
from lib.store import EmailsFor, LineFor
from supabase import Client, ClientOptions, create_client  # the installed package, not ./supabase

_BOOKING_COLUMNS = (
    "id,user_id,expert_id,session_type,scheduled_date,scheduled_time,duration,status,price,"
    "meeting_link,google_event_id,event_version,revision,link_attempts,last_error,payment_ref,"
    "request_key,created_at,paid_at,confirmed_at,cancelled_at,cancel_reason,"
    "payment_order_id,payment_token,payment_url,payment_attempts,payment_started_at"
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

# PostgREST error codes (SQLSTATEs, PGRST codes, or the HTTP status when the body is not
# PostgREST's) grouped by what the person should do about them.
_RETRYABLE = {
    "40001", "40P01", "57014", "53300", "08000", "08003", "08006",  # serialization, deadlock, timeout, connections
    "PGRST000", "PGRST001", "PGRST002", "PGRST003",  # PostgREST cannot reach the database or its pool
    "429", "500", "502", "503", "504", "520", "522", "524",
}
_KEY_REFUSED = {"PGRST300", "PGRST301", "PGRST302", "PGRST303", "401", "403", "42501"}
_SCHEMA_MISSING = {"PGRST200", "PGRST202", "PGRST204", "PGRST205", "42P01", "42703", "42883", "404"}
_BAD_INPUT = {"22P02", "22023", "22007", "22008", "23502", "23514"}


class _SameRequest(StoreFailed):
    """The request_key is taken: the same booking form was submitted twice (handled inside)."""

    def __init__(self) -> None:
        super().__init__("This booking form was already submitted; refresh the page.")


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
    return f"{day:%d %b %Y} {at:%H:%M}"


class SupabaseStore:
    """``BookingStore`` on the platform's Supabase project (PostgREST), server side.

    Build it with :meth:`from_settings`. The service-role key lives only inside the supabase
    client's request headers: it is not an attribute here, not in ``repr`` and not in any
    error message.
    """

    def __init__(self, client: Client, http: httpx.Client, url: str, timeout_seconds: float) -> None:
        self._client = client
        self._http = http
        self.url = url
        self.timeout_seconds = timeout_seconds

    @classmethod
    def from_settings(
        cls,
        url: str,
        service_role_key: str,
        timeout_seconds: float = 10.0,
        *,
        retry_reads: bool = True,
    ) -> SupabaseStore:
        """A store on the project at ``url`` with the service-role key.

        Requests use our own HTTP/1.1 client with explicit timeouts: supabase-py's default
        HTTP/2 client reuses idle connections that the server has dropped, which under
        Streamlit shows up as "Server disconnected". ``retry_reads`` lets supabase-py retry a
        GET after a network error (writes are never retried blindly).
        """
        url = (url or "").strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                "Setting `supabase_url` must be the project URL, e.g. https://abcd1234.supabase.co "
                "(Project Settings -> API)."
            )
        if parts.path.rstrip("/").endswith("/rest/v1"):
            raise ConfigError("Setting `supabase_url` must be the project URL without /rest/v1.")
        if not (service_role_key or "").strip():
            raise ConfigError(
                "Setting `supabase_service_role_key` is empty: copy the service_role key from the "
                "project's API settings into .streamlit/secrets.toml or CALLEXPERT_SUPABASE_SERVICE_ROLE_KEY."
            )
        if timeout_seconds <= 0:
            raise ConfigError("Setting `supabase_timeout_seconds` must be more than 0.")
        http = httpx.Client(
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0)),
            http2=False,
            follow_redirects=True,
        )
        options = ClientOptions(
            httpx_client=http,
            postgrest_client_retry=retry_reads,
            auto_refresh_token=False,
            persist_session=False,
        )
        client = create_client(url, service_role_key.strip(), options=options)
        return cls(client, http, url, timeout_seconds)

    def __repr__(self) -> str:
        return f"SupabaseStore(url={self.url!r})"

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    # -- requests and errors ----------------------------------------------------------------
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
        )

    def _table(self, name: str):  # noqa: ANN202 - supabase-py's builder types are internal
        return self._client.table(name)

    def _rpc(self, name: str, params: dict[str, Any]):  # noqa: ANN202
        return self._client.rpc(name, params)

    def _execute(self, request: Any, doing: str, *, slot: str | None = None) -> Any:
        """Send one request; turn PostgREST and transport errors into the console's errors."""
        try:
            response = request.execute()
        except APIError as exc:
            raise self._error(exc, doing, slot) from exc
        except httpx.TimeoutException as exc:
            raise StoreUnavailable(
                f"Supabase did not answer within {self.timeout_seconds:g} s while {doing}; "
                "refresh to see whether it went through, then try again."
            ) from exc
        except httpx.TransportError as exc:
            host = urlsplit(self.url).netloc
            raise StoreUnavailable(
                f"Could not reach Supabase at {host} while {doing} ({type(exc).__name__}); "
                "check the network and try again."
            ) from exc
        return None if response is None else response.data

    def _error(self, exc: APIError, doing: str, slot: str | None) -> Exception:
        code = str(exc.code or "")
        text = str(exc.message or "no message")
        where = f"{exc.message or ''} {exc.details or ''}"
        if code == "23P01":
            return SlotTaken(
                f"This expert already has a session overlapping {slot}; pick another time."
                if slot else "This expert already has a session at that time; pick another time."
            )
        if code == "23505":
            if "request_key" in where:
                return _SameRequest()
            if "email" in where:
                return InvalidInput("Someone with this email already exists; pick them from the list.")
            return SlotTaken(
                f"This expert already has a session at {slot}; pick another time."
                if slot else "This expert already has a session at that time; pick another time."
            )
        if code == "23503":
            return NotFound(f"Unknown expert, customer or booking while {doing}; refresh and pick again.")
        if code == "P0002":
            return NotFound(text)
        if code == "55000":
            return InvalidTransition(text)
        if code in _BAD_INPUT:
            return InvalidInput(f"Supabase refused the data while {doing}: {text}")
        if code in _RETRYABLE:
            return StoreUnavailable(f"Supabase is busy or unavailable ({code}) while {doing}; try again in a moment.")
        if code in _KEY_REFUSED:
            return ConfigError(
                f"Supabase refused access while {doing} ({code}): check that `supabase_service_role_key` "
                "is the project's service_role key, not the anon key."
            )
        if code in _SCHEMA_MISSING:
            return ConfigError(
                f"The Supabase database lacks what the console needs while {doing} ({code}: {text}); "
                "apply supabase/migrations (supabase db push) and check `supabase_url`."
            )
        return StoreFailed(f"Supabase refused the request while {doing} ({code or 'no code'}): {text}")

    # -- people -------------------------------------------------------------------------------
    def list_experts(self) -> list[Expert]:
        """Every expert, by name."""
        data = self._execute(self._table("experts").select(EXPERT_SELECT).order("name"), "listing experts")
        return [_expert(r) for r in _rows(data)]

    def get_expert(self, expert_id: str) -> Expert | None:
        """The expert, or ``None`` (also for an id that is not a uuid: no request then)."""
        if not _is_uuid(expert_id):
            return None
        data = self._execute(
            self._table("experts").select(EXPERT_SELECT).eq("id", expert_id).maybe_single(), "reading an expert"
        )
        return _expert(data) if data else None

    def add_expert(self, name: str, email: str, hourly_rate: int, expertise: str = "",
                   calendar_id: str = "") -> Expert:
        """Insert an expert and return it as stored (an empty ``calendar_id`` is their email)."""
        row = {"id": str(uuid.uuid4()), "name": name, "email": email, "hourly_rate": hourly_rate,
               "expertise": expertise, "calendar_id": calendar_id or None}
        data = self._execute(self._table("experts").insert(row).select(EXPERT_SELECT), "adding an expert")
        return _expert(_rows(data)[0])

    def set_calendar_id(self, expert_id: str, calendar_id: str) -> Expert:
        """Change the expert's calendar id (empty: their email): one PATCH that returns the row."""
        if not _is_uuid(expert_id):
            raise NotFound("Unknown expert; pick one from the list.")
        data = self._execute(
            self._table("experts").update({"calendar_id": calendar_id or None}).eq("id", expert_id)
            .select(EXPERT_SELECT), "changing the expert's calendar id")
        rows = _rows(data)
        if not rows:
            raise NotFound("Unknown expert; pick one from the list.")
        return _expert(rows[0])

    def get_availability(self, expert_id: str) -> Availability | None:
        """The expert's stored availability, or ``None`` (one request; none for a non-uuid id)."""
        if not _is_uuid(expert_id):
            return None
        data = self._execute(
            self._table("expert_availability").select(AVAILABILITY_SELECT).eq("expert_id", expert_id).maybe_single(),
            "reading the expert's availability",
        )
        return from_json(dict(data)) if data else None

    def set_availability(self, expert_id: str, availability: Availability) -> None:
        """Store (replace) the expert's availability: one RPC, one statement."""
        if not _is_uuid(expert_id):
            raise NotFound("Unknown expert; pick one from the list.")
        schedule = to_json(availability, expert=expert_id)
        self._execute(self._rpc("expert_availability_put", {"p_expert_id": expert_id, "p_schedule": schedule}),
                      "saving the expert's availability")

    def search_customers(self, query: str, limit: int = 20) -> list[Customer]:
        """Customers whose name or email contains ``query`` (case-insensitive), by name: one
        request with ``or=(name.ilike.*q*,email.ilike.*q*)`` and the limit."""
        value = ilike_value(query.strip())
        request = (
            self._table("users").select(CUSTOMER_SELECT)
            .or_(f"name.ilike.{value},email.ilike.{value}")
            .order("name").order("email")
            .limit(max(0, int(limit)))
        )
        return [_customer(r) for r in _rows(self._execute(request, "searching customers"))]

    def list_customers(self) -> list[Customer]:
        """Every customer, by name."""
        data = self._execute(self._table("users").select(CUSTOMER_SELECT).order("name"), "listing customers")
        return [_customer(r) for r in _rows(data)]

    def get_customer(self, customer_id: str) -> Customer | None:
        """The customer, or ``None``."""
        if not _is_uuid(customer_id):
            return None
        data = self._execute(
            self._table("users").select(CUSTOMER_SELECT).eq("id", customer_id).maybe_single(), "reading a customer"
        )
        return _customer(data) if data else None

    def add_customer(self, customer: NewCustomer) -> Customer:
        """The customer with this email (case-insensitive), inserted if new; a stored name is kept."""
        data = self._execute(
            self._rpc("customer_upsert", {"p_name": customer.name, "p_email": customer.email}).select(CUSTOMER_SELECT),
            "saving a customer",
        )
        return _customer(_rows(data)[0])

    # -- bookings -----------------------------------------------------------------------------
    def create_booking(self, new: NewBooking, actor: str, *, line: HistoryLine) -> Booking:
        """Insert as ``pending`` with its history (and new customer) in one request.

        The exclusion constraint refuses an overlapping slot (``SlotTaken``); a ``request_key``
        seen before returns the booking it created.
        """
        if new.customer_id is None and new.new_customer is None:
            raise InvalidInput("Pick a customer or enter a new one.")
        if new.customer_id is not None and not _is_uuid(new.customer_id):
            raise NotFound(f"No customer with id {new.customer_id}.")
        if not _is_uuid(new.expert_id):
            raise NotFound("Unknown expert; pick one from the list.")
        params = {
            "p_id": new.id,
            "p_expert_id": new.expert_id,
            "p_session_type": new.session_type,
            "p_date": new.scheduled_date.isoformat(),
            "p_time": new.scheduled_time.strftime("%H:%M:%S"),
            "p_duration": new.duration,
            "p_price": new.price,
            "p_customer_id": new.customer_id,
            "p_customer_name": new.new_customer.name if new.new_customer and not new.customer_id else None,
            "p_customer_email": new.new_customer.email if new.new_customer and not new.customer_id else None,
            "p_request_key": new.request_key,
            "p_actor": actor,
            **_line(line),
        }
        try:
            data = self._execute(self._rpc("booking_create", params).select(BOOKING_SELECT), "saving the booking",
                                 slot=_slot(new.scheduled_date, new.scheduled_time))
        except _SameRequest:
            # Two submits of one form raced past the function's own look-up: the first one won.
            earlier = self.find_by_request_key(new.request_key or "")
            if earlier is None:
                raise StoreUnavailable("The booking form was submitted twice and the first booking cannot be read "
                                       "yet; refresh the page.") from None
            return earlier
        row = _rows(data)[0]
        if not row.get("customer"):
            # A customer the function inserted is not visible to the embed of the same statement
            # (it reads the statement's snapshot): read the booking again, now committed.
            fresh = self.get_booking(row["id"])
            if fresh is not None:
                return fresh
        return _booking(row)

    def get_booking(self, booking_id: str) -> Booking | None:
        """The booking with both names, or ``None``."""
        if not _is_uuid(booking_id):
            return None
        data = self._execute(
            self._table("bookings").select(BOOKING_SELECT).eq("id", booking_id).maybe_single(), "reading a booking"
        )
        return _booking(data) if data else None

    def find_by_request_key(self, request_key: str) -> Booking | None:
        """The booking a booking form (identified by its key) created, if any."""
        if not request_key:
            return None
        data = self._execute(
            self._table("bookings").select(BOOKING_SELECT).eq("request_key", request_key).maybe_single(),
            "looking up the booking form",
        )
        return _booking(data) if data else None

    def _transition(self, name: str, params: dict[str, Any], doing: str, *, slot: str | None = None) -> Booking | None:
        if not _is_uuid(params["p_id"]):
            return None
        rows = _rows(self._execute(self._rpc(name, params).select(BOOKING_SELECT), doing, slot=slot))
        return _booking(rows[0]) if rows else None

    def mark_paid(self, booking_id: str, payment_ref: str, at: datetime, actor: str, *,
                  line: HistoryLine, count_attempt: bool = False,
                  lease_until: datetime | None = None) -> Booking | None:
        """``pending -> paid``; ``None`` when the booking was not pending. One request: the
        attempt (``count_attempt``) and the link lease (``lease_until``) are taken by the same
        statement of ``booking_mark_paid``."""
        params = {"p_id": booking_id, "p_payment_ref": payment_ref, "p_at": _iso(at), "p_actor": actor,
                  **_line(line), "p_count_attempt": count_attempt,
                  "p_lease_until": _iso(lease_until) if lease_until else None}
        return self._transition("booking_mark_paid", params, "recording the payment")

    def add_payment_attempt(self, booking_id: str) -> Booking | None:
        """Count one more payment attempt of a ``pending`` booking; ``None`` when not pending."""
        return self._transition("booking_add_payment_attempt", {"p_id": booking_id}, "numbering the payment")

    def start_payment(self, booking_id: str, order_id: str, token: str, redirect_url: str, at: datetime,
                      actor: str, *, line: HistoryLine) -> Booking | None:
        """Store the current gateway payment of a ``pending`` booking with its history entry."""
        params = {"p_id": booking_id, "p_order_id": order_id, "p_token": token, "p_url": redirect_url,
                  "p_at": _iso(at), "p_actor": actor, **_line(line)}
        return self._transition("booking_start_payment", params, "storing the payment")

    def mark_payment_failed(self, booking_id: str, reason: str, at: datetime, actor: str, *,
                            line: HistoryLine) -> Booking | None:
        """``pending -> cancelled`` after a failed payment; ``None`` when no longer pending."""
        params = {"p_id": booking_id, "p_reason": reason, "p_at": _iso(at), "p_actor": actor, **_line(line)}
        return self._transition("booking_payment_failed", params, "recording the failed payment")

    def claim_for_link(self, booking_id: str, now: datetime, lease_until: datetime) -> Booking | None:
        """Lease a ``paid`` booking without a link; one conditional PATCH, so one worker wins."""
        if not _is_uuid(booking_id):
            return None
        request = (
            self._table("bookings")
            .update({"link_lease_until": _iso(lease_until)})
            .eq("id", booking_id)
            .eq("status", "paid")
            .is_("meeting_link", "null")
            .or_(f'link_lease_until.is.null,link_lease_until.lt."{_iso(now)}"')
            .select(BOOKING_SELECT)
        )
        rows = _rows(self._execute(request, "claiming the booking for its link"))
        return _booking(rows[0]) if rows else None

    def record_link_attempt(self, booking_id: str, error: str | None, actor: str, *, line: HistoryLine) -> None:
        """Count a link attempt and log it; an error becomes the booking's last error."""
        if not _is_uuid(booking_id):
            return
        self._execute(
            self._rpc("booking_record_link_attempt",
                      {"p_id": booking_id, "p_error": error, "p_actor": actor, **_line(line)}),
            "recording the link attempt",
        )

    def complete_ended(self, now_local: datetime, at: datetime, actor: str, *, line: HistoryLine) -> int:
        """``confirmed -> completed`` for sessions that ended by ``now_local`` (app wall clock); one request."""
        params = {"p_now": now_local.replace(tzinfo=None).isoformat(timespec="seconds"), "p_at": _iso(at),
                  "p_actor": actor, **_line(line)}
        return int(self._execute(self._rpc("booking_complete_ended", params), "completing ended sessions") or 0)

    def expire_pending(self, cutoff: datetime, now: datetime, actor: str, *, line: HistoryLine) -> list[Booking]:
        """``pending -> expired`` for bookings created before ``cutoff``, with history; one RPC."""
        params = {"p_cutoff": _iso(cutoff), "p_at": _iso(now), "p_actor": actor, **_line(line)}
        request = self._rpc("booking_expire_pending", params).select(BOOKING_SELECT)
        return [_booking(r) for r in _rows(self._execute(request, "expiring unpaid bookings"))]

    def release_link_claim(self, booking_id: str) -> None:
        """Give the lease back so another worker (or the next run) can try."""
        if not _is_uuid(booking_id):
            return
        self._execute(
            self._table("bookings").update({"link_lease_until": None}, returning=ReturnMethod.minimal)
            .eq("id", booking_id),
            "releasing the booking",
        )

    def pay_and_confirm(self, booking_id: str, payment_ref: str, meeting: Meeting, at: datetime,
                        emails: Sequence[EmailDraft], actor: str, *, paid: HistoryLine, attempt: HistoryLine,
                        line: HistoryLine, lease_until: datetime) -> Booking | None:
        """Two requests, each the step it is alone: the payment (its attempt counted, the link
        lease taken), then the confirmation. A failure between them leaves the booking paid and
        leased, and a worker links it once the lease runs out."""
        if self.mark_paid(booking_id, payment_ref, at, actor, line=paid, count_attempt=True,
                          lease_until=lease_until) is None:
            return None
        return self.confirm(booking_id, meeting.url, meeting.event_id or None, meeting.event_version, at, emails,
                            actor, line=line, attempt=attempt)

    def confirm(self, booking_id: str, meeting_link: str, event_id: str | None, event_version: int,
                at: datetime, emails: Sequence[EmailDraft], actor: str, *, line: HistoryLine,
                attempt: HistoryLine | None = None) -> Booking | None:
        """``paid -> confirmed`` with the link, history and emails; ``None`` when not paid. One
        request: ``booking_confirm`` counts and logs the link ``attempt`` too, only when it did
        confirm, before the confirmation's line."""
        params = {"p_id": booking_id, "p_meeting_link": meeting_link, "p_event_id": event_id,
                  "p_event_version": event_version, "p_at": _iso(at), "p_emails": _drafts(emails),
                  "p_actor": actor, **_line(line),
                  "p_attempt_event": attempt.event if attempt else None,
                  "p_attempt_detail": attempt.detail if attempt else None}
        return self._transition("booking_confirm", params, "confirming the booking")

    def reschedule(self, booking_id: str, new_date: date, new_time: time, at: datetime,
                   emails_for: EmailsFor, actor: str, *, line_for: LineFor) -> Booking:
        """Move the booking: read it, render the emails and the history line from the moved
        booking, then one RPC that moves it only if its revision is still the one they were
        rendered from."""
        current = self.get_booking(booking_id)
        if current is None:
            raise NotFound(f"No booking with id {booking_id}.")
        if current.status not in ACTIVE_STATUSES:
            raise InvalidTransition(f"A {current.status.value} booking cannot be rescheduled.")
        moved = replace(current, scheduled_date=new_date, scheduled_time=new_time, revision=current.revision + 1)
        params = {"p_id": booking_id, "p_revision": current.revision, "p_date": new_date.isoformat(),
                  "p_time": new_time.strftime("%H:%M:%S"), "p_at": _iso(at), "p_emails": _drafts(emails_for(moved)),
                  "p_actor": actor, **_line(line_for(current, moved))}
        try:
            result = self._transition("booking_reschedule", params, "moving the booking",
                                      slot=_slot(new_date, new_time))
        except SlotTaken:
            raise SlotTaken(
                f"{current.expert_name} already has a session overlapping {new_date:%d %b %Y} {new_time:%H:%M}."
            ) from None
        if result is None:  # the function raises rather than return nothing; keep the type honest
            raise NotFound(f"No booking with id {booking_id}.")
        return result

    def cancel(self, booking_id: str, at: datetime, reason: str, emails: Sequence[EmailDraft],
               actor: str, *, line: HistoryLine) -> Booking | None:
        """Active -> ``cancelled`` with history and emails; ``None`` when no longer active."""
        params = {"p_id": booking_id, "p_at": _iso(at), "p_reason": reason, "p_emails": _drafts(emails),
                  "p_actor": actor, **_line(line)}
        return self._transition("booking_cancel", params, "cancelling the booking")

    # -- lists for the pages ------------------------------------------------------------------
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

    def active_bookings(self, expert_id: str, start: datetime, end: datetime,
                        pending_since: datetime) -> list[Booking]:
        """The expert's time-holding bookings overlapping ``[start, end)`` (wall clock), in one
        request that the (expert_id, status, scheduled_date, ...) index serves."""
        if not _is_uuid(expert_id):
            return []
        request = self._active(BOOKING_SELECT, expert_id, start, end, pending_since)
        return [_booking(r) for r in _rows(self._execute(request, "reading the expert's bookings"))]

    def active_times(self, expert_id: str, start: datetime, end: datetime,
                     pending_since: datetime) -> list[HeldTime]:
        """The rows of ``active_bookings``, three columns of each (no names), in one request."""
        if not _is_uuid(expert_id):
            return []
        request = self._active("id,scheduled_date,scheduled_time,duration", expert_id, start, end, pending_since)
        return [HeldTime(r["id"], datetime.combine(date.fromisoformat(r["scheduled_date"]),
                                                   time.fromisoformat(r["scheduled_time"])), r["duration"])
                for r in _rows(self._execute(request, "reading the expert's bookings"))]

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

    def history(self, booking_id: str) -> list[HistoryEntry]:
        """What happened to the booking, oldest first."""
        if not _is_uuid(booking_id):
            return []
        request = self._table("booking_history").select(HISTORY_SELECT).eq("booking_id", booking_id).order("id")
        return [HistoryEntry(r["booking_id"], _ts(r["at"]), r["event"], r["detail"], r["actor"])  # type: ignore[arg-type]
                for r in _rows(self._execute(request, "reading the booking history"))]

    def add_history(self, booking_id: str, event: str, detail: str, actor: str) -> None:
        """Append one history entry."""
        row = {"booking_id": booking_id, "event": event, "detail": detail, "actor": actor}
        self._execute(self._table("booking_history").insert(row, returning=ReturnMethod.minimal),
                      "writing the booking history")

    # -- email outbox -------------------------------------------------------------------------
    def claim_queued_emails(self, now: datetime, lease_until: datetime, limit: int = 100) -> list[Email]:
        """Lease queued emails; SKIP LOCKED in the function keeps two dispatchers apart."""
        params = {"p_now": _iso(now), "p_lease_until": _iso(lease_until), "p_limit": limit}
        return [_email(r) for r in _rows(self._execute(self._rpc("email_claim_queued", params), "claiming emails"))]

    def list_emails(self, limit: int = 200, booking_id: str | None = None) -> list[Email]:
        """The newest outbox rows, optionally of one booking."""
        request = self._table("email_outbox").select(EMAIL_SELECT)
        if booking_id is not None:
            if not _is_uuid(booking_id):
                return []
            request = request.eq("booking_id", booking_id)
        request = request.order("id", desc=True).limit(limit)
        return [_email(r) for r in _rows(self._execute(request, "listing emails"))]

    def queue_emails(self, emails: Sequence[EmailDraft], at: datetime, not_before: datetime | None = None) -> None:
        """Queue emails no transition causes (the "link still being prepared" notice), claimable
        from ``not_before``; idempotent by (booking, kind, version), like the transitions' queueing."""
        params = {"p_emails": _drafts(emails), "p_at": _iso(at),
                  "p_not_before": _iso(not_before) if not_before else None}
        self._execute(self._rpc("email_queue", params), "queueing emails")

    def requeue_email(self, email_id: int) -> Email | None:
        """``failed`` -> ``queued`` on the same row (ops "Resend"); ``None`` if it is not failed."""
        request = (
            self._table("email_outbox")
            .update({"status": EmailStatus.QUEUED.value, "lease_until": None})
            .eq("id", email_id)
            .eq("status", EmailStatus.FAILED.value)
            .select(EMAIL_SELECT)
        )
        rows = _rows(self._execute(request, "putting the email back in the queue"))
        return _email(rows[0]) if rows else None

    def email_keys(self, booking_ids: Sequence[str]) -> set[tuple[str, str, int]]:
        """The (booking_id, kind, version) of these bookings' outbox rows, a request per 100
        bookings (the ids travel in the URL)."""
        ids = [i for i in dict.fromkeys(booking_ids) if _is_uuid(i)]
        keys: set[tuple[str, str, int]] = set()
        for start in range(0, len(ids), 100):
            request = (self._table("email_outbox").select("booking_id,kind,version")
                       .in_("booking_id", ids[start:start + 100]))
            keys.update((r["booking_id"], r["kind"], r["version"])
                        for r in _rows(self._execute(request, "reading the outbox")))
        return keys

    def drop_emails(self, email_ids: Sequence[int]) -> None:
        """Delete these emails if still queued (sent and failed ones stay)."""
        if not email_ids:
            return
        self._execute(
            self._table("email_outbox").delete(returning=ReturnMethod.minimal)
            .in_("id", list(email_ids)).eq("status", EmailStatus.QUEUED.value),
            "dropping emails",
        )

    def release_emails(self, email_ids: Sequence[int]) -> None:
        """Give back the lease on queued emails a stopped dispatcher did not get to."""
        if not email_ids:
            return
        self._execute(
            self._table("email_outbox").update({"lease_until": None}, returning=ReturnMethod.minimal)
            .in_("id", list(email_ids)).eq("status", EmailStatus.QUEUED.value),
            "releasing the emails",
        )

    def mark_email(self, email_id: int, status: EmailStatus, error: str | None, at: datetime) -> None:
        """Record a send attempt: ``sent``, ``failed`` (permanent) or ``queued`` (try again later)."""
        params = {"p_id": email_id, "p_status": EmailStatus(status).value, "p_error": error, "p_at": _iso(at)}
        self._execute(self._rpc("email_mark", params), "recording the email attempt")

    # -- background job runs ---------------------------------------------------------------------
    def record_job_run(self, run: JobRun, keep_days: int) -> None:
        """Store one finished run and drop the old ones (one RPC)."""
        params = {"p_job": run.job, "p_worker": run.worker, "p_started_at": _iso(run.started_at),
                  "p_finished_at": _iso(run.finished_at), "p_outcome": JobOutcome(run.outcome).value,
                  "p_message": run.message, "p_counts": dict(run.counts), "p_keep_days": int(keep_days)}
        self._execute(self._rpc("job_run_record", params), "recording a job run")

    def last_job_runs(self) -> list[JobRun]:
        """Each job's latest run (the ``job_runs_latest`` view), by job name."""
        request = self._table("job_runs_latest").select(JOB_RUN_SELECT).order("job")
        return [JobRun(r["job"], r["worker"], _ts(r["started_at"]), _ts(r["finished_at"]),  # type: ignore[arg-type]
                       JobOutcome(r["outcome"]), r.get("message") or "",
                       {str(k): int(v) for k, v in (r.get("counts") or {}).items()})
                for r in _rows(self._execute(request, "reading the job runs"))]

    # -- join links ------------------------------------------------------------------------------
    def issue_join_tokens(self, booking_id: str, tokens: Mapping[str, str], at: datetime) -> dict[str, str]:
        """Store the missing persons' tokens and read every person's back (one RPC)."""
        params = {"p_booking_id": booking_id, "p_tokens": dict(tokens), "p_at": _iso(at)}
        rows = _rows(self._execute(self._rpc("join_tokens_issue", params), "storing the Join links"))
        return {r["person"]: r["token"] for r in rows}

    def join_token(self, token: str) -> tuple[str, str] | None:
        """The booking and person of a token (one request)."""
        request = self._table("join_tokens").select("booking_id,person").eq("token", token).limit(1)
        rows = _rows(self._execute(request, "reading a Join link"))
        return (rows[0]["booking_id"], rows[0]["person"]) if rows else None

    def record_join_click(self, booking_id: str, person: str, at: datetime) -> None:
        """Record one click (one request)."""
        row = {"booking_id": booking_id, "person": person, "at": _iso(at)}
        self._execute(self._table("join_clicks").insert(row, returning=ReturnMethod.minimal), "recording a Join click")

    def join_clicks(self, booking_id: str) -> list[JoinClicks]:
        """Each person's click count and latest click (one RPC, counted in the database)."""
        if not _is_uuid(booking_id):
            return []
        rows = _rows(self._execute(self._rpc("join_click_counts", {"p_booking_id": booking_id}),
                                   "counting Join clicks"))
        return [JoinClicks(r["person"], int(r["clicks"]), _ts(r["last_at"])) for r in rows]

    # -- meeting attendance -------------------------------------------------------------------------
    def ended_sessions(self, after: datetime, until: datetime, limit: int = 500) -> list[Booking]:
        """Confirmed or completed bookings with a link ending in ``(after, until]`` (wall clock), by end."""
        request = (
            self._table("bookings").select(BOOKING_SELECT)
            .in_("status", [BookingStatus.CONFIRMED.value, BookingStatus.COMPLETED.value])
            .gt("ends_at", _wall(after))
            .lte("ends_at", _wall(until))
            .order("ends_at")
            .limit(limit)
        )
        return [b for b in (_booking(r) for r in _rows(self._execute(request, "listing ended sessions")))
                if b.meeting_link]

    def attendance(self, booking_ids: Sequence[str]) -> dict[str, Attendance]:
        """The stored attendance of these bookings (100 ids per request)."""
        ids = list(dict.fromkeys(booking_ids))
        found: dict[str, Attendance] = {}
        for start in range(0, len(ids), 100):
            request = self._table("booking_attendance").select("*").in_("booking_id", ids[start:start + 100])
            for r in _rows(self._execute(request, "reading the attendance")):
                found[str(r["booking_id"])] = _attendance(r)
        return found

    def save_attendance(self, attendance: Attendance, lines: Sequence[HistoryLine], actor: str) -> bool:
        """Store the attendance unless a final one is stored, with its history lines (one RPC)."""
        a = attendance
        opt = lambda v: _iso(v) if v else None  # noqa: E731
        row = {"booking_id": a.booking_id, "status": a.status, "expert_joined": a.expert_joined,
               "customer_joined": a.customer_joined, "expert_joined_at": opt(a.expert_joined_at),
               "expert_left_at": opt(a.expert_left_at), "customer_joined_at": opt(a.customer_joined_at),
               "customer_left_at": opt(a.customer_left_at), "together_minutes": int(a.together_minutes),
               "expert_match": a.expert_match, "customer_match": a.customer_match, "attempts": int(a.attempts),
               "checked_at": opt(a.checked_at), "next_check_at": opt(a.next_check_at), "last_error": a.last_error or ""}
        params = {"p_row": row, "p_lines": [{"event": x.event, "detail": x.detail} for x in lines], "p_actor": actor}
        return bool(self._execute(self._rpc("attendance_save", params), "recording the attendance"))

    def google_user_emails(self, user_ids: Sequence[str]) -> dict[str, str]:
        """The remembered emails of these Google user ids."""
        ids = list(dict.fromkeys(user_ids))[:100]
        if not ids:
            return {}
        request = self._table("google_user_emails").select("user_id,email").in_("user_id", ids)
        return {r["user_id"]: r["email"] for r in _rows(self._execute(request, "reading Google user emails"))}

    def remember_google_user_email(self, user_id: str, email: str, at: datetime) -> None:
        """Remember the email a Google user id resolved to (insert or replace)."""
        params = {"p_user_id": user_id, "p_email": email, "p_at": _iso(at)}
        self._execute(self._rpc("google_user_email_remember", params), "remembering a Google user email")

    # -- the Overview page ----------------------------------------------------------------------
    def overview_stats(self, start: datetime, end: datetime, zone: str) -> OverviewStats:
        """The Overview's aggregates in one RPC (``overview_stats``, SQL with ``percentile_cont``)."""
        params = {"p_from": _iso(start), "p_to": _iso(end), "p_tz": zone}
        data = self._execute(self._rpc("overview_stats", params), "summing up the bookings") or {}
        if isinstance(data, list):  # a scalar function's value, as some clients wrap it
            data = data[0] if data else {}
        attendance = data.get("attendance") or {}
        return OverviewStats(
            per_day=tuple(DayCount(date.fromisoformat(r["day"]), r["status"], int(r["bookings"]))
                          for r in data.get("per_day") or []),
            revenue=tuple(WeekRevenue(date.fromisoformat(r["week"]), _money(r["revenue"]), int(r["bookings"]))
                          for r in data.get("revenue") or []),
            funnel=Funnel(*(int(v) for v in data.get("funnel") or [])),
            link_delay=tuple(LinkDelay(date.fromisoformat(r["day"]), int(r["bookings"]), float(r["median_s"]),
                                       float(r["p95_s"])) for r in data.get("link_delay") or []),
            link_attempts=int(data.get("link_attempts") or 0),
            link_errors=tuple((str(e), int(n)) for e, n in data.get("link_errors") or []),
            emails=tuple((str(st), int(n)) for st, n in data.get("emails") or []),
            attendance=tuple(ExpertAttendance(str(r["expert"]), int(r["sessions"]), int(r["both_joined"]),
                                              int(r["expert_no_shows"]), int(r["customer_no_shows"]))
                             for r in attendance.get("experts") or []),
            lateness=tuple(Lateness(str(r["side"]), int(r["joins"]), float(r["median_min"]), float(r["p95_min"]))
                           for r in attendance.get("lateness") or []),
        )

    # -- the shared request budget of a calendar ------------------------------------------------
    def take_request_slot(self, calendar_id: str, limit: int, now: datetime) -> float:
        """Take a slot of the calendar's rolling per-minute budget (one RPC, serialized per
        calendar in the database): 0.0 when taken, else the seconds until there is room."""
        params = {"p_calendar_id": calendar_id, "p_limit": int(limit), "p_now": _iso(now)}
        return float(self._execute(self._rpc("calendar_take_request_slot", params), "taking a Google request slot")
                     or 0.0)

    def request_slots_used(self, calendar_id: str, now: datetime) -> int:
        """Slots of the calendar's budget taken in the rolling minute before ``now`` (one RPC)."""
        params = {"p_calendar_id": calendar_id, "p_now": _iso(now)}
        return int(self._execute(self._rpc("calendar_request_slots_used", params), "reading the Google request budget")
                   or 0)
