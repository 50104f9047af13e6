"""What the benchmark measures with, shared by every figure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lib.access import Actor, Role
from lib.scheduling import Availability, TimeRange

BENCH = Actor(Role.SYSTEM, email="bench")  # who the benchmark acts as, in the history
# The hours of the experts the link and throughput figures book: every day 08:00-18:00, no notice,
# so the hourly sessions those figures make are all free slots.
BENCH_HOURS = Availability(weekly=((TimeRange(8 * 60, 18 * 60),),) * 7, min_notice_minutes=0, horizon_days=365)

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PAGES = {"My sessions": "pages/views/my_sessions.py", "Ops": "pages/views/ops.py", "Book": "pages/views/book.py",
         "Overview": "pages/views/overview.py"}
EXPERTS = 20
# Bookings that are "now" (upcoming, waiting for a link or a payment): the same at every size,
# so the pages show the same rows and only the history behind them grows.
CURRENT = 600
# Page runs not counted: the first ones of a process pay for imports and Streamlit's caches.
WARM_UP_RUNS = 3


@dataclass(frozen=True)
class BenchConfig:
    """What to measure and how often; the defaults are the figures the README quotes."""

    sizes: tuple[int, ...] = (1_000, 100_000)
    page_runs: int = 7
    links: int = 200
    latency: float = 0.2
    concurrency: int | None = None  # None: the setting link_concurrency (8 by default)
    link_runs: int = 3
    throughput_bookings: int = 1000  # bookings through the whole flow per run
    throughput_runs: int = 3  # timed runs per store; the best counts
    throughput_fills: tuple[int, ...] = (10_000, 100_000)  # bookings already stored, beside an empty store
    out: Path = Path("bench-results/bench.json")
    seed: int = 7


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for the JSON."""
    return round(seconds * 1000, 2)
