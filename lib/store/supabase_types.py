"""The session types of ``SupabaseStore`` (table ``session_types``, see
supabase/migrations/20261207140000_session_types.sql): read with the service role, replaced in
one transaction by ``session_types_replace``. The checks a booking passes against its type run
in the database (trigger ``bookings_price_from_type``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lib.domain import SessionType
from lib.errors import NotFound
from lib.store.supabase_rows import _is_uuid, _rows

SESSION_TYPE_SELECT = "id,expert_id,names,durations,hourly_rate,fixed_prices,description,active,position"


def _session_type(row: Mapping[str, Any]) -> SessionType:
    return SessionType(id=str(row["id"]), expert_id=str(row["expert_id"]), names=dict(row["names"]),
                       durations=tuple(int(m) for m in row["durations"]), hourly_rate=row.get("hourly_rate"),
                       fixed_prices={int(k): int(v) for k, v in (row.get("fixed_prices") or {}).items()},
                       description=row.get("description") or "", active=bool(row.get("active", True)),
                       position=int(row.get("position") or 0))


def _item(t: SessionType) -> dict[str, Any]:
    return {"id": t.id, "names": dict(t.names), "durations": list(t.durations), "hourly_rate": t.hourly_rate,
            "fixed_prices": {str(k): v for k, v in t.fixed_prices.items()}, "description": t.description,
            "active": t.active, "position": t.position}


class SessionTypeRequests:
    """Session types through PostgREST (mixed into ``SupabaseStore``)."""

    def session_types(self, expert_id: str) -> list[SessionType]:
        if not _is_uuid(expert_id):
            return []
        request = (self._table("session_types").select(SESSION_TYPE_SELECT)  # type: ignore[attr-defined]
                   .eq("expert_id", expert_id).order("position").order("created_at"))
        return [_session_type(r) for r in _rows(self._execute(request, "reading session types"))]  # type: ignore[attr-defined]

    def get_session_type(self, type_id: str) -> SessionType | None:
        if not _is_uuid(type_id):
            return None
        request = self._table("session_types").select(SESSION_TYPE_SELECT).eq("id", type_id)  # type: ignore[attr-defined]
        rows = _rows(self._execute(request, "reading a session type"))  # type: ignore[attr-defined]
        return _session_type(rows[0]) if rows else None

    def replace_session_types(self, expert_id: str, types: Sequence[SessionType]) -> list[SessionType]:
        if not _is_uuid(expert_id):
            raise NotFound("Unknown expert; pick one from the list.")
        params = {"p_expert_id": expert_id, "p_types": [_item(t) for t in types]}
        rows = _rows(self._execute(self._rpc("session_types_replace", params),  # type: ignore[attr-defined]
                                   "saving the session types"))
        return [_session_type(r) for r in rows]
