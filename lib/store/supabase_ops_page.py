"""``OpsPageStore`` through PostgREST: the Ops page's lists in one request, the SQL function of
supabase/migrations/20261208110100_ops_page_reads.sql returning the rows in the shapes of the
separate reads, read here with the same code.

``OpsPageRequests`` is a part of ``SupabaseStore`` (it uses the store's ``_rpc`` and ``_execute``, so
the request keeps the store's error mapping); split out only so that each file reads as one subject.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from lib.domain import BookingStatus, HistoryEntry, JobOutcome, JobRun, OpsCounts
from lib.store.ports_ops_page import OPS_PAGE_LIMITS, OpsPageLimits, OpsPageRows
from lib.store.supabase_expert_pages import _hours
from lib.store.supabase_rows import _booking, _email, _is_uuid, _iso, _ts
from lib.store.supabase_self_service import _record


def _counts(row: Mapping[str, Any] | None) -> OpsCounts:
    row = row or {}
    return OpsCounts(today=int(row.get("today") or 0), awaiting_payment=int(row.get("awaiting_payment") or 0),
                     awaiting_link=int(row.get("awaiting_link") or 0),
                     emails_not_sent=int(row.get("emails_not_sent") or 0))


def _job_run(r: Mapping[str, Any]) -> JobRun:
    return JobRun(r["job"], r["worker"], _ts(r["started_at"]), _ts(r["finished_at"]),  # type: ignore[arg-type]
                  JobOutcome(r["outcome"]), r.get("message") or "",
                  {str(k): int(v) for k, v in (r.get("counts") or {}).items()})


class OpsPageRequests:
    """The Ops page's reads, one RPC (see the module docstring)."""

    def ops_page(self, today: date, status: BookingStatus | None, wanted: str | None, changes_since: datetime,
                 limits: OpsPageLimits = OPS_PAGE_LIMITS) -> OpsPageRows:
        params = {"p_today": today.isoformat(), "p_status": BookingStatus(status).value if status else None,
                  "p_wanted": wanted if _is_uuid(wanted) else None, "p_changes_since": _iso(changes_since),
                  "p_recent_limit": int(limits.recent), "p_missing_limit": int(limits.missing),
                  "p_email_limit": int(limits.emails), "p_changes_limit": int(limits.changes)}
        found = self._execute(self._rpc("ops_page", params), "reading the ops page") or {}  # type: ignore[attr-defined]
        return OpsPageRows(
            counts=_counts(found.get("counts")),
            missing=[_booking(r) for r in found.get("missing") or []],
            failed_emails=[_email(r) for r in found.get("failed_emails") or []],
            changes=[(_record(r), _booking(r["booking"])) for r in found.get("changes") or []],
            job_runs=[_job_run(r) for r in found.get("job_runs") or []],
            recent=[_booking(r) for r in found.get("recent") or []],
            chosen=str(found["chosen"]) if found.get("chosen") else None,
            history=[HistoryEntry(r["booking_id"], _ts(r["at"]), r["event"], r["detail"], r["actor"])  # type: ignore[arg-type]
                     for r in found.get("history") or []],
            hours=_hours(found.get("availability")),
        )
