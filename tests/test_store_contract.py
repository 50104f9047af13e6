"""One contract for every BookingStore, run against each implementation.

* ``sqlite``: the embedded store, for real.
* ``supabase``: ``SupabaseStore`` on supabase-py, its HTTP requests answered (through respx) by
  ``PostgrestStub`` (tests/support/postgrest.py), which runs them on a real PostgreSQL 15 migrated
  with supabase/migrations, as the service role, one transaction per request, with PostgREST's
  error bodies. It needs a server (``bash tests/pg.sh``); without one it skips, except under CI.

Below the contract: the exact requests ``SupabaseStore`` sends (paths, filters, headers, bodies)
against canned PostgREST replies, including the 23P01 and 23505 error bodies and transport
failures; and a live check that runs only with SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY set.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from hmac import compare_digest
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from lib.domain import (
    ALLOWED_DURATIONS,
    STANDARD_SESSION_TYPES,
    Booking,
    BookingStatus,
    EmailDraft,
    EmailStatus,
    HeldTime,
    HistoryLine,
    Meeting,
    NewBooking,
    NewCustomer,
    SessionType,
)
from lib.errors import (
    CallExpertError,
    ConfigError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    SlotTaken,
    StoreUnavailable,
    Transient,
)
from lib.notify import LINK_PENDING
from lib.notify.templates import emails_for
from lib.service import history
from lib.store import EXPIRE_BATCH
from lib.store.sqlite import SQLiteStore
from lib.store.supabase import BOOKING_SELECT, SupabaseStore
from tests.support import store_contract
from tests.support.postgres import psycopg
from tests.support.postgrest import HOST, KEY, URL, supabase_over_postgres
from tests.support.store_contract import CREATED, DAY, NOW, People, new

TZ = ZoneInfo("Asia/Jakarta")

# The fixtures of tests/support/store_contract.py, by the names the tests ask for.
pg_db, store, people = store_contract.pg_db, store_contract.store, store_contract.people


def drafts(booking: Booking, event: str) -> list[EmailDraft]:
    return emails_for(booking, event, TZ)


def paid(store, people: People, **kw) -> Booking:
    booking = store.create_booking(new(people.sari, people.andi, **kw), "ops", line=CREATED)
    return store.mark_paid(booking.id, f"pay-{booking.id[:8]}", NOW, "ops", line=history.paid(f"pay-{booking.id[:8]}"))


def confirmed(store, people: People, **kw) -> Booking:
    booking = paid(store, people, **kw)
    return store.confirm(booking.id, f"https://meet.example.com/{booking.id[:8]}", f"ev{booking.id[:8]}", 0, NOW,
                         drafts(booking, "confirmed"), "ops", line=HistoryLine("confirmed", "link created"))


def events(store, booking_id: str) -> list[str]:
    return [h.event for h in store.history(booking_id)]


# -- the contract ---------------------------------------------------------------------------------

def test_every_store_has_every_protocol_method_with_its_parameters():
    from lib.store import BookingStore

    wanted = {name: inspect.signature(member) for name, member in vars(BookingStore).items()
              if callable(member) and not name.startswith("_")}
    for implementation in (SQLiteStore, SupabaseStore):
        for name, signature in wanted.items():
            method = getattr(implementation, name, None)
            assert method is not None, f"{implementation.__name__} lacks {name}"
            assert list(inspect.signature(method).parameters) == list(signature.parameters), \
                f"{implementation.__name__}.{name} takes other parameters than BookingStore.{name}"


def test_experts_and_customers(store):
    sari = store.add_expert("Sari", "sari@example.com", 250_000, "Career")
    budi = store.add_expert("Budi", "budi@example.com", 400_000)
    assert [e.name for e in store.list_experts()] == ["Budi", "Sari"]
    assert store.get_expert(sari.id) == sari
    assert store.get_expert(budi.id).expertise == ""
    assert store.get_expert(str(uuid.uuid4())) is None
    assert store.get_expert("not-an-id") is None

    andi = store.add_customer(NewCustomer("Andi", "andi@example.com"))
    again = store.add_customer(NewCustomer("Someone else", "ANDI@example.com"))
    assert again == andi  # the email identifies the customer; the stored name stays
    assert store.list_customers() == [andi]
    assert store.get_customer(andi.id) == andi
    assert store.get_customer(str(uuid.uuid4())) is None


def test_create_booking_is_pending_with_both_names_and_its_history(store, people):
    booking = store.create_booking(new(people.sari, people.andi), "ops", line=CREATED)
    assert booking.status is BookingStatus.PENDING
    assert (booking.customer_name, booking.customer_email) == ("Andi Pratama", "andi@example.com")
    assert (booking.expert_name, booking.expert_email) == ("Sari Wulandari", "sari@example.com")
    assert (booking.scheduled_date, booking.scheduled_time, booking.duration, booking.price) == \
        (DAY, time(14, 0), 60, 250_000)
    assert booking.meeting_link is None and booking.revision == 0 and booking.created_at is not None
    assert store.get_booking(booking.id) == booking
    assert store.get_booking(str(uuid.uuid4())) is None
    assert store.get_booking("nope") is None
    [created] = store.history(booking.id)
    assert (created.event, created.actor) == ("created", "ops")
    assert created.detail.startswith("pending") and created.detail.endswith("Rp 250.000")


def test_create_booking_with_a_new_customer_reuses_them_by_email(store, people):
    first = store.create_booking(new(people.sari, None, new_customer=NewCustomer("Dewi", "dewi@example.com")), "ops",
                                 line=CREATED)
    second = store.create_booking(
        new(people.sari, None, at=time(16, 0), new_customer=NewCustomer("D.", "DEWI@example.com")), "ops", line=CREATED)
    assert first.customer_name == "Dewi" and second.user_id == first.user_id
    assert len(store.list_customers()) == 2
    with pytest.raises(NotFound):
        store.create_booking(new(people.sari, str(uuid.uuid4()), at=time(18, 0)), "ops", line=CREATED)
    with pytest.raises(InvalidInput):
        store.create_booking(new(people.sari, None, at=time(18, 0)), "ops", line=CREATED)


def test_the_same_request_key_returns_the_first_booking(store, people):
    first = store.create_booking(new(people.sari, people.andi, key="form-1"), "ops", line=CREATED)
    again = store.create_booking(new(people.sari, people.andi, at=time(9, 0), key="form-1"), "ops", line=CREATED)
    assert again == first
    assert store.find_by_request_key("form-1") == first
    assert store.find_by_request_key("form-2") is None
    assert len(store.recent_bookings()) == 1


def test_overlap_is_refused_across_midnight_and_back_to_back_is_allowed(store, people):
    store.create_booking(new(people.sari, people.andi, at=time(23, 30), minutes=90), "ops",
                         line=CREATED)  # to 01:00 next day
    with pytest.raises(SlotTaken, match="pick another time"):
        store.create_booking(new(people.sari, people.andi, day=DAY + timedelta(days=1), at=time(0, 30), minutes=30),
                             "ops", line=CREATED)
    with pytest.raises(SlotTaken):
        store.create_booking(new(people.sari, people.andi, at=time(23, 0), minutes=60), "ops", line=CREATED)
    store.create_booking(new(people.sari, people.andi, at=time(22, 30)), "ops", line=CREATED)  # ends as it starts
    store.create_booking(new(people.sari, people.andi, day=DAY + timedelta(days=1), at=time(1, 0)), "ops", line=CREATED)
    store.create_booking(new(people.budi, people.andi, day=DAY + timedelta(days=1), at=time(0, 30)), "ops",
                         line=CREATED)
    assert len(store.recent_bookings()) == 4


def test_paid_and_confirmed_hold_the_slot_and_cancelled_frees_it(store, people):
    booking = confirmed(store, people)
    with pytest.raises(SlotTaken):
        store.create_booking(new(people.sari, people.andi, at=time(14, 30)), "ops", line=CREATED)
    store.cancel(booking.id, NOW, "customer asked", [], "ops", line=history.cancelled("customer asked"))
    moved_in = store.create_booking(new(people.sari, people.andi, at=time(14, 30)), "ops", line=CREATED)
    assert moved_in.status is BookingStatus.PENDING


def test_mark_paid_is_conditional_on_pending(store, people):
    booking = store.create_booking(new(people.sari, people.andi), "ops", line=CREATED)
    result = store.mark_paid(booking.id, "order-1", NOW, "midtrans", line=history.paid("order-1"))
    assert result.status is BookingStatus.PAID
    assert (result.payment_ref, result.paid_at) == ("order-1", NOW)
    assert result.customer_name == "Andi Pratama"
    assert store.mark_paid(booking.id, "order-2", NOW, "midtrans", line=history.paid("order-2")) is None
    assert store.get_booking(booking.id).payment_ref == "order-1"
    assert store.mark_paid(str(uuid.uuid4()), "order-3", NOW, "midtrans", line=history.paid("order-3")) is None
    assert events(store, booking.id) == ["created", "paid"]


def test_payment_attempts_are_numbered_and_the_payment_stored_only_while_pending(store, people):
    booking = store.create_booking(new(people.sari, people.andi), "ops", line=CREATED)
    assert (booking.payment_attempts, booking.payment_order_id, booking.payment_url) == (0, None, None)
    first = store.add_payment_attempt(booking.id)
    second = store.add_payment_attempt(booking.id)
    assert (first.payment_attempts, second.payment_attempts) == (1, 2)
    assert second.customer_name == "Andi Pratama" and second.status is BookingStatus.PENDING
    order = f"CE-{uuid.UUID(booking.id).hex}-2"
    started = store.start_payment(booking.id, order, "snap-token", "https://app.sandbox.midtrans.com/snap/v4/x",
                                  NOW, "ops", line=history.payment_started(order))
    assert (started.payment_order_id, started.payment_token, started.payment_url, started.payment_started_at) == \
        (order, "snap-token", "https://app.sandbox.midtrans.com/snap/v4/x", NOW)
    assert started.payment_attempts == 2 and store.get_booking(booking.id) == started
    assert events(store, booking.id) == ["created", "payment started"]
    assert store.history(booking.id)[-1].detail == f"order {order}"
    store.mark_paid(booking.id, order, NOW, "midtrans", line=history.paid(order))
    assert store.add_payment_attempt(booking.id) is None
    assert store.start_payment(booking.id, order + "0", "t", "https://x", NOW, "ops",
                               line=history.payment_started(order + "0")) is None
    assert store.get_booking(booking.id).payment_attempts == 2
    assert store.add_payment_attempt(str(uuid.uuid4())) is None
    assert store.start_payment(str(uuid.uuid4()), "o", "t", "https://x", NOW, "ops",
                               line=history.payment_started("o")) is None


def test_a_failed_payment_cancels_only_a_pending_booking(store, people):
    booking = store.create_booking(new(people.sari, people.andi), "ops", line=CREATED)
    gone = store.mark_payment_failed(booking.id, "The payment expired at Midtrans (expire).", NOW, "midtrans",
                                     line=history.payment_failed("The payment expired at Midtrans (expire)."))
    assert gone.status is BookingStatus.CANCELLED
    assert (gone.cancel_reason, gone.cancelled_at) == ("The payment expired at Midtrans (expire).", NOW)
    assert store.mark_payment_failed(booking.id, "again", NOW, "midtrans", line=history.payment_failed("again")) is None
    assert events(store, booking.id) == ["created", "cancelled"]
    assert store.list_emails(booking_id=booking.id) == []  # nothing was confirmed to anyone
    # The slot is free again; a paid booking is never cancelled by a late failure report.
    settled = paid(store, people)
    assert store.mark_payment_failed(settled.id, "late report", NOW, "midtrans",
                                     line=history.payment_failed("late report")) is None
    assert store.get_booking(settled.id).status is BookingStatus.PAID
    assert store.mark_payment_failed(str(uuid.uuid4()), "unknown", NOW, "midtrans",
                                     line=history.payment_failed("unknown")) is None


def test_pending_since_lists_old_pending_bookings_oldest_first(store, people):
    first = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=CREATED)
    second = store.create_booking(new(people.sari, people.andi, at=time(11, 0)), "ops", line=CREATED)
    paid(store, people, at=time(13, 0))
    gone = store.create_booking(new(people.budi, people.andi, at=time(9, 0)), "ops", line=CREATED)
    store.cancel(gone.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    later = datetime.now(UTC) + timedelta(minutes=5)
    listed = store.pending_since(later)
    assert {b.id for b in listed} == {first.id, second.id}
    assert [b.created_at for b in listed] == sorted(b.created_at for b in listed)
    assert all(b.status is BookingStatus.PENDING and b.customer_name == "Andi Pratama" for b in listed)
    assert len(store.pending_since(later, limit=1)) == 1
    assert store.pending_since(datetime.now(UTC) - timedelta(hours=1)) == []


def test_claim_for_link_takes_a_lease_that_one_worker_holds(store, people):
    pending = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=CREATED)
    assert store.claim_for_link(pending.id, NOW, NOW + timedelta(minutes=5)) is None
    booking = paid(store, people)
    claimed = store.claim_for_link(booking.id, NOW, NOW + timedelta(minutes=5))
    assert claimed.id == booking.id and claimed.expert_name == "Sari Wulandari"
    assert store.claim_for_link(booking.id, NOW + timedelta(minutes=1), NOW + timedelta(minutes=6)) is None
    assert store.claim_for_link(booking.id, NOW + timedelta(minutes=6), NOW + timedelta(minutes=11)) is not None
    store.release_link_claim(booking.id)
    assert store.claim_for_link(booking.id, NOW, NOW + timedelta(minutes=5)) is not None
    store.confirm(booking.id, "https://meet.example.com/x", None, 0, NOW, [], "ops",
                  line=HistoryLine("confirmed", "pasted"))
    assert store.claim_for_link(booking.id, NOW + timedelta(hours=1), NOW + timedelta(hours=2)) is None


def test_link_attempts_are_counted_and_keep_the_last_error(store, people):
    booking = paid(store, people)
    store.record_link_attempt(booking.id, "Calendar is busy (503)", "ops",
                              line=history.link_attempt("Calendar is busy (503)"))
    after_failure = store.get_booking(booking.id)
    assert (after_failure.link_attempts, after_failure.last_error) == (1, "Calendar is busy (503)")
    store.record_link_attempt(booking.id, None, "ops", line=history.link_attempt(None))
    after_success = store.get_booking(booking.id)
    assert (after_success.link_attempts, after_success.last_error) == (2, "Calendar is busy (503)")
    assert events(store, booking.id)[-2:] == ["link attempt failed", "link attempt"]
    assert store.history(booking.id)[-1].detail == "ok"


def test_confirm_is_conditional_and_queues_its_emails_once(store, people):
    pending = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=CREATED)
    assert store.confirm(pending.id, "https://meet.example.com/p", None, 0, NOW, [], "ops",
                         line=HistoryLine("confirmed", "x")) is None
    booking = paid(store, people)
    store.record_link_attempt(booking.id, "timeout", "ops", line=history.link_attempt("timeout"))
    emails = drafts(booking, "confirmed")
    result = store.confirm(booking.id, "https://meet.google.com/abc-defg-hij", "ev123", 2, NOW,
                           [emails[0], emails[0], emails[1]], "ops",
                           line=HistoryLine("confirmed", "google link created"))
    assert result.status is BookingStatus.CONFIRMED
    assert (result.meeting_link, result.google_event_id, result.event_version) == \
        ("https://meet.google.com/abc-defg-hij", "ev123", 2)
    assert result.confirmed_at == NOW and result.last_error is None
    assert store.confirm(booking.id, "https://meet.google.com/zzz", "ev9", 3, NOW, emails, "ops",
                         line=HistoryLine("confirmed", "again")) is None
    assert store.get_booking(booking.id).meeting_link == "https://meet.google.com/abc-defg-hij"
    queued = store.list_emails(booking_id=booking.id)
    assert sorted(e.kind for e in queued) == ["confirmed.customer", "confirmed.expert"]
    assert {e.status for e in queued} == {EmailStatus.QUEUED}
    assert {e.recipient for e in queued} == {"andi@example.com", "sari@example.com"}
    assert events(store, booking.id).count("confirmed") == 1
    assert store.history(booking.id)[-1].detail == "google link created"


def test_reschedule_moves_bumps_the_revision_and_queues_emails_from_the_moved_booking(store, people):
    booking = confirmed(store, people)
    seen: list[Booking] = []

    def emails(moved: Booking) -> Sequence[EmailDraft]:
        seen.append(moved)
        return drafts(moved, "rescheduled")

    later = DAY + timedelta(days=1)
    moved = store.reschedule(booking.id, later, time(10, 0), NOW, emails, "ops", line_for=history.rescheduled)
    assert (moved.scheduled_date, moved.scheduled_time, moved.revision) == (later, time(10, 0), 1)
    assert moved.meeting_link == booking.meeting_link and moved.status is BookingStatus.CONFIRMED
    assert moved.customer_name == "Andi Pratama"
    assert [(b.scheduled_date, b.scheduled_time, b.revision) for b in seen] == [(later, time(10, 0), 1)]
    kinds = {(e.kind, e.version) for e in store.list_emails(booking_id=booking.id)}
    assert {("rescheduled.customer", 1), ("rescheduled.expert", 1)} <= kinds
    assert store.history(booking.id)[-1].detail == "Mon 11 Mar 2030, 14:00 → Tue 12 Mar 2030, 10:00"
    # Overlapping its own old slot is fine; another booking's is not.
    assert store.reschedule(booking.id, later, time(10, 30), NOW, emails, "ops",
                            line_for=history.rescheduled).revision == 2
    other = store.create_booking(new(people.sari, people.andi, day=later, at=time(13, 0)), "ops", line=CREATED)
    with pytest.raises(SlotTaken, match="Sari Wulandari"):
        store.reschedule(booking.id, later, time(12, 30), NOW, emails, "ops", line_for=history.rescheduled)
    assert store.get_booking(booking.id).scheduled_time == time(10, 30)
    store.cancel(other.id, NOW, "no", [], "ops", line=history.cancelled("no"))
    with pytest.raises(InvalidTransition):
        store.reschedule(other.id, later, time(16, 0), NOW, emails, "ops", line_for=history.rescheduled)
    with pytest.raises(NotFound):
        store.reschedule(str(uuid.uuid4()), later, time(16, 0), NOW, emails, "ops", line_for=history.rescheduled)


def test_ended_confirmed_sessions_become_completed_once(store, people):
    morning = confirmed(store, people, at=time(9, 0))  # 09:00-10:00 on DAY
    noon = confirmed(store, people, at=time(12, 0))  # 12:00-13:00
    waiting = paid(store, people, at=time(7, 0))  # paid without a link: never "completed"
    now_local = datetime.combine(DAY, time(12, 30))
    assert store.complete_ended(now_local, NOW, "cli", line=history.completed()) == 1
    assert store.get_booking(morning.id).status is BookingStatus.COMPLETED
    assert store.get_booking(noon.id).status is BookingStatus.CONFIRMED  # still running
    assert store.get_booking(waiting.id).status is BookingStatus.PAID
    assert events(store, morning.id)[-1] == "completed"
    assert store.complete_ended(now_local, NOW, "cli", line=history.completed()) == 0  # a second run changes nothing
    assert store.complete_ended(datetime.combine(DAY, time(13, 0)), NOW, "cli", line=history.completed()) == 1
    assert store.upcoming_for_expert(people.sari, datetime.combine(DAY, time(8, 0))) == []


def test_cancel_is_conditional_and_queues_its_emails(store, people):
    booking = confirmed(store, people)
    gone = store.cancel(booking.id, NOW, "expert is ill", drafts(booking, "cancelled"), "ops",
                        line=history.cancelled("expert is ill"))
    assert gone.status is BookingStatus.CANCELLED
    assert (gone.cancel_reason, gone.cancelled_at) == ("expert is ill", NOW)
    assert store.cancel(booking.id, NOW, "twice", drafts(booking, "cancelled"), "ops",
                        line=history.cancelled("twice")) is None
    kinds = sorted(e.kind for e in store.list_emails(booking_id=booking.id))
    assert kinds == ["cancelled.customer", "cancelled.expert", "confirmed.customer", "confirmed.expert"]
    assert events(store, booking.id)[-1] == "cancelled"
    assert store.cancel(str(uuid.uuid4()), NOW, "unknown", [], "ops", line=history.cancelled("unknown")) is None


# -- calendar work: queued with the change, leased, retried, done with its line -------------------

def test_a_cancel_queues_its_calendar_work_in_its_transaction_held_by_the_link_lease(store, people):
    booking = paid(store, people)
    lease = NOW + timedelta(minutes=5)
    assert store.claim_for_link(booking.id, NOW, lease) is not None  # a link attempt in flight
    gone = store.cancel(booking.id, NOW, "x", [], "ops", line=history.cancelled("x"), calendar="cancel")
    assert gone.status is BookingStatus.CANCELLED
    work = store.calendar_work([booking.id])[booking.id]
    assert (work.reason, work.generation, work.waiting, work.attempts) == ("cancel", 1, True, 0)
    assert work.hold_until == lease and work.queued_at == NOW
    # A cancel that does not happen queues nothing.
    other = confirmed(store, people, at=time(16, 0))
    store.cancel(other.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    assert store.cancel(other.id, NOW, "again", [], "ops", line=history.cancelled("again"), calendar="cancel") is None
    assert other.id not in store.calendar_work([other.id])
    # The attempt ending queues its cleanup: the hold ends, the generation grows.
    store.queue_calendar_work(booking.id, "link cleanup", NOW + timedelta(seconds=1))
    work = store.calendar_work([booking.id])[booking.id]
    assert (work.reason, work.generation, work.hold_until) == ("link cleanup", 2, None)


def test_a_reschedule_queues_its_calendar_work(store, people):
    booking = confirmed(store, people)
    store.reschedule(booking.id, DAY, time(16, 0), NOW, lambda b: [], "ops", line_for=history.rescheduled,
                     calendar="reschedule")
    assert store.calendar_work([booking.id])[booking.id].reason == "reschedule"


def test_calendar_work_is_leased_retried_and_done_once_per_generation(store, people):
    booking = confirmed(store, people)
    store.queue_calendar_work(booking.id, "reschedule", NOW)
    lease = NOW + timedelta(minutes=2)
    [work] = store.claim_calendar_work(NOW, lease)
    assert work.booking_id == booking.id and work.generation == 1
    assert store.claim_calendar_work(NOW, lease) == []  # leased: another worker skips it
    assert store.claim_calendar_work(NOW, lease, booking_id=booking.id) == []
    store.calendar_work_later(booking.id, 1, NOW + timedelta(minutes=1), "Google said 503")
    assert store.claim_calendar_work(NOW, lease) == []  # not due yet
    work = store.calendar_work([booking.id])[booking.id]
    assert (work.attempts, work.last_error, work.waiting) == (1, "Google said 503", True)
    [again] = store.claim_calendar_work(NOW, lease, booking_id=booking.id)  # "Retry now": due or not
    store.queue_calendar_work(booking.id, "reschedule", NOW)  # moved again while the run was out
    line = HistoryLine("calendar event moved", "event at 16:00")
    assert store.finish_calendar_work(booking.id, again.generation, NOW, "worker", line=line) is False
    assert store.calendar_work([booking.id])[booking.id].waiting  # the newer change still runs
    [newest] = store.claim_calendar_work(NOW, lease)
    assert newest.generation == 2
    assert store.finish_calendar_work(booking.id, 2, NOW, "worker", line=line) is True
    work = store.calendar_work([booking.id])[booking.id]
    assert not work.waiting and work.done_at == NOW and work.last_error is None
    assert events(store, booking.id)[-2:] == ["calendar event moved", "calendar event moved"]


EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))  # history is stamped by the store


def test_calendar_work_waiting_lists_the_old_ones_and_history_is_counted_by_event(store, people):
    old, fresh = confirmed(store, people, at=time(9, 0)), confirmed(store, people, at=time(16, 0))
    store.queue_calendar_work(old.id, "cancel", NOW - timedelta(hours=1))
    store.queue_calendar_work(fresh.id, "cancel", NOW)
    assert [w.booking_id for w in store.calendar_work_waiting(NOW - timedelta(minutes=15))] == [old.id]
    before = store.count_history("calendar repaired", EVER[0], EVER[1])
    store.add_history(old.id, "calendar repaired", "x", "worker")
    after = store.count_history("calendar repaired", EVER[0], EVER[1])
    assert after == before + 1
    assert store.count_history("calendar repaired", EVER[1], EVER[1] + timedelta(days=1)) == 0


def test_upcoming_lists_confirmed_sessions_not_yet_ended_by_date_and_time(store, people):
    ended = confirmed(store, people, at=time(9, 0))  # 09:00-10:00
    running = confirmed(store, people, at=time(10, 30))  # 10:30-11:30, now is 11:00
    afternoon = confirmed(store, people, at=time(15, 0))
    tomorrow = confirmed(store, people, day=DAY + timedelta(days=1), at=time(8, 0))
    store.create_booking(new(people.sari, people.andi, at=time(13, 0)), "ops", line=CREATED)  # pending: not listed
    cancelled = confirmed(store, people, at=time(17, 0))
    store.cancel(cancelled.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    other = store.create_booking(new(people.budi, people.andi, at=time(15, 0)), "ops", line=CREATED)
    store.mark_paid(other.id, "p", NOW, "ops", line=history.paid("p"))
    store.confirm(other.id, "https://meet.example.com/o", None, 0, NOW, [], "ops", line=HistoryLine("confirmed", "x"))

    now_local = datetime.combine(DAY, time(11, 0))
    listed = store.upcoming_for_expert(people.sari, now_local)
    assert [b.id for b in listed] == [running.id, afternoon.id, tomorrow.id]
    assert ended.id not in {b.id for b in listed}
    assert listed[0].customer_name == "Andi Pratama" and listed[0].meeting_link
    assert [b.id for b in store.upcoming_for_expert(people.sari, now_local, limit=2)] == [running.id, afternoon.id]
    assert store.upcoming_for_expert(str(uuid.uuid4()), now_local) == []


def test_upcoming_keeps_a_session_that_started_yesterday_and_runs_past_midnight(store, people):
    late = confirmed(store, people, at=time(23, 30), minutes=90)  # until 01:00 the next day
    after_midnight = datetime.combine(DAY + timedelta(days=1), time(0, 30))
    assert [b.id for b in store.upcoming_for_expert(people.sari, after_midnight)] == [late.id]
    assert store.upcoming_for_expert(people.sari, datetime.combine(DAY + timedelta(days=1), time(1, 0))) == []


def test_bookings_between_lists_the_chosen_states_overlapping_a_range_by_date_and_time(store, people):
    done = confirmed(store, people, day=DAY - timedelta(days=1), at=time(23, 30))  # runs into DAY
    store.complete_ended(datetime.combine(DAY, time(8, 0)), NOW, "cli", line=history.completed())
    morning = confirmed(store, people, at=time(9, 0))
    waiting = paid(store, people, at=time(11, 0))
    pending = store.create_booking(new(people.sari, people.andi, at=time(13, 0)), "ops", line=CREATED)
    cancelled = confirmed(store, people, at=time(15, 0))
    store.cancel(cancelled.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    other = store.create_booking(new(people.budi, people.andi, at=time(8, 0)), "ops", line=CREATED)
    later = confirmed(store, people, day=DAY + timedelta(days=1), at=time(9, 0))  # after the range
    start, end = datetime.combine(DAY, time(0)), datetime.combine(DAY + timedelta(days=1), time(0))
    held = (BookingStatus.PAID, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)

    found = store.bookings_between(start, end, held, people.sari)
    assert [b.id for b in found] == [done.id, morning.id, waiting.id]
    assert found[0].status is BookingStatus.COMPLETED and found[1].customer_name == "Andi Pratama"
    everyone = store.bookings_between(start, end, (BookingStatus.PENDING,))
    assert [b.id for b in everyone] == [other.id, pending.id]  # every expert's without one named
    assert [b.id for b in store.bookings_between(start, end, held, people.sari, limit=1)] == [done.id]
    assert later.id not in {b.id for b in store.bookings_between(start, end, held)}
    assert store.bookings_between(start, end, ()) == []
    assert store.bookings_between(start, end, held, str(uuid.uuid4())) == []


def test_missing_links_are_the_paid_bookings_without_a_link(store, people):
    first = paid(store, people, at=time(9, 0))
    second = paid(store, people, at=time(11, 0))
    confirmed(store, people, at=time(13, 0))
    store.create_booking(new(people.sari, people.andi, at=time(15, 0)), "ops", line=CREATED)
    missing = store.missing_links()
    assert {b.id for b in missing} == {first.id, second.id}
    assert all(b.status is BookingStatus.PAID and b.expert_name for b in missing)
    assert len(store.missing_links(limit=1)) == 1


def test_recent_bookings_filter_by_status_and_limit(store, people):
    a = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=CREATED)
    b = paid(store, people, at=time(11, 0))
    c = store.create_booking(new(people.budi, people.andi, at=time(9, 0)), "ops", line=CREATED)
    assert {x.id for x in store.recent_bookings()} == {a.id, b.id, c.id}
    assert {x.id for x in store.recent_bookings(status=BookingStatus.PENDING)} == {a.id, c.id}
    assert [x.id for x in store.recent_bookings(status=BookingStatus.PAID)] == [b.id]
    assert len(store.recent_bookings(limit=2)) == 2


def test_counts_for_the_ops_page(store, people):
    confirmed(store, people, at=time(9, 0))
    paid(store, people, at=time(11, 0))
    store.create_booking(new(people.sari, people.andi, at=time(13, 0)), "ops", line=CREATED)
    gone = store.create_booking(new(people.sari, people.andi, at=time(15, 0)), "ops", line=CREATED)
    store.cancel(gone.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    confirmed(store, people, day=DAY + timedelta(days=1), at=time(9, 0))
    counts = store.counts(DAY)
    assert (counts.today, counts.awaiting_payment, counts.awaiting_link, counts.emails_not_sent) == (2, 1, 1, 4)
    first = store.list_emails()[-1]
    store.mark_email(first.id, EmailStatus.SENT, None, NOW)
    assert store.counts(DAY).emails_not_sent == 3
    assert store.counts(DAY + timedelta(days=5)).today == 0


def test_each_transition_writes_exactly_the_history_line_it_is_given(store, people):
    """The store words no history line: the event and detail it is given (quotes, percent signs,
    non-ASCII text and all) are what the history holds, with the actor, in order, and a
    transition that does not happen writes none."""
    def given(name: str) -> HistoryLine:
        return HistoryLine(f"{name} \u2713", f"{name}: 'quoted' 50% \"odd\" Rp 1.000 \u2014 as given")

    def row(name: str, actor: str) -> tuple[str, str, str]:
        return given(name).event, given(name).detail, actor

    def entries(booking_id: str) -> list[tuple[str, str, str]]:
        return [(h.event, h.detail, h.actor) for h in store.history(booking_id)]

    a = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=given("create"))
    store.start_payment(a.id, "CE-a-1", "tok", "https://pay.example.com/a", NOW, "ops", line=given("start"))
    store.mark_paid(a.id, "CE-a-1", NOW, "midtrans", line=given("paid"))
    assert store.mark_paid(a.id, "CE-a-1", NOW, "midtrans", line=given("paid twice")) is None
    store.record_link_attempt(a.id, "Calendar is busy (503)", "ops", line=given("attempt failed"))
    store.record_link_attempt(a.id, None, "ops", line=given("attempt"))
    store.confirm(a.id, "https://meet.example.com/a", "ev-a", 0, NOW, [], "ops", line=given("confirm"))
    store.reschedule(a.id, DAY, time(10, 0), NOW, lambda b: [], "ops:rina",
                     line_for=lambda was, now: given(f"{was.scheduled_time:%H:%M}-{now.scheduled_time:%H:%M}"))
    assert store.complete_ended(datetime.combine(DAY, time(12, 0)), NOW, "cli", line=given("complete")) == 1
    b = store.create_booking(new(people.budi, people.andi, at=time(9, 0)), "ops", line=given("create b"))
    store.cancel(b.id, NOW, "changed plans", [], "ops", line=given("cancel"))
    assert store.cancel(b.id, NOW, "again", [], "ops", line=given("cancel twice")) is None
    c = store.create_booking(new(people.budi, people.andi, at=time(11, 0)), "ops", line=given("create c"))
    store.mark_payment_failed(c.id, "The payment expired at Midtrans.", NOW, "midtrans", line=given("failed"))
    d = store.create_booking(new(people.budi, people.andi, at=time(13, 0)), "ops", line=given("create d"))
    [expired] = store.expire_pending(datetime.now(UTC) + timedelta(hours=1), NOW, "cli", line=given("expire"))

    assert expired.id == d.id
    assert entries(a.id) == [
        row("create", "ops"), row("start", "ops"), row("paid", "midtrans"), row("attempt failed", "ops"),
        row("attempt", "ops"), row("confirm", "ops"), row("09:00-10:00", "ops:rina"), row("complete", "cli")]
    assert entries(b.id) == [row("create b", "ops"), row("cancel", "ops")]
    assert entries(c.id) == [row("create c", "ops"), row("failed", "midtrans")]
    assert entries(d.id) == [row("create d", "ops"), row("expire", "cli")]


def test_history_is_in_order_and_add_history_appends(store, people):
    booking = paid(store, people)
    store.add_history(booking.id, "note", "called the customer", "ops:rina")
    entries = store.history(booking.id)
    assert [e.event for e in entries] == ["created", "paid", "note"]
    assert (entries[-1].detail, entries[-1].actor) == ("called the customer", "ops:rina")
    assert entries[-1].at.tzinfo is not None
    assert store.history(str(uuid.uuid4())) == []


def test_email_claims_are_leased_and_sends_are_recorded(store, people):
    one = confirmed(store, people, at=time(9, 0))
    two = confirmed(store, people, at=time(11, 0))
    lease = NOW + timedelta(minutes=5)
    first = store.claim_queued_emails(NOW, lease, limit=3)
    assert len(first) == 3 and [e.id for e in first] == sorted(e.id for e in first)
    rest = store.claim_queued_emails(NOW, lease, limit=10)
    assert len(rest) == 1 and rest[0].id not in {e.id for e in first}
    assert store.claim_queued_emails(NOW + timedelta(minutes=1), lease, limit=10) == []

    sent, failed, later = first
    store.mark_email(sent.id, EmailStatus.SENT, None, NOW)
    store.mark_email(failed.id, EmailStatus.FAILED, "550 no such user", NOW)
    store.mark_email(later.id, EmailStatus.QUEUED, "421 try later", NOW)
    by_id = {e.id: e for e in store.list_emails()}
    assert (by_id[sent.id].status, by_id[sent.id].attempts, by_id[sent.id].sent_at) == (EmailStatus.SENT, 1, NOW)
    assert (by_id[failed.id].status, by_id[failed.id].last_error) == (EmailStatus.FAILED, "550 no such user")
    assert by_id[later.id].status is EmailStatus.QUEUED and by_id[later.id].sent_at is None
    # The retry-later row is free again at once; the unsent fourth row only when its lease ends.
    longer = NOW + timedelta(minutes=10)
    assert [e.id for e in store.claim_queued_emails(NOW + timedelta(minutes=1), longer, limit=10)] == [later.id]
    assert [e.id for e in store.claim_queued_emails(NOW + timedelta(minutes=6), lease, limit=10)] == [rest[0].id]

    newest = store.list_emails(limit=2)
    assert [e.id for e in newest] == sorted((e.id for e in by_id.values()), reverse=True)[:2]
    assert {e.booking_id for e in store.list_emails(booking_id=one.id)} == {one.id}
    assert len(store.list_emails(booking_id=two.id)) == 2


def test_released_emails_can_be_claimed_again_at_once(store, people):
    confirmed(store, people, at=time(9, 0))
    lease = NOW + timedelta(minutes=10)
    taken = store.claim_queued_emails(NOW, lease, limit=10)
    assert len(taken) == 2 and store.claim_queued_emails(NOW, lease, limit=10) == []
    store.mark_email(taken[0].id, EmailStatus.SENT, None, NOW)
    store.release_emails([e.id for e in taken])  # only the still-queued one is given back
    store.release_emails([])
    assert [e.id for e in store.claim_queued_emails(NOW, lease, limit=10)] == [taken[1].id]


def notice(booking: Booking) -> EmailDraft:
    """The "payment received, link still being prepared" email."""
    return EmailDraft(booking.id, LINK_PENDING, booking.revision, booking.customer_email, "Payment received",
                      "Your link is on its way.", "<p>Your link is on its way.</p>")


def test_queue_emails_is_idempotent_and_waits_for_not_before(store, people):
    booking = paid(store, people)
    store.queue_emails([notice(booking)], NOW, not_before=NOW + timedelta(minutes=2))
    store.queue_emails([notice(booking)], NOW, not_before=NOW + timedelta(minutes=2))
    assert [e.kind for e in store.list_emails(booking_id=booking.id)] == [LINK_PENDING]
    assert store.claim_queued_emails(NOW, NOW + timedelta(minutes=5)) == []
    [due] = store.claim_queued_emails(NOW + timedelta(minutes=3), NOW + timedelta(minutes=8))
    assert (due.kind, due.recipient, due.ics) == (LINK_PENDING, "andi@example.com", None)


def replacing(emails: list[EmailDraft]) -> list[EmailDraft]:
    """The drafts as the service queues them: customer emails replace a queued link notice."""
    return [replace(e, replaces=(LINK_PENDING,)) if e.kind.endswith(".customer") else e for e in emails]


def test_a_newer_customer_email_drops_a_queued_link_notice_unless_a_dispatcher_holds_it(store, people):
    waiting = paid(store, people, at=time(9, 0))
    store.queue_emails([notice(waiting)], NOW)
    invite = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    emails = [replace(e, ics=invite) for e in replacing(drafts(waiting, "confirmed"))]
    store.confirm(waiting.id, "https://meet.example.com/w", None, 0, NOW, emails, "ops",
                  line=HistoryLine("confirmed", "x"))
    queued = store.list_emails(booking_id=waiting.id)
    assert sorted(e.kind for e in queued) == ["confirmed.customer", "confirmed.expert"]
    assert {e.ics for e in queued} == {invite}

    held = paid(store, people, at=time(11, 0))
    store.queue_emails([notice(held)], NOW)
    claimed = store.claim_queued_emails(NOW, NOW + timedelta(minutes=5))
    assert (held.id, LINK_PENDING) in {(e.booking_id, e.kind) for e in claimed}
    store.confirm(held.id, "https://meet.example.com/h", None, 0, NOW, replacing(drafts(held, "confirmed")), "ops",
                  line=HistoryLine("confirmed", "x"))
    assert LINK_PENDING in {e.kind for e in store.list_emails(booking_id=held.id)}


def test_a_store_drops_only_the_kinds_an_email_says_it_replaces(store, people):
    # Which email replaces which is the service's rule: a store keeps a queued notice unless the
    # new email names its kind, and drops only that booking's rows.
    kept = paid(store, people, at=time(9, 0))
    store.queue_emails([notice(kept)], NOW)
    store.cancel(kept.id, NOW, "changed plans", drafts(replace(kept, status=BookingStatus.CANCELLED), "cancelled"),
                 "ops", line=history.cancelled("changed plans"))
    assert LINK_PENDING in {e.kind for e in store.list_emails(booking_id=kept.id)}

    other, dropped = paid(store, people, at=time(11, 0)), paid(store, people, at=time(13, 0))
    store.queue_emails([notice(other), notice(dropped)], NOW)
    update = replace(drafts(dropped, "confirmed")[0], kind="note.expert", replaces=(LINK_PENDING, "other.kind"))
    store.queue_emails([update], NOW)
    assert LINK_PENDING not in {e.kind for e in store.list_emails(booking_id=dropped.id)}
    assert "note.expert" in {e.kind for e in store.list_emails(booking_id=dropped.id)}
    assert LINK_PENDING in {e.kind for e in store.list_emails(booking_id=other.id)}


def test_requeue_puts_only_a_failed_email_back_on_the_same_row(store, people):
    booking = confirmed(store, people)
    first, second = store.claim_queued_emails(NOW, NOW + timedelta(minutes=5))
    store.mark_email(first.id, EmailStatus.FAILED, "550 no such user", NOW)
    store.mark_email(second.id, EmailStatus.SENT, None, NOW)
    again = store.requeue_email(first.id)
    assert (again.id, again.status, again.attempts, again.booking_id) == (first.id, EmailStatus.QUEUED, 1, booking.id)
    assert store.requeue_email(first.id) is None
    assert store.requeue_email(second.id) is None
    assert store.requeue_email(987654) is None
    assert [e.id for e in store.claim_queued_emails(NOW, NOW + timedelta(minutes=5))] == [first.id]
    assert len(store.list_emails(booking_id=booking.id)) == 2


# -- unpaid bookings expire -------------------------------------------------------------------------

@pytest.fixture
def age(store, request: pytest.FixtureRequest):
    """``age(booking_id, minutes)``: make a booking look that much older (the store writes created_at)."""
    def backdate(booking_id: str, minutes: int) -> None:
        at = datetime.now(UTC) - timedelta(minutes=minutes)
        if isinstance(store, SQLiteStore):
            store._conn().execute("UPDATE bookings SET created_at = ? WHERE id = ?",
                                  (at.isoformat(timespec="seconds"), booking_id))
        else:
            with psycopg.connect(request.getfixturevalue("pg_db"), autocommit=True) as conn:
                conn.execute("update bookings set created_at = %s where id = %s", [at, booking_id])
    return backdate


def test_expire_pending_expires_only_pending_bookings_older_than_the_cutoff_once(store, people, age):
    stale = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=CREATED)
    fresh = store.create_booking(new(people.sari, people.andi, at=time(11, 0)), "ops", line=CREATED)
    settled = paid(store, people, at=time(13, 0))
    gone = store.create_booking(new(people.budi, people.andi, at=time(9, 0)), "ops", line=CREATED)
    store.cancel(gone.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    for booking in (stale, settled, gone):
        age(booking.id, 45)
    now = datetime.now(UTC)
    cutoff = now - timedelta(minutes=30)

    [expired] = store.expire_pending(cutoff, now, "cli", line=history.expired())
    assert (expired.id, expired.status) == (stale.id, BookingStatus.EXPIRED)
    assert (expired.customer_name, expired.expert_name) == ("Andi Pratama", "Sari Wulandari")
    assert store.get_booking(stale.id) == expired
    assert [store.get_booking(b.id).status for b in (fresh, settled, gone)] == [
        BookingStatus.PENDING, BookingStatus.PAID, BookingStatus.CANCELLED]
    last = store.history(stale.id)[-1]
    assert (last.event, last.actor) == ("expired", "cli") and "slot is free" in last.detail
    assert store.expire_pending(cutoff, now, "cli", line=history.expired()) == []  # a second run changes nothing
    assert events(store, stale.id) == ["created", "expired"]
    assert store.recent_bookings(status=BookingStatus.EXPIRED) == [expired]
    assert store.counts(DAY).awaiting_payment == 1  # the fresh one
    assert [b.id for b in store.pending_since(now + timedelta(minutes=5))] == [fresh.id]

    # An expired booking holds no slot and takes no more transitions; the fresh hold still counts.
    store.create_booking(new(people.sari, people.andi, at=time(9, 30)), "ops", line=CREATED)
    with pytest.raises(SlotTaken):
        store.create_booking(new(people.sari, people.andi, at=time(11, 30)), "ops", line=CREATED)
    assert store.mark_paid(stale.id, "order-late", NOW, "midtrans", line=history.paid("order-late")) is None
    assert store.cancel(stale.id, NOW, "x", [], "ops", line=history.cancelled("x")) is None
    assert store.mark_payment_failed(stale.id, "x", NOW, "midtrans", line=history.payment_failed("x")) is None
    assert store.get_booking(stale.id).status is BookingStatus.EXPIRED


def test_expire_pending_takes_at_most_its_limit_oldest_first_and_the_next_call_the_rest(store, people, age):
    made = [store.create_booking(new(people.sari, people.andi, at=time(9 + i, 0)), "ops", line=CREATED)
            for i in range(3)]
    for minutes, booking in zip((50, 40, 45), made, strict=True):
        age(booking.id, minutes)
    now = datetime.now(UTC)
    cutoff = now - timedelta(minutes=30)
    first = store.expire_pending(cutoff, now, "cli", line=history.expired(), limit=2)
    assert [b.id for b in first] == [made[0].id, made[2].id]  # the two oldest
    assert store.get_booking(made[1].id).status is BookingStatus.PENDING
    assert [b.id for b in store.expire_pending(cutoff, now, "cli", line=history.expired(), limit=2)] == [made[1].id]
    assert store.expire_pending(cutoff, now, "cli", line=history.expired(), limit=2) == []
    assert all(events(store, b.id) == ["created", "expired"] for b in made)


def test_a_payment_recorded_before_the_expiry_wins(store, people, age):
    booking = store.create_booking(new(people.sari, people.andi), "ops", line=CREATED)
    age(booking.id, 45)
    assert store.mark_paid(booking.id, "order-1", NOW, "midtrans",
                           line=history.paid("order-1")).status is BookingStatus.PAID
    now = datetime.now(UTC)
    assert store.expire_pending(now - timedelta(minutes=30), now, "cli", line=history.expired()) == []
    assert store.get_booking(booking.id).status is BookingStatus.PAID
    assert events(store, booking.id) == ["created", "paid"]


def test_an_older_sqlite_file_takes_the_expired_status_and_the_offered_durations(tmp_path):
    import sqlite3
    from contextlib import closing

    from lib.store.sqlite import SCHEMA

    old_schema = SCHEMA.replace("CHECK (duration IN (30, 45, 60, 90, 120))", "CHECK (duration > 0)").replace(
        ", 'expired'", "")
    assert old_schema != SCHEMA and "'expired'" not in old_schema
    from lib.domain import ALLOWED_DURATIONS

    offered = re.search(r"duration IN \(([^)]*)\)", SCHEMA).group(1)  # new files: the lengths the form offers
    assert tuple(int(n) for n in offered.split(",")) == ALLOWED_DURATIONS

    def old_file(name: str, minutes: int) -> tuple[str, str]:
        path, booking = str(tmp_path / name), str(uuid.uuid4())
        with closing(sqlite3.connect(path)) as db:
            db.executescript(old_schema)
            db.execute("INSERT INTO experts (id, name, email, hourly_rate, expertise, created_at)"
                       " VALUES ('e1', 'Sari', 'sari@example.com', 250000, '', '2026-01-01')")
            db.execute("INSERT INTO users VALUES ('u1', 'Andi', 'andi@example.com', '2026-01-01')")
            db.execute("INSERT INTO bookings (id, user_id, expert_id, session_type, scheduled_date, scheduled_time,"
                       " duration, status, price, created_at, updated_at) VALUES (?, 'u1', 'e1', 'Career mentoring',"
                       " '2030-03-11', '14:00:00', ?, 'pending', 250000, '2026-01-01T00:00:00+00:00',"
                       " '2026-01-01T00:00:00+00:00')", (booking, minutes))
            db.execute("INSERT INTO booking_history (booking_id, at, event) VALUES (?, '2026-01-01', 'created')",
                       (booking,))
            db.commit()
        return path, booking

    path, booking = old_file("old.db", 60)
    store = SQLiteStore(path)
    kept = store.get_booking(booking)
    assert (kept.status, kept.duration, kept.ends_at, kept.customer_name) == (
        BookingStatus.PENDING, 60, datetime(2030, 3, 11, 15, 0), "Andi")
    assert events(store, booking) == ["created"]
    now = datetime.now(UTC)
    [gone] = store.expire_pending(now - timedelta(minutes=30), now, "cli",
                                  line=history.expired())  # 'expired' is allowed now
    assert gone.id == booking and events(store, booking) == ["created", "expired"]
    db = store._conn()
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE bookings SET duration = 75 WHERE id = ?", (booking,))
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"bookings_expert_upcoming", "bookings_status_created", "bookings_date", "bookings_created"} <= indexes
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert SQLiteStore(path).get_booking(booking) == gone  # a second start changes nothing

    odd, _ = old_file("odd.db", 75)  # a length the console never offered: refused with a clear message
    with pytest.raises(ConfigError, match="30, 45, 60, 90 or 120 minutes"):
        SQLiteStore(odd)

def _same_database(store):
    """A second store object on the same database, as a second process would have."""
    if isinstance(store, SQLiteStore):
        return SQLiteStore(store.path)
    return SupabaseStore.from_settings(URL, KEY, 5.0, retry_reads=False)


def test_request_slots_are_a_rolling_minute_across_the_clock_minutes_boundary(store):
    calendar = f"cal-{uuid.uuid4().hex}@group.calendar.google.com"
    burst = datetime(2030, 3, 10, 3, 0, 59, 500000, tzinfo=UTC)  # second 59 of 03:00
    other = _same_database(store)
    assert store.request_slots_used(calendar, burst) == 0
    assert [store.take_request_slot(calendar, 3, burst), other.take_request_slot(calendar, 3, burst),
            store.take_request_slot(calendar, 3, burst)] == [0.0, 0.0, 0.0]
    # Every second of the next clock minute is still within 60 s of the burst: all wait. The
    # burst's second 03:00:59 may have ended at 03:01:00, so it counts until 03:02:00.
    for second in range(60):
        at = datetime(2030, 3, 10, 3, 1, second, 250000, tzinfo=UTC)
        expected = (datetime(2030, 3, 10, 3, 2, tzinfo=UTC) - at).total_seconds()
        assert (store if second % 2 else other).take_request_slot(calendar, 3, at) == pytest.approx(expected)
        assert store.request_slots_used(calendar, at) == 3  # nothing was taken by asking
    assert store.take_request_slot("another-calendar-" + calendar, 3, burst) == 0.0  # each calendar has its own
    free = datetime(2030, 3, 10, 3, 2, tzinfo=UTC)
    assert other.request_slots_used(calendar, free) == 0
    assert [store.take_request_slot(calendar, 3, free) for _ in range(4)] == [0.0, 0.0, 0.0, 61.0]
    assert other.request_slots_used(calendar, free) == 3


def test_request_slots_free_up_as_the_oldest_leave_the_window(store):
    calendar = f"cal-{uuid.uuid4().hex}"
    start = datetime(2030, 3, 10, 3, 0, 10, tzinfo=UTC)
    other = _same_database(store)
    for offset in (0, 20, 40):
        assert store.take_request_slot(calendar, 3, start + timedelta(seconds=offset)) == 0.0
    at = start + timedelta(seconds=50)
    assert other.take_request_slot(calendar, 3, at) == pytest.approx(11.0)  # until 03:00:10 ended 60 s ago
    at = start + timedelta(seconds=61)
    assert (other.request_slots_used(calendar, at), other.take_request_slot(calendar, 3, at)) == (2, 0.0)
    assert store.take_request_slot(calendar, 3, at) == pytest.approx(20.0)  # now 03:00:30 is the oldest
    # A lower limit (the setting changed) waits until enough of the oldest have gone, not just one.
    assert store.take_request_slot(calendar, 1, at) == pytest.approx(61.0)  # the three: up to 03:01:11


# -- Join links ------------------------------------------------------------------------------------

def test_join_tokens_are_issued_once_per_booking_and_person_and_found_again(store, people):
    booking = confirmed(store, people)
    other = confirmed(store, people, at=time(16, 0))
    first = {"customer": "c" * 43, "expert": "e" * 43}
    assert store.issue_join_tokens(booking.id, first, NOW) == first
    # A second issue (another email, or a second dispatcher at once) gets the stored tokens back.
    again = _same_database(store).issue_join_tokens(booking.id, {"customer": "x" * 43, "expert": "y" * 43}, NOW)
    assert again == first
    assert store.issue_join_tokens(other.id, {"customer": "o" * 43}, NOW) == {"customer": "o" * 43}
    assert store.issue_join_tokens(other.id, {"expert": "p" * 43}, NOW) == {"customer": "o" * 43,
                                                                            "expert": "p" * 43}
    assert store.join_token("c" * 43) == (booking.id, "customer")
    assert store.join_token("p" * 43) == (other.id, "expert")
    assert store.join_token("x" * 43) is None and store.join_token("nope") is None


def test_join_clicks_are_counted_per_person_with_the_latest(store, people):
    booking = confirmed(store, people)
    other = confirmed(store, people, at=time(16, 0))
    assert store.join_clicks(booking.id) == []
    store.record_join_click(booking.id, "customer", NOW)
    store.record_join_click(booking.id, "customer", NOW + timedelta(minutes=5))
    store.record_join_click(booking.id, "expert", NOW + timedelta(minutes=1))
    store.record_join_click(other.id, "customer", NOW + timedelta(hours=1))
    assert [(c.person, c.clicks, c.last_at) for c in store.join_clicks(booking.id)] == [
        ("customer", 2, NOW + timedelta(minutes=5)), ("expert", 1, NOW + timedelta(minutes=1))]
    assert [(c.person, c.clicks) for c in store.join_clicks(other.id)] == [("customer", 1)]
    assert store.join_clicks(str(uuid.uuid4())) == []


# -- what the Supabase store sends per page load (on PostgreSQL) -----------------------------------

def test_supabase_page_loads_take_one_request_each(pg_db):
    with supabase_over_postgres(pg_db) as (store, stub):
        people = People(store.add_expert("Sari", "sari@example.com", 250_000).id,
                        store.add_expert("Budi", "budi@example.com", 400_000).id,
                        store.add_customer(NewCustomer("Andi", "andi@example.com")).id)
        for hour in (9, 11, 13):
            confirmed(store, people, at=time(hour, 0))
        booking = paid(store, people, at=time(15, 0))

        def cost(call) -> int:
            before = len(stub.requests)
            call()
            return len(stub.requests) - before

        now_local = datetime.combine(DAY, time(8, 0))
        assert cost(lambda: store.upcoming_for_expert(people.sari, now_local)) == 1
        assert cost(store.missing_links) == 1
        assert cost(lambda: store.counts(DAY)) == 1
        assert cost(store.recent_bookings) == 1
        assert cost(lambda: store.get_booking(booking.id)) == 1
        assert cost(lambda: store.history(booking.id)) == 1
        assert cost(store.list_emails) == 1
        assert cost(store.list_experts) == 1
        assert cost(lambda: store.create_booking(new(people.budi, people.andi), "ops", line=CREATED)) == 1
        assert cost(lambda: store.claim_for_link(booking.id, NOW, NOW + timedelta(minutes=5))) == 1
        assert cost(lambda: store.confirm(booking.id, "https://meet.example.com/x", None, 0, NOW,
                                          drafts(booking, "confirmed"), "ops", line=HistoryLine("confirmed", "x"))) == 1
        assert cost(lambda: store.reschedule(booking.id, DAY, time(16, 0), NOW,
                                             lambda b: drafts(b, "rescheduled"), "ops",
                                             line_for=history.rescheduled)) == 2
        assert cost(lambda: store.claim_queued_emails(NOW, NOW + timedelta(minutes=5))) == 1


def test_supabase_reads_every_row_past_the_projects_max_rows(pg_db):
    """Supabase answers a read with at most its "Max rows" (1,000 by default) and does not say
    more were left: the customer list, the experts and an expert's held times over a long range
    are read in pages, so row 1,001 is there too (it was silently missing: a busy expert's
    picker offered taken times)."""
    import psycopg

    with supabase_over_postgres(pg_db) as (store, stub):
        sari = store.add_expert("Sari", "sari@example.com", 250_000)
        with psycopg.connect(pg_db, autocommit=True) as db:
            db.execute("insert into users (name, email) select 'Customer ' || lpad(n::text, 4, '0'),"
                       " 'c' || n || '@example.com' from generate_series(1, 1001) n")
            db.execute("insert into experts (name, email, hourly_rate) select 'Expert ' || lpad(n::text, 4, '0'),"
                       " 'e' || n || '@example.com', 100000 from generate_series(1, 1000) n")
            # 1,001 one-hour sessions of Sari's, ten a day from 2030-03-11 08:00.
            db.execute("insert into bookings (user_id, expert_id, session_type, scheduled_date, scheduled_time,"
                       " duration, status) select (select id from users order by name limit 1), %s, 'Career mentoring',"
                       " date '2030-03-11' + n / 10, time '08:00' + make_interval(hours => n %% 10), 60, 'confirmed'"
                       " from generate_series(0, 1000) n", [sari.id])
        assert stub.max_rows == 1000

        customers = store.list_customers()
        assert len(customers) == 1001 and len({c.id for c in customers}) == 1001
        assert [c.name for c in customers] == sorted(c.name for c in customers)
        experts = store.list_experts()
        assert len(experts) == 1001 and len({e.id for e in experts}) == 1001
        start, end = datetime(2030, 3, 11), datetime(2030, 6, 30)
        held = store.active_times(sari.id, start, end, NOW - timedelta(hours=1))
        assert len(held) == 1001 and len({h.booking_id for h in held}) == 1001
        last = max(held, key=lambda h: h.starts_at)
        assert last.starts_at == datetime(2030, 6, 19, 8, 0)  # session 1,001: day 100, 08:00
        assert len(store.active_bookings(sari.id, start, end, NOW - timedelta(hours=1))) == 1001


# -- session types ----------------------------------------------------------------------------------

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


# -- the exact requests, against canned PostgREST replies ------------------------------------------

@dataclass
class Wire:
    store: SupabaseStore
    sent: list[httpx.Request] = field(default_factory=list)
    replies: list[httpx.Response | Exception] = field(default_factory=list)

    def reply(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        answer = self.replies.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def wire() -> Iterator[Wire]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        w = Wire(SupabaseStore.from_settings(URL, KEY, 7.0, retry_reads=False))
        router.route(host=HOST).mock(side_effect=w.reply)
        yield w
        w.store.close()
    assert not w.replies, "some canned replies were never asked for"


def assert_signed(request: httpx.Request) -> None:
    """The service-role key went in apikey and Authorization (compared, never shown)."""
    signed = compare_digest(request.headers.get("apikey", ""), KEY) and compare_digest(
        request.headers.get("authorization", ""), f"Bearer {KEY}")
    assert signed, "the request lacks the service-role key in apikey / Authorization: Bearer"


def prefers(request: httpx.Request) -> set[str]:
    return {p.strip() for p in request.headers.get("prefer", "").split(",") if p.strip()}


SARI, ANDI, BOOKING = (str(uuid.UUID(int=n)) for n in (1, 2, 3))


def pgrst_row(**overrides: Any) -> dict[str, Any]:
    """A booking as PostgREST returns it for BOOKING_SELECT."""
    row = {
        "id": BOOKING, "user_id": ANDI, "expert_id": SARI, "session_type": "Career mentoring",
        "scheduled_date": "2030-03-11", "scheduled_time": "14:00:00", "duration": 60, "status": "confirmed",
        "price": 250000, "meeting_link": "https://meet.google.com/abc-defg-hij", "google_event_id": "ev1",
        "event_version": 0, "revision": 0, "link_attempts": 1, "last_error": None, "payment_ref": "order-1",
        "request_key": None, "created_at": "2030-03-10T02:00:00.123456+00:00",
        "paid_at": "2030-03-10T02:05:00+00:00", "confirmed_at": "2030-03-10T02:06:00+00:00",
        "cancelled_at": None, "cancel_reason": None,
        "customer": {"name": "Andi Pratama", "email": "andi@example.com"},
        "expert": {"name": "Sari Wulandari", "email": "sari@example.com"},
    }
    row.update(overrides)
    return row


def pgrst_error(status: int, code: str, message: str, details: str | None = None) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "details": details, "hint": None, "message": message})


def test_wire_upcoming_is_one_filtered_ordered_get_with_embedded_names(wire):
    later = pgrst_row(id=str(uuid.UUID(int=4)), scheduled_time="16:00:00", price="300000.00")
    wire.replies.append(httpx.Response(200, json=[pgrst_row(), later]))
    listed = wire.store.upcoming_for_expert(SARI, datetime(2030, 3, 11, 9, 30))
    [request] = wire.sent
    assert (request.method, request.url.path) == ("GET", "/rest/v1/bookings")
    assert list(request.url.params.multi_items()) == [
        ("select", BOOKING_SELECT),
        ("expert_id", f"eq.{SARI}"),
        ("status", "eq.confirmed"),
        ("scheduled_date", "gte.2030-03-10"),
        ("ends_at", "gt.2030-03-11T09:30:00"),
        ("order", "scheduled_date.asc,scheduled_time.asc"),
        ("limit", "200"),
    ]
    assert "customer:users!user_id(name,email)" in BOOKING_SELECT and "expert:experts!expert_id(name,email)" in \
        BOOKING_SELECT
    assert_signed(request)
    assert [(b.customer_name, b.expert_name, b.scheduled_time, b.price) for b in listed] == [
        ("Andi Pratama", "Sari Wulandari", time(14, 0), 250_000),
        ("Andi Pratama", "Sari Wulandari", time(16, 0), 300_000)]
    assert listed[0].created_at == datetime(2030, 3, 10, 2, 0, 0, 123456, tzinfo=UTC)


def test_wire_create_booking_is_one_rpc_and_23P01_means_the_slot_is_taken(wire):
    wire.replies.append(pgrst_error(
        400, "23P01", 'conflicting key value violates exclusion constraint "bookings_no_overlap"',
        f'Key (expert_id, slot)=({SARI}, ["2030-03-11 14:00:00","2030-03-11 15:00:00")) conflicts with existing '
        f'key (expert_id, slot)=({SARI}, ["2030-03-11 13:30:00","2030-03-11 14:30:00")).'))
    booking = new(SARI, ANDI, key="form-7")
    with pytest.raises(SlotTaken) as caught:
        wire.store.create_booking(booking, "ops", line=CREATED)
    assert str(caught.value) == \
        "This expert already has a session overlapping Mon 11 Mar 2030, 14:00; pick another time."
    [request] = wire.sent
    assert (request.method, request.url.path) == ("POST", "/rest/v1/rpc/booking_create")
    assert dict(request.url.params) == {"select": BOOKING_SELECT}
    assert "return=representation" in prefers(request)
    assert json.loads(request.content) == {
        "p_id": booking.id, "p_expert_id": SARI, "p_session_type": "Career mentoring", "p_date": "2030-03-11",
        "p_time": "14:00:00", "p_duration": 60, "p_price": 250000, "p_customer_id": ANDI, "p_customer_name": None,
        "p_customer_email": None, "p_request_key": "form-7", "p_actor": "ops",
        "p_event": "created", "p_detail": "pending, Rp 250.000", "p_session_type_id": None}
    assert_signed(request)


def test_wire_23505_on_the_request_key_returns_the_booking_of_the_first_submit(wire):
    wire.replies.append(pgrst_error(409, "23505", 'duplicate key value violates unique constraint '
                                    '"bookings_request_key_key"', "Key (request_key)=(form-7) already exists."))
    wire.replies.append(httpx.Response(200, json=[pgrst_row(status="pending", request_key="form-7")]))
    booking = wire.store.create_booking(new(SARI, ANDI, key="form-7"), "ops", line=CREATED)
    assert booking.id == BOOKING and booking.status is BookingStatus.PENDING
    lookup = wire.sent[1]
    assert (lookup.method, lookup.url.path) == ("GET", "/rest/v1/bookings")
    assert dict(lookup.url.params) == {"select": BOOKING_SELECT, "request_key": "eq.form-7"}
    assert len(wire.sent) == 2


def test_wire_23505_on_another_key_during_booking_means_the_slot_is_taken(wire):
    wire.replies.append(pgrst_error(409, "23505", 'duplicate key value violates unique constraint '
                                    '"bookings_expert_slot_key"', "Key (expert_id, starts_at)=(...) already exists."))
    with pytest.raises(SlotTaken, match="Mon 11 Mar 2030, 14:00"):
        wire.store.create_booking(new(SARI, ANDI), "ops", line=CREATED)


def test_wire_claim_for_link_is_one_conditional_patch(wire):
    wire.replies.append(httpx.Response(200, json=[]))
    assert wire.store.claim_for_link(BOOKING, NOW, NOW + timedelta(minutes=5)) is None
    [request] = wire.sent
    assert (request.method, request.url.path) == ("PATCH", "/rest/v1/bookings")
    assert list(request.url.params.multi_items()) == [
        ("id", f"eq.{BOOKING}"), ("status", "eq.paid"), ("meeting_link", "is.null"),
        ("or", '(link_lease_until.is.null,link_lease_until.lt."2030-03-10T03:00:00+00:00")'),
        ("select", BOOKING_SELECT)]
    assert json.loads(request.content) == {"link_lease_until": "2030-03-10T03:05:00+00:00"}
    assert "return=representation" in prefers(request)
    assert_signed(request)


def test_wire_confirm_sends_the_emails_and_an_empty_reply_means_not_paid(wire):
    wire.replies.append(httpx.Response(200, json=[]))
    booking = Booking(id=BOOKING, user_id=ANDI, expert_id=SARI, session_type="Career mentoring", scheduled_date=DAY,
                      scheduled_time=time(14, 0), duration=60, status=BookingStatus.PAID, price=250_000,
                      customer_name="Andi", customer_email="andi@example.com", expert_name="Sari",
                      expert_email="sari@example.com")
    emails = drafts(booking, "confirmed")
    assert wire.store.confirm(BOOKING, "https://meet.google.com/x", "ev1", 1, NOW, emails, "ops",
                              line=HistoryLine("confirmed", "link")) is None
    [request] = wire.sent
    assert (request.method, request.url.path) == ("POST", "/rest/v1/rpc/booking_confirm")
    body = json.loads(request.content)
    assert (body["p_id"], body["p_event_version"], body["p_at"]) == (BOOKING, 1, "2030-03-10T03:00:00+00:00")
    assert [(e["kind"], e["version"], e["recipient"]) for e in body["p_emails"]] == [
        ("confirmed.customer", 0, "andi@example.com"), ("confirmed.expert", 0, "sari@example.com")]


def test_wire_a_payment_with_its_attempt_and_link_lease_is_one_request(wire):
    wire.replies.append(httpx.Response(200, json=[pgrst_row(status="paid", payment_attempts=1, meeting_link=None)]))
    booking = wire.store.mark_paid(BOOKING, "DEMO-1", NOW, "ops", line=history.paid("DEMO-1"), count_attempt=True,
                                   lease_until=NOW + timedelta(minutes=5))
    assert (booking.status, booking.payment_attempts) == (BookingStatus.PAID, 1)
    [request] = wire.sent
    assert (request.method, request.url.path) == ("POST", "/rest/v1/rpc/booking_mark_paid")
    body = json.loads(request.content)
    assert (body["p_count_attempt"], body["p_lease_until"]) == (True, "2030-03-10T03:05:00+00:00")
    assert (body["p_event"], body["p_detail"]) == ("paid", history.paid("DEMO-1").detail)


def test_wire_a_confirmation_with_its_link_attempt_is_one_request(wire):
    wire.replies.append(httpx.Response(200, json=[pgrst_row(link_attempts=2)]))
    confirmed_booking = wire.store.confirm(BOOKING, "https://meet.google.com/x", "ev1", 0, NOW, [], "ops",
                                           line=HistoryLine("confirmed", "link"), attempt=history.link_attempt(None))
    assert confirmed_booking.link_attempts == 2
    [request] = wire.sent
    assert (request.method, request.url.path) == ("POST", "/rest/v1/rpc/booking_confirm")
    body = json.loads(request.content)
    assert (body["p_attempt_event"], body["p_attempt_detail"]) == ("link attempt", "ok")
    assert (body["p_event"], body["p_detail"]) == ("confirmed", "link")


def test_wire_pending_since_is_one_filtered_ordered_get(wire):
    wire.replies.append(httpx.Response(200, json=[pgrst_row(status="pending", payment_order_id="CE-1-1",
                                                            payment_attempts=1)]))
    [listed] = wire.store.pending_since(NOW, limit=50)
    assert (listed.status, listed.payment_order_id, listed.payment_attempts) == (BookingStatus.PENDING, "CE-1-1", 1)
    [request] = wire.sent
    assert (request.method, request.url.path) == ("GET", "/rest/v1/bookings")
    assert list(request.url.params.multi_items()) == [
        ("select", BOOKING_SELECT), ("status", "eq.pending"), ("created_at", "lt.2030-03-10T03:00:00+00:00"),
        ("order", "created_at.asc"), ("limit", "50")]
    assert "payment_url" in BOOKING_SELECT and "payment_token" in BOOKING_SELECT
    assert_signed(request)


def test_wire_payment_transitions_are_one_rpc_each(wire):
    wire.replies.extend([httpx.Response(200, json=[]), httpx.Response(200, json=[]), httpx.Response(200, json=[])])
    assert wire.store.add_payment_attempt(BOOKING) is None
    assert wire.store.start_payment(BOOKING, "CE-x-1", "tok", "https://app.sandbox.midtrans.com/snap/v4/r", NOW,
                                    "ops", line=HistoryLine("started", "as given")) is None
    assert wire.store.mark_payment_failed(BOOKING, "expired", NOW, "midtrans",
                                          line=HistoryLine("failed", "also as given")) is None
    attempt, start, failed = wire.sent
    assert [(r.method, r.url.path) for r in wire.sent] == [
        ("POST", "/rest/v1/rpc/booking_add_payment_attempt"), ("POST", "/rest/v1/rpc/booking_start_payment"),
        ("POST", "/rest/v1/rpc/booking_payment_failed")]
    assert json.loads(attempt.content) == {"p_id": BOOKING}
    assert json.loads(start.content) == {"p_id": BOOKING, "p_order_id": "CE-x-1", "p_token": "tok",
                                         "p_url": "https://app.sandbox.midtrans.com/snap/v4/r",
                                         "p_at": "2030-03-10T03:00:00+00:00", "p_actor": "ops",
                                         "p_event": "started", "p_detail": "as given"}
    assert json.loads(failed.content) == {"p_id": BOOKING, "p_reason": "expired",
                                          "p_at": "2030-03-10T03:00:00+00:00", "p_actor": "midtrans",
                                          "p_event": "failed", "p_detail": "also as given"}


def test_wire_expire_pending_is_one_rpc_with_the_names_embedded(wire):
    wire.replies.append(httpx.Response(200, json=[pgrst_row(status="expired", payment_order_id="CE-1-1",
                                                            payment_attempts=1)]))
    [gone] = wire.store.expire_pending(NOW - timedelta(minutes=30), NOW, "cli", line=history.expired())
    assert (gone.status, gone.customer_name, gone.payment_order_id) == (BookingStatus.EXPIRED, "Andi Pratama", "CE-1-1")
    [request] = wire.sent
    assert (request.method, request.url.path) == ("POST", "/rest/v1/rpc/booking_expire_pending")
    assert dict(request.url.params) == {"select": BOOKING_SELECT}
    assert json.loads(request.content) == {"p_cutoff": "2030-03-10T02:30:00+00:00",
                                           "p_at": "2030-03-10T03:00:00+00:00", "p_actor": "cli",
                                           "p_event": "expired", "p_detail": "not paid in time; the slot is free again",
                                           "p_limit": EXPIRE_BATCH}
    assert_signed(request)

def test_wire_a_request_slot_is_one_rpc_and_its_answer_the_wait(wire):
    wire.replies.extend([httpx.Response(200, json=0), httpx.Response(200, json=14.5), httpx.Response(200, json=3)])
    assert wire.store.take_request_slot("primary", 500, NOW) == 0.0
    assert wire.store.take_request_slot("primary", 500, NOW) == 14.5
    assert wire.store.request_slots_used("primary", NOW) == 3
    assert [(r.method, r.url.path) for r in wire.sent] == [
        ("POST", "/rest/v1/rpc/calendar_take_request_slot"), ("POST", "/rest/v1/rpc/calendar_take_request_slot"),
        ("POST", "/rest/v1/rpc/calendar_request_slots_used")]
    assert json.loads(wire.sent[0].content) == {"p_calendar_id": "primary", "p_limit": 500,
                                                "p_now": "2030-03-10T03:00:00+00:00"}
    assert json.loads(wire.sent[2].content) == {"p_calendar_id": "primary", "p_now": "2030-03-10T03:00:00+00:00"}
    assert_signed(wire.sent[0])


def test_wire_requeue_is_one_conditional_patch(wire):
    wire.replies.append(httpx.Response(200, json=[]))
    assert wire.store.requeue_email(42) is None
    [request] = wire.sent
    assert (request.method, request.url.path) == ("PATCH", "/rest/v1/email_outbox")
    assert list(request.url.params.multi_items())[:2] == [("id", "eq.42"), ("status", "eq.failed")]
    assert json.loads(request.content) == {"status": "queued", "lease_until": None}
    assert "return=representation" in prefers(request)


def test_wire_inserts_ask_for_the_representation(wire):
    wire.replies.append(httpx.Response(201, json=[{"id": SARI, "name": "Sari", "email": "sari@example.com",
                                                    "hourly_rate": 250000, "expertise": ""}]))
    wire.replies.append(httpx.Response(201))
    assert wire.store.add_expert("Sari", "sari@example.com", 250_000).id == SARI
    wire.store.add_history(BOOKING, "note", "called", "ops")
    expert, history = wire.sent
    assert (expert.method, expert.url.path, dict(expert.url.params)) == \
        ("POST", "/rest/v1/experts", {"select": "id,name,email,hourly_rate,expertise,calendar_id"})
    assert "return=representation" in prefers(expert)
    assert (history.method, history.url.path) == ("POST", "/rest/v1/booking_history")
    assert "return=minimal" in prefers(history)  # nothing to read back
    assert json.loads(history.content) == {"booking_id": BOOKING, "event": "note", "detail": "called", "actor": "ops"}


def test_wire_ids_that_are_not_uuids_make_no_request(wire):
    assert wire.store.get_booking("../etc") is None
    assert wire.store.get_expert("1 or 1=1") is None
    assert wire.store.history("x") == []
    assert wire.sent == []


@pytest.mark.parametrize("failure, words", [
    (httpx.ConnectError("[Errno 111] Connection refused"), "Could not reach Supabase at callexpert-test.supabase.co"),
    (httpx.ReadTimeout("timed out"), "did not answer within 7 s"),
    (httpx.Response(503, text="<html>upstream unavailable</html>"), "busy or unavailable (503)"),
    (pgrst_error(500, "57014", "canceling statement due to statement timeout"), "busy or unavailable (57014)"),
])
def test_wire_transport_failures_and_timeouts_are_retryable(wire, failure, words):
    wire.replies.append(failure)
    with pytest.raises(StoreUnavailable) as caught:
        wire.store.missing_links()
    assert words in str(caught.value)
    assert isinstance(caught.value, Transient) and isinstance(caught.value, CallExpertError)


@pytest.mark.parametrize("reply, kind, words", [
    (pgrst_error(401, "PGRST301", "No suitable key or wrong key type"), ConfigError, "supabase_service_role_key"),
    (pgrst_error(404, "PGRST202", "Could not find the function public.ops_counts(p_today) in the schema cache"),
     ConfigError, "apply supabase/migrations"),
    (pgrst_error(400, "22P02", 'invalid input syntax for type date: "soon"'), InvalidInput, "invalid input syntax"),
])
def test_wire_other_errors_say_what_to_fix(wire, reply, kind, words):
    wire.replies.append(reply)
    with pytest.raises(kind, match=re.escape(words)):
        wire.store.counts(DAY)


def test_wire_reschedule_reads_then_moves_in_one_rpc_and_maps_the_state_errors(wire):
    wire.replies.append(httpx.Response(200, json=[pgrst_row()]))
    wire.replies.append(pgrst_error(500, "55000",
                                    "This booking changed while it was being moved; refresh and try again."))
    with pytest.raises(InvalidTransition, match="changed while it was being moved"):
        wire.store.reschedule(BOOKING, DAY, time(16, 0), NOW, lambda b: drafts(b, "rescheduled"), "ops",
                              line_for=history.rescheduled)
    read, move = wire.sent
    assert (read.method, read.url.path, move.method, move.url.path) == \
        ("GET", "/rest/v1/bookings", "POST", "/rest/v1/rpc/booking_reschedule")
    body = json.loads(move.content)
    assert (body["p_revision"], body["p_date"], body["p_time"]) == (0, "2030-03-11", "16:00:00")
    assert {(e["kind"], e["version"]) for e in body["p_emails"]} == {("rescheduled.customer", 1),
                                                                     ("rescheduled.expert", 1)}


def test_the_key_is_never_in_repr_errors_or_logs(wire, caplog):
    caplog.set_level(logging.DEBUG)
    wire.replies.extend([pgrst_error(401, "PGRST301", "No suitable key or wrong key type"),
                         httpx.ConnectError("boom"), httpx.Response(200, json=[])])
    texts = [repr(wire.store), str(vars(wire.store).get("url"))]
    for call in (lambda: wire.store.counts(DAY), wire.store.missing_links):
        with pytest.raises(CallExpertError) as caught:
            call()
        texts.append(str(caught.value))
    wire.store.recent_bookings()
    texts.append(caplog.text)
    leaked = [i for i, text in enumerate(texts) if KEY in text]
    assert leaked == [], f"the key shows up in texts {leaked}"
    assert "supabase.co" in texts[0]


def test_from_settings_uses_our_http11_client_with_timeouts_and_refuses_bad_settings():
    store = SupabaseStore.from_settings(URL + "/", KEY, 12.5)
    try:
        http = store._http
        assert http.timeout.read == 12.5 and http.timeout.connect == 5.0
        pool = getattr(getattr(http, "_transport", None), "_pool", None)
        assert getattr(pool, "_http2", False) is False
        assert store.url == URL
    finally:
        store.close()
    for url, key, words in [("", KEY, "supabase_url"), ("callexpert.supabase.co", KEY, "supabase_url"),
                            (URL + "/rest/v1", KEY, "without /rest/v1"), (URL, "  ", "supabase_service_role_key")]:
        with pytest.raises(ConfigError, match=re.escape(words)) as caught:
            SupabaseStore.from_settings(url, key, 5)
        assert KEY not in str(caught.value)


# -- a real Supabase project (only when its URL and key are given) ----------------------------------

LIVE = bool(os.environ.get("SUPABASE_URL") and os.environ.get("SUPABASE_SERVICE_ROLE_KEY"))


@pytest.mark.skipif(not LIVE, reason="live Supabase check: set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY "
                                     "(a project with supabase/migrations applied) to run it")
def test_live_project_answers_every_page_read():
    store = SupabaseStore.from_settings(os.environ["SUPABASE_URL"], os.environ["SUPABASE_SERVICE_ROLE_KEY"], 15.0)
    try:
        today = datetime.now(TZ).date()
        counts = store.counts(today)  # ops_counts exists only once the migrations are applied
        assert min(counts.today, counts.awaiting_payment, counts.awaiting_link, counts.emails_not_sent) >= 0
        experts = store.list_experts()
        if experts:
            store.upcoming_for_expert(experts[0].id, datetime.now(TZ).replace(tzinfo=None), limit=5)
        store.missing_links(limit=5)
        store.recent_bookings(limit=5)
        store.list_emails(limit=5)
        assert store.get_booking(str(uuid.uuid4())) is None
    finally:
        store.close()


# -- availability, calendar ids, customer search, active bookings ---------------------------------

def test_an_expert_calendar_id_defaults_to_their_email(store):
    sari = store.add_expert("Sari", "sari@example.com", 250_000)
    budi = store.add_expert("Budi", "budi@example.com", 400_000, "", "budi.calendar@example.com")
    assert store.get_expert(sari.id).calendar_id == "sari@example.com"
    assert store.get_expert(budi.id).calendar_id == "budi.calendar@example.com" == budi.calendar_id


def test_an_expert_calendar_id_can_be_changed_and_set_back_to_their_email(store):
    sari = store.add_expert("Sari", "sari@example.com", 250_000, "Career")
    budi = store.add_expert("Budi", "budi@example.com", 400_000)
    changed = store.set_calendar_id(sari.id, "team@group.calendar.google.com")
    assert changed == store.get_expert(sari.id)
    assert changed.calendar_id == "team@group.calendar.google.com"
    assert (changed.name, changed.email, changed.hourly_rate, changed.expertise) == \
        ("Sari", "sari@example.com", 250_000, "Career")
    assert store.get_expert(budi.id).calendar_id == "budi@example.com"  # only that expert
    assert store.set_calendar_id(sari.id, "").calendar_id == "sari@example.com"  # empty: their email again
    assert store.get_expert(sari.id).calendar_id == "sari@example.com"
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        with pytest.raises(NotFound):
            store.set_calendar_id(unknown, "x@example.com")


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


def test_search_customers_matches_name_or_email_case_insensitively_with_a_limit(store):
    for name, email in (("Andi Pratama", "andi@example.com"), ("Dewi 100% Lestari", "dewi@x.example"),
                        ("Budi_Santoso", "budi@example.com"), ("Citra, (Dr.)", "citra@example.com"),
                        ('Eko "Q" Back\\slash', "eko@example.com")):
        store.add_customer(NewCustomer(name, email))
    names = lambda q, n=20: [c.name for c in store.search_customers(q, n)]  # noqa: E731
    assert names("ANDI") == ["Andi Pratama"]
    assert names("example.com") == ["Andi Pratama", "Budi_Santoso", "Citra, (Dr.)", 'Eko "Q" Back\\slash']
    assert names("example.com", 2) == ["Andi Pratama", "Budi_Santoso"]
    assert names("%") == ["Dewi 100% Lestari"]  # a typed % is a percent sign, not "anything"
    assert names("_") == ["Budi_Santoso"]
    assert names(", (dr") == ["Citra, (Dr.)"]  # PostgREST's reserved characters stay inside the filter
    assert names('"q"') == ['Eko "Q" Back\\slash'] and names("k\\s") == ['Eko "Q" Back\\slash']
    assert names("nobody") == []


def test_a_customer_search_with_many_matches_stops_at_its_limit_on_sqlite(tmp_path):
    """The search reads the customers in name order and stops after ``limit`` matches, so the
    Book page costs the same beside 300 or 30,000 customers (no sort of every customer)."""
    def steps_of_search(customers: int) -> int:
        store = SQLiteStore(tmp_path / f"customers-{customers}.db")
        db = store._conn()
        with db:
            db.executemany("INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, '2026-01-01')",
                           [(str(uuid.uuid4()), f"Customer {i}", f"customer{i}@example.com")
                            for i in range(customers)])
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        db.set_progress_handler(count, 100)  # every 100 virtual machine instructions
        found = store.search_customers("Customer 1", 20)
        db.set_progress_handler(None, 0)
        assert len(found) == 20 and found[0].name == "Customer 1"
        return steps[0]

    assert steps_of_search(30_000) <= 2 * steps_of_search(300) + 5


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


# -- reminders: the sessions that start soon, the outbox's keys, and dropping a pointless email -----------

def test_confirmed_starting_lists_confirmed_sessions_in_the_window_by_start(store, people):
    late = confirmed(store, people, at=time(16, 0))
    early = confirmed(store, people, at=time(9, 0))
    confirmed(store, people, day=DAY + timedelta(days=2), at=time(9, 0))  # beyond the window
    paid(store, people, at=time(11, 0))  # not confirmed
    gone = confirmed(store, people, at=time(13, 0))
    store.cancel(gone.id, NOW, "x", [], "ops", line=history.cancelled("x"))
    window = (datetime.combine(DAY, time(9, 0)), datetime.combine(DAY + timedelta(days=1), time(16, 0)))
    # The start is after the first bound (a session starting then has started) and at or before the second.
    assert [b.id for b in store.confirmed_starting(*window)] == [late.id]
    earlier = (datetime.combine(DAY, time(8, 59)), datetime.combine(DAY, time(16, 0)))
    assert [b.id for b in store.confirmed_starting(*earlier)] == [early.id, late.id]
    assert [b.id for b in store.confirmed_starting(*earlier, limit=1)] == [early.id]
    assert store.confirmed_starting(datetime.combine(DAY, time(16, 0)), datetime.combine(DAY, time(23, 0))) == []


def test_email_keys_name_every_outbox_row_of_the_bookings(store, people):
    one, two = confirmed(store, people, at=time(9, 0)), confirmed(store, people, at=time(11, 0))
    [sent, *_] = store.claim_queued_emails(NOW, NOW + timedelta(minutes=5))
    store.mark_email(sent.id, EmailStatus.SENT, None, NOW)
    assert store.email_keys([one.id]) == {(one.id, "confirmed.customer", 0), (one.id, "confirmed.expert", 0)}
    assert len(store.email_keys([one.id, two.id, one.id, "not-a-booking"])) == 4
    assert store.email_keys([]) == set()


def test_drop_emails_deletes_only_queued_rows(store, people):
    booking = confirmed(store, people)
    first, second = store.claim_queued_emails(NOW, NOW + timedelta(minutes=5))
    store.mark_email(first.id, EmailStatus.SENT, None, NOW)
    store.drop_emails([first.id, second.id])
    store.drop_emails([])
    assert [(e.id, e.status) for e in store.list_emails(booking_id=booking.id)] == [(first.id, EmailStatus.SENT)]

# -- background job runs ---------------------------------------------------------------------------

def test_job_runs_keep_each_jobs_latest_and_drop_old_ones(store):
    from lib.domain import JobOutcome, JobRun

    assert store.last_job_runs() == []
    old = JobRun("send-emails", "old-host:1", NOW - timedelta(days=20, seconds=5), NOW - timedelta(days=20),
                 JobOutcome.OK, "", {"sent": 1})
    store.record_job_run(old, 14)
    first = JobRun("create-links", "host-a:10", NOW, NOW + timedelta(seconds=2), JobOutcome.FAILED,
                   "Supabase is busy or unavailable (503) while listing; try again in a moment.", {})
    later = JobRun("create-links", "host-b:20", NOW + timedelta(seconds=60), NOW + timedelta(seconds=61),
                   JobOutcome.LEFT_WORK, "1 paid booking(s) still without a link",
                   {"confirmed": 2, "failed": 1, "still waiting": 1})
    store.record_job_run(first, 14)
    assert [(r.job, r.worker) for r in store.last_job_runs()] == [("create-links", "host-a:10")]  # 20 days old: gone
    store.record_job_run(later, 14)
    emails = JobRun("send-emails", "host-a:10", NOW + timedelta(seconds=3), NOW + timedelta(seconds=4),
                    JobOutcome.OK, "", {"sent": 4, "failed": 0})
    store.record_job_run(emails, 14)
    assert store.last_job_runs() == [later, emails]  # the latest of each job, by name, exactly as recorded


# -- meeting attendance ----------------------------------------------------------------------------

def test_ended_sessions_lists_linked_sessions_ending_in_the_range(store, people):
    ended = confirmed(store, people, at=time(9, 0))  # 09:00-10:00
    later = confirmed(store, people, at=time(11, 0))  # 11:00-12:00
    paid(store, people, at=time(8, 0))  # no link: nothing to read attendance of
    start = datetime.combine(DAY, time(0, 0))
    assert [b.id for b in store.ended_sessions(start, datetime.combine(DAY, time(10, 0)))] == [ended.id]
    assert [b.id for b in store.ended_sessions(start, datetime.combine(DAY, time(23, 0)))] == [ended.id, later.id]
    assert store.ended_sessions(datetime.combine(DAY, time(10, 0)), datetime.combine(DAY, time(11, 0))) == []


def test_attendance_is_stored_until_final_and_its_history_lines_written_once(store, people):
    from lib.domain import Attendance

    booking = confirmed(store, people)
    assert store.attendance([booking.id]) == {}
    waiting = Attendance(booking.id, "waiting", attempts=1, checked_at=NOW,
                         next_check_at=NOW + timedelta(minutes=10), last_error="Google Meet had a server error")
    assert store.save_attendance(waiting, [], "worker") is True
    assert store.attendance([booking.id, str(uuid.uuid4())]) == {booking.id: waiting}
    final = Attendance(booking.id, "recorded", expert_joined=True, customer_joined=False,
                       expert_joined_at=NOW, expert_left_at=NOW + timedelta(minutes=50),
                       together_minutes=0, expert_match="email", customer_match="none", attempts=2,
                       checked_at=NOW + timedelta(minutes=10))
    line = HistoryLine("no-show", "the customer did not join")
    assert store.save_attendance(final, [line], "worker") is True
    assert store.attendance([booking.id]) == {booking.id: final}
    # A second reader of the same records changes nothing and writes no second line.
    assert store.save_attendance(replace(final, attempts=3), [line], "worker") is False
    assert store.attendance([booking.id])[booking.id].attempts == 2
    assert events(store, booking.id).count("no-show") == 1
    entry = [h for h in store.history(booking.id) if h.event == "no-show"][0]
    assert (entry.detail, entry.actor) == ("the customer did not join", "worker")


def test_google_user_emails_are_remembered_and_replaced(store):
    assert store.google_user_emails([]) == {}
    store.remember_google_user_email("users/1", "old@example.com", NOW)
    store.remember_google_user_email("users/2", "budi@example.com", NOW)
    store.remember_google_user_email("users/1", "sari@example.com", NOW + timedelta(days=1))
    assert store.google_user_emails(["users/1", "users/2", "users/3"]) == {
        "users/1": "sari@example.com", "users/2": "budi@example.com"}


# -- the Overview page's aggregates ----------------------------------------------------------------

@pytest.fixture
def stamp(store, request: pytest.FixtureRequest):
    """Set a booking's created_at, paid_at and confirmed_at (the stores stamp "now" themselves)."""
    from tests.support.overview import sqlite_stamp

    if isinstance(store, SQLiteStore):
        return sqlite_stamp(store)

    def on_postgres(booking_id: str, created: datetime, paid: datetime | None, confirmed: datetime | None) -> None:
        with psycopg.connect(request.getfixturevalue("pg_db"), autocommit=True) as conn:
            conn.execute("update bookings set created_at = %s, paid_at = coalesce(%s, paid_at),"
                         " confirmed_at = coalesce(%s, confirmed_at) where id = %s",
                         [created, paid, confirmed, booking_id])
    return on_postgres


