"""Midtrans at the HTTP level: the real midtransclient and requests, answered by ``responses``
with the request and response bodies Midtrans documents (Snap "create transaction", the Core
API "get status", HTTP notifications), through the booking service over the real SQLite store;
then the CLI, the settings, and the pages through Streamlit's AppTest.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import socket
import sqlite3
import threading
import time as systime
import uuid
from contextlib import closing
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from streamlit.testing.v1 import AppTest

from lib.access import SYSTEM
from lib.config import MidtransSettings, Settings, load_settings
from lib.domain import Booking, BookingRequest, BookingStatus, NewCustomer
from lib.entrypoints.cli import main as cli_main
from lib.errors import (
    CallExpertError,
    ConfigError,
    InvalidTransition,
    NotFound,
    PaymentError,
    PaymentUnavailable,
    Transient,
)
from lib.payments import order_id_for, parse_order_id
from lib.payments.midtrans import MidtransGateway, snap_expiry, verify_notification
from lib.service import BookingService, history
from lib.store.sqlite import SQLiteStore
from lib.wiring import build_service
from tests.support.apptest import no_exception, open_page
from tests.support.fakes import FixedClock, FlakyProvider, RecordingSender
from tests.support.hours import default_hours
from tests.support.midtrans import (
    CLIENT_KEY,
    CORE,
    DAY,
    NOW,
    REDIRECT,
    SERVER_KEY,
    SNAP,
    TIMEOUT,
    TOKEN,
    WIB,
    booked,
    calls_to,
    not_found,
    notification,
    request,
    signature,
    snap_created,
    status_body,
    status_reply,
)

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

# -- the service with the real gateway -------------------------------------------------------------

@pytest.fixture
def gateway() -> MidtransGateway:
    return MidtransGateway(SERVER_KEY, CLIENT_KEY, timeout_seconds=TIMEOUT)


@pytest.fixture
def svc(tmp_path: Path, provider: FlakyProvider, sender: RecordingSender, gateway: MidtransGateway) -> BookingService:
    store = SQLiteStore(tmp_path / "midtrans.db")
    settings = Settings(sqlite_path=str(tmp_path / "midtrans.db"), payment_gateway="midtrans",
                        default_availability=default_hours(),
                        link_backoff_seconds=0.01, link_backoff_max_seconds=0.05,
                        midtrans=MidtransSettings(server_key=SERVER_KEY, client_key=CLIENT_KEY,
                                                  timeout_seconds=TIMEOUT))
    service = BookingService(store, provider, gateway, sender, settings, clock=FixedClock(NOW), sleep=lambda s: None)
    store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    store.add_customer(NewCustomer("Andi Pratama", "andi@example.com"))
    return service


def events(svc: BookingService, booking_id: str) -> list[str]:
    return [h.event for h in svc.history(booking_id, actor=SYSTEM)]


# -- create transaction ------------------------------------------------------------------------------

def test_create_transaction_sends_basic_auth_and_the_documented_body(svc, mt):
    snap_created(mt)
    outcome = svc.book_and_pay(request(svc), actor=SYSTEM)
    booking = outcome.booking
    order_id = f"CE-{uuid.UUID(booking.id).hex}-1"
    assert (booking.status, outcome.payment_url, outcome.payment_error) == (BookingStatus.PENDING, REDIRECT, None)
    assert (booking.payment_order_id, booking.payment_token, booking.payment_url, booking.payment_attempts) == \
        (order_id, TOKEN, REDIRECT, 1)
    assert svc.get_booking(booking.id, actor=SYSTEM) == booking  # stored, not only returned

    [call] = mt.calls
    sent = call.request
    assert (sent.method, sent.url) == ("POST", SNAP)
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(f"{SERVER_KEY}:".encode()).decode()
    assert sent.headers["Content-Type"] == "application/json" and sent.headers["Accept"] == "application/json"
    assert json.loads(sent.body) == {
        "transaction_details": {"order_id": order_id, "gross_amount": 250000},
        "customer_details": {"first_name": "Andi Pratama", "email": "andi@example.com"},
        "item_details": [{"id": f"session-{booking.id[:8]}", "price": 250000, "quantity": 1,
                          "name": "Career mentoring - Sari Wulandari"}],
        "credit_card": {"secure": True},
        # Payable until the booking expires (pending_expiry_minutes, 30 by default, after it was made).
        "expiry": {"start_time": booking.created_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S +0700"),
                   "unit": "minute", "duration": 30},
    }
    assert isinstance(json.loads(sent.body)["transaction_details"]["gross_amount"], int)
    assert sent.req_kwargs["timeout"] == (TIMEOUT, TIMEOUT)  # connect, read: never None
    assert events(svc, booking.id) == ["created", "payment started"]
    assert svc.history(booking.id, actor=SYSTEM)[-1].detail == f"order {order_id}"


@pytest.mark.parametrize("minutes", [45, 90])
def test_the_snap_transaction_expires_when_the_booking_does(svc, mt, minutes):
    """Snap's expiry is the booking's pending expiry: from its creation, pending_expiry_minutes
    long, so a page still open after the booking expired can no longer be paid."""
    svc.ports.settings = svc.ports.settings.with_changes(pending_expiry_minutes=minutes)
    made = datetime(2026, 11, 24, 3, 4, 5, 678_000, tzinfo=UTC)  # 10:04:05.678 in Jakarta
    svc.store.clock = lambda: made  # the store stamps created_at
    snap_created(mt)
    booking = svc.book_and_pay(request(svc), actor=SYSTEM).booking
    assert booking.created_at == made.replace(microsecond=0)  # SQLite keeps seconds; Snap takes no more either
    [call] = mt.calls
    assert json.loads(call.request.body)["expiry"] == {"start_time": "2026-11-24 10:04:05 +0700", "unit": "minute",
                                                        "duration": minutes}

    # A second attempt 20 minutes later ends at the same moment: the lifetime counts from the booking.
    svc.clock = FixedClock(made + timedelta(minutes=20))
    snap_created(mt, token="second-token")
    svc.start_payment(booking.id, actor=SYSTEM)
    assert json.loads(mt.calls[-1].request.body)["expiry"] == {"start_time": "2026-11-24 10:04:05 +0700",
                                                                "unit": "minute", "duration": minutes}
    assert json.loads(mt.calls[-1].request.body)["transaction_details"]["order_id"].endswith("-2")


def test_snap_expiry_never_outlives_the_booking_made_within_a_second():
    """Supabase stamps created_at to the microsecond; Snap takes seconds: the start is rounded
    down and the minutes too, so Snap's page closes no later than the booking expires."""
    booking = Booking(id=str(uuid.uuid4()), user_id="u", expert_id="e", session_type="Career mentoring",
                      scheduled_date=DAY, scheduled_time=time(14, 0), duration=60, status=BookingStatus.PENDING,
                      price=250_000, customer_name="Andi", customer_email="andi@example.com", expert_name="Sari",
                      expert_email="sari@example.com",
                      created_at=datetime(2026, 11, 24, 16, 59, 59, 700_000, tzinfo=UTC))
    expiry = snap_expiry(booking, booking.created_at + timedelta(minutes=30))
    assert expiry == {"start_time": "2026-11-24 23:59:59 +0700", "unit": "minute", "duration": 30}


