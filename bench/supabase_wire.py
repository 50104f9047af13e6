"""Supabase for the benchmark: the real supabase-py client (``SupabaseStore``) against the PostgREST
stand-in over a PostgreSQL 15 database migrated like a project, with a fixed delay on every request.

The stand-in (``tests.support.postgrest.PostgrestStub``) and the throw-away database
(``tests.support.postgres``) are the tests' own, as ``bench.links`` uses the tests' Calendar
stand-in: one definition of what Supabase answers, checked by the store's contract tests. The
delay stands for the network: each request waits ``latency`` seconds before the stand-in
answers it, as a request from a server in a nearby region to a Supabase project would (20 ms);
the requests are counted, so a page's round trips are a number, not a guess.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
import time as clock
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.data import Filled
from lib.session_type_document import standard_types

# The rows bench.data.fill writes, in the order their foreign keys need; each table's columns
# are those SQLite and PostgreSQL share (PostgreSQL makes its ids, and its triggers the rest).
TABLES = ("experts", "users", "bookings", "booking_history", "email_outbox")
SERIAL_IDS = frozenset({"booking_history", "email_outbox"})


def host(label: str) -> str:
    """The project address of one database: each size has its own, so pages can take turns."""
    return f"bench-{label}.supabase.co"


@dataclass
class Wire:
    """The requests the client made through the stand-in, counted per project address."""

    latency: float
    requests: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def seen(self, where: str) -> None:
        with self._lock:
            self.requests[where] += 1


@contextlib.contextmanager
def database(label: str) -> Iterator[str]:
    """A new PostgreSQL database shaped like a Supabase project, with every migration; dropped after."""
    from tests.support.postgres import apply_migrations, fresh_database

    with fresh_database(label) as dsn:
        apply_migrations(dsn)
        yield dsn


def load(dsn: str, filled: Filled) -> None:
    """Copy ``filled``'s SQLite rows into the database with COPY (seconds for 100,000 bookings),
    then give each expert the standard session types through the store, as ``bench.data`` does."""
    from tests.support.postgres import psycopg

    with contextlib.closing(sqlite3.connect(filled.db)) as lite, psycopg.connect(dsn) as pg:
        for table in TABLES:
            ours = [r[1] for r in lite.execute(f"PRAGMA table_info({table})")]
            theirs = {r[0] for r in pg.execute("select column_name from information_schema.columns"
                                               " where table_schema = 'public' and table_name = %s", [table])}
            columns = [c for c in ours if c in theirs and not (c == "id" and table in SERIAL_IDS)]
            names = ", ".join(columns)
            with pg.cursor().copy(f"copy public.{table} ({names}) from stdin") as copy:
                for row in lite.execute(f"SELECT {names} FROM {table}"):
                    copy.write_row(row)
        pg.execute("analyze")
        pg.commit()
    with serve({"load": dsn}, 0.0) as wire:
        store = wire_store(wire, "load")
        try:
            for expert in store.list_experts():
                store.replace_session_types(expert.id, standard_types(expert.id, expert.hourly_rate))
        finally:
            store.close()


@contextlib.contextmanager
def serve(databases: dict[str, str], latency: float) -> Iterator[Wire]:
    """Route every request to ``host(label)`` to the stand-in on ``databases[label]``, each after
    ``latency`` seconds, counted. A store the console builds from ``supabase_env(label)`` while
    this is open goes the same way (respx replaces httpx's transport in every thread)."""
    import respx

    from tests.support.postgrest import KEY, PostgrestStub

    wire = Wire(latency)
    stubs: list[PostgrestStub] = []
    idle: dict[str, queue.SimpleQueue[PostgrestStub]] = {label: queue.SimpleQueue() for label in databases}

    def answer(label: str) -> Callable[[httpx.Request], httpx.Response]:
        def respond(request: httpx.Request) -> httpx.Response:
            wire.seen(label)
            if latency:
                clock.sleep(latency)
            # A pool of database connections, as PostgREST keeps: requests at once run at once.
            try:
                stub = idle[label].get_nowait()
            except queue.Empty:
                stub = PostgrestStub(databases[label], KEY)
                stubs.append(stub)
            try:
                return stub(request)
            finally:
                idle[label].put(stub)

        return respond

    try:
        with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
            for label in databases:
                router.route(host=host(label)).mock(side_effect=answer(label))
            yield wire
    finally:
        for stub in stubs:
            stub.close()


def wire_store(wire: Wire, label: str, timeout: float = 30.0) -> Any:
    """A ``SupabaseStore`` on the database ``label`` of an open ``serve``; the caller closes it."""
    from lib.store.supabase import SupabaseStore
    from tests.support.postgrest import KEY

    return SupabaseStore.from_settings(f"https://{host(label)}", KEY, timeout, retry_reads=False)


def supabase_env(label: str) -> dict[str, str]:
    """The settings that make the console build its store on the database ``label`` of ``serve``:
    the backend, the project address and key, and demo mode allowed (the benchmark signs nobody in)."""
    from tests.support.postgrest import KEY

    return {"CALLEXPERT_BACKEND": "supabase", "CALLEXPERT_SUPABASE_URL": f"https://{host(label)}",
            "CALLEXPERT_SUPABASE_SERVICE_ROLE_KEY": KEY, "CALLEXPERT_ALLOW_DEMO_MODE": "true"}
