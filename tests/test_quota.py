"""The per-minute request quota the Google provider paces itself by."""

from __future__ import annotations

import threading

import pytest

from lib.meetings.quota import MinuteQuota
from tests.support.fakes import FakeClock
from tests.support.google import calendar_server, make_booking, make_provider


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    with calendar_server(monkeypatch) as srv:
        yield srv


def test_a_burst_up_to_the_quota_goes_at_once_then_callers_wait_for_the_window():
    clock = FakeClock()
    quota = MinuteQuota(3, clock=clock, sleep=clock.sleep)
    assert [quota.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 10
    assert quota.acquire() == 50.0  # the first request leaves the 60 s window at t=60
    assert clock.now == 60.0
    clock.now = 200.0
    assert quota.acquire() == 0.0  # a quiet minute later there is room again


def test_threads_never_exceed_the_quota_in_any_minute():
    clock = FakeClock()
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            clock.now += seconds

    quota = MinuteQuota(5, clock=clock, sleep=sleep)
    stamps: list[float] = []

    def worker() -> None:
        for _ in range(4):
            quota.acquire()
            with lock:
                stamps.append(clock.now)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert len(stamps) == 20
    assert all(sum(1 for s in stamps if start <= s < start + 60) <= 5 for start in stamps)


def test_the_google_provider_waits_its_turn_instead_of_collecting_429s(server):
    clock = FakeClock()
    provider = make_provider(server, clock)
    provider.quota = MinuteQuota(2, clock=clock, sleep=clock.sleep)
    for i in range(3):
        provider.create(make_booking(id=f"00000000-0000-4000-8000-00000000000{i}"))
    assert server.count("events.insert") == 3 and len(server.live_events()) == 3
    assert 60.0 in clock.sleeps  # the third insert waited for the first to leave the window


def test_a_request_takes_its_budget_slot_only_once_it_may_go_out(server):
    # A slot taken while the request still waits for a place among those on their way would be
    # counted from before it reached Google: a burst held back there for seconds then reaches
    # Google in the same rolling minute as the next minute's slots, and Google refuses the excess.
    provider = make_provider(server, FakeClock())
    provider._on_the_way = threading.BoundedSemaphore(1)  # one request on its way at a time
    taken: list[bool] = []

    class Budget:
        def acquire(self) -> float:
            free = provider._on_the_way.acquire(blocking=False)  # a place left: the caller holds none
            if free:
                provider._on_the_way.release()
            taken.append(not free)
            return 0.0

    provider.quota = Budget()
    server.pending_gets = 1  # each link's conference is read once more: an insert and a get per link
    for i in range(2):
        provider.create(make_booking(id=f"00000000-0000-4000-8000-00000000000{i}"))
    assert len(taken) == server.count() - server.count("token") >= 4
    assert all(taken)  # every slot was taken by a request holding its place, right before it went


def test_a_slot_the_store_answers_in_a_later_second_is_taken_again_counted_then():
    # The store's write lock may keep a slot waiting: a slot counted in a second already past would
    # leave the rolling minute before the request sent now leaves Google's, so another is taken.
    from datetime import UTC, datetime, timedelta

    from lib.meetings.quota import SharedMinuteBudget

    now = [datetime(2026, 12, 1, 8, 0, 0, 900_000, tzinfo=UTC)]
    asked: list[datetime] = []

    class SlowStore:
        def take_request_slot(self, calendar_id: str, limit: int, at: datetime) -> float:
            asked.append(at)
            if len(asked) == 1:
                now[0] += timedelta(seconds=0.3)  # waited for the lock into the next second
            return 0.0

    budget = SharedMinuteBudget(SlowStore(), "primary", 200, clock=lambda: now[0], sleep=lambda s: None)
    assert budget.acquire() == 0.0
    assert [a.second for a in asked] == [0, 1]  # the slot that counts is the one of the second it goes in
    asked.clear()
    assert budget.acquire() == 0.0 and len(asked) == 1  # answered within its second: one slot