def test_order_ids_are_unique_per_attempt_and_lead_back_to_the_booking():
    booking_id = str(uuid.uuid4())
    first, second = order_id_for(booking_id, 1), order_id_for(booking_id, 2)
    assert first != second and len(first) <= 50 and first.startswith("CE-")
    assert parse_order_id(second) == (booking_id, 2)
    for other in ("order-1", "CE-xyz-1", f"CE-{uuid.UUID(booking_id).hex}-0", ""):
        assert parse_order_id(other) is None


def test_the_same_form_twice_opens_one_midtrans_transaction(svc, mt):
    snap_created(mt)
    first = svc.book_and_pay(request(svc, key="form-1"), actor=SYSTEM)
    second = svc.book_and_pay(request(svc, key="form-1"), actor=SYSTEM)
    assert first.booking.id == second.booking.id and second.payment_url == REDIRECT
    assert len(calls_to(mt, "POST", SNAP)) == 1


def test_a_new_attempt_gets_a_new_order_id_even_after_a_lost_answer(svc, mt):
    mt.add(responses.POST, SNAP, body=requests.exceptions.ReadTimeout("read timed out"))
    outcome = svc.book_and_pay(request(svc), actor=SYSTEM)
    booking = outcome.booking
    assert booking.status is BookingStatus.PENDING and booking.payment_url is None
    assert outcome.payment_error and "did not answer within 3.5 s" in outcome.payment_error
    assert booking.payment_attempts == 1 and events(svc, booking.id)[-1] == "payment start failed"
    # Midtrans may have created order -1 although the answer was lost: the next attempt is -2.
    snap_created(mt, token="second-token")
    again = svc.start_payment(booking.id, actor=SYSTEM)
    assert again.payment_order_id == order_id_for(booking.id, 2) and again.payment_token == "second-token"
    assert json.loads(mt.calls[-1].request.body)["transaction_details"]["order_id"] == order_id_for(booking.id, 2)


def test_pay_opens_the_payment_page_and_never_marks_a_midtrans_booking_paid(svc, mt):
    # One gateway shape: paying starts a payment; Midtrans answers with its page, not "paid".
    booking = svc.book(request(svc), actor=SYSTEM)
    snap_created(mt)
    started = svc.pay(booking.id, actor=SYSTEM)
    assert started.status is BookingStatus.PENDING and started.payment_order_id == order_id_for(booking.id, 1)
    assert started.payment_url and len(mt.calls) == 1


@pytest.mark.parametrize("status, body, kind, words", [
    (401, {"error_messages": ["Access denied due to unauthorized transaction, please check client or server key",
                              "Visit https://snap-docs.midtrans.com/#request-headers for more details"]},
     PaymentError, "refused the server key"),
    (400, {"error_messages": ["transaction_details.gross_amount is required"]}, PaymentError,
     "transaction_details.gross_amount is required"),
    (500, {"error_messages": ["Sorry, we encountered internal server error. We will fix this soon."]},
     PaymentUnavailable, "busy or unavailable"),
])
def test_snap_refusals_say_what_to_fix_and_store_no_payment(svc, mt, status, body, kind, words):
    mt.add(responses.POST, SNAP, status=status, json=body)
    booking = svc.book(request(svc), actor=SYSTEM)
    with pytest.raises(kind, match=words) as caught:
        svc.start_payment(booking.id, actor=SYSTEM)
    assert isinstance(caught.value, Transient) is (kind is PaymentUnavailable)
    after = svc.get_booking(booking.id, actor=SYSTEM)
    assert (after.status, after.payment_url, after.payment_order_id) == (BookingStatus.PENDING, None, None)
    assert SERVER_KEY not in str(caught.value)


# -- status checks -----------------------------------------------------------------------------------

@pytest.mark.parametrize("transaction_status, fraud_status", [("settlement", "accept"), ("settlement", None),
                                                              ("capture", "accept")])
def test_settled_payments_make_the_booking_paid_then_confirmed_with_its_link(svc, mt, provider, sender,
                                                                           transaction_status, fraud_status):
    booking = booked(svc, mt)
    status_reply(mt, booking.payment_order_id, transaction_status, fraud_status)
    result = svc.check_payment(booking.id, actor=SYSTEM)
    done = result.booking
    assert result.changed and result.link_error is None
    assert done.status is BookingStatus.CONFIRMED and done.meeting_link and done.payment_ref == booking.payment_order_id
    assert events(svc, booking.id) == ["created", "payment started", "paid", "link attempt", "confirmed"]
    assert set(provider.events) == {booking.id}
    assert sorted(e.recipient for e in sender.sent) == ["andi@example.com", "sari@example.com"]
    [status_call] = calls_to(mt, "GET", CORE)
    assert status_call.request.url == f"{CORE}/v2/{booking.payment_order_id}/status"
    assert status_call.request.headers["Authorization"] == \
        "Basic " + base64.b64encode(f"{SERVER_KEY}:".encode()).decode()
    assert status_call.request.req_kwargs["timeout"] == (TIMEOUT, TIMEOUT)

    # Checking twice (or after the booking moved on) asks nobody and changes nothing.
    again = svc.check_payment(booking.id, actor=SYSTEM)
    assert not again.changed and again.booking == done and "Nothing to check" in again.message
    assert len(calls_to(mt, "GET", CORE)) == 1 and len(events(svc, booking.id)) == 5 and provider.calls == 1


