"""The benchmark's code at toy sizes: it runs end to end and writes every figure. Timings are
not checked here (a test machine's speed proves nothing); `python -m bench` measures them."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date, datetime, time

import pytest

from bench.__main__ import main as bench_main
from bench.counting import CountingStore
from bench.figures import CURRENT, fill, table
from bench.slots import bench_free_slots
from lib.store.sqlite import SQLiteStore

TINY = ["--sizes", "50,120", "--page-runs", "2", "--links", "10", "--latency", "0.01", "--link-runs", "1",
        "--service-bookings", "10", "--service-runs", "1"]


def test_fill_writes_the_bookings_with_history_and_emails_in_the_store_schema(tmp_path):
    db, day = tmp_path / "fill.db", date(2026, 11, 25)
    filled = fill(db, 300, day)
    with closing(sqlite3.connect(db)) as conn:
        count = dict(conn.execute("SELECT status, COUNT(*) FROM bookings GROUP BY status").fetchall())
        assert sum(count.values()) == 300 and count["paid"] >= 1 and count["pending"] >= 1
        assert conn.execute("SELECT COUNT(*) FROM booking_history").fetchone()[0] >= 300
        sent = conn.execute("SELECT COUNT(*) FROM email_outbox WHERE status = 'sent'").fetchone()[0]
        linked = conn.execute("SELECT COUNT(*) FROM bookings WHERE status IN ('confirmed', 'completed')").fetchone()[0]
        assert sent == 2 * linked
        past = conn.execute("SELECT COUNT(*) FROM bookings WHERE scheduled_date < ?", [day.isoformat()]).fetchone()[0]
        assert past == 300 - min(CURRENT, 150)  # the rest is history
    store = SQLiteStore(db)  # the console reads the file as its own
    assert store.upcoming_for_expert(filled.expert_id, datetime.combine(day, time(12)))
    assert len(store.missing_links()) == count["paid"]


@pytest.mark.default_hours  # the benchmark sets its experts' hours itself, as a real run must
def test_bench_command_prints_the_table_and_writes_every_figure(app_env, tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert bench_main([*TINY, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text(encoding="utf-8"))

    assert result["command"].startswith("python -m bench --sizes 50,120")
    assert set(result) >= {"command", "measured_at", "environment", "config", "pages", "links", "service", "goals"}
    for title in ("My sessions", "Ops", "Book", "Overview"):
        page = result["pages"][title]
        for size in ("50", "120"):
            assert page[size]["median_ms"] > 0 and len(page[size]["runs_ms"]) == 2
            assert page[size]["store_calls"] and all(q > 0 for q in page[size]["store_calls"])
        assert page["ratio"] > 0 and page["store_calls_constant"] is True  # no N+1 on either page
    links = result["links"]
    assert {"bookings", "latency_s", "concurrency", "bounded_s", "sequential_s", "speedup", "bound_s", "vs_bound",
            "requests_per_link", "runs"} <= set(links)
    assert links["bookings"] == 10 and links["concurrency"] == 8 and links["requests_per_link"] == 1
    service = result["service"]
    assert {"bookings", "median_ms", "p95_ms", "provider_ms_excluded", "runs_median_ms"} <= set(service)
    assert service["median_ms"] > 0
    slots = result["slots"]
    assert slots["bookings"] == 1000 and slots["days"] == 30 and slots["median_ms"] > 0 and slots["slots"] > 0
    assert len(result["goals"]) == 12 and all({"figure", "value", "goal", "met"} <= set(g) for g in result["goals"])
    # The printed table is the README's: one row per figure.
    assert table(result) in printed
    assert printed.count("\n| ") >= 13


def test_the_slot_figure_runs_on_the_slot_function():
    result = bench_free_slots(bookings=50, runs=1)
    assert result["slots"] > 0 and result["median_ms"] >= 0


def test_bench_refuses_bad_options_with_a_message(app_env, capsys):
    assert bench_main(["--page-runs", "0"]) == 2
    assert "--page-runs must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        bench_main(["--sizes", "1000"])
    assert exit_.value.code == 2
    assert "at least two sizes" in capsys.readouterr().err


def test_the_counting_store_counts_each_call_and_forwards_everything(tmp_path):
    store = SQLiteStore(tmp_path / "count.db")
    counting = CountingStore(store)
    expert = counting.add_expert("Sari", "sari@example.com", 250_000, "Career")
    assert counting.path == store.path  # plain attributes pass through uncounted
    assert [e.id for e in counting.list_experts()] == [expert.id]
    assert counting.get_expert(expert.id).name == "Sari"
    assert counting.calls == 3
    assert not hasattr(store, "queries")  # the stores keep no counter of their own
