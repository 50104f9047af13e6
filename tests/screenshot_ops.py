"""Take the README's picture of the ops page: docs/images/ops.png.

    .venv/bin/python tests/screenshot_ops.py [OUTPUT.png]

Starts `streamlit run app.py` as `make run` does (embedded defaults, demo data, no secrets
file) on a free port with a throw-away SQLite file, opens the ops page in Debian's Chromium
(/usr/bin/chromium, driven by Playwright, headless) in a 1400x900 window and saves a
screenshot of the whole page. Only the standard library and Playwright, so it runs from a
fresh clone after `pip install -r requirements-dev.txt`.
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


def main(output: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        # Only what `make run` has: no secrets file, no CALLEXPERT_* settings but the data file.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLEXPERT_") and k not in PROXY_VARS}
        env["CALLEXPERT_SECRETS_FILE"] = str(Path(folder) / "no-secrets.toml")
        env["CALLEXPERT_SQLITE_PATH"] = str(Path(folder) / "callexpert.db")
        port = free_port()
        streamlit = Path(sys.executable).with_name("streamlit")
        with (Path(folder) / "streamlit.log").open("wb") as log:
            process = subprocess.Popen(
                [str(streamlit), "run", "app.py", "--server.headless", "true", "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            url = f"http://127.0.0.1:{port}"
            try:
                wait_healthy(url, process)
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="id-ID")
                    page.set_default_timeout(60_000)
                    page.goto(url)  # the first load seeds the demo data
                    page.get_by_role("heading", name="Book a session", exact=True).wait_for()
                    page.goto(f"{url}/ops")
                    page.get_by_role("heading", name="Ops", exact=True).wait_for()
                    page.get_by_role("heading", name="Paid, awaiting a link").wait_for()
                    page.wait_for_timeout(1500)  # let the last elements finish drawing
                    output.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(output))
                    browser.close()
            finally:
                process.terminate()
                process.wait(10)
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images" / "ops.png")
