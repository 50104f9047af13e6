"""A booking through the whole flow (``book_and_pay``: pending -> paid -> confirmed with both emails
queued, the demo gateway and Jitsi) costs at most three requests to Supabase, one per step that must
be all-or-nothing: what the checks read (``booking_inputs``), ``booking_create`` and
``booking_pay_and_confirm``. Counted at the PostgREST stand-in over PostgreSQL; not timed."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from lib.access import Actor, Role
from lib.config import Settings
from lib.domain import BookingRequest, BookingStatus, NewCustomer
from lib.meetings.jitsi import JitsiProvider
from lib.notify.in_app_sender import OutboxOnlySender
from lib.payments.demo_gateway import DemoGateway
from lib.scheduling import Availability, TimeRange
from lib.service import BookingService
from tests.support.postgrest import supabase_over_postgres
from tests.support.store_contract import pg_db  # noqa: F401 - the fixture

OPS = Actor(Role.OPS, email="ops@example.com")


@pytest.fixture
def wired(pg_db):  # noqa: F811
    settings = Settings(seed_demo_data=False, meeting_provider="jitsi", payment_gateway="demo", email_backend="outbox")
    with supabase_over_postgres(pg_db) as (store, stub):
        service = BookingService(store=store, meetings=JitsiProvider(settings.jitsi_base_url), payments=DemoGateway(),
                                 sender=OutboxOnlySender(), settings=settings)
        yield service, stub


def _request(expert: str, day, at: time, key: str, **who) -> BookingRequest:
    return BookingRequest(expert_id=expert, session_type="Career mentoring", scheduled_date=day, scheduled_time=at,
                          duration=60, request_key=key, **who)


def test_a_booking_costs_at_most_three_requests(wired):
    service, stub = wired
    expert = service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career").id
    service.store.set_availability(expert, Availability(weekly=((TimeRange(480, 1200),),) * 7, min_notice_minutes=0))
    day = datetime.now(service.tz).date() + timedelta(days=3)
    for n, who in enumerate(({"new_customer": NewCustomer("Dewi Lestari", "dewi@example.com")},
                             {"customer_id": service.store.add_customer(NewCustomer("Andi", "andi@example.com")).id})):
        request = _request(expert, day, time(9 + n, 0), f"form-{n}", **who)
        before = len(stub.requests)
        outcome = service.book_and_pay(request, actor=OPS, dispatch=False)
        assert outcome.booking.status is BookingStatus.CONFIRMED
        assert len(stub.requests) - before <= 3, [r.url.path for r in stub.requests[before:]]
        assert outcome.booking.customer_name == ("Dewi Lestari", "Andi")[n]
        before = len(stub.requests)
        again = service.book_and_pay(request, actor=OPS, dispatch=False)  # the same form again: its booking
        assert again.booking.id == outcome.booking.id and len(stub.requests) - before == 1
    assert len(service.emails(booking_id=outcome.booking.id, actor=OPS)) == 2


def test_the_book_page_preview_draws_from_the_one_read_of_the_desk(wired):
    service, stub = wired
    expert = service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career").id
    service.store.set_availability(expert, Availability(weekly=((TimeRange(480, 1200),),) * 7, min_notice_minutes=0))
    andi = service.store.add_customer(NewCustomer("Andi", "andi@example.com")).id
    day = datetime.now(service.tz).date() + timedelta(days=3)
    before = len(stub.requests)
    desk = service.booking_desk(expert, day, 14, actor=OPS, customer_id=andi)
    types = service.session_types(expert, actor=OPS, active_only=True, known=desk)
    slots = service.free_slots(expert, 60, day, 14, actor=OPS, known=desk)
    price = service.quote(expert, 60, types[0].id, actor=OPS, known=desk)
    request = _request(expert, day, time(10, 0), "form-p", customer_id=andi)
    preview = service.preview_booking(request, actor=OPS, known=desk)
    assert len(stub.requests) - before == 1, [r.url.path for r in stub.requests[before:]]
    assert slots.slots == service.free_slots(expert, 60, day, 14, actor=OPS).slots
    assert (preview.customer_name, preview.price) == ("Andi", price)
    assert preview == service.preview_booking(request, actor=OPS)