def test_overview_stats_count_the_bookings_made_in_the_range_by_the_app_timezones_day(store, stamp):
    from lib.overview_readings import Funnel
    from tests.support import overview as known

    known.fill_overview(store, stamp)
    start = datetime.combine(known.FIRST, time(0), known.TZ)
    end = datetime.combine(known.LAST + timedelta(days=1), time(0), known.TZ)
    stats = store.overview_stats(start, end, "Asia/Jakarta")

    assert [(r.day, r.status, r.bookings) for r in stats.per_day] == known.EXPECTED_PER_DAY
    assert [(w.week, w.revenue, w.bookings) for w in stats.revenue] == known.EXPECTED_REVENUE
    assert stats.funnel == Funnel(*known.EXPECTED_FUNNEL)
    assert [(d.day, d.bookings, d.median_s, d.p95_s) for d in stats.link_delay] == known.EXPECTED_DELAY
    assert stats.link_attempts == known.EXPECTED_ATTEMPTS
    assert sorted(stats.link_errors) == sorted(known.EXPECTED_ERRORS)
    assert dict(stats.emails) == known.EXPECTED_EMAILS
    assert [(a.expert, a.sessions, a.both_joined, a.expert_no_shows, a.customer_no_shows)
            for a in stats.attendance] == known.EXPECTED_ATTENDANCE
    assert [(f.side, f.joins, pytest.approx(f.median_min), pytest.approx(f.p95_min))
            for f in stats.lateness] == known.EXPECTED_LATENESS

    # The same instants read in UTC: the booking made at 06:00 Jakarta on 5 March falls on the
    # 4th, and the one made at 00:30 Jakarta on 13 March on the 12th.
    utc = store.overview_stats(start, end + timedelta(hours=7), "UTC")
    assert (date(2030, 3, 4), "completed", 1) in [(r.day, r.status, r.bookings) for r in utc.per_day]
    assert utc.funnel.made == 9
    # A zone that changes its offset within the range (Berlin, 31 March 2030): 00:00 Berlin on
    # 5 March is 23:00 UTC on the 4th, when the first booking was made.
    berlin = ZoneInfo("Europe/Berlin")
    summer = store.overview_stats(datetime.combine(known.FIRST, time(0), berlin),
                                  datetime.combine(date(2030, 4, 3), time(0), berlin), "Europe/Berlin")
    assert (date(2030, 3, 5), "completed", 1) in [(r.day, r.status, r.bookings) for r in summer.per_day]
    assert summer.funnel.made == 9  # the one made late on 12 March (UTC) is in; 3 March's is not
    # Sessions start on Berlin's wall clock then (UTC+1, 6 hours before Jakarta's): the joins are
    # some 6 hours early. Experts -21720 and -21360 s, customers -21480 and -21000 s.
    assert [(f.side, f.joins, f.median_min) for f in summer.lateness] == [("expert", 2, -359.0),
                                                                          ("customer", 2, -354.0)]
    # An empty range: nothing, and no error.
    empty = store.overview_stats(start - timedelta(days=30), start - timedelta(days=20), "Asia/Jakarta")
    assert empty.per_day == () and empty.funnel == Funnel() and empty.link_attempts == 0 and empty.emails == ()
    assert empty.attendance == () and empty.lateness == ()


