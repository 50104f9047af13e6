"""The benchmark's code at toy sizes: it runs end to end and writes every figure. Timings are
not checked here (a test machine's speed proves nothing); `python -m bench` measures them."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date, datetime, time, timedelta

import pytest

from bench.__main__ import main as bench_main
from bench.config import CURRENT
from bench.counting import CountingStore
from bench.data import fill
from bench.report import render
from bench.slots import bench_free_slots
from lib.access import Role
from lib.domain import STANDARD_SESSION_TYPES
from lib.store.sqlite import SQLiteStore
from pages.ui.registry import PAGES as REGISTRY

TINY = ["--sizes", "50,120", "--page-runs", "2", "--links", "10", "--latency", "0.01", "--link-runs", "1",
        "--throughput-bookings", "12", "--throughput-runs", "1", "--throughput-fills", "200", "--server-sessions", "1",
        "--backlog", "6", "--fresh-starts", "1", "--no-supabase"]  # Supabase: test_bench_supabase.py


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
    mine = store.get_booking(filled.booking_id)  # what the Confirmation page is opened with
    assert (mine.expert_id, mine.status.value) == (filled.expert_id, "confirmed") and mine.scheduled_date > day


def test_a_page_that_raises_or_shows_an_error_is_a_failed_measurement():
    from types import SimpleNamespace

    from bench.pages import _raise_page_errors

    _raise_page_errors(SimpleNamespace(exception=[], error=[]), "Ops", "ops")  # a clean run passes
    with pytest.raises(RuntimeError, match="the Ops page as ops failed: boom"):
        _raise_page_errors(SimpleNamespace(exception=[SimpleNamespace(value="boom")], error=[]), "Ops", "ops")
    with pytest.raises(RuntimeError, match="the Emails page as expert showed an error: no access"):
        _raise_page_errors(SimpleNamespace(exception=[], error=[SimpleNamespace(value="no access")]), "Emails",
                           "expert")


def test_bench_command_prints_the_table_and_writes_every_figure(app_env, tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = bench_main([*TINY, "--out", str(out)])
    printed = capsys.readouterr().out
    result = json.loads(out.read_text(encoding="utf-8"))
    figures = result["figures"]

    assert result["command"].startswith("python -m bench --sizes 50,120")
    assert set(result) >= {"command", "measured_at", "machine", "config", "figures", "goals"}
    assert code == (1 if any(not g["ok"] for g in result["goals"]) else 0)
    # Every page of the registry as ops, and every page an expert may open as that expert, at every size.
    expected = {(p.title if p.key != "book" else "Book", role) for p in REGISTRY for role in ("ops", "expert")
                if (Role.OPS if role == "ops" else Role.EXPERT) in p.roles}
    assert {(title, role) for title, roles in figures["pages"].items() for role in roles} == expected
    assert len(expected) == 10
    for title, roles in figures["pages"].items():
        for role, page in roles.items():
            assert set(page) == {"50", "120"}, (title, role)
            for size in ("50", "120"):
                assert page[size]["min_ms"] > 0 and len(page[size]["runs_ms"]) == 2
                assert page[size]["min_ms"] <= page[size]["median_ms"]
                assert page[size]["store_calls"] and all(q > 0 for q in page[size]["store_calls"])
    year = figures["overview_year"]  # the Overview over its longest range, at every size
    assert year["days"] == 366 and set(year["sizes"]) == {"50", "120"}
    assert (date.fromisoformat(year["to"]) - date.fromisoformat(year["from"])).days == 365
    for size in year["sizes"].values():
        assert 0 < size["min_ms"] <= size["median_ms"] and len(size["runs_ms"]) == 2 and size["cpu_min_ms"] > 0
    [year_goal] = [g for g in result["goals"] if "last 366 days" in g["name"]]
    assert year_goal["name"] == "Overview over the last 366 days at 120 bookings / one SQL pass over its rows"
    floors = figures["floors"]  # every goal a ratio to a floor measured in the same run
    assert (year_goal["goal"], year_goal["value"]) == ("<= 3", floors["overview_year"]["vs_floor"])
    assert floors["overview_year"]["floor_min_ms"] > 0 and floors["slots"]["floor_median_ms"] > 0
    memory = figures["memory"]
    assert set(memory["sizes"]) == {"50", "120"} and memory["rounds"] >= 1
    assert all(m["peak_kib"] >= m["before_pages_kib"] > 0 for m in memory["sizes"].values())
    assert memory["growth_mib"] == round((memory["sizes"]["120"]["peak_kib"] - memory["sizes"]["50"]["peak_kib"])
                                         / 1024, 1)
    links = figures["links"]
    assert {"bookings", "concurrency", "shape", "ours", "runs", "seed", "vs_bound", "seed_vs_ours"} <= set(links)
    assert (links["bookings"], links["concurrency"], links["requests_at_once"], len(links["runs"])) == (10, 128, 48, 1)
    ours = links["ours"]
    assert {"time_s", "requests", "requests_per_link", "latency_s", "bound_s", "vs_bound", "requests_per_minute",
            "rate_limited", "quota_refused", "inserts", "reads", "lists", "critical_path_s", "rounds_and_budget_s",
            "most_per_minute"} <= set(ours)
    # The bound is the largest of its terms; every request is an insert, a get or a list here.
    assert ours["bound_s"] == max(ours["rounds_and_budget_s"], ours["critical_path_s"]) > 0
    assert ours["inserts"] + ours["reads"] + ours["lists"] == ours["requests"]
    assert ours["most_per_minute"] <= ours["requests_per_minute"]
    # Every link is one insert; its pending conference is read back in rounds shared by the waiting links,
    # so there are fewer reads than links; every request waited a drawn latency.
    assert 1 < ours["requests_per_link"] < 2 and ours["latency_s"] > 0 and ours["bound_s"] > 0
    assert links["shape"]["pending_reads"] == [1, 2] and links["shape"]["quota_per_minute"] == 600
    seed = links["seed"]
    assert seed["bookings"] == 10 and seed["linked"] == 10 and seed["manual"] == 0
    assert seed["requests"] >= 2 * 10 and seed["duplicates"] >= 0
    throughput = figures["throughput"]
    assert (throughput["bookings"], throughput["runs"], throughput["fills"]) == (12, 1, [200])
    assert set(throughput["stores"]) == {"0", "200"}  # an empty store and one already holding 200 bookings
    for store in throughput["stores"].values():
        assert store["per_s"] > 0 and store["cpu_ms_per_booking"] > 0 and len(store["runs_per_s"]) == 1
        # Counted from outside the store: every booking writes, in a few transactions.
        assert 1 <= store["transactions_per_booking"] <= store["writes_per_booking"]
    slots = figures["slots"]
    assert slots["bookings"] == 1000 and slots["days"] == 30 and slots["median_ms"] > 0 and slots["slots"] > 0
    assert set(slots["sizes"]) == {"50", "120"}  # and at each size, to show how the cost grows
    assert all(s["median_ms"] > 0 and s["slots"] > 0 for s in slots["sizes"].values())
    server = figures["server"]  # new sessions through a real server, each page's title seen (bench.server)
    for size in ("50", "120"):
        pages, new = server[size]["pages"], server[size]["new_sessions"]
        assert {"Ops as ops", "Book a session as ops", "Overview as ops", "Emails as ops", "My sessions as expert",
                "Availability as expert", "Confirmation as expert"} <= set(pages)
        assert new["sessions"] == 7 and pages["Ops as ops"]["sessions"] == 1
        assert 0 < new["first_paint_p95_ms"] <= new["first_screen_p95_ms"]
        assert set(server[size]["cold"]) == {"Book a session", "My sessions", "Availability", "Confirmation", "Ops",
                                             "Overview", "Emails"}
    empty = server["empty"]  # an empty Streamlit app served the same way: the floor of the server figures
    assert empty["new_sessions"]["sessions"] == 7 and 0 < empty["new_sessions"]["first_screen_p95_ms"]
    assert server["page_switches"]["switches"] == empty["page_switches"]["switches"] == 4  # one round of 4 pages
    assert 0 < server["page_switches"]["p50_ms"] <= server["page_switches"]["p95_ms"]
    backlog = figures["backlog"]  # two processes linked every booking, within the quota
    assert (backlog["bookings"], backlog["not_linked"], backlog["quota_refused"]) == (6, 0, 0)
    assert backlog["processes"]["console"]["confirmed"] + backlog["processes"]["worker"]["confirmed"] == 6
    assert 0 < backlog["most_per_minute"] <= backlog["quota_per_minute"] == 200
    fresh = figures["fresh_start"]
    assert fresh["runs"] == 1 and fresh["ms"] > 0 and fresh["empty_ms"] > 0
    assert [g["name"] for g in result["goals"][-3:]] == [
        "whole first screen of a new session at 120 bookings / an empty app's (p95)",
        "page switches at 120 bookings / an empty app's (p95)",
        "fresh start with the demo data to the first page's content / an empty app's"]
    page_goals = [g for g in result["goals"] if " page as " in g["name"] or "peak memory" in g["name"]]
    assert len(page_goals) == 2 * len(expected) + 1  # time and store calls per page and role; memory
    # the Overview's year, links x2, the backlog x4, throughput and its growth, transactions, slots, first
    # screen, page switches, fresh start
    assert len(result["goals"]) == len(page_goals) + 14
    assert all(set(g) == {"name", "value", "goal", "ok", "unit"} for g in result["goals"])
    # The printed tables are the docs': one row per goal.
    assert render(result) in printed


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


def test_a_missed_goal_makes_the_command_exit_non_zero(app_env, tmp_path, monkeypatch, capsys):
    from bench import __main__ as command
    from bench.goals import SLOTS

    def one_goal_missed(config, log=print):
        result = {"goals": [SLOTS.check(SLOTS.target * 2), SLOTS.check(SLOTS.target / 2)],
                  "machine": {"python": "3", "sqlite": "3", "platform": "test", "cpus": 2},
                  "command": "python -m bench", "measured_at": "2026-01-01T00:00:00+00:00",
                  "config": {"sizes": [50, 120]}, "figures": {"pages": {}}}
        config.out.write_text(json.dumps(result), encoding="utf-8")
        return result

    monkeypatch.setattr(command, "run", one_goal_missed)
    assert command.main(["--out", str(tmp_path / "bench.json")]) == 1
    err = capsys.readouterr().err
    assert "1 goal(s) missed" in err and SLOTS.name in err
    monkeypatch.setattr(command, "run", lambda config, log=print: {**one_goal_missed(config), "goals": [
        SLOTS.check(SLOTS.target / 2)]})
    assert command.main(["--out", str(tmp_path / "bench.json")]) == 0


def test_a_goal_is_ok_only_when_its_value_meets_it():
    from bench.goals import Goal

    at_most = Goal("pages", "<=", 1.2, "x")
    assert at_most.check(1.2) == {"name": "pages", "value": 1.2, "goal": "<= 1.2", "ok": True, "unit": "x"}
    assert at_most.check(1.21)["ok"] is False
    assert at_most.check(None)["ok"] is False  # a figure that could not be measured is a miss
    assert Goal("speed", ">=", 10, "x").check(9.9)["ok"] is False
    with pytest.raises(ValueError, match="unknown comparison"):
        Goal("x", "~", 1, "x")


def test_the_docs_show_the_tables_of_the_committed_json():
    from bench.report import DEFAULT_JSON, DOCS, ROOT, render, splice

    result = json.loads(DEFAULT_JSON.read_text(encoding="utf-8"))
    for name, kind in DOCS.items():
        text = (ROOT / name).read_text(encoding="utf-8")
        assert splice(text, render(result, kind), name) == text, f"{name}: run `python -m bench.report`"
    # Every goal line has the JSON's shape.
    assert result["goals"] and all(set(g) == {"name", "value", "goal", "ok", "unit"} for g in result["goals"])


def test_the_throughput_figure_counts_transactions_and_statements_from_outside_the_store(tmp_path):
    from bench.throughput import StatementCount, counting, measure_throughput

    count = StatementCount()
    with counting(count):
        store = SQLiteStore(tmp_path / "traced.db")
        count.kinds.clear()
        store.add_expert("Sari", "sari@example.com", 250_000, "Career")
        store.list_experts()
    # One transaction: the expert and their standard session types, one insert each.
    assert (count.transactions, count.writes, count.reads) == (1, 1 + len(STANDARD_SESSION_TYPES), 1)
    assert not hasattr(store, "queries")  # the store keeps no counter of its own

    result = measure_throughput(5, (), 1, tmp_path, date.today() + timedelta(days=1))
    empty = result["stores"]["0"]
    # book; then pay and confirm (the demo and Jitsi both work within the process) with the history
    # and both emails: each one transaction.
    assert empty["transactions_per_booking"] == 2
    assert empty["writes_per_booking"] >= 8  # customer, booking, 4 history lines, 2 emails at least


def test_the_throughput_floor_replays_the_flows_own_writes_and_commits_with_plain_sqlite(tmp_path):
    from bench.throughput import StatementCount, counting, replay_floor

    before, traced = tmp_path / "before.db", tmp_path / "traced.db"
    SQLiteStore(tmp_path / "schema.db")
    with closing(sqlite3.connect(tmp_path / "schema.db")) as schema, closing(sqlite3.connect(before)) as copy:
        schema.backup(copy)  # the file as the flow finds it, whole (its WAL included)
    count = StatementCount()
    with counting(count):
        store = SQLiteStore(traced)
        count.clear()
        store.add_expert("Sari", "sari@example.com", 250_000, "Career")
        store.list_experts()
    assert count.writes_run[0] == "BEGIN IMMEDIATE" and count.writes_run[-1] == "COMMIT"
    assert not any(sql.lstrip().upper().startswith("SELECT") for sql in count.writes_run)
    assert replay_floor(before, tmp_path / "floor.db", count.writes_run, "FULL") > 0
    with closing(sqlite3.connect(tmp_path / "floor.db")) as floor, closing(sqlite3.connect(traced)) as ours:
        query = "SELECT name, email, hourly_rate FROM experts"
        assert floor.execute(query).fetchall() == ours.execute(query).fetchall() == [("Sari", "sari@example.com",
                                                                                      250_000)]
        assert floor.execute("SELECT COUNT(*) FROM session_types").fetchone()[0] == len(STANDARD_SESSION_TYPES)


class _FakeCalendar:
    """The Calendar client of the seed's edge function: each insert takes the next queued
    outcome (an exception, or the event it answers); gets answer the event with its link."""

    def __init__(self, outcomes):
        self.outcomes, self.calls = list(outcomes), []

    def events(self):
        return self

    def insert(self, **kwargs):
        self.calls.append("insert")
        outcome = self.outcomes.pop(0)
        return _Answer(outcome)

    def get(self, calendarId, eventId):  # noqa: N803 - the client's keyword names
        self.calls.append("get")
        return _Answer({"id": eventId, "hangoutLink": f"https://meet.google.com/{eventId}",
                        "conferenceData": {"createRequest": {"status": {"statusCode": "success"}}}})


class _Answer:
    def __init__(self, outcome):
        self.outcome = outcome

    def execute(self, num_retries=0):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def _seed_db(path):
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript("""
            CREATE TABLE experts (id TEXT, name TEXT, email TEXT);
            CREATE TABLE users (id TEXT, name TEXT, email TEXT);
            CREATE TABLE bookings (id TEXT, user_id TEXT, expert_id TEXT, session_type TEXT, scheduled_date TEXT,
                                   scheduled_time TEXT, duration INTEGER, status TEXT, meeting_link TEXT,
                                   google_event_id TEXT, created_at TEXT);
            INSERT INTO experts VALUES ('e1', 'Sari', 'sari@example.com');
            INSERT INTO users VALUES ('u1', 'Budi', 'budi@example.com');
            INSERT INTO bookings VALUES ('b1', 'u1', 'e1', 'Career mentoring', '2026-12-01', '09:00:00', 60, 'paid',
                                         NULL, NULL, '2026-11-30T00:00:00');
        """)
    return path


def _booking(path):
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT status, meeting_link, google_event_id FROM bookings WHERE id = 'b1'").fetchone()


def test_the_seed_loop_waits_1_s_then_2_s_and_leaves_the_booking_after_3_attempts(tmp_path):
    from bench.seed_loop import run_seed_loop

    db = _seed_db(tmp_path / "seed.db")
    slept = []
    calendar = _FakeCalendar([RuntimeError("429 Rate Limit Exceeded")] * 3)
    run = run_seed_loop(db, calendar, sleep=slept.append)
    assert slept == [1.0, 2.0]  # setTimeout(1000 * attempt) between attempts, none after the last
    assert (run.attempts, run.linked, run.manual) == (3, 0, 1)  # requiresManualIntervention
    assert calendar.calls == ["insert"] * 3
    assert _booking(db) == ("paid", None, None)  # left for manual work, as the seed leaves it


def test_the_seed_loop_links_on_the_attempt_that_succeeds_reading_a_pending_conference_again(tmp_path):
    from bench.seed_loop import run_seed_loop

    db = _seed_db(tmp_path / "seed.db")
    slept = []
    pending = {"id": "ev1", "conferenceData": {"createRequest": {"status": {"statusCode": "pending"}}}}
    calendar = _FakeCalendar([RuntimeError("503"), pending])
    run = run_seed_loop(db, calendar, sleep=slept.append)
    assert slept == [1.0] and (run.attempts, run.linked, run.manual) == (2, 1, 0)
    assert calendar.calls == ["insert", "insert", "get"]  # re-read at once while pending
    assert _booking(db) == ("confirmed", "https://meet.google.com/ev1", "ev1")
