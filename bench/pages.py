"""Page loads through Streamlit's AppTest over the filled SQLite files."""

from __future__ import annotations

import contextlib
import os
import statistics
import time as clock
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.config import APP, PAGES, WARM_UP_RUNS, ms
from bench.counting import CountingStore
from bench.data import Filled
from lib.config import Settings
from lib.store.sqlite import SQLiteStore


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the pages' settings; put the old values back afterwards."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
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


def _page_env(db: Path) -> dict[str, str]:
    return {"CALLEXPERT_SQLITE_PATH": str(db), "CALLEXPERT_SEED_DEMO_DATA": "false",
            "CALLEXPERT_MEETING_PROVIDER": "jitsi", "CALLEXPERT_EMAIL_BACKEND": "outbox",
            "CALLEXPERT_SECRETS_FILE": str(db.parent / "no-secrets.toml")}


def measure_pages(filled: list[Filled], runs: int) -> dict[str, dict[str, Any]]:
    """Median AppTest run time and store calls of each page at each size.

    Each size gets its own AppTest, run ``WARM_UP_RUNS`` times uncounted; then the sizes take
    turns, ``runs`` times each, so a slower moment of the machine hits both alike.
    """
    import logging

    from streamlit.testing.v1 import AppTest  # Streamlit's test harness loads only for the benchmark

    # Setting query parameters from outside a script run makes Streamlit warn; nothing is wrong.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    results: dict[str, dict[str, Any]] = {}
    with _recording_stores() as stores:
        for title, page in PAGES.items():
            apps: dict[Filled, Any] = {}
            for f in filled:
                with _environment(_page_env(f.db)):
                    at = AppTest.from_file(str(APP), default_timeout=300).run()
                    at.switch_page(page)
                    at.query_params["expert"] = f.expert_id
                    at.query_params.update(_page_query(title))
                    for _ in range(WARM_UP_RUNS):
                        at.run()
                        _raise_page_errors(at, title)
                apps[f] = at
            times: dict[Filled, list[float]] = {f: [] for f in filled}
            calls: dict[Filled, list[int]] = {f: [] for f in filled}
            for _ in range(runs):
                for f in filled:
                    with _environment(_page_env(f.db)):  # the pages read their settings on every run
                        store = stores.get(str(f.db.resolve()))
                        before = store.calls if store else 0
                        began = clock.perf_counter()
                        apps[f].run()
                        times[f].append(clock.perf_counter() - began)
                        _raise_page_errors(apps[f], title)
                        if store is not None:
                            calls[f].append(store.calls - before)
            results[title] = {str(f.bookings): {"median_ms": ms(statistics.median(times[f])),
                                                "runs_ms": [ms(x) for x in times[f]],
                                                "store_calls": sorted(set(calls[f]))} for f in filled}
    return results


def _page_query(title: str) -> dict[str, str]:
    """Query parameters a page is measured with besides ``?expert=``.

    The Overview covers yesterday and today: the current bookings, the same at both sizes (the
    history was made four days before today or earlier), so its ratio shows whether it reads
    bookings outside its range. Its default range, 30 days, holds more bookings at 100,000.
    """
    if title != "Overview":
        return {}
    today = datetime.now(Settings().tz).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}


def _raise_page_errors(at: Any, title: str) -> None:
    if at.exception:
        raise RuntimeError(f"the {title} page failed: {at.exception[0].value}")
