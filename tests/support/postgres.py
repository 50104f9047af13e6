"""A throw-away PostgreSQL 15 database shaped like a fresh Supabase project, migrated on demand.

The server comes from CALLEXPERT_TEST_PG_DSN (default: the local cluster that `bash tests/pg.sh`
starts; `make test` starts it when it can). Without one the tests that need it skip, except
under CI, where they fail.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

try:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
except ImportError:  # pragma: no cover - reported by require_postgres
    psycopg = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((ROOT / "supabase" / "migrations").glob("*.sql"))
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"

# What a Supabase project has before the first migration, reduced to what the migrations and
# these tests touch.
SUPABASE_BOOTSTRAP = """
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;
exception when duplicate_object or unique_violation then
    null;  -- another test process created it first
end
$$;
create schema if not exists auth;
create schema if not exists extensions;
create or replace function auth.jwt() returns jsonb language sql stable as $f$
    select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$f$;
create or replace function auth.uid() returns uuid language sql stable as $f$
    select nullif(auth.jwt() ->> 'sub', '')::uuid
$f$;
-- Supabase Auth's users, reduced to what says whether an address is confirmed; like on
-- Supabase, the anon and authenticated roles get no rights on it.
create table if not exists auth.users (id uuid primary key, email text, email_confirmed_at timestamptz);
grant usage on schema auth, extensions to anon, authenticated, service_role;
grant execute on all functions in schema auth to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
"""

# The tables as the platform's seed (booking-flow-google-meet.md) assumes them.
def admin_dsn() -> str:
    """The DSN of the test server's maintenance database."""
    return os.environ.get("CALLEXPERT_TEST_PG_DSN") or DEFAULT_DSN  # set but empty: the default


def _shown(dsn: str) -> str:
    """The DSN without its password, for messages."""
    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001 - a malformed DSN is reported by connect()
        return "<malformed DSN>"
    parts.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in parts.items())


def _unavailable(reason: str) -> None:
    message = (f"{reason}. To run them: `make test` starts a local PostgreSQL 15 when it can use root or "
               "passwordless sudo; otherwise run `sudo bash tests/pg.sh` and set CALLEXPERT_TEST_PG_DSN to the DSN "
               "it prints (any PostgreSQL 15+ will do).")
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required under CI: {message}", pytrace=False)
    pytest.skip(message)


_probed: dict[str, str | None] = {}  # DSN -> None when usable, else why not (probe once per run)


def require_postgres() -> str:
    """The admin DSN when a PostgreSQL 15+ server answers; skip (fail under CI) otherwise."""
    if psycopg is None:
        _unavailable("psycopg is not installed (pip install -r requirements-dev.txt)")
    dsn = admin_dsn()
    if dsn not in _probed:
        try:
            with psycopg.connect(dsn, connect_timeout=3, autocommit=True) as conn:
                version = conn.info.server_version
            _probed[dsn] = None if version >= 150000 else \
                f"PostgreSQL at {_shown(dsn)} is version {version}; the migrations need 15 or later"
        except psycopg.Error as exc:
            _probed[dsn] = f"PostgreSQL is not reachable at {_shown(dsn)} ({str(exc).strip()})"
    problem = _probed[dsn]
    if problem:
        _unavailable(problem)
    return dsn


@contextmanager
def fresh_database(label: str) -> Iterator[str]:
    """A new, Supabase-like, empty database; dropped afterwards. Yields its DSN."""
    admin = require_postgres()
    name = re.sub(r"[^a-z0-9_]", "_", f"callexpert_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}".lower())[:63]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    dsn = make_conninfo(admin, dbname=name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SUPABASE_BOOTSTRAP)
        yield dsn
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def apply_migrations(dsn: str, before: str | None = None) -> None:
    """Apply every migration in order, each in its own transaction, as `supabase db push` does
    (``before``: only those whose name sorts before it, a database as it stood then)."""
    assert MIGRATIONS, "no files in supabase/migrations"
    for path in MIGRATIONS:
        if before is not None and path.name >= before:
            break
        with psycopg.connect(dsn) as conn:
            conn.execute(path.read_text(encoding="utf-8"))
            conn.commit()


