"""The benchmark's Supabase figures at toy sizes: every page renders through the real supabase-py
client against the PostgREST stand-in over PostgreSQL, its requests counted; a booking goes
through the whole flow. Timings are not checked (``python -m bench`` measures them)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bench.data import fill
from bench.report import render
from bench.supabase_figures import check_supabase, supabase_table, worst_supabase
from lib.config import Settings
from tests.support.postgres import require_postgres


@pytest.fixture(scope="module")
def supabase_figures(tmp_path_factory):
    require_postgres()
    from bench.supabase_booking import measure_supabase_booking
    from bench.supabase_pages import measure_supabase_pages

    folder = tmp_path_factory.mktemp("supabase")
    today = datetime.now(Settings().tz).date()
    filled = [fill(folder / f"pages-{n}.db", n, today) for n in (50, 120)]
    return {"supabase_pages": measure_supabase_pages(filled, runs=2, latency=0.0),
            "supabase_booking": measure_supabase_booking(bookings=8, latency=0.0, threads=4)}


def test_every_page_renders_on_supabase_with_its_round_trips_counted(supabase_figures):
    pages = supabase_figures["supabase_pages"]
    assert pages["sizes"] == [50, 120]
    assert {(t, r) for t, roles in pages["pages"].items() for r in roles} == {
        ("Book", "ops"), ("My sessions", "ops"), ("My sessions", "expert"), ("Availability", "ops"),
        ("Availability", "expert"), ("Confirmation", "ops"), ("Confirmation", "expert"), ("Ops", "ops"),
        ("Overview", "ops"), ("Emails", "ops")}
    for roles in pages["pages"].values():
        for page in roles.values():
            for size in ("50", "120"):
                assert page[size]["round_trips"] and all(n > 0 for n in page[size]["round_trips"])
                assert 0 < page[size]["min_ms"] <= page[size]["median_ms"] and len(page[size]["runs_ms"]) == 2
            # The same rows on screen at both sizes: the same requests (no request per stored booking).
            assert page["50"]["round_trips"] == page["120"]["round_trips"]


def test_a_booking_on_supabase_goes_through_the_whole_flow_in_counted_round_trips(supabase_figures):
    booking = supabase_figures["supabase_booking"]
    assert booking["round_trips"] >= 2  # at least booking and paying-and-confirming, each one request
    assert booking["round_trips_at_once"] == booking["round_trips"]  # 4 at once ask no more than one alone
    assert booking["per_s"] > 0 and (booking["bookings"], booking["threads"]) == (8, 4)


def test_the_supabase_goals_and_table_come_from_the_figures(supabase_figures):
    lines = check_supabase(supabase_figures)
    assert len(lines) == 2 * 10 + 1  # round trips and time ratio per page and role; the booking's round trips
    trips = [g for g in lines if g["name"].endswith("round trips per render")]
    assert [g["ok"] for g in trips] == [g["value"] <= 3 for g in trips]
    assert lines[-1]["name"] == "Supabase, one booking through the whole flow: round trips"
    result = {"figures": {**supabase_figures, "pages": {}}, "goals": lines}
    table = supabase_table(result)
    assert table is not None and table.count("\n| ") == 2 + 10 + 1  # header and rule, every page, the booking
    assert len(worst_supabase(lines)) == 1
    assert supabase_table({"figures": {}, "goals": []}) is None  # a run without them renders as before
    assert render({"goals": [], "figures": {}, "config": {"sizes": [50, 120]}, "command": "python -m bench",
                   "machine": {"platform": "p", "cpus": 2, "python": "3", "sqlite": "3"},
                   "measured_at": "now"}, "short").startswith("| goal (a miss in bold) |")
