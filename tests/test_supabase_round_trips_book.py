"""The Book and Confirmation pages render on Supabase in at most three requests each (the gate's
read of who is acting, one read of what the page shows, one to spare): AppTest runs through the
real supabase-py client against the PostgREST stand-in over PostgreSQL, requests counted at the
stand-in (``bench.supabase_pages``). Not timed."""

from __future__ import annotations

from datetime import datetime

import pytest

from bench.data import fill
from lib.config import Settings
from tests.support.postgres import require_postgres

PAGES = {("Book", "ops"), ("Confirmation", "ops"), ("Confirmation", "expert")}


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    require_postgres()
    import bench.supabase_pages as supabase_pages

    today = datetime.now(Settings().tz).date()
    filled = [fill(tmp_path_factory.mktemp("rounds") / "pages-60.db", 60, today)]
    chosen = [pair for pair in supabase_pages.page_roles() if pair in PAGES]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(supabase_pages, "page_roles", lambda: chosen)
        return supabase_pages.measure_supabase_pages(filled, runs=2, latency=0.0)["pages"]


@pytest.mark.parametrize(("title", "role"), sorted(PAGES))
def test_the_page_renders_in_at_most_three_requests(figures, title, role):
    trips = figures[title][role]["60"]["round_trips"]
    assert trips and max(trips) <= 3, trips