@pytest.mark.parametrize("transaction_status, fraud_status, words", [
    ("deny", "deny", "Midtrans denied the payment"),
    ("cancel", None, "cancelled at Midtrans"),
    ("expire", None, "expired at Midtrans"),
    ("failure", None, "failed at Midtrans"),
])
def test_failed_payments_cancel_the_booking_with_the_reason(svc, mt, provider, sender, transaction_status,
                                                           fraud_status, words):
    booking = booked(svc, mt)
    status_reply(mt, booking.payment_order_id, transaction_status, fraud_status)
    result = svc.check_payment(booking.id, actor=SYSTEM)
    gone = result.booking
    assert result.changed and gone.status is BookingStatus.CANCELLED
    assert words in gone.cancel_reason and booking.payment_order_id in gone.cancel_reason
    assert f"({transaction_status}" in gone.cancel_reason
    assert events(svc, booking.id)[-1] == "cancelled"
    assert provider.calls == 0 and provider.cancelled == []  # there was no calendar event to remove
    assert sender.sent == []  # nothing was confirmed to anyone

    again = svc.check_payment(booking.id, actor=SYSTEM)
    assert not again.changed and again.booking == gone and len(calls_to(mt, "GET", CORE)) == 1


@pytest.mark.parametrize("transaction_status, fraud_status, review, words", [
    ("pending", None, False, "Awaiting the customer's payment"),
    ("capture", "challenge", True, "review"),
    ("authorize", None, True, "not captured"),
    ("refund", None, True, "refund"),
])
def test_pending_or_challenged_payments_leave_the_booking_as_it_is(svc, mt, transaction_status, fraud_status,
                                                                  review, words):
    booking = booked(svc, mt)
    status_reply(mt, booking.payment_order_id, transaction_status, fraud_status)
    status_reply(mt, booking.payment_order_id, transaction_status, fraud_status)
    for _ in range(2):
        result = svc.check_payment(booking.id, actor=SYSTEM)
        assert not result.changed and result.needs_review is review and words in result.message
        assert result.booking == svc.get_booking(booking.id, actor=SYSTEM) == booking
    assert events(svc, booking.id) == ["created", "payment started"]


def test_an_order_midtrans_does_not_know_yet_is_still_pending(svc, mt):
    booking = booked(svc, mt)
    not_found(mt, booking.payment_order_id)
    result = svc.check_payment(booking.id, actor=SYSTEM)
    assert not result.changed and "has not chosen a payment method" in result.message
    assert svc.get_booking(booking.id, actor=SYSTEM) == booking


def test_a_booking_without_a_started_payment_asks_nobody(svc, mt):
    booking = svc.book(request(svc), actor=SYSTEM)
    result = svc.check_payment(booking.id, actor=SYSTEM)
    assert not result.changed and "No payment has been started" in result.message and not mt.calls


def test_an_earlier_attempt_paid_counts_and_its_failure_does_not(svc, mt):
    booking = booked(svc, mt)
    snap_created(mt, token="second")
    current = svc.start_payment(booking.id, actor=SYSTEM)
    first, second = order_id_for(booking.id, 1), order_id_for(booking.id, 2)
    assert current.payment_order_id == second

    not_found(mt, second)
    status_reply(mt, first, "expire", None)  # the old Snap page expired: the current one still counts
    result = svc.check_payment(booking.id, actor=SYSTEM)
    assert not result.changed and svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.PENDING

    not_found(mt, second)
    status_reply(mt, first, "settlement")  # the customer paid on the old page
    result = svc.check_payment(booking.id, actor=SYSTEM)
    assert result.changed and result.booking.status is BookingStatus.CONFIRMED
    assert result.booking.payment_ref == first


def test_a_settlement_of_another_amount_is_not_marked_paid(svc, mt):
    booking = booked(svc, mt)
    status_reply(mt, booking.payment_order_id, "settlement", gross_amount="25000.00")
    result = svc.check_payment(booking.id, actor=SYSTEM)
    assert not result.changed and result.needs_review and "costs Rp 250.000" in result.message
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.PENDING
    assert events(svc, booking.id)[-1] == "payment amount mismatch"


def test_a_paid_booking_whose_link_fails_stays_paid_for_ops(svc, mt, provider):
    provider.failures, provider.permanent = 1, True
    booking = booked(svc, mt)
    status_reply(mt, booking.payment_order_id, "settlement")
    result = svc.check_payment(booking.id, actor=SYSTEM)
    assert result.changed and result.booking.status is BookingStatus.PAID and result.link_error
    assert [b.id for b in svc.missing_links(actor=SYSTEM)] == [booking.id]


@pytest.mark.parametrize("failure, words", [
    (requests.exceptions.ConnectionError("[Errno 111] Connection refused"), "Could not reach Midtrans"),
    (requests.exceptions.ReadTimeout("read timed out"), "did not answer within 3.5 s"),
    (requests.exceptions.ConnectTimeout("connect timed out"), "did not answer within 3.5 s"),
])
def test_a_network_failure_during_the_check_changes_nothing_and_says_so(svc, mt, failure, words):
    booking = booked(svc, mt)
    mt.add(responses.GET, f"{CORE}/v2/{booking.payment_order_id}/status", body=failure)
    before = svc.history(booking.id, actor=SYSTEM)
    with pytest.raises(PaymentUnavailable) as caught:
        svc.check_payment(booking.id, actor=SYSTEM)
    assert words in str(caught.value) and "nothing changed" in str(caught.value)
    assert isinstance(caught.value, Transient) and isinstance(caught.value, CallExpertError)
    assert svc.get_booking(booking.id, actor=SYSTEM) == booking and svc.history(booking.id, actor=SYSTEM) == before


def expire_reply(mt: responses.RequestsMock, order_id: str, status: int = 200, **body: Any) -> None:
    """Core API POST /v2/<order>/expire: 407 "expired" on success, as Midtrans documents."""
    reply = {"status_code": "407", "status_message": "Success, transaction is expired", "order_id": order_id,
             "transaction_status": "expire", **body}
    mt.add(responses.POST, f"{CORE}/v2/{order_id}/expire", status=status, json=reply)


def test_cancelling_a_pending_booking_closes_its_payment_page_first(svc, mt):
    booking = booked(svc, mt)
    expire_reply(mt, booking.payment_order_id)
    done = svc.cancel(booking.id, "customer changed their mind", actor=SYSTEM)
    assert done.status is BookingStatus.CANCELLED
    [call] = calls_to(mt, "POST", f"{CORE}/v2/{booking.payment_order_id}/expire")
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(f"{SERVER_KEY}:".encode()).decode()


def test_cancelling_before_midtrans_has_a_transaction_goes_ahead(svc, mt):
    booking = booked(svc, mt)
    mt.add(responses.POST, f"{CORE}/v2/{booking.payment_order_id}/expire", status=404,
           json={"status_code": "404", "status_message": "Transaction doesn't exist."})
    assert svc.cancel(booking.id, actor=SYSTEM).status is BookingStatus.CANCELLED


