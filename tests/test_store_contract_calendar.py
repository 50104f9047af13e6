"""The ``CalendarWorkStore`` contract (calendar work leased, retried and finished; history counted by event),
on both stores (the ``store`` fixture of tests/support/store_contract.py: SQLite, and Supabase over
PostgreSQL)."""

from __future__ import annotations

from datetime import time, timedelta

from lib.domain import (
    HistoryLine,
)
from lib.store import CalendarWorkStore
from tests.support.store_contract import (  # noqa: F401 - the fixtures among them
    EVER,
    NOW,
    confirmed,
    events,
    people,
    pg_db,
    store,
)

CONTRACT = (CalendarWorkStore,)  # the protocols whose every method this module exercises


def test_calendar_work_is_leased_retried_and_done_once_per_generation(store, people):
    booking = confirmed(store, people)
    store.queue_calendar_work(booking.id, "reschedule", NOW)
    lease = NOW + timedelta(minutes=2)
    [work] = store.claim_calendar_work(NOW, lease)
    assert work.booking_id == booking.id and work.generation == 1
    assert store.claim_calendar_work(NOW, lease) == []  # leased: another worker skips it
    assert store.claim_calendar_work(NOW, lease, booking_id=booking.id) == []
    store.calendar_work_later(booking.id, 1, NOW + timedelta(minutes=1), "Google said 503")
    assert store.claim_calendar_work(NOW, lease) == []  # not due yet
    work = store.calendar_work([booking.id])[booking.id]
    assert (work.attempts, work.last_error, work.waiting) == (1, "Google said 503", True)
    [again] = store.claim_calendar_work(NOW, lease, booking_id=booking.id)  # "Retry now": due or not
    store.queue_calendar_work(booking.id, "reschedule", NOW)  # moved again while the run was out
    line = HistoryLine("calendar event moved", "event at 16:00")
    assert store.finish_calendar_work(booking.id, again.generation, NOW, "worker", line=line) is False
    assert store.calendar_work([booking.id])[booking.id].waiting  # the newer change still runs
    [newest] = store.claim_calendar_work(NOW, lease)
    assert newest.generation == 2
    assert store.finish_calendar_work(booking.id, 2, NOW, "worker", line=line) is True
    work = store.calendar_work([booking.id])[booking.id]
    assert not work.waiting and work.done_at == NOW and work.last_error is None
    assert events(store, booking.id)[-2:] == ["calendar event moved", "calendar event moved"]



def test_calendar_work_waiting_lists_the_old_ones_and_history_is_counted_by_event(store, people):
    old, fresh = confirmed(store, people, at=time(9, 0)), confirmed(store, people, at=time(16, 0))
    store.queue_calendar_work(old.id, "cancel", NOW - timedelta(hours=1))
    store.queue_calendar_work(fresh.id, "cancel", NOW)
    assert [w.booking_id for w in store.calendar_work_waiting(NOW - timedelta(minutes=15))] == [old.id]
    before = store.count_history("calendar repaired", EVER[0], EVER[1])
    store.add_history(old.id, "calendar repaired", "x", "worker")
    after = store.count_history("calendar repaired", EVER[0], EVER[1])
    assert after == before + 1
    assert store.count_history("calendar repaired", EVER[1], EVER[1] + timedelta(days=1)) == 0

