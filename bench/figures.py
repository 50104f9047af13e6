"""The whole run of ``python -m bench``: every figure measured side by side, checked against its goal.

Figures:

* every page of the console, for ops and for an expert, run through Streamlit's AppTest over
  SQLite files of different sizes (``bench.pages``): the time and the store calls of one load,
  and the peak memory of a fresh process per size that opens them all;
* the first paint and the first screen of new sessions through a real ``streamlit run`` server,
  over its websocket, every page ops may open (and an expert's, after "View as"), at each size
  (``bench.server``);
* "Create all missing links" against the local Calendar API server at Google's shape, and the
  seed's loop on the same links (``bench.links``, ``bench.seed_loop``);
* bookings per second through the whole flow on SQLite, on an empty store and on stores that
  already hold many bookings, with the transactions and statements per booking (``bench.throughput``);
* free slots of one expert over a month (``bench.slots``);
* the floors the ratio goals are measured against, in the same run (``bench.floors``, and an empty
  Streamlit app served the same way in ``bench.server``), and the page switches of one session;
* a backlog at Google's quota linked by two processes at once (``bench.backlog``);
* a fresh start of ``streamlit run`` with the demo data, in Chromium (``bench.fresh_start``).

The goals are in ``bench.goals``; the JSON's ``goals`` list has one line per goal and
``python -m bench`` exits non-zero when any of them is not ok.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import tempfile
import time as clock
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import goals as G
from bench.backlog import measure_backlog
from bench.config import BenchConfig
from bench.data import fill
from bench.floors import overview_year_floor, slots_floor
from bench.fresh_start import measure_fresh_start
from bench.links import measure_links
from bench.pages import measure_memory, measure_overview_year, measure_pages
from bench.server import measure_server
from bench.slots import bench_free_slots, bench_service_slots
from bench.supabase_figures import check_supabase, measure_supabase
from bench.throughput import measure_throughput
from lib.config import Settings


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(), "cpus": os.cpu_count()}


def run(config: BenchConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure everything, check every goal, write the JSON to ``config.out`` and return it."""
    began = clock.perf_counter()

    def stage(line: str) -> None:  # each stage's line says when it began, to see where the minutes go
        elapsed = int(clock.perf_counter() - began)
        log(f"[{elapsed // 60}:{elapsed % 60:02d}] {line}")

    today = datetime.now(Settings().tz).date()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="callexpert-bench-") as tmp:
        folder = Path(tmp)
        stage(f"Filling SQLite files with {', '.join(f'{n:,}' for n in config.sizes)} bookings...")
        filled = []
        for n in config.sizes:
            started = clock.perf_counter()
            filled.append(fill(folder / f"pages-{n}.db", n, today, seed=config.seed))
            stage(f"  {n:,} bookings in {clock.perf_counter() - started:.1f}s")
        stage(f"Every page as ops and as an expert through AppTest, {config.page_runs} runs each...")
        figures["pages"] = measure_pages(filled, config.page_runs)
        if config.supabase:
            measure_supabase(figures, config, filled, stage)
        stage(f"The Overview as ops over the last 366 days, {config.page_runs} runs per size...")
        figures["overview_year"] = measure_overview_year(filled, config.page_runs)
        stage("Peak memory: a fresh process per size opens every page for both roles...")
        figures["memory"] = measure_memory(filled)
        largest = max(filled, key=lambda f: f.bookings)
        stage("Floors: the Overview's year against one SQL pass, free slots against reading the bookings...")
        figures["floors"] = {"overview_year": overview_year_floor(largest.db, 366, config.page_runs),
                             "slots": slots_floor(largest.db, largest.expert_id, 30, config.page_runs)}
        stage(f"First paint of new sessions through a real streamlit server, {config.server_sessions} per page "
            "and size; page switches at the largest; the same on an empty app...")
        figures["server"] = measure_server(filled, config.server_sessions)
        stage(f"Create all missing links: {config.links} bookings at Google's shape (median {config.latency}s), "
            f"{config.link_runs} run(s) of ours, one of the seed's loop...")
        figures["links"] = measure_links(config, folder)
        stage(f"A backlog at Google's quota: {config.backlog} paid bookings linked by two processes at once, "
            f"quota and shared budget {config.backlog_quota}/min...")
        figures["backlog"] = measure_backlog(config, folder, config.backlog, config.backlog_quota)
        stage(f"A fresh start with the demo data in Chromium, against an empty app's, {config.fresh_starts} each...")
        figures["fresh_start"] = measure_fresh_start(config.fresh_starts)
        stage(f"Throughput: {config.throughput_bookings:,} bookings through the whole flow, best of "
            f"{config.throughput_runs} runs, on an empty store and on "
            f"{', '.join(f'{n:,}' for n in config.throughput_fills)} bookings...")
        figures["throughput"] = measure_throughput(config.throughput_bookings, config.throughput_fills,
                                                   config.throughput_runs, folder, today, config.seed)
        stage("Free slots: one expert, 30 days, 1,000 bookings and 200 busy ranges, 50 runs; then the console's "
            "path to an expert's free slots on each filled file, 11 runs...")
        # The goal is on the slot function with 1,000 bookings (a busy expert's year); at each size
        # the console's own path (store reads by index, then the function) shows how cost grows.
        figures["slots"] = {"bookings": 1000, "days": 30,
                            **bench_free_slots(bookings=1000, days=30, span_days=365, runs=50),
                            "sizes": {str(f.bookings): bench_service_slots(f.db, f.expert_id, days=30, runs=11)
                                      for f in filled}}
    result = {
        "goals": check_goals(figures, config),
        "machine": machine(),
        "command": " ".join(["python -m bench", *_argv(config)]),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(clock.perf_counter() - began, 1),
        "config": {**asdict(config), "out": str(config.out), "sizes": list(config.sizes)},
        "figures": figures,
    }
    write(result, config.out)
    return result


