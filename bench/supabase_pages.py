"""Every page of the console on Supabase: AppTest runs of each page, as ops and as an expert, with
the console's store the real supabase-py client against the PostgREST stand-in over PostgreSQL 15
(``bench.supabase_wire``), a fixed delay on every request, at a small and a large size.

On Supabase every store call is an HTTPS round trip, so a page's time there is mostly its round
trips times the distance to the project; the figure counts them per page render (the requests
the client made) and times the render. The rows are ``bench.data``'s files, copied into
PostgreSQL, so both stores show the same bookings.

``python -m bench.supabase_pages [SIZES] [--latency S] [--runs N]`` prints the figure alone.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time as clock
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.config import WARM_UP_RUNS, ms
from bench.data import Filled, fill
from bench.pages import _environment, _open, _quiet_streamlit, _raise_page_errors, page_env, page_roles
from bench.supabase_wire import database, load, serve, supabase_env

LATENCY = 0.020  # seconds per request: a server and its Supabase project in nearby regions


def measure_supabase_pages(filled: Sequence[Filled], runs: int, latency: float = LATENCY) -> dict[str, Any]:
    """Per page, role and size: the least and median time of one AppTest run on Supabase and the
    round trips it made. Each size is its own database and project address; the sizes take turns
    after ``WARM_UP_RUNS`` uncounted runs, as in ``bench.pages``."""
    _quiet_streamlit()
    with _databases(filled) as dsns, serve({str(f.bookings): dsns[f.bookings] for f in filled}, latency) as wire:
        pages: dict[str, dict[str, dict[str, Any]]] = {}
        for title, role in page_roles():
            apps: dict[Filled, Any] = {}
            for f in filled:
                with _env(f):
                    at = apps[f] = _open(title, role, f)
                    for _ in range(WARM_UP_RUNS - 1):
                        at.run()
                        _raise_page_errors(at, title, role)
            times: dict[Filled, list[float]] = {f: [] for f in filled}
            trips: dict[Filled, list[int]] = {f: [] for f in filled}
            for _ in range(runs):
                for f in filled:
                    with _env(f):
                        before = wire.requests[str(f.bookings)]
                        began = clock.perf_counter()
                        apps[f].run()
                        times[f].append(clock.perf_counter() - began)
                        _raise_page_errors(apps[f], title, role)
                        trips[f].append(wire.requests[str(f.bookings)] - before)
            pages.setdefault(title, {})[role] = {
                str(f.bookings): {"min_ms": ms(min(times[f])), "median_ms": ms(statistics.median(times[f])),
                                  "runs_ms": [ms(x) for x in times[f]], "round_trips": sorted(set(trips[f]))}
                for f in filled}
    return {"latency_ms": ms(latency), "sizes": [f.bookings for f in filled], "pages": pages}


def _env(f: Filled) -> Any:
    """The settings of size ``f``'s project for the runs inside (``_environment`` drops the process's reading)."""
    return _environment({**page_env(f.db), **supabase_env(str(f.bookings))})


class _databases:
    """One migrated database per size, filled with that size's rows; dropped afterwards."""

    def __init__(self, filled: Sequence[Filled]) -> None:
        self._filled = filled
        self._stack: Any = None

    def __enter__(self) -> dict[int, str]:
        self._stack = contextlib.ExitStack()
        dsns = {}
        for f in self._filled:
            dsn = dsns[f.bookings] = self._stack.enter_context(database(f"bench_{f.bookings}"))
            load(dsn, f)
        return dsns

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Fill SQLite files, copy them into PostgreSQL and print each page's round trips and times."""
    parser = argparse.ArgumentParser(prog="python -m bench.supabase_pages")
    parser.add_argument("sizes", nargs="?", default="1000,100000", help="booking counts (1000,100000)")
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds added to each request")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page, role and size")
    args = parser.parse_args(argv)
    from lib.config import Settings

    today = datetime.now(Settings().tz).date()
    with tempfile.TemporaryDirectory(prefix="callexpert-supabase-") as tmp:
        filled = [fill(Path(tmp) / f"pages-{n}.db", int(n), today) for n in args.sizes.split(",")]
        result = measure_supabase_pages(filled, args.runs, args.latency)
    for title, roles in result["pages"].items():
        for role, sizes in roles.items():
            print(f"{title:>14} as {role:<6} " + "  ".join(
                f"{n}: {v['min_ms']:>7.1f} ms, {v['round_trips']} trips" for n, v in sizes.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
