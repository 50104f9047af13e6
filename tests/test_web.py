"""The Midtrans notification endpoint over real HTTP on loopback: uvicorn serves ``lib.entrypoints.web`` in a
thread of this process, so the Midtrans gateway's own HTTP (midtrans.client over requests) is
answered by ``responses`` while the test talks to the endpoint with httpx, over a socket.
Then the settings, and ``python -m lib serve-notifications`` as a process.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time as systime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import responses

from lib.access import SYSTEM
from lib.config import MidtransSettings, Settings, load_settings
from lib.domain import BookingStatus, NewCustomer
from lib.entrypoints.web import MAX_BODY_BYTES
from lib.errors import ConfigError, StoreUnavailable
from lib.payments.midtrans import MidtransGateway
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from tests.support.endpoint import serving
from tests.support.env import clean_environ, free_port
from tests.support.fakes import FixedClock, FlakyProvider, RecordingSender
from tests.support.hours import default_hours
from tests.support.midtrans import (
    CLIENT_KEY,
    CORE,
    NOW,
    SERVER_KEY,
    TIMEOUT,
    notification,
    request,
    signature,
    snap_created,
    status_reply,
)

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

ROOT = Path(__file__).resolve().parents[1]
NOTIFY = "/midtrans/notification"


class SwitchableStore:
    """The real SQLite store, except that while ``down`` every call raises ``StoreUnavailable``,
    as the Supabase store does when Supabase does not answer."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self.down = False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreUnavailable("Supabase did not answer within 10 s; nothing changed.")
            return attr(*args, **kwargs)

        return call


@pytest.fixture
def store(tmp_path: Path) -> SwitchableStore:
    return SwitchableStore(SQLiteStore(tmp_path / "endpoint.db"))


@pytest.fixture
def svc(tmp_path: Path, store: SwitchableStore, provider: FlakyProvider, sender: RecordingSender) -> BookingService:
    settings = Settings(sqlite_path=str(tmp_path / "endpoint.db"), payment_gateway="midtrans",
                        default_availability=default_hours(),
                        midtrans=MidtransSettings(server_key=SERVER_KEY, client_key=CLIENT_KEY,
                                                  timeout_seconds=TIMEOUT))
    gateway = MidtransGateway(SERVER_KEY, CLIENT_KEY, timeout_seconds=TIMEOUT)
    service = BookingService(store, provider, gateway, sender, settings,  # type: ignore[arg-type]
                             clock=FixedClock(NOW), sleep=lambda s: None)
    store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    store.add_customer(NewCustomer("Andi Pratama", "andi@example.com"))
    return service


@pytest.fixture
def http(svc: BookingService) -> Iterator[httpx.Client]:
    with serving(svc) as client:
        yield client


def pending_booking(svc: BookingService, mt: responses.RequestsMock):  # noqa: ANN201 - a Booking
    snap_created(mt)
    booking = svc.book_and_pay(request(svc), actor=SYSTEM).booking
    assert booking.status is BookingStatus.PENDING
    return booking


def status_calls(mt: responses.RequestsMock) -> int:
    return sum(1 for c in mt.calls if c.request.method == "GET" and c.request.url.startswith(CORE))


def events(svc: BookingService, booking_id: str) -> list[str]:
    return [h.event for h in svc.history(booking_id, actor=SYSTEM)]


# -- notifications -------------------------------------------------------------------------------

def test_a_good_notification_is_applied_and_a_repeat_changes_nothing(svc, mt, http, sender):
    booking = pending_booking(svc, mt)
    body = notification(booking.payment_order_id, "settlement")
    status_reply(mt, booking.payment_order_id, "settlement")

    answer = http.post(NOTIFY, json=body)
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
    after = svc.get_booking(booking.id, actor=SYSTEM)
    assert after.status is BookingStatus.CONFIRMED and status_calls(mt) == 1  # confirmed with Midtrans first
    assert "system:payment-notification" in {h.actor for h in svc.history(booking.id, actor=SYSTEM)}

    # Midtrans sends a notification more than once: 200 again, nothing moves, nobody is asked.
    repeat = http.post(NOTIFY, json=body)
    assert (repeat.status_code, repeat.json()) == (200, {"status": "ok"})
    assert svc.get_booking(booking.id, actor=SYSTEM) == after
    assert status_calls(mt) == 1 and events(svc, booking.id).count("paid") == 1 and len(sender.sent) == 2


