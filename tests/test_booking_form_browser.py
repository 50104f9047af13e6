"""The booking form in Chromium, as ops use it on one page: two bookings in a row, Book and pay
before a start is picked, and a start another person takes in the meantime.

The app runs as `make run` starts it (demo data) with one more expert of the test's own, Aaron
Pratama, first in the list, working 09:00-17:00 every day with a start every hour, so the test
knows which starts are free. Chromium is Debian's /usr/bin/chromium (tests/support/browser.py):
without it the tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, time, timedelta

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.scheduling import Availability, TimeRange
from lib.service import BookingService
from lib.timefmt import long_date, when
from lib.wiring import build_service
from tests.support.browser import TIMEOUT_MS, serve_console, shot
from tests.support.env import clean_environ, free_port
from tests.support.hours import ALWAYS_OPEN_ENV, ALWAYS_OPEN_SETTING

EXPERT = "Aaron Pratama"  # sorts before the demo experts: the form's default expert
HOURS = Availability(weekly=((TimeRange(9 * 60, 17 * 60),),) * 7, min_notice_minutes=0, slot_step_minutes=60,
                     horizon_days=30)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, BookingService, str]]:
    """`streamlit run app.py` on demo data plus Aaron; (url, a service on the same file, Aaron's id)."""
    folder = tmp_path_factory.mktemp("booking-form")
    db = folder / "console.db"
    svc = build_service(Settings(sqlite_path=str(db), seed_demo_data=True, default_availability=ALWAYS_OPEN_SETTING))
    aaron = svc.store.add_expert(EXPERT, "aaron@example.com", 300_000, "Product management")
    svc.set_availability(aaron.id, HOURS, actor=SYSTEM)
    env = clean_environ(folder, CALLEXPERT_SQLITE_PATH=str(db), CALLEXPERT_SEED_DEMO_DATA="true", **ALWAYS_OPEN_ENV)
    with serve_console(folder, env, port=free_port()) as url:
        yield url, svc, aaron.id


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def open_form(page, url: str, name: str, email: str) -> None:
    """The Book page with a new customer filled in and Aaron as the expert."""
    page.goto(f"{url}/book")
    page.get_by_role("heading", name="Book a session", exact=True).wait_for()
    page.get_by_text("New customer", exact=True).click()
    for label, value in (("Name", name), ("Email", email)):
        field = page.get_by_label(label, exact=True)
        field.fill(value)
        field.press("Enter")
    page.get_by_text("Rp 300.000", exact=True).first.wait_for()  # Aaron's hour: the default expert


def day_button(page, day: date):
    return page.locator("button", has_text=f"{day:%a %d/%m} · ")


def free_count(page, day: date) -> int:
    text = day_button(page, day).inner_text().strip()
    found = re.fullmatch(rf"{day:%a %d/%m} · (\d+) free", text)
    assert found, text
    return int(found.group(1))


def time_button(page, at: str):
    return page.locator("button", has_text=re.compile(rf"^{at}$"))


def pick(page, svc: BookingService, day: date, at: str) -> None:
    day_button(page, day).click()
    page.get_by_text(f"Start time on {long_date(day)} (").wait_for()
    time_button(page, at).click()
    page.get_by_text(when(day, time.fromisoformat(at), svc.tz)).wait_for()  # the summary next to the button


def bookings_of(svc: BookingService, expert_id: str) -> list[tuple[date, time]]:
    return sorted((b.scheduled_date, b.scheduled_time) for b in svc.recent_bookings(limit=10_000, actor=SYSTEM)
                  if b.expert_id == expert_id and b.status.value in ("pending", "paid", "confirmed"))


def test_two_bookings_in_a_row_and_book_and_pay_without_a_start(page, console):
    url, svc, aaron = console
    day = svc.today() + timedelta(days=3)
    try:
        open_form(page, url, "Dewi Dua Kali", "dewi.dua@example.com")
        pick(page, svc, day, "10:00")
        before = free_count(page, day)
        page.get_by_role("button", name="Book and pay").click()
        page.get_by_text("Booked and paid").wait_for()
        # Read again: the booked 10:00 is gone, the day counts one fewer, and no start is picked.
        time_button(page, "10:00").wait_for(state="detached")
        assert free_count(page, day) == before - 1
        page.get_by_text(f"Pick a start time on {long_date(day)}.").wait_for()
        assert page.get_by_role("button", name="Book and pay").is_disabled()  # done: no second booking
        link = page.get_by_role("link", name="Open this booking")
        [first] = [b for b in svc.recent_bookings(limit=10_000, actor=SYSTEM) if b.expert_id == aaron]
        assert f"booking={first.id}" in (link.get_attribute("href") or "")
        shot(page, "form-1-booked")

        pick(page, svc, day, "11:00")
        page.get_by_role("button", name="Book and pay").click()
        page.get_by_text(re.compile(r"Booked and paid: .*11:00")).wait_for()
        time_button(page, "11:00").wait_for(state="detached")
        assert bookings_of(svc, aaron) == [(day, time(10, 0)), (day, time(11, 0))]

        # Book another: an empty form; Book and pay with a day but no start says what to pick.
        page.get_by_role("button", name="Book another").click()
        page.get_by_text("Booked and paid").wait_for(state="detached")
        page.get_by_text("New customer", exact=True).click()
        for label, value in (("Name", "Eko Tanpa Jam"), ("Email", "eko.tanpa@example.com")):
            page.get_by_label(label, exact=True).fill(value)
            page.get_by_label(label, exact=True).press("Enter")
        day_button(page, day).click()
        words = page.get_by_text(f"Pick a start time on {long_date(day)}.")
        words.wait_for()
        button = page.get_by_role("button", name="Book and pay")
        assert button.is_disabled()
        button.click(force=True)  # as a person clicking it anyway: nothing happens but the words
        page.wait_for_load_state("networkidle")
        words.wait_for()
        body = page.locator("body").inner_text()
        assert "calendar date" not in body and "YYYY-MM-DD" not in body, body
        assert bookings_of(svc, aaron) == [(day, time(10, 0)), (day, time(11, 0))]
        shot(page, "form-2-no-start")
    except Exception:
        shot(page, "form-failure-1")
        raise


def test_a_start_taken_in_another_browser_is_refused_as_just_booked_with_the_nearest(page, chromium, console):
    url, svc, aaron = console
    day = svc.today() + timedelta(days=5)
    other = chromium.new_context(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    other.set_default_timeout(TIMEOUT_MS)
    second = other.new_page()
    try:
        open_form(page, url, "Fitri Pertama", "fitri.pertama@example.com")
        pick(page, svc, day, "14:00")
        # Someone else, in another browser, takes 14:00 first.
        open_form(second, url, "Gilang Cepat", "gilang.cepat@example.com")
        pick(second, svc, day, "14:00")
        second.get_by_role("button", name="Book and pay").click()
        second.get_by_text("Booked and paid").wait_for()
        assert (day, time(14, 0)) in bookings_of(svc, aaron)

        page.get_by_role("button", name="Book and pay").click()
        refusal = page.get_by_text(re.compile(r"^14:00 was just booked\."))
        refusal.wait_for()
        page.get_by_text("Pick one of the nearest free times instead:", exact=True).wait_for()
        nearest = page.locator("button", has_text=re.compile(rf"^{day:%a %d/%m} (13|15):00$"))
        nearest.nth(1).wait_for()  # the buttons are drawn one by one: wait for both before counting
        assert nearest.count() == 2, page.locator("body").inner_text()
        body = page.locator("body").inner_text()
        assert "calendar date" not in body
        assert page.get_by_role("button", name="Book and pay").is_disabled()
        shot(page, "form-3-just-booked")

        nearest.filter(has_text="15:00").click()
        page.get_by_text(when(day, time(15, 0), svc.tz)).wait_for()
        refusal.wait_for(state="detached")
        page.get_by_role("button", name="Book and pay").click()
        page.get_by_text(re.compile(r"Booked and paid: .*15:00")).wait_for()
        assert {(day, time(14, 0)), (day, time(15, 0))} <= set(bookings_of(svc, aaron))
    except Exception:
        shot(page, "form-failure-3")
        shot(second, "form-failure-3-other")
        raise
    finally:
        other.close()
