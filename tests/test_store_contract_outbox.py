"""The ``OutboxStore`` contract (the email outbox: claims, sends, queueing outside a transition, Resend),
on both stores (the ``store`` fixture of tests/support/store_contract.py: SQLite, and Supabase over
PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

from lib.domain import (
    Booking,
    BookingStatus,
    EmailDraft,
    EmailStatus,
    HistoryLine,
)
from lib.notify import LINK_PENDING
from lib.service import history
from lib.store import OutboxStore
from tests.support.store_contract import (  # noqa: F401 - the fixtures among them
    NOW,
    confirmed,
    drafts,
    new,
    paid,
    people,
    pg_db,
    store,
)

CONTRACT = (OutboxStore,)  # the protocols whose every method this module exercises


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

