"""Playwright driving Debian's Chromium against `streamlit run`, for the browser tests.

Playwright never downloads a browser here: it drives /usr/bin/chromium (`apt-get install
chromium`; .ci/run does it). Without it, or without the playwright package, the browser tests
skip, except under CI, where they fail.

``console`` is the console the browser tests share: `streamlit run` on a free port over its own
SQLite file with demo data, every expert open around the clock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time as clock
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.wiring import build_service
from tests.support.bookings import open_all_hours
from tests.support.env import clean_environ, free_port
from tests.support.hours import ALWAYS_OPEN_ENV, ALWAYS_OPEN_SETTING

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"  # screenshots and server logs (kept out of git)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000


def unavailable(reason: str) -> None:
    """Skip the browser test for ``reason``; under CI fail instead, since CI installs the browser."""
    if os.environ.get("CI"):
        pytest.fail(f"The browser test must run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Debian's Chromium under Playwright, headless; each launch gets a fresh temporary profile."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_for(url: str, process: subprocess.Popen[bytes], what: str, seconds: float = 60) -> None:
    """Wait until ``url`` answers 200, failing at once if ``process`` (which serves it) exits."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
    deadline = clock.monotonic() + seconds
    while clock.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        try:
            with opener.open(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        clock.sleep(0.2)
    raise AssertionError(f"{what} did not answer at {url} within {seconds:.0f}s")


def wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Wait until the Streamlit server at ``url`` says it is healthy."""
    wait_for(f"{url}/_stcore/health", process, "streamlit", seconds)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process``; kill it if it has not gone within 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@contextmanager
def serve_console(folder: Path, env: Mapping[str, str], *, port: int, extra_args: Sequence[str] = (),
                  keep_log_as: str | None = None) -> Iterator[str]:
    """`streamlit run app.py` on 127.0.0.1:``port`` with ``env`` (its log in ``folder``), until the
    block ends; yields its URL once healthy. ``keep_log_as``: under CI the server's log is copied to
    test-artifacts/ under that name, beside the screenshots of a failed run."""
    streamlit = Path(sys.executable).with_name("streamlit")
    log_path = folder / "streamlit.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(streamlit), "run", "app.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", *extra_args],
            cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process)  # the health endpoint runs no script
            yield url
        finally:
            stop(process)
    if keep_log_as and os.environ.get("CI"):
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log_path, ARTIFACTS / keep_log_as)


def shot(page: object, name: str) -> Path:
    """A full-page screenshot into test-artifacts/browser-<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"browser-{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`streamlit run app.py` on a free port with its own SQLite file and demo data; (url, db)."""
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "console.db"
    # Demo data first, then free the slot the test clicks (the first expert, the day after
    # tomorrow 10:00), so it cannot collide with a demo session.
    svc = build_service(Settings(sqlite_path=str(db), seed_demo_data=True, default_availability=ALWAYS_OPEN_SETTING))
    first = svc.experts(actor=SYSTEM)[0]
    # The test books at days and times of its own (maybe a Sunday): open every expert's hours.
    open_all_hours(svc.store)
    clicked = svc.today() + timedelta(days=2)
    for b in svc.recent_bookings(limit=1000, actor=SYSTEM):
        if b.expert_id == first.id and b.scheduled_date == clicked and b.status.value in ("pending", "paid",
                                                                                           "confirmed"):
            svc.cancel(b.id, "Freeing the slot the browser test books", actor=SYSTEM)
    env = clean_environ(folder, CALLEXPERT_SQLITE_PATH=str(db), CALLEXPERT_SEED_DEMO_DATA="true", **ALWAYS_OPEN_ENV)
    with serve_console(folder, env, port=free_port(), keep_log_as="browser-streamlit.log") as url:
        yield url, db


def open_page(page: object, url: str, heading: str) -> None:
    """Go to ``url`` as a shared link would and wait for the page's heading."""
    page.goto(url)  # type: ignore[attr-defined]
    page.get_by_role("heading", name=heading, exact=True).wait_for()  # type: ignore[attr-defined]
    # Streamlit answers an unknown path with a "Page not found" dialog over the main page.
    assert page.get_by_text("Page not found").count() == 0, f"{url} is not a page of the console"  # type: ignore[attr-defined]
