"""What the background worker, the notification endpoint and the Overview keep in the embedded
store: job runs, Join links and their clicks, meeting attendance, the Overview's figures and the
shared Google request budget.

``OperationsTables`` is a part of ``SQLiteStore`` (it uses the store's ``_tx``, ``_all``,
``_one`` and ``_history`` on the same file); it is split out only so that each file reads as one
subject.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from lib.domain import (
    Attendance,
    Booking,
    HistoryLine,
    JobOutcome,
    JobRun,
    JoinClicks,
)
from lib.overview_readings import (
    REVENUE_STATUSES,
    DayCount,
    ExpertAttendance,
    Funnel,
    Lateness,
    LinkDelay,
    OverviewStats,
    PeriodTotals,
    WeekRevenue,
)
from lib.store.budget import bucket_start, oldest_counted, seconds_until_free
from lib.store.sqlite_rows import (
    _BOOKING_SELECT,
    _attendance,
    _booking,
    _day_sql,
    _parse_ts,
    _start_sql,
    _ts,
)

# The count, median and 95th percentile of ``v`` per group ``g`` of the rows of ``{values}``, with
# linear interpolation between the two closest ranks exactly as PostgreSQL's ``percentile_cont``
# (and ``lib.overview_readings.percentile``): at position p = f * (n - 1) of the values in order, the value
# of rank floor(p) plus (the next rank's - it) * (p - floor(p)). SQLite has no percentile function:
# each row gets its rank (0-based) and its group's count from window functions, only the ranks
# either side of the two positions are kept, and one row per group comes back. A CAST to INTEGER
# is floor() for these positions (never negative).
_RANK = "CAST({f} * (n - 1) AS INTEGER)"
_AT = "MAX(CASE WHEN i = {rank} THEN v END)"


def _percentile_sql(f: str) -> tuple[str, str]:
    """The interpolated ``f`` percentile of a ranked group, and the condition keeping its two ranks."""
    low = _RANK.format(f=f)
    high = f"{low} + ({f} * (n - 1) > {low})"
    value = (f"{_AT.format(rank=low)} + ({_AT.format(rank=high)} - {_AT.format(rank=low)})"
             f" * ({f} * (MAX(n) - 1) - CAST({f} * (MAX(n) - 1) AS INTEGER))")
    return value, f"i IN ({low}, {high})"


_P50, _NEAR50 = _percentile_sql("0.5")
_P95, _NEAR95 = _percentile_sql("0.95")
_PERCENTILES = (
    f"SELECT g, MAX(n) AS n, {_P50} AS p50, {_P95} AS p95 FROM ("
    "SELECT g, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v) - 1 AS i, COUNT(*) OVER (PARTITION BY g) AS n"
    " FROM ({values})) WHERE " + f"{_NEAR50} OR {_NEAR95} GROUP BY g"
)


class OperationsTables:
    """The operational tables of ``SQLiteStore`` (see the module docstring)."""

    # -- background job runs ---------------------------------------------------------------------
    def record_job_run(self, run: JobRun, keep_days: int) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO job_runs (job, worker, started_at, finished_at, outcome, message, counts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run.job, run.worker, _ts(run.started_at), _ts(run.finished_at), JobOutcome(run.outcome).value,
                 run.message, json.dumps(run.counts, sort_keys=True)),
            )
            db.execute("DELETE FROM job_runs WHERE finished_at < ?",
                       (_ts(run.finished_at - timedelta(days=keep_days)),))

    def last_job_runs(self) -> list[JobRun]:
        rows = self._all("SELECT * FROM job_runs WHERE id IN (SELECT MAX(id) FROM job_runs GROUP BY job) ORDER BY job")
        return [JobRun(r["job"], r["worker"], _parse_ts(r["started_at"]), _parse_ts(r["finished_at"]),  # type: ignore[arg-type]
                       JobOutcome(r["outcome"]), r["message"], json.loads(r["counts"])) for r in rows]

    # -- join links ------------------------------------------------------------------------------
    def issue_join_tokens(self, booking_id: str, tokens: Mapping[str, str], at: datetime) -> dict[str, str]:
        with self._tx() as db:
            for person, token in tokens.items():
                db.execute("INSERT INTO join_tokens (token, booking_id, person, created_at) VALUES (?, ?, ?, ?)"
                           " ON CONFLICT (booking_id, person) DO NOTHING", (token, booking_id, person, _ts(at)))
            rows = db.execute("SELECT person, token FROM join_tokens WHERE booking_id = ?", (booking_id,)).fetchall()
        return {r["person"]: r["token"] for r in rows}

    def join_token(self, token: str) -> tuple[str, str] | None:
        row = self._one("SELECT booking_id, person FROM join_tokens WHERE token = ?", (token,))
        return (row["booking_id"], row["person"]) if row else None

    def record_join_click(self, booking_id: str, person: str, at: datetime) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO join_clicks (booking_id, person, at) VALUES (?, ?, ?)",
                       (booking_id, person, _ts(at)))

    def join_clicks(self, booking_id: str) -> list[JoinClicks]:
        rows = self._all("SELECT person, COUNT(*) AS clicks, MAX(at) AS last_at FROM join_clicks"
                         " WHERE booking_id = ? GROUP BY person ORDER BY person", (booking_id,))
        return [JoinClicks(r["person"], r["clicks"], _parse_ts(r["last_at"])) for r in rows]

    # -- meeting attendance -------------------------------------------------------------------------
    def ended_sessions(self, after: datetime, until: datetime, limit: int = 500) -> list[Booking]:
        rows = self._all(
            _BOOKING_SELECT + " WHERE b.status IN ('confirmed', 'completed') AND b.meeting_link IS NOT NULL"
            " AND b.meeting_link != '' AND b.ends_at > ? AND b.ends_at <= ? ORDER BY b.ends_at LIMIT ?",
            (after.strftime("%Y-%m-%d %H:%M:%S"), until.strftime("%Y-%m-%d %H:%M:%S"), limit),
        )
        return [_booking(r) for r in rows]

    def attendance(self, booking_ids: Sequence[str]) -> dict[str, Attendance]:
        ids = list(dict.fromkeys(booking_ids))
        found: dict[str, Attendance] = {}
        for start in range(0, len(ids), 500):  # SQLite's limit on bound parameters
            chunk = ids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for r in self._all(f"SELECT * FROM booking_attendance WHERE booking_id IN ({marks})", chunk):
                found[r["booking_id"]] = _attendance(r)
        return found

    def save_attendance(self, attendance: Attendance, lines: Sequence[HistoryLine], actor: str) -> bool:
        a = attendance
        opt = lambda v: _ts(v) if v else None  # noqa: E731
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO booking_attendance (booking_id, status, expert_joined, customer_joined,"
                " expert_joined_at, expert_left_at, customer_joined_at, customer_left_at, together_minutes,"
                " expert_match, customer_match, attempts, checked_at, next_check_at, last_error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (booking_id) DO UPDATE SET status = excluded.status,"
                " expert_joined = excluded.expert_joined, customer_joined = excluded.customer_joined,"
                " expert_joined_at = excluded.expert_joined_at, expert_left_at = excluded.expert_left_at,"
                " customer_joined_at = excluded.customer_joined_at, customer_left_at = excluded.customer_left_at,"
                " together_minutes = excluded.together_minutes, expert_match = excluded.expert_match,"
                " customer_match = excluded.customer_match, attempts = excluded.attempts,"
                " checked_at = excluded.checked_at, next_check_at = excluded.next_check_at,"
                " last_error = excluded.last_error WHERE booking_attendance.status = 'waiting'",
                (a.booking_id, a.status, int(a.expert_joined), int(a.customer_joined), opt(a.expert_joined_at),
                 opt(a.expert_left_at), opt(a.customer_joined_at), opt(a.customer_left_at), int(a.together_minutes),
                 a.expert_match, a.customer_match, int(a.attempts), opt(a.checked_at), opt(a.next_check_at),
                 a.last_error or ""),
            )
            if cur.rowcount == 0:
                return False
            for line in lines:
                self._history(db, a.booking_id, line, actor)
            return True

    def google_user_emails(self, user_ids: Sequence[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(user_ids))[:500]
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        return {r["user_id"]: r["email"]
                for r in self._all(f"SELECT user_id, email FROM google_user_emails WHERE user_id IN ({marks})", ids)}

    def remember_google_user_email(self, user_id: str, email: str, at: datetime) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO google_user_emails (user_id, email, resolved_at) VALUES (?, ?, ?)"
                       " ON CONFLICT (user_id) DO UPDATE SET email = excluded.email,"
                       " resolved_at = excluded.resolved_at",
                       (user_id, email, _ts(at)))

    # -- the Overview page ----------------------------------------------------------------------
    def overview_stats(self, start: datetime, end: datetime, zone: str) -> OverviewStats:
        """The Overview's aggregates over the bookings created in ``[start, end)`` (see
        ``lib.overview_readings``), in one statement: the range's rows (the ``created_at`` index) are
        read once into ``b``, and each figure is a part of a ``UNION ALL`` over it that returns
        only its few aggregated rows, tagged with the figure's name. Days by status and how far
        they got (the counts per day, week and funnel step are summed from those), link
        attempts and failures, emails by status, attendance per expert, and the percentiles:
        the median and 95th percentile of the payment-to-link seconds per day and of each
        side's join delay, taken in SQL (``_PERCENTILES``) exactly as ``percentile_cont`` does
        in the Supabase function. One statement, so the figures agree with each other."""
        day_sql, day_params = _day_sql(start, end, zone)
        start_sql, start_params = _start_sql(start, end, zone)
        recorded = " FROM b JOIN booking_attendance a ON a.booking_id = b.id WHERE a.status = 'recorded'"
        late = " UNION ALL ".join(
            f"SELECT '{side}' AS g, ROUND((julianday(a.{side}_joined_at) - julianday({start_sql})) * 86400) AS v"
            f"{recorded} AND a.{side}_joined AND a.{side}_joined_at IS NOT NULL" for side in ("expert", "customer"))
        parts = [
            "SELECT 'day', day, status, paid_at IS NOT NULL, confirmed_at IS NOT NULL, COUNT(*), SUM(price)"
            " FROM b GROUP BY 2, 3, 4, 5",
            "SELECT 'delay', g, n, p50, p95, NULL, NULL FROM (" + _PERCENTILES.format(
                values="SELECT day AS g, ROUND((julianday(confirmed_at) - julianday(paid_at)) * 86400) AS v"
                       " FROM b WHERE paid_at IS NOT NULL AND confirmed_at IS NOT NULL") + ")",
            "SELECT 'attempt', h.event, CASE h.event WHEN 'link attempt' THEN '' ELSE h.detail END, COUNT(*),"
            " NULL, NULL, NULL FROM b JOIN booking_history h ON h.booking_id = b.id"
            " WHERE h.event IN ('link attempt', 'link attempt failed') GROUP BY 2, 3",
            "SELECT 'email', o.status, COUNT(*), NULL, NULL, NULL, NULL"
            # CROSS JOIN keeps the range's rows outside: the planner would otherwise walk every email
            " FROM b CROSS JOIN email_outbox o ON o.booking_id = b.id GROUP BY 2",
            "SELECT 'expert', e.name, e.id, COUNT(*), SUM(a.expert_joined AND a.customer_joined),"
            " SUM(NOT a.expert_joined), SUM(NOT a.customer_joined)"
            + recorded.replace(" WHERE", " JOIN experts e ON e.id = b.expert_id WHERE") + " GROUP BY e.id, e.name",
            "SELECT 'late', g, n, p50 / 60, p95 / 60, NULL, NULL FROM (" + _PERCENTILES.format(values=late) + ")",
        ]
        sql = ("WITH b AS MATERIALIZED (SELECT id, status, price, paid_at, confirmed_at, expert_id, starts_at,"
               f" {day_sql} AS day FROM bookings WHERE created_at >= ? AND created_at < ?) "
               + " UNION ALL ".join(parts) + " ORDER BY 1, 2, 3")
        rows = self._conn().execute(sql, (*day_params, _ts(start), _ts(end), *start_params, *start_params)).fetchall()
        figures: dict[str, list[tuple]] = {}
        for kind, *values in rows:
            figures.setdefault(kind, []).append(tuple(values))
        per_day: dict[tuple[str, str], int] = {}
        weeks: dict[date, list[int]] = {}
        steps: Counter[str] = Counter()
        for day, status, paid, linked, count, price in figures.get("day", ()):
            per_day[(day, status)] = per_day.get((day, status), 0) + count
            if status in REVENUE_STATUSES:
                monday = date.fromisoformat(day) - timedelta(days=date.fromisoformat(day).weekday())
                week = weeks.setdefault(monday, [0, 0])
                week[0] += int(price)
                week[1] += count
            steps["made"] += count
            steps["reached paid"] += count if paid else 0
            steps["reached confirmed"] += count if linked else 0
            steps[status] += count
            if status == "cancelled":  # where it stopped: how far it had got
                steps["cancelled " + ("confirmed" if linked else "paid" if paid else "unpaid")] += count
        attempts = figures.get("attempt", [])
        lateness = {side: (n, p50, p95) for side, n, p50, p95, _, _ in figures.get("late", ())}
        return OverviewStats(
            per_day=tuple(DayCount(date.fromisoformat(d), s, n) for (d, s), n in per_day.items()),
            revenue=tuple(WeekRevenue(w, r, n) for w, (r, n) in sorted(weeks.items())),
            funnel=Funnel(made=steps["made"], paid=steps["reached paid"], confirmed=steps["reached confirmed"],
                          completed=steps["completed"], expired_unpaid=steps["expired"],
                          cancelled_unpaid=steps["cancelled unpaid"], cancelled_paid=steps["cancelled paid"],
                          cancelled_confirmed=steps["cancelled confirmed"], awaiting_payment=steps["pending"],
                          awaiting_link=steps["paid"], session_to_come=steps["confirmed"]),
            link_delay=tuple(LinkDelay(date.fromisoformat(d), n, float(p50), float(p95))
                             for d, n, p50, p95, _, _ in figures.get("delay", ())),
            link_attempts=sum(n for _, _, n, *_ in attempts),
            link_errors=tuple(sorted((e, n) for event, e, n, *_ in attempts if event == "link attempt failed")),
            emails=tuple((s, n) for s, n, *_ in figures.get("email", ())),
            attendance=tuple(ExpertAttendance(name, n, both, e, c)
                             for name, _, n, both, e, c in figures.get("expert", ())),
            lateness=tuple(Lateness(side, *lateness[side]) for side in ("expert", "customer") if side in lateness),
        )

    def overview_totals(self, start: datetime, end: datetime) -> PeriodTotals:
        """The headline's totals of the bookings created in ``[start, end)``, in one statement over
        the range's rows (the ``created_at`` index), each joined to its recorded attendance if any
        (at most one row: ``booking_id`` is its key). The same counts as ``overview_stats`` sums."""
        marks = ", ".join("?" * len(REVENUE_STATUSES))
        row = self._conn().execute(
            f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN b.status IN ({marks}) THEN b.price END), 0),"
            " COUNT(b.confirmed_at), COUNT(a.booking_id), COALESCE(SUM(a.expert_joined AND a.customer_joined), 0)"
            " FROM bookings b LEFT JOIN booking_attendance a ON a.booking_id = b.id AND a.status = 'recorded'"
            " WHERE b.created_at >= ? AND b.created_at < ?",
            (*REVENUE_STATUSES, _ts(start), _ts(end))).fetchone()
        return PeriodTotals(*(int(v) for v in row))

    # -- the shared request budget of a calendar ------------------------------------------------
    def take_request_slot(self, calendar_id: str, limit: int, now: datetime) -> float:
        """Take one of ``limit`` request slots of ``calendar_id`` in the rolling minute before
        ``now`` (see ``lib.store.budget``): 0.0 when taken, else the seconds until enough of the
        oldest requests have left it (nothing taken). One ``BEGIN IMMEDIATE`` transaction reads
        the sum and adds to it, so threads and processes on this file take ``limit`` at most in
        any 60 seconds between them."""
        with self._tx() as db:
            db.execute("DELETE FROM calendar_request_budget WHERE calendar_id = ? AND second_start < ?",
                       (calendar_id, _ts(oldest_counted(now))))
            rows = db.execute("SELECT second_start, used FROM calendar_request_budget WHERE calendar_id = ?"
                              " ORDER BY second_start", (calendar_id,)).fetchall()
            wait = seconds_until_free([(datetime.fromisoformat(r["second_start"]), r["used"]) for r in rows],
                                      limit, now)
            if wait:
                return wait
            db.execute("INSERT INTO calendar_request_budget (calendar_id, second_start, used) VALUES (?, ?, 1)"
                       " ON CONFLICT (calendar_id, second_start) DO UPDATE SET used = used + 1",
                       (calendar_id, _ts(bucket_start(now))))
            return 0.0

    def request_slots_used(self, calendar_id: str, now: datetime) -> int:
        """Request slots of ``calendar_id`` taken in the rolling minute before ``now``."""
        row = self._one("SELECT COALESCE(SUM(used), 0) AS used FROM calendar_request_budget"
                        " WHERE calendar_id = ? AND second_start >= ?", (calendar_id, _ts(oldest_counted(now))))
        return int(row["used"]) if row else 0
