"""A real PostgreSQL 15 with the Supabase migrations applied, for the tests of the migrations: the
server, a migrated database per test module, a connection, rows made with plain SQL, and a block run as a
Supabase role with JWT claims (as PostgREST runs a request)."""

from __future__ import annotations

import json
import time as systime
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.support.postgres import apply_migrations, fresh_database, psycopg, require_postgres


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL server of CALLEXPERT_TEST_PG_DSN (skips without one, fails under CI)."""
    return require_postgres()


@pytest.fixture(scope="module")
def db(pg_server: str) -> Iterator[str]:
    """A migrated database for this module."""
    with fresh_database("migrations") as dsn:
        apply_migrations(dsn)
        yield dsn


@pytest.fixture
def conn(db: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the module's migrated database."""
    with psycopg.connect(db, autocommit=True) as connection:
        yield connection


def one(conn: psycopg.Connection, sql: str, params: Any = None) -> Any:
    """The first column of the first row ``sql`` returns (None for no row)."""
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def expert(conn: psycopg.Connection, email: str | None = None) -> str:
    email = email or f"expert-{uuid.uuid4().hex[:8]}@example.com"
    return str(one(conn, "insert into experts (name, email, hourly_rate) values ('Sari', %s, 250000) returning id",
                    [email]))


def customer(conn: psycopg.Connection, email: str | None = None, id_: str | None = None) -> str:
    email = email or f"customer-{uuid.uuid4().hex[:8]}@example.com"
    return str(one(conn, "insert into users (id, name, email)"
                          " values (coalesce(%s::uuid, gen_random_uuid()), 'Andi', %s) returning id", [id_, email]))


def book(conn: psycopg.Connection, expert: str, customer: str, day: str, at: str, minutes: int = 60,
          status: str = "pending") -> str:
    return str(one(
        conn,
        "insert into bookings (user_id, expert_id, session_type, scheduled_date, scheduled_time, duration, status,"
        " price) values (%s, %s, 'Career mentoring', %s, %s, %s, %s, 250000) returning id",
        [customer, expert, day, at, minutes, status],
    ))


@contextmanager
def as_role(conn: psycopg.Connection, role: str, claims: dict[str, Any] | None = None, *,
            keep: bool = False) -> Iterator[psycopg.Connection]:
    """Run as a Supabase role with JWT claims, as PostgREST does, inside a rolled-back transaction
    (``keep``: committed, for what the rest of a test builds on)."""
    with conn.transaction(force_rollback=not keep):
        conn.execute(f"set local role {role}")
        conn.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims or {})])
        yield conn


def wait_until_blocked(db: str, pid: int, seconds: float = 10) -> None:
    """Wait until backend ``pid`` waits on a lock, so a test knows the race is really on."""
    deadline = systime.monotonic() + seconds
    with psycopg.connect(db, autocommit=True) as watch:
        while one(watch, "select wait_event_type from pg_stat_activity where pid = %s", [pid]) != "Lock":
            assert systime.monotonic() < deadline, f"backend {pid} never waited on a lock"
            systime.sleep(0.02)


def emails_json(booking: str) -> str:
    """The two confirmation emails of ``booking`` as the transition functions take them (JSON)."""
    return json.dumps([
        {"booking_id": booking, "kind": f"confirmed.{side}", "version": 0, "recipient": f"{side}@example.com",
         "subject": "Booking confirmed", "body_text": "text", "body_html": "<p>html</p>"}
        for side in ("customer", "expert")
    ])
