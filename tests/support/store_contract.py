"""The store contract's shared part: both stores under contract (the ``store`` fixture, SQLite and
the Supabase store over PostgreSQL), the people and bookings the contract tests start from.

* ``sqlite``: the embedded store, for real.
* ``supabase``: ``SupabaseStore`` on supabase-py, its HTTP requests answered (through respx) by
  ``PostgrestStub`` (tests/support/postgrest.py), which runs them on a real PostgreSQL 15 migrated
  with supabase/migrations, as the service role, one transaction per request, with PostgREST's
  error bodies. It needs a server (``bash tests/pg.sh``); without one it skips, except under CI.

A contract module imports the fixtures it uses (``store``, ``pg_db``, ``people``, ``age``) from here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lib.domain import (
    Booking,
    EmailDraft,
    HistoryLine,
    NewBooking,
    NewCustomer,
)
from lib.notify.templates import emails_for
from lib.service import history
from lib.store.sqlite import SQLiteStore
from lib.store.supabase import SupabaseStore
from tests.support.postgres import apply_migrations, fresh_database, psycopg
from tests.support.postgrest import KEY, URL, supabase_over_postgres

TZ = ZoneInfo("Asia/Jakarta")


DAY = date(2030, 3, 11)


NOW = datetime(2030, 3, 10, 3, 0, tzinfo=UTC)


CREATED = history.created(250_000)  # every new() booking costs this


@pytest.fixture(scope="module")
def pg_db() -> Iterator[str]:
    """A database migrated with supabase/migrations, for this module."""
    with fresh_database("contract") as dsn:
        apply_migrations(dsn)
        yield dsn


@pytest.fixture(params=["sqlite", "supabase"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Any]:
    if request.param == "sqlite":
        yield SQLiteStore(tmp_path / "contract.db")
        return
    with supabase_over_postgres(request.getfixturevalue("pg_db")) as (supabase_store, stub):
        yield supabase_store
        assert stub.requests, "the Supabase store sent no request"


@dataclass
class People:
    sari: str
    budi: str
    andi: str


@pytest.fixture
def people(store) -> People:
    sari = store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    budi = store.add_expert("Budi Santoso", "budi@example.com", 400_000, "Business")
    andi = store.add_customer(NewCustomer("Andi Pratama", "andi@example.com"))
    return People(sari.id, budi.id, andi.id)


def new(expert: str, customer: str | None, day: date = DAY, at: time = time(14, 0), minutes: int = 60,
        key: str | None = None, new_customer: NewCustomer | None = None) -> NewBooking:
    return NewBooking(id=str(uuid.uuid4()), expert_id=expert, session_type="Career mentoring", scheduled_date=day,
                      scheduled_time=at, duration=minutes, price=250_000, customer_id=customer,
                      new_customer=new_customer, request_key=key)


def drafts(booking: Booking, event: str) -> list[EmailDraft]:
    return emails_for(booking, event, TZ)


def paid(store, people: People, **kw) -> Booking:
    booking = store.create_booking(new(people.sari, people.andi, **kw), "ops", line=CREATED)
    return store.mark_paid(booking.id, f"pay-{booking.id[:8]}", NOW, "ops", line=history.paid(f"pay-{booking.id[:8]}"))


def confirmed(store, people: People, **kw) -> Booking:
    booking = paid(store, people, **kw)
    return store.confirm(booking.id, f"https://meet.example.com/{booking.id[:8]}", f"ev{booking.id[:8]}", 0, NOW,
                         drafts(booking, "confirmed"), "ops", line=HistoryLine("confirmed", "link created"))


def events(store, booking_id: str) -> list[str]:
    return [h.event for h in store.history(booking_id)]


EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))  # history is stamped by the store


@pytest.fixture
def age(store, request: pytest.FixtureRequest):
    """``age(booking_id, minutes)``: make a booking look that much older (the store writes created_at)."""
    def backdate(booking_id: str, minutes: int) -> None:
        at = datetime.now(UTC) - timedelta(minutes=minutes)
        if isinstance(store, SQLiteStore):
            store._conn().execute("UPDATE bookings SET created_at = ? WHERE id = ?",
                                  (at.isoformat(timespec="seconds"), booking_id))
        else:
            with psycopg.connect(request.getfixturevalue("pg_db"), autocommit=True) as conn:
                conn.execute("update bookings set created_at = %s where id = %s", [at, booking_id])
    return backdate


def same_database(store):
    """A second store object on the same database, as a second process would have."""
    if isinstance(store, SQLiteStore):
        return SQLiteStore(store.path)
    return SupabaseStore.from_settings(URL, KEY, 5.0, retry_reads=False)