def test_a_booking_paid_meanwhile_is_not_cancelled(svc, mt):
    booking = booked(svc, mt)
    mt.add(responses.POST, f"{CORE}/v2/{booking.payment_order_id}/expire", status=412,
           json={"status_code": "412", "status_message": "Merchant cannot modify the status of the transaction"})
    status_reply(mt, booking.payment_order_id, "settlement")
    with pytest.raises(PaymentError, match="already paid"):
        svc.cancel(booking.id, actor=SYSTEM)
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.PENDING


def test_midtrans_down_while_cancelling_changes_nothing(svc, mt):
    booking = booked(svc, mt)
    mt.add(responses.POST, f"{CORE}/v2/{booking.payment_order_id}/expire", body=requests.ConnectionError("down"))
    with pytest.raises(PaymentUnavailable, match="nothing"):
        svc.cancel(booking.id, actor=SYSTEM)
    assert svc.get_booking(booking.id, actor=SYSTEM) == booking


def test_a_non_json_answer_is_a_retryable_error(svc, mt):
    booking = booked(svc, mt)
    mt.add(responses.GET, f"{CORE}/v2/{booking.payment_order_id}/status", status=502,
           body="<html>502 Bad Gateway</html>", content_type="text/html")
    with pytest.raises(PaymentUnavailable, match="not JSON"):
        svc.check_payment(booking.id, actor=SYSTEM)
    assert svc.get_booking(booking.id, actor=SYSTEM) == booking


