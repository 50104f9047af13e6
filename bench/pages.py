"""Every page of the console through Streamlit's AppTest over the filled SQLite files: the time and
the store calls of one load, for ops and for an expert, and the peak memory of a process that
opens them all.

``python -m bench.pages --memory DB --expert ID --booking ID`` is the memory figure's own
process: it opens every page for both roles a few times and prints its peak RSS as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time as clock
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.config import APP, EXPERT_PAGES, MEMORY_ROUNDS, PAGES, ROOT, WARM_UP_RUNS, ms
from bench.counting import CountingStore
from bench.data import Filled
from lib.config import Settings
from lib.store.sqlite import SQLiteStore

OPS, EXPERT = "ops", "expert"
OVERVIEW_YEAR_DAYS = 366  # the Overview's longest range (lib.service.overview_figures.MAX_DAYS)
ROLES = (OPS, EXPERT)
VIEW_AS = "view_as"  # the demo's "View as" widget key (pages.ui.gate.VIEW_AS)
# What the Book page is measured with typed in its customer search: a part of a name many
# customers share, so the search has more than one screen of matches at every size.
CUSTOMER_SEARCH = "Customer 1"


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the pages' settings; put the old values back afterwards. The
    console reads its settings once per process (``current_settings``): the reading is dropped on
    both sides, so each size's runs read that size's file."""
    from lib.config import current_settings

    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    current_settings.cache_clear()
    try:
        yield
    finally:
        current_settings.cache_clear()
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _recording_stores() -> Iterator[dict[str, CountingStore]]:
    """Give each service the pages build a counting store, remembered by file, to read its count."""
    from lib import wiring

    stores: dict[str, CountingStore] = {}
    original = wiring.build_store

    def build_store(settings: Settings) -> Any:
        store = original(settings)
        if isinstance(store, SQLiteStore):
            counting = stores[store.path] = CountingStore(store)
            return counting
        return store

    wiring.build_store = build_store  # type: ignore[assignment]
    try:
        yield stores
    finally:
        wiring.build_store = original  # type: ignore[assignment]


def page_env(db: Path) -> dict[str, str]:
    """The settings a page run over ``db`` reads: the embedded default, no demo data, no secrets."""
    return {"CALLEXPERT_SQLITE_PATH": str(db), "CALLEXPERT_SEED_DEMO_DATA": "false",
            "CALLEXPERT_MEETING_PROVIDER": "jitsi", "CALLEXPERT_EMAIL_BACKEND": "outbox",
            "CALLEXPERT_SECRETS_FILE": str(db.parent / "no-secrets.toml")}


def page_roles() -> list[tuple[str, str]]:
    """Every (page, role) measured: each page as ops, and each page an expert may open as that expert."""
    return [(title, role) for role in ROLES for title in PAGES if role == OPS or title in EXPERT_PAGES]


def _quiet_streamlit() -> None:
    """Setting query parameters or session state from outside a script run makes Streamlit warn
    ("missing ScriptRunContext"); nothing is wrong. A filter, as Streamlit resets its loggers'
    levels whenever it reads its config."""
    import logging

    context_log = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    if not any(isinstance(f, _NoContextWarning) for f in context_log.filters):
        context_log.addFilter(_NoContextWarning())


class _NoContextWarning:
    def filter(self, record: Any) -> bool:
        return "missing ScriptRunContext" not in record.getMessage()


def _open(title: str, role: str, filled: Filled) -> Any:
    """An AppTest on ``title`` as ``role``, run once; the caller has the page's environment set.

    The expert is ``filled.expert_id`` (chosen in "View as", as the demo does); ops open the
    same expert's pages through ``?expert=``. The query parameters are ``_page_query``'s.
    """
    from streamlit.testing.v1 import AppTest  # Streamlit's test harness loads only for the benchmark

    at = AppTest.from_file(str(APP), default_timeout=300)
    if role == EXPERT:
        at.session_state[VIEW_AS] = filled.expert_id
    at.run()
    at.switch_page(PAGES[title])
    for key, value in _page_query(title, filled).items():
        at.query_params[key] = value
    if title == "Book":
        at.session_state["book_customer_q"] = CUSTOMER_SEARCH
    at.run()
    _raise_page_errors(at, title, role)
    return at


