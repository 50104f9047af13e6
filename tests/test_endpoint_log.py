"""What the notification endpoint writes to its log about each request: method, route, status and
time; never a Join token (nor any other path but its own routes, nor a query), and the client's
address only when ``log_client_addresses`` asks for it. Over real HTTP, in this process and as
``python -m lib serve-notifications``."""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
import time as systime
from pathlib import Path

import httpx
import pytest

from lib.access import SYSTEM
from lib.entrypoints.web import loggable_path
from tests.support.endpoint import serving
from tests.support.env import clean_environ, free_port
from tests.support.join_tokens import BASE, token_of
from tests.support.world import World, book, build

ROOT = Path(__file__).resolve().parents[1]
CLIENT = "203.0.113.7"  # the address the reverse proxy on loopback forwards (TEST-NET-3)
FORWARDED = {"X-Forwarded-For": CLIENT}
# An access line: [address] method route status, then the milliseconds taken.
LINE = re.compile(r"(?:(\d+\.\d+\.\d+\.\d+) )?(.+ \d{3}) \d+ ms")


def join_token(world: World) -> str:
    booking = book(world)
    return token_of(next(e for e in world.svc.emails(booking_id=booking.id, actor=SYSTEM)
                         if e.kind == "confirmed.customer"))


def visit(http: httpx.Client, token: str) -> None:
    """A person's click, a mail scanner's HEAD, and tokens sent where they do not belong."""
    assert http.get(f"/j/{token}", headers=FORWARDED).status_code == 302
    assert http.head(f"/j/{token}", headers=FORWARDED).status_code == 302
    assert http.get(f"/j/{token[::-1]}", headers=FORWARDED).status_code == 404
    assert http.get(f"/notify/j/{token}", headers=FORWARDED).status_code == 404  # a proxy that kept its prefix
    assert http.get(f"/healthz?t={token}", headers=FORWARDED).status_code == 200
    assert http.request("BREW", f"/j/{token}", headers=FORWARDED).status_code == 405


EXPECTED = ["GET /j/<token> 302", "HEAD /j/<token> 302", "GET /j/<token> 404", "GET <other path> 404",
            "GET /healthz 200", "<other method> /j/<token> 405"]


def logged(world: World, caplog: pytest.LogCaptureFixture) -> tuple[str, list[str], str]:
    """The token, every access line, and everything the server logged while it served ``visit``."""
    token = join_token(world)
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    with serving(world.svc) as http:
        visit(http, token)
    # The server has stopped: every request's line is written.
    lines = [r.getMessage() for r in caplog.records if r.name == "lib.entrypoints.web.access"]
    # The server's side only: the test's own HTTP client logs the addresses it asks for.
    served = [r for r in caplog.records if r.name.split(".")[0] in ("lib", "uvicorn", "starlette")]
    everything = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in served)
    return token, lines, everything


@pytest.mark.usefixtures("always_open")
def test_the_log_holds_no_token_and_no_address_by_default(tmp_path, caplog):
    world = build(tmp_path, public_base_url=BASE)
    token, lines, everything = logged(world, caplog)
    assert [LINE.fullmatch(line).group(2) for line in lines] == EXPECTED, lines
    assert all(LINE.fullmatch(line).group(1) is None for line in lines), lines
    assert token not in everything and token[::-1] not in everything
    assert CLIENT not in everything and not [line for line in lines if "127.0.0.1" in line]
    assert not [r for r in caplog.records if r.name == "uvicorn.access"]


@pytest.mark.usefixtures("always_open")
def test_the_setting_adds_the_forwarded_address_and_still_no_token(tmp_path, caplog):
    world = build(tmp_path, public_base_url=BASE, log_client_addresses=True)
    token, lines, everything = logged(world, caplog)
    assert [LINE.fullmatch(line).group(1) for line in lines] == [CLIENT] * len(EXPECTED), lines
    assert [LINE.fullmatch(line).group(2) for line in lines] == EXPECTED
    assert token not in everything and token[::-1] not in everything


@pytest.mark.parametrize(("path", "shown"), [
    ("/healthz", "/healthz"), ("/midtrans/notification", "/midtrans/notification"), ("/j/abc", "/j/<token>"),
    ("/j", "/j/<token>"), ("/j/", "/j/<token>"), ("/jx/abc", "<other path>"), ("/", "<other path>"),
    ("/healthz/abc", "<other path>"), ("/notify/j/abc", "<other path>"), ("", "<other path>"),
])
def test_only_the_endpoints_own_routes_are_written_as_they_are(path, shown):
    assert loggable_path(path) == shown


@pytest.mark.usefixtures("always_open")
def test_the_served_process_logs_the_click_without_token_or_address(tmp_path):
    world = build(tmp_path, public_base_url=BASE)
    token = join_token(world)
    port = free_port()
    env = clean_environ(tmp_path, CALLEXPERT_SQLITE_PATH=str(world.db), CALLEXPERT_PUBLIC_BASE_URL=BASE,
                        CALLEXPERT_SEED_DEMO_DATA="false", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "lib", "serve-notifications", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=10) as http:
            deadline = systime.monotonic() + 60
            while True:  # waiting for the socket to listen, not asserting on time
                try:
                    http.get("/healthz")
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and systime.monotonic() < deadline, "the endpoint did not start"
                    systime.sleep(0.1)
            answer = http.get(f"/j/{token}", headers=FORWARDED)
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=20)[0]
    assert answer.status_code == 302, out
    assert "lib.entrypoints.web.access: GET /j/<token> 302 " in out and "Application shutdown complete" in out, out
    assert token not in out and CLIENT not in out, out
