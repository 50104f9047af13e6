"""The console in a real browser: Playwright driving Debian's Chromium against `streamlit run`.

The app starts as `make run` starts it (demo data, embedded defaults) on a free port. The test
books a session for a new customer by clicking a day and a free time in the picker, opens its
confirmation with the Join link, then opens the ops page and creates a missing link with the
button. A screenshot of each page goes to test-artifacts/ (kept out of git).

Playwright never downloads a browser here: it drives /usr/bin/chromium, which .ci/run installs
(the ``chromium`` fixture, tests/support/browser.py). Without it (or without the playwright
package) the test skips, except under CI, where it fails.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.display_tables import booking_label
from lib.domain import BookingRequest, BookingStatus, NewCustomer
from lib.timefmt import long_date, when
from lib.wiring import build_service
from tests.support.browser import TIMEOUT_MS, open_page, shot
from tests.support.hours import default_hours

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock


def test_book_confirm_and_create_a_missing_link_in_chromium(chromium, console):
    url, db = console
    svc = build_service(Settings(sqlite_path=str(db), seed_demo_data=False, default_availability=default_hours()))
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="id-ID")  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        # -- Book a session: a new customer, a day and a free time clicked in the picker -----------
        # The console's own address first (deep links on a fresh server: test_deep_link_browser).
        open_page(page, url, "Book a session")
        page.wait_for_url(f"{url}/book")
        page.get_by_text("New customer", exact=True).click()
        name = page.get_by_label("Name", exact=True)
        name.fill("Dewi Browser")
        name.press("Enter")
        email = page.get_by_label("Email", exact=True)
        email.fill("dewi.browser@example.com")
        email.press("Enter")
        page.get_by_text("Demo payment — no money moves").wait_for()
        # The day after tomorrow (its label says how many starts are free), then its 10:00.
        day = svc.today() + timedelta(days=2)
        day_button = page.locator("button", has_text=f"{day:%a %d/%m} · ")
        assert re.fullmatch(rf"{day:%a %d/%m} · \d+ free", day_button.inner_text().strip()), day_button.inner_text()
        day_button.click()
        page.get_by_text(re.compile(rf"^Start time on {re.escape(long_date(day))}")).wait_for()  # not "Pick a ..."
        page.locator("button", has_text=re.compile(r"^10:00$")).click()
        page.get_by_text(f"{when(day, time(10, 0), svc.tz)}").wait_for()  # the summary next to the button
        page.get_by_role("button", name="Book and pay").click()
        page.get_by_text("Booked and paid").wait_for()
        [booking] = [b for b in svc.recent_bookings(limit=1000, actor=SYSTEM)
                     if b.customer_email == "dewi.browser@example.com"]
        assert booking.status is BookingStatus.CONFIRMED and booking.meeting_link
        assert (booking.scheduled_date, booking.scheduled_time) == (day, time(10, 0))  # the slot clicked
        page.get_by_text(booking.meeting_link).first.wait_for()  # the link, shown as text
        assert page.get_by_role("link", name="Join meeting").first.get_attribute("href") == booking.meeting_link
        shot(page, "1-book")

        # -- its confirmation page ------------------------------------------------------------------
        open_page(page, f"{url}/confirmation?booking={booking.id}", "Confirmation")
        page.get_by_text("Dewi Browser").first.wait_for()
        page.get_by_text("WIB").first.wait_for()
        assert page.get_by_role("link", name="Join meeting").first.get_attribute("href") == booking.meeting_link
        page.get_by_text(booking.meeting_link).first.wait_for()
        shot(page, "2-confirmation")

        # -- ops: a paid booking without a link, created with the button ------------------------------
        last = svc.experts(actor=SYSTEM)[-1]
        offered = next(t for t in svc.session_types(last.id, actor=SYSTEM, active_only=True) if 60 in t.durations)
        waiting = svc.pay(svc.book(BookingRequest(
            expert_id=last.id, session_type=offered.name("en"),
            scheduled_date=svc.today() + timedelta(days=20), scheduled_time=time(15, 0), duration=60,
            new_customer=NewCustomer("Fajar Menunggu", "fajar.menunggu@example.com")), actor=SYSTEM).id, actor=SYSTEM)
        assert waiting.status is BookingStatus.PAID and waiting.meeting_link is None
        open_page(page, f"{url}/ops", "Ops")
        page.get_by_role("heading", name="Paid, awaiting a link").wait_for()
        page.get_by_text(booking_label(waiting)).first.wait_for()
        shot(page, "3-ops-waiting")
        page.get_by_role("button", name="Create all missing links").click()
        page.get_by_text("Every paid booking has its meeting link.").wait_for()
        # The rerun is over once the button (drawn only while links are missing) has gone.
        page.get_by_role("button", name="Create all missing links").wait_for(state="detached")
        shot(page, "4-ops-done")
        done = svc.get_booking(waiting.id, actor=SYSTEM)
        assert done.status is BookingStatus.CONFIRMED and done.meeting_link
        assert svc.missing_links(actor=SYSTEM) == []
    except Exception:
        shot(page, "failure")
        raise
    finally:
        context.close()
