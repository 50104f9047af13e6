"""The demo data: every demo expert has realistic hours of their own (not all the same, one with a
lunch break, one with a day off this week, in the app's timezone and horizon), and every demo
booking is a free slot of its expert, by the service's own check."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.demo import EXPERTS, seed_demo
from lib.domain import BookingStatus
from lib.payments.demo import DemoGateway
from lib.scheduling import Availability
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from tests.support.fakes import FixedClock, FlakyProvider, RecordingSender

pytestmark = pytest.mark.default_hours  # the demo builds on the console's real default hours
HOLDING = (BookingStatus.PENDING, BookingStatus.PAID, BookingStatus.CONFIRMED)
MONDAY_NOON_UTC = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # Monday 30 November 2026, 12:00 WIB


def seeded(tmp_path, now: datetime, **settings) -> tuple[BookingService, int]:
    db = tmp_path / f"demo-{now:%Y%m%d}.db"
    service = BookingService(SQLiteStore(db), FlakyProvider(), DemoGateway(), RecordingSender(),
                             Settings(sqlite_path=str(db), **settings), clock=FixedClock(now), sleep=lambda s: None)
    return service, seed_demo(service)


def demo_experts(service: BookingService):
    by_email = {e.email: e for e in service.experts(actor=SYSTEM)}
    return [by_email[email] for _, email, _, _ in EXPERTS]


@pytest.mark.parametrize("days_after_monday", range(7))  # seeded on each day of the week
def test_demo_hours_differ_with_a_lunch_break_and_a_day_off_this_week(tmp_path, days_after_monday):
    service, _ = seeded(tmp_path, MONDAY_NOON_UTC + timedelta(days=days_after_monday))
    hours = [service.availability(e.id, actor=SYSTEM) for e in demo_experts(service)]
    assert len(hours) == 4 and len(set(hours)) == 4  # nobody shares another's hours
    assert any(len(day) == 2 for a in hours for day in a.weekly[:5])  # a weekday with a lunch break
    today = service.today()
    coming_week = [today + timedelta(days=n) for n in range(7)]
    assert any(a.hours_on(day) == () and any(d == day for d, _ in a.overrides)
               for a in hours for day in coming_week if day.weekday() < 5)  # a day off, on a working weekday


@pytest.mark.parametrize("days_after_monday", range(7))
def test_every_demo_booking_is_a_free_slot_of_its_expert(tmp_path, days_after_monday):
    service, made = seeded(tmp_path, MONDAY_NOON_UTC + timedelta(days=days_after_monday))
    bookings = [b for b in service.recent_bookings(actor=SYSTEM) if b.status in HOLDING]
    assert made == 8 and len(bookings) == 8
    assert {b.status for b in bookings} == set(HOLDING)
    experts = {e.id: e for e in demo_experts(service)}
    for b in bookings:
        # The service's own check of book and reschedule: None means a free slot.
        assert service._scheduling.check_start(experts[b.expert_id], b.scheduled_date, b.scheduled_time,
                                               b.duration, actor=SYSTEM, exclude_booking=b.id) is None, b
        free = service.free_slots(b.expert_id, b.duration, b.scheduled_date, 1, actor=SYSTEM, exclude_booking=b.id)
        assert (b.scheduled_date, b.scheduled_time) in {(s.start.date(), time(s.start.hour, s.start.minute))
                                                        for s in free.slots}, b


def test_demo_hours_take_the_app_timezone_and_booking_horizon(tmp_path):
    service, made = seeded(tmp_path, MONDAY_NOON_UTC, timezone="Europe/Amsterdam", booking_horizon_days=60)
    hours = [service.availability(e.id, actor=SYSTEM) for e in demo_experts(service)]
    assert {(a.timezone, a.horizon_days) for a in hours} == {("Europe/Amsterdam", 60)}
    assert made == 8


def test_seeding_twice_adds_nothing_and_keeps_an_expert_s_own_edits(tmp_path):
    service, _ = seeded(tmp_path, MONDAY_NOON_UTC)
    sari = demo_experts(service)[0]
    own = Availability(max_per_day=1)
    service.set_availability(sari.id, own, actor=SYSTEM)
    assert seed_demo(service) == 0
    assert service.availability(sari.id, actor=SYSTEM) == own
    assert len(service.experts(actor=SYSTEM)) == 4