def check_goals(figures: dict[str, Any], config: BenchConfig) -> list[dict[str, Any]]:
    """One line per goal (``bench.goals``), from the measured figures."""
    small, large = min(config.sizes), max(config.sizes)
    lines = []
    for title, roles in figures["pages"].items():
        for role, page in roles.items():
            lo, hi = page[str(small)], page[str(large)]
            lines.append(G.page_ratio(title, role, small, large).check(round(hi["min_ms"] / lo["min_ms"], 2)))
            lines.append(G.store_calls(title, role, small, large).check(
                round(max(hi["store_calls"]) / max(min(lo["store_calls"]), 1), 2)))
    lines += check_supabase(figures)
    floors = figures["floors"]
    lines.append(G.overview_year(large).check(floors["overview_year"]["vs_floor"]))
    lines.append(G.memory_growth(small, large).check(figures["memory"]["growth_mib"]))
    links, throughput = figures["links"], figures["throughput"]
    lines.append(G.links_vs_seed(links["bookings"]).check(links["seed_vs_ours"]))
    lines.append(G.requests_per_link(links["bookings"]).check(links["ours"]["requests_per_link"]))
    backlog = figures["backlog"]
    for goal, value in zip(G.backlog(backlog["bookings"], backlog["quota_per_minute"]),
                           (backlog["not_linked"], backlog["most_per_minute"], backlog["quota_refused"],
                            backlog["vs_bound"]), strict=True):
        lines.append(goal.check(value))
    # The goal is the empty store's, against its floor; the filled stores show how cost grows.
    empty = throughput["stores"]["0"]["per_s"]
    lines.append(G.THROUGHPUT.check(throughput["stores"]["0"]["vs_floor"]))
    for stored, figure in throughput["stores"].items():
        if stored != "0":
            lines.append(G.throughput_growth(int(stored)).check(round(empty / figure["per_s"], 2)))
    lines.append(G.TRANSACTIONS.check(throughput["stores"]["0"]["transactions_per_booking"]))
    lines.append(G.SLOTS.check(floors["slots"]["vs_floor"]))
    server = figures["server"]
    ours = server[str(large)]["new_sessions"]["first_screen_p95_ms"]
    lines.append(G.first_screen(large).check(round(ours / server["empty"]["new_sessions"]["first_screen_p95_ms"], 2)))
    switches = server["page_switches"]["p95_ms"] / server["empty"]["page_switches"]["p95_ms"]
    lines.append(G.page_switch(large).check(round(switches, 2)))
    lines.append(G.fresh_start().check(figures["fresh_start"]["vs_empty"]))
    return lines


def write(result: dict[str, Any], out: Path) -> None:
    """Write the JSON, creating its folder."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def _argv(config: BenchConfig) -> list[str]:
    """The options that differ from the defaults, to print the command that reproduces a run."""
    default = BenchConfig()
    flags = {"sizes": "--sizes", "page_runs": "--page-runs", "links": "--links", "latency": "--latency",
             "concurrency": "--concurrency", "link_runs": "--link-runs",
             "throughput_bookings": "--throughput-bookings", "throughput_runs": "--throughput-runs",
             "throughput_fills": "--throughput-fills", "server_sessions": "--server-sessions",
             "supabase_latency": "--supabase-latency", "supabase_bookings": "--supabase-bookings",
             "backlog": "--backlog", "backlog_quota": "--backlog-quota", "fresh_starts": "--fresh-starts",
             "out": "--out", "seed": "--seed"}
    out = []
    for name, flag in flags.items():
        value = getattr(config, name)
        if value != getattr(default, name):
            out += [flag, ",".join(map(str, value)) if isinstance(value, tuple) else str(value)]
    return out if config.supabase else [*out, "--no-supabase"]
