"""The Supabase migrations on a real PostgreSQL 15: re-runnable, no double booking, RLS, functions.

The server comes from CALLEXPERT_TEST_PG_DSN (default: the local cluster that `bash tests/pg.sh`
starts). Each test module gets its own fresh database with what a Supabase project has before
any migration: the roles anon, authenticated and service_role (bypassrls), an `auth` schema
whose uid() and jwt() read `request.jwt.claims`, the `extensions` schema, and Supabase's default
grants on the public schema (``tests/support/postgres.py``). Without a server the tests skip,
except under CI, where they fail.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from tests.support.migrations_db import (  # noqa: F401 - the fixtures among them
    as_role,
    conn,
    db,
    pg_server,
    wait_until_blocked,
)
from tests.support.migrations_db import book as _book
from tests.support.migrations_db import customer as _customer
from tests.support.migrations_db import emails_json as _emails
from tests.support.migrations_db import expert as _expert
from tests.support.migrations_db import one as _one
from tests.support.postgres import apply_migrations, fresh_database, psycopg

try:
    from psycopg import errors as pgerrors
except ImportError:  # pragma: no cover - reported by require_postgres
    pgerrors = None  # type: ignore[assignment]

TABLES = ("users", "experts", "bookings", "booking_history", "email_outbox")

SEED_SCHEMA = """
create table users (id uuid primary key default gen_random_uuid(), name text, email text);
create table experts (id uuid primary key default gen_random_uuid(), name text, email text);
create table bookings (
    id uuid primary key default gen_random_uuid(),
    user_id uuid references users (id),
    expert_id uuid references experts (id),
    session_type text,
    scheduled_date date,
    scheduled_time time,
    duration integer,
    status text check (status in ('pending', 'confirmed', 'cancelled', 'completed')),
    price numeric(12, 2),
    meeting_link text,
    google_event_id text,
    cancelled_at timestamptz,
    created_at timestamptz default now()
);
"""


# -- the migrations apply, and apply again --------------------------------------------------------

def _schema_facts(dsn: str) -> dict[str, Any]:
    with psycopg.connect(dsn, autocommit=True) as c:
        columns = {t: {r[0] for r in c.execute(
            "select column_name from information_schema.columns where table_schema = 'public' and table_name = %s",
            [t])} for t in TABLES}
        constraints = [r[0] for r in c.execute(
            "select conname from pg_constraint where conrelid = 'public.bookings'::regclass order by conname")]
        indexes = {r[0] for r in c.execute("select indexname from pg_indexes where schemaname = 'public'")}
        rls = {r[0]: r[1] for r in c.execute(
            "select relname, relrowsecurity from pg_class where relnamespace = 'public'::regnamespace"
            " and relname = any(%s)", [list(TABLES)])}
        policies = _one(c, "select count(*) from pg_policies where schemaname = 'public'")
        functions = {r[0] for r in c.execute(
            "select proname from pg_proc where pronamespace = 'public'::regnamespace")}
    return {"columns": columns, "constraints": constraints, "indexes": indexes, "rls": rls,
            "policies": policies, "functions": functions}


BOOKING_COLUMNS = {
    "id", "user_id", "expert_id", "session_type", "scheduled_date", "scheduled_time", "duration", "status", "price",
    "meeting_link", "google_event_id", "event_version", "revision", "link_attempts", "last_error",
    "link_lease_until", "payment_ref", "request_key", "cancel_reason", "created_at", "updated_at", "paid_at",
    "confirmed_at", "cancelled_at", "starts_at", "ends_at", "slot",
    "payment_order_id", "payment_token", "payment_url", "payment_attempts", "payment_started_at",
    "session_type_id", "session_names",
}


def test_migrations_apply_to_an_empty_database_twice(pg_server):
    with fresh_database("empty") as dsn:
        apply_migrations(dsn)
        first = _schema_facts(dsn)
        apply_migrations(dsn)
        second = _schema_facts(dsn)
    assert first == second  # the second run changes nothing and duplicates nothing
    assert BOOKING_COLUMNS <= first["columns"]["bookings"]
    assert {"id", "booking_id", "at", "event", "detail", "actor"} <= first["columns"]["booking_history"]
    assert {"booking_id", "kind", "version", "status", "attempts", "lease_until", "sent_at"} <= \
        first["columns"]["email_outbox"]
    assert {"bookings_no_overlap", "bookings_status_check", "bookings_user_id_fkey",
            "bookings_expert_id_fkey"} <= set(first["constraints"])
    assert len(first["constraints"]) == len(set(first["constraints"]))
    assert {"bookings_expert_upcoming", "bookings_missing_link", "bookings_request_key_key",
            "email_outbox_booking_id_kind_version_key", "users_email_lower_key", "users_name"} <= first["indexes"]
    assert all(first["rls"][t] for t in TABLES), first["rls"]
    assert {"booking_create", "booking_confirm", "booking_cancel", "booking_reschedule", "booking_mark_paid",
            "email_claim_queued", "ops_counts", "booking_add_payment_attempt", "booking_start_payment",
            "booking_payment_failed"} <= first["functions"]


def test_migrations_apply_over_the_seed_schema_and_keep_its_rows(pg_server):
    with fresh_database("seed") as dsn:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(SEED_SCHEMA)
            user = _one(c, "insert into users (name, email) values ('Andi', 'andi@example.com') returning id")
            expert = _one(c, "insert into experts (name, email) values ('Sari', 'sari@example.com') returning id")
            booking = _one(c, "insert into bookings (user_id, expert_id, session_type, scheduled_date, scheduled_time,"
                              " status, price, meeting_link) values (%s, %s, 'Career mentoring', '2026-12-01',"
                              " '23:30', 'confirmed', 250000, 'https://meet.google.com/abc-defg-hij') returning id",
                           [user, expert])
        apply_migrations(dsn)
        apply_migrations(dsn)
        with psycopg.connect(dsn, autocommit=True) as c:
            row = c.execute("select duration, status, meeting_link, revision, ends_at::text, upper(slot)::text"
                            " from bookings where id = %s", [booking]).fetchone()
            assert row == (60, "confirmed", "https://meet.google.com/abc-defg-hij", 0,
                           "2026-12-02 00:30:00", "2026-12-02 00:30:00")
            # The seed's status check had no 'paid'; the console's replaces it.
            other = _book(c, str(expert), str(user), "2026-12-03", "10:00", status="paid")
            assert _one(c, "select status from bookings where id = %s", [other]) == "paid"
            with pytest.raises(pgerrors.CheckViolation):
                _book(c, str(expert), str(user), "2026-12-04", "10:00", status="lost")
            assert BOOKING_COLUMNS <= _schema_facts(dsn)["columns"]["bookings"]


# -- no double booking ------------------------------------------------------------------------------

def test_overlap_rejects_a_concurrent_second_booking_of_the_same_slot(db):
    with psycopg.connect(db, autocommit=True) as setup:
        expert, customer = _expert(setup), _customer(setup)
    first = psycopg.connect(db)
    second = psycopg.connect(db)
    outcome: dict[str, BaseException | str] = {}
    try:
        second.execute("set lock_timeout = '10s'")
        _book(first, expert, customer, "2026-12-10", "10:00")  # open transaction, not committed

        def book_second() -> None:
            try:
                outcome["id"] = _book(second, expert, customer, "2026-12-10", "10:30")
                second.commit()
            except psycopg.Error as exc:
                second.rollback()
                outcome["error"] = exc

        worker = threading.Thread(target=book_second)
        worker.start()
        wait_until_blocked(db, second.info.backend_pid)  # on the first one's uncommitted row
        first.commit()
        worker.join(10)
    finally:
        first.close()
        second.close()
    assert "id" not in outcome
    error = outcome["error"]
    assert isinstance(error, pgerrors.ExclusionViolation)
    assert error.sqlstate == "23P01"


def test_back_to_back_is_allowed_across_midnight_is_not_and_cancelled_frees_the_slot(conn):
    expert, customer = _expert(conn), _customer(conn)
    late = _book(conn, expert, customer, "2026-12-11", "23:30", 90)  # until 01:00 on the 12th
    _book(conn, expert, customer, "2026-12-12", "01:00", 60)  # starts when the first ends
    _book(conn, expert, customer, "2026-12-11", "22:30", 60)  # ends when the first starts
    with pytest.raises(pgerrors.ExclusionViolation):
        _book(conn, expert, customer, "2026-12-12", "00:30", 30)
    _book(conn, _expert(conn), customer, "2026-12-12", "00:30", 30)  # another expert is free then
    for status in ("paid", "confirmed"):
        conn.execute("update bookings set status = %s where id = %s", [status, late])
        with pytest.raises(pgerrors.ExclusionViolation):
            _book(conn, expert, customer, "2026-12-12", "00:00", 30)
    conn.execute("update bookings set status = 'cancelled' where id = %s", [late])
    _book(conn, expert, customer, "2026-12-12", "00:00", 30)


# -- row level security ---------------------------------------------------------------------------

def test_rls_an_expert_reads_only_their_bookings_and_a_customer_only_theirs(conn):
    sari_email = f"sari-{uuid.uuid4().hex[:6]}@example.com"
    sari, budi = _expert(conn, sari_email), _expert(conn)
    andi, citra = _customer(conn), _customer(conn)
    mine = _book(conn, sari, andi, "2026-12-20", "09:00")
    _book(conn, budi, citra, "2026-12-20", "09:00")
    _book(conn, budi, andi, "2026-12-21", "09:00")
    conn.execute("insert into booking_history (booking_id, event) values (%s, 'created')", [mine])

    expert_claims = {"sub": str(uuid.uuid4()), "email": sari_email.upper(), "email_verified": True,
                     "role": "authenticated"}
    with as_role(conn, "authenticated", expert_claims) as c:
        assert [str(r[0]) for r in c.execute("select id from bookings")] == [mine]
        assert [str(r[0]) for r in c.execute("select id from users")] == [andi]  # the names of their customers
        assert _one(c, "select count(*) from experts") >= 2  # the directory
    with as_role(conn, "authenticated", {"sub": andi, "email": "andi@example.com", "role": "authenticated"}) as c:
        assert _one(c, "select count(*) from bookings") == 2
        assert {str(r[0]) for r in c.execute("select user_id from bookings")} == {andi}
        assert [str(r[0]) for r in c.execute("select id from users")] == [andi]
    with as_role(conn, "authenticated", {"sub": citra, "role": "authenticated"}) as c:
        assert _one(c, "select count(*) from bookings") == 1
    with as_role(conn, "authenticated", {}) as c:
        assert _one(c, "select count(*) from bookings") == 0
    with as_role(conn, "anon", {"role": "anon"}) as c:
        assert _one(c, "select count(*) from bookings") == 0
        assert _one(c, "select count(*) from users") == 0
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        assert _one(c, "select count(*) from bookings where id = %s", [mine]) == 1
        assert _one(c, "select count(*) from booking_history where booking_id = %s", [mine]) == 1


def _auth_user(conn: psycopg.Connection, email: str, confirmed: bool) -> str:
    """A Supabase Auth user with ``email``, confirmed or not; returns its id."""
    return str(_one(conn, "insert into auth.users (id, email, email_confirmed_at) values (gen_random_uuid(), %s,"
                          " case when %s then now() end) returning id", [email, confirmed]))


def test_rls_an_expert_is_matched_only_on_a_verified_email(conn):
    """Someone who signed up with an expert's address but never confirmed it reads nothing of theirs."""
    sari_email = f"sari-{uuid.uuid4().hex[:6]}@example.com"
    sari, andi = _expert(conn, sari_email), _customer(conn)
    mine = _book(conn, sari, andi, "2026-12-21", "11:00")
    confirmed, unconfirmed = _auth_user(conn, sari_email, True), _auth_user(conn, sari_email.upper(), False)

    def reads(claims: dict[str, Any]) -> tuple[list[str], list[str]]:
        with as_role(conn, "authenticated", {"role": "authenticated", **claims}) as c:
            return ([str(r[0]) for r in c.execute("select id from bookings")],
                    [str(r[0]) for r in c.execute("select id from users")])

    nothing = ([], [])
    # A token whose issuer says the address is verified (third-party auth, an access token hook).
    assert reads({"sub": str(uuid.uuid4()), "email": sari_email, "email_verified": True}) == ([mine], [andi])
    assert reads({"sub": str(uuid.uuid4()), "email": sari_email, "email_verified": "true"}) == ([mine], [andi])
    # The claim says no: refused, even over a confirmed auth.users row.
    for claim in (False, "false"):
        assert reads({"sub": confirmed, "email": sari_email, "email_verified": claim}) == nothing
    # Supabase Auth's own tokens carry no such claim: its users table decides.
    assert reads({"sub": confirmed, "email": sari_email.upper()}) == ([mine], [andi])
    assert reads({"sub": unconfirmed, "email": sari_email.upper()}) == nothing
    assert reads({"sub": str(uuid.uuid4()), "email": sari_email}) == nothing  # no auth.users row at all
    # user_metadata is written by the user themself: it proves nothing.
    assert reads({"sub": unconfirmed, "email": sari_email,
                  "user_metadata": {"email": sari_email, "email_verified": True}}) == nothing
    # A confirmed row for another address does not vouch for the one in the token.
    other = _auth_user(conn, f"other-{uuid.uuid4().hex[:6]}@example.com", True)
    assert reads({"sub": other, "email": sari_email}) == nothing
    with as_role(conn, "authenticated", {"sub": confirmed, "email": sari_email, "role": "authenticated"}) as c, \
            pytest.raises(pgerrors.InsufficientPrivilege):
        c.execute("select count(*) from auth.users")


