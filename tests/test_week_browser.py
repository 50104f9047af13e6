"""My sessions' week in Chromium: every block's text stays inside its block (boxes measured in the
browser) at 1366 px and on a phone's 390 px, where the agenda replaces the columns, and a click on a
block opens that booking. Uses the ``console`` server of tests/support/browser.py (demo data, every
expert open around the clock) and adds bookings of its own, past ones through a service whose clock
stands two weeks back."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import Booking, BookingRequest, BookingStatus, NewCustomer
from lib.service import BookingService
from lib.session_type_document import to_document
from lib.week import week_start
from lib.wiring import build_service
from tests.support.browser import TIMEOUT_MS, open_page, shot
from tests.support.fakes import FixedClock
from tests.support.hours import default_hours

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

LONG_SESSION = "Business strategy review for a family company moving into exports"
MEASURE = """sel => Array.from(document.querySelectorAll(sel)).filter(el => el.getClientRects().length).map(el => {
  const box = r => { const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  return {id: el.dataset.booking, box: box(el), parent: box(el.parentElement), title: el.title,
          scrollHeight: el.scrollHeight, clientHeight: el.clientHeight,
          lines: Array.from(el.querySelectorAll('.cxw-line')).map(l => ({
            box: box(l), text: l.textContent, scrollWidth: l.scrollWidth, clientWidth: l.clientWidth,
            cut: getComputedStyle(l).textOverflow, overflow: getComputedStyle(l).overflowX,
            fontSize: parseFloat(getComputedStyle(l).fontSize)}))};
})"""


def within(inner: list[float], outer: list[float], slack: float = 0.5) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def assert_text_stays_inside(page: object, selector: str, viewport_width: int) -> list[dict]:
    """Every element matching ``selector`` on screen: its lines inside its box, a cut line cut by an
    ellipsis (never spilling), nothing scrolled out below, and the box inside its parent and the page."""
    found = page.evaluate(MEASURE, selector)  # type: ignore[attr-defined]
    assert found, f"nothing matches {selector}"
    for element in found:
        assert element["scrollHeight"] <= element["clientHeight"] + 1, element
        assert element["box"][2] <= viewport_width + 0.5 and element["box"][0] >= -0.5, element
        assert element["lines"], element
        for line in element["lines"]:
            assert within(line["box"], element["box"]), (line, element["box"])
            assert line["overflow"] == "hidden" and line["cut"] == "ellipsis", line
            assert line["fontSize"] >= 11, line  # readable
            assert line["box"][3] - line["box"][1] >= 12, line  # a whole line of text, not a sliver
    return found


def book(svc: BookingService, day, at: time, minutes: int, name: str) -> Booking:
    expert = svc.experts(actor=SYSTEM)[-1]
    booking = svc.book_and_pay(BookingRequest(
        expert_id=expert.id, session_type=LONG_SESSION, scheduled_date=day, scheduled_time=at, duration=minutes,
        new_customer=NewCustomer(name, f"{name.split()[0].lower()}.week@example.com")), actor=SYSTEM).booking
    assert booking.status is BookingStatus.CONFIRMED
    return booking


def test_week_blocks_keep_their_text_inside_and_open_their_booking_in_chromium(chromium, console):
    url, db = console
    svc = build_service(Settings(sqlite_path=str(db), seed_demo_data=False, default_availability=default_hours()))
    expert = svc.experts(actor=SYSTEM)[-1]
    # A type with a long name, offered besides the expert's own, for the blocks' words to be cut.
    offered = to_document(svc.session_types(expert.id, actor=SYSTEM))
    long_type = {"names": {"en": LONG_SESSION, "id": LONG_SESSION}, "durations": [30, 45, 60],
                 "price_per_hour": 300_000}
    svc.set_session_types(expert.id, {"types": [*offered, long_type]}, actor=SYSTEM)
    # Next Wednesday: a 30- and a 45-minute session back to back, then one with a long name.
    wednesday = week_start(svc.today(), 1) + timedelta(days=2)
    short = book(svc, wednesday, time(6, 0), 30, "Kartika Sari Dewi Lestari Wulandari")
    book(svc, wednesday, time(6, 30), 45, "Yohanes Bambang Sutrisno Hadiwijaya")
    book(svc, wednesday, time(7, 15), 60, "Maria Fransiska Theresia Simanjuntak")
    # Last week's session, held before the page is opened.
    past_svc = build_service(Settings(sqlite_path=str(db), seed_demo_data=False, default_availability=default_hours()),
                             clock=FixedClock(datetime.now(UTC) - timedelta(days=14)))
    held = book(past_svc, week_start(svc.today(), -1) + timedelta(days=4), time(6, 0), 30, "Rudi Hartono Past")
    svc.complete_finished(actor=SYSTEM)

    for width, height in ((1366, 900), (390, 844)):
        context = chromium.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        try:
            open_page(page, f"{url}/my-sessions?expert={expert.id}", "My sessions")
            page.get_by_role("button", name="Next week").click()
            selector = ".cxw-block" if width > 640 else ".cxw-item"
            mark = page.locator(f'{selector}[data-booking="{short.id}"]')
            mark.wait_for()
            if width > 640:  # the seven columns, the agenda hidden
                assert page.locator(".cxw-agenda").first.is_hidden()
            else:  # the agenda, the columns hidden, and nothing wider than the phone
                assert page.locator(".cxw-grid").first.is_hidden()
                assert page.evaluate("document.documentElement.scrollWidth") <= width
            shot(page, f"week-{width}")
            found = assert_text_stays_inside(page, selector, width)
            [mine] = [b for b in found if b["id"] == short.id]
            assert mine["lines"] and mine["lines"][0]["text"].startswith("06:00")  # the 30-minute block reads
            assert LONG_SESSION in mine["title"] and "Kartika Sari Dewi Lestari Wulandari" in mine["title"]
            if width > 640:  # its long title is cut by the ellipsis, not spilled over the next block
                assert mine["lines"][0]["scrollWidth"] > mine["lines"][0]["clientWidth"]

            page.get_by_role("button", name="Previous week").click()
            page.get_by_role("button", name="Previous week").click()
            past = page.locator(f'{selector}[data-booking="{held.id}"]')
            past.wait_for()
            assert "Completed" in past.get_attribute("title")
            assert_text_stays_inside(page, selector, width)

            if width > 640:  # a click on a block opens that booking
                page.get_by_role("button", name="This week").click()
                page.get_by_role("button", name="Next week").click()
                mark.click()
                page.wait_for_url(f"**/confirmation?booking={short.id}*")
                page.get_by_role("heading", name="Confirmation", exact=True).wait_for()
                page.get_by_text(f"Booking id: {short.id}").wait_for()
                page.get_by_text("Kartika Sari Dewi Lestari Wulandari").first.wait_for()
                shot(page, "week-opened-booking")
        except Exception:
            shot(page, f"failure-week-{width}")
            raise
        finally:
            context.close()
