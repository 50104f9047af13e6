"""Demo data: a few experts, customers and bookings, so a fresh `make run` has something to show."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from lib.access import Actor, Role
from lib.domain import BookingRequest, NewCustomer
from lib.errors import CallExpertError
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


def seed_demo(service: BookingService) -> int:
    """Add the demo experts and customers (once) and a spread of bookings; return bookings made."""
    store = service.store
    known = {e.email for e in store.list_experts()}
    for name, email, rate, expertise in EXPERTS:
        if email not in known:
            store.add_expert(name, email, rate, expertise)
    for name, email in CUSTOMERS:
        store.add_customer(NewCustomer(name, email))
    experts = store.list_experts()
    customers = store.list_customers()

    # Whole hours from the next one on, in the app timezone, over the coming week.
    start = (service.now_local() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    plan = [  # (expert, customer, hours from start, duration, stop after)
        (0, 0, 0, 60, "confirmed"),
        (1, 1, 3, 90, "confirmed"),
        (2, 2, 22, 60, "confirmed"),
        (0, 3, 26, 45, "confirmed"),
        (3, 4, 50, 120, "confirmed"),
        (2, 0, 75, 30, "confirmed"),
        (1, 2, 98, 60, "paid"),
        (3, 1, 120, 60, "pending"),
    ]
    made = 0
    for expert_i, customer_i, hours, duration, stop in plan:
        at: datetime = start + timedelta(hours=hours)
        request = BookingRequest(
            expert_id=experts[expert_i % len(experts)].id,
            customer_id=customers[customer_i % len(customers)].id,
            session_type=("Career mentoring", "Business review", "Technical review", "Legal consultation")[expert_i % 4],
            scheduled_date=at.date(),
            scheduled_time=time(at.hour, at.minute),
            duration=duration,
            request_key=f"demo-{at:%Y%m%d%H%M}-{expert_i}",
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
