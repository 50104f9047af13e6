"""What ops see and do after customers' own changes: the Ops page's "Changed by customers"
section with the refunds due (AppTest), and a refund started through Midtrans's refund API
(the real midtransclient, answered by ``responses``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses

from lib.access import SELF_SERVICE, SYSTEM
from lib.config import MidtransSettings, Settings, load_settings
from lib.domain import Booking, BookingRequest, BookingStatus, NewCustomer
from lib.errors import PaymentFailed
from lib.payments.midtrans import MidtransGateway
from lib.self_service_policy import Refund
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from lib.wiring import build_service
from tests.support.apptest import markdown_sources, no_exception, open_page, shown
from tests.support.fakes import FixedClock, FlakyProvider, RecordingSender
from tests.support.hours import default_hours
from tests.support.midtrans import CLIENT_KEY, CORE, NOW, SERVER_KEY, TIMEOUT, booked, status_reply

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

BASE = "https://console.example.com/notify"
TYPED = "<b>Sick</b> **today** [x](https://evil.example)"


def cancel_as_customer(svc: BookingService, booking: Booking, reason: str = TYPED) -> Booking:
    """What the Cancel page's form does (its own form token), through the service."""
    record = svc.store.self_service_of(booking.id)
    assert record is not None, "the customer's emails carried no self-service links"
    visit = svc.self_service_visit(record.token, actor=SELF_SERVICE)
    return svc.self_service_cancel(record.token, visit.cancel_form, reason, actor=SELF_SERVICE)


# -- Midtrans -------------------------------------------------------------------------------------

@pytest.fixture
def svc(tmp_path: Path) -> BookingService:
    store = SQLiteStore(tmp_path / "refunds.db")
    settings = Settings(sqlite_path=str(tmp_path / "refunds.db"), payment_gateway="midtrans", public_base_url=BASE,
                        default_availability=default_hours(),
                        link_backoff_seconds=0.01, midtrans=MidtransSettings(
                            server_key=SERVER_KEY, client_key=CLIENT_KEY, timeout_seconds=TIMEOUT))
    service = BookingService(store, FlakyProvider(), MidtransGateway(SERVER_KEY, CLIENT_KEY, timeout_seconds=TIMEOUT),
                             RecordingSender(), settings, clock=FixedClock(NOW), sleep=lambda s: None)
    store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    store.add_customer(NewCustomer("Andi Pratama", "andi@example.com"))
    return service


def paid_and_cancelled(svc: BookingService, mt: responses.RequestsMock) -> Booking:  # noqa: F811
    booking = booked(svc, mt)
    status_reply(mt, booking.payment_order_id, "settlement")
    assert svc.check_payment(booking.id, actor=SYSTEM).booking.status is BookingStatus.CONFIRMED
    gone = cancel_as_customer(svc, booking)
    assert gone.status is BookingStatus.CANCELLED
    return gone


def refund_reply(mt: responses.RequestsMock, order_id: str, **body: Any) -> None:  # noqa: F811
    reply = {"status_code": "200", "status_message": "Success, refund request is approved", "order_id": order_id,
             "refund_amount": "250000.00", **body}
    mt.add(responses.POST, f"{CORE}/v2/{order_id}/refund", json=reply)


def test_ops_start_a_refund_due_through_midtrans_once(svc, mt):  # noqa: F811
    booking = paid_and_cancelled(svc, mt)
    assert svc.gateway_refunds
    [change] = svc.customer_changes(actor=SYSTEM)
    assert (change.record.refund, change.record.refund_amount) == (Refund.DUE, 250_000)
    refund_reply(mt, booking.payment_order_id)
    record = svc.start_refund(booking.id, actor=SYSTEM)
    [call] = [c for c in mt.calls if c.request.url.endswith("/refund")]
    assert json.loads(call.request.body) == {"refund_key": f"{booking.payment_order_id}-refund", "amount": 250_000,
                                             "reason": "Cancelled by the customer"}
    assert (record.refund, record.refund_ref) == (Refund.STARTED, f"{booking.payment_order_id}-refund")
    last = svc.history(booking.id, actor=SYSTEM)[-1]
    assert (last.event, last.actor) == ("refund started", "system")
    assert "Rp 250.000 through midtrans" in last.detail
    with pytest.raises(Exception, match="no refund due"):
        svc.start_refund(booking.id, actor=SYSTEM)
    assert len([c for c in mt.calls if c.request.url.endswith("/refund")]) == 1


def test_a_refund_midtrans_refuses_stays_due_and_says_why(svc, mt):  # noqa: F811
    booking = paid_and_cancelled(svc, mt)
    refund_reply(mt, booking.payment_order_id, status_code="412",
                 status_message="Merchant cannot modify the status of the transaction")
    with pytest.raises(PaymentFailed, match="refused refunding the payment \\(412\\): Merchant cannot modify"):
        svc.start_refund(booking.id, actor=SYSTEM)
    assert svc.store.self_service_of(booking.id).refund is Refund.DUE


# -- the Ops page -----------------------------------------------------------------------------------

@pytest.fixture
def console(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> BookingService:
    monkeypatch.setenv("CALLEXPERT_PUBLIC_BASE_URL", BASE)
    service = build_service(load_settings())
    service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    service.store.add_customer(NewCustomer("Andi Wijaya", "andi@example.com"))
    return service


def book(svc: BookingService, days: int = 3) -> Booking:
    from datetime import time, timedelta
    request = BookingRequest(expert_id=svc.experts(actor=SYSTEM)[0].id, session_type="Career mentoring",
                             scheduled_date=svc.today() + timedelta(days=days), scheduled_time=time(14, 0),
                             customer_id=svc.customers(actor=SYSTEM)[0].id)
    return svc.book_and_pay(request, actor=SYSTEM).booking


def test_the_ops_page_shows_the_customers_cancellation_as_refund_due_and_records_it(console):
    booking = book(console)
    cancel_as_customer(console, booking)
    at = open_page("pages/views/ops_view.py")
    no_exception(at)
    sources = [shown(s) for s in markdown_sources(at)]
    assert "Changed by customers" in sources
    row = next(s for s in sources if "Cancelled by the customer" in s)
    assert "Refund due: Rp 250.000" in row and "Andi Wijaya" in row
    assert not any("<b>" in s or "**today**" in s for s in markdown_sources(at))  # the reason is not here as markup
    at.text_input(key=f"refund-note-{booking.id}").input("bank transfer, 7 Dec")
    at.button[[b.label for b in at.button].index("Record refund")].click().run()
    no_exception(at)
    assert any("Refund recorded" in shown(s.value) for s in at.success)
    assert any("Refund started: bank transfer, 7 Dec" in shown(s) for s in markdown_sources(at))
    history = console.history(booking.id, actor=SYSTEM)
    assert [(h.event, h.actor) for h in history][-2:] == [("cancelled", "customer:andi@example.com"),
                                                          ("refund recorded", "ops:demo")]
    assert history[-2].detail == f"Cancelled by the customer: {TYPED}"


def test_without_self_service_the_ops_page_has_no_such_section(app_env):
    at = open_page("pages/views/ops_view.py")
    no_exception(at)
    assert "Changed by customers" not in markdown_sources(at)
