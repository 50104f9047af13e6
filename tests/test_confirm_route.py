"""One way from paid to confirmed: the route of each gateway and meeting provider is decided when
the service is built, and every combination confirms through ``Links.confirm_paid``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import BookingRequest, BookingStatus, NewCustomer
from lib.payments import PaymentResult, PaymentState
from lib.payments.demo_gateway import DemoGateway
from lib.service import BookingService
from lib.service.links import Links
from lib.service.ports import ConfirmRoute
from lib.store.sqlite import SQLiteStore
from tests.support.bookings import open_all_hours
from tests.support.fakes import FixedClock, FlakyProvider, RecordingSender

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
DAY = date(2026, 11, 26)


class Watched:
    """An adapter whose in-process flag counts its reads; everything else is the wrapped adapter's."""

    def __init__(self, inner: Any, flag: str, value: bool) -> None:
        self._inner, self._flag, self._value = inner, flag, value
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        if name == self._flag:
            self.reads += 1
            return self._value
        return getattr(self._inner, name)


class PagedGateway(DemoGateway):
    """A gateway with a payment page (as Midtrans): the payment settles later, by a check."""

    name = "paged"

    def start(self, booking, order_id, *, expires_at=None):  # noqa: ANN001, ANN201
        return PaymentResult(PaymentState.PENDING, reference="", token="t", redirect_url="https://pay.example/x")

    def status(self, order_id: str) -> PaymentResult:
        return PaymentResult(PaymentState.PAID, reference=order_id, amount=Decimal(250_000), message="Settled.")


COMBINATIONS = [(pays, links) for pays in (True, False) for links in (True, False)]


def service(tmp_path, pays_here: bool, links_here: bool) -> tuple[BookingService, Watched, Watched]:
    gateway = Watched(DemoGateway() if pays_here else PagedGateway(), "settles_in_process", pays_here)
    provider = Watched(FlakyProvider(), "creates_in_process", links_here)
    settings = Settings(sqlite_path=str(tmp_path / "route.db"), link_backoff_seconds=0.0,
                        link_backoff_max_seconds=0.0, reminder_offsets=())
    store = SQLiteStore(settings.sqlite_path)
    svc = BookingService(store, provider, gateway, RecordingSender(), settings,  # type: ignore[arg-type]
                         clock=FixedClock(NOW), sleep=lambda seconds: None)
    store.add_expert("Sari", "sari@example.com", 250_000, "Career")
    open_all_hours(store)
    return svc, gateway, provider


def request(svc: BookingService) -> BookingRequest:
    sari = svc.experts(actor=SYSTEM)[0]
    return BookingRequest(expert_id=sari.id, session_type="Career mentoring", scheduled_date=DAY,
                          scheduled_time=time(14, 0), duration=60, new_customer=NewCustomer("Andi", "andi@example.com"))


@pytest.mark.parametrize(("pays_here", "links_here"), COMBINATIONS)
def test_the_route_is_decided_at_build_and_no_adapter_flag_is_read_along_the_way(tmp_path, monkeypatch, pays_here,
                                                                                 links_here):
    svc, gateway, provider = service(tmp_path, pays_here, links_here)
    assert svc.ports.route == ConfirmRoute(pays_here=pays_here, links_here=links_here)
    assert svc.ports.route.has_calendar is not links_here
    read_at_build = (gateway.reads, provider.reads)
    routines: list[str] = []
    confirm_paid = Links.confirm_paid

    def watched(self: Links, booking_id: str, *args: Any, **kwargs: Any) -> Any:
        routines.append(booking_id)
        return confirm_paid(self, booking_id, *args, **kwargs)

    monkeypatch.setattr(Links, "confirm_paid", watched)

    outcome = svc.book_and_pay(request(svc), actor=SYSTEM)
    booking = outcome.booking
    if not pays_here:  # a payment page: confirmed once the gateway says it settled
        assert booking.status is BookingStatus.PENDING and outcome.payment_url
        assert routines == []
        check = svc.check_payment(booking.id, actor=SYSTEM)
        booking = check.booking
    assert booking.status is BookingStatus.CONFIRMED and outcome.link_error is None
    assert routines == [booking.id]  # through the one routine, once
    # Calendar questions and the overview ask the route too, never the adapters.
    svc.cancel(booking.id, "changed plans", actor=SYSTEM)
    svc.overview(DAY, DAY, actor=SYSTEM)
    assert (gateway.reads, provider.reads) == read_at_build


def test_swapping_an_adapter_through_the_service_decides_its_route_again(tmp_path):
    svc, _, _ = service(tmp_path, pays_here=True, links_here=False)
    svc.meetings = Watched(FlakyProvider(), "creates_in_process", True)  # type: ignore[assignment]
    assert svc.ports.route == ConfirmRoute(pays_here=True, links_here=True)
    svc.payments = Watched(PagedGateway(), "settles_in_process", False)  # type: ignore[assignment]
    assert svc.ports.route == ConfirmRoute(pays_here=False, links_here=True)


@pytest.mark.parametrize(("pays_here", "links_here"), COMBINATIONS)
def test_a_failed_link_is_said_once_and_leaves_the_booking_paid_for_the_worker(tmp_path, pays_here, links_here):
    svc, _, provider = service(tmp_path, pays_here, links_here)
    flaky = provider._inner
    flaky.failures, flaky.permanent = 10, True
    outcome = svc.book_and_pay(request(svc), actor=SYSTEM)
    if pays_here:
        booking, error = outcome.booking, outcome.link_error
    else:
        check = svc.check_payment(outcome.booking.id, actor=SYSTEM)
        booking, error = check.booking, check.link_error
    assert booking.status is BookingStatus.PAID and error and "Calendar said no" in error
    assert [b.id for b in svc.missing_links(actor=SYSTEM)] == [booking.id]
    events = [h.event for h in svc.history(booking.id, actor=SYSTEM)]
    assert events[-1] == "link attempt failed" and events.count("paid") == 1
    flaky.failures = 0  # the worker's retry takes the same routine and confirms it
    assert svc.create_missing_links(actor=SYSTEM).confirmed == [booking.id]
