"""The ``OpsPageStore`` contract (what the Ops page shows, in one call), on both stores (the ``store``
fixture of tests/support/store_contract.py: SQLite, and Supabase over PostgreSQL): each part is
what the separate reads return, and the booking shown whole is the wanted one when listed, else
the newest."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import time, timedelta

from lib.domain import BookingStatus, EmailStatus, JobOutcome, JobRun
from lib.scheduling import DEFAULT_AVAILABILITY
from lib.store import OpsPageStore
from lib.store.ports_expert_pages import StoredHours
from lib.store.ports_ops_page import OpsPageLimits, OpsPageRows
from tests.support.store_contract import (  # noqa: F401 - the fixtures among them
    CREATED,
    DAY,
    NOW,
    age,
    confirmed,
    new,
    paid,
    people,
    pg_db,
    store,
)

CONTRACT = (OpsPageStore,)  # the protocols whose every method this module exercises

SINCE = NOW - timedelta(days=30)


def _separately(store, status, chosen: str | None) -> OpsPageRows:
    """The separate reads the Ops page made before, for the booking ``chosen``."""
    changes = [(r, store.get_booking(r.booking_id)) for r in store.self_service_changes(SINCE, 50)]
    recent = store.recent_bookings(200, status)
    expert = next(b.expert_id for b in recent if b.id == chosen) if chosen else None
    return OpsPageRows(counts=store.counts(DAY), missing=store.missing_links(500),
                       failed_emails=[e for e in store.list_emails(200) if e.status is EmailStatus.FAILED],
                       changes=changes, job_runs=store.last_job_runs(), recent=recent, chosen=chosen,
                       history=store.history(chosen) if chosen else [],
                       hours=StoredHours(store.get_availability(expert)) if expert else StoredHours())


def test_an_empty_store(store):
    assert store.ops_page(DAY, None, None, SINCE) == _separately(store, None, None)
    assert store.ops_page(DAY, None, None, SINCE).chosen is None


def test_each_part_is_what_the_separate_reads_return(store, people, age):
    pending = store.create_booking(new(people.budi, people.andi, at=time(9, 0)), "ops", line=CREATED)
    waiting = paid(store, people, day=DAY, at=time(11, 0))  # paid, no link yet
    done = confirmed(store, people, day=DAY + timedelta(days=1), at=time(10, 0))  # two emails queued
    for n, booking in enumerate((pending, waiting, done)):  # distinct creation times, newest last
        age(booking.id, 30 - n)
    [first, *_] = store.claim_queued_emails(NOW, NOW + timedelta(minutes=5), limit=10)
    store.mark_email(first.id, EmailStatus.FAILED, "550 no such user", NOW)
    store.record_job_run(JobRun("send-emails", "host-a:10", NOW, NOW + timedelta(seconds=2), JobOutcome.OK, "",
                                {"sent": 1}), 14)
    store.issue_self_service(done.id, secrets.token_urlsafe(32), secrets.token_urlsafe(32), NOW)
    store.claim_self_service(done.id, done.revision, NOW, NOW - timedelta(minutes=2), 2)
    store.finish_self_service(done.id, done.revision, "rescheduled", NOW)
    store.set_availability(people.sari, replace(DEFAULT_AVAILABILITY, buffer_before=10))

    found = store.ops_page(DAY, None, None, SINCE)
    assert found == _separately(store, None, done.id)
    assert [b.id for b in found.recent] == [done.id, waiting.id, pending.id]  # newest first
    assert [b.id for b in found.missing] == [waiting.id]
    assert [e.id for e in found.failed_emails] == [first.id]
    assert [(r.booking_id, b.id) for r, b in found.changes] == [(done.id, done.id)]
    assert [r.job for r in found.job_runs] == ["send-emails"]
    assert found.counts.awaiting_link == 1 and found.counts.awaiting_payment == 1
    assert found.hours == StoredHours(replace(DEFAULT_AVAILABILITY, buffer_before=10))

    # The wanted booking when listed; its expert's hours (Budi stored none).
    assert store.ops_page(DAY, None, pending.id, SINCE) == _separately(store, None, pending.id)
    # Of one status; a wanted booking not of it falls back to the newest of that status.
    assert store.ops_page(DAY, BookingStatus.PAID, pending.id, SINCE) == _separately(store, BookingStatus.PAID,
                                                                                    waiting.id)
    assert store.ops_page(DAY, None, "not-an-id", SINCE).chosen == done.id


def test_the_limits_cut_each_list(store, people, age):
    made = [paid(store, people, at=time(9 + n, 0)) for n in range(3)]
    for n, booking in enumerate(made):
        age(booking.id, 30 - n)
    found = store.ops_page(DAY, None, None, SINCE, OpsPageLimits(recent=2, missing=1, emails=1, changes=1))
    assert [b.id for b in found.recent] == [made[2].id, made[1].id]
    assert [b.id for b in found.missing] == [made[0].id]

