"""What the background worker, the notification endpoint and the Overview keep in the production
store: job runs, Join links and their clicks, meeting attendance, the Overview's figures and the
shared Google request budget.

``OperationsRequests`` is a part of ``SupabaseStore`` (it uses the store's ``_table``, ``_rpc``
and ``_execute``, so every request keeps the store's error mapping); it is split out only so that
each file reads as one subject, as ``sqlite_ops.py`` is for the embedded store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from postgrest.types import ReturnMethod

from lib.domain import Attendance, Booking, BookingStatus, HistoryLine, JobOutcome, JobRun, JoinClicks
from lib.overview_readings import (
    DayCount,
    ExpertAttendance,
    Funnel,
    Lateness,
    LinkDelay,
    OverviewStats,
    PeriodTotals,
    WeekRevenue,
)
from lib.store.supabase_rows import (
    BOOKING_SELECT,
    JOB_RUN_SELECT,
    _attendance,
    _booking,
    _is_uuid,
    _iso,
    _money,
    _rows,
    _ts,
    _wall,
)


class OperationsRequests:
    """The operational requests of ``SupabaseStore`` (see the module docstring)."""

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
        data = _object(self._execute(self._rpc("overview_stats", params), "summing up the bookings"))
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

    def overview_totals(self, start: datetime, end: datetime) -> PeriodTotals:
        """The headline's totals of the bookings created in ``[start, end)`` in one RPC (``overview_totals``)."""
        params = {"p_from": _iso(start), "p_to": _iso(end)}
        data = _object(self._execute(self._rpc("overview_totals", params), "summing up the bookings"))
        return PeriodTotals(made=int(data.get("made") or 0), revenue=_money(data.get("revenue") or 0),
                            confirmed=int(data.get("confirmed") or 0), sessions=int(data.get("sessions") or 0),
                            both_joined=int(data.get("both_joined") or 0))

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


def _object(data: Any) -> dict[str, Any]:
    """A JSON-object function's value: as it is, or the one element some clients wrap it in."""
    if isinstance(data, list):
        data = data[0] if data else None
    return data or {}
