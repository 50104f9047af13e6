"""How a booking's history reads is worded once, in the service (lib/service/history.py), and
both stores write exactly that: the same life of a booking reads the same on SQLite and on
Supabase (the latter through the PostgREST stand-in on a real PostgreSQL), and rewording a line
in that one module rewords it on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import HistoryLine
from lib.payments.demo_gateway import DemoGateway
from lib.service import BookingService, history
from lib.store.sqlite import SQLiteStore
from tests.support.bookings import request_for
from tests.support.fakes import FixedClock, FlakyProvider, RecordingSender
from tests.support.hours import default_hours
from tests.support.postgres import apply_migrations, fresh_database
from tests.support.postgrest import supabase_over_postgres

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

NOW = datetime(2030, 3, 10, 3, 0, tzinfo=UTC)
DAY = date(2030, 3, 11)
# Every function of the wording module a transition takes its line from.
WORDINGS = ("created", "paid", "payment_started", "payment_failed", "link_attempt", "link_created", "link_pasted",
            "rescheduled", "cancelled", "completed", "expired", "calendar_done")


@pytest.fixture(scope="module")
def pg_db() -> Iterator[str]:
    with fresh_database("wording") as dsn:
        apply_migrations(dsn)
        yield dsn


@pytest.fixture(params=["sqlite", "supabase"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Any]:
    if request.param == "sqlite":
        yield SQLiteStore(tmp_path / "wording.db")
        return
    with supabase_over_postgres(request.getfixturevalue("pg_db")) as (supabase_store, _stub):
        yield supabase_store


def life(store: Any, tmp_path) -> list[list[tuple[str, str, str]]]:
    """Book, pay, link, move and complete one booking; paste a link on a second, cancel a third and
    let a fourth expire, all through the service. Their histories, booking ids (and the demo
    payment's reference, made from one) written as <id>."""
    clock = FixedClock(NOW)
    svc = BookingService(store, FlakyProvider(), DemoGateway(), RecordingSender(),
                         Settings(sqlite_path=str(tmp_path / "unused.db"), default_availability=default_hours()),
                         clock=clock, sleep=lambda s: None)
    svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    lived = svc.book(request_for(svc, DAY, time(9, 0), 1), actor=SYSTEM)
    svc.pay(lived.id, actor=SYSTEM)
    svc.create_link(lived.id, actor=SYSTEM)
    svc.reschedule(lived.id, DAY, time(10, 0), actor=SYSTEM)
    pasted = svc.pay(svc.book(request_for(svc, DAY, time(13, 0), 2), actor=SYSTEM).id, actor=SYSTEM)
    svc.set_link_manually(pasted.id, "https://meet.google.com/abc-defg-hij", actor=SYSTEM)
    cancelled = svc.book(request_for(svc, DAY, time(15, 0), 3), actor=SYSTEM)
    svc.cancel(cancelled.id, "Customer changed plans", actor=SYSTEM)
    unpaid = svc.book(request_for(svc, DAY, time(17, 0), 4), actor=SYSTEM)
    assert [b.id for b in svc.expire_unpaid(actor=SYSTEM)] == [unpaid.id]  # made before NOW's cutoff
    clock.now = datetime(2030, 3, 12, 3, 0, tzinfo=UTC)
    assert svc.complete_finished(actor=SYSTEM) == 2
    return [[(h.event, h.detail.replace(b.id, "<id>").replace(b.id[:8], "<id>"), h.actor)
             for h in svc.history(b.id, actor=SYSTEM)] for b in (lived, pasted, cancelled, unpaid)]


def test_both_stores_write_the_same_words_for_the_same_life(pg_db, tmp_path):
    with supabase_over_postgres(pg_db) as (supabase_store, _stub):
        on_supabase = life(supabase_store, tmp_path / "s")
    on_sqlite = life(SQLiteStore(tmp_path / "wording.db"), tmp_path)
    assert on_sqlite == on_supabase
    lived = on_sqlite[0]
    assert [event for event, _, _ in lived] == [
        "created", "paid", "link attempt", "confirmed", "rescheduled", "calendar event moved", "completed"]
    assert lived[0][1] == "pending, Rp 250.000"
    assert lived[1][1] == "payment DEMO-<id>"
    assert lived[3][1] == "flaky link created"
    assert lived[4][1] == "Mon 11 Mar 2030, 09:00 → Mon 11 Mar 2030, 10:00"
    assert lived[5][1] == "the calendar already matched the booking"
    assert lived[6][1] == "the session has ended"
    assert on_sqlite[1][-2][:2] == ("confirmed", "link pasted by hand")
    assert on_sqlite[2][-1][:2] == ("cancelled", "Customer changed plans")
    assert on_sqlite[3][-1][:2] == ("expired", "not paid in time; the slot is free again")


def test_rewording_a_line_in_the_service_rewords_it_on_every_store(store, tmp_path, monkeypatch):
    """Each transition's line comes from lib.service.history and nowhere else: wrap every wording
    function there, and every history line of the life carries the wrapping, on either store."""
    for name in WORDINGS:
        original = getattr(history, name)

        def reworded(*args: Any, _original: Any = original, **kwargs: Any) -> HistoryLine:
            line = _original(*args, **kwargs)
            return HistoryLine(f"{line.event} (reworded)", f"{line.detail} (reworded)")

        monkeypatch.setattr(history, name, reworded)
    lines = [entry for booking in life(store, tmp_path) for entry in booking]
    assert len(lines) == 15
    assert [(e, d) for e, d, _ in lines if not (e.endswith(" (reworded)") and d.endswith(" (reworded)"))] == []
    assert lines[0][:2] == ("created (reworded)", "pending, Rp 250.000 (reworded)")
