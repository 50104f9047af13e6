"""The production store: the platform's Supabase project, through PostgREST with supabase-py.

Server side only, with the service-role key (which bypasses row level security). The schema and
the functions it calls come from ``supabase/migrations``. Every page read is one request:
customer and expert names come as embedded resources, filters and order run in PostgREST, and
each transition that writes several rows is one SQL function called over ``/rpc``.

This file holds the client, the mapping of PostgREST's errors at this boundary, and the booking
life (bookings and their transitions); it stays over 400 lines because each of those methods
sits beside the request or SQL function it calls, all through one error mapping. Experts,
customers and availability are in ``supabase_people.py``, the lists the pages and jobs read in
``supabase_lists.py``, the email outbox in
``supabase_outbox.py``, what the worker, the endpoint and the Overview keep in ``supabase_ops.py``;
the selected columns and the row mapping in ``supabase_rows.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlsplit

import httpx
from postgrest.exceptions import APIError
from postgrest.types import ReturnMethod

from lib.domain import (
    ACTIVE_STATUSES,
    Booking,
    EmailDraft,
    HistoryEntry,
    HistoryLine,
    Meeting,
    NewBooking,
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
from lib.store import EXPIRE_BATCH, EmailsFor, LineFor
from lib.store.supabase_booking_reads import BookingReadRequests
from lib.store.supabase_calendar import CalendarWorkRequests
from lib.store.supabase_expert_pages import ExpertPageRequests
from lib.store.supabase_lists import ListRequests
from lib.store.supabase_ops import OperationsRequests
from lib.store.supabase_ops_page import OpsPageRequests
from lib.store.supabase_outbox import OutboxRequests
from lib.store.supabase_people import PeopleRequests
from lib.store.supabase_rows import (
    BOOKING_SELECT,
    HISTORY_SELECT,
    _booking,
    _drafts,
    _is_uuid,
    _iso,
    _line,
    _rows,
    _slot,
    _ts,
)
from lib.store.supabase_self_service import SelfServiceRequests
from lib.store.supabase_types import SessionTypeRequests
from supabase import Client, ClientOptions, create_client  # the installed package, not ./supabase

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
# Supabase answers a read with at most the project's "Max rows" (API settings, 1,000 unless
# raised) and does not say more were left; reads that can pass it go in pages of this many.
PAGE_ROWS = 1000


class _SameRequest(StoreFailed):
    """The request_key is taken: the same booking form was submitted twice (handled inside)."""

    def __init__(self) -> None:
        super().__init__("This booking form was already submitted; refresh the page.")


class SupabaseStore(PeopleRequests, ListRequests, OutboxRequests, OperationsRequests, SessionTypeRequests,
                    CalendarWorkRequests, SelfServiceRequests, BookingReadRequests,
                    ExpertPageRequests, OpsPageRequests):
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
    def _table(self, name: str):  # noqa: ANN202 - supabase-py's builder types are internal
        return self._client.table(name)

    def _rpc(self, name: str, params: dict[str, Any]):  # noqa: ANN202
        return self._client.rpc(name, params)

    def _every_row(self, build: Callable[[], Any], doing: str) -> list[dict[str, Any]]:
        """Every row of the read ``build()`` makes (ordered down to a unique column, so pages
        neither skip nor repeat a row): ``PAGE_ROWS`` rows a request until a shorter page. A read
        that fits in one page costs one request, as before."""
        rows: list[dict[str, Any]] = []
        while True:
            page = _rows(self._execute(build().range(len(rows), len(rows) + PAGE_ROWS - 1), doing))
            rows.extend(page)
            if len(page) < PAGE_ROWS:
                return rows

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
            "p_session_type_id": new.session_type_id,
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
        if not row.get("customer") and new.new_customer is not None and not new.customer_id:
            # The embed of the same statement cannot see a customer the function inserted (it reads
            # the statement's snapshot); that customer is the one typed, stored as typed (an earlier
            # customer with the email would be visible): no second request to read the names.
            row = {**row, "customer": {"name": new.new_customer.name, "email": new.new_customer.email}}
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
                  line: HistoryLine) -> Booking | None:
        """``pending -> paid`` of a numbered order; ``None`` when the booking was not pending."""
        return self._paid(booking_id, payment_ref, at, actor, line, {})

    def mark_paid_counting_attempt(self, booking_id: str, payment_ref: str, at: datetime, actor: str, *,
                                   line: HistoryLine) -> Booking | None:
        """``pending -> paid`` with its attempt counted by the same statement; one request."""
        return self._paid(booking_id, payment_ref, at, actor, line, {"p_count_attempt": True})

    def mark_paid_and_claim_link(self, booking_id: str, payment_ref: str, at: datetime, lease_until: datetime,
                                 actor: str, *, line: HistoryLine) -> Booking | None:
        """``pending -> paid`` with its attempt counted and the link lease taken by the same
        statement of ``booking_mark_paid``; one request."""
        return self._paid(booking_id, payment_ref, at, actor, line,
                          {"p_count_attempt": True, "p_lease_until": _iso(lease_until)})

    def _paid(self, booking_id: str, payment_ref: str, at: datetime, actor: str, line: HistoryLine,
              steps: dict[str, Any]) -> Booking | None:
        params = {"p_id": booking_id, "p_payment_ref": payment_ref, "p_at": _iso(at), "p_actor": actor,
                  **_line(line), "p_count_attempt": False, "p_lease_until": None, **steps}
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

    def expire_pending(self, cutoff: datetime, now: datetime, actor: str, *, line: HistoryLine,
                       limit: int = EXPIRE_BATCH) -> list[Booking]:
        """``pending -> expired`` for at most ``limit`` bookings created before ``cutoff``, with
        history; one RPC. ``limit`` stays within "Max rows", so the answer lists all it expired."""
        params = {"p_cutoff": _iso(cutoff), "p_at": _iso(now), "p_actor": actor, **_line(line),
                  "p_limit": max(1, min(limit, PAGE_ROWS))}
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
                        line: HistoryLine) -> Booking | None:
        """``pending -> paid -> confirmed`` in one request, so one transaction:
        ``booking_pay_and_confirm`` runs the payment and the confirmation together."""
        params = {"p_id": booking_id, "p_payment_ref": payment_ref, "p_meeting_link": meeting.url,
                  "p_event_id": meeting.event_id or None, "p_event_version": meeting.event_version,
                  "p_at": _iso(at), "p_emails": _drafts(emails), "p_actor": actor,
                  "p_paid_event": paid.event, "p_paid_detail": paid.detail,
                  "p_attempt_event": attempt.event, "p_attempt_detail": attempt.detail, **_line(line)}
        return self._transition("booking_pay_and_confirm", params, "recording the payment and the link")

    def confirm(self, booking_id: str, meeting_link: str, event_id: str | None, event_version: int,
                at: datetime, emails: Sequence[EmailDraft], actor: str, *, line: HistoryLine) -> Booking | None:
        """``paid -> confirmed`` with a pasted link, the history and emails; ``None`` when not paid."""
        return self._confirmed(booking_id, meeting_link, event_id, event_version, at, emails, actor, line, None)

    def confirm_with_attempt(self, booking_id: str, meeting_link: str, event_id: str | None, event_version: int,
                             at: datetime, emails: Sequence[EmailDraft], actor: str, *, attempt: HistoryLine,
                             line: HistoryLine) -> Booking | None:
        """``confirm`` that also counts and logs the link ``attempt`` (before the confirmation's
        line), only when it did confirm; one request to ``booking_confirm``."""
        return self._confirmed(booking_id, meeting_link, event_id, event_version, at, emails, actor, line, attempt)

    def _confirmed(self, booking_id: str, meeting_link: str, event_id: str | None, event_version: int,
                   at: datetime, emails: Sequence[EmailDraft], actor: str, line: HistoryLine,
                   attempt: HistoryLine | None) -> Booking | None:
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
        return self._reschedule(booking_id, new_date, new_time, at, emails_for, actor, line_for,
                                "booking_reschedule", {})

    def reschedule_with_calendar_work(self, booking_id: str, new_date: date, new_time: time, at: datetime,
                                      emails_for: EmailsFor, actor: str, *, line_for: LineFor,
                                      calendar: str) -> Booking:
        """``reschedule`` whose one RPC queues the calendar work in the transaction that moves it."""
        return self._reschedule(booking_id, new_date, new_time, at, emails_for, actor, line_for,
                                "booking_reschedule_with_calendar", {"p_calendar": calendar})

    def _reschedule(self, booking_id: str, new_date: date, new_time: time, at: datetime, emails_for: EmailsFor,
                    actor: str, line_for: LineFor, name: str, extra: dict[str, Any]) -> Booking:
        current = self.get_booking(booking_id)
        if current is None:
            raise NotFound(f"No booking with id {booking_id}.")
        if current.status not in ACTIVE_STATUSES:
            raise InvalidTransition(f"A {current.status.value} booking cannot be rescheduled.")
        moved = replace(current, scheduled_date=new_date, scheduled_time=new_time, revision=current.revision + 1)
        params = {"p_id": booking_id, "p_revision": current.revision, "p_date": new_date.isoformat(),
                  "p_time": new_time.strftime("%H:%M:%S"), "p_at": _iso(at), "p_emails": _drafts(emails_for(moved)),
                  "p_actor": actor, **_line(line_for(current, moved)), **extra}
        try:
            result = self._transition(name, params, "moving the booking",
                                      slot=_slot(new_date, new_time))
        except SlotTaken:
            raise SlotTaken(
                f"{current.expert_name} already has a session overlapping {_slot(new_date, new_time)}."
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

    def cancel_with_calendar_work(self, booking_id: str, at: datetime, reason: str, emails: Sequence[EmailDraft],
                                  actor: str, *, line: HistoryLine, calendar: str) -> Booking | None:
        """``cancel`` with the calendar work queued by the same RPC, so the same transaction."""
        params = {"p_id": booking_id, "p_at": _iso(at), "p_reason": reason, "p_emails": _drafts(emails),
                  "p_actor": actor, **_line(line), "p_calendar": calendar}
        return self._transition("booking_cancel_with_calendar", params, "cancelling the booking")

    # -- history -------------------------------------------------------------------------------
    def history(self, booking_id: str) -> list[HistoryEntry]:
        """What happened to the booking, oldest first."""
        if not _is_uuid(booking_id):
            return []
        rows = self._every_row(
            lambda: self._table("booking_history").select(HISTORY_SELECT).eq("booking_id", booking_id).order("id"),
            "reading the booking history")
        return [HistoryEntry(r["booking_id"], _ts(r["at"]), r["event"], r["detail"], r["actor"])  # type: ignore[arg-type]
                for r in rows]

    def add_history(self, booking_id: str, event: str, detail: str, actor: str) -> None:
        """Append one history entry."""
        row = {"booking_id": booking_id, "event": event, "detail": detail, "actor": actor}
        self._execute(self._table("booking_history").insert(row, returning=ReturnMethod.minimal),
                      "writing the booking history")
