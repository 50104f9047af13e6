"""The ``ScheduleStore`` contract (session types, availability and the times an expert's bookings hold),
on both stores (the ``store`` fixture of tests/support/store_contract.py: SQLite, and Supabase over
PostgreSQL)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from lib.domain import (
    ALLOWED_DURATIONS,
    STANDARD_SESSION_TYPES,
    HeldTime,
    NewBooking,
    NewCustomer,
    SessionType,
)
from lib.errors import (
    InvalidInput,
    NotFound,
)
from lib.service import history
from lib.store import ScheduleStore
from tests.support.store_contract import (  # noqa: F401 - the fixtures among them
    CREATED,
    DAY,
    NOW,
    age,
    new,
    paid,
    people,
    pg_db,
    store,
)

CONTRACT = (ScheduleStore,)  # the protocols whose every method this module exercises


def _typed(expert: str, type_id: str | None, minutes: int, at: time = time(9, 0)) -> NewBooking:
    return replace(new(expert, None, at=at, minutes=minutes, new_customer=NewCustomer("Dewi", "dewi@example.com")),
                   session_type_id=type_id, session_type="whatever the form said", price=1)



def _tax_check(store, expert: str) -> SessionType:
    [kind] = store.replace_session_types(expert, [SessionType(
        id=str(uuid.uuid4()), expert_id=expert, names={"en": "Tax check", "id": "Cek pajak"}, durations=(30,),
        fixed_prices={30: 150_000}, description="One tax return")])
    return kind



def test_a_new_expert_starts_with_the_standard_types_at_their_rate(store, people):
    types = store.session_types(people.budi)
    assert [(t.name("en"), t.name("id")) for t in types] == list(STANDARD_SESSION_TYPES)
    assert {(t.durations, t.hourly_rate, t.active) for t in types} == {(ALLOWED_DURATIONS, 400_000, True)}
    assert store.get_session_type(types[0].id) == types[0]
    assert store.session_types(str(uuid.uuid4())) == []



def test_a_booking_takes_price_and_names_from_its_type(store, people):
    kind = _tax_check(store, people.budi)
    assert store.session_types(people.budi) == [kind]  # the standard types nobody booked are gone
    assert (kind.hourly_rate, dict(kind.fixed_prices), kind.description) == (None, {30: 150_000}, "One tax return")
    booking = store.create_booking(_typed(people.budi, kind.id, 30), "ops", line=CREATED)
    assert (booking.price, booking.session_type, booking.session_type_id) == (150_000, "Tax check", kind.id)
    assert booking.type_name("id") == "Cek pajak" and store.get_booking(booking.id) == booking
    by_name = store.create_booking(new(people.sari, people.andi, minutes=90), "ops", line=CREATED)  # "Career mentoring"
    assert (by_name.price, by_name.type_name("id")) == (375_000, "Mentoring karier")



def test_the_store_refuses_another_experts_type_a_duration_it_does_not_offer_and_a_retired_one(store, people):
    kind = _tax_check(store, people.budi)
    with pytest.raises(InvalidInput, match="does not offer the session type"):
        store.create_booking(_typed(people.sari, kind.id, 30), "ops", line=CREATED)  # Budi's type, with Sari
    with pytest.raises(InvalidInput, match="not offered for 60 minutes"):
        store.create_booking(_typed(people.budi, kind.id, 60), "ops", line=CREATED)
    with pytest.raises(InvalidInput, match="does not offer the session type"):
        store.create_booking(new(people.budi, people.andi), "ops", line=CREATED)  # no "Career mentoring" now
    booked = store.create_booking(_typed(people.budi, kind.id, 30), "ops", line=CREATED)
    assert store.replace_session_types(people.budi, []) == [replace(kind, active=False)]  # kept for its booking
    with pytest.raises(InvalidInput, match="no longer offers"):
        store.create_booking(_typed(people.budi, kind.id, 30, at=time(11, 0)), "ops", line=CREATED)
    assert store.get_booking(booked.id) == booked  # name, price and duration as booked
    with pytest.raises(InvalidInput, match="another expert"):
        store.replace_session_types(people.sari, [replace(kind, expert_id=people.sari, active=True)])
    with pytest.raises(NotFound):
        store.replace_session_types(str(uuid.uuid4()), [])



def test_replacing_types_updates_those_kept_in_their_new_order(store, people):
    first, second = store.session_types(people.sari)[:2]
    renamed = replace(second, names={"en": "Mentoring", "id": "Bimbingan"}, durations=(60,), hourly_rate=300_000,
                      position=0)
    added = SessionType(id=str(uuid.uuid4()), expert_id=people.sari, names={"en": "Mock interview", "id": "Wawancara"},
                        durations=(45, 90), hourly_rate=200_000, position=1)
    assert store.replace_session_types(people.sari, [renamed, added]) == [renamed, added]
    assert store.get_session_type(first.id) is None



def test_availability_is_stored_replaced_and_read_back_equal(store, people):
    from lib.scheduling import Availability, TimeRange

    # The database refuses an override more than two years after its own today.
    SOON = date.today() + timedelta(days=30)  # noqa: N806
    assert store.get_availability(people.sari) is None
    first = Availability(weekly=((TimeRange(540, 720), TimeRange(780, 1020)),) * 5 + ((), ()),
                         overrides=((SOON, ()), (SOON + timedelta(days=1), (TimeRange(600, 660),))),
                         buffer_before=5, buffer_after=15, min_notice_minutes=120, slot_step_minutes=15,
                         max_per_day=4, horizon_days=60, timezone="Europe/Berlin")
    store.set_availability(people.sari, first)
    assert store.get_availability(people.sari) == first
    second = Availability(max_per_day=None)
    store.set_availability(people.sari, second)
    assert store.get_availability(people.sari) == second
    assert store.get_availability(people.budi) is None
    with pytest.raises(NotFound):
        store.set_availability(str(uuid.uuid4()), second)



def test_active_bookings_of_an_expert_in_a_range(store, people, age):
    inside = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=CREATED)
    store.mark_paid(inside.id, "pay-1", NOW, "ops", line=history.paid("pay-1"))
    # into the next day
    late = store.create_booking(new(people.sari, people.andi, at=time(23, 30), minutes=60), "ops", line=CREATED)
    stale = store.create_booking(new(people.sari, people.andi, at=time(12, 0)), "ops", line=CREATED)
    age(stale.id, 120)
    gone = store.create_booking(new(people.sari, people.andi, at=time(15, 0)), "ops", line=CREATED)
    store.cancel(gone.id, NOW, "customer asked", [], "ops",
                 line=history.cancelled("customer asked"))
    store.create_booking(new(people.budi, people.andi, at=time(10, 0)), "ops", line=CREATED)  # another expert
    store.create_booking(new(people.sari, people.andi, day=DAY + timedelta(days=3)), "ops",
                         line=CREATED)  # outside the range
    since = datetime.now(UTC) - timedelta(minutes=30)
    found = store.active_bookings(people.sari, datetime.combine(DAY, time(0)),
                                  datetime.combine(DAY + timedelta(days=1), time(0, 15)), since)
    assert [b.id for b in found] == [inside.id, late.id]
    after_midnight = store.active_bookings(people.sari, datetime.combine(DAY + timedelta(days=1), time(0)),
                                           datetime.combine(DAY + timedelta(days=2), time(0)), since)
    assert [b.id for b in after_midnight] == [late.id]
    # The times those bookings hold: the same bookings, in the same order, their start and minutes.
    for first, last in ((DAY, datetime.combine(DAY + timedelta(days=1), time(0, 15))),
                        (DAY + timedelta(days=1), datetime.combine(DAY + timedelta(days=2), time(0))),
                        (DAY - timedelta(days=1), datetime.combine(DAY + timedelta(days=4), time(0)))):
        start = datetime.combine(first, time(0))
        held = store.active_times(people.sari, start, last, since)
        assert held == [HeldTime(b.id, b.starts_at, b.duration)
                        for b in store.active_bookings(people.sari, start, last, since)]
        assert all(type(h.starts_at) is datetime and h.starts_at.tzinfo is None for h in held)
    assert [h.booking_id for h in store.active_times(people.sari, datetime.combine(DAY, time(0)),
                                                     datetime.combine(DAY + timedelta(days=1), time(0, 15)), since)
            ] == [inside.id, late.id]
    assert [h.duration for h in store.active_times(people.sari, datetime.combine(DAY + timedelta(days=1), time(0)),
                                                   datetime.combine(DAY + timedelta(days=2), time(0)), since)
            ] == [60]
    assert store.active_times(people.budi, datetime.combine(DAY + timedelta(days=5), time(0)),
                              datetime.combine(DAY + timedelta(days=6), time(0)), since) == []

