"""``python -m bench`` (``make bench``): measure, print the table, write the JSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bench.config import BenchConfig
from bench.figures import run
from bench.goals import failed
from bench.report import render, write_docs


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if len(sizes) < 2 or min(sizes) < 2:
        raise argparse.ArgumentTypeError("give at least two sizes of 2 bookings or more, e.g. 1000,100000")
    return sizes


def _fills(text: str) -> tuple[int, ...]:
    try:
        fills = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if any(n < 2 for n in fills):
        raise argparse.ArgumentTypeError("each fill is at least 2 bookings, e.g. 10000,100000")
    return fills


def parser() -> argparse.ArgumentParser:
    """The benchmark's options; each default is the figure the docs quote."""
    d = BenchConfig()
    b = argparse.ArgumentParser(prog="python -m bench",
                                description="Measure page loads, bulk links and bookings per second; print a table, "
                                            "write JSON.")
    b.add_argument("--sizes", type=_sizes, default=d.sizes, help="booking counts for the page figures (1000,100000)")
    b.add_argument("--page-runs", type=int, default=d.page_runs, help="AppTest runs per page and size")
    b.add_argument("--links", type=int, default=d.links, help="paid bookings for the link figures")
    b.add_argument("--latency", type=float, default=d.latency, help="median s per Calendar API request (p99 7.5x)")
    b.add_argument("--concurrency", type=int, default=d.concurrency, help="links at a time (default: the setting)")
    b.add_argument("--link-runs", type=int, default=d.link_runs, help="runs of our link run")
    b.add_argument("--server-sessions", type=int, default=d.server_sessions,
                   help="new sessions per page and size through a real streamlit server")
    b.add_argument("--throughput-bookings", type=int, default=d.throughput_bookings,
                   help="bookings through the whole flow per throughput run")
    b.add_argument("--throughput-runs", type=int, default=d.throughput_runs, help="timed throughput runs per store")
    b.add_argument("--throughput-fills", type=_fills, default=d.throughput_fills,
                   help="bookings already stored for the throughput figure, beside an empty store (10000,100000)")
    b.add_argument("--supabase-latency", type=float, default=d.supabase_latency,
                   help="seconds added to each Supabase request (0.020: a nearby region)")
    b.add_argument("--supabase-bookings", type=int, default=d.supabase_bookings,
                   help="bookings made 16 at once on Supabase")
    b.add_argument("--no-supabase", dest="supabase", action="store_false",
                   help="skip the Supabase figures (they need PostgreSQL 15: bash tests/pg.sh)")
    b.add_argument("--backlog", type=int, default=d.backlog,
                   help="paid bookings of the backlog two processes link under Google's quota")
    b.add_argument("--backlog-quota", type=int, default=d.backlog_quota,
                   help="the stand-in's per-minute quota and the console's shared budget for the backlog")
    b.add_argument("--fresh-starts", type=int, default=d.fresh_starts,
                   help="fresh starts (with the demo data) of the console and of an empty app, each")
    b.add_argument("--out", type=Path, default=d.out, help="where the JSON goes")
    b.add_argument("--seed", type=int, default=d.seed, help="seed of the generated data")
    b.add_argument("--write-docs", action="store_true",
                   help="put the tables into docs/benchmark.md and the README (make bench does)")
    return b


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark with ``argv``: 0 when every goal is met, 1 when one is missed, 2 on bad options."""
    args = parser().parse_args(argv)
    for name in ("page_runs", "links", "link_runs", "throughput_bookings", "throughput_runs", "server_sessions",
                 "backlog", "backlog_quota", "fresh_starts"):
        if getattr(args, name) < 1:
            print(f"error: --{name.replace('_', '-')} must be at least 1", file=sys.stderr)
            return 2
    if args.latency < 0 or (args.concurrency is not None and args.concurrency < 1):
        print("error: --latency cannot be negative and --concurrency must be at least 1", file=sys.stderr)
        return 2
    config = replace(BenchConfig(), sizes=args.sizes, page_runs=args.page_runs, links=args.links,
                     latency=args.latency, concurrency=args.concurrency, link_runs=args.link_runs,
                     throughput_bookings=args.throughput_bookings, throughput_runs=args.throughput_runs,
                     throughput_fills=args.throughput_fills, out=args.out,
                     seed=args.seed, server_sessions=args.server_sessions, backlog=args.backlog,
                     backlog_quota=args.backlog_quota, fresh_starts=args.fresh_starts)
    if args.supabase_latency < 0 or args.supabase_bookings < 1:
        print("error: --supabase-latency cannot be negative and --supabase-bookings must be at least 1",
              file=sys.stderr)
        return 2
    config = replace(config, supabase=args.supabase, supabase_latency=args.supabase_latency,
                     supabase_bookings=args.supabase_bookings)
    result = run(config)
    print()
    print(render(result, "full"))
    print(f"\nJSON in {config.out}")
    if args.write_docs:
        for path in write_docs(result):
            print(f"wrote {path}")
    missed = failed(result["goals"])
    if missed:
        print(f"\n{len(missed)} goal(s) missed: " + "; ".join(f"{g['name']} = {g['value']} {g['unit']}, goal "
                                                          f"{g['goal']} {g['unit']}" for g in missed), file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