def test_a_hung_midtrans_times_out_instead_of_hanging(monkeypatch):
    """A real socket that accepts and never answers: the call ends after the timeout."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with closing(socket.socket()) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(5)
        held: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    held.append(server.accept()[0])  # keep it open, say nothing
                except OSError:
                    continue

        worker = threading.Thread(target=accept, daemon=True)
        worker.start()
        gateway = MidtransGateway(SERVER_KEY, CLIENT_KEY, timeout_seconds=0.3)
        gateway._core.api_config.CORE_SANDBOX_BASE_URL = f"http://127.0.0.1:{server.getsockname()[1]}"  # noqa: SLF001
        started = systime.monotonic()
        try:
            with pytest.raises(PaymentUnavailable, match="did not answer within 0.3 s"):
                gateway.status("CE-0-1")
        finally:
            stop.set()
            worker.join(2)
            for conn in held:
                conn.close()
        assert systime.monotonic() - started < 3


# -- notifications -----------------------------------------------------------------------------------

def test_verify_notification_checks_the_sha512_over_the_exact_strings():
    body = notification("CE-abc-1", "settlement")
    assert verify_notification(body, SERVER_KEY)
    assert not verify_notification(body, SERVER_KEY + "x")
    assert not verify_notification({**body, "gross_amount": "250000"}, SERVER_KEY)  # "250000.00" was signed
    assert not verify_notification({**body, "status_code": "201"}, SERVER_KEY)
    assert not verify_notification({**body, "signature_key": "é" * 128}, SERVER_KEY)
    assert not verify_notification({k: v for k, v in body.items() if k != "signature_key"}, SERVER_KEY)
    assert not verify_notification({**body, "gross_amount": 250000.0}, SERVER_KEY)
    assert not verify_notification(body, "")


def test_a_good_notification_is_confirmed_and_applied_once(svc, mt, sender):
    booking = booked(svc, mt)
    body = notification(booking.payment_order_id, "settlement")
    status_reply(mt, booking.payment_order_id, "settlement")
    result = svc.apply_payment_notification(body, actor=SYSTEM)
    assert result.changed and result.booking.status is BookingStatus.CONFIRMED
    assert len(calls_to(mt, "GET", CORE)) == 1  # confirmed with Midtrans before moving the booking

    # Midtrans sends notifications more than once: a repeat changes nothing and asks nobody.
    repeat = svc.apply_payment_notification(body, actor=SYSTEM)
    assert not repeat.changed and "already confirmed" in repeat.message
    assert len(calls_to(mt, "GET", CORE)) == 1 and events(svc, booking.id).count("paid") == 1
    assert len(sender.sent) == 2


def test_a_notification_with_a_bad_signature_is_refused_and_changes_nothing(svc, mt):
    booking = booked(svc, mt)
    forged = {**notification(booking.payment_order_id, "settlement"), "signature_key": "0" * 128}
    with pytest.raises(PaymentError, match="signature_key does not match") as caught:
        svc.apply_payment_notification(forged, actor=SYSTEM)
    assert SERVER_KEY not in str(caught.value)
    other_key = notification(booking.payment_order_id, "settlement")
    other_key["signature_key"] = signature(booking.payment_order_id, "200", "250000.00", key="SB-Mid-server-other")
    with pytest.raises(PaymentError):
        svc.apply_payment_notification(other_key, actor=SYSTEM)
    assert svc.get_booking(booking.id, actor=SYSTEM) == booking and len(mt.calls) == 1  # only the Snap create


def test_a_notification_whose_unsigned_status_was_changed_does_not_pay(svc, mt):
    """The signature does not cover transaction_status: a signed "pending" edited to
    "settlement" still verifies, so the status API decides."""
    booking = booked(svc, mt)
    edited = {**notification(booking.payment_order_id, "pending", None), "transaction_status": "settlement"}
    status_reply(mt, booking.payment_order_id, "pending", None)
    result = svc.apply_payment_notification(edited, actor=SYSTEM)
    assert not result.changed and svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.PENDING


def test_failure_and_pending_notifications(svc, mt):
    booking = booked(svc, mt)
    pending = svc.apply_payment_notification(notification(booking.payment_order_id, "pending", None), actor=SYSTEM)
    assert not pending.changed and not calls_to(mt, "GET", CORE)  # nothing to move: no request
    status_reply(mt, booking.payment_order_id, "expire", None)
    expired = svc.apply_payment_notification(notification(booking.payment_order_id, "expire", None), actor=SYSTEM)
    assert expired.changed and expired.booking.status is BookingStatus.CANCELLED
    assert "expired at Midtrans" in expired.booking.cancel_reason


def test_money_for_a_cancelled_booking_is_flagged_for_a_refund_once(svc, mt, caplog):
    booking = booked(svc, mt)
    expire_reply(mt, booking.payment_order_id)
    svc.cancel(booking.id, "Customer changed plans", actor=SYSTEM)
    # The customer paid on the page in the moment before it closed: the money still arrives.
    body = notification(booking.payment_order_id, "settlement")
    status_reply(mt, booking.payment_order_id, "settlement")
    for _ in range(2):
        result = svc.apply_payment_notification(body, actor=SYSTEM)
        assert not result.changed and result.needs_review and "refund" in result.message
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.CANCELLED
    assert events(svc, booking.id).count("paid after cancellation") == 1
    assert "a refund is due" in caplog.text
    assert len(calls_to(mt, "GET", CORE)) == 1  # confirmed with Midtrans once; the repeat asks nobody


def test_a_forged_paid_notification_for_a_cancelled_booking_writes_no_refund(svc, mt):
    """A correctly signed "expire" notification with its unsigned status edited to "settlement":
    the status API says expired, so no refund is written."""
    booking = booked(svc, mt)
    expire_reply(mt, booking.payment_order_id)
    svc.cancel(booking.id, "Customer changed plans", actor=SYSTEM)
    edited = {**notification(booking.payment_order_id, "expire", None), "transaction_status": "settlement"}
    status_reply(mt, booking.payment_order_id, "expire", None)
    result = svc.apply_payment_notification(edited, actor=SYSTEM)
    assert not result.changed and not result.needs_review and "nothing to refund" in result.message
    assert "paid after cancellation" not in events(svc, booking.id)
    assert len(calls_to(mt, "GET", CORE)) == 1


@pytest.mark.parametrize("amount", [None, "", "lots"])
def test_a_settlement_without_a_readable_amount_is_not_marked_paid(svc, mt, amount):
    booking = booked(svc, mt)
    body = status_body(booking.payment_order_id, "settlement")
    if amount is None:
        del body["gross_amount"]
    else:
        body["gross_amount"] = amount
    mt.add(responses.GET, f"{CORE}/v2/{booking.payment_order_id}/status", json=body)
    result = svc.check_payment(booking.id, actor=SYSTEM)
    assert not result.changed and result.needs_review
    assert "does not say the amount" in result.message and "Rp 250.000" in result.message
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.PENDING
    assert events(svc, booking.id)[-1] == "payment amount missing"


def test_a_notification_for_an_order_that_is_not_ours_is_refused(svc, mt):
    with pytest.raises(NotFound, match="not an order of a CallExpert booking"):
        svc.apply_payment_notification(notification("ORDER-101", "settlement"), actor=SYSTEM)
    with pytest.raises(NotFound):
        svc.apply_payment_notification(notification(order_id_for(str(uuid.uuid4()), 1), "settlement"), actor=SYSTEM)
    assert not mt.calls


def test_only_staff_check_payments(svc, mt):
    from lib.access import Actor, Role

    booking = booked(svc, mt)
    expert = Actor(Role.EXPERT, email="sari@example.com", expert_id=booking.expert_id)
    for call in (lambda: svc.check_payment(booking.id, actor=expert),
                 lambda: svc.start_payment(booking.id, actor=expert),
                 lambda: svc.apply_payment_notification({}, actor=expert), lambda: svc.stuck_pending(actor=expert)):
        with pytest.raises(CallExpertError, match="Only ops staff"):
            call()


def test_start_payment_refuses_a_booking_that_is_not_pending(svc, mt):
    booking = booked(svc, mt)
    status_reply(mt, booking.payment_order_id, "settlement")
    svc.check_payment(booking.id, actor=SYSTEM)
    with pytest.raises(InvalidTransition, match="only a booking awaiting payment"):
        svc.start_payment(booking.id, actor=SYSTEM)


def test_stuck_pending_lists_bookings_waiting_longer_than_the_setting(svc, mt):
    booking = booked(svc, mt)
    svc.clock = FixedClock(datetime.now(UTC))
    assert svc.stuck_pending(actor=SYSTEM) == []  # made just now
    svc.clock = FixedClock(datetime.now(UTC) + timedelta(minutes=31))
    assert [b.id for b in svc.stuck_pending(actor=SYSTEM)] == [booking.id]
    status_reply(mt, booking.payment_order_id, "settlement")
    svc.check_payment(booking.id, actor=SYSTEM)
    assert svc.stuck_pending(actor=SYSTEM) == []


# -- secrets -----------------------------------------------------------------------------------------

def test_the_keys_are_never_in_repr_messages_or_logs(svc, mt, gateway, caplog):
    caplog.set_level(logging.DEBUG)
    booking = svc.book(request(svc), actor=SYSTEM)
    texts = [repr(gateway), repr(svc.settings), repr(svc.settings.midtrans), gateway.label]
    mt.add(responses.POST, SNAP, status=401, json={"error_messages": [f"bad key {SERVER_KEY}"]})
    mt.add(responses.POST, SNAP, body=requests.exceptions.ConnectionError(f"refused {SERVER_KEY}"))
    mt.add(responses.POST, SNAP, status=400, json={"error_messages": [f"echo {SERVER_KEY} {CLIENT_KEY}"]})
    for _ in range(3):
        with pytest.raises(CallExpertError) as caught:
            svc.start_payment(booking.id, actor=SYSTEM)
        texts.append(str(caught.value))
    with pytest.raises(PaymentError) as caught:
        svc.apply_payment_notification({"order_id": "x", "status_code": "200", "gross_amount": "1",
                                        "signature_key": "y"}, actor=SYSTEM)
    texts.append(str(caught.value))
    texts += [f"{h.event} {h.detail}" for h in svc.history(booking.id, actor=SYSTEM)]
    texts.append(caplog.text)
    leaked = [i for i, text in enumerate(texts) if SERVER_KEY in text or CLIENT_KEY in text]
    assert leaked == [], f"a key shows up in texts {leaked}"
    assert "sandbox" in texts[0]


# -- settings ------------------------------------------------------------------------------------------

def test_settings_read_the_midtrans_table_and_environment(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'payment_gateway = "midtrans"\n[midtrans]\nserver_key = "{SERVER_KEY}"\n'
                       f'client_key = "{CLIENT_KEY}"\ntimeout_seconds = 4\npending_alert_minutes = 45\n')
    settings = load_settings(secrets, environ={"CALLEXPERT_MIDTRANS_TIMEOUT_SECONDS": "6.5"})
    midtrans = settings.midtrans
    assert (midtrans.server_key.get_secret_value(), midtrans.client_key.get_secret_value(), midtrans.is_production) == \
        (SERVER_KEY, CLIENT_KEY, False)
    assert (midtrans.timeout_seconds, midtrans.pending_alert_minutes) == (6.5, 45)
    assert SERVER_KEY not in repr(settings) and CLIENT_KEY not in repr(settings)
    gateway = build_service(settings.with_changes(sqlite_path=str(tmp_path / "x.db"), seed_demo_data=False)).payments
    assert isinstance(gateway, MidtransGateway) and gateway.timeout_seconds == 6.5 and not gateway.is_production
    assert load_settings(tmp_path / "none.toml", environ={}).payment_gateway == "demo"


@pytest.mark.parametrize("env, words", [
    ({"CALLEXPERT_MIDTRANS_CLIENT_KEY": CLIENT_KEY}, "`midtrans.server_key` is empty"),
    ({"CALLEXPERT_MIDTRANS_SERVER_KEY": SERVER_KEY}, "`midtrans.client_key` is empty"),
    ({"CALLEXPERT_MIDTRANS_SERVER_KEY": SERVER_KEY, "CALLEXPERT_MIDTRANS_CLIENT_KEY": CLIENT_KEY,
      "CALLEXPERT_MIDTRANS_IS_PRODUCTION": "true"}, "is a sandbox key"),
    ({"CALLEXPERT_MIDTRANS_SERVER_KEY": "Mid-server-" + "p" * 20, "CALLEXPERT_MIDTRANS_CLIENT_KEY": CLIENT_KEY},
     "is a production key"),
    ({"CALLEXPERT_MIDTRANS_SERVER_KEY": SERVER_KEY, "CALLEXPERT_MIDTRANS_CLIENT_KEY": CLIENT_KEY,
      "CALLEXPERT_MIDTRANS_TIMEOUT_SECONDS": "0"}, "`midtrans.timeout_seconds`"),
])
def test_midtrans_settings_are_validated_without_showing_the_keys(tmp_path, env, words):
    with pytest.raises(ConfigError, match=words) as caught:
        load_settings(tmp_path / "none.toml", environ={"CALLEXPERT_PAYMENT_GATEWAY": "midtrans", **env})
    assert SERVER_KEY not in str(caught.value) and "p" * 20 not in str(caught.value)


# -- the command line ----------------------------------------------------------------------------------

@pytest.fixture
def midtrans_env(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The console's environment with Midtrans (sandbox) as the payment gateway."""
    monkeypatch.setenv("CALLEXPERT_PAYMENT_GATEWAY", "midtrans")
    monkeypatch.setenv("CALLEXPERT_MIDTRANS_SERVER_KEY", SERVER_KEY)
    monkeypatch.setenv("CALLEXPERT_MIDTRANS_CLIENT_KEY", CLIENT_KEY)
    monkeypatch.setenv("CALLEXPERT_MIDTRANS_TIMEOUT_SECONDS", str(TIMEOUT))
    monkeypatch.setenv("CALLEXPERT_ALLOW_DEMO_MODE", "true")  # the pages run without sign-in, on purpose
    return app_env


