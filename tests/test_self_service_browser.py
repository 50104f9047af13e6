"""Customer self-service in Chromium, through the real endpoint (uvicorn on loopback), with the
Google provider against the Calendar stand-in: the customer opens the link of their captured
email (the SQLite outbox), reschedules to a free time, and the store, the calendar event and
both emails show the new time with the same meeting link; a cancel of a paid booking shows
"refund due" on the Ops page (AppTest)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path

import httpx
import pytest

from lib.access import SYSTEM
from lib.domain import Booking, BookingStatus
from lib.service import BookingService
from lib.timefmt import long_date
from lib.wiring import build_service
from tests.support.apptest import markdown_sources, no_exception, open_page, shown
from tests.support.bookings import request_for
from tests.support.browser import TIMEOUT_MS, shot
from tests.support.endpoint import serving
from tests.support.google import calendar_server, google_settings

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

BASE = "https://console.example.com/notify"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    with calendar_server(monkeypatch, seed=27) as srv:
        yield srv


@pytest.fixture
def svc(tmp_path: Path, server) -> BookingService:
    service = build_service(google_settings(tmp_path / "self-service.db", server, timeout=1.0, public_base_url=BASE))
    service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    return service


@pytest.fixture
def endpoint(svc: BookingService) -> Iterator[httpx.Client]:
    with serving(svc, timeout=30) as client:
        yield client


def email(svc: BookingService, booking: Booking, kind: str):  # noqa: ANN201 - an Email
    return next(e for e in svc.emails(booking_id=booking.id, actor=SYSTEM) if e.kind == kind)


def link_in(text: str, page: str) -> str:
    """The path of the customer's ``page`` link (``r`` or ``c``) in an email, as the endpoint serves it."""
    found = re.findall(re.escape(BASE) + rf"(/{page}/[A-Za-z0-9_-]{{43}})", text)
    assert len(set(found)) == 1, found
    return found[0]


def join_in(text: str) -> str:
    found = re.findall(re.escape(BASE) + r"(/j/[A-Za-z0-9_-]{43})", text)
    assert len(set(found)) == 1, found
    return found[0]


def test_a_customer_reschedules_from_the_email_and_everyone_sees_the_new_time(svc, server, endpoint, chromium):
    day = svc.today() + timedelta(days=3)
    booking = svc.book_and_pay(request_for(svc, day, time(14, 0), 1), actor=SYSTEM).booking
    assert booking.status is BookingStatus.CONFIRMED and booking.meeting_link.startswith("https://meet.google.com/")
    [event] = server.live_events()
    confirmation = email(svc, booking, "confirmed.customer")
    join_customer = join_in(confirmation.body_text)
    join_expert = join_in(email(svc, booking, "confirmed.expert").body_text)

    page = chromium.new_page(viewport=PHONE)
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(str(endpoint.base_url).rstrip("/") + link_in(confirmation.body_html, "r"))
        page.get_by_role("heading", name="Ubah jadwal sesi Anda").wait_for()
        shot(page, "self-service-reschedule-phone")
        page.locator(f'nav a[href*="day={day}"]').click()
        page.get_by_role("heading", name=long_date(day, "id")).wait_for()
        page.locator(f'a[href*="at={day}T16%3A00"]').click()
        page.get_by_role("button", name="Konfirmasi waktu baru").click()
        page.get_by_role("heading", name="Sesi Anda pindah waktu").wait_for()
        assert "16:00 WIB" in page.get_by_role("status").inner_text()
        shot(page, "self-service-rescheduled-phone")
    finally:
        page.close()

    moved = svc.get_booking(booking.id, actor=SYSTEM)
    assert (moved.scheduled_date, moved.scheduled_time) == (day, time(16, 0))
    assert (moved.meeting_link, moved.google_event_id) == (booking.meeting_link, booking.google_event_id)
    assert svc.history(booking.id, actor=SYSTEM)[-1].actor == "customer:customer1@example.com"
    [after] = server.live_events()
    assert after["id"] == event["id"] and after["start"]["dateTime"] == f"{day}T16:00:00+07:00"
    assert after["hangoutLink"] == booking.meeting_link
    for side, join in (("customer", join_customer), ("expert", join_expert)):
        moved_email = email(svc, booking, f"rescheduled.{side}")
        assert "16:00" in moved_email.body_text and join_in(moved_email.body_text) == join
        redirect = endpoint.get(join)
        assert redirect.status_code == 302 and redirect.headers["location"] == booking.meeting_link


def test_a_paid_booking_cancelled_by_its_customer_is_refund_due_on_the_ops_page(
        svc, server, endpoint, chromium, app_env, monkeypatch):
    day = svc.today() + timedelta(days=4)
    booking = svc.book_and_pay(request_for(svc, day, time(10, 0), 2), actor=SYSTEM).booking
    confirmation = email(svc, booking, "confirmed.customer")
    typed = "<i>sakit</i> <script>alert(1)</script>"

    page = chromium.new_page(viewport=LAPTOP)
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(str(endpoint.base_url).rstrip("/") + link_in(confirmation.body_text, "c"))
        page.get_by_role("heading", name="Batalkan sesi Anda").wait_for()
        assert "Rp 250.000" in page.locator("main").inner_text()
        page.get_by_label("Alasan (opsional)").fill(typed)
        shot(page, "self-service-cancel-laptop")
        page.get_by_role("button", name="Batalkan sesi saya").click()
        page.get_by_role("heading", name="Sesi Anda dibatalkan").wait_for()
        assert typed in page.get_by_role("status").inner_text()  # shown as the text typed, not run
        assert page.locator("main i, main script").count() == 0
    finally:
        page.close()
    assert server.live_events() == []
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.CANCELLED

    monkeypatch.setenv("CALLEXPERT_SQLITE_PATH", svc.settings.sqlite_path)
    at = open_page("pages/views/ops_view.py")
    no_exception(at)
    row = next(shown(s) for s in markdown_sources(at) if "Cancelled by the customer" in shown(s))
    assert "Customer 2" in row and "Refund due: Rp 250.000" in row
