"""Demo mode's "View as" in Chromium: the choice lives in the address (``?as=``), so it survives
what a browser does to a page.

* Viewing as an expert, a reload (F5) stays that expert: their menu, their own pages, the
  switcher showing them; so does a change of page through the menu (Streamlit drops the address's
  parameters then; the console writes ``as`` again).
* The address, shared, opens as that expert in another browser.
* On a phone (390x844, touch), the sidebar that covers the page closes after the pick; on a wide
  screen it stays open.

The server is `streamlit run app.py` on demo data (as in tests/test_browser.py); Chromium is
Debian's /usr/bin/chromium: without it the tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import Expert
from lib.view_as import value_for
from lib.wiring import build_service
from tests.support.browser import TIMEOUT_MS, serve_console, shot
from tests.support.env import clean_environ, free_port
from tests.support.hours import ALWAYS_OPEN_ENV, ALWAYS_OPEN_SETTING

EXPERT_MENU = ["My sessions", "Availability", "Confirmation"]


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Expert, str]]:
    """The console on demo data; (its URL, the expert viewed as, their ``as`` value)."""
    folder = tmp_path_factory.mktemp("view-as")
    db = folder / "console.db"
    experts = build_service(Settings(sqlite_path=str(db), seed_demo_data=True,
                                     default_availability=ALWAYS_OPEN_SETTING)).experts(actor=SYSTEM)
    expert = experts[-1]
    env = clean_environ(folder, CALLEXPERT_SQLITE_PATH=str(db), CALLEXPERT_SEED_DEMO_DATA="true", **ALWAYS_OPEN_ENV)
    with serve_console(folder, env, port=free_port()) as url:
        yield url, expert, value_for(expert, experts)


def _context(chromium: object, **options: object) -> object:
    context = chromium.new_context(**options)  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _menu(page: object) -> list[str]:
    links = page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()  # type: ignore[attr-defined]
    return [text.strip().split("\n")[-1] for text in links]


def _viewing_as(page: object, expert: Expert) -> None:
    """Wait until the page is drawn for ``expert``: the switcher shows them, the menu is theirs."""
    from playwright.sync_api import expect

    switcher = page.get_by_role("combobox", name="View as")  # type: ignore[attr-defined]
    expect(switcher).to_have_count(1)  # the run's own, once an earlier run's stale copy is gone
    expect(switcher).to_have_value(f"Expert: {expert.name}")
    page.get_by_test_id("stSidebarNav").get_by_role("link").nth(3).wait_for(state="detached")  # type: ignore[attr-defined]
    assert _menu(page) == EXPERT_MENU


def test_viewing_as_an_expert_survives_a_reload_a_change_of_page_and_a_shared_link(chromium, console):
    url, expert, value = console
    in_address = re.compile(rf".*[?&]as={re.escape(value)}(&|$)")
    context = _context(chromium, viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()  # type: ignore[attr-defined]
        page.goto(f"{url}/my-sessions")
        page.get_by_role("heading", name="My sessions", exact=True).wait_for()
        page.get_by_label("Expert", exact=True).wait_for()  # ops pick whose week to see
        page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").click()
        page.get_by_role("option", name=f"Expert: {expert.name}", exact=True).click()
        page.wait_for_url(in_address)
        _viewing_as(page, expert)
        assert page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "false"  # wide: stays open

        page.reload()  # F5
        page.get_by_role("heading", name="My sessions", exact=True).wait_for()
        _viewing_as(page, expert)
        page.get_by_text(f"{expert.name} — {expert.expertise}", exact=True).wait_for()  # their own week
        assert page.get_by_label("Expert", exact=True).count() == 0  # no picker: an expert sees their own
        assert in_address.match(page.url), page.url
        shot(page, "view-as-reloaded")

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Availability").click()
        page.get_by_role("heading", name="Availability", exact=True).wait_for()
        page.wait_for_url(in_address)  # written again after Streamlit dropped it with the change of page
        _viewing_as(page, expert)
        page.reload()
        page.get_by_role("heading", name="Availability", exact=True).wait_for()
        _viewing_as(page, expert)
        shared = page.url
    finally:
        context.close()  # type: ignore[attr-defined]

    # The address, shared: another browser opens it as the same expert.
    context = _context(chromium, viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()  # type: ignore[attr-defined]
        page.goto(shared)
        page.get_by_role("heading", name="Availability", exact=True).wait_for()
        _viewing_as(page, expert)
        page.get_by_text(f"{expert.name} — {expert.expertise}", exact=True).wait_for()
        shot(page, "view-as-shared-link")
    finally:
        context.close()  # type: ignore[attr-defined]


def test_on_a_phone_the_sidebar_closes_after_view_as(chromium, console):
    url, expert, value = console
    context = _context(chromium, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()  # type: ignore[attr-defined]
        page.goto(f"{url}/my-sessions")
        page.get_by_role("heading", name="My sessions", exact=True).wait_for()
        sidebar = page.get_by_test_id("stSidebar")
        page.get_by_test_id("stExpandSidebarButton").tap()
        page.locator('[data-testid="stSidebar"][data-collapsed="false"]').wait_for()
        sidebar.get_by_test_id("stSelectbox").tap()
        page.get_by_role("option", name=f"Expert: {expert.name}", exact=True).tap()
        page.wait_for_url(re.compile(rf".*[?&]as={re.escape(value)}(&|$)"))
        page.locator('[data-testid="stSidebar"][data-collapsed="true"]').wait_for()  # closed: the page is seen
        page.get_by_text(f"{expert.name} — {expert.expertise}", exact=True).wait_for()
        shot(page, "view-as-phone")
    finally:
        context.close()  # type: ignore[attr-defined]
