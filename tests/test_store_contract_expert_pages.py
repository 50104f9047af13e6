"""The ``ExpertPageStore`` contract (what My sessions and Availability show of one expert, one call
each), on both stores (the ``store`` fixture of tests/support/store_contract.py: SQLite, and Supabase
over PostgreSQL): each call returns what the separate reads return, an unreadable stored
availability comes back with its reason."""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import replace
from datetime import datetime, time, timedelta

import pytest

from lib.domain import Attendance, BookingStatus, SessionType
from lib.errors import UnreadableAvailability
from lib.scheduling import DEFAULT_AVAILABILITY
from lib.service import history
from lib.store import ExpertPageStore
from lib.store.ports_expert_pages import ExpertSetupRows, ExpertWeekRows, StoredHours
from lib.store.sqlite import SQLiteStore
from tests.support.postgres import psycopg
from tests.support.store_contract import (  # noqa: F401 - the fixtures among them
    CREATED,
    DAY,
    NOW,
    confirmed,
    new,
    paid,
    people,
    pg_db,
    store,
)

CONTRACT = (ExpertPageStore,)  # the protocols whose every method this module exercises

SESSIONS = (BookingStatus.PAID, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
START, END = datetime.combine(DAY, time(0)), datetime.combine(DAY + timedelta(days=7), time(0))
UNREADABLE = {"timezone": "Not/AZone", "weekly": {"mon": [["25:00", "xx"]]}, "overrides": {"not-a-date": 5}}


def _separately(store, expert: str, now_local: datetime) -> ExpertWeekRows:
    """What the separate reads return, the same call as the pages made before."""
    week = store.bookings_between(START, END, SESSIONS, expert, 500)
    ended = [b.id for b in week if b.status is BookingStatus.COMPLETED
             or datetime.combine(b.scheduled_date, b.scheduled_time) < now_local]
    return ExpertWeekRows(week, store.attendance(ended) if ended else {}, StoredHours(store.get_availability(expert)),
                          store.upcoming_for_expert(expert, now_local, 200))


def _store_unreadable(store, dsn: str | None, expert: str) -> None:
    """Store ``UNREADABLE`` as the expert's hours past every check of the console."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as db:
            db.execute("INSERT OR REPLACE INTO expert_availability (expert_id, schedule, updated_at) VALUES (?, ?, ?)",
                       (expert, json.dumps(UNREADABLE), "2026-01-01T00:00:00+00:00"))
        return
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")  # the check is a trigger: a row from before it
        conn.execute("insert into expert_availability (expert_id, timezone, weekly, overrides) values (%s, %s, %s, %s)",
                     [expert, UNREADABLE["timezone"], json.dumps(UNREADABLE["weekly"]),
                      json.dumps(UNREADABLE["overrides"])])


def test_the_week_is_what_the_separate_reads_return(store, people):
    early, late = confirmed(store, people, at=time(9, 0)), confirmed(store, people, at=time(15, 0))
    waiting = paid(store, people, day=DAY + timedelta(days=2))
    confirmed(store, people, day=DAY + timedelta(days=9))  # after the week: upcoming only
    other = store.create_booking(new(people.budi, people.andi), "ops", line=CREATED)  # another expert's
    store.mark_paid(other.id, "pay-other", NOW, "ops", line=history.paid("pay-other"))
    attendance = Attendance(early.id, "recorded", expert_joined=True, customer_joined=True, expert_joined_at=NOW,
                            expert_left_at=NOW + timedelta(minutes=50), together_minutes=50, expert_match="email",
                            customer_match="email", attempts=1, checked_at=NOW)
    store.save_attendance(attendance, [], "worker")
    store.save_attendance(replace(attendance, booking_id=late.id), [], "worker")  # not ended yet: left out
    store.set_availability(people.sari, replace(DEFAULT_AVAILABILITY, buffer_after=15))
    now_local = datetime.combine(DAY, time(12, 0))

    found = store.expert_week(people.sari, START, END, SESSIONS, now_local, 500, 200)

    assert found == _separately(store, people.sari, now_local)
    assert [b.id for b in found.week] == [early.id, late.id, waiting.id]
    assert found.attendance == {early.id: attendance}
    assert found.hours == StoredHours(replace(DEFAULT_AVAILABILITY, buffer_after=15))
    assert other.id not in {b.id for b in found.week + found.upcoming}
    assert [b.customer_name for b in found.week] == ["Andi Pratama"] * 3


def test_the_limits_and_an_unknown_expert(store, people):
    for hour in (9, 11, 13):
        confirmed(store, people, at=time(hour, 0))
    now_local = datetime.combine(DAY, time(0))
    found = store.expert_week(people.sari, START, END, SESSIONS, now_local, 2, 1)
    assert [b.scheduled_time.hour for b in found.week] == [9, 11]
    assert [b.scheduled_time.hour for b in found.upcoming] == [9]
    assert found.hours == StoredHours() and found.attendance == {}
    assert store.expert_week(str(uuid.uuid4()), START, END, SESSIONS, now_local) == ExpertWeekRows()
    assert store.expert_setup(str(uuid.uuid4())) == ExpertSetupRows()


def test_the_setup_is_the_hours_and_the_session_types(store, people):
    assert store.expert_setup(people.sari) == ExpertSetupRows(StoredHours(None), store.session_types(people.sari))
    kinds = store.replace_session_types(people.sari, [
        SessionType(id=str(uuid.uuid4()), expert_id=people.sari, names={"en": "Tax check", "id": "Cek pajak"},
                    durations=(30,), fixed_prices={30: 150_000}, description="One tax return"),
        SessionType(id=str(uuid.uuid4()), expert_id=people.sari, names={"en": "Audit", "id": "Audit"},
                    durations=(60, 90), hourly_rate=300_000, active=False, position=1)])
    store.set_availability(people.sari, replace(DEFAULT_AVAILABILITY, slot_step_minutes=15))
    found = store.expert_setup(people.sari)
    assert found == ExpertSetupRows(StoredHours(store.get_availability(people.sari)), store.session_types(people.sari))
    assert found.session_types == kinds
    assert found.hours.availability == replace(DEFAULT_AVAILABILITY, slot_step_minutes=15)


def test_unreadable_hours_come_back_with_their_reason(store, people, request):
    dsn = None if isinstance(store, SQLiteStore) else request.getfixturevalue("pg_db")
    _store_unreadable(store, dsn, people.sari)
    with pytest.raises(UnreadableAvailability) as separately:
        store.get_availability(people.sari)
    reason = separately.value.reason
    assert store.expert_setup(people.sari).hours == StoredHours(None, reason)
    week = store.expert_week(people.sari, START, END, SESSIONS, datetime.combine(DAY, time(0)))
    assert week.hours == StoredHours(None, reason)

