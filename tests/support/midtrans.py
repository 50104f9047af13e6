"""Midtrans as its documentation describes it: the sandbox keys and addresses, the bodies of Snap's
"create transaction", the Core API's "get status" and the HTTP notifications (signed with the
server key), the ``mt`` fixture that answers requests' calls with them (``responses``), and a
booking awaiting payment made through the real gateway."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import responses

from lib.access import SYSTEM
from lib.domain import Booking, BookingRequest, BookingStatus
from lib.service import BookingService
from tests.support.env import drop_proxies

SERVER_KEY = "SB-Mid-server-" + uuid.uuid4().hex  # stand-ins: tests check they are sent, never shown
CLIENT_KEY = "SB-Mid-client-" + uuid.uuid4().hex
SNAP = "https://app.sandbox.midtrans.com/snap/v1/transactions"
CORE = "https://api.sandbox.midtrans.com"
TOKEN = "66e4fa55-fdac-4ef9-91b5-733b97d1b862"
REDIRECT = f"https://app.sandbox.midtrans.com/snap/v4/redirection/{TOKEN}"
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
DAY = date(2026, 11, 26)
TIMEOUT = 3.5
WIB = ZoneInfo("Asia/Jakarta")


def snap_created(mt: responses.RequestsMock, token: str = TOKEN) -> None:
    """Snap's answer to POST /snap/v1/transactions (201 Created)."""
    mt.add(responses.POST, SNAP, status=201,
           json={"token": token, "redirect_url": f"https://app.sandbox.midtrans.com/snap/v4/redirection/{token}"})


STATUS_CODES = {"settlement": "200", "capture": "200", "pending": "201", "deny": "202", "cancel": "200",
                "expire": "407", "failure": "202", "authorize": "200", "refund": "200"}


def status_body(order_id: str, transaction_status: str, fraud_status: str | None = "accept",
                gross_amount: str = "250000.00", status_code: str | None = None) -> dict[str, Any]:
    """A GET /v2/<order_id>/status answer (and, with a signature, the notification body)."""
    code = status_code or ("201" if fraud_status == "challenge" else STATUS_CODES[transaction_status])
    messages = {"200": "Success, transaction is found", "201": "Success, transaction is found",
                "202": "Transaction is denied", "407": "Success, transaction is found"}
    body: dict[str, Any] = {
        "status_code": code,
        "status_message": messages[code],
        "transaction_id": str(uuid.uuid4()),
        "order_id": order_id,
        "merchant_id": "G141532850",
        "gross_amount": gross_amount,
        "currency": "IDR",
        "payment_type": "credit_card" if transaction_status in ("capture", "deny") else "bank_transfer",
        "transaction_time": "2026-11-24 10:01:02",
        "transaction_status": transaction_status,
        "signature_key": signature(order_id, code, gross_amount),
    }
    if fraud_status is not None:
        body["fraud_status"] = fraud_status
    if transaction_status == "settlement":
        body["settlement_time"] = "2026-11-24 10:03:04"
        body["va_numbers"] = [{"bank": "bca", "va_number": "12345678901"}]
    if transaction_status == "capture":
        body.update(masked_card="481111-1114", bank="bni", card_type="credit", approval_code="1424936374393",
                    channel_response_code="00", channel_response_message="Approved")
    return body


def signature(order_id: str, status_code: str, gross_amount: str, key: str = SERVER_KEY) -> str:
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{key}".encode()).hexdigest()


def status_reply(mt: responses.RequestsMock, order_id: str, *args: Any, **kw: Any) -> None:
    mt.add(responses.GET, f"{CORE}/v2/{order_id}/status", json=status_body(order_id, *args, **kw))


def not_found(mt: responses.RequestsMock, order_id: str) -> None:
    """Before the customer picks a payment method on the Snap page, Core has no transaction."""
    mt.add(responses.GET, f"{CORE}/v2/{order_id}/status", status=404,
           json={"status_code": "404", "status_message": "Transaction doesn't exist.",
                 "id": "e48447d1-cfa9-4b02-b163-2e915d4417ac"})


def calls_to(mt: responses.RequestsMock, method: str, url_start: str) -> list[Any]:
    return [c for c in mt.calls if c.request.method == method and c.request.url.startswith(url_start)]


@pytest.fixture
def mt(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    """Every HTTP request of requests goes to these canned answers; an unexpected one fails (as a
    connection error). The patch is process-wide: calls from a server thread land here too."""
    drop_proxies(monkeypatch)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def request(svc: BookingService, at: time = time(14, 0), key: str | None = None) -> BookingRequest:
    return BookingRequest(expert_id=svc.experts(actor=SYSTEM)[0].id, session_type="Career mentoring",
                          scheduled_date=DAY, scheduled_time=at, duration=60,
                          customer_id=svc.customers(actor=SYSTEM)[0].id, request_key=key)


def booked(svc: BookingService, mt: responses.RequestsMock, **kw: Any) -> Booking:
    """A booking awaiting payment, with its Snap transaction created."""
    snap_created(mt)
    outcome = svc.book_and_pay(request(svc, **kw), actor=SYSTEM)
    assert outcome.booking.status is BookingStatus.PENDING and outcome.payment_url == REDIRECT
    return outcome.booking


def notification(order_id: str, transaction_status: str, fraud_status: str | None = "accept",
                 **kw: Any) -> dict[str, Any]:
    """An HTTP notification body as Midtrans POSTs it, signed with the server key."""
    return status_body(order_id, transaction_status, fraud_status, **kw)