def test_overview_stats_percentiles_interpolate_as_percentile_cont_per_day(store, stamp):
    from lib.overview_readings import percentile
    from tests.support import overview as known

    expert = store.add_expert("Sari Wulandari", "sari@example.com", known.PRICE, "Career").id
    customer = store.add_customer(NewCustomer("Andi Pratama", "andi@example.com")).id
    # Made on 4, 5 and 6 March: one delay, two, and seven (unsorted, with a tie).
    delays = {known.FIRST: [42], known.FIRST + timedelta(days=1): [100, 7],
              known.FIRST + timedelta(days=2): [61, 5, 900, 5, 33, 240, 12]}
    for n, (day, seconds) in enumerate((d, s) for d, values in delays.items() for s in values):
        booking = known.book_linked(store, expert, customer, known.SESSION_DAY, time(8 + n))
        created = known.local(day, 9)
        stamp(booking, created, created, created + timedelta(seconds=seconds))
    stats = store.overview_stats(datetime.combine(known.FIRST, time(0), known.TZ),
                                 datetime.combine(known.LAST, time(0), known.TZ), "Asia/Jakarta")
    assert [(d.day, d.bookings, d.median_s, d.p95_s) for d in stats.link_delay] == [
        (day, len(v), percentile(v, 0.5), percentile(v, 0.95)) for day, v in delays.items()]


