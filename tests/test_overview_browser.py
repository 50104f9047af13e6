"""The Overview's "Download CSV" in Chromium: the file is written when the button is clicked (the
page hands Streamlit a function, not the bytes), so only a real click shows that the browser gets it.

The server is `streamlit run app.py` on demo data (``console``, tests/support/browser.py); Chromium
is Debian's /usr/bin/chromium: without it the test skips, except under CI, where it fails.
"""

from __future__ import annotations

import csv
import io

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.wiring import build_service
from tests.support.browser import TIMEOUT_MS, open_page, shot

pytestmark = pytest.mark.usefixtures("always_open")


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}],
                         ids=["laptop", "phone"])
def test_a_click_on_download_csv_saves_the_days_bookings_as_the_page_counts_them(chromium, console, viewport):
    url, db = console
    svc = build_service(Settings(sqlite_path=str(db), seed_demo_data=False))
    today = svc.today()
    made = svc.overview(today, today, actor=SYSTEM).stats.funnel.made
    context = chromium.new_context(viewport=viewport, accept_downloads=True)  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        open_page(page, f"{url}/overview?from={today}&to={today}", "Overview")
        page.get_by_role("heading", name="Bookings per day").wait_for()
        with page.expect_download() as caught:
            page.get_by_role("button", name="Download CSV").first.click()
        download = caught.value
        assert download.suggested_filename == f"overview-bookings-per-day-{today}-{today}.csv"
        rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
        assert rows and {row["day"] for row in rows} == {today.isoformat()}
        assert sum(int(row["bookings"]) for row in rows) == made
        shot(page, f"overview-{viewport['width']}")
    finally:
        context.close()
