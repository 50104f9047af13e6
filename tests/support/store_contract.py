"""The stores under the store contract (tests/test_store_contract.py): the ``store`` fixture, once
over SQLite and once as ``SupabaseStore`` answered by the PostgREST stand-in over a real, migrated
PostgreSQL (``pg_db``, one per module); the ``people`` in it; and ``new``, a booking to create."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from lib.domain import NewBooking, NewCustomer
from lib.service import history
from lib.store.sqlite import SQLiteStore
from tests.support.postgres import apply_migrations, fresh_database
from tests.support.postgrest import supabase_over_postgres

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
    """Each store in turn: SQLite, then Supabase over the PostgREST stand-in (which must have been asked)."""
    if request.param == "sqlite":
        yield SQLiteStore(tmp_path / "contract.db")
        return
    with supabase_over_postgres(request.getfixturevalue("pg_db")) as (supabase_store, stub):
        yield supabase_store
        assert stub.requests, "the Supabase store sent no request"


@dataclass
class People:
    """The ids of the people ``people`` adds."""

    sari: str
    budi: str
    andi: str


@pytest.fixture
def people(store) -> People:
    """Two experts (Sari, Budi) and a customer (Andi) added to ``store``."""
    sari = store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    budi = store.add_expert("Budi Santoso", "budi@example.com", 400_000, "Business")
    andi = store.add_customer(NewCustomer("Andi Pratama", "andi@example.com"))
    return People(sari.id, budi.id, andi.id)


def new(expert: str, customer: str | None, day: date = DAY, at: time = time(14, 0), minutes: int = 60,
        key: str | None = None, new_customer: NewCustomer | None = None) -> NewBooking:
    return NewBooking(id=str(uuid.uuid4()), expert_id=expert, session_type="Career mentoring", scheduled_date=day,
                      scheduled_time=at, duration=minutes, price=250_000, customer_id=customer,
                      new_customer=new_customer, request_key=key)
