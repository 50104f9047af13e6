"""``booking_pay_and_confirm`` on a real PostgreSQL: a payment and a link made within the console
are stored in one transaction, so the booking is confirmed or still pending, never paid in between."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.migrations_db import as_role, conn, db, pg_server  # noqa: F401 - the fixtures among them
from tests.support.migrations_db import book as _book
from tests.support.migrations_db import customer as _customer
from tests.support.migrations_db import emails_json as _emails
from tests.support.migrations_db import expert as _expert
from tests.support.migrations_db import one as _one

CALL = ("select count(*) from booking_pay_and_confirm(%s, 'DEMO-1', 'https://meet.jit.si/x', 'CallExpert-x', 0,"
        " now(), %s, 'ops', 'paid', 'payment DEMO-1', 'link attempt', 'ok', 'confirmed', 'jitsi link created')")


def _lines(c, booking: str) -> list[str]:  # noqa: ANN001
    return [r[0] for r in c.execute("select event from booking_history where booking_id = %s order by id",
                                    [booking])]


def test_pay_and_confirm_takes_a_pending_booking_to_confirmed_in_one_call(conn):  # noqa: F811
    expert, andi = _expert(conn), _customer(conn)
    booking = _book(conn, expert, andi, "2026-12-29", "09:00")
    with as_role(conn, "service_role", {"role": "service_role"}) as c:
        assert _one(c, CALL, [booking, _emails(booking)]) == 1
        assert c.execute("select status, payment_ref, payment_attempts, link_attempts, meeting_link, link_lease_until"
                         " from bookings where id = %s", [booking]).fetchone() == (
            "confirmed", "DEMO-1", 1, 1, "https://meet.jit.si/x", None)
        assert _lines(c, booking) == ["paid", "link attempt", "confirmed"]
        assert _one(c, "select count(*) from email_outbox where booking_id = %s", [booking]) == 2
        # Not pending any more: nothing is written.
        assert _one(c, CALL, [booking, _emails(booking)]) == 0
        assert _lines(c, booking) == ["paid", "link attempt", "confirmed"]


def test_pay_and_confirm_that_fails_midway_leaves_the_booking_pending(conn):  # noqa: F811
    expert, andi = _expert(conn), _customer(conn)
    booking = _book(conn, expert, andi, "2026-12-29", "11:00")
    # The second email names no booking: its insert fails after the payment, the link and the lines.
    broken = json.loads(_emails(booking))
    broken[1]["booking_id"] = str(uuid.uuid4())
    with pytest.raises(Exception, match="foreign key"):
        with as_role(conn, "service_role", {"role": "service_role"}) as c:
            c.execute(CALL, [booking, json.dumps(broken)])
    assert conn.execute("select status, payment_ref, payment_attempts, meeting_link, link_attempts from bookings"
                        " where id = %s", [booking]).fetchone() == ("pending", None, 0, None, 0)
    assert _lines(conn, booking) == []
    assert _one(conn, "select count(*) from email_outbox where booking_id = %s", [booking]) == 0


def test_only_the_service_role_may_pay_and_confirm(conn):  # noqa: F811
    row = conn.execute(
        "select has_function_privilege('anon', p.oid, 'execute'), has_function_privilege('authenticated', p.oid,"
        " 'execute'), has_function_privilege('service_role', p.oid, 'execute'), p.proargnames[13:14]"
        " from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'public' and p.proname = 'booking_pay_and_confirm'").fetchall()
    assert row == [(False, False, True, ["p_event", "p_detail"])]  # one signature, the line last
