"""``booking_inputs`` and ``booking_view`` on a real PostgreSQL: each read answers what the
separate reads of the tables answer, and only the service role may call them."""

from __future__ import annotations

import uuid

from tests.support.migrations_db import as_role, conn, db, pg_server  # noqa: F401 - the fixtures among them
from tests.support.migrations_db import book as _book
from tests.support.migrations_db import customer as _customer
from tests.support.migrations_db import expert as _expert
from tests.support.migrations_db import one as _one

INPUTS = ("select booking_inputs(%s, %s, %s, '2026-12-28 00:00', '2026-12-31 00:00',"
          " now() - interval '30 minutes')")


def test_inputs_are_what_the_separate_reads_return(conn):  # noqa: F811
    expert, other, andi = _expert(conn), _expert(conn), _customer(conn)
    inside = _book(conn, expert, andi, "2026-12-29", "09:00", status="confirmed")
    _book(conn, expert, andi, "2026-12-29", "11:00", status="cancelled")
    _book(conn, expert, andi, "2027-01-05", "09:00", status="paid")  # outside the range
    _book(conn, other, andi, "2026-12-29", "13:00", status="paid")  # another expert's
    conn.execute("update bookings set request_key = 'form-1' where id = %s", [inside])
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        got = _one(c, INPUTS, [expert, "form-1", andi])
        assert got["expert"]["id"] == expert and got["expert"]["name"] == "Sari"
        assert got["customer"] == {"id": andi, "name": "Andi", "email": got["customer"]["email"]}
        assert got["earlier"]["id"] == inside and got["earlier"]["customer"]["name"] == "Andi"
        assert [t["id"] for t in got["types"]] == [str(r[0]) for r in c.execute(
            "select id from session_types where expert_id = %s order by position, created_at", [expert])]
        assert got["held"] == [{"id": inside, "scheduled_date": "2026-12-29", "scheduled_time": "09:00:00",
                                "duration": 60}]
        assert got["availability"] is None
        unknown = _one(c, INPUTS, [str(uuid.uuid4()), None, None])
        assert unknown == {"earlier": None, "expert": None, "types": [], "availability": None, "customer": None,
                           "held": []}

VIEW = "select booking_view(%s, '2026-12-28 00:00', '2026-12-31 00:00', now() - interval '30 minutes')"


def test_the_view_is_the_booking_its_calendar_work_and_its_experts_inputs(conn):  # noqa: F811
    expert, andi = _expert(conn), _customer(conn)
    booking = _book(conn, expert, andi, "2026-12-29", "09:00", status="confirmed")
    conn.execute("insert into calendar_work (booking_id, reason, generation, state, queued_at, not_before)"
                 " values (%s, 'reschedule', 1, 'waiting', now(), now())", [booking])
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        got = _one(c, VIEW, [booking])
        assert got["booking"]["id"] == booking and got["booking"]["customer"]["name"] == "Andi"
        assert got["booking"]["expert"]["name"] == "Sari"
        assert (got["calendar_work"]["booking_id"], got["calendar_work"]["state"]) == (booking, "waiting")
        inputs = _one(c, INPUTS, [expert, None, None])
        assert got["inputs"] == inputs and [h["id"] for h in inputs["held"]] == [booking]
        assert _one(c, VIEW, [str(uuid.uuid4())]) is None


def test_only_the_service_role_may_call_them(conn):  # noqa: F811
    rows = conn.execute(
        "select p.proname, has_function_privilege('anon', p.oid, 'execute'),"
        " has_function_privilege('authenticated', p.oid, 'execute'), has_function_privilege('service_role', p.oid,"
        " 'execute') from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'public' and p.proname in ('booking_inputs', 'booking_view') order by 1").fetchall()
    assert rows == [("booking_inputs", False, False, True), ("booking_view", False, False, True)]