def test_refused_notifications_answer_400_and_change_nothing(svc, mt, http):
    booking = pending_booking(svc, mt)
    good = notification(booking.payment_order_id, "settlement")
    cases = {
        "bad signature": http.build_request("POST", NOTIFY, json={**good, "signature_key": "0" * 128}),
        "signed with another key": http.build_request("POST", NOTIFY, json={
            **good, "signature_key": signature(booking.payment_order_id, "200", "250000.00", key="SB-Mid-server-x")}),
        "not JSON": http.build_request("POST", NOTIFY, content=b"order_id=" + booking.payment_order_id.encode()),
        "not UTF-8": http.build_request("POST", NOTIFY, content=b'{"order_id": "\xff"}'),
        "empty": http.build_request("POST", NOTIFY, content=b""),
        "a JSON list": http.build_request("POST", NOTIFY, json=[good]),
        "a JSON string": http.build_request("POST", NOTIFY, json="settlement"),
        "not our order": http.build_request("POST", NOTIFY, json=notification("ORDER-101", "settlement")),
    }
    for case, sent in cases.items():
        answer = http.send(sent)
        assert (answer.status_code, answer.json()) == (400, {"status": "refused"}), case
    assert svc.get_booking(booking.id, actor=SYSTEM) == booking
    assert status_calls(mt) == 0 and events(svc, booking.id) == ["created", "payment started"]


def test_a_body_over_64_kb_is_refused_with_413_and_nothing_is_applied(svc, mt, http):
    booking = pending_booking(svc, mt)
    status_reply(mt, booking.payment_order_id, "settlement")
    # Correctly signed (the padding is not covered by the signature): only its size refuses it.
    big = {**notification(booking.payment_order_id, "settlement"), "custom_field1": "x" * MAX_BODY_BYTES}
    answer = http.post(NOTIFY, json=big)
    assert (answer.status_code, answer.json()) == (413, {"status": "too large"})

    # Without a Content-Length (chunked), the body is cut off while it is read.
    def chunks() -> Iterator[bytes]:
        yield b'{"order_id": "' + booking.payment_order_id.encode() + b'", "pad": "'
        for _ in range(20):
            yield b"x" * 8192
        yield b'"}'

    chunked = http.post(NOTIFY, content=chunks())
    sent = chunked.request.headers
    assert sent.get("transfer-encoding") == "chunked" and "content-length" not in sent
    assert (chunked.status_code, chunked.json()) == (413, {"status": "too large"})
    assert svc.get_booking(booking.id, actor=SYSTEM) == booking and status_calls(mt) == 0

    # At the limit exactly it is read and applied.
    small = notification(booking.payment_order_id, "settlement")
    text = httpx.Request("POST", "/", json=small).content
    padded = text[:-1] + b', "custom_field1": "' + b"x" * (MAX_BODY_BYTES - len(text) - 21) + b'"}'
    assert len(padded) == MAX_BODY_BYTES
    assert http.post(NOTIFY, content=padded).status_code == 200
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.CONFIRMED


def test_midtrans_unreachable_answers_503_so_it_is_sent_again(svc, mt, http):
    booking = pending_booking(svc, mt)
    body = notification(booking.payment_order_id, "settlement")
    mt.add(responses.GET, f"{CORE}/v2/{booking.payment_order_id}/status",
           body=requests.exceptions.ConnectionError("[Errno 111] Connection refused"))
    answer = http.post(NOTIFY, json=body)
    assert (answer.status_code, answer.json()) == (503, {"status": "try again"})
    assert answer.headers["retry-after"] == "60"
    assert svc.get_booking(booking.id, actor=SYSTEM) == booking and status_calls(mt) == 1

    # Midtrans sends it again once it answers: now it is applied.
    mt.replace(responses.GET, f"{CORE}/v2/{booking.payment_order_id}/status",
               json=notification(booking.payment_order_id, "settlement"))
    assert http.post(NOTIFY, json=body).status_code == 200
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.CONFIRMED


