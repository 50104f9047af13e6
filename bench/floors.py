"""The floors the ratio goals are measured against, each in the same run and on the same files.

A floor is the least the same work can cost on this machine, done without the console:

* **the Overview's year**: one SQL pass over the same rows (the bookings created in the range,
  grouped by day and status) against ``BookingService.overview`` over the year, on the largest
  filled file: the store's aggregates read the range once, so anything beyond a few passes is
  the console's own;
* **free slots**: reading an expert's bookings of the same 30 days with plain ``sqlite3``
  against ``BookingService.free_slots`` (the store's reads and the slot function) on the same
  file: what is left is the slot arithmetic, which must stay small beside a read;
* **bookings per second**: the write statements and commits one counted run of the flow made,
  replayed by plain ``sqlite3`` on a copy of the file as it was before the flow, with the
  store's durability settings (WAL, ``synchronous`` as the store sets it): the same rows and the
  same waits for the disk, without the console's reads, checks and Python
  (``bench.throughput`` records the statements and runs the replay).

``bench.server`` serves an empty Streamlit app the same way as the console for the first screen
and page-switch floors.
"""

from __future__ import annotations

import contextlib
import sqlite3
import statistics
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bench.config import ms
from lib.config import Settings


def _service(db: Path) -> Any:
    from lib.wiring import build_service

    return build_service(Settings(sqlite_path=str(db), seed_demo_data=False, meeting_provider="jitsi"))


def _best(fn: Any, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = clock.perf_counter()
        fn()
        times.append(clock.perf_counter() - began)
    return times


def overview_year_floor(db: Path, days: int, runs: int = 11) -> dict[str, Any]:
    """``BookingService.overview`` over the last ``days`` days against one SQL pass over the same rows
    (least of ``runs`` each, after one uncounted run).

    The rows are those the Overview's figures need: the bookings created in the range, their emails,
    link-attempt history lines and attendance, and for the headline's changes the bookings created in
    the range of the same length before it with their attendance. The floor reads each of them once,
    with the indexes the store has, and aggregates nothing beyond a count per kind: no figure over
    these rows can cost less than reading them."""
    from bench.config import BENCH

    service = _service(db)
    zone = Settings().tz
    today = service.today()
    first = today - timedelta(days=days - 1)
    before = first - timedelta(days=days)
    start = datetime.combine(before, time(0), zone).astimezone(UTC).isoformat(timespec="seconds")
    middle = datetime.combine(first, time(0), zone).astimezone(UTC).isoformat(timespec="seconds")
    end = datetime.combine(today + timedelta(days=1), time(0), zone).astimezone(UTC).isoformat(timespec="seconds")
    with contextlib.closing(sqlite3.connect(db)) as conn:
        def one_pass() -> list[Any]:
            return conn.execute(
                "WITH b AS MATERIALIZED (SELECT id, status, price, created_at >= ? AS now FROM bookings"
                " WHERE created_at >= ? AND created_at < ?)"
                " SELECT 'bookings', COUNT(*), SUM(price) FROM b"
                " UNION ALL SELECT 'emails', COUNT(*), NULL FROM b CROSS JOIN email_outbox o ON o.booking_id = b.id"
                " WHERE b.now"
                " UNION ALL SELECT 'attempts', COUNT(*), NULL FROM b JOIN booking_history h ON h.booking_id = b.id"
                " AND h.event IN ('link attempt', 'link attempt failed') WHERE b.now"
                " UNION ALL SELECT 'attendance', COUNT(*), NULL FROM b"
                " JOIN booking_attendance a ON a.booking_id = b.id",
                (middle, start, end)).fetchall()

        counted = {kind: n for kind, n, _ in one_pass()}
        floor = _best(one_pass, runs)
    service.overview(first, today, actor=BENCH)
    ours = _best(lambda: service.overview(first, today, actor=BENCH), runs)
    return {"days": days, "rows": counted["bookings"], "rows_read": counted, "ours_min_ms": ms(min(ours)),
            "floor_min_ms": ms(min(floor)), "vs_floor": round(min(ours) / min(floor), 2)}


def slots_floor(db: Path, expert_id: str, days: int = 30, runs: int = 11) -> dict[str, Any]:
    """``BookingService.free_slots`` of ``expert_id`` over ``days`` days against reading the same
    bookings (the expert's active ones of those days) with plain ``sqlite3`` (medians)."""
    from bench.config import BENCH

    service = _service(db)
    first = service.today()
    last = first + timedelta(days=days)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        def read() -> list[Any]:
            return conn.execute("SELECT starts_at, ends_at, status FROM bookings WHERE expert_id = ?"
                                " AND status NOT IN ('cancelled', 'expired') AND ends_at >= ? AND starts_at < ?",
                                (expert_id, first.isoformat(), last.isoformat())).fetchall()

        read()
        floor = _best(read, runs)
    service.free_slots(expert_id, 60, first, days, actor=BENCH)
    ours = _best(lambda: service.free_slots(expert_id, 60, first, days, actor=BENCH), runs)
    return {"days": days, "ours_median_ms": ms(statistics.median(ours)),
            "floor_median_ms": ms(statistics.median(floor)),
            "vs_floor": round(statistics.median(ours) / statistics.median(floor), 2)}
