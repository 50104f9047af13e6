"""Customer self-service in the production store (table ``self_service``, see
supabase/migrations/20261207150000_customer_self_service.sql): reads through PostgREST, the
atomic steps (issue, claim, release, finish) as one RPC each, run under the row's lock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lib.self_service_policy import Claim, Refund, SelfServiceRecord
from lib.store.supabase_rows import _is_uuid, _iso, _rows, _ts

_SELECT = ("booking_id,token,form_key,reschedules,claimed_revision,last_change,last_change_at,refund,refund_amount,"
           "refund_ref,refund_at")


def _record(r: Mapping[str, Any]) -> SelfServiceRecord:
    return SelfServiceRecord(
        booking_id=str(r["booking_id"]), token=r["token"], form_key=r["form_key"], reschedules=int(r["reschedules"]),
        claimed_revision=r.get("claimed_revision"), last_change=r.get("last_change") or "",
        last_change_at=_ts(r.get("last_change_at")), refund=Refund(r.get("refund") or ""),
        refund_amount=int(r.get("refund_amount") or 0), refund_ref=r.get("refund_ref") or "",
        refund_at=_ts(r.get("refund_at")))


class SelfServiceRequests:
    """Self-service through PostgREST (mixed into ``SupabaseStore``)."""

    def issue_self_service(self, booking_id: str, token: str, form_key: str, at: datetime) -> SelfServiceRecord:
        params = {"p_booking_id": booking_id, "p_token": token, "p_form_key": form_key, "p_at": _iso(at)}
        rows = _rows(self._execute(self._rpc("self_service_issue", params),  # type: ignore[attr-defined]
                                   "storing the reschedule and cancel links"))
        return _record(rows[0])

    def self_service_by_token(self, token: str) -> SelfServiceRecord | None:
        request = self._table("self_service").select(_SELECT).eq("token", token).limit(1)  # type: ignore[attr-defined]
        rows = _rows(self._execute(request, "reading a reschedule or cancel link"))  # type: ignore[attr-defined]
        return _record(rows[0]) if rows else None

    def self_service_of(self, booking_id: str) -> SelfServiceRecord | None:
        if not _is_uuid(booking_id):
            return None
        request = self._table("self_service").select(_SELECT).eq("booking_id", booking_id)  # type: ignore[attr-defined]
        rows = _rows(self._execute(request, "reading a booking's self-service"))  # type: ignore[attr-defined]
        return _record(rows[0]) if rows else None

    def claim_self_service(self, booking_id: str, revision: int, at: datetime, stale_before: datetime,
                           reschedule_limit: int | None) -> Claim:
        params = {"p_booking_id": booking_id, "p_revision": revision, "p_at": _iso(at),
                  "p_stale_before": _iso(stale_before), "p_limit": reschedule_limit}
        answer = self._execute(self._rpc("self_service_claim", params),  # type: ignore[attr-defined]
                               "taking the customer's change")
        return Claim(answer)

    def release_self_service(self, booking_id: str, revision: int, rescheduled: bool) -> None:
        params = {"p_booking_id": booking_id, "p_revision": revision, "p_rescheduled": rescheduled}
        self._execute(self._rpc("self_service_release", params),  # type: ignore[attr-defined]
                      "giving back the customer's change")

    def finish_self_service(self, booking_id: str, revision: int, change: str, at: datetime,
                            refund_amount: int = 0) -> None:
        params = {"p_booking_id": booking_id, "p_revision": revision, "p_change": change, "p_at": _iso(at),
                  "p_refund_amount": int(refund_amount)}
        self._execute(self._rpc("self_service_finish", params),  # type: ignore[attr-defined]
                      "recording the customer's change")

    def self_service_changes(self, since: datetime, limit: int = 100) -> list[SelfServiceRecord]:
        request = (self._table("self_service").select(_SELECT)  # type: ignore[attr-defined]
                   .or_(f'last_change_at.gte."{_iso(since)}",refund.eq.due')
                   .order("last_change_at", desc=True, nullsfirst=False).limit(limit))
        return [_record(r) for r in _rows(self._execute(request, "reading customers' changes"))]  # type: ignore[attr-defined]

    def set_refund(self, booking_id: str, expected: Refund, new: Refund, ref: str, at: datetime) -> bool:
        if not _is_uuid(booking_id):
            return False
        request = (self._table("self_service")  # type: ignore[attr-defined]
                   .update({"refund": Refund(new).value, "refund_ref": ref, "refund_at": _iso(at)})
                   .eq("booking_id", booking_id).eq("refund", Refund(expected).value))
        return bool(_rows(self._execute(request, "recording the refund")))  # type: ignore[attr-defined]
