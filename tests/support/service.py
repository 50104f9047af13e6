"""The booking service over a real SQLite file on a fixed clock (``NOW``), with the scriptable
meeting provider and the recording sender of conftest, two experts (Sari, Budi) open around the
clock and one customer (Andi): the ``svc`` fixture with its ``clock`` and ``sleeps``, and a
booking request for it (``request``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import BookingRequest, NewCustomer
from lib.payments.demo_gateway import DemoGateway
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from tests.support.bookings import open_all_hours
from tests.support.fakes import FixedClock

# 18:00 UTC on the 24th is 01:00 WIB on the 25th: the UTC date is still "yesterday".
NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
TOMORROW = date(2026, 11, 26)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def svc(tmp_path, clock, provider, sender, sleeps) -> BookingService:
    store = SQLiteStore(tmp_path / "test.db")
    settings = Settings(sqlite_path=str(tmp_path / "test.db"), link_backoff_seconds=0.01, link_backoff_max_seconds=5)
    service = BookingService(store, provider, DemoGateway(), sender, settings, clock=clock, sleep=sleeps.append)
    store.add_expert("Sari", "sari@example.com", 250_000, "Career")
    store.add_expert("Budi", "budi@example.com", 400_000, "Business")
    open_all_hours(store)
    store.add_customer(NewCustomer("Andi", "andi@example.com"))
    return service


def expert(svc: BookingService, name: str = "Sari") -> str:
    return next(e.id for e in svc.experts(actor=SYSTEM) if e.name == name)


def customer(svc: BookingService) -> str:
    return svc.customers(actor=SYSTEM)[0].id


def request(svc: BookingService, *, day: date = TOMORROW, at: time = time(14, 0), duration: int = 60,
            expert_name: str = "Sari", key: str | None = None, **kw) -> BookingRequest:
    fields = dict(expert_id=expert(svc, expert_name), session_type="Career mentoring", scheduled_date=day,
                  scheduled_time=at, duration=duration, customer_id=customer(svc), request_key=key)
    fields.update(kw)
    return BookingRequest(**fields)


def count_bookings(svc: BookingService) -> int:
    return len(svc.recent_bookings(limit=10_000, actor=SYSTEM))
