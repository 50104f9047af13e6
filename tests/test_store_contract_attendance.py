"""The ``AttendanceStore`` contract (Join tokens and clicks, sessions that ended, attendance, Google user emails),
on both stores (the ``store`` fixture of tests/support/store_contract.py: SQLite, and Supabase over
PostgreSQL)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, time, timedelta

from lib.domain import (
    HistoryLine,
)
from lib.store import AttendanceStore
from tests.support.store_contract import (  # noqa: F401 - the fixtures among them
    DAY,
    NOW,
    confirmed,
    events,
    paid,
    people,
    pg_db,
    same_database,
    store,
)

CONTRACT = (AttendanceStore,)  # the protocols whose every method this module exercises


def test_join_tokens_are_issued_once_per_booking_and_person_and_found_again(store, people):
    booking = confirmed(store, people)
    other = confirmed(store, people, at=time(16, 0))
    first = {"customer": "c" * 43, "expert": "e" * 43}
    assert store.issue_join_tokens(booking.id, first, NOW) == first
    # A second issue (another email, or a second dispatcher at once) gets the stored tokens back.
    again = same_database(store).issue_join_tokens(booking.id, {"customer": "x" * 43, "expert": "y" * 43}, NOW)
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