def measure_pages(filled: list[Filled], runs: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Per page, role and size: the minimum and median time of one AppTest run, and the store calls.

    Each page, role and size gets its own AppTest, run ``WARM_UP_RUNS`` times uncounted; then the
    sizes take turns, ``runs`` times each, so a slower moment of the machine hits every size alike.
    The minimum is the figure the goals compare: noise here (other processes on the CPUs) only
    ever adds time, so the fastest of several runs is the page's own cost. ``cpu_min_ms`` is the
    least CPU time of this process for one run, a cross-check that waiting for a CPU cannot move.
    """
    _quiet_streamlit()
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with _recording_stores() as stores:
        for title, role in page_roles():
            apps: dict[Filled, Any] = {}
            for f in filled:
                with _environment(page_env(f.db)):
                    at = apps[f] = _open(title, role, f)
                    for _ in range(WARM_UP_RUNS - 1):
                        at.run()
                        _raise_page_errors(at, title, role)
            times: dict[Filled, list[float]] = {f: [] for f in filled}
            cpu: dict[Filled, list[float]] = {f: [] for f in filled}
            calls: dict[Filled, list[int]] = {f: [] for f in filled}
            for _ in range(runs):
                for f in filled:
                    with _environment(page_env(f.db)):  # the pages read their settings on every run
                        store = stores.get(str(f.db.resolve()))
                        before = store.calls if store else 0
                        began, began_cpu = clock.perf_counter(), clock.process_time()
                        apps[f].run()
                        times[f].append(clock.perf_counter() - began)
                        cpu[f].append(clock.process_time() - began_cpu)
                        _raise_page_errors(apps[f], title, role)
                        if store is not None:
                            calls[f].append(store.calls - before)
            results.setdefault(title, {})[role] = {
                str(f.bookings): {"min_ms": ms(min(times[f])), "median_ms": ms(statistics.median(times[f])),
                                  "cpu_min_ms": ms(min(cpu[f])),
                                  "runs_ms": [ms(x) for x in times[f]], "store_calls": sorted(set(calls[f]))}
                for f in filled}
    return results


def _page_query(title: str, filled: Filled) -> dict[str, str]:
    """Query parameters a page is measured with.

    * ``?expert=`` the expert with upcoming sessions, on every page (ops' expert pickers read it;
      an expert's own pages ignore it);
    * Confirmation: ``?booking=`` one of that expert's current confirmed bookings;
    * Overview: ``?from=`` yesterday ``&to=`` today, the current bookings, the same at every size
      (the history was made four days before today or earlier), so its ratio shows whether it
      reads bookings outside its range. Its default range, 30 days, holds more bookings at
      100,000; ``measure_overview_year`` measures it over a whole year.
    """
    query = {"expert": filled.expert_id}
    if title == "Confirmation":
        query["booking"] = filled.booking_id
    if title == "Overview":
        today = datetime.now(Settings().tz).date()
        query.update({"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()})
    return query


def measure_overview_year(filled: list[Filled], runs: int) -> dict[str, Any]:
    """The Overview as ops over the last 366 days (its longest range), per size: the time of one
    AppTest run (minimum, median, least CPU); its store calls are the page figure's.

    The page figure above opens the Overview on yesterday and today, the same rows at every
    size; this one reads a year, which at 100,000 bookings is most of the file (the history
    spreads over the past year), so it shows what the store's aggregates cost when they cover
    many rows. The sizes take turns after ``WARM_UP_RUNS`` uncounted runs each, as for the pages.
    """
    from streamlit.testing.v1 import AppTest  # Streamlit's test harness loads only for the benchmark

    _quiet_streamlit()
    today = datetime.now(Settings().tz).date()
    first = today - timedelta(days=OVERVIEW_YEAR_DAYS - 1)
    apps: dict[Filled, Any] = {}
    times: dict[Filled, list[float]] = {f: [] for f in filled}
    cpu: dict[Filled, list[float]] = {f: [] for f in filled}
    for f in filled:
        with _environment(page_env(f.db)):
            at = apps[f] = AppTest.from_file(str(APP), default_timeout=300)
            at.run()
            at.switch_page(PAGES["Overview"])
            at.query_params.update({"from": first.isoformat(), "to": today.isoformat()})
            for _ in range(WARM_UP_RUNS):
                at.run()
                _raise_page_errors(at, "Overview", OPS)
    for _ in range(runs):
        for f in filled:
            with _environment(page_env(f.db)):
                began, began_cpu = clock.perf_counter(), clock.process_time()
                apps[f].run()
                times[f].append(clock.perf_counter() - began)
                cpu[f].append(clock.process_time() - began_cpu)
                _raise_page_errors(apps[f], "Overview", OPS)
    return {"days": OVERVIEW_YEAR_DAYS, "from": first.isoformat(), "to": today.isoformat(),
            "sizes": {str(f.bookings): {"min_ms": ms(min(times[f])), "median_ms": ms(statistics.median(times[f])),
                                        "cpu_min_ms": ms(min(cpu[f])), "runs_ms": [ms(x) for x in times[f]]}
                      for f in filled}}


def _raise_page_errors(at: Any, title: str, role: str) -> None:
    """A page that raises, or shows an error, is a failed measurement, not a figure."""
    if at.exception:
        raise RuntimeError(f"the {title} page as {role} failed: {at.exception[0].value}")
    if at.error:
        raise RuntimeError(f"the {title} page as {role} showed an error: {at.error[0].value}")


# -- peak memory -------------------------------------------------------------------------------------

def measure_memory(filled: list[Filled], rounds: int = MEMORY_ROUNDS) -> dict[str, Any]:
    """Peak RSS of a fresh process per size that opens every page for both roles ``rounds`` times.

    Each process imports the same code and draws the same screens; only the file differs, so
    the difference of the peaks is what the bookings behind the pages cost in memory.
    """
    peaks: dict[str, dict[str, float]] = {}
    for f in filled:
        command = [sys.executable, "-m", "bench.pages", "--memory", str(f.db), "--expert", f.expert_id,
                   "--booking", f.booking_id, "--rounds", str(rounds)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the memory run at {f.bookings:,} bookings failed:\n{done.stderr[-2000:]}")
        peaks[str(f.bookings)] = json.loads(done.stdout.strip().splitlines()[-1])
    small, large = str(min(f.bookings for f in filled)), str(max(f.bookings for f in filled))
    growth = (peaks[large]["peak_kib"] - peaks[small]["peak_kib"]) / 1024
    return {"rounds": rounds, "sizes": peaks, "growth_mib": round(growth, 1)}


def _memory_run(db: Path, expert_id: str, booking_id: str, rounds: int) -> dict[str, float]:
    """In this process: open every page for both roles ``rounds`` times; the peak RSS in KiB."""
    _quiet_streamlit()
    from streamlit.testing.v1 import AppTest  # noqa: F401  # the peak before the first page is the code's own

    filled = Filled(db, 0, expert_id, booking_id)
    with _environment(page_env(db)):
        imported = _max_rss_kib()
        for _ in range(rounds):
            for title, role in page_roles():
                at = _open(title, role, filled)
                at.run()
                _raise_page_errors(at, title, role)
    return {"peak_kib": _max_rss_kib(), "before_pages_kib": imported}


def _max_rss_kib() -> float:
    """This process's peak resident set size in KiB.

    On Linux, from ``VmHWM`` of /proc/self/status: ``getrusage``'s ``ru_maxrss`` keeps the peak
    of the process image before ``exec``, which for a child of the benchmark is the parent's
    (a benchmark with every file loaded), so every size would report the same number.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])  # "VmHWM:   123456 kB"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(peak) / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS, KiB elsewhere


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.pages --memory DB --expert ID --booking ID [--rounds N]``: one size's memory run."""
    parser = argparse.ArgumentParser(prog="python -m bench.pages",
                                     description="Open every page for both roles; print the peak RSS as JSON.")
    parser.add_argument("--memory", type=Path, required=True, help="a SQLite file filled by bench.data")
    parser.add_argument("--expert", required=True, help="the expert to view as")
    parser.add_argument("--booking", required=True, help="a current booking of that expert, for Confirmation")
    parser.add_argument("--rounds", type=int, default=MEMORY_ROUNDS, help="times every page is opened")
    args = parser.parse_args(argv)
    print(json.dumps(_memory_run(args.memory, args.expert, args.booking, max(1, args.rounds))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
