"""Deep links on a freshly started server, in Chromium: the very first request of the process.

Streamlit decides how to route when a server's first script run starts. Each test here starts its
own `streamlit run app.py` (demo mode, where a visitor acts as ops) and opens one address first:

* `/ops` shows the Ops page in the wide layout, with the role's menu: page titles, never the
  file names of a folder (`app`, `common`, `book`, ...), and no "Page not found" notice, though
  the very first run of a server passes through Streamlit's pages-folder mode (the first-run
  entries in pages/ answer it, see pages/__init__.py). The next visitor's deep link is as clean;
  `/book` and `/` then reach the first page of the menu at its own address;
* `/my-sessions` (an address that is not a Python name) is as clean on a fresh server;
* an unknown address (`/common`) shows Streamlit's "Page not found" over the first page of the
  menu: never a blank page, never file names.

Chromium is Debian's /usr/bin/chromium (as in tests/test_browser.py): without it the tests skip,
except under CI, where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lib.config import Settings
from lib.wiring import build_service
from tests.support.browser import TIMEOUT_MS, serve_console, shot
from tests.support.env import clean_environ, free_port
from tests.support.hours import default_hours

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

ROOT = Path(__file__).resolve().parents[1]
OPS_MENU = ["Book a session", "My sessions", "Availability", "Confirmation", "Ops", "Overview", "Emails"]
EXPERT_MENU = ["My sessions", "Availability", "Confirmation"]
# How Streamlit names a folder's files in its menu (lower case, "_" as a space); the titles are capitalised.
FILE_NAMES = {"app", "common", "book", "confirmation", "my sessions", "ops", "overview", "emails", "views", "ui",
              "registry"}


@pytest.fixture
def fresh_console(tmp_path: Path) -> Iterator[str]:
    """A `streamlit run app.py` that has served nothing yet; its URL."""
    db = tmp_path / "console.db"
    # Demo rows, made before the server starts.
    build_service(Settings(sqlite_path=str(db), seed_demo_data=True, default_availability=default_hours()))
    env = clean_environ(tmp_path, CALLEXPERT_SQLITE_PATH=str(db), CALLEXPERT_SEED_DEMO_DATA="true")
    with serve_console(tmp_path, env, port=free_port()) as url:  # yielded once healthy; no script has run
        yield url


def _first_visit(chromium: object, url: str, heading: str, name: str) -> tuple[object, object]:
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(url)
    page.get_by_role("heading", name=heading, exact=True).wait_for()
    page.get_by_test_id("stSidebarNav").wait_for()
    page.get_by_label("View as").first.wait_for()  # the gate has drawn the sidebar too
    shot(page, name)
    return context, page


def _menu(page: object) -> list[str]:
    """The menu's entries as read; each link's text is its icon's name, then the page title."""
    links = page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()  # type: ignore[attr-defined]
    return [text.strip().split("\n")[-1] for text in links]


def test_a_deep_link_as_the_first_request_shows_the_page_its_menu_and_the_wide_layout(chromium, fresh_console):
    context, page = _first_visit(chromium, f"{fresh_console}/ops", "Ops", "deep-link-ops")
    try:
        assert page.get_by_text("Page not found").count() == 0
        assert _menu(page) == OPS_MENU
        sidebar = {line.strip() for line in page.get_by_test_id("stSidebar").inner_text().split("\n")}
        assert not FILE_NAMES & sidebar, sidebar
        page.get_by_role("heading", name="Paid, awaiting a link").wait_for()  # the Ops page itself
        page.get_by_test_id("stMetric").nth(3).wait_for()  # drawn after the heading; wait, don't race it
        assert page.get_by_test_id("stMetric").count() == 4
        # Wide: the main column uses the window's width beside the sidebar (centred stops at 736 px).
        width = page.get_by_test_id("stMainBlockContainer").bounding_box()["width"]
        assert width > 850, width
        # The first choice in "View as" takes, though the gate was drawn by the first-run entry.
        page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").click()
        page.get_by_role("option", name="Expert: Budi Santoso").click()
        page.get_by_test_id("stSidebarNav").get_by_role("link").nth(3).wait_for(state="detached")  # 7 entries, then 3
        assert _menu(page) == EXPERT_MENU
    finally:
        context.close()
    # The next visitor (a new browser session) opening the deep link meets no notice at all.
    context, page = _first_visit(chromium, f"{fresh_console}/ops", "Ops", "deep-link-ops-again")
    try:
        page.get_by_role("heading", name="Paid, awaiting a link").wait_for()
        assert page.get_by_text("Page not found").count() == 0
        assert _menu(page) == OPS_MENU
        # The first page of the menu has its own address too (Streamlit serves its default page
        # only at "/").
        page.goto(f"{fresh_console}/book")
        page.get_by_role("heading", name="Book a session", exact=True).wait_for()
        assert page.get_by_text("Page not found").count() == 0
        page.goto(fresh_console)
        page.get_by_role("heading", name="Book a session", exact=True).wait_for()
        page.wait_for_url(f"{fresh_console}/book")
    finally:
        context.close()


def test_a_second_page_as_the_first_request_shows_it_without_a_notice(chromium, fresh_console):
    context, page = _first_visit(chromium, f"{fresh_console}/my-sessions", "My sessions", "deep-link-my-sessions")
    try:
        page.get_by_label("Expert").first.wait_for()  # the page itself: ops pick whose week to see
        assert page.get_by_text("Page not found").count() == 0
        assert _menu(page) == OPS_MENU
        assert page.url.split("?")[0] == f"{fresh_console}/my-sessions"  # its own address, not "/"
    finally:
        context.close()


def test_an_unknown_address_as_the_first_request_shows_the_first_page_not_a_blank_one(chromium, fresh_console):
    context, page = _first_visit(chromium, f"{fresh_console}/common", "Book a session", "deep-link-unknown")
    try:
        page.get_by_text("Page not found").wait_for()  # Streamlit says so, over the first page of the menu
        assert _menu(page) == OPS_MENU
        sidebar = {line.strip() for line in page.get_by_test_id("stSidebar").inner_text().split("\n")}
        assert not FILE_NAMES & sidebar, sidebar
    finally:
        context.close()
