"""Take the README's pictures: docs/images/*.png.

    .venv/bin/python tests/screenshots.py [FOLDER]

Starts `streamlit run app.py` as `make run` does (embedded defaults, demo data, no secrets
file) on a free port with a throw-away SQLite file, opens each pictured page in Debian's
Chromium (/usr/bin/chromium, driven by Playwright, headless) at a laptop's 1366x900 (and My
sessions at a phone's 390x844 too) and saves a screenshot of each. Only the standard library
and Playwright, so it runs from a fresh clone after `pip install -r requirements-dev.txt`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"streamlit exited with {process.returncode}")
        try:
            with opener.open(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not become healthy within {seconds:.0f}s")


# What a page says while a fresh start is still making the demo bookings in the background.
STILL_SEEDING = "The demo bookings are still being made"


def wait_for_demo_data(browser: object, url: str, seconds: float = 120) -> None:
    """Open the console (its first run starts the demo bookings) and reload until the pages no
    longer say the bookings are still being made: the pictures show the whole demo data."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(60_000)
    deadline = time.monotonic() + seconds
    page.goto(url + "/book")
    page.get_by_role("heading", name="Book a session").wait_for()
    while page.get_by_text(STILL_SEEDING).count():
        if time.monotonic() > deadline:
            raise SystemExit(f"the demo data was still being made after {seconds:.0f}s")
        page.wait_for_timeout(1000)
        page.reload()
        page.get_by_role("heading", name="Book a session").wait_for()
    page.close()


# (file, address, a heading that shows the page has drawn, viewport width, height, whole page)
PICTURES = (
    ("book.png", "/book", "Book a session", 1366, 900, False),
    ("my-sessions.png", "/my-sessions?as=rina-kusuma", "Upcoming", 1366, 900, False),
    ("my-sessions-phone.png", "/my-sessions?as=rina-kusuma", "Upcoming", 390, 844, False),
    ("overview.png", "/overview", "Bookings per day", 1366, 900, True),
    ("ops.png", "/ops", "Paid, awaiting a link", 1366, 900, False),
)


def main(folder: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        # Only what `make run` has: no secrets file, no CALLEXPERT_* settings but the data file.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLEXPERT_") and k not in PROXY_VARS}
        env["CALLEXPERT_SECRETS_FILE"] = str(Path(scratch) / "no-secrets.toml")
        env["CALLEXPERT_SQLITE_PATH"] = str(Path(scratch) / "callexpert.db")
        port = free_port()
        streamlit = Path(sys.executable).with_name("streamlit")
        with (Path(scratch) / "streamlit.log").open("wb") as log:
            process = subprocess.Popen(
                [str(streamlit), "run", "app.py", "--server.headless", "true", "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            url = f"http://127.0.0.1:{port}"
            try:
                wait_healthy(url, process)
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    folder.mkdir(parents=True, exist_ok=True)
                    wait_for_demo_data(browser, url)
                    for name, address, heading, width, height, whole in PICTURES:
                        page = browser.new_page(viewport={"width": width, "height": height}, locale="id-ID")
                        page.set_default_timeout(60_000)
                        page.goto(url + address)
                        page.get_by_role("heading", name=heading).first.wait_for()
                        page.wait_for_timeout(2500)  # let the charts and the last elements finish drawing
                        page.screenshot(path=str(folder / name), full_page=whole)
                        page.close()
                        print(f"wrote {folder / name}")
                    browser.close()
            finally:
                process.terminate()
                process.wait(10)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images")
