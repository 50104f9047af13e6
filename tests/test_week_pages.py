"""My sessions' week and the Confirmation page's list of next bookings, driven through AppTest against a
throw-away SQLite store (the service's clock for past sessions is a fixed one, two weeks back)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from lib.access import SYSTEM
from lib.config import load_settings
from lib.domain import Attendance, Booking, BookingRequest, BookingStatus, NewCustomer
from lib.service import BookingService
from lib.week import week_start
from lib.wiring import build_service
from tests.support.apptest import APP, no_exception, open_page, shown
from tests.support.fakes import FixedClock
from tests.support.markup import elements

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock


@pytest.fixture
def experts(service: BookingService) -> dict[str, str]:
    sari = service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career & HR")
    budi = service.store.add_expert("Budi Santoso", "budi@example.com", 400_000, "Business strategy")
    return {"sari": sari.id, "budi": budi.id}


def book(svc: BookingService, expert_id: str, day: date, at: time, name: str, minutes: int = 60) -> Booking:
    booking = svc.book_and_pay(BookingRequest(
        expert_id=expert_id, session_type="Career mentoring", scheduled_date=day, scheduled_time=at, duration=minutes,
        new_customer=NewCustomer(name, f"{name.split()[0].lower()}@example.com")), actor=SYSTEM).booking
    assert booking.status is BookingStatus.CONFIRMED
    return booking


def week_markup(at: AppTest) -> str:
    [week] = at.get("html")
    return week.proto.body


def page_links(at: AppTest) -> list[str]:
    """Where the page's links to other pages go: ``confirmation?booking=<id>``."""
    return [f"{link.proto.page}?{link.proto.query_string}" for link in at.get("page_link")]


def test_the_week_starts_on_monday_links_its_blocks_and_reaches_past_weeks(service, experts):
    monday = week_start(service.today(), 0)
    coming = book(service, experts["sari"], service.today() + timedelta(days=1), time(10, 0), "Andi Wijaya")
    # Last week's session, booked by a service whose clock stood two weeks back, held and recorded.
    past_service = build_service(load_settings(), clock=FixedClock(datetime.now(UTC) - timedelta(days=14)))
    held = book(past_service, experts["sari"], monday - timedelta(days=5), time(9, 0), "Dewi Lestari", 30)
    service.complete_finished(actor=SYSTEM)
    service.store.save_attendance(Attendance(held.id, "recorded", expert_joined=True), [], "test")

    at = open_page("pages/views/my_sessions_view.py", expert=experts["sari"])
    no_exception(at)
    assert at.subheader[0].value.endswith(f"{monday + timedelta(days=6):%Y}")
    markup = week_markup(at)
    columns = [c["data-day"] for c in elements(markup, "cxw-col")]
    assert columns == [(monday + timedelta(days=i)).isoformat() for i in range(7)]
    assert [c["data-day"] for c in elements(markup, "cxw-col")
            if "cxw-today" in c["class"]] == [service.today().isoformat()]
    assert [b["href"] for b in elements(markup, "cxw-block")
            if b["data-booking"] == coming.id] == [f"confirmation?booking={coming.id}"]
    assert held.id not in markup
    assert f"confirmation?booking={coming.id}" in page_links(at)  # the Upcoming card opens it too
    assert at.button(key="my_week_now").disabled

    at.button(key="my_week_prev").click().run()
    no_exception(at)
    markup = week_markup(at)
    assert [c["data-day"] for c in elements(markup, "cxw-col")][0] == (monday - timedelta(days=7)).isoformat()
    [block] = elements(markup, "cxw-block")
    assert block["data-booking"] == held.id and "cxw-past" in block["class"]
    assert "Completed · Customer did not join" in block["title"] and "Dewi Lestari" in block["title"]
    assert not elements(markup, "cxw-today") and not elements(markup, "cxw-now")
    assert coming.meeting_link in {b.proto.url for b in at.link_button}  # Upcoming stays

    at.button(key="my_week_now").click().run()
    assert [c["data-day"] for c in elements(week_markup(at), "cxw-col")][0] == monday.isoformat()


def test_confirmation_without_a_booking_lists_the_next_bookings_of_whoever_looks(service, experts):
    day = service.today() + timedelta(days=2)
    sari_first = book(service, experts["sari"], day, time(9, 0), "Andi Wijaya")
    budi = book(service, experts["budi"], day, time(10, 0), "Rina *Bold* Kusuma")
    sari_later = book(service, experts["sari"], day + timedelta(days=1), time(9, 0), "Putri Maharani")

    at = open_page("pages/views/confirmation_view.py")  # ops: everyone's
    no_exception(at)
    assert "Next bookings" in [h.value for h in at.subheader]
    assert page_links(at) == [f"confirmation?booking={b.id}" for b in (sari_first, budi, sari_later)]
    rows = [shown(m.value) for m in at.markdown if "·" in m.value]
    assert any(r.startswith("**Rina *Bold* Kusuma** · Career mentoring with Budi Santoso") for r in rows)  # as text

    at = AppTest.from_file(APP, default_timeout=30).run()  # the demo's "View as" an expert: their own
    at.switch_page("pages/views/my_sessions_view.py").run()
    at.sidebar.selectbox(key="view_as").set_value(experts["sari"]).run()
    at.switch_page("pages/views/confirmation_view.py").run()
    no_exception(at)
    assert page_links(at) == [f"confirmation?booking={b.id}" for b in (sari_first, sari_later)]


def test_confirmation_without_bookings_to_come_says_so(service, experts):
    at = open_page("pages/views/confirmation_view.py")
    no_exception(at)
    assert not page_links(at)
    assert any("No bookings to come" in i.value for i in at.info)