def test_rls_keeps_history_outbox_and_transitions_for_the_service_role(conn):
    expert, andi = _expert(conn), _customer(conn)
    booking = _book(conn, expert, andi, "2026-12-22", "09:00", status="paid")
    claims = {"sub": andi, "role": "authenticated"}
    for sql in ("select count(*) from booking_history", "select count(*) from email_outbox",
                "select count(*) from booking_confirm(%s, 'https://x', null, 0, now(), '[]', 'me', 'confirmed', 'me')"):
        with as_role(conn, "authenticated", claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
            c.execute(sql, [booking] if "%s" in sql else None)
    with as_role(conn, "authenticated", claims) as c:
        changed = c.execute("update bookings set status = 'confirmed' where id = %s", [booking]).rowcount
        assert changed == 0  # readable, but only the console changes bookings
    assert _one(conn, "select status from bookings where id = %s", [booking]) == "paid"


def test_rls_a_customer_may_create_only_their_own_pending_booking(conn):
    expert, andi, citra = _expert(conn), _customer(conn), _customer(conn)
    insert = ("insert into bookings (user_id, expert_id, session_type, scheduled_date, scheduled_time, duration,"
              " status, price) values (%s, %s, 'Career mentoring', '2026-12-23', '10:00', 60, %s, 250000)")
    with as_role(conn, "authenticated", {"sub": andi, "role": "authenticated"}) as c:
        c.execute(insert, [andi, expert, "pending"])
    for user, status in ((citra, "pending"), (andi, "paid")):
        with as_role(conn, "authenticated", {"sub": andi, "role": "authenticated"}) as c, \
                pytest.raises(pgerrors.InsufficientPrivilege):
            c.execute(insert, [user, expert, status])


def test_rls_a_customer_may_not_bring_a_payment_page_with_their_booking(conn):
    expert, andi = _expert(conn), _customer(conn)
    insert = ("insert into bookings (user_id, expert_id, session_type, scheduled_date, scheduled_time, duration,"
              " status, price, payment_url, payment_attempts) values (%s, %s, 'Career mentoring', '2026-12-24',"
              " '10:00', 60, 'pending', 250000, %s, %s)")
    for url, attempts in (("https://evil.example/pay", 0), (None, 3)):
        with as_role(conn, "authenticated", {"sub": andi, "role": "authenticated"}) as c, \
                pytest.raises(pgerrors.InsufficientPrivilege):
            c.execute(insert, [andi, expert, url, attempts])
    with as_role(conn, "authenticated", {"sub": andi, "role": "authenticated"}) as c:
        c.execute(insert, [andi, expert, None, 0])
        with pytest.raises(pgerrors.InsufficientPrivilege):
            c.execute("select * from booking_start_payment(gen_random_uuid(), 'o', 't', 'u', now(), 'me', 'e', 'd')")


def test_each_transition_function_has_one_signature_taking_its_history_line(conn):
    """PostgREST picks a function by its argument names: each transition that writes history has
    exactly one signature, and it takes the line (p_event, p_detail) the service worded; only the
    service role may run it."""
    names = ["booking_create", "booking_mark_paid", "booking_record_link_attempt", "booking_confirm",
             "booking_reschedule", "booking_cancel", "booking_start_payment", "booking_payment_failed",
             "booking_complete_ended", "booking_expire_pending"]
    rows = conn.execute(
        "select p.proname, p.proargnames, p.pronargdefaults, has_function_privilege('anon', p.oid, 'execute'),"
        " has_function_privilege('authenticated', p.oid, 'execute'),"
        " has_function_privilege('service_role', p.oid, 'execute')"
        " from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'public' and p.proname = any(%s) order by p.proname", [names]).fetchall()
    assert sorted(r[0] for r in rows) == sorted(names)  # one each
    for name, args, defaults, anon, authenticated, service in rows:
        # The line comes last, or before trailing parameters that have defaults (added later:
        # a call without them does what it did).
        assert args[len(args) - defaults - 2:len(args) - defaults] == ["p_event", "p_detail"], name
        assert (anon, authenticated, service) == (False, False, True), name
    folded = {r[0]: r[1][-r[2]:] for r in rows if r[2]}
    assert folded == {"booking_mark_paid": ["p_count_attempt", "p_lease_until"],
                      "booking_confirm": ["p_attempt_event", "p_attempt_detail"],
                      "booking_expire_pending": ["p_limit"], "booking_create": ["p_session_type_id"]}


def test_mark_paid_counts_the_attempt_and_takes_the_link_lease_in_its_statement_when_asked(conn):
    expert, andi = _expert(conn), _customer(conn)
    plain = _book(conn, expert, andi, "2026-12-27", "09:00")
    held = _book(conn, expert, andi, "2026-12-27", "11:00")
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        # Without the new arguments: as before (no attempt, no lease).
        assert c.execute("select status, payment_attempts, link_lease_until from booking_mark_paid(%s, 'DEMO-1',"
                         " now(), 'ops', 'paid', 'payment DEMO-1')", [plain]).fetchone() == ("paid", 0, None)
        row = c.execute("select status, payment_attempts, link_lease_until > now() from booking_mark_paid(%s,"
                        " 'DEMO-2', now(), 'ops', 'paid', 'payment DEMO-2', p_count_attempt => true,"
                        " p_lease_until => now() + interval '5 minutes')", [held]).fetchone()
        assert row == ("paid", 1, True)
        # Not pending any more: nothing counted, no lease moved, no second line.
        assert _one(c, "select count(*) from booking_mark_paid(%s, 'DEMO-3', now(), 'ops', 'paid', 'again',"
                       " true, now() + interval '1 hour')", [held]) == 0
        assert c.execute("select payment_attempts, link_lease_until < now() + interval '6 minutes' from bookings"
                         " where id = %s", [held]).fetchone() == (1, True)
        assert [r[0] for r in c.execute("select detail from booking_history where booking_id = %s order by id",
                                        [held])] == ["payment DEMO-2"]


def test_confirm_counts_and_logs_the_link_attempt_before_its_line_only_when_it_confirms(conn):
    expert, andi = _expert(conn), _customer(conn)
    booking = _book(conn, expert, andi, "2026-12-28", "09:00", status="paid")
    pending = _book(conn, expert, andi, "2026-12-28", "11:00")
    call = ("select count(*) from booking_confirm(%s, 'https://meet.example/x', null, 0, now(), %s, 'ops',"
            " 'confirmed', 'jitsi link created', p_attempt_event => 'link attempt', p_attempt_detail => 'ok')")
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        assert _one(c, call, [pending, _emails(pending)]) == 0
        assert _one(c, "select link_attempts from bookings where id = %s", [pending]) == 0
        assert _one(c, "select count(*) from booking_history where booking_id = %s", [pending]) == 0
        assert _one(c, call, [booking, _emails(booking)]) == 1
        assert _one(c, call, [booking, _emails(booking)]) == 0  # confirmed already: no second attempt
        assert c.execute("select status, link_attempts, last_error from bookings where id = %s",
                         [booking]).fetchone() == ("confirmed", 1, None)
        assert [tuple(r) for r in c.execute("select event, detail from booking_history where booking_id = %s"
                                            " order by id", [booking])] == [
            ("link attempt", "ok"), ("confirmed", "jitsi link created")]


def test_payment_functions_act_only_on_a_pending_booking(conn):
    expert, andi = _expert(conn), _customer(conn)
    booking = _book(conn, expert, andi, "2026-12-26", "09:00")
    assert _one(conn, "select payment_attempts from booking_add_payment_attempt(%s)", [booking]) == 1
    assert _one(conn, "select payment_url from booking_start_payment(%s, 'CE-x-1', 'tok', 'https://pay', now(), 'ops',"
                      " 'payment started', 'order CE-x-1')", [booking]) == "https://pay"
    assert _one(conn, "select status from booking_payment_failed(%s, 'expired', now(), 'midtrans', 'cancelled',"
                      " 'expired')", [booking]) == "cancelled"
    assert _one(conn, "select count(*) from booking_payment_failed(%s, 'again', now(), 'midtrans', 'cancelled',"
                      " 'again')", [booking]) == 0
    assert _one(conn, "select count(*) from booking_add_payment_attempt(%s)", [booking]) == 0
    events = [r[0] for r in conn.execute("select event from booking_history where booking_id = %s order by id",
                                         [booking])]
    assert events == ["payment started", "cancelled"]


# -- the functions ----------------------------------------------------------------------------------

def test_confirm_twice_confirms_once_and_queues_each_email_once(conn):
    expert, andi = _expert(conn), _customer(conn)
    booking = _book(conn, expert, andi, "2026-12-24", "09:00", status="paid")
    call = ("select count(*) from booking_confirm(%s, 'https://meet.example/x', 'ev1', 0, now(), %s, 'ops',"
            " 'confirmed', 'link')")
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        assert _one(c, call, [booking, _emails(booking)]) == 1
        assert _one(c, call, [booking, _emails(booking)]) == 0
        assert _one(c, "select status from bookings where id = %s", [booking]) == "confirmed"
        assert _one(c, "select count(*) from email_outbox where booking_id = %s", [booking]) == 2
        assert _one(c, "select count(*) from booking_history where booking_id = %s and event = 'confirmed'",
                    [booking]) == 1
        c.execute("select email_queue(%s, now())", [_emails(booking)])  # a retried queueing adds nothing
        assert _one(c, "select count(*) from email_outbox where booking_id = %s", [booking]) == 2


def test_two_connections_confirming_at_once_confirm_once(db):
    with psycopg.connect(db, autocommit=True) as setup:
        booking = _book(setup, _expert(setup), _customer(setup), "2026-12-26", "09:00", status="paid")
    call = "select count(*) from booking_confirm(%s, %s, null, 0, now(), %s, 'ops', 'confirmed', 'link')"
    first, second = psycopg.connect(db), psycopg.connect(db)
    results: list[int] = []
    try:
        results.append(_one(first, call, [booking, "https://meet.example/first", _emails(booking)]))
        worker = threading.Thread(target=lambda: results.append(
            _one(second, call, [booking, "https://meet.example/second", _emails(booking)])))
        worker.start()
        wait_until_blocked(db, second.info.backend_pid)  # on the first one's row lock
        first.commit()
        worker.join(10)
        second.commit()
    finally:
        first.close()
        second.close()
    assert results == [1, 0]
    with psycopg.connect(db, autocommit=True) as check:
        assert _one(check, "select meeting_link from bookings where id = %s", [booking]) == "https://meet.example/first"
        assert _one(check, "select count(*) from email_outbox where booking_id = %s", [booking]) == 2


def test_email_claims_from_two_dispatchers_never_overlap(db):
    with psycopg.connect(db, autocommit=True) as setup:
        booking = _book(setup, _expert(setup), _customer(setup), "2026-12-27", "09:00", status="paid")
        setup.execute("select email_queue(%s, now())", [_emails(booking)])
        setup.execute("update email_outbox set lease_until = now() + interval '1 hour' where booking_id <> %s"
                      " and status = 'queued'", [booking])  # other tests' rows are out of the way
    claim = "select id from email_claim_queued(now(), now() + interval '5 minutes', %s)"
    first, second = psycopg.connect(db), psycopg.connect(db)
    try:
        a = [r[0] for r in first.execute(claim, [1])]
        b = [r[0] for r in second.execute(claim, [10])]  # skips the row the first one holds
        first.commit()
        second.commit()
        again = [r[0] for r in first.execute(claim, [10])]
        first.commit()
    finally:
        first.close()
        second.close()
    assert len(a) == 1 and len(b) == 1 and set(a).isdisjoint(b)
    assert again == []  # both leases still hold


def test_create_is_idempotent_on_the_request_key_and_reuses_the_customer_by_email(conn):
    expert = _expert(conn)
    key = f"form-{uuid.uuid4()}"
    email = f"dewi-{uuid.uuid4().hex[:6]}@example.com"
    call = ("select id from booking_create(%s, %s, 'Career mentoring', '2026-12-28', '10:00', 60, 250000, null,"
            " 'Dewi', %s, %s, 'ops', 'created', 'pending, Rp 250.000')")
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        first = _one(c, call, [str(uuid.uuid4()), expert, email, key])
        again = _one(c, call, [str(uuid.uuid4()), expert, email.upper(), key])
        assert first == again
        assert _one(c, "select count(*) from users where lower(email) = lower(%s)", [email]) == 1
        assert _one(c, "select detail from booking_history where booking_id = %s", [first]) == "pending, Rp 250.000"
        with pytest.raises(pgerrors.ExclusionViolation):
            _one(c, call, [str(uuid.uuid4()), expert, email, None])


def test_reschedule_refuses_a_stale_revision_and_an_inactive_booking(conn):
    expert, andi = _expert(conn), _customer(conn)
    booking = _book(conn, expert, andi, "2026-12-29", "09:00", status="confirmed")
    move = ("select revision from booking_reschedule(%s, %s, '2026-12-30', %s, now(), '[]', 'ops', 'rescheduled',"
            " 'moved')")
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        assert _one(c, move, [booking, 0, "11:00"]) == 1
        with pytest.raises(pgerrors.ObjectNotInPrerequisiteState):
            _one(c, move, [booking, 0, "12:00"])
    conn.execute("update bookings set status = 'cancelled' where id = %s", [booking])
    with as_role(conn, "service_role", {"role": "service_role"}) as c, \
            pytest.raises(pgerrors.ObjectNotInPrerequisiteState, match="cancelled booking cannot be rescheduled"):
        _one(c, move, [booking, 0, "12:00"])


# -- the database computes the price, offers only the console's durations, expires unpaid holds ----

def _customer_insert(c: psycopg.Connection, customer: str, expert: str, day: str, at: str, minutes: int,
                     price: int = 1, created_at: str | None = None) -> tuple[str, int, Any]:
    """A signed-in customer's own insert, as the platform's booking page makes it."""
    row = c.execute(
        "insert into bookings (user_id, expert_id, session_type, scheduled_date, scheduled_time, duration, status,"
        " price, created_at) values (%s, %s, 'Career mentoring', %s, %s, %s, 'pending', %s,"
        " coalesce(%s::timestamptz, now())) returning id, price, created_at",
        [customer, expert, day, at, minutes, price, created_at]).fetchone()
    return str(row[0]), int(row[1]), row[2]


def test_a_customer_cannot_choose_the_price_of_their_booking(conn):
    from lib.domain import ALLOWED_DURATIONS
    from lib.validation import price_for

    andi = _customer(conn)
    claims = {"sub": andi, "role": "authenticated"}
    # 333.333 per hour rounds at every length; 1 per hour rounds half up (30 min = Rp 0,5 -> 1).
    for rate in (400_000, 333_333, 1, 0):
        expert = str(_one(conn, "insert into experts (name, email, hourly_rate) values ('Rina', %s, %s)"
                                " returning id", [f"rina-{uuid.uuid4().hex[:8]}@example.com", rate]))
        for n, minutes in enumerate(ALLOWED_DURATIONS):
            with as_role(conn, "authenticated", claims) as c:
                _, stored, _ = _customer_insert(c, andi, expert, "2027-01-04", f"{8 + 2 * n:02d}:00", minutes)
            assert stored == price_for(rate, minutes), (rate, minutes)
    # A created_at in the future would dodge the expiry; it becomes now.
    expert = _expert(conn)
    with as_role(conn, "authenticated", claims) as c:
        _, stored, created = _customer_insert(c, andi, expert, "2027-01-05", "09:00", 60, price=10**9,
                                              created_at="2036-01-01T00:00:00Z")
        assert stored == 250_000
        assert created <= _one(c, "select now()")


def test_the_console_path_stores_the_price_from_the_rate_too(conn):
    expert = _expert(conn)  # 250.000 per hour
    call = ("select price from booking_create(%s, %s, 'Career mentoring', '2027-01-06', '10:00', 90, %s, null,"
            " 'Dewi', %s, null, 'ops', 'created', 'pending')")
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        assert _one(c, call, [str(uuid.uuid4()), expert, 375_000, f"dewi-{uuid.uuid4().hex[:6]}@example.com"]) \
            == 375_000
        assert _one(c, call.replace("10:00", "13:00"), [str(uuid.uuid4()), expert, 1,
                                                        f"dewi-{uuid.uuid4().hex[:6]}@example.com"]) == 375_000


def test_durations_are_only_the_offered_lengths(conn):
    from lib.domain import ALLOWED_DURATIONS

    expert, andi = _expert(conn), _customer(conn)
    claims = {"sub": andi, "role": "authenticated"}
    for minutes in (5_256_000, 75, 121, 0):  # ten years of one expert's time, and odd lengths
        with as_role(conn, "authenticated", claims) as c, pytest.raises(pgerrors.CheckViolation):
            _customer_insert(c, andi, expert, "2027-01-07", "10:00", minutes)
        with pytest.raises(pgerrors.CheckViolation):
            _book(conn, expert, andi, "2027-01-07", "10:00", minutes)  # the service role too
    checks = _one(conn, "select pg_get_constraintdef(oid) from pg_constraint"
                        " where conrelid = 'public.bookings'::regclass and conname = 'bookings_duration_check'")
    assert sorted(int(n) for n in re.findall(r"\d+", checks)) == sorted(ALLOWED_DURATIONS)


def test_an_expired_booking_no_longer_holds_its_slot(conn):
    expert, andi, budi = _expert(conn), _customer(conn), _customer(conn)
    stale = _book(conn, expert, budi, "2027-01-08", "10:00", 120)
    fresh = _book(conn, expert, budi, "2027-01-08", "14:00")
    settled = _book(conn, expert, budi, "2027-01-08", "16:00", status="paid")
    conn.execute("update bookings set created_at = now() - interval '45 minutes' where id = any(%s::uuid[])",
                 [[stale, settled]])
    claims = {"sub": andi, "role": "authenticated"}
    with as_role(conn, "authenticated", claims) as c, pytest.raises(pgerrors.ExclusionViolation):
        _customer_insert(c, andi, expert, "2027-01-08", "11:00", 60)  # held by the unpaid booking
    with as_role(conn, "authenticated", claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
        c.execute("select * from booking_expire_pending(now(), now(), 'me', 'expired', 'late')")

    expire = ("select id from booking_expire_pending(now() - interval '30 minutes', now(), 'cli', 'expired',"
              " 'not paid in time; the slot is free again')")
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        assert [str(r[0]) for r in c.execute(expire)] == [stale]
        statuses = dict(c.execute("select id::text, status from bookings where id = any(%s::uuid[])",
                                  [[stale, fresh, settled]]).fetchall())
        assert statuses == {stale: "expired", fresh: "pending", settled: "paid"}
        assert c.execute("select event, actor from booking_history where booking_id = %s", [stale]).fetchall() == \
            [("expired", "cli")]
        assert c.execute(expire).fetchall() == []  # a second run expires nothing twice
        # The slot is free for anyone again, in the same transaction now as a signed-in customer.
        c.execute("set local role authenticated")
        c.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])
        _customer_insert(c, andi, expert, "2027-01-08", "11:00", 60)
        with pytest.raises(pgerrors.ExclusionViolation):  # the fresh unpaid booking still holds its own
            _customer_insert(c, andi, expert, "2027-01-08", "14:30", 30)


