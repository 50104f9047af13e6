"""Bookings for tests, made through the service as the console makes them."""

from __future__ import annotations

from datetime import date, time, timedelta

from lib.access import SYSTEM
from lib.domain import BookingRequest, NewCustomer
from lib.scheduling import Availability, TimeRange
from lib.service import BookingService
from lib.store import BookingStore


def request_for(svc: BookingService, day: date, at: time, i: int, expert: int = 0) -> BookingRequest:
    """A request for a new customer numbered ``i`` with the ``expert``-th expert, one hour."""
    return BookingRequest(
        expert_id=svc.experts(actor=SYSTEM)[expert].id, session_type="Career mentoring", scheduled_date=day,
        scheduled_time=at, duration=60, new_customer=NewCustomer(f"Customer {i}", f"customer{i}@example.com"),
    )


def paid_bookings(svc: BookingService, count: int) -> list[str]:
    """``count`` paid bookings still waiting for their link, spread over two experts."""
    experts = [svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career"),
               svc.store.add_expert("Budi Santoso", "budi@example.com", 400_000, "Business")]
    open_all_hours(svc.store)
    start: date = svc.today() + timedelta(days=1)
    ids = []
    for i in range(count):
        slot, expert = divmod(i, 2)
        booking = svc.book(BookingRequest(
            expert_id=experts[expert].id, session_type="Career mentoring",
            scheduled_date=start + timedelta(days=slot // 10), scheduled_time=time(8 + slot % 10, 0), duration=60,
            new_customer=NewCustomer(f"Pelanggan {i}", f"p{i}@example.com")), actor=SYSTEM)
        ids.append(svc.pay(booking.id, actor=SYSTEM).id)
    return ids


# Every day around the clock, no notice, 5-minute steps, a year ahead (the setting's default): for tests about something
# other than the hours, which book whatever time suits them (night, weekends, in a few minutes).
ALWAYS_OPEN = Availability(weekly=((TimeRange(0, 24 * 60),),) * 7, min_notice_minutes=0, slot_step_minutes=5,
                           horizon_days=365)


def open_all_hours(store: BookingStore) -> None:
    """Give every expert in ``store`` ``ALWAYS_OPEN`` hours (bookings still may not overlap)."""
    for expert in store.list_experts():
        store.set_availability(expert.id, ALWAYS_OPEN)
