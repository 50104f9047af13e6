"""A small world for the email tests: the booking service over a real SQLite file on a fixed
clock (``NOW``, early on the Wednesday before the Thursday ``DAY``), with one expert, Sari, and one
customer, Andi; a paid booking between them with its link (``book``); and the reminder job run at
a given moment (``at``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import Booking, BookingRequest, NewCustomer
from lib.notify.in_app_sender import OutboxOnlySender
from lib.payments.demo_gateway import DemoGateway
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from tests.support.fakes import FixedClock, FlakyProvider
from tests.support.hours import default_hours

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
DAY = date(2026, 11, 26)  # a Thursday
START = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 14:00 WIB on DAY


@dataclass
class World:
    """The service, its store, its clock (set it to move time) and the SQLite file."""

    svc: BookingService
    store: SQLiteStore
    clock: FixedClock
    db: Path


def build(tmp_path: Path, clock: FixedClock | None = None, *, seed: bool = True, **settings: Any) -> World:
    """The world in ``tmp_path``, with Sari and Andi unless ``seed`` is false; ``settings`` change
    the console's settings."""
    db = tmp_path / "reminders.db"
    store = SQLiteStore(db)
    clock = clock or FixedClock(NOW)
    config = Settings(sqlite_path=str(db), link_backoff_seconds=0.01, default_availability=default_hours(), **settings)
    svc = BookingService(store, FlakyProvider(), DemoGateway(), OutboxOnlySender(), config, clock=clock,
                         sleep=lambda _: None)
    if seed:
        store.add_expert("Sari", "sari@example.com", 250_000, "Career")
        store.add_customer(NewCustomer("Andi", "andi@example.com"))
    return World(svc, store, clock, db)


def book(world: World, day: date = DAY, at: time = time(14, 0)) -> Booking:
    """Andi books Sari at ``day`` ``at`` and pays: confirmed, with its meeting link."""
    svc = world.svc
    expert = next(e.id for e in svc.experts(actor=SYSTEM) if e.name == "Sari")
    customer = next(c.id for c in svc.customers(actor=SYSTEM) if c.email == "andi@example.com")
    request = BookingRequest(expert_id=expert, session_type="Career mentoring", scheduled_date=day,
                             scheduled_time=at, customer_id=customer)
    booking = svc.book_and_pay(request, actor=SYSTEM).booking
    assert booking.meeting_link
    return booking


def at(world: World, moment: datetime) -> int:
    """Move the clock to ``moment`` and run the reminder job once."""
    world.clock.now = moment
    return world.svc.queue_reminders(actor=SYSTEM)