def test_expire_pending_takes_a_limit_and_a_call_without_one_expires_at_most_1000(conn):
    """A batch within PostgREST's Max rows (1,000): the console hears of every booking it expired.
    A call of the previous release (no p_limit) keeps working, 1,000 at a time."""
    expert, budi = _expert(conn), _customer(conn)
    # A cutoff before any other test's bookings: only these are stale.
    expire = ("select count(*) from booking_expire_pending(now() - interval '9 days', now(), 'cli', 'expired',"
              " 'late'{})")
    with as_role(conn, "service_role", {"role": "service_role"}) as c:  # rolled back: no stale holds stay
        c.execute(
            "insert into bookings (user_id, expert_id, session_type, scheduled_date, scheduled_time, duration, price,"
            " created_at) select %s, %s, 'Career mentoring', date '2027-02-01' + i / 10,"
            " time '08:00' + (i %% 10) * interval '1 hour', 60, 250000, now() - interval '10 days'"
            " from generate_series(0, 1001) i", [budi, expert])  # 1,002 stale holds
        assert _one(c, expire.format(", p_limit => 2")) == 2
        assert _one(c, expire.format("")) == 1000
        assert _one(c, expire.format(", 500")) == 0
        for bad in ("0", "null"):
            with pytest.raises(pgerrors.InvalidParameterValue), c.transaction():
                c.execute(expire.format(f", p_limit => {bad}"))
        assert _one(c, "select count(*) from bookings where expert_id = %s and status = 'expired'", [expert]) == 1002