@pytest.fixture
def msvc(midtrans_env: Path) -> BookingService:
    """The service the pages and the CLI build from that environment, with one expert and customer."""
    service = build_service(load_settings())
    service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    service.store.add_customer(NewCustomer("Andi Pratama", "andi@example.com"))
    return service


def console_booking(msvc: BookingService, mt: responses.RequestsMock, days: int = 14) -> Booking:
    snap_created(mt)
    request = BookingRequest(expert_id=msvc.experts(actor=SYSTEM)[0].id, session_type="Career mentoring",
                             scheduled_date=msvc.today() + timedelta(days=days), scheduled_time=time(14, 0),
                             customer_id=msvc.customers(actor=SYSTEM)[0].id)
    return msvc.book_and_pay(request, actor=SYSTEM).booking


def test_cli_payment_status_exits_1_while_pending_and_0_once_paid(msvc, mt, capsys):
    booking = console_booking(msvc, mt)
    status_reply(mt, booking.payment_order_id, "pending", None)
    assert cli_main(["payment-status", booking.id]) == 1
    out = capsys.readouterr().out
    assert "Awaiting payment" in out and f"pay at: {REDIRECT}" in out
    status_reply(mt, booking.payment_order_id, "settlement")
    assert cli_main(["payment-status", booking.id]) == 0
    assert "Confirmed" in capsys.readouterr().out
    assert msvc.history(booking.id, actor=SYSTEM)[2].actor == "system:cli"
    mt.add(responses.GET, f"{CORE}/v2/{booking.payment_order_id}/status", body=requests.exceptions.ConnectionError())
    assert cli_main(["payment-status", booking.id]) == 0  # paid already: no request, nothing to fail


def test_cli_payment_notification_from_a_file_and_stdin(msvc, mt, capsys, tmp_path, monkeypatch):
    booking = console_booking(msvc, mt)
    body = notification(booking.payment_order_id, "settlement")
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**body, "signature_key": "f" * 128}))
    assert cli_main(["payment-notification", str(forged)]) == 2
    assert "signature_key does not match" in capsys.readouterr().err

    mt.add(responses.GET, f"{CORE}/v2/{booking.payment_order_id}/status", body=requests.exceptions.ConnectTimeout())
    good = tmp_path / "notification.json"
    good.write_text(json.dumps(body))
    assert cli_main(["payment-notification", str(good)]) == 1  # Midtrans unreachable: send it again later
    assert msvc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.PENDING

    status_reply(mt, booking.payment_order_id, "settlement")
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(body)))
    assert cli_main(["payment-notification", "-"]) == 0
    assert "Confirmed" in capsys.readouterr().out
    assert msvc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.CONFIRMED
    assert "system:payment-notification" in {h.actor for h in msvc.history(booking.id, actor=SYSTEM)}

    assert cli_main(["payment-notification", str(good)]) == 0  # a repeat: accepted, nothing changes
    assert "Nothing changed" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text("{not json")
    assert cli_main(["payment-notification", str(tmp_path / "bad.json")]) == 2


# -- the pages -----------------------------------------------------------------------------------------







def shown(at: AppTest) -> str:
    return "\n".join(str(el.value) for kind in ("markdown", "success", "info", "warning", "error", "caption")
                     for el in getattr(at, kind))


