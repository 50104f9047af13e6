"""Shapes for display: bookings and days as small tables the pages can draw.

Pure Python and pandas, no Streamlit, so the pages stay a script of the screen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from lib.domain import Booking, HistoryEntry
from lib.timefmt import local_when as local_when  # re-exported: the pages take display shapes from here
from lib.timefmt import long_date, rupiah, short_date, when


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


def history_frame(entries: Iterable[HistoryEntry], tz: ZoneInfo) -> pd.DataFrame:
    """A booking's history, oldest first, with times in ``tz``."""
    rows = [{"At": local_when(e.at, tz), "Event": e.event, "Detail": e.detail, "By": e.actor} for e in entries]
    return pd.DataFrame(rows, columns=["At", "Event", "Detail", "By"])


def week_counts(bookings: Iterable[Booking], start: date, days: int = 7) -> pd.DataFrame:
    """Sessions per day for ``days`` days from ``start``: columns ``day``, ``label`` (``Tue 24/11``),
    ``long`` (``Tuesday, 24 November 2026``) and ``sessions``; days without sessions count 0."""
    per_day = Counter(b.scheduled_date for b in bookings)
    span = [start + timedelta(days=i) for i in range(days)]
    return pd.DataFrame(
        {
            "day": span,
            "label": [short_date(d) for d in span],
            "long": [long_date(d) for d in span],
            "sessions": [per_day.get(d, 0) for d in span],
        }
    )
