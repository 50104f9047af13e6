"""``expert_week_page``, ``expert_setup_page`` and ``ops_page`` on a real PostgreSQL: each returns what
the separate reads of My sessions, Availability and Ops return (the same rows, in the same order),
and only the service role may call them."""

from __future__ import annotations

import json

import pytest

from tests.support.migrations_db import as_role, conn, db, pg_server  # noqa: F401 - the fixtures among them
from tests.support.migrations_db import book as _book
from tests.support.migrations_db import customer as _customer
from tests.support.migrations_db import expert as _expert
from tests.support.migrations_db import one as _one

WEEK = ("select expert_week_page(%s, '2026-12-28T00:00:00', '2027-01-04T00:00:00',"
        " '[\"paid\", \"confirmed\", \"completed\"]'::jsonb, '2026-12-29T12:00:00', 500, 200)")
OPS = "select ops_page('2026-12-29', %s, %s, '2026-12-01T00:00:00Z', 200, 500, 200, 50)"
SIGNATURES = ("expert_week_page", "expert_setup_page", "ops_page")


def test_the_week_holds_the_rows_the_separate_reads_return(conn):  # noqa: F811
    sari, budi, andi = _expert(conn), _expert(conn), _customer(conn)
    ended = _book(conn, sari, andi, "2026-12-29", "09:00", status="completed")
    later = _book(conn, sari, andi, "2026-12-30", "10:00", status="confirmed")
    _book(conn, sari, andi, "2026-12-31", "10:00", status="pending")  # not a session yet
    _book(conn, budi, andi, "2026-12-29", "11:00", status="confirmed")  # another expert's
    after = _book(conn, sari, andi, "2027-01-12", "10:00", status="confirmed")  # upcoming only
    for booking in (ended, later):
        conn.execute("insert into booking_attendance (booking_id, status, expert_joined, customer_joined,"
                     " expert_match, customer_match) values (%s, 'recorded', true, true, 'email', 'email')", [booking])
    conn.execute("insert into expert_availability (expert_id, timezone, weekly, overrides, buffer_after)"
                 " values (%s, 'Asia/Jakarta', '{\"mon\": [[\"09:00\", \"12:00\"]]}', '{}', 15)", [sari])
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        found = _one(c, WEEK, [sari])
        separate = [str(r[0]) for r in c.execute(
            "select id from bookings where expert_id = %s and status in ('paid', 'confirmed', 'completed')"
            " and ends_at > '2026-12-28' and starts_at < '2027-01-04' order by scheduled_date, scheduled_time, id",
            [sari])]
        upcoming = [str(r[0]) for r in c.execute(
            "select id from bookings where expert_id = %s and status = 'confirmed' and ends_at > '2026-12-29T12:00'"
            " order by scheduled_date, scheduled_time", [sari])]
    assert [r["id"] for r in found["week"]] == separate == [ended, later]
    assert [r["id"] for r in found["upcoming"]] == upcoming == [later, after]
    assert [r["booking_id"] for r in found["attendance"]] == [ended]  # the one that has ended
    assert found["week"][0]["customer"]["name"] == _one(conn, "select name from users where id = %s", [andi])
    assert found["availability"]["weekly"] == {"mon": [["09:00", "12:00"]]}
    assert found["availability"]["buffer_after"] == 15
    assert _one(conn, WEEK, [budi])["availability"] is None


def test_the_setup_holds_the_hours_and_the_session_types_in_their_order(conn):  # noqa: F811
    sari = _expert(conn)
    for position, name in ((100, "Audit"), (50, "Tax check")):  # after the standard types
        conn.execute("insert into session_types (expert_id, names, durations, hourly_rate, position) values"
                     " (%s, %s, '{60}', 300000, %s)", [sari, json.dumps({"en": name, "id": name}), position])
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        found = _one(c, "select expert_setup_page(%s)", [sari])
        separate = [r[0] for r in c.execute("select names->>'en' from session_types where expert_id = %s"
                                            " order by position, created_at", [sari])]
    assert [t["names"]["en"] for t in found["session_types"]] == separate
    assert separate[-2:] == ["Tax check", "Audit"]
    assert found["availability"] is None


def test_the_ops_page_holds_the_lists_the_separate_reads_return(conn):  # noqa: F811
    sari, andi = _expert(conn), _customer(conn)
    made = [_book(conn, sari, andi, "2026-12-29", f"{9 + n}:00", status=s)
            for n, s in enumerate(("pending", "paid", "confirmed"))]
    for n, booking in enumerate(made):  # distinct creation times, the last made newest of all
        conn.execute("update bookings set created_at = now() + make_interval(mins => %s) where id = %s",
                     [n + 1, booking])
    conn.execute("insert into booking_history (booking_id, event, detail, actor) values (%s, 'note', 'one', 'ops'),"
                 " (%s, 'note', 'two', 'ops')", [made[1], made[1]])
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        everything = _one(c, OPS, [None, None])
        newest = [str(r[0]) for r in c.execute("select id from bookings order by created_at desc limit 200")]
        paid = _one(c, OPS, ["paid", made[2]])  # the wanted one is not paid: the newest paid is chosen
        cursor = c.execute("select * from ops_counts('2026-12-29')")
        counts = dict(zip([d.name for d in cursor.description], cursor.fetchone(), strict=True))
    assert [r["id"] for r in everything["recent"]] == newest and newest[:3] == made[::-1]
    assert everything["chosen"] == made[2] and everything["history"] == []
    assert made[1] in [r["id"] for r in everything["missing"]]
    assert [r["id"] for r in paid["recent"]][0] == made[1] and paid["chosen"] == made[1]
    assert [h["detail"] for h in paid["history"]] == ["one", "two"]
    assert everything["counts"] == counts
    assert everything["failed_emails"] == everything["changes"] == []


@pytest.mark.parametrize("name", SIGNATURES)
def test_only_the_service_role_may_read_an_experts_page(conn, name):  # noqa: F811
    rows = conn.execute(
        "select has_function_privilege('anon', p.oid, 'execute'), has_function_privilege('authenticated', p.oid,"
        " 'execute'), has_function_privilege('service_role', p.oid, 'execute'), p.prosecdef"
        " from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'public' and p.proname = %s", [name]).fetchall()
    assert rows == [(False, False, True, False)]  # one signature, invoker rights
