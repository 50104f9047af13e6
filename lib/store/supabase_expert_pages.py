"""``ExpertPageStore`` through PostgREST: each page's reads of one expert in one request, an SQL
function of supabase/migrations/20261208110000_expert_page_reads.sql returning the rows in the
shapes of the separate reads, read here with the same code.

``ExpertPageRequests`` is a part of ``SupabaseStore`` (it uses the store's ``_rpc`` and ``_execute``,
so every request keeps the store's error mapping); split out only so that each file reads as one subject.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from lib.domain import BookingStatus
from lib.errors import InvalidInput
from lib.scheduling.parse import from_stored
from lib.store.ports_expert_pages import ExpertSetupRows, ExpertWeekRows, StoredHours
from lib.store.supabase_rows import _attendance, _booking, _is_uuid, _wall
from lib.store.supabase_types import _session_type


def _hours(row: Mapping[str, Any] | None) -> StoredHours:
    """The availability row as ``get_availability`` reads it, an unreadable one with its reason."""
    if not row:
        return StoredHours()
    try:
        return StoredHours(from_stored(dict(row)))
    except InvalidInput as exc:  # stored past the console's checks (before the database had its own)
        return StoredHours(None, str(exc))


class ExpertPageRequests:
    """The reads of one expert's pages, one RPC each (see the module docstring)."""

    def expert_week(self, expert_id: str, start: datetime, end: datetime, statuses: Sequence[BookingStatus],
                    now_local: datetime, week_limit: int = 500, upcoming_limit: int = 200) -> ExpertWeekRows:
        if not _is_uuid(expert_id):
            return ExpertWeekRows()
        params = {"p_expert_id": expert_id, "p_start": _wall(start), "p_end": _wall(end),
                  "p_statuses": [s.value for s in statuses], "p_now": _wall(now_local),
                  "p_week_limit": int(week_limit), "p_upcoming_limit": int(upcoming_limit)}
        found = self._execute(self._rpc("expert_week_page", params),  # type: ignore[attr-defined]
                              "reading the expert's week") or {}
        return ExpertWeekRows(week=[_booking(r) for r in found.get("week") or []],
                              attendance={str(r["booking_id"]): _attendance(r) for r in found.get("attendance") or []},
                              hours=_hours(found.get("availability")),
                              upcoming=[_booking(r) for r in found.get("upcoming") or []])

    def expert_setup(self, expert_id: str) -> ExpertSetupRows:
        if not _is_uuid(expert_id):
            return ExpertSetupRows()
        found = self._execute(self._rpc("expert_setup_page", {"p_expert_id": expert_id}),  # type: ignore[attr-defined]
                              "reading the expert's hours and session types") or {}
        return ExpertSetupRows(hours=_hours(found.get("availability")),
                               session_types=[_session_type(r) for r in found.get("session_types") or []])
