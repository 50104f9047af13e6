"""The ``RequestBudgetStore`` contract (the calendar's rolling per-minute request budget, shared by every process),
on both stores (the ``store`` fixture of tests/support/store_contract.py: SQLite, and Supabase over
PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lib.store import RequestBudgetStore
from tests.support.store_contract import (  # noqa: F401 - the fixtures among them
    pg_db,
    same_database,
    store,
)

CONTRACT = (RequestBudgetStore,)  # the protocols whose every method this module exercises



def test_request_slots_are_a_rolling_minute_across_the_clock_minutes_boundary(store):
    calendar = f"cal-{uuid.uuid4().hex}@group.calendar.google.com"
    burst = datetime(2030, 3, 10, 3, 0, 59, 500000, tzinfo=UTC)  # second 59 of 03:00
    other = same_database(store)
    assert store.request_slots_used(calendar, burst) == 0
    assert [store.take_request_slot(calendar, 3, burst), other.take_request_slot(calendar, 3, burst),
            store.take_request_slot(calendar, 3, burst)] == [0.0, 0.0, 0.0]
    # Every second of the next clock minute is still within 60 s of the burst: all wait. The
    # burst's second 03:00:59 may have ended at 03:01:00, so it counts until 03:02:00.
    for second in range(60):
        at = datetime(2030, 3, 10, 3, 1, second, 250000, tzinfo=UTC)
        expected = (datetime(2030, 3, 10, 3, 2, tzinfo=UTC) - at).total_seconds()
        assert (store if second % 2 else other).take_request_slot(calendar, 3, at) == pytest.approx(expected)
        assert store.request_slots_used(calendar, at) == 3  # nothing was taken by asking
    assert store.take_request_slot("another-calendar-" + calendar, 3, burst) == 0.0  # each calendar has its own
    free = datetime(2030, 3, 10, 3, 2, tzinfo=UTC)
    assert other.request_slots_used(calendar, free) == 0
    assert [store.take_request_slot(calendar, 3, free) for _ in range(4)] == [0.0, 0.0, 0.0, 61.0]
    assert other.request_slots_used(calendar, free) == 3



def test_request_slots_free_up_as_the_oldest_leave_the_window(store):
    calendar = f"cal-{uuid.uuid4().hex}"
    start = datetime(2030, 3, 10, 3, 0, 10, tzinfo=UTC)
    other = same_database(store)
    for offset in (0, 20, 40):
        assert store.take_request_slot(calendar, 3, start + timedelta(seconds=offset)) == 0.0
    at = start + timedelta(seconds=50)
    assert other.take_request_slot(calendar, 3, at) == pytest.approx(11.0)  # until 03:00:10 ended 60 s ago
    at = start + timedelta(seconds=61)
    assert (other.request_slots_used(calendar, at), other.take_request_slot(calendar, 3, at)) == (2, 0.0)
    assert store.take_request_slot(calendar, 3, at) == pytest.approx(20.0)  # now 03:00:30 is the oldest
    # A lower limit (the setting changed) waits until enough of the oldest have gone, not just one.
    assert store.take_request_slot(calendar, 1, at) == pytest.approx(61.0)  # the three: up to 03:01:11