# -- merged transactions: the payment with its attempt, the confirmation with its link attempt ---------

def test_mark_paid_can_count_its_payment_attempt_only_while_pending(store, people):
    booking = store.create_booking(new(people.sari, people.andi), "ops", line=CREATED)
    result = store.mark_paid(booking.id, "DEMO-1", NOW, "ops", line=history.paid("DEMO-1"), count_attempt=True)
    assert (result.status, result.payment_attempts, result.payment_ref) == (BookingStatus.PAID, 1, "DEMO-1")
    assert store.mark_paid(booking.id, "DEMO-2", NOW, "ops", line=history.paid("DEMO-2"), count_attempt=True) is None
    assert store.get_booking(booking.id).payment_attempts == 1  # not counted again for a booking not pending
    assert events(store, booking.id) == ["created", "paid"]
    plain = paid(store, people, at=time(9, 0))
    assert plain.payment_attempts == 0  # without it, the payment counts no attempt (as before)


def test_confirm_can_count_the_link_attempt_that_made_the_link_only_while_paid(store, people):
    pending = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=CREATED)
    assert store.confirm(pending.id, "https://meet.example.com/p", None, 0, NOW, [], "ops",
                         line=HistoryLine("confirmed", "x"), attempt=history.link_attempt(None)) is None
    assert store.get_booking(pending.id).link_attempts == 0 and events(store, pending.id) == ["created"]
    booking = paid(store, people)
    store.record_link_attempt(booking.id, "timeout", "ops", line=history.link_attempt("timeout"))
    result = store.confirm(booking.id, "https://meet.example.com/ok", "ev1", 0, NOW, drafts(booking, "confirmed"),
                           "ops", line=HistoryLine("confirmed", "jitsi link created"),
                           attempt=history.link_attempt(None))
    assert (result.status, result.link_attempts, result.last_error) == (BookingStatus.CONFIRMED, 2, None)
    # The successful attempt is logged before the confirmation, as when it was a write of its own.
    assert [(h.event, h.detail) for h in store.history(booking.id)][-3:] == [
        ("link attempt failed", "timeout"), ("link attempt", "ok"), ("confirmed", "jitsi link created")]
    assert store.confirm(booking.id, "https://meet.example.com/2", "ev2", 0, NOW, [], "ops",
                         line=HistoryLine("confirmed", "again"), attempt=history.link_attempt(None)) is None
    assert store.get_booking(booking.id).link_attempts == 2


