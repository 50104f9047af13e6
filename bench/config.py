"""What the benchmark measures with, shared by every figure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lib.access import Actor, Role
from lib.scheduling import Availability, TimeRange
from pages.ui.registry import PAGES as PAGE_SPECS

BENCH = Actor(Role.SYSTEM, email="bench")  # who the benchmark acts as, in the history
# The hours of the experts the link and throughput figures book: every day 08:00-18:00, no notice,
# so the hourly sessions those figures make are all free slots.
BENCH_HOURS = Availability(weekly=((TimeRange(8 * 60, 18 * 60),),) * 7, min_notice_minutes=0, horizon_days=365)

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
# Every page of the console (pages/ui/registry.py), by its short name, and those an expert may open.
PAGES = {("Book" if p.key == "book" else p.title): p.script for p in PAGE_SPECS}
EXPERT_PAGES = frozenset(title for title, p in zip(PAGES, PAGE_SPECS, strict=True) if Role.EXPERT in p.roles)
EXPERTS = 20
# Bookings that are "now" (upcoming, waiting for a link or a payment): the same at every size,
# so the pages show the same rows and only the history behind them grows.
CURRENT = 600
# Page runs not counted: the first ones of a process pay for imports and Streamlit's caches.
WARM_UP_RUNS = 3
# Times the memory figure's process opens every page for both roles: enough for every cache and
# pool to reach its size, so the peak is the pages' and not the first load's.
MEMORY_ROUNDS = 3


@dataclass(frozen=True)
class BenchConfig:
    """What to measure and how often; the defaults are the figures the README quotes."""

    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    page_runs: int = 11  # the fastest of 11 is steady on a busy 2-CPU machine; 7 was not always
    links: int = 200
    # The Calendar stand-in at Google's shape for the link figures (tests/support/calendar_server.py):
    # Calendar API latency is a median of about 0.2 s with a tail to about 1.5 s at p99 (a lognormal;
    # its mean is about 0.29 s), so the tail is given as p99 / median and scales with --latency.
    latency: float = 0.2  # median seconds per Calendar API request
    latency_tail: float = 7.5  # p99 / median: 1.5 s at the default median
    # Google makes the Meet conference asynchronously: the insert answers "pending" and the link
    # shows on a later read; 1 or 2 reads pending (drawn per conference) is what the docs describe.
    pending_reads: tuple[int, int] = (1, 2)
    # Google answers some requests 429 rateLimitExceeded even under quota (backend contention).
    rate_limit_share: float = 0.02
    retry_after: int = 1  # the Retry-After of those 429s, seconds
    # Google's per-user quota: 600 requests in any minute; beyond it 429 until a slot frees.
    quota_per_minute: int = 600
    concurrency: int | None = None  # None: the setting link_concurrency (128 by default)
    # Ours is the median of these runs: one run's time is set by its tail (a 429'd insert near the
    # end, a slow read), so a median of 3 could still land on a tail; with the seed loop and the
    # backlog, make bench stays within 10 minutes.
    link_runs: int = 5
    server_sessions: int = 12  # new sessions per page and size through a real server (and rounds of switches)
    throughput_bookings: int = 1000  # bookings through the whole flow per run
    throughput_runs: int = 3  # timed runs per store; the best counts
    throughput_fills: tuple[int, ...] = (10_000, 100_000)  # bookings already stored, beside an empty store
    # Supabase (bench.supabase_pages, bench.supabase_booking): seconds added to each request, as a
    # server and its project in nearby regions; bookings made with 16 at once. They need PostgreSQL 15
    # (bash tests/pg.sh); --no-supabase leaves them out.
    supabase: bool = True
    supabase_latency: float = 0.020
    supabase_bookings: int = 320
    # A backlog at Google's quota (bench.backlog): paid bookings linked by two processes at once,
    # under this per-minute quota of the stand-in and the same shared budget of the console.
    backlog: int = 300
    backlog_quota: int = 200
    fresh_starts: int = 3  # fresh starts of the console and of an empty app each (bench.fresh_start)
    out: Path = Path("bench-results/bench.json")
    seed: int = 7


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for the JSON."""
    return round(seconds * 1000, 2)
