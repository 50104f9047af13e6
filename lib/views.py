"""Shapes for display: bookings and days as small tables the pages can draw.

Pure Python and pandas, no Streamlit, so the pages stay a script of the screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd

from lib.domain import Attendance, Booking, HistoryEntry, JobRun, JoinClicks
from lib.timefmt import local_when as local_when  # re-exported: the pages take display shapes from here
from lib.timefmt import rupiah, when


def booking_label(booking: Booking) -> str:
    """One line to pick a booking from a list: ``Andi · Career mentoring · 24/11 14:00 · Confirmed``."""
    return (f"{booking.customer_name} · {booking.session_type} with {booking.expert_name} · "
            f"{booking.scheduled_date:%d/%m} {booking.scheduled_time:%H:%M} · {booking.status.label}")


def bookings_frame(bookings: Iterable[Booking], tz: ZoneInfo) -> pd.DataFrame:
    """Bookings as a table: when (in ``tz``), who, what, price, status, link."""
    rows = [
        {
            "When": when(b.scheduled_date, b.scheduled_time, tz),
            "Session": b.session_type,
            "Expert": b.expert_name,
            "Customer": b.customer_name,
            "Minutes": b.duration,
            "Price": rupiah(b.price),
            "Status": b.status.label,
            "Meeting link": b.meeting_link or "",
            "Link attempts": b.link_attempts,
            "Booking id": b.id,
        }
        for b in bookings
    ]
    columns = ["When", "Session", "Expert", "Customer", "Minutes", "Price", "Status", "Meeting link",
               "Link attempts", "Booking id"]
    return pd.DataFrame(rows, columns=columns)


def job_runs_frame(runs: Iterable[JobRun], tz: ZoneInfo) -> pd.DataFrame:
    """Each background job's latest run: job, when it finished (in ``tz``), how it ended, what it did."""
    rows = [{"Job": r.job, "Last run": local_when(r.finished_at, tz), "Outcome": r.outcome.label,
             "Did": ", ".join(f"{k} {v}" for k, v in r.counts.items()), "Detail": r.message, "Worker": r.worker}
            for r in runs]
    return pd.DataFrame(rows, columns=["Job", "Last run", "Outcome", "Did", "Detail", "Worker"])


def join_clicks_line(clicks: Iterable[JoinClicks], tz: ZoneInfo) -> str:
    """``Join clicks: customer 2 (last Thursday, 26 November 2026, 14:02 WIB), expert 1 (last …)``,
    or that nobody clicked yet."""
    parts = [f"{c.person} {c.clicks}" + (f" (last {local_when(c.last_at, tz)})" if c.last_at else "")
             for c in clicks]
    return "Join clicks: " + (", ".join(parts) if parts else "none yet")


def attendance_text(attendance: Attendance | None, tz: ZoneInfo) -> str:
    """One booking's Google Meet attendance in plain words, for the ops page's booking detail."""
    if attendance is None:
        return "Attendance: not read yet (read from Google Meet after the session ends)."
    if attendance.status == "no data":
        why = f" ({attendance.last_error})" if attendance.last_error else ""
        return f"Attendance: no data - Google Meet had no record of the session{why}."
    if attendance.status == "waiting":
        when = local_when(attendance.next_check_at, tz) if attendance.next_check_at else "soon"
        why = f"; last error: {attendance.last_error}" if attendance.last_error else ""
        return (f"Attendance: waiting for Google Meet's records ({attendance.attempts} attempt(s), "
                f"next {when}{why}).")

    def side(who: str, joined: bool, start: datetime | None, end: datetime | None, match: str) -> str:
        if not joined:
            return f"{who}: did not join (no-show)"
        span = f"{local_when(start, tz)} to {local_when(end, tz)}" if start and end else "times unknown"
        return f"{who}: joined {span}, recognised by {match}"

    a = attendance
    return "\n".join([
        "Attendance (Google Meet):",
        side("Expert", a.expert_joined, a.expert_joined_at, a.expert_left_at, a.expert_match),
        side("Customer", a.customer_joined, a.customer_joined_at, a.customer_left_at, a.customer_match),
        f"Together: {a.together_minutes} minute(s)",
    ])


def history_frame(entries: Iterable[HistoryEntry], tz: ZoneInfo) -> pd.DataFrame:
    """A booking's history, oldest first, with times in ``tz``."""
    rows = [{"At": local_when(e.at, tz), "Event": e.event, "Detail": e.detail, "By": e.actor} for e in entries]
    return pd.DataFrame(rows, columns=["At", "Event", "Detail", "By"])

