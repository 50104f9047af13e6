"""The booking service over the real SQLite store, with a scriptable meeting provider."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, time, timedelta

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import BookingStatus, EmailStatus, NewCustomer
from lib.entrypoints.cli import main as cli_main
from lib.errors import InvalidInput, InvalidTransition, NotFound, SlotTaken
from lib.service import BookingService
from tests.support import service as service_world
from tests.support.service import NOW, TOMORROW, count_bookings, expert, request

# The fixtures of tests/support/service.py, by the names the tests ask for.
clock, sleeps, svc = service_world.clock, service_world.sleeps, service_world.svc


# -- the happy path --------------------------------------------------------------------------

def commits_of(svc: BookingService, work) -> int:
    """The transactions ``work()`` commits on the service's SQLite connection."""
    seen: list[str] = []
    conn = svc.store._conn()
    conn.set_trace_callback(seen.append)
    try:
        work()
    finally:
        conn.set_trace_callback(None)
    return sum(1 for sql in seen if sql.strip().upper() == "COMMIT")


@pytest.mark.parametrize(("in_process", "commits"), [(True, 2), (False, 3)])
def test_the_demo_payment_and_an_in_process_link_are_stored_in_one_transaction(svc, provider, sender, in_process,
                                                                               commits):
    provider.creates_in_process = in_process
    svc.meetings = provider  # the route is decided when a port is set, never read from the adapter later
    outcomes = []
    work = lambda: outcomes.append(svc.book_and_pay(request(svc), actor=SYSTEM, dispatch=False))  # noqa: E731
    assert commits_of(svc, work) == commits  # sending the emails (below) is the dispatcher's work
    svc.dispatch_emails(actor=SYSTEM)
    b = outcomes[0].booking
    assert outcomes[0].link_error is None and b.status is BookingStatus.CONFIRMED
    assert (b.payment_ref, b.payment_attempts, b.link_attempts) == (f"DEMO-{b.id[:8]}", 1, 1)
    assert set(provider.events) == {b.id} and provider.calls == 1
    # The same lines either way, and both emails queued and sent once.
    assert [h.event for h in svc.history(b.id, actor=SYSTEM)] == ["created", "paid", "link attempt", "confirmed"]
    assert sorted(e.recipient for e in sender.sent) == ["andi@example.com", "sari@example.com"]
    assert svc.missing_links(actor=SYSTEM) == []


def test_an_in_process_link_that_fails_leaves_the_usual_path_to_try_again_and_say_why(svc, provider, sender):
    provider.creates_in_process = True
    svc.meetings = provider  # the route is decided when a port is set
    provider.failures, provider.permanent = 2, True  # the in-process try and the usual path's try
    outcome = svc.book_and_pay(request(svc), actor=SYSTEM)
    b = outcome.booking
    assert b.status is BookingStatus.PAID and outcome.link_error and "Calendar said no" in outcome.link_error
    assert provider.calls == 2 and provider.events == {}
    assert [h.event for h in svc.history(b.id, actor=SYSTEM)] == ["created", "paid", "link attempt failed"]
    assert [b.id for b in svc.missing_links(actor=SYSTEM)] == [b.id]  # paid, visible, for a worker or ops


def test_booking_starts_pending_with_the_price_from_the_hourly_rate(svc):
    booking = svc.book(request(svc, duration=90), actor=SYSTEM)
    assert booking.status is BookingStatus.PENDING
    assert booking.price == 375_000  # 250.000 per hour for 1.5 hours
    assert svc.quote(expert(svc), 60, actor=SYSTEM) == 250_000