def test_book_page_offers_midtrans_and_check_payment_confirms_a_settled_booking(msvc, mt):
    at = open_page("pages/views/book_view.py")
    no_exception(at)
    assert any("Payment through Midtrans (sandbox)" in i.value for i in at.info)
    assert not any("Demo payment" in i.value for i in at.info)
    customer = msvc.customers(actor=SYSTEM)[0]
    at.text_input(key="book_customer_q").input(customer.email).run()
    at.selectbox(key="book_customer").select(customer.id)
    day = msvc.today() + timedelta(days=14)
    at.button(key="book_slot-later").click().run()  # the second fortnight
    at.pills(key="book_slot-day").set_value(day.isoformat()).run()
    at.pills(key="book_slot-time").set_value(datetime.combine(day, time(14, 0), msvc.tz).isoformat()).run()

    snap_created(mt)
    at.button(key="book_submit").click().run()
    no_exception(at)
    assert not at.error
    [booking] = msvc.recent_bookings(actor=SYSTEM)
    assert booking.status is BookingStatus.PENDING and booking.payment_url == REDIRECT
    assert [(b.label, b.proto.url) for b in at.link_button] == [("Pay with Midtrans", REDIRECT)]
    assert "Booked, awaiting payment" in shown(at)

    status_reply(mt, booking.payment_order_id, "settlement")
    at.button(key=f"check-payment-{booking.id}").click().run()
    no_exception(at)
    done = msvc.get_booking(booking.id, actor=SYSTEM)
    assert done.status is BookingStatus.CONFIRMED and done.meeting_link
    assert any("Paid and confirmed" in s.value for s in at.success)
    assert any("Booked and paid" in s.value for s in at.success)
    assert [b.proto.url for b in at.link_button] == [done.meeting_link]  # Join meeting, no Pay button


def test_the_page_checks_by_itself_while_a_payment_is_pending(msvc, mt):
    booking = console_booking(msvc, mt)
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    no_exception(at)
    assert [(b.label, b.proto.url) for b in at.link_button] == [("Pay with Midtrans", REDIRECT)]
    assert at.button(key=f"check-payment-{booking.id}")
    assert "automatically every 10 seconds" in shown(at)
    assert not calls_to(mt, "GET", CORE)  # the first automatic check comes one interval later

    status_reply(mt, booking.payment_order_id, "pending", None)
    at.session_state[f"_payment_checked-{booking.id}"] = systime.monotonic() - 60  # ten seconds went by
    at.run()
    no_exception(at)
    assert len(calls_to(mt, "GET", CORE)) == 1 and "Checked automatically: Awaiting" in shown(at)

    status_reply(mt, booking.payment_order_id, "settlement")
    at.session_state[f"_payment_checked-{booking.id}"] = systime.monotonic() - 60
    at.run()
    no_exception(at)
    assert msvc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.CONFIRMED
    assert any("Paid and confirmed" in s.value for s in at.success)
    assert [b.label for b in at.link_button] == ["Join meeting"]


def test_a_network_failure_on_check_payment_shows_a_clear_message(msvc, mt):
    booking = console_booking(msvc, mt)
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    mt.add(responses.GET, f"{CORE}/v2/{booking.payment_order_id}/status", body=requests.exceptions.ReadTimeout())
    at.button(key=f"check-payment-{booking.id}").click().run()
    no_exception(at)
    assert any("did not answer within 3.5 s" in e.value for e in at.error)
    assert msvc.get_booking(booking.id, actor=SYSTEM) == booking


def backdate(db: Path, booking_id: str, minutes: int) -> None:
    """Make a booking look older (created_at is written by the store at insert)."""
    with closing(sqlite3.connect(db)) as conn:
        at = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="seconds")
        conn.execute("UPDATE bookings SET created_at = ? WHERE id = ?", (at, booking_id))
        conn.commit()


def test_ops_lists_bookings_stuck_in_pending_with_a_check_button(msvc, mt, midtrans_env):
    stuck = console_booking(msvc, mt, days=14)
    fresh = console_booking(msvc, mt, days=15)
    backdate(midtrans_env, stuck.id, 45)
    at = open_page("pages/views/ops_view.py")
    no_exception(at)
    assert [s.value for s in at.subheader][0] == "Awaiting payment for more than 30 minutes"
    assert at.button(key=f"ops-check-payment-{stuck.id}")
    with pytest.raises(KeyError):
        at.button(key=f"ops-check-payment-{fresh.id}")
    assert stuck.payment_order_id in shown(at)

    status_reply(mt, stuck.payment_order_id, "expire", None)
    at.button(key=f"ops-check-payment-{stuck.id}").click().run()
    no_exception(at)
    gone = msvc.get_booking(stuck.id, actor=SYSTEM)
    assert gone.status is BookingStatus.CANCELLED and "expired at Midtrans" in gone.cancel_reason
    assert any("Cancelled: The payment expired" in w.value for w in at.warning)
    # The list emptied, so the section is gone (it shows only while bookings wait too long).
    assert "Awaiting payment for more than 30 minutes" not in [s.value for s in at.subheader]


# -- unpaid bookings expire, and so do their Midtrans orders ---------------------------------------------

def made_ago(svc: BookingService, booking_id: str, minutes: int) -> None:
    """Make a booking look ``minutes`` old by the service's clock (the store writes created_at)."""
    at = (svc.clock() - timedelta(minutes=minutes)).astimezone(UTC).isoformat(timespec="seconds")
    svc.store._conn().execute("UPDATE bookings SET created_at = ? WHERE id = ?", (at, booking_id))


def test_expiring_an_unpaid_booking_closes_its_midtrans_order(svc, mt):
    booking = booked(svc, mt)
    made_ago(svc, booking.id, 31)
    expire_reply(mt, booking.payment_order_id)
    [gone] = svc.expire_unpaid(actor=SYSTEM)
    assert gone.status is BookingStatus.EXPIRED
    [call] = calls_to(mt, "POST", f"{CORE}/v2/{booking.payment_order_id}/expire")
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(f"{SERVER_KEY}:".encode()).decode()
    assert events(svc, booking.id) == ["created", "payment started", "expired"]


def test_midtrans_down_while_expiring_keeps_the_expiry_and_says_so(svc, mt):
    booking = booked(svc, mt)
    made_ago(svc, booking.id, 31)
    mt.add(responses.POST, f"{CORE}/v2/{booking.payment_order_id}/expire", body=requests.ConnectionError("down"))
    [gone] = svc.expire_unpaid(actor=SYSTEM)
    assert gone.status is BookingStatus.EXPIRED
    last = svc.history(booking.id, actor=SYSTEM)[-1]
    assert last.event == "payment close failed" and booking.payment_order_id in last.detail