def test_a_payment_racing_the_expiry_wins(db):
    with psycopg.connect(db, autocommit=True) as setup:
        booking = _book(setup, _expert(setup), _customer(setup), "2027-01-09", "10:00")
        setup.execute("update bookings set created_at = now() - interval '1 hour' where id = %s", [booking])
    payer, expirer = psycopg.connect(db), psycopg.connect(db)
    expired: list[str] = []
    try:
        assert _one(payer, "select status from booking_mark_paid(%s, 'order-1', now(), 'midtrans', 'paid',"
                           " 'payment order-1')", [booking]) \
            == "paid"  # not committed yet
        worker = threading.Thread(target=lambda: expired.extend(str(r[0]) for r in expirer.execute(
            "select id from booking_expire_pending(now(), now(), 'cli', 'expired', 'late')")))
        worker.start()
        wait_until_blocked(db, expirer.info.backend_pid)  # on the payment's row lock
        payer.commit()
        worker.join(10)
        expirer.commit()
    finally:
        payer.close()
        expirer.close()
    assert booking not in expired
    with psycopg.connect(db, autocommit=True) as check:
        assert _one(check, "select status from bookings where id = %s", [booking]) == "paid"
        assert [r[0] for r in check.execute("select event from booking_history where booking_id = %s order by id",
                                            [booking])] == ["paid"]