def test_full_flow_confirms_with_link_event_and_two_emails(svc, provider, sender):
    outcome = svc.book_and_pay(request(svc), actor=SYSTEM)
    b = outcome.booking
    assert outcome.link_error is None
    assert b.status is BookingStatus.CONFIRMED
    assert b.meeting_link and b.meeting_link.startswith("https://")
    assert b.google_event_id and b.payment_ref == f"DEMO-{b.id[:8]}"
    assert set(provider.events) == {b.id}
    assert sorted(e.recipient for e in sender.sent) == ["andi@example.com", "sari@example.com"]
    assert all(b.meeting_link in e.body_text and b.meeting_link in e.body_html for e in sender.sent)
    assert {e.status for e in svc.emails(actor=SYSTEM)} == {EmailStatus.SENT}
    events = [h.event for h in svc.history(b.id, actor=SYSTEM)]
    assert events == ["created", "paid", "link attempt", "confirmed"]


def test_same_request_key_twice_makes_one_booking_one_event_and_two_emails(svc, provider, sender):
    first = svc.book_and_pay(request(svc, key="form-1"), actor=SYSTEM).booking
    second = svc.book_and_pay(request(svc, key="form-1"), actor=SYSTEM).booking
    assert first.id == second.id
    assert count_bookings(svc) == 1
    assert provider.calls == 1 and len(sender.sent) == 2


def test_jitsi_rooms_are_unguessable(svc):
    from lib.meetings.jitsi import JitsiProvider

    svc.meetings = JitsiProvider()
    a = svc.book_and_pay(request(svc, at=time(9, 0)), actor=SYSTEM).booking
    b = svc.book_and_pay(request(svc, at=time(11, 0)), actor=SYSTEM).booking
    room_a = a.meeting_link.rsplit("/", 1)[1].removeprefix("CallExpert-")
    assert len(room_a) >= 20 and a.meeting_link != b.meeting_link


# -- double booking --------------------------------------------------------------------------

def test_overlapping_slot_is_refused_and_nothing_is_written(svc):
    svc.book(request(svc, at=time(14, 0), duration=60), actor=SYSTEM)
    customers_before = len(svc.customers(actor=SYSTEM))
    with pytest.raises(SlotTaken, match="overlaps another session"):
        svc.book(request(svc, at=time(14, 30), duration=30, customer_id=None,
                         new_customer=NewCustomer("Dewi", "dewi@example.com")), actor=SYSTEM)
    assert count_bookings(svc) == 1
    assert len(svc.customers(actor=SYSTEM)) == customers_before  # the new customer was not written either


def test_back_to_back_other_expert_and_after_cancel_are_allowed(svc):
    first = svc.book(request(svc, at=time(14, 0)), actor=SYSTEM)
    svc.book(request(svc, at=time(15, 0)), actor=SYSTEM)  # starts when the first ends
    svc.book(request(svc, at=time(14, 0), expert_name="Budi"), actor=SYSTEM)
    with pytest.raises(SlotTaken):
        svc.book(request(svc, at=time(13, 30)), actor=SYSTEM)
    svc.cancel(first.id, "customer asked", actor=SYSTEM)
    svc.book(request(svc, at=time(13, 30), duration=30), actor=SYSTEM)
    assert count_bookings(svc) == 4


def test_overlap_across_midnight(svc):
    # Hours never cross midnight (a night shift is two ranges), so ops book this one on purpose.
    late = replace(request(svc, at=time(23, 30), duration=120), override_reason="customer in another zone")
    svc.book(late, actor=SYSTEM)
    with pytest.raises(SlotTaken):
        svc.book(request(svc, day=TOMORROW + timedelta(days=1), at=time(0, 30)), actor=SYSTEM)