def test_money_for_an_expired_booking_is_flagged_for_a_refund_once(svc, mt, caplog):
    booking = booked(svc, mt)
    made_ago(svc, booking.id, 31)
    expire_reply(mt, booking.payment_order_id)
    svc.expire_unpaid(actor=SYSTEM)
    # The customer paid on the page in the moment before it closed: the money still arrives.
    body = notification(booking.payment_order_id, "settlement")
    status_reply(mt, booking.payment_order_id, "settlement")
    for _ in range(2):
        result = svc.apply_payment_notification(body, actor=SYSTEM)
        assert not result.changed and result.needs_review
        assert "refund" in result.message and "expired" in result.message
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.EXPIRED
    assert events(svc, booking.id).count("paid after expiry") == 1
    assert "a refund is due" in caplog.text
    assert len(calls_to(mt, "GET", CORE)) == 1  # confirmed with Midtrans once; the repeat asks nobody
    # "Check for a late payment" on the expired booking asks Midtrans and finds the same money.
    status_reply(mt, booking.payment_order_id, "settlement")
    check = svc.check_payment(booking.id, actor=SYSTEM)
    assert check.needs_review and not check.changed and "refund" in check.message
    assert events(svc, booking.id).count("paid after expiry") == 1


def test_a_forged_paid_notification_for_an_expired_booking_writes_no_refund(svc, mt):
    booking = booked(svc, mt)
    made_ago(svc, booking.id, 31)
    expire_reply(mt, booking.payment_order_id)
    svc.expire_unpaid(actor=SYSTEM)
    edited = {**notification(booking.payment_order_id, "expire", None), "transaction_status": "settlement"}
    status_reply(mt, booking.payment_order_id, "expire", None)
    result = svc.apply_payment_notification(edited, actor=SYSTEM)
    assert not result.changed and not result.needs_review and "nothing to refund" in result.message
    assert "paid after expiry" not in events(svc, booking.id)


def test_an_expired_booking_without_money_says_so_on_a_check(svc, mt):
    booking = booked(svc, mt)
    made_ago(svc, booking.id, 31)
    expire_reply(mt, booking.payment_order_id)
    svc.expire_unpaid(actor=SYSTEM)
    status_reply(mt, booking.payment_order_id, "expire", None)
    check = svc.check_payment(booking.id, actor=SYSTEM)
    assert not check.changed and not check.needs_review and "no payment" in check.message
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.EXPIRED


def test_an_expiry_during_a_payment_check_keeps_the_money_in_view(svc, mt, gateway, monkeypatch):
    booking = booked(svc, mt)
    made_ago(svc, booking.id, 31)
    status_reply(mt, booking.payment_order_id, "settlement")
    asked = gateway.status

    def status_while_the_job_runs(order_id: str):
        result = asked(order_id)
        # the expiry job wins the race
        svc.store.expire_pending(svc.clock(), svc.clock(), "cron", line=history.expired())
        return result

    monkeypatch.setattr(gateway, "status", status_while_the_job_runs)
    result = svc.check_payment(booking.id, actor=SYSTEM)
    assert result.needs_review and not result.changed and "refund" in result.message
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.EXPIRED
    assert events(svc, booking.id)[-2:] == ["expired", "paid after expiry"]


def test_an_order_paid_just_as_it_expires_is_flagged_for_a_refund(svc, mt):
    booking = booked(svc, mt)
    made_ago(svc, booking.id, 31)
    mt.add(responses.POST, f"{CORE}/v2/{booking.payment_order_id}/expire", status=412,
           json={"status_code": "412", "status_message": "Merchant cannot modify the status of the transaction"})
    status_reply(mt, booking.payment_order_id, "settlement")
    [gone] = svc.expire_unpaid(actor=SYSTEM)
    assert gone.status is BookingStatus.EXPIRED
    assert events(svc, booking.id)[-2:] == ["expired", "paid after expiry"]


def test_1001_expired_bookings_on_supabase_all_get_their_midtrans_order_closed(mt, gateway, provider, sender):
    """Past Supabase's "Max rows" (1,000, which the PostgREST stand-in applies too): every booking
    the expiry changes is one the console hears of, so every one of them has its order closed."""
    from tests.support.postgres import apply_migrations, fresh_database, psycopg
    from tests.support.postgrest import supabase_over_postgres

    count, now = 1001, datetime.now(UTC).replace(microsecond=0)
    closed: list[str] = []

    def expire_answer(request: Any) -> tuple[int, dict[str, str], str]:
        order_id = request.url.split("/v2/", 1)[1].removesuffix("/expire")
        closed.append(order_id)
        return 200, {}, json.dumps({"status_code": "407", "status_message": "Success, transaction is expired",
                                    "order_id": order_id, "transaction_status": "expire"})

    mt.add_callback(responses.POST, re.compile(rf"{re.escape(CORE)}/v2/CE-[0-9a-f]{{32}}-1/expire"),
                    callback=expire_answer)
    with fresh_database("expire_many") as dsn:
        apply_migrations(dsn)
        with supabase_over_postgres(dsn) as (store, stub):
            expert = store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
            customer = store.add_customer(NewCustomer("Andi Pratama", "andi@example.com"))
            with psycopg.connect(dsn, autocommit=True) as conn:  # in one statement: 1,001 through the service is slow
                orders = [r[0] for r in conn.execute(
                    "insert into bookings (id, user_id, expert_id, session_type, scheduled_date, scheduled_time,"
                    " duration, status, payment_attempts, payment_order_id, created_at)"
                    " select g.id, %s, %s, 'Career mentoring', current_date + 1 + g.i / 10,"
                    " time '08:00' + (g.i %% 10) * interval '1 hour', 60, 'pending', 1,"
                    " 'CE-' || replace(g.id::text, '-', '') || '-1', %s - (g.i %% 7) * interval '1 minute'"
                    " from (select gen_random_uuid() as id, i from generate_series(1, %s) i) g"
                    " returning payment_order_id",
                    [customer.id, expert.id, now - timedelta(hours=1), count]).fetchall()]
            settings = Settings(payment_gateway="midtrans", midtrans=MidtransSettings(
                server_key=SERVER_KEY, client_key=CLIENT_KEY, timeout_seconds=TIMEOUT))
            svc = BookingService(store, provider, gateway, sender, settings, clock=FixedClock(now),
                                 sleep=lambda s: None)
            expired = svc.expire_unpaid(actor=SYSTEM)
            stub_cap = stub.max_rows
            with psycopg.connect(dsn, autocommit=True) as conn:
                statuses = dict(conn.execute("select status, count(*) from bookings group by status").fetchall())

    assert stub_cap == 1000 and count > stub_cap
    assert statuses == {"expired": count}
    assert len(expired) == count and {b.payment_order_id for b in expired} == set(orders)
    assert sorted(closed) == sorted(orders)  # each order closed once
