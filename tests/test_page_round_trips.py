"""Round trips per page render on Supabase: My sessions and Availability (as ops and as an expert)
and Ops, rendered through the real supabase-py client against the PostgREST stand-in over
PostgreSQL, each request counted at the stand-in (``bench.supabase_wire``). At most 3 a render:
the gate's read of who is acting, one read of what the page shows, one to spare. Counts, never
times."""

from __future__ import annotations

from datetime import datetime

import pytest

import bench.supabase_pages as supabase_pages
from bench.data import fill
from lib.config import Settings
from tests.support.postgres import require_postgres

PAGES = {"My sessions", "Availability", "Ops"}


@pytest.fixture(scope="module")
def round_trips(tmp_path_factory) -> dict[tuple[str, str], list[int]]:
    require_postgres()
    every = supabase_pages.page_roles
    patch = pytest.MonkeyPatch()
    patch.setattr(supabase_pages, "page_roles", lambda: [(t, r) for t, r in every() if t in PAGES])
    try:
        today = datetime.now(Settings().tz).date()
        filled = [fill(tmp_path_factory.mktemp("trips") / "pages-60.db", 60, today)]
        pages = supabase_pages.measure_supabase_pages(filled, runs=2, latency=0.0)["pages"]
    finally:
        patch.undo()
    return {(title, role): sizes["60"]["round_trips"]
            for title, roles in pages.items() for role, sizes in roles.items()}


def test_each_page_renders_in_at_most_three_round_trips(round_trips):
    assert set(round_trips) == {(t, r) for t in PAGES for r in ("ops", "expert") if (t, r) != ("Ops", "expert")}
    for (title, role), trips in round_trips.items():
        assert trips and max(trips) <= 3, f"{title} as {role}: {trips} round trips"


def test_my_sessions_reads_the_gate_and_one_function(round_trips):
    assert round_trips[("My sessions", "ops")] == round_trips[("My sessions", "expert")] == [2]
