"""How long ``free_slots`` takes for one expert, 30 days and 1,000 existing bookings; and the
console's whole path to an expert's free slots (``bench_service_slots``) on each filled file.

``python -m bench.slots`` prints the median and slowest of 50 runs; ``make bench`` reports the
median as a goal. The bookings are
random one-hour sessions on a 15-minute grid spread over ``span_days`` (30: a crowded month,
few slots left; 365: a normal month, many slots to build), plus 200 Google busy ranges.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lib.scheduling.model import Availability, TimeRange


def bench_free_slots(*, bookings: int = 1000, days: int = 30, span_days: int = 30, runs: int = 50) -> dict[str, float]:
    """Median and slowest ``free_slots`` time in milliseconds, and the number of slots found."""
    from lib.scheduling.slots import free_slots

    rng = random.Random(1)
    a = Availability(weekly=((TimeRange(540, 720), TimeRange(780, 1080)),) * 7, slot_step_minutes=15,
                     buffer_before=10, buffer_after=15, max_per_day=20)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    held = []
    for _ in range(bookings):
        start = now + timedelta(minutes=15 * rng.randrange(0, span_days * 96))
        held.append((start, start + timedelta(minutes=60)))
    busy = [(s + timedelta(minutes=7), e) for s, e in held[:200]]
    first = date(2026, 3, 2)
    times, found = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        found = len(free_slots(a, 60, first, first + timedelta(days=days - 1), now=now, bookings=held, busy=busy))
        times.append((time.perf_counter() - began) * 1000)
    return {"median_ms": statistics.median(times), "max_ms": max(times), "slots": found}


def bench_service_slots(db: Path, expert_id: str, *, days: int = 30, runs: int = 11) -> dict[str, float]:
    """Median and slowest milliseconds of the console's own path to ``expert_id``'s free slots over
    ``days`` days from today on the filled file ``db``: ``BookingService.free_slots`` (the expert's
    availability and the range's active bookings from the store, then ``free_slots``); and the
    number of slots found."""
    from bench.config import BENCH
    from lib.config import Settings
    from lib.wiring import build_service

    service = build_service(Settings(sqlite_path=str(db), seed_demo_data=False, meeting_provider="jitsi"))
    first = service.today()
    times, found = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        found = len(service.free_slots(expert_id, 60, first, days, actor=BENCH).slots)
        times.append((time.perf_counter() - began) * 1000)
    return {"median_ms": statistics.median(times), "max_ms": max(times), "slots": found}


if __name__ == "__main__":
    for span in (30, 365):
        r = bench_free_slots(span_days=span)
        print(f"free_slots, 30 days, 1000 bookings over {span} days + 200 busy ranges: "
              f"median {r['median_ms']:.2f} ms, slowest {r['max_ms']:.2f} ms, {r['slots']:.0f} slots", file=sys.stdout)