def test_rls_an_expert_edits_only_their_own_availability_and_ops_anyones(conn):
    sari_email = f"sari-{uuid.uuid4().hex[:6]}@example.com"
    sari, budi = _expert(conn, sari_email), _expert(conn)
    sari_user = _auth_user(conn, sari_email, True)
    schedule = json.dumps({"timezone": "Asia/Jakarta", "weekly": {"mon": [["09:00", "12:00"]]}, "overrides": {},
                           "buffer_before": 0, "buffer_after": 15, "min_notice_minutes": 60,
                           "slot_step_minutes": 30, "max_per_day": None, "horizon_days": 60})
    put = "select public.expert_availability_put(%s, %s::jsonb)"
    sari_claims = {"sub": sari_user, "email": sari_email, "role": "authenticated"}
    with as_role(conn, "authenticated", sari_claims) as c:
        c.execute(put, [sari, schedule])  # their own: allowed, and again (update)
        c.execute(put, [sari, schedule.replace('"buffer_after": 15', '"buffer_after": 30')])
        assert _one(c, "select buffer_after from expert_availability where expert_id = %s", [sari]) == 30
    with as_role(conn, "authenticated", sari_claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
        c.execute(put, [budi, schedule])  # another expert's: refused
    with as_role(conn, "service_role", {"role": "service_role"}, keep=True) as c:
        c.execute(put, [budi, schedule])  # the role the console uses (ops) sets anyone's
    assert _one(conn, "select horizon_days from expert_availability where expert_id = %s", [budi]) == 60
    with as_role(conn, "authenticated", sari_claims) as c:
        assert c.execute("update expert_availability set horizon_days = 1 where expert_id = %s", [budi]).rowcount == 0
        assert c.execute("delete from expert_availability where expert_id = %s", [budi]).rowcount == 0
    assert _one(conn, "select horizon_days from expert_availability where expert_id = %s", [budi]) == 60
    # An unconfirmed sign-up with Sari's address is nobody.
    unconfirmed = _auth_user(conn, sari_email.upper(), False)
    with as_role(conn, "authenticated", {"sub": unconfirmed, "email": sari_email, "role": "authenticated"}) as c, \
            pytest.raises(pgerrors.InsufficientPrivilege):
        c.execute(put, [sari, schedule])
    with as_role(conn, "anon", {}) as c, pytest.raises(pgerrors.InsufficientPrivilege):
        c.execute("select * from expert_availability")
    with pytest.raises(pgerrors.CheckViolation):
        conn.execute(put, [sari, schedule.replace('"slot_step_minutes": 30', '"slot_step_minutes": 7')])
    with pytest.raises(pgerrors.CheckViolation):
        conn.execute(put, [sari, schedule.replace('"mon"', '"monday"')])


# Documents an expert could send through Supabase directly, each refused with the limit or rule
# in the console's words (lib/scheduling/words.py). All but the last two the console could not read.
_STRICTER = (
    ({"timezone": "posix/Asia/Jakarta"}, "“posix/Asia/Jakarta” is not a time zone name"),  # not on the page's list
    ({"overrides": {"9999-12-31": []}}, "Friday, 31 December 9999: a date override can be at most 730 days ahead"),
)
_REFUSED = (
    ({"timezone": "Not/AZone", "weekly": {"mon": [["25:00", "xx"]]}, "overrides": {"not-a-date": 5}},
     "“Not/AZone” is not a time zone name such as Asia/Jakarta."),
    ({"weekly": {"mon": [["25:00", "26:00"]]}}, "Monday, first range (25:00–26:00): 25:00 is not a time of day"),
    ({"weekly": {"tue": [["09:00", "xx"]]}}, "Tuesday, first range (09:00–xx): “xx” is not a time written HH:MM"),
    ({"weekly": {"mon": [["9:60", "10:00"]]}}, "9:60 is not a time of day"),
    ({"weekly": {"mon": [["24:00", "24:00"]]}}, "24:00 can only end a range"),
    ({"weekly": {"mon": [[9, 17]]}}, "is not a time written HH:MM"),
    ({"weekly": {"mon": [["17:00", "09:00"]]}}, "Monday, first range (17:00–09:00): the end is before the start."),
    ({"weekly": {"mon": [["09:00", "09:00"]]}}, "the end is the same as the start."),
    ({"weekly": {"mon": [["09:00"]]}}, "Monday, first range: must be a [start, end] pair"),
    ({"weekly": {"mon": "09:00-17:00"}}, "Monday: the hours must be a list of [start, end] pairs"),
    ({"weekly": {"wed": [["11:00", "13:00"], ["09:00", "12:00"]]}}, "Wednesday: 09:00–12:00 and 11:00–13:00 overlap."),
    ({"weekly": {"wed": [["12:00", "13:00"], ["09:00", "12:00"]]}},
     "Wednesday: 09:00–12:00 and 12:00–13:00 touch; write them as one range, 09:00–13:00."),
    ({"weekly": {"fri": [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(7)]}}, "Friday: at most 6 ranges a day, not 7."),
    ({"weekly": []}, "The weekly hours (weekly) must be an object"),
    ({"overrides": {"not-a-date": []}}, "“not-a-date” is not a date written YYYY-MM-DD"),
    ({"overrides": {"2027-02-30": []}}, "“2027-02-30” is not a date written YYYY-MM-DD"),
    ({"overrides": {"0000-01-01": []}}, "“0000-01-01” is not a date written YYYY-MM-DD"),
    ({"overrides": {"2027-01-05": 5}}, "Tuesday, 5 January 2027: the hours must be a list"),
    ({"overrides": {"2027-01-05": [["13:00", "12:00"]]}},
     "Tuesday, 5 January 2027, first range (13:00–12:00): the end is before the start."),
    ({"overrides": {str(date.today() + timedelta(days=i)): [] for i in range(367)}},
     "at most 366 date overrides, not 367"),
    ({"overrides": []}, "The date overrides (overrides) must be an object"),
)


def _document(**changes: Any) -> dict[str, Any]:
    return {"timezone": "Asia/Jakarta", "weekly": {"mon": [["09:00", "12:00"], ["13:00", "17:00"]]},
            "overrides": {}, "buffer_before": 0, "buffer_after": 15, "min_notice_minutes": 60,
            "slot_step_minutes": 30, "max_per_day": None, "horizon_days": 60, **changes}


def test_an_expert_cannot_store_availability_the_console_cannot_read_or_past_the_limits(conn):
    from lib.errors import InvalidInput
    from lib.scheduling import from_json

    email = f"sari-{uuid.uuid4().hex[:6]}@example.com"
    sari = _expert(conn, email)
    claims = {"sub": _auth_user(conn, email, True), "email": email, "role": "authenticated"}
    put = "select public.expert_availability_put(%s, %s::jsonb)"
    for changes, words in _REFUSED + _STRICTER:
        with as_role(conn, "authenticated", claims) as c, pytest.raises(pgerrors.CheckViolation) as refused:
            c.execute(put, [sari, json.dumps(_document(**changes))])
        assert words in refused.value.diag.message_primary, changes
        if (changes, words) in _REFUSED:
            with pytest.raises(InvalidInput):  # the console could not have read it
                from_json(_document(**changes))
    # 2,000 overrides of 359 ranges (14 MB) are refused at their size, before any is read.
    huge = _document(overrides={str(date(2027, 1, 1) + timedelta(days=i)): [["09:00", "09:01"]] * 359
                                for i in range(2000)})
    with as_role(conn, "authenticated", claims) as c, pytest.raises(pgerrors.CheckViolation) as refused:
        c.execute(put, [sari, json.dumps(huge)])
    assert refused.value.diag.message_primary.startswith(
        "The availability is too large: an availability can be at most 65536 bytes (64 KB) of JSON, not ")
    # The table itself checks too (an expert may update their own row without the function).
    with as_role(conn, "authenticated", claims) as c:
        c.execute(put, [sari, json.dumps(_document())])
        with pytest.raises(pgerrors.CheckViolation):
            c.execute("update expert_availability set weekly = %s where expert_id = %s",
                      [json.dumps({"mon": [["25:00", "xx"]]}), sari])
    # The service role (the console) is held to the same rules.
    with as_role(conn, "service_role", {"role": "service_role"}) as c, pytest.raises(pgerrors.CheckViolation):
        c.execute(put, [sari, json.dumps(_document(timezone="Not/AZone"))])


def test_the_largest_availability_the_console_writes_is_stored_and_reads_back_equal(conn):
    from lib.scheduling import Availability, TimeRange, from_json, to_json
    from lib.scheduling.model import MAX_OVERRIDE_DAYS_AHEAD, MAX_OVERRIDES, MAX_RANGES_PER_DAY

    email = f"sari-{uuid.uuid4().hex[:6]}@example.com"
    sari = _expert(conn, email)
    claims = {"sub": _auth_user(conn, email, True), "email": email, "role": "authenticated"}
    day = tuple(TimeRange(start, start + 59) for start in range(0, MAX_RANGES_PER_DAY * 120, 120))
    today = date.today()
    last = today + timedelta(days=MAX_OVERRIDE_DAYS_AHEAD - 1)  # the zone's today may be a day after UTC's
    largest = Availability(weekly=(day,) * 6 + ((TimeRange(1380, 1440),),), timezone="Pacific/Kiritimati",
                           overrides=tuple((last - timedelta(days=i), day) for i in range(MAX_OVERRIDES)),
                           max_per_day=96)
    document = to_json(largest, expert=sari)
    with as_role(conn, "authenticated", claims) as c:
        c.execute("select public.expert_availability_put(%s, %s::jsonb)", [sari, json.dumps(document)])
        row = c.execute("select to_jsonb(a) - 'expert_id' - 'updated_at' from expert_availability a"
                        " where expert_id = %s", [sari]).fetchone()[0]
    assert from_json(row) == largest


def test_rows_stored_before_the_check_are_kept_and_replaced_by_a_good_save(conn):
    sari = _expert(conn)
    conn.execute("set session_replication_role = replica")  # as if written before the migration
    try:
        conn.execute("insert into expert_availability (expert_id, timezone, weekly) values (%s, 'Not/AZone', %s)",
                     [sari, json.dumps({"mon": [["25:00", "xx"]]})])
    finally:
        conn.execute("set session_replication_role = origin")
    conn.execute("select public.expert_availability_put(%s, %s::jsonb)", [sari, json.dumps(_document())])
    assert _one(conn, "select timezone from expert_availability where expert_id = %s", [sari]) == "Asia/Jakarta"


def test_rls_only_the_service_role_changes_a_calendar_id(conn):
    """An expert could point the organizer's free/busy reads at anyone's calendar: now only the
    console (the service role, where only ops may) writes the column, for every expert."""
    sari_email = f"sari-{uuid.uuid4().hex[:6]}@example.com"
    sari, budi = _expert(conn, sari_email), _expert(conn)
    sari_claims = {"sub": _auth_user(conn, sari_email, True), "email": sari_email.upper(), "role": "authenticated"}
    set_calendar = "update experts set calendar_id = %s where id = %s"
    for expert in (sari, budi):  # their own and another's: refused alike
        for role, claims in (("authenticated", sari_claims), ("anon", {"role": "anon"})):
            with as_role(conn, role, claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
                c.execute(set_calendar, ["ceo@example.com", expert])
    for column, value in (("hourly_rate", 1), ("email", "someone.else@example.com"), ("name", "Not Sari")):
        with as_role(conn, "authenticated", sari_claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
            c.execute(f"update experts set {column} = %s where id = %s", [value, sari])
    assert _one(conn, "select count(*) from pg_policies where tablename = 'experts' and cmd <> 'SELECT'") == 0
    with as_role(conn, "service_role", {"role": "service_role"}, keep=True) as c:
        assert c.execute(set_calendar, ["sari.team@example.com", sari]).rowcount == 1  # the console: anyone's
        assert c.execute(set_calendar, ["budi.cal@example.com", budi]).rowcount == 1
        assert c.execute("update experts set hourly_rate = 1 where id = %s", [budi]).rowcount == 1
    assert _one(conn, "select calendar_id from experts where id = %s", [sari]) == "sari.team@example.com"
    assert _one(conn, "select calendar_id from experts where id = %s", [budi]) == "budi.cal@example.com"
    for bad in ("two words@example.com", "tab\there@example.com", "x" * 255, " padded@example.com", ""):
        with as_role(conn, "service_role", {"role": "service_role"}) as c, pytest.raises(pgerrors.CheckViolation):
            c.execute(set_calendar, [bad, budi])


def test_rls_calendar_ids_are_read_by_the_service_role_only_and_the_directory_by_signed_in_users(conn):
    sari_email = f"sari-{uuid.uuid4().hex[:6]}@example.com"
    sari = _expert(conn, sari_email)
    budi = str(_one(conn, "insert into experts (name, email, hourly_rate, expertise, calendar_id)"
                          " values ('Budi', %s, 300000, 'Tax', 'budi.private@example.com') returning id",
                    [f"budi-{uuid.uuid4().hex[:6]}@example.com"]))
    sari_claims = {"sub": _auth_user(conn, sari_email, True), "email": sari_email, "role": "authenticated"}
    customer = {"sub": _customer(conn), "role": "authenticated"}
    for claims in (sari_claims, customer):  # another expert, a customer: not through the API
        for sql in ("select calendar_id from experts where id = %s", "select * from experts where id = %s",
                    "select id from experts where id = %s and calendar_id like 'budi%%'"):
            with as_role(conn, "authenticated", claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
                c.execute(sql, [budi])
        with as_role(conn, "authenticated", claims) as c:  # the directory itself stays readable
            row = c.execute("select name, email, hourly_rate, expertise from experts where id = %s", [budi]).fetchone()
            assert row[0] == "Budi" and row[2] == 300000 and row[3] == "Tax"
    with as_role(conn, "anon", {"role": "anon"}) as c, pytest.raises(pgerrors.InsufficientPrivilege):
        c.execute("select name from experts")
    with as_role(conn, "service_role", {"role": "service_role"}) as c:  # the console, for ops and the expert
        assert _one(c, "select calendar_id from experts where id = %s", [budi]) == "budi.private@example.com"
        assert _one(c, "select count(*) from experts where id in (%s, %s)", [sari, budi]) == 2


def test_no_security_definer_function_in_public_is_executable_by_anon_or_signed_in_users(conn):
    exposed = conn.execute(
        "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'public' and p.prosecdef"
        "   and (has_function_privilege('anon', p.oid, 'EXECUTE')"
        "        or has_function_privilege('authenticated', p.oid, 'EXECUTE'))").fetchall()
    assert exposed == []
    # The verified-email check the policies call lives where the API cannot reach it.
    assert _one(conn, "select to_regprocedure('public.jwt_verified_email()')") is None
    assert _one(conn, "select has_schema_privilege('anon', 'private', 'USAGE')") is False
    assert _one(conn, "select has_function_privilege('anon', 'private.jwt_verified_email()', 'EXECUTE')") is False
    assert _one(conn, "select count(*) from pg_policies where schemaname = 'public'"
                      " and concat(qual, with_check) like '%%jwt_verified_email%%'") == 6
    assert _one(conn, "select count(*) from pg_policies where schemaname = 'public'"
                      " and concat(qual, with_check) like '%%public.jwt_verified_email%%'") == 0
    with as_role(conn, "authenticated", {"sub": _customer(conn), "role": "authenticated"}) as c, \
            pytest.raises(pgerrors.UndefinedFunction):
        c.execute("select public.jwt_verified_email()")


def test_job_runs_are_for_the_service_role_only(conn):
    record = ("select job_run_record('create-links', 'host:1', now() - interval '1 second', now(), 'ok', '',"
              " '{\"confirmed\": 1}', 14)")
    customer = {"sub": _customer(conn), "role": "authenticated"}
    for role, claims in (("anon", {"role": "anon"}), ("authenticated", customer)):
        for sql in ("select count(*) from job_runs", "select count(*) from job_runs_latest", record):
            with as_role(conn, role, claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
                c.execute(sql)
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        c.execute(record)
        c.execute(record.replace("'ok'", "'failed'").replace("'', ", "'Calendar down', "))
        rows = c.execute("select job, outcome, message, counts from job_runs_latest").fetchall()
        assert rows == [("create-links", "failed", "Calendar down", {"confirmed": 1})]
        with pytest.raises(pgerrors.CheckViolation):
            c.execute(record.replace("'ok'", "'maybe'"))


def test_join_tokens_and_clicks_are_for_the_service_role_only(conn):
    customer = _customer(conn)
    booking = _book(conn, _expert(conn), customer, "2030-03-11", "10:00", status="confirmed")
    issue = f"select * from join_tokens_issue('{booking}', '{{\"customer\": \"{'c' * 43}\"}}', now())"
    claims = {"sub": customer, "role": "authenticated"}  # the booking's own customer
    for role, who in (("anon", {"role": "anon"}), ("authenticated", claims)):
        for sql in ("select count(*) from join_tokens", "select count(*) from join_clicks", issue,
                    f"select * from join_click_counts('{booking}')",
                    f"insert into join_clicks (booking_id, person) values ('{booking}', 'customer')"):
            with as_role(conn, role, who) as c, pytest.raises(pgerrors.InsufficientPrivilege):
                c.execute(sql)
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        assert c.execute(issue).fetchall() == [("customer", "c" * 43)]
        assert c.execute(issue.replace("c" * 43, "d" * 43)).fetchall() == [("customer", "c" * 43)]  # kept
        c.execute(f"insert into join_clicks (booking_id, person) values ('{booking}', 'customer')")
        assert [r[:2] for r in c.execute(f"select * from join_click_counts('{booking}')")] == [("customer", 1)]
        with pytest.raises(pgerrors.CheckViolation):
            c.execute(f"insert into join_clicks (booking_id, person) values ('{booking}', 'ops')")


def test_attendance_is_for_the_service_role_only(conn):
    remember = "select google_user_email_remember('users/1', 'budi@example.com', now())"
    save = "select attendance_save('{}'::jsonb, '[]'::jsonb, 'worker')"
    customer = {"sub": _customer(conn), "role": "authenticated"}
    for role, claims in (("anon", {"role": "anon"}), ("authenticated", customer)):
        for sql in ("select count(*) from booking_attendance", "select count(*) from google_user_emails",
                    remember, save):
            with as_role(conn, role, claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
                c.execute(sql)
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        c.execute(remember)
        assert c.execute("select email from google_user_emails").fetchall() == [("budi@example.com",)]


def test_the_overview_with_its_attendance_is_for_the_service_role_only(conn):
    customer = _customer(conn)
    booking = _book(conn, _expert(conn), customer, "2030-03-11", "10:00", status="confirmed")
    conn.execute("insert into booking_attendance (booking_id, status, expert_joined, customer_joined,"
                 " expert_joined_at, customer_joined_at) values (%s, 'recorded', true, false,"
                 " '2030-03-11 03:03+00', null)", [booking])
    stats = "select overview_stats(now() - interval '1 day', now() + interval '1 day', 'Asia/Jakarta')"
    for role, claims in (("anon", {"role": "anon"}), ("authenticated", {"sub": customer, "role": "authenticated"})):
        with as_role(conn, role, claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
            c.execute(stats)
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        attendance = c.execute(stats).fetchone()[0]["attendance"]
    # 10:00 in Jakarta is 03:00 UTC: the expert joined 3 minutes late; the customer never did.
    assert [(r["sessions"], r["both_joined"], r["expert_no_shows"], r["customer_no_shows"])
            for r in attendance["experts"]] == [(1, 0, 0, 1)]
    assert attendance["lateness"] == [{"side": "expert", "joins": 1, "median_min": 3.0, "p95_min": 3.0}]


def test_the_overview_totals_are_for_the_service_role_only(conn):
    customer = _customer(conn)
    booking = _book(conn, _expert(conn), customer, "2030-03-11", "10:00", status="confirmed")
    # Made at an instant of its own: the range holds this booking alone.
    conn.execute("update bookings set created_at = '2031-01-02 03:00+00', confirmed_at = now() where id = %s",
                 [booking])
    conn.execute("insert into booking_attendance (booking_id, status, expert_joined, customer_joined)"
                 " values (%s, 'recorded', true, false)", [booking])
    totals = "select overview_totals('2031-01-02 03:00+00', '2031-01-02 03:00:01+00')"
    for role, claims in (("anon", {"role": "anon"}), ("authenticated", {"sub": customer, "role": "authenticated"})):
        with as_role(conn, role, claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
            c.execute(totals)
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        found = c.execute(totals).fetchone()[0]
    assert found == {"made": 1, "revenue": 250000, "confirmed": 1, "sessions": 1, "both_joined": 0}


# -- session types belong to experts ---------------------------------------------------------------

def _types(conn: psycopg.Connection, expert: str) -> dict[str, str]:
    """The expert's types, English name -> id."""
    return {r[0]: str(r[1]) for r in conn.execute(
        "select names ->> 'en', id from session_types where expert_id = %s", [expert])}


def _insert_typed(c: psycopg.Connection, customer: str, expert: str, type_id: str, minutes: int,
                  at: str = "10:00") -> tuple[int, str, Any]:
    row = c.execute(
        "insert into bookings (user_id, expert_id, session_type, session_type_id, scheduled_date, scheduled_time,"
        " duration, status, price) values (%s, %s, 'anything', %s, '2027-02-01', %s, %s, 'pending', 1)"
        " returning price, session_type, session_names", [customer, expert, type_id, at, minutes]).fetchone()
    return int(row[0]), row[1], row[2]


def test_a_new_expert_starts_with_the_standard_types_at_their_rate(conn):
    from lib.domain import ALLOWED_DURATIONS, STANDARD_SESSION_TYPES

    expert = _expert(conn)
    rows = conn.execute("select names, durations, hourly_rate, active from session_types where expert_id = %s"
                        " order by position", [expert]).fetchall()
    assert [(r[0]["en"], r[0]["id"]) for r in rows] == list(STANDARD_SESSION_TYPES)
    assert {(tuple(r[1]), r[2], r[3]) for r in rows} == {(ALLOWED_DURATIONS, 250_000, True)}


def test_the_database_refuses_another_experts_type_and_a_duration_the_type_does_not_offer(conn):
    sari, budi, andi = _expert(conn), _expert(conn), _customer(conn)
    conn.execute("select session_types_replace(%s, %s::jsonb)", [budi, json.dumps([
        {"id": str(uuid.uuid4()), "names": {"en": "Tax check", "id": "Cek pajak"}, "durations": [30],
         "hourly_rate": None, "fixed_prices": {"30": 150000}, "active": True, "position": 0}])])
    budi_tax = _types(conn, budi)["Tax check"]
    sari_career = _types(conn, sari)["Career mentoring"]
    claims = {"sub": andi, "role": "authenticated"}
    for role, role_claims in (("authenticated", claims), ("service_role", {"role": "service_role"})):
        with as_role(conn, role, role_claims) as c, pytest.raises(pgerrors.CheckViolation,
                                                                  match="does not offer the session type"):
            _insert_typed(c, andi, sari, budi_tax, 30)  # Budi's type, booked with Sari
        with as_role(conn, role, role_claims) as c, pytest.raises(pgerrors.CheckViolation,
                                                                  match="not offered for 60 minutes"):
            _insert_typed(c, andi, budi, budi_tax, 60)  # a length the type does not offer
        with as_role(conn, role, role_claims) as c, pytest.raises(pgerrors.CheckViolation,
                                                                  match="does not offer the session type"):
            _customer_insert(c, andi, budi, "2027-02-02", "10:00", 60)  # Budi has no "Career mentoring" now
        with as_role(conn, role, role_claims) as c:  # the fixed price, and the names, come from the type
            assert _insert_typed(c, andi, budi, budi_tax, 30) == (150_000, "Tax check",
                                                                  {"en": "Tax check", "id": "Cek pajak"})
            assert _insert_typed(c, andi, sari, sari_career, 90, "12:00")[0] == 375_000
    # The console's path: booking_create with the type's id.
    call = ("select price, session_type_id from booking_create(%s, %s, 'x', '2027-02-03', '10:00', 30, 1, null,"
            " 'Dewi', %s, null, 'ops', 'created', 'pending', %s)")
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        price, type_id = c.execute(call, [str(uuid.uuid4()), budi, f"d-{uuid.uuid4().hex[:6]}@example.com",
                                          budi_tax]).fetchone()
        assert (price, str(type_id)) == (150_000, budi_tax)
    with as_role(conn, "service_role", {"role": "service_role"}) as c, pytest.raises(pgerrors.CheckViolation):
        c.execute(call, [str(uuid.uuid4()), sari, f"d-{uuid.uuid4().hex[:6]}@example.com", budi_tax])


def test_a_retired_type_keeps_its_bookings_and_takes_no_new_one(conn):
    sari, andi = _expert(conn), _customer(conn)
    career = _types(conn, sari)["Career mentoring"]
    booked = _book(conn, sari, andi, "2027-02-08", "10:00")
    assert str(_one(conn, "select session_type_id from bookings where id = %s", [booked])) == career
    kept = [{"id": career, "names": {"en": "Mentoring", "id": "Mentoring"}, "durations": [60],
             "hourly_rate": 100000, "active": True, "position": 0}]
    conn.execute("select session_types_replace(%s, %s::jsonb)", [sari, json.dumps(kept)])
    assert _types(conn, sari) == {"Mentoring": career}  # the four nobody booked are gone
    conn.execute("select session_types_replace(%s, '[]'::jsonb)", [sari])
    assert _one(conn, "select active from session_types where id = %s", [career]) is False  # retired, kept
    row = conn.execute("select session_type, price, session_names from bookings where id = %s", [booked]).fetchone()
    assert row == ("Career mentoring", 250_000, {"en": "Career mentoring", "id": "Mentoring karier"})
    with pytest.raises(pgerrors.CheckViolation, match="no longer offers"):
        _insert_typed(conn, andi, sari, career, 60)


def test_session_types_are_read_by_their_expert_and_written_by_the_service_role_only(conn):
    sari_email = f"sari-{uuid.uuid4().hex[:6]}@example.com"
    sari, budi = _expert(conn, sari_email), _expert(conn)
    sari_claims = {"sub": _auth_user(conn, sari_email, True), "email": sari_email, "role": "authenticated"}
    with as_role(conn, "authenticated", sari_claims) as c:
        assert _one(c, "select count(*) from session_types where expert_id = %s", [sari]) == 5
        assert _one(c, "select count(*) from session_types where expert_id = %s", [budi]) == 0
    with as_role(conn, "authenticated", sari_claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
        c.execute("select session_types_replace(%s, '[]'::jsonb)", [sari])
    with as_role(conn, "authenticated", sari_claims) as c, pytest.raises(pgerrors.InsufficientPrivilege):
        c.execute("update session_types set hourly_rate = 1 where expert_id = %s", [sari])
    with as_role(conn, "anon", {"role": "anon"}) as c, pytest.raises(pgerrors.InsufficientPrivilege):
        c.execute("select * from session_types")


@pytest.mark.parametrize("change", [
    {"durations": []}, {"durations": [25]}, {"hourly_rate": -1}, {"names": {"en": "Only English"}},
    {"names": {"en": "A", "id": "B", "fr": "C"}}, {"hourly_rate": None, "fixed_prices": {"30": -5}},
    {"hourly_rate": None, "fixed_prices": {}},
])
def test_the_table_refuses_a_type_the_console_would_refuse(conn, change):
    expert = _expert(conn)
    item = {"id": str(uuid.uuid4()), "names": {"en": "A", "id": "B"}, "durations": [30], "hourly_rate": 1000,
            "active": True, "position": 0, **change}
    with pytest.raises(pgerrors.CheckViolation):
        conn.execute("select session_types_replace(%s, %s::jsonb)", [expert, json.dumps([item])])


def test_the_carry_over_links_todays_bookings_to_types_from_the_fixed_list(pg_server):
    with fresh_database("types") as dsn:
        apply_migrations(dsn, before="20261207140000")
        with psycopg.connect(dsn, autocommit=True) as c:
            expert = _one(c, "insert into experts (name, email, hourly_rate) values ('Sari', 's@example.com', 200000)"
                             " returning id")
            user = _customer(c)
            career = _book(c, str(expert), user, "2027-03-01", "10:00", 90)
            odd = _one(c, "insert into bookings (user_id, expert_id, session_type, scheduled_date, scheduled_time,"
                          " duration, status, price) values (%s, %s, 'Tarot reading', '2027-03-02', '10:00', 30,"
                          " 'paid', 1) returning id", [user, expert])
            before = c.execute("select price, duration from bookings order by id").fetchall()
        apply_migrations(dsn)
        with psycopg.connect(dsn, autocommit=True) as c:
            assert c.execute("select price, duration from bookings order by id").fetchall() == before
            types = {r[0]: (r[1], r[2], r[3]) for r in c.execute(
                "select names ->> 'en', names ->> 'id', hourly_rate, active from session_types")}
            assert types["Career mentoring"] == ("Mentoring karier", 200_000, True)
            assert types["General consultation"] == ("Konsultasi umum", 200_000, True)
            assert types["Tarot reading"] == ("Tarot reading", 200_000, False)  # kept for its booking, retired
            assert len(types) == 6
            rows = {str(r[0]): (r[1], r[2]) for r in c.execute(
                "select b.id, b.session_type, t.names ->> 'id' from bookings b join session_types t"
                " on t.id = b.session_type_id")}
            assert rows == {career: ("Career mentoring", "Mentoring karier"),
                            str(odd): ("Tarot reading", "Tarot reading")}