def test_twenty_threads_booking_one_slot_make_one_booking(svc):
    results: list[object] = []
    barrier = threading.Barrier(20)

    def book(i: int) -> None:
        barrier.wait()
        try:
            results.append(svc.book(request(svc, at=time(10, 0), customer_id=None,
                                            new_customer=NewCustomer(f"C{i}", f"c{i}@example.com")), actor=SYSTEM))
        except SlotTaken as exc:
            results.append(exc)

    threads = [threading.Thread(target=book, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert sum(isinstance(r, SlotTaken) for r in results) == 19
    assert count_bookings(svc) == 1


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (dict(scheduled_date=date(2026, 11, 24)), InvalidInput, "in the past"),  # UTC today, WIB yesterday
        (dict(scheduled_date=date(2026, 11, 25), scheduled_time=time(0, 30)), InvalidInput, "in the past"),
        (dict(scheduled_date=date(2028, 12, 1)), InvalidInput, "days ahead"),  # beyond any horizon
        (dict(duration=50), InvalidInput, "not offered"),
        (dict(duration=-60), InvalidInput, "not offered"),
        (dict(expert_id="nope"), NotFound, "Unknown expert"),
        (dict(customer_id="nope"), NotFound, "Unknown customer"),
        (dict(customer_id=None), InvalidInput, "Pick a customer"),
        (dict(customer_id=None, new_customer=NewCustomer("Dewi", "dewi@@example")), InvalidInput, "not a valid email"),
        (dict(customer_id=None, new_customer=NewCustomer("  ", "dewi@example.com")), InvalidInput, "empty"),
        (dict(customer_id=None, new_customer=NewCustomer("D\x00wi", "dewi@example.com")), InvalidInput, "control"),
        (dict(session_type=""), InvalidInput, "Session type is empty"),
        (dict(session_type="x" * 500), InvalidInput, "too long"),
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(svc, change, error, message):
    customers_before = len(svc.customers(actor=SYSTEM))
    with pytest.raises(error, match=message):
        svc.book(request(svc, **change), actor=SYSTEM)
    assert count_bookings(svc) == 0
    assert len(svc.customers(actor=SYSTEM)) == customers_before


def test_negative_price_is_refused(svc, monkeypatch):
    import dataclasses

    real = svc.store.session_types(expert(svc))
    # The schemas refuse negative prices too; this checks the service does not rely on them.
    monkeypatch.setattr(svc.store, "session_types",
                        lambda _id: [dataclasses.replace(t, hourly_rate=-1) for t in real])
    with pytest.raises(InvalidInput, match="negative"):
        svc.book(request(svc), actor=SYSTEM)
    assert count_bookings(svc) == 0


def test_malformed_booking_id_is_not_found(svc):
    with pytest.raises(NotFound, match="not a booking id"):
        svc.get_booking("'; DROP TABLE bookings; --", actor=SYSTEM)


# -- retries and the fallback ------------------------------------------------------------------

def test_retryable_failures_recover_within_three_attempts(svc, provider):
    provider.failures = 2
    b = svc.book_and_pay(request(svc), actor=SYSTEM).booking
    assert b.status is BookingStatus.CONFIRMED
    assert b.link_attempts == 3
    assert [h.event for h in svc.history(b.id, actor=SYSTEM)].count("link attempt failed") == 2
    assert len(provider.events) == 1


def test_after_three_failures_the_paid_booking_waits_on_the_ops_list(svc, provider, sleeps):
    provider.failures = 3
    outcome = svc.book_and_pay(request(svc), actor=SYSTEM)
    b = outcome.booking
    assert b.status is BookingStatus.PAID and b.meeting_link is None
    assert b.link_attempts == 3 and b.last_error == "Calendar is busy (503)"
    assert "busy" in outcome.link_error
    assert len(sleeps) == 2  # backoff between the three attempts
    assert [m.id for m in svc.missing_links(actor=SYSTEM)] == [b.id]
    assert svc.ops_counts(actor=SYSTEM).awaiting_link == 1
    # The provider is back: the ops button (same call) confirms it.
    confirmed = svc.create_link(b.id, actor=SYSTEM)
    assert confirmed.status is BookingStatus.CONFIRMED and confirmed.last_error is None
    assert svc.missing_links(actor=SYSTEM) == []


def test_permanent_failure_stops_at_once(svc, provider, sleeps):
    provider.failures, provider.permanent = 5, True
    b = svc.book_and_pay(request(svc), actor=SYSTEM).booking
    assert b.status is BookingStatus.PAID and b.link_attempts == 1
    assert sleeps == []


def test_retry_after_is_honoured(svc, provider, sleeps):
    provider.failures, provider.retry_after = 1, 3.0
    svc.book_and_pay(request(svc), actor=SYSTEM)
    assert sleeps and sleeps[0] >= 3.0


def test_create_link_on_a_confirmed_booking_changes_nothing(svc, provider):
    b = svc.book_and_pay(request(svc), actor=SYSTEM).booking
    again = svc.create_link(b.id, actor=SYSTEM)
    assert again.meeting_link == b.meeting_link and provider.calls == 1


def test_two_bulk_runs_at_once_confirm_each_booking_once(svc, provider, sender):
    provider.failures, provider.permanent = 10**6, False  # park every booking as paid
    svc.settings = Settings(link_attempts=1)
    ids = [svc.book_and_pay(request(svc, day=TOMORROW + timedelta(days=i // 8), at=time(8 + i % 8, 0)),
                            actor=SYSTEM).booking.id
           for i in range(20)]
    assert len(svc.missing_links(actor=SYSTEM)) == 20
    provider.failures, provider.calls = 0, 0
    progress: list[tuple[int, int]] = []
    results = []
    runs = [threading.Thread(target=lambda: results.append(
        svc.create_missing_links(progress=lambda d, t, b: progress.append((d, t)), concurrency=4, actor=SYSTEM)))
        for _ in range(2)]
    for t in runs:
        t.start()
    for t in runs:
        t.join()
    assert all(svc.get_booking(i, actor=SYSTEM).status is BookingStatus.CONFIRMED for i in ids)
    assert provider.duplicates == 0 and len(provider.events) == 20
    assert sum(len(r.confirmed) for r in results) == 20
    assert len(sender.sent) == 40  # two emails per booking, none twice
    assert len({(e.booking_id, e.kind) for e in sender.sent}) == 40
    assert max(d for d, _ in progress) >= 1


# -- manual links --------------------------------------------------------------------------------

def test_link_pasted_by_hand(svc, provider):
    provider.failures, provider.permanent = 1, True
    b = svc.book_and_pay(request(svc), actor=SYSTEM).booking
    for bad in ("http://meet.google.com/abc", "not a link", "https://", "javascript:alert(1)", ""):
        with pytest.raises(InvalidInput):
            svc.set_link_manually(b.id, bad, actor=SYSTEM)
    assert svc.get_booking(b.id, actor=SYSTEM).status is BookingStatus.PAID
    done = svc.set_link_manually(b.id, " https://meet.google.com/abc-defg-hij ", actor=SYSTEM)
    assert done.status is BookingStatus.CONFIRMED and done.meeting_link == "https://meet.google.com/abc-defg-hij"
    with pytest.raises(InvalidTransition):
        svc.set_link_manually(b.id, "https://meet.google.com/xyz-defg-hij", actor=SYSTEM)


# -- reschedule and cancel -----------------------------------------------------------------------

def test_reschedule_keeps_link_and_event_and_tells_both(svc, provider, sender):
    b = svc.book_and_pay(request(svc), actor=SYSTEM).booking
    moved = svc.reschedule(b.id, TOMORROW + timedelta(days=1), time(9, 30), actor=SYSTEM)
    assert (moved.scheduled_date, moved.scheduled_time) == (TOMORROW + timedelta(days=1), time(9, 30))
    assert moved.meeting_link == b.meeting_link and moved.google_event_id == b.google_event_id
    assert moved.revision == 1 and moved.status is BookingStatus.CONFIRMED
    assert provider.moved[-1].scheduled_time == time(9, 30) and provider.calls == 1
    kinds = sorted(e.kind for e in sender.sent)
    assert kinds.count("rescheduled.customer") == 1 and kinds.count("rescheduled.expert") == 1


def test_reschedule_into_a_taken_slot_changes_nothing(svc, provider):
    b = svc.book_and_pay(request(svc, at=time(9, 0)), actor=SYSTEM).booking
    svc.book_and_pay(request(svc, at=time(14, 0)), actor=SYSTEM)
    with pytest.raises(SlotTaken):
        svc.reschedule(b.id, TOMORROW, time(14, 30), actor=SYSTEM)
    assert svc.get_booking(b.id, actor=SYSTEM).scheduled_time == time(9, 0)
    with pytest.raises(InvalidInput, match="past"):
        svc.reschedule(b.id, date(2026, 11, 24), time(9, 0), actor=SYSTEM)


def test_cancel_sets_cancelled_removes_event_and_queues_emails(svc, provider, sender):
    b = svc.book_and_pay(request(svc), actor=SYSTEM).booking
    done = svc.cancel(b.id, "customer asked", actor=SYSTEM)
    assert (done.status, done.cancelled_at, done.cancel_reason) == (BookingStatus.CANCELLED, NOW, "customer asked")
    assert provider.cancelled == [b.id]
    assert sorted(e.kind for e in sender.sent if e.kind.startswith("cancelled")) == ["cancelled.customer",
                                                                                     "cancelled.expert"]
    with pytest.raises(InvalidTransition, match="already cancelled"):
        svc.cancel(b.id, actor=SYSTEM)
    with pytest.raises(InvalidTransition):
        svc.reschedule(b.id, TOMORROW, time(16, 0), actor=SYSTEM)


# -- time in Jakarta -------------------------------------------------------------------------------

def test_today_and_upcoming_are_jakarta_not_utc(svc, clock):
    assert svc.today() == date(2026, 11, 25)  # UTC still says the 24th
    clock.now = NOW - timedelta(hours=2)  # 23:00 WIB on the 24th, to book sessions that are soon past
    ended = svc.book_and_pay(request(svc, day=date(2026, 11, 25), at=time(0, 0), duration=30), actor=SYSTEM).booking
    running = svc.book_and_pay(request(svc, day=date(2026, 11, 25), at=time(0, 30), duration=60), actor=SYSTEM).booking
    later = svc.book_and_pay(request(svc, day=date(2026, 11, 25), at=time(9, 0)), actor=SYSTEM).booking
    other = svc.book_and_pay(request(svc, day=date(2026, 11, 25), at=time(9, 0), expert_name="Budi"),
                             actor=SYSTEM).booking
    clock.now = NOW
    upcoming = svc.upcoming_for_expert(expert(svc), actor=SYSTEM)
    assert [b.id for b in upcoming] == [running.id, later.id]  # ordered, the ended one gone, no other expert's
    assert ended.id not in {b.id for b in upcoming} and other.id not in {b.id for b in upcoming}
    assert svc.ops_counts(actor=SYSTEM).today == 4


# -- emails ----------------------------------------------------------------------------------------

def test_emails_are_sent_once_and_transient_failures_retry(svc, sender):
    sender.failures = 1
    svc.book_and_pay(request(svc), actor=SYSTEM)
    assert len(sender.sent) == 1
    assert sorted(e.status.value for e in svc.emails(actor=SYSTEM)) == ["queued", "sent"]
    assert svc.dispatch_emails(actor=SYSTEM).sent == 1
    assert svc.dispatch_emails(actor=SYSTEM).sent == 0
    assert len(sender.sent) == 2 and len({e.id for e in sender.sent}) == 2


def test_permanent_email_failure_is_recorded(svc, sender):
    sender.failures, sender.permanent = 1, True
    svc.book_and_pay(request(svc), actor=SYSTEM)
    failed = [e for e in svc.emails(actor=SYSTEM) if e.status is EmailStatus.FAILED]
    assert len(failed) == 1 and failed[0].last_error == "550 no such user" and failed[0].attempts == 1
    assert svc.ops_counts(actor=SYSTEM).emails_not_sent == 1


# -- the CLI -----------------------------------------------------------------------------------------

def test_cli_retry_links_exits_non_zero_while_links_remain(svc, provider, monkeypatch, capsys):
    provider.failures = 10**6
    b = svc.book_and_pay(request(svc), actor=SYSTEM).booking
    monkeypatch.setattr("lib.entrypoints.cli._service", lambda: svc)
    assert cli_main(["retry-links"]) == 1
    assert f"still paid without link: {b.id}" in capsys.readouterr().out
    provider.failures = 0
    assert cli_main(["retry-links"]) == 0
    assert svc.get_booking(b.id, actor=SYSTEM).status is BookingStatus.CONFIRMED
    assert cli_main(["retry-links"]) == 0
    assert "No paid bookings" in capsys.readouterr().out


def test_cli_reports_errors_without_traceback(svc, monkeypatch, capsys):
    monkeypatch.setattr("lib.entrypoints.cli._service", lambda: svc)
    assert cli_main(["show", "not-an-id"]) == 2
    assert "error: 'not-an-id' is not a booking id" in capsys.readouterr().err


def test_cli_retry_links_reports_a_booking_another_worker_holds(svc, provider, clock, monkeypatch, capsys):
    provider.failures = 10**6
    b = svc.book_and_pay(request(svc), actor=SYSTEM).booking
    provider.failures = 0
    # A worker took the booking and died: its lease has not ended yet.
    assert svc.store.claim_for_link(b.id, clock(), clock() + timedelta(minutes=5)) is not None
    monkeypatch.setattr("lib.entrypoints.cli._service", lambda: svc)
    assert cli_main(["retry-links"]) == 1
    assert "another worker holds it" in capsys.readouterr().out
    clock.now += timedelta(minutes=6)
    assert cli_main(["retry-links"]) == 0
    assert svc.get_booking(b.id, actor=SYSTEM).status is BookingStatus.CONFIRMED


def test_sessions_that_ended_in_jakarta_become_completed(svc, clock, monkeypatch, capsys):
    clock.now = NOW - timedelta(hours=2)  # 23:00 WIB on the 24th
    ended = svc.book_and_pay(request(svc, day=date(2026, 11, 25), at=time(0, 0), duration=30), actor=SYSTEM).booking
    running = svc.book_and_pay(request(svc, day=date(2026, 11, 25), at=time(0, 30), duration=60), actor=SYSTEM).booking
    clock.now = NOW  # 01:00 WIB
    monkeypatch.setattr("lib.entrypoints.cli._service", lambda: svc)
    assert cli_main(["complete-sessions"]) == 0
    assert "Marked 1 ended session(s) as completed." in capsys.readouterr().out
    assert svc.get_booking(ended.id, actor=SYSTEM).status is BookingStatus.COMPLETED
    assert svc.get_booking(running.id, actor=SYSTEM).status is BookingStatus.CONFIRMED
    assert svc.complete_finished(actor=SYSTEM) == 0
    from lib.access import expert_actor
    from lib.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="Only ops"):
        svc.complete_finished(actor=expert_actor(svc.store.get_expert(expert(svc))))


# -- unpaid bookings expire ------------------------------------------------------------------------

def made_ago(svc: BookingService, booking_id: str, minutes: int) -> None:
    """Make a booking look ``minutes`` old by the service's clock (the store writes created_at)."""
    at = (svc.clock() - timedelta(minutes=minutes)).astimezone(UTC).isoformat(timespec="seconds")
    svc.store._conn().execute("UPDATE bookings SET created_at = ? WHERE id = ?", (at, booking_id))


def test_unpaid_bookings_expire_after_the_setting_with_history(svc):
    stale = svc.book(request(svc, at=time(9, 0)), actor=SYSTEM)
    fresh = svc.book(request(svc, at=time(11, 0)), actor=SYSTEM)
    settled = svc.book_and_pay(request(svc, at=time(13, 0)), actor=SYSTEM).booking
    made_ago(svc, stale.id, 31)
    made_ago(svc, fresh.id, 29)
    made_ago(svc, settled.id, 60)
    [gone] = svc.expire_unpaid(actor=SYSTEM)
    assert gone.id == stale.id and gone.status is BookingStatus.EXPIRED
    assert gone.status.label == "Expired (not paid)"
    assert svc.get_booking(fresh.id, actor=SYSTEM).status is BookingStatus.PENDING
    assert svc.get_booking(settled.id, actor=SYSTEM).status is BookingStatus.CONFIRMED
    assert [(h.event, h.actor) for h in svc.history(stale.id, actor=SYSTEM)][-1] == ("expired", "system")
    assert svc.expire_unpaid(actor=SYSTEM) == []
    assert svc.pay(stale.id, actor=SYSTEM).status is BookingStatus.EXPIRED  # nothing moves it on
    with pytest.raises(InvalidTransition, match="already expired"):
        svc.cancel(stale.id, actor=SYSTEM)
    from lib.access import expert_actor
    from lib.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        svc.expire_unpaid(actor=expert_actor(svc.store.get_expert(expert(svc))))


def test_the_expiry_follows_the_pending_expiry_minutes_setting(svc):

    svc.settings = svc.settings.with_changes(pending_expiry_minutes=120)
    booking = svc.book(request(svc), actor=SYSTEM)
    made_ago(svc, booking.id, 90)
    assert svc.expire_unpaid(actor=SYSTEM) == []
    made_ago(svc, booking.id, 121)
    assert [b.id for b in svc.expire_unpaid(actor=SYSTEM)] == [booking.id]


def test_a_stale_hold_never_blocks_a_booking_even_before_the_job_runs(svc):
    stale = svc.book(request(svc, at=time(14, 0)), actor=SYSTEM)
    made_ago(svc, stale.id, 45)
    taker = svc.book(request(svc, at=time(14, 30)), actor=SYSTEM)  # overlaps the stale hold
    assert taker.status is BookingStatus.PENDING
    assert svc.get_booking(stale.id, actor=SYSTEM).status is BookingStatus.EXPIRED
    # A hold younger than the setting still counts.
    with pytest.raises(SlotTaken):
        svc.book(request(svc, at=time(15, 0)), actor=SYSTEM)
    # Moving a booking onto a stale hold frees it the same way.
    other = svc.book(request(svc, at=time(18, 0)), actor=SYSTEM)
    blocker = svc.book(request(svc, at=time(20, 0)), actor=SYSTEM)
    made_ago(svc, blocker.id, 45)
    moved = svc.reschedule(other.id, TOMORROW, time(20, 30), actor=SYSTEM)
    assert moved.scheduled_time == time(20, 30)
    assert svc.get_booking(blocker.id, actor=SYSTEM).status is BookingStatus.EXPIRED


def test_pending_expiry_minutes_is_read_and_checked(tmp_path):
    from lib.config import load_settings
    from lib.errors import ConfigError

    secrets = tmp_path / "secrets.toml"
    secrets.write_text("pending_expiry_minutes = 45\n", encoding="utf-8")
    assert load_settings(secrets, {}).pending_expiry_minutes == 45
    assert load_settings(tmp_path / "none.toml", {}).pending_expiry_minutes == 30
    assert load_settings(secrets, {"CALLEXPERT_PENDING_EXPIRY_MINUTES": "15"}).pending_expiry_minutes == 15
    for bad in ("0", "-5"):
        with pytest.raises(ConfigError, match="pending_expiry_minutes"):
            load_settings(secrets, {"CALLEXPERT_PENDING_EXPIRY_MINUTES": bad})
    with pytest.raises(ConfigError, match="pending_expiry_minutes"):
        load_settings(secrets, {"CALLEXPERT_PENDING_EXPIRY_MINUTES": "soon"})


def test_cli_expire_pending_lists_what_it_expired(svc, monkeypatch, capsys):
    stale = svc.book(request(svc), actor=SYSTEM)
    made_ago(svc, stale.id, 31)
    monkeypatch.setattr("lib.entrypoints.cli._service", lambda: svc)
    assert cli_main(["expire-pending"]) == 0
    out = capsys.readouterr().out
    assert "Expired 1 booking(s) still awaiting payment after 30 minutes." in out
    assert stale.id in out and "Andi with Sari" in out
    assert [h.actor for h in svc.history(stale.id, actor=SYSTEM)][-1] == "system:cli"
    assert cli_main(["expire-pending"]) == 0
    assert "Expired 0 booking(s)" in capsys.readouterr().out
