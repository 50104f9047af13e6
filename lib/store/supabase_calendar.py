"""Calendar work in the production store (``lib.calendar_work``): the functions of
``supabase/migrations/20261207130000_calendar_work.sql``, one RPC per step.

``CalendarWorkRequests`` is a part of ``SupabaseStore`` (it uses the store's ``_table``, ``_rpc``
and ``_execute``); split out so that each file reads as one subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lib.calendar_work import CalendarWork
from lib.domain import HistoryLine
from lib.store.supabase_rows import _is_uuid, _iso, _rows, _ts


def _work(r: dict[str, Any]) -> CalendarWork:
    opt = lambda v: _ts(v) if v else None  # noqa: E731
    return CalendarWork(
        booking_id=str(r["booking_id"]), reason=r["reason"], generation=int(r["generation"]),
        waiting=r["state"] == "waiting", queued_at=_ts(r["queued_at"]), not_before=_ts(r["not_before"]),
        attempts=int(r.get("attempts") or 0), last_error=r.get("last_error"), hold_until=opt(r.get("hold_until")),
        done_at=opt(r.get("done_at")))


class CalendarWorkRequests:
    """The calendar work of ``SupabaseStore`` (see the module docstring)."""

    def queue_calendar_work(self, booking_id: str, reason: str, at: datetime) -> None:
        """Queue the work, held by the booking's current link lease (one RPC)."""
        if not _is_uuid(booking_id):
            return
        params = {"p_booking_id": booking_id, "p_reason": reason, "p_at": _iso(at)}
        self._execute(self._rpc("calendar_work_queue_held", params), "queueing the calendar change")

    def claim_calendar_work(self, now: datetime, lease_until: datetime, limit: int = 20,
                            booking_id: str | None = None) -> list[CalendarWork]:
        """Lease due work (``for update skip locked``: two workers never take one row); one RPC."""
        if booking_id is not None and not _is_uuid(booking_id):
            return []
        params = {"p_now": _iso(now), "p_lease_until": _iso(lease_until), "p_limit": int(limit),
                  "p_booking_id": booking_id}
        return [_work(r) for r in _rows(self._execute(self._rpc("calendar_work_claim", params),
                                                      "claiming calendar changes"))]

    def finish_calendar_work(self, booking_id: str, generation: int, at: datetime, actor: str, *,
                             line: HistoryLine | None) -> bool:
        """Done (if still ``generation``) with its history line (one RPC)."""
        params = {"p_booking_id": booking_id, "p_generation": int(generation), "p_at": _iso(at), "p_actor": actor,
                  "p_event": line.event if line else None, "p_detail": line.detail if line else None}
        return bool(self._execute(self._rpc("calendar_work_finish", params), "recording the calendar change"))

    def calendar_work_later(self, booking_id: str, generation: int, not_before: datetime,
                            error: str | None) -> None:
        """Free the lease and try again later (one RPC)."""
        params = {"p_booking_id": booking_id, "p_generation": int(generation), "p_not_before": _iso(not_before),
                  "p_error": error}
        self._execute(self._rpc("calendar_work_later", params), "recording the calendar change's attempt")

    def calendar_work(self, booking_ids: Sequence[str]) -> dict[str, CalendarWork]:
        """The work of these bookings (100 ids per request)."""
        ids = [i for i in dict.fromkeys(booking_ids) if _is_uuid(i)]
        found: dict[str, CalendarWork] = {}
        for start in range(0, len(ids), 100):
            request = self._table("calendar_work").select("*").in_("booking_id", ids[start:start + 100])
            for r in _rows(self._execute(request, "reading the calendar changes")):
                found[str(r["booking_id"])] = _work(r)
        return found

    def calendar_work_waiting(self, queued_before: datetime, limit: int = 200) -> list[CalendarWork]:
        """Waiting work queued before ``queued_before``, oldest first (one request)."""
        request = (self._table("calendar_work").select("*").eq("state", "waiting")
                   .lt("queued_at", _iso(queued_before)).order("queued_at").order("booking_id").limit(limit))
        return [_work(r) for r in _rows(self._execute(request, "listing calendar changes still waiting"))]

    def count_history(self, event: str, start: datetime, end: datetime) -> int:
        """History lines named ``event`` in ``[start, end)``, counted in the database (one RPC)."""
        params = {"p_event": event, "p_from": _iso(start), "p_to": _iso(end)}
        return int(self._execute(self._rpc("history_count", params), "counting history lines") or 0)