def test_store_down_answers_503_and_healthz_says_so(svc, mt, http, store):
    booking = pending_booking(svc, mt)
    status_reply(mt, booking.payment_order_id, "settlement")
    health = http.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})

    store.down = True
    answer = http.post(NOTIFY, json=notification(booking.payment_order_id, "settlement"))
    assert (answer.status_code, answer.json()) == (503, {"status": "try again"})
    health = http.get("/healthz")
    assert (health.status_code, health.json()) == (503, {"status": "store unavailable"})

    store.down = False
    assert svc.get_booking(booking.id, actor=SYSTEM) == booking
    assert http.get("/healthz").status_code == 200


def test_nothing_sent_is_echoed_or_logged(svc, mt, http, caplog):
    caplog.set_level(logging.DEBUG)
    booking = pending_booking(svc, mt)
    forged = {**notification(booking.payment_order_id, "settlement"), "signature_key": "f00d" * 32,
              "custom_field1": "<script>marker-1234</script>"}
    answer = http.post(NOTIFY, json=forged)
    assert answer.status_code == 400 and answer.content == b'{"status":"refused"}'
    junk = http.post(NOTIFY, content=b"marker-5678 not json")
    assert junk.status_code == 400 and b"marker" not in junk.content
    status_reply(mt, booking.payment_order_id, "settlement")
    assert http.post(NOTIFY, json=notification(booking.payment_order_id, "settlement")).status_code == 200

    logged = caplog.text
    assert "notification refused: PaymentFailed" in logged and f"booking {booking.id} is confirmed" in logged
    for secret in ("marker-1234", "marker-5678", "f00d" * 32, SERVER_KEY, forged["transaction_id"],
                   notification(booking.payment_order_id, "settlement")["signature_key"]):
        assert secret not in logged


def test_only_the_two_routes_with_their_methods(http):
    assert http.get(NOTIFY).status_code == 405
    assert http.post("/healthz").status_code == 405
    assert http.get("/").status_code == 404


# -- settings and the command ---------------------------------------------------------------------

def test_host_and_port_settings(tmp_path):
    assert (Settings().notifications_host, Settings().notifications_port) == ("127.0.0.1", 8502)
    env = {"CALLEXPERT_NOTIFICATIONS_HOST": "0.0.0.0", "CALLEXPERT_NOTIFICATIONS_PORT": "9000"}
    settings = load_settings(tmp_path / "none.toml", env)
    assert (settings.notifications_host, settings.notifications_port) == ("0.0.0.0", 9000)
    for bad in ({"CALLEXPERT_NOTIFICATIONS_PORT": "0"}, {"CALLEXPERT_NOTIFICATIONS_PORT": "70000"},
                {"CALLEXPERT_NOTIFICATIONS_PORT": "http"}, {"CALLEXPERT_NOTIFICATIONS_HOST": " "}):
        with pytest.raises(ConfigError, match="notifications_"):
            load_settings(tmp_path / "none.toml", bad)


def test_serve_notifications_runs_until_sigterm(tmp_path):
    port = free_port()
    env = clean_environ(tmp_path, CALLEXPERT_SQLITE_PATH=str(tmp_path / "served.db"),
                        CALLEXPERT_NOTIFICATIONS_PORT=str(port))
    proc = subprocess.Popen([sys.executable, "-m", "lib", "serve-notifications", "--host", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = systime.monotonic() + 30
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=5) as client:
            while True:  # waiting for it to listen
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                try:
                    health = client.get("/healthz")
                    break
                except httpx.TransportError:
                    assert systime.monotonic() < deadline, "the endpoint did not start"
                    systime.sleep(0.05)
            assert (health.status_code, health.json()) == (200, {"status": "ok"})
            refused = client.post(NOTIFY, content=b"{}")  # the demo gateway signs nothing: refused
            assert refused.status_code == 400
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # uvicorn finishes the open requests and shuts down, then ends by the same signal (as a
    # service manager expects of a process it stopped).
    assert "Application shutdown complete" in out and "Finished server process" in out
    assert proc.returncode == -signal.SIGTERM, out
    assert "notification refused" in out and "Application startup complete" in out
