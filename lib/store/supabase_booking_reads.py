"""The booking form's and the Confirmation page's reads in the production store: one RPC each,
``booking_inputs`` and ``booking_view`` (see supabase/migrations/20261208100000_booking_reads.sql),
instead of a request per read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from lib.domain import HeldTime
from lib.errors import InvalidInput, UnreadableAvailability
from lib.scheduling.parse import from_stored
from lib.store.ports_booking_reads import BookingInputs, BookingView
from lib.store.supabase_calendar import _work
from lib.store.supabase_rows import AVAILABILITY_SELECT, _booking, _customer, _expert, _is_uuid, _iso, _wall
from lib.store.supabase_types import _session_type

_AVAILABILITY_KEYS = AVAILABILITY_SELECT.split(",")


def _held(row: Mapping[str, Any]) -> HeldTime:
    return HeldTime(str(row["id"]), datetime.combine(date.fromisoformat(row["scheduled_date"]),
                                                     time.fromisoformat(row["scheduled_time"])), row["duration"])


class BookingReadRequests:
    """``BookingReadStore`` through PostgREST (mixed into ``SupabaseStore``)."""

    def booking_inputs(self, expert_id: str, request_key: str | None, customer_id: str | None,
                       held_from: datetime | None, held_to: datetime | None,
                       pending_since: datetime) -> BookingInputs:
        ranged = held_from is not None and held_to is not None
        params = {
            "p_expert_id": expert_id if _is_uuid(expert_id) else None,
            "p_request_key": request_key or None,
            "p_customer_id": customer_id if customer_id and _is_uuid(customer_id) else None,
            "p_from": _wall(held_from) if ranged else None,  # type: ignore[arg-type]
            "p_to": _wall(held_to) if ranged else None,  # type: ignore[arg-type]
            "p_pending_since": _iso(pending_since),
        }
        data = self._execute(self._rpc("booking_inputs", params),  # type: ignore[attr-defined]
                             "reading what the booking needs")
        return _inputs(data or {}, held_from, held_to)

    def booking_view(self, booking_id: str, held_from: datetime | None, held_to: datetime | None,
                     pending_since: datetime) -> BookingView:
        if not _is_uuid(booking_id):
            return BookingView()
        ranged = held_from is not None and held_to is not None
        params = {"p_booking_id": booking_id, "p_from": _wall(held_from) if ranged else None,  # type: ignore[arg-type]
                  "p_to": _wall(held_to) if ranged else None,  # type: ignore[arg-type]
                  "p_pending_since": _iso(pending_since)}
        data = self._execute(self._rpc("booking_view", params), "reading a booking")  # type: ignore[attr-defined]
        if not data or not data.get("booking"):
            return BookingView()
        return BookingView(_booking(data["booking"]), _work(data["calendar_work"]) if data.get("calendar_work")
                           else None, _inputs(data.get("inputs") or {}, held_from, held_to))


def _inputs(data: Mapping[str, Any], held_from: datetime | None, held_to: datetime | None) -> BookingInputs:
    """``booking_inputs``'s answer as the store's own reads give its parts."""
    ranged = held_from is not None and held_to is not None
    earlier = _booking(data["earlier"]) if data.get("earlier") else None
    customer = _customer(data["customer"]) if data.get("customer") else None
    if not data.get("expert"):
        return BookingInputs(earlier=earlier, customer=customer)
    expert = _expert(data["expert"])
    availability, unreadable = None, None
    if data.get("availability"):
        try:
            availability = from_stored({k: data["availability"].get(k) for k in _AVAILABILITY_KEYS})
        except InvalidInput as exc:  # stored past the console's checks, as ``get_availability`` says
            unreadable = UnreadableAvailability(expert.id, str(exc))
    return BookingInputs(earlier=earlier, expert=expert,
                         session_types=[_session_type(r) for r in data.get("types") or []],
                         availability=availability, unreadable=unreadable, customer=customer,
                         held=[_held(r) for r in data.get("held") or []] if ranged else [],
                         held_from=held_from if ranged else None, held_to=held_to if ranged else None)