def test_mark_paid_can_take_the_link_lease_that_keeps_other_workers_away(store, people):
    pending = store.create_booking(new(people.sari, people.andi, at=time(9, 0)), "ops", line=CREATED)
    lease = NOW + timedelta(minutes=5)
    held = store.mark_paid(pending.id, "DEMO-1", NOW, "ops", line=history.paid("DEMO-1"), count_attempt=True,
                           lease_until=lease)
    assert (held.status, held.payment_attempts, held.expert_name) == (BookingStatus.PAID, 1, "Sari Wulandari")
    assert events(store, held.id) == ["created", "paid"]
    # Held as after a claim: another worker cannot claim it until the lease runs out ...
    assert store.claim_for_link(held.id, NOW + timedelta(minutes=1), NOW + timedelta(minutes=6)) is None
    assert [b.id for b in store.missing_links()] == [held.id]  # still listed: paid without a link
    assert store.claim_for_link(held.id, NOW + timedelta(minutes=6), NOW + timedelta(minutes=11)) is not None
    # ... or is released (a failed link); and a payment not taken (not pending) takes no lease.
    store.release_link_claim(held.id)
    assert store.mark_paid(held.id, "DEMO-2", NOW, "ops", line=history.paid("DEMO-2"),
                           lease_until=NOW + timedelta(hours=1)) is None
    assert store.claim_for_link(held.id, NOW, NOW + timedelta(minutes=5)) is not None
    # Without ``lease_until`` the payment takes none (as before): a worker claims it at once.
    other = paid(store, people, at=time(11, 0))
    assert store.claim_for_link(other.id, NOW, NOW + timedelta(minutes=5)) is not None


