"""A fresh start: from ``streamlit run`` on a missing database to the first page's content in a new
browser session, the demo data included, against the same for an empty Streamlit app.

Chromium (``/usr/bin/chromium``, driven by Playwright as the browser tests do) is started before
the clock; each start then launches the server, waits for its health check, opens a new browser
context at ``/`` and waits until the page's title is shown and the script has finished (the
app's ``data-test-script-state`` is ``notRunning``): what a visitor of a fresh ``make run`` reads.
The console runs on its embedded defaults (SQLite with the demo data, Jitsi, the outbox, the demo
payment) on a database file that does not exist yet; the empty app (``bench.server.empty_app``)
draws only the same title. Medians of ``runs`` starts each, taking turns.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import tempfile
import time as clock
from pathlib import Path
from typing import Any

from bench.config import APP, ROOT, ms
from bench.server import Target, _free_port, command, empty_app, stop, wait_healthy
from pages.ui.registry import PAGES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_S = 120.0


def _env(db: Path) -> dict[str, str]:
    """The console's embedded defaults, on ``db``: no other console setting from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLEXPERT_")}
    return {**env, "CALLEXPERT_SQLITE_PATH": str(db)}


def one_start(browser: Any, app: Path, db: Path, title: str) -> float:
    """Seconds from starting ``streamlit run app`` (over ``db``) to ``title`` shown with the first
    page's script finished, in a new browser context."""
    port = _free_port()
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as log:
        began = clock.perf_counter()
        process = subprocess.Popen(command(app, port), cwd=ROOT if app == APP else app.parent, env=_env(db),
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_healthy(process, port, log, TIMEOUT_S)
            context = browser.new_context()
            try:
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{port}/", timeout=TIMEOUT_S * 1000)
                page.get_by_role("heading", name=title).first.wait_for(timeout=TIMEOUT_S * 1000)
                page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=TIMEOUT_S * 1000)
                took = clock.perf_counter() - began
                exception = page.locator('[data-testid="stException"]')
                if exception.count():
                    raise RuntimeError(f"the first page showed an exception: {exception.first.inner_text()[:300]}")
            finally:
                context.close()
        finally:
            stop(process)
    return took


def measure_fresh_start(runs: int = 3) -> dict[str, Any]:
    """The console's and an empty app's fresh starts, ``runs`` each taking turns (medians)."""
    from playwright.sync_api import sync_playwright

    title = PAGES[0].title
    console, empty = [], []
    with tempfile.TemporaryDirectory(prefix="callexpert-fresh-") as tmp, sync_playwright() as p:
        folder = Path(tmp)
        bare = empty_app(folder / "empty", [Target(PAGES[0].key, PAGES[0].url_path, title)])
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            with contextlib.closing(browser.new_context()) as warm:  # Chromium's own first start is not counted
                warm.new_page().goto("about:blank")
            for n in range(runs):
                empty.append(one_start(browser, bare, folder / f"empty-{n}.db", title))
                db = folder / f"fresh-{n}" / "callexpert.db"
                console.append(one_start(browser, APP, db, title))
                if not db.exists():
                    raise RuntimeError(f"the console did not create {db}")
        finally:
            browser.close()
    ours, floor = statistics.median(console), statistics.median(empty)
    return {"runs": runs, "ms": ms(ours), "empty_ms": ms(floor), "runs_ms": [ms(t) for t in console],
            "empty_runs_ms": [ms(t) for t in empty], "vs_empty": round(ours / floor, 2)}
