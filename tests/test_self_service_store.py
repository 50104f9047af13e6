"""The self-service part of the store contract, on both stores (SQLite for real; Supabase through
supabase-py against PostgreSQL migrated with supabase/migrations, see test_store_contract.py)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from lib.self_service_policy import Claim, Refund
from tests.support.store_contract import CREATED, NOW, new, people, pg_db, store  # noqa: F401 - fixtures

STALE = timedelta(minutes=2)


def _issued(store, people):  # noqa: F811
    booking = store.create_booking(new(people.sari, people.andi), "ops", line=CREATED)
    token, key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    return booking, store.issue_self_service(booking.id, token, key, NOW)


def test_a_token_is_issued_once_and_found_by_itself(store, people):  # noqa: F811
    booking, first = _issued(store, people)
    again = store.issue_self_service(booking.id, secrets.token_urlsafe(32), secrets.token_urlsafe(32), NOW)
    assert (again.token, again.form_key) == (first.token, first.form_key)
    assert store.self_service_by_token(first.token).booking_id == booking.id
    assert store.self_service_of(booking.id).token == first.token
    assert store.self_service_by_token(secrets.token_urlsafe(32)) is None
    assert (first.reschedules, first.refund, first.last_change) == (0, Refund.NONE, "")


def test_one_change_per_revision_and_the_limit_counts_moves(store, people):  # noqa: F811
    booking, _ = _issued(store, people)
    assert store.claim_self_service(booking.id, 0, NOW, NOW - STALE, 2) is Claim.CLAIMED
    # a second tab or a double submit of the same revision, while the first is under way
    assert store.claim_self_service(booking.id, 0, NOW, NOW - STALE, 2) is Claim.BUSY
    store.finish_self_service(booking.id, 0, "rescheduled", NOW)
    # done: even long after, the same revision is not changed twice
    later = NOW + timedelta(hours=1)
    assert store.claim_self_service(booking.id, 0, later, later - STALE, 2) is Claim.BUSY
    assert store.claim_self_service(booking.id, 1, NOW, NOW - STALE, 2) is Claim.CLAIMED
    store.finish_self_service(booking.id, 1, "rescheduled", NOW)
    record = store.self_service_of(booking.id)
    assert (record.reschedules, record.last_change) == (2, "rescheduled")
    assert store.claim_self_service(booking.id, 2, NOW, NOW - STALE, 2) is Claim.LIMIT
    # a cancellation is not a move: the limit does not stop it
    assert store.claim_self_service(booking.id, 2, NOW, NOW - STALE, None) is Claim.CLAIMED


def test_a_refused_change_gives_its_claim_and_its_count_back(store, people):  # noqa: F811
    booking, _ = _issued(store, people)
    assert store.claim_self_service(booking.id, 0, NOW, NOW - STALE, 1) is Claim.CLAIMED
    store.release_self_service(booking.id, 0, rescheduled=True)
    assert store.self_service_of(booking.id).reschedules == 0
    assert store.claim_self_service(booking.id, 0, NOW, NOW - STALE, 1) is Claim.CLAIMED


def test_a_claim_left_by_a_crashed_request_goes_stale(store, people):  # noqa: F811
    booking, _ = _issued(store, people)
    assert store.claim_self_service(booking.id, 0, NOW, NOW - STALE, None) is Claim.CLAIMED
    later = NOW + timedelta(minutes=5)
    assert store.claim_self_service(booking.id, 0, later, later - STALE, None) is Claim.CLAIMED


def test_a_cancelled_paid_booking_owes_a_refund_started_once(store, people):  # noqa: F811
    booking, _ = _issued(store, people)
    assert store.claim_self_service(booking.id, 0, NOW, NOW - STALE, None) is Claim.CLAIMED
    store.finish_self_service(booking.id, 0, "cancelled", NOW, refund_amount=250_000)
    record = store.self_service_of(booking.id)
    assert (record.refund, record.refund_amount, record.last_change) == (Refund.DUE, 250_000, "cancelled")
    assert [r.booking_id for r in store.self_service_changes(NOW - timedelta(days=1))] == [booking.id]
    # refunds still due are listed however old the change
    assert [r.booking_id for r in store.self_service_changes(NOW + timedelta(days=30))] == [booking.id]
    assert store.set_refund(booking.id, Refund.DUE, Refund.STARTED, "refund-1", NOW) is True
    assert store.set_refund(booking.id, Refund.DUE, Refund.STARTED, "refund-2", NOW) is False
    record = store.self_service_of(booking.id)
    assert (record.refund, record.refund_ref) == (Refund.STARTED, "refund-1")
    assert store.self_service_changes(NOW + timedelta(days=30)) == []


@pytest.mark.parametrize("change", ["rescheduled", "cancelled"])
def test_changes_are_listed_newest_first(store, people, change):  # noqa: F811
    first, _ = _issued(store, people)
    second = store.create_booking(new(people.budi, people.andi), "ops", line=CREATED)
    store.issue_self_service(second.id, secrets.token_urlsafe(32), secrets.token_urlsafe(32), NOW)
    for i, b in enumerate((first, second)):
        assert store.claim_self_service(b.id, 0, NOW, NOW - STALE, None) is Claim.CLAIMED
        store.finish_self_service(b.id, 0, change, NOW + timedelta(minutes=i))
    assert [r.booking_id for r in store.self_service_changes(NOW - timedelta(days=1))] == [second.id, first.id]