def _pay_and_confirm(store, booking: Booking, emails: Sequence[EmailDraft], **kw: Any) -> Booking | None:
    meeting = Meeting(url=f"https://meet.jit.si/CallExpert-{booking.id[:8]}", event_id=f"CallExpert-{booking.id[:8]}",
                      event_version=0)
    return store.pay_and_confirm(booking.id, "DEMO-1", meeting, NOW, emails, "ops", paid=history.paid("DEMO-1"),
                                 attempt=history.link_attempt(None),
                                 line=HistoryLine("confirmed", "jitsi link created"),
                                 lease_until=NOW + timedelta(minutes=5), **kw)


def test_pay_and_confirm_takes_a_pending_booking_to_confirmed_with_both_attempts_lines_and_emails(store, people):
    booking = store.create_booking(new(people.sari, people.andi), "ops", line=CREATED)
    linked = replace(booking, status=BookingStatus.CONFIRMED, meeting_link=f"https://meet.jit.si/CallExpert-{booking.id[:8]}")
    done = _pay_and_confirm(store, booking, drafts(linked, "confirmed"))
    assert (done.status, done.payment_ref, done.payment_attempts, done.link_attempts) == (
        BookingStatus.CONFIRMED, "DEMO-1", 1, 1)
    assert (done.meeting_link, done.google_event_id, done.expert_name) == (
        linked.meeting_link, f"CallExpert-{booking.id[:8]}", "Sari Wulandari")
    assert store.missing_links() == []  # confirmed: nothing left for a worker
    # The lines of the three steps, in their order, and both confirmation emails queued.
    assert events(store, booking.id) == ["created", "paid", "link attempt", "confirmed"]
    assert sorted(e.kind for e in store.list_emails(booking_id=booking.id)) == ["confirmed.customer",
                                                                                "confirmed.expert"]
    # Not pending any more: nothing is written.
    assert _pay_and_confirm(store, done, drafts(linked, "confirmed")) is None
    assert events(store, booking.id) == ["created", "paid", "link attempt", "confirmed"]
    assert store.get_booking(booking.id).payment_attempts == 1


