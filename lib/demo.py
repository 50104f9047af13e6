"""Demo data: a few experts, customers and bookings, so a fresh `make run` has something to show."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

from lib.access import Actor, Role
from lib.domain import BookingRequest, NewCustomer
from lib.errors import CallExpertError
from lib.scheduling import Availability, TimeRange
from lib.service import BookingService

EXPERTS = (
    ("Dr. Sari Wulandari", "sari.wulandari@example.com", 250_000, "Career & HR"),
    ("Budi Santoso", "budi.santoso@example.com", 400_000, "Business strategy"),
    ("Rina Kusuma", "rina.kusuma@example.com", 300_000, "Software architecture"),
    ("Agus Prasetyo, S.H.", "agus.prasetyo@example.com", 500_000, "Legal"),
)
SEEDER = Actor(Role.SYSTEM, email="demo-seed")
CUSTOMERS = (
    ("Andi Wijaya", "andi.wijaya@example.com"),
    ("Dewi Lestari", "dewi.lestari@example.com"),
    ("Fajar Nugroho", "fajar.nugroho@example.com"),
    ("Putri Maharani", "putri.maharani@example.com"),
    ("Yusuf Hidayat", "yusuf.hidayat@example.com"),
)


def _hours(start: str, end: str) -> tuple[TimeRange, ...]:
    def minutes(text: str) -> int:
        return int(text[:2]) * 60 + int(text[3:])
    return (TimeRange(minutes(start), minutes(end)),)


def demo_hours(today: date, base: Availability) -> tuple[Availability, ...]:
    """Each demo expert's hours, in ``EXPERTS`` order: not all the same, one with a lunch break,
    one with a day off this week (the third weekday after ``today``). What each leaves as it is
    comes from ``base``, the service's default (the app's timezone and booking horizon)."""
    nine_to_five_with_lunch = (TimeRange(9 * 60, 12 * 60), TimeRange(13 * 60, 17 * 60))
    off = today + timedelta(days=3)
    while off.weekday() > 4:
        off += timedelta(days=1)
    none = ()
    return (
        replace(base, weekly=(nine_to_five_with_lunch,) * 5 + (none, none), buffer_after=15),
        replace(base, weekly=(_hours("10:00", "18:00"),) * 4 + (none, _hours("09:00", "13:00"), none), max_per_day=4),
        replace(base, weekly=(_hours("08:00", "16:00"),) * 5 + (none, none), overrides=((off, none),),
                slot_step_minutes=60),
        replace(base, weekly=(none,) + (_hours("13:00", "20:00"),) * 5 + (none,), min_notice_minutes=120,
                buffer_before=10, buffer_after=10),
    )


def seed_demo(service: BookingService) -> int:
    """Add the demo experts and customers (once) and a spread of bookings; return bookings made."""
    store = service.store
    known = {e.email for e in store.list_experts()}
    for name, email, rate, expertise in EXPERTS:
        if email not in known:
            store.add_expert(name, email, rate, expertise)
    for name, email in CUSTOMERS:
        store.add_customer(NewCustomer(name, email))
    by_email = {e.email: e for e in store.list_experts()}
    experts = [by_email[email] for _, email, _, _ in EXPERTS]
    hours_of = demo_hours(service.today(), service.default_availability(actor=SEEDER))
    for expert, hours in zip(experts, hours_of, strict=True):
        if store.get_availability(expert.id) is None:  # an expert's own edits survive a second seeding
            store.set_availability(expert.id, hours)
    customers = store.list_customers()

    # Bookings inside each expert's hours: the n-th free slot from a day of the coming week.
    plan = [  # (expert, customer, days from today, which free slot, duration, stop after)
        (0, 0, 1, 0, 60, "confirmed"),
        (1, 1, 1, 2, 90, "confirmed"),
        (2, 2, 2, 1, 60, "confirmed"),
        (0, 3, 2, 4, 45, "confirmed"),
        (3, 4, 3, 1, 120, "confirmed"),
        (2, 0, 4, 3, 30, "confirmed"),
        (1, 2, 5, 1, 60, "paid"),
        (3, 1, 6, 2, 60, "pending"),
    ]
    made = 0
    for line, (expert_i, customer_i, days, nth, duration, stop) in enumerate(plan):
        expert = experts[expert_i]
        key = f"demo-{service.today():%Y%m%d}-{line}"  # seeding twice on one day makes each booking once
        if store.find_by_request_key(key) is not None:
            continue
        first = service.today() + timedelta(days=days)
        free = service.free_slots(expert.id, duration, first, 7, actor=SEEDER).slots
        if not free:
            continue
        at = free[min(nth, len(free) - 1)].start.astimezone(service.tz)
        request = BookingRequest(
            expert_id=expert.id,
            customer_id=customers[customer_i % len(customers)].id,
            session_type=("Career mentoring", "Business review", "Technical review",
                          "Legal consultation")[expert_i % 4],
            scheduled_date=at.date(),
            scheduled_time=time(at.hour, at.minute),
            duration=duration,
            request_key=key,
        )
        try:
            booking = service.book(request, actor=SEEDER)
            if stop in ("paid", "confirmed"):
                booking = service.pay(booking.id, actor=SEEDER)
            if stop == "confirmed":
                service.create_link(booking.id, actor=SEEDER)
            made += 1
        except CallExpertError:
            continue  # a slot taken by an earlier seeding: demo data is best effort
    return made
