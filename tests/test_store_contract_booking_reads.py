"""The ``BookingReadStore`` contract (what booking one session reads, in one read), on both stores
(the ``store`` fixture of tests/support/store_contract.py: SQLite, and Supabase over PostgreSQL):
``booking_inputs`` answers what the separate reads answer."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from lib.domain import NewCustomer
from lib.scheduling import Availability, TimeRange
from lib.store import BookingInputs, BookingReadStore, BookingView
from tests.support.store_contract import (  # noqa: F401 - the fixtures among them
    CREATED,
    DAY,
    age,
    new,
    people,
    pg_db,
    store,
)

CONTRACT = (BookingReadStore,)  # the protocols whose every method this module exercises

FROM, TO = datetime.combine(DAY - timedelta(days=1), time(0)), datetime.combine(DAY + timedelta(days=2), time(0))


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=30)


def test_the_one_read_answers_what_the_separate_reads_answer(store, people, age):
    hours = Availability(weekly=((TimeRange(540, 1020),),) * 5 + ((), ()), buffer_before=10,
                         timezone="Europe/Berlin")
    store.set_availability(people.sari, hours)
    keyed = store.create_booking(new(people.sari, people.andi, key="form-1"), "ops", line=CREATED)
    store.create_booking(new(people.sari, people.andi, day=DAY + timedelta(days=1), at=time(23, 30)), "ops",
                         line=CREATED)
    stale = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=CREATED)
    age(stale.id, 120)  # a pending booking older than pending_since holds nothing
    store.create_booking(new(people.sari, people.andi, day=DAY + timedelta(days=5)), "ops", line=CREATED)
    store.create_booking(new(people.budi, people.andi), "ops", line=CREATED)
    since = _since()

    got = store.booking_inputs(people.sari, "form-1", people.andi, FROM, TO, since)

    assert got == BookingInputs(
        earlier=store.find_by_request_key("form-1"), expert=store.get_expert(people.sari),
        session_types=store.session_types(people.sari), availability=store.get_availability(people.sari),
        customer=store.get_customer(people.andi), held=store.active_times(people.sari, FROM, TO, since),
        held_from=FROM, held_to=TO)
    assert got.earlier is not None and got.earlier.id == keyed.id
    assert got.earlier.customer_name == "Andi Pratama" and got.earlier.expert_name == "Sari Wulandari"
    assert len(got.held) == 2 and stale.id not in {h.booking_id for h in got.held}
    assert got.session_types and got.availability == hours


def test_held_between_filters_as_active_times_does(store, people):
    for at in (time(8, 0), time(14, 0), time(23, 30)):
        store.create_booking(new(people.sari, people.andi, at=at), "ops", line=CREATED)
    since = _since()
    got = store.booking_inputs(people.sari, None, None, FROM, TO, since)
    inner = (datetime.combine(DAY, time(13, 30)), datetime.combine(DAY + timedelta(days=1), time(0, 15)))
    assert got.held_between(*inner) == store.active_times(people.sari, *inner, since)
    assert got.held_between(FROM - timedelta(minutes=1), TO) is None  # outside the read: read it then


def test_without_a_range_key_or_customer_only_the_expert_is_read(store, people):
    got = store.booking_inputs(people.budi, None, None, None, None, _since())
    assert got.expert == store.get_expert(people.budi) and got.session_types == store.session_types(people.budi)
    assert (got.earlier, got.customer, got.availability, got.unreadable, got.held) == (None, None, None, None, [])


def test_unknown_expert_key_and_customer_read_as_none(store, people):
    for expert in (str(uuid.uuid4()), "not-an-id", ""):
        got = store.booking_inputs(expert, "no-such-form", str(uuid.uuid4()), FROM, TO, _since())
        assert got == BookingInputs()
    assert store.booking_inputs(people.sari, None, "not-an-id", FROM, TO, _since()).customer is None


def test_a_booking_with_a_new_customer_comes_back_with_their_name(store, people):
    typed = NewCustomer("Dewi Lestari", "dewi@example.com")
    booking = store.create_booking(new(people.sari, None, new_customer=typed, day=date(2030, 3, 12)), "ops",
                                   line=CREATED)
    assert (booking.customer_name, booking.customer_email) == ("Dewi Lestari", "dewi@example.com")
    assert booking == store.get_booking(booking.id)


def test_the_view_of_a_booking_is_what_its_separate_reads_answer(store, people):
    booking = store.create_booking(new(people.sari, people.andi), "ops", line=CREATED)
    store.create_booking(new(people.sari, people.andi, at=time(16, 0)), "ops", line=CREATED)
    since = _since()
    view = store.booking_view(booking.id, FROM, TO, since)
    assert view == BookingView(store.get_booking(booking.id), store.calendar_work([booking.id]).get(booking.id),
                               store.booking_inputs(people.sari, None, None, FROM, TO, since))
    assert view.calendar_work is None and len(view.inputs.held) == 2 and view.inputs.expert.id == people.sari
    store.queue_calendar_work(booking.id, "reschedule", datetime.now(UTC))
    queued = store.booking_view(booking.id, None, None, since)
    assert queued.calendar_work == store.calendar_work([booking.id])[booking.id]
    assert queued.inputs.held == [] and queued.inputs.held_from is None


def test_the_view_of_an_unknown_booking_is_empty(store, people):
    for booking_id in (str(uuid.uuid4()), "not-an-id"):
        assert store.booking_view(booking_id, FROM, TO, _since()) == BookingView()