def test_sqlite_a_payment_with_its_link_that_fails_midway_leaves_the_booking_pending(tmp_path):
    store = SQLiteStore(tmp_path / "midway.db")
    sari = store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    andi = store.add_customer(NewCustomer("Andi Pratama", "andi@example.com"))
    booking = store.create_booking(new(sari.id, andi.id), "ops", line=CREATED)
    good = drafts(replace(booking, status=BookingStatus.CONFIRMED, meeting_link="https://meet.jit.si/x"), "confirmed")
    # The second email names no booking: its insert fails after the payment, the link and the lines.
    broken = [good[0], replace(good[1], booking_id=str(uuid.uuid4()))]
    with pytest.raises(Exception, match="FOREIGN KEY"):
        _pay_and_confirm(store, booking, broken)
    after = store.get_booking(booking.id)
    assert (after.status, after.payment_ref, after.payment_attempts, after.meeting_link, after.link_attempts) == (
        BookingStatus.PENDING, None, 0, None, 0)
    assert events(store, booking.id) == ["created"]
    assert store.list_emails(booking_id=booking.id) == []


def test_sqlite_a_confirmation_that_fails_midway_leaves_nothing_half_written(tmp_path):
    store = SQLiteStore(tmp_path / "midway.db")
    sari = store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    andi = store.add_customer(NewCustomer("Andi Pratama", "andi@example.com"))
    booking = paid(store, People(sari.id, sari.id, andi.id))
    good = drafts(booking, "confirmed")
    # The second email names no booking: its insert fails after the update, the lines and the first email.
    broken = [good[0], replace(good[1], booking_id=str(uuid.uuid4()))]
    with pytest.raises(Exception, match="FOREIGN KEY"):
        store.confirm(booking.id, "https://meet.example.com/x", "ev", 0, NOW, broken, "ops",
                      line=HistoryLine("confirmed", "jitsi link created"), attempt=history.link_attempt(None))
    after = store.get_booking(booking.id)
    assert (after.status, after.meeting_link, after.link_attempts) == (BookingStatus.PAID, None, 0)
    assert events(store, booking.id) == ["created", "paid"] and store.list_emails(booking_id=booking.id) == []


