"""Concurrency through the real adapters: one slot wanted by 20 people at once, and two ops
people pressing "Create all missing links" at the same moment against the Calendar API server.

tests/test_service.py covers the same rules with an in-memory provider; here the bookings go
through the SQLite file (one service shared by threads, and one service per thread as separate
app processes would have), through the PostgreSQL exclusion constraint of the migrations, and
the links through the real Google client.
"""

from __future__ import annotations

import threading
import time as time_module
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import time, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import BookingRequest, BookingStatus, NewCustomer
from lib.errors import SlotTaken
from lib.wiring import build_service
from tests.support.bookings import paid_bookings
from tests.support.google import calendar_server, events_by_booking, google_settings, stem_of
from tests.support.hours import default_hours
from tests.support.sqlite_file import leased_bookings, row_counts

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

THREADS = 20
T = TypeVar("T")


def all_at_once(count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run ``work(i)`` in ``count`` threads released together; each result or exception, by i."""
    barrier = threading.Barrier(count)
    results: list[T | BaseException] = [RuntimeError("did not run")] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - the test sorts every outcome
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), name=f"racer-{i}") for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


# -- one slot, twenty people: SQLite ------------------------------------------------------------

@pytest.mark.parametrize("services", ["one shared service", "one service per thread"])
def test_twenty_threads_booking_one_slot_in_sqlite_make_one_booking(tmp_path, services):
    db = tmp_path / "race.db"
    settings = Settings(sqlite_path=str(db), seed_demo_data=False, default_availability=default_hours())
    shared = build_service(settings)
    expert = shared.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    day = shared.today() + timedelta(days=7)
    # Separate services each open their own connections to the file, like separate app processes.
    pool = [shared] * THREADS if services == "one shared service" else [build_service(settings) for _ in range(THREADS)]
    before = row_counts(db)

    def book(i: int):
        # Different customers and session lengths, all covering 10:00-10:30 of the same expert.
        return pool[i].book(BookingRequest(
            expert_id=expert.id, session_type="Career mentoring", scheduled_date=day, scheduled_time=time(10, 0),
            duration=(30, 45, 60, 90, 120)[i % 5], new_customer=NewCustomer(f"Pelanggan {i}", f"p{i}@example.com"),
        ), actor=SYSTEM)

    results = all_at_once(THREADS, book)
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1, results
    assert all(isinstance(r, SlotTaken) and str(r) for r in lost), [repr(r) for r in lost]
    # A loser that checked after the winner's write hears it from the free-slot check, the others
    # from the store's own overlap check inside the write: both say the time is taken.
    assert all("pick another time" in str(r) or "overlaps another session" in str(r) for r in lost), lost
    after = row_counts(db)
    # Only the winner wrote: one booking, its history line, its customer; the losers nothing.
    assert {t: after[t] - before[t] for t in after} == \
        {"users": 1, "experts": 0, "bookings": 1, "booking_history": 1, "email_outbox": 0}
    [booking] = shared.recent_bookings(actor=SYSTEM)
    assert booking.id == won[0].id and booking.status is BookingStatus.PENDING


# -- one slot, twenty people: PostgreSQL through the migrations' constraint ------------------------

def test_twenty_connections_booking_one_slot_in_postgres_make_one_booking():
    """The SQL function the Supabase store calls, from 20 connections at once: the exclusion
    constraint lets one through and refuses the others with 23P01, which the store reports as
    "slot taken" (see test_wire_create_booking_is_one_rpc_and_23P01_means_the_slot_is_taken).

    The function takes a per-expert advisory lock first: without it, concurrent inserts into the
    exclusion constraint can deadlock (40P01) and the losers would hear "busy" instead.
    """
    from tests.support.postgres import apply_migrations, fresh_database, psycopg

    with fresh_database("race") as dsn:
        apply_migrations(dsn)
        with psycopg.connect(dsn, autocommit=True) as setup:
            expert = setup.execute("insert into experts (name, email, hourly_rate) values"
                                   " ('Sari', 'sari@example.com', 250000) returning id").fetchone()[0]
        connections = [psycopg.connect(dsn, autocommit=True) for _ in range(THREADS)]
        try:
            def book(i: int):
                return connections[i].execute(
                    "select id from public.booking_create(%s, %s, 'Career mentoring', '2030-03-11', %s, %s, 250000,"
                    " null, %s, %s, null, 'ops', 'created', 'pending, Rp 250.000')",
                    [uuid.uuid4(), expert, ("10:00", "09:30", "10:15")[i % 3], (60, 90, 30)[i % 3],
                     f"Pelanggan {i}", f"p{i}@example.com"],
                ).fetchone()[0]

            results = all_at_once(THREADS, book)
        finally:
            for conn in connections:
                conn.close()
        won = [r for r in results if not isinstance(r, BaseException)]
        lost = [r for r in results if isinstance(r, BaseException)]
        assert len(won) == 1, results
        refusals = Counter(getattr(r, "sqlstate", repr(r)) for r in lost)
        print(f"\n{THREADS} connections, one slot: 1 booked, refused {dict(refusals)}")
        assert refusals == Counter({"23P01": THREADS - 1}), refusals
        with psycopg.connect(dsn, autocommit=True) as check:
            counts = {t: check.execute(f"select count(*) from {t}").fetchone()[0]
                      for t in ("bookings", "users", "booking_history")}
        # A refused booking rolls back its customer and history too.
        assert counts == {"bookings": 1, "users": 1, "booking_history": 1}


# -- two "Create all missing links" at once ---------------------------------------------------------

def test_two_bulk_link_runs_at_once_confirm_each_booking_once_with_one_event(tmp_path: Path, monkeypatch):
    count = 48
    # Latency keeps both runs in flight together; no faults, so every booking must end confirmed.
    with calendar_server(monkeypatch, seed=7, latency=0.05) as srv:
        db = tmp_path / "bulk.db"
        settings = google_settings(db, srv, timeout=5.0)
        first, second = build_service(settings), build_service(settings)  # two app processes
        ids = paid_bookings(first, count)
        assert len(second.missing_links(actor=SYSTEM)) == count

        results = all_at_once(2, lambda i: (first, second)[i].create_missing_links(actor=SYSTEM))
        srv.wait_idle()

    assert not any(isinstance(r, BaseException) for r in results), results
    confirmed = [set(r.confirmed) for r in results]
    assert confirmed[0].isdisjoint(confirmed[1]), "a booking was confirmed by both runs"
    assert confirmed[0] | confirmed[1] == set(ids)
    assert all(confirmed), "one run did all the work: the runs did not overlap"
    assert not any(r.failed for r in results)

    bookings = [first.get_booking(i, actor=SYSTEM) for i in ids]
    assert all(b.status is BookingStatus.CONFIRMED for b in bookings)
    for b in bookings:
        assert [h.event for h in first.history(b.id, actor=SYSTEM)].count("confirmed") == 1
    assert leased_bookings(db) == []

    on_server = events_by_booking(srv)
    assert sorted(on_server) == sorted(stem_of(i) for i in ids)
    assert all(len(events) == 1 for events in on_server.values()), "a booking got two events"
    assert srv.count("events.insert") == count  # each booking was worked on by one run only
    live = {e["id"]: e for e in srv.live_events()}
    assert {b.google_event_id for b in bookings} == set(live)
    assert all(live[b.google_event_id]["hangoutLink"] == b.meeting_link for b in bookings)

    emails = first.emails(limit=1000, actor=SYSTEM)
    assert Counter((e.booking_id, e.kind) for e in emails) == \
        Counter({(i, kind): 1 for i in ids for kind in ("confirmed.customer", "confirmed.expert")})


def test_a_link_lease_taken_with_the_payment_keeps_another_worker_from_making_a_second_event(
        tmp_path: Path, monkeypatch):
    """The booking form pays (the demo gateway, within the process) and takes the link lease in
    the same transaction; while its Calendar insert is in flight, another process's bulk run
    finds the booking paid without a link but leased, and leaves it alone: one event."""
    with calendar_server(monkeypatch, seed=11, latency=1.0) as srv:
        db = tmp_path / "held.db"
        settings = google_settings(db, srv, timeout=10.0)
        form, worker = build_service(settings), build_service(settings)  # two app processes
        expert = form.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
        day = form.today() + timedelta(days=3)
        request = BookingRequest(expert_id=expert.id, session_type="Career mentoring", scheduled_date=day,
                                 scheduled_time=time(14, 0), duration=60,
                                 new_customer=NewCustomer("Dewi Lestari", "dewi@example.com"))
        outcome: list[object] = []
        flow = threading.Thread(target=lambda: outcome.append(form.book_and_pay(request, actor=SYSTEM)))
        flow.start()
        deadline = time_module.monotonic() + 30
        while srv.count("events.insert") < 1:  # paid, leased, and the insert under way
            assert time_module.monotonic() < deadline and flow.is_alive(), "the insert never started"
            time_module.sleep(0.01)
        [waiting] = worker.missing_links(actor=SYSTEM)
        assert waiting.status is BookingStatus.PAID and leased_bookings(db) == [waiting.id]
        run = worker.create_missing_links(actor=SYSTEM)
        assert (run.confirmed, run.skipped, run.failed) == ([], [waiting.id], {})
        flow.join(60)
        srv.wait_idle()

    [done] = outcome
    assert done.booking.status is BookingStatus.CONFIRMED and done.link_error is None  # type: ignore[attr-defined]
    assert srv.count("events.insert") == 1 and len(events_by_booking(srv)[stem_of(waiting.id)]) == 1
    assert [h.event for h in form.history(waiting.id, actor=SYSTEM)] == ["created", "paid", "link attempt",
                                                                          "confirmed"]
    assert leased_bookings(db) == []