def test_sqlite_a_payment_that_fails_midway_counts_no_attempt(tmp_path):
    store = SQLiteStore(tmp_path / "midway.db")
    sari = store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    andi = store.add_customer(NewCustomer("Andi Pratama", "andi@example.com"))
    booking = store.create_booking(new(sari.id, andi.id), "ops", line=CREATED)
    # The history line cannot be written (no event): the update before it is undone with it.
    with pytest.raises(Exception, match="NOT NULL"):
        store.mark_paid(booking.id, "DEMO-1", NOW, "ops", line=HistoryLine(None, "x"), count_attempt=True)  # type: ignore[arg-type]
    after = store.get_booking(booking.id)
    assert (after.status, after.payment_attempts, after.payment_ref) == (BookingStatus.PENDING, 0, None)
    assert events(store, booking.id) == ["created"]


def test_sqlite_a_booking_that_fails_midway_leaves_no_customer_behind(tmp_path):
    store = SQLiteStore(tmp_path / "midway.db")
    sari = store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    fresh = NewCustomer("Dewi Lestari", "dewi@example.com")
    # The history line cannot be written: the new customer and the booking go with it.
    with pytest.raises(Exception, match="NOT NULL"):
        store.create_booking(new(sari.id, None, new_customer=fresh), "ops", line=HistoryLine(None, "x"))  # type: ignore[arg-type]
    assert store.list_customers() == [] and store.recent_bookings() == []
