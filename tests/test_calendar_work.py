"""Google converges to the booking: a reschedule or a cancel commits first, and the calendar change
is durable work that ends with the event matching the booking (or gone), whatever Google answered.

Through the real google-api-python-client against tests/support/calendar_server.py, which can
apply a change and then answer after the client's timeout ("late") or with a 5xx ("503after"),
and hold a request in flight (``gates``) while the test cancels the booking. Each case ends with
the booking and the calendar agreeing, and no "link still being prepared" email after a cancel.
"""

from __future__ import annotations

import os
import threading
from datetime import date, time, timedelta

import pytest

from lib.access import SYSTEM
from lib.domain import BookingStatus, HistoryLine
from lib.errors import InvalidTransition, MeetingProviderError
from lib.meetings.google_events import event_id_for
from lib.notify import LINK_PENDING
from lib.notify.messages import WORDS
from lib.service import BookingService
from lib.wiring import build_service
from tests.support.bookings import request_for
from tests.support.calendar_server import CalendarServer
from tests.support.google import calendar_server, google_settings
from tests.support.hours import default_hours

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

TIMEOUT = 1.0  # the client's timeout; "late" answers come after 2 s
# The client's timeout while a request is held at a gate: longer than anything the test does meanwhile
# (on a loaded machine a cancel can take seconds), so the held request is never retried by a timeout.
HELD = 30.0


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    with calendar_server(monkeypatch, seed=29) as srv:
        srv.timeout_delay = 2.0
        yield srv


@pytest.fixture
def svc(tmp_path, server) -> BookingService:
    service = build_service(google_settings(tmp_path / "converge.db", server, timeout=TIMEOUT, link_attempts=2))
    service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    return service


def confirmed(svc: BookingService, slot: int = 1, at: time = time(13, 0)):
    booking = svc.book(request_for(svc, date.today() + timedelta(days=3), at, slot), actor=SYSTEM)
    svc.pay(booking.id, actor=SYSTEM)
    done = svc.create_link(booking.id, actor=SYSTEM)
    assert done.status is BookingStatus.CONFIRMED
    return done


def until_done(svc: BookingService, booking_id: str, tries: int = 10) -> int:
    """Press "Retry now" until the booking's calendar work is done; how many presses it took."""
    for n in range(1, tries + 1):
        if svc.retry_calendar_now(booking_id, actor=SYSTEM):
            return n
    raise AssertionError("the calendar work never finished")


def live(server: CalendarServer) -> list[dict]:
    server.wait_idle(10)
    return server.live_events()


def no_link_pending(svc: BookingService, booking_id: str) -> bool:
    return all(e.kind != LINK_PENDING for e in svc.emails(booking_id=booking_id, actor=SYSTEM))


# -- a change Google applied, answered after the client's timeout, then 503s -----------------------

def test_a_reschedule_google_applied_but_answered_late_then_503s_is_kept_and_converges(svc, server):
    booking = confirmed(svc)
    server.method_faults["events.patch"].append("late")
    moved = svc.reschedule(booking.id, booking.scheduled_date, time(13, 30), actor=SYSTEM)
    # The booking is the truth: the move stands although Google's answer never came.
    assert moved.scheduled_time == time(13, 30)
    work = svc.calendar_work(booking.id, actor=SYSTEM)
    assert work is not None and work.waiting and work.attempts == 1 and "did not answer" in (work.last_error or "")
    server.wait_idle(10)
    server.method_faults["events.get"].extend(["503", "503"])
    assert until_done(svc, booking.id) == 3  # two 503s, then the read finds the patch applied
    [event] = live(server)
    assert event["id"] == booking.google_event_id and "T13:30:00" in event["start"]["dateTime"]
    assert server.count("events.patch") == 1  # found applied: no second patch, no second notice
    assert svc.get_booking(booking.id, actor=SYSTEM).scheduled_time == time(13, 30)
    [line] = [h for h in svc.history(booking.id, actor=SYSTEM) if h.event == "calendar repaired"]
    assert line.detail == ("the calendar already matched the booking "
                           "(on a retry of moving the event to the booking's time)")
    assert not svc.calendar_work(booking.id, actor=SYSTEM).waiting


def test_a_cancel_google_applied_but_answered_late_then_503s_is_kept_and_converges(svc, server):
    booking = confirmed(svc)
    server.method_faults["events.delete"].append("late")
    gone = svc.cancel(booking.id, "customer asked", actor=SYSTEM)
    assert gone.status is BookingStatus.CANCELLED  # not refused
    assert svc.calendar_work(booking.id, actor=SYSTEM).waiting
    server.wait_idle(10)
    server.method_faults["events.delete"].extend(["503", "503"])
    assert until_done(svc, booking.id) == 3
    assert live(server) == []
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.CANCELLED


def test_a_patch_applied_then_answered_503_is_not_sent_twice(svc, server):
    booking = confirmed(svc)
    server.method_faults["events.patch"].append("503after")
    svc.reschedule(booking.id, booking.scheduled_date, time(15, 0), actor=SYSTEM)
    assert until_done(svc, booking.id) == 1
    [event] = live(server)
    assert "T15:00:00" in event["start"]["dateTime"] and server.count("events.patch") == 1


# -- a cleanup delete that gets a 5xx ---------------------------------------------------------------

def paid_with_a_live_attempt_event(svc: BookingService, server: CalendarServer):
    """A paid booking whose link attempts made (and sent) event v0, then failed for good."""
    booking = svc.book(request_for(svc, date.today() + timedelta(days=3), time(10, 0), 1), actor=SYSTEM)
    server.pending_gets = 1
    server.method_faults["events.get"].extend(["403forbidden"])
    svc.pay(booking.id, actor=SYSTEM)
    with pytest.raises(MeetingProviderError):
        svc.create_link(booking.id, actor=SYSTEM)
    server.pending_gets = 0
    assert [e["id"] for e in live(server)] == [event_id_for(booking.id, 0)]
    return svc.get_booking(booking.id, actor=SYSTEM)


@pytest.mark.parametrize("fault", ["500", "503", "503after"])
def test_a_cleanup_delete_that_gets_a_5xx_is_retried_until_the_event_is_gone(svc, server, fault):
    booking = paid_with_a_live_attempt_event(svc, server)
    server.method_faults["events.delete"].append(fault)
    svc.cancel(booking.id, "customer asked", actor=SYSTEM)
    work = svc.calendar_work(booking.id, actor=SYSTEM)
    assert work.waiting and work.last_error
    assert until_done(svc, booking.id) == 1
    assert live(server) == []
    assert no_link_pending_after_cancel(svc, booking.id)


def no_link_pending_after_cancel(svc: BookingService, booking_id: str) -> bool:
    """The notice queued by the failed attempt before the cancel is never sent."""
    svc.dispatch_emails(actor=SYSTEM)
    return all(e.kind != LINK_PENDING or e.status.value != "sent"
               for e in svc.emails(booking_id=booking_id, actor=SYSTEM))


# -- a cancel racing a link attempt in flight, both orders -------------------------------------------

def start_link(svc: BookingService, booking_id: str) -> tuple[threading.Thread, list[BaseException]]:
    raised: list[BaseException] = []

    def attempt() -> None:
        try:
            svc.create_link(booking_id, actor=SYSTEM)
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            raised.append(exc)

    thread = threading.Thread(target=attempt)
    thread.start()
    return thread, raised


def test_a_cancel_landing_while_the_insert_is_in_flight_leaves_no_live_event(tmp_path, server):
    svc = build_service(google_settings(tmp_path / "race.db", server, timeout=HELD, link_attempts=2))
    svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    booking = svc.book(request_for(svc, date.today() + timedelta(days=3), time(10, 0), 1), actor=SYSTEM)
    svc.pay(booking.id, actor=SYSTEM)
    gate = server.gates["events.insert"] = threading.Event()
    thread, raised = start_link(svc, booking.id)
    assert server.arrived["events.insert"].wait(10)
    svc.cancel(booking.id, "customer asked", actor=SYSTEM)  # commits while the insert waits
    work = svc.calendar_work(booking.id, actor=SYSTEM)
    assert work.waiting, "done while the attempt still held the booking"
    server.method_faults["events.delete"].append("503")  # the attempt's cleanup delete fails
    del server.gates["events.insert"]
    gate.set()
    thread.join(30)
    assert raised and isinstance(raised[0], InvalidTransition)
    assert svc.calendar_work(booking.id, actor=SYSTEM).waiting
    assert until_done(svc, booking.id) == 1
    assert live(server) == []
    assert server.count("events.insert") == 1
    assert no_link_pending(svc, booking.id)
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.CANCELLED


def test_a_cancel_landing_after_the_insert_stops_the_attempt_before_a_new_version(tmp_path, server):
    svc = build_service(google_settings(tmp_path / "race.db", server, timeout=HELD, link_attempts=3))
    svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    booking = svc.book(request_for(svc, date.today() + timedelta(days=3), time(10, 0), 1), actor=SYSTEM)
    svc.pay(booking.id, actor=SYSTEM)
    server.pending_gets = 5  # the attempt inserts, then waits for the Meet link
    gate = server.gates["events.get"] = threading.Event()
    thread, raised = start_link(svc, booking.id)
    assert server.arrived["events.get"].wait(10)
    del server.gates["events.get"]
    svc.cancel(booking.id, "customer asked", actor=SYSTEM)  # deletes v0 while the attempt reads it
    gate.set()
    thread.join(30)
    assert raised and isinstance(raised[0], InvalidTransition)
    assert live(server) == []
    assert [r.event_id for r in server.requests if r.op == "events.insert"] == [event_id_for(booking.id, 0)]
    assert not svc.calendar_work(booking.id, actor=SYSTEM).waiting
    assert no_link_pending(svc, booking.id)


def test_a_move_landing_while_the_insert_is_in_flight_brings_the_event_to_the_new_time(tmp_path, server):
    svc = build_service(google_settings(tmp_path / "race.db", server, timeout=HELD, link_attempts=2))
    svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    booking = svc.book(request_for(svc, date.today() + timedelta(days=3), time(10, 0), 1), actor=SYSTEM)
    svc.pay(booking.id, actor=SYSTEM)
    gate = server.gates["events.insert"] = threading.Event()
    thread, raised = start_link(svc, booking.id)
    assert server.arrived["events.insert"].wait(10)
    svc.reschedule(booking.id, booking.scheduled_date, time(15, 0), actor=SYSTEM)  # the insert says 10:00
    del server.gates["events.insert"]
    gate.set()
    thread.join(30)
    assert not raised
    done = svc.get_booking(booking.id, actor=SYSTEM)
    assert done.status is BookingStatus.CONFIRMED and done.scheduled_time == time(15, 0)
    [event] = live(server)
    assert event["id"] == done.google_event_id and "T15:00:00" in event["start"]["dateTime"]
    assert not svc.calendar_work(booking.id, actor=SYSTEM).waiting


# -- Jitsi: nothing to converge ---------------------------------------------------------------------

def test_with_jitsi_no_calendar_work_is_queued(tmp_path):
    from lib.config import Settings

    svc = build_service(Settings(sqlite_path=str(tmp_path / "jitsi.db"), seed_demo_data=False,
                                 default_availability=default_hours()))
    svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    booking = svc.book_and_pay(request_for(svc, date.today() + timedelta(days=3), time(10, 0), 1),
                               actor=SYSTEM).booking
    svc.reschedule(booking.id, booking.scheduled_date, time(11, 0), actor=SYSTEM)
    svc.cancel(booking.id, "customer asked", actor=SYSTEM)
    assert svc.calendar_work(booking.id, actor=SYSTEM) is None
    assert svc.calendar_waiting(actor=SYSTEM) == []
    assert svc.reconcile_calendar(date.today(), 7, fix=True, actor=SYSTEM).calendar is False


# -- reconciliation ------------------------------------------------------------------------------

def test_reconcile_reports_each_divergence_and_fix_makes_the_calendar_agree(svc, server):
    from dataclasses import replace

    kept, moved_away, stale = (confirmed(svc, 1, time(9, 0)), confirmed(svc, 2, time(11, 0)),
                              confirmed(svc, 3, time(15, 0)))
    # Someone moved one event in Google Calendar; one booking was cancelled with no calendar work
    # (as by a version without it): its event is still live.
    svc.meetings.reschedule(replace(moved_away, scheduled_time=time(18, 0)))
    svc.store.cancel(stale.id, svc.ports.clock(), "x", [], "ops", line=HistoryLine("cancelled", "x"))
    report = svc.reconcile_calendar(date.today(), 7, fix=False, actor=SYSTEM)
    assert report.checked == 2 and report.events == 3
    assert [s.split(":")[0] for s in report.orphans] == [f"event {stale.google_event_id}"]
    assert len(report.moved) == 1 and moved_away.id in report.moved[0] and "18:00" in report.moved[0]
    assert report.missing == [] and report.queued == 0
    assert svc.calendar_work(kept.id, actor=SYSTEM) is None  # nothing queued without --fix

    fixed = svc.reconcile_calendar(date.today(), 7, fix=True, actor=SYSTEM)
    assert fixed.divergences == 2 and fixed.queued == 2
    assert {e["id"] for e in live(server)} == {kept.google_event_id, moved_away.google_event_id}
    [event] = [e for e in live(server) if e["id"] == moved_away.google_event_id]
    assert "T11:00:00" in event["start"]["dateTime"]
    assert svc.reconcile_calendar(date.today(), 7, fix=False, actor=SYSTEM).divergences == 0
    repaired = [h for b in (moved_away, stale) for h in svc.history(b.id, actor=SYSTEM)
                if h.event == "calendar repaired"]
    assert len(repaired) == 2
    assert all(h.detail.endswith("(found by comparing Google Calendar with the bookings)") for h in repaired)
    overview = svc.overview(svc.today(), svc.today(), actor=SYSTEM)
    assert overview.calendar_repaired == 2 and "2 calendar divergence(s) repaired" in overview.calendar_reading


def test_reconcile_finds_a_confirmed_booking_whose_event_was_deleted(svc, server):
    booking = confirmed(svc)
    svc.meetings.cancel(booking)  # deleted in Google Calendar by hand
    report = svc.reconcile_calendar(date.today(), 7, fix=True, actor=SYSTEM)
    assert len(report.missing) == 1 and booking.google_event_id in report.missing[0]
    work = svc.calendar_work(booking.id, actor=SYSTEM)
    assert work.waiting and "deleted in Google Calendar" in work.last_error  # ops see why, and what to do


# -- the worker's job ----------------------------------------------------------------------------

def test_the_worker_job_retries_due_work_and_backs_off_while_google_refuses(svc, server):
    from lib.entrypoints.worker import JOBS, Worker

    booking = confirmed(svc)
    server.method_faults["events.delete"].extend(["503", "503"])
    svc.cancel(booking.id, "customer asked", actor=SYSTEM)  # the in-process try: 503
    worker = Worker(svc, [j for j in JOBS if j.name == "calendar-changes"], name="test:1")
    first = worker.run_job(worker.jobs[0])  # due already (link_backoff_seconds is tiny): 503 again
    assert first.counts["failed"] + first.counts["done"] <= 1
    until_done(svc, booking.id)
    assert live(server) == []
    again = worker.run_job(worker.jobs[0])
    assert again.counts == {"done": 0, "failed": 0, "held": 0}


# -- what ops and the person see ------------------------------------------------------------------

def test_the_ops_page_lists_late_calendar_work_with_its_error_and_retry_now_finishes_it(app_env, server,
                                                                                         monkeypatch):
    from datetime import UTC, datetime

    from lib.config import load_settings
    from tests.support.apptest import markdown_sources, no_exception, open_page, shown
    from tests.support.google import authorized_user_json

    for key, value in {"MEETING_PROVIDER": "google", "GOOGLE_CREDENTIALS_JSON": authorized_user_json(server),
                       "GOOGLE_API_ENDPOINT": server.base_url, "GOOGLE_TIMEOUT_SECONDS": "1",
                       "GOOGLE_CONFERENCE_WAIT_SECONDS": "2", "LINK_BACKOFF_SECONDS": "0.01",
                       "ALLOW_DEMO_MODE": "true"}.items():
        monkeypatch.setenv(f"CALLEXPERT_{key}", value)
    earlier = datetime.now(UTC) - timedelta(hours=1)
    svc = build_service(load_settings(), clock=lambda: earlier)  # the cancel happened an hour ago
    svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    booking = confirmed(svc)
    server.method_faults["events.delete"].append("403forbidden")
    svc.cancel(booking.id, "customer asked", actor=SYSTEM)

    at = open_page("pages/views/ops_view.py")
    no_exception(at)
    texts = [shown(t) for t in markdown_sources(at)]
    assert "Calendar changes waiting more than 15 minutes" in texts
    [row] = [t for t in texts if "withdraw the cancelled booking's invitation" in t]
    assert "Attempts: 1" in row and "Last error: " in row
    page = open_page("pages/views/confirmation_view.py", booking=booking.id)
    assert "Cancelled; the calendar invitation is being withdrawn." in [i.value for i in page.info]

    at.button(key=f"calendar-retry-{booking.id}").click().run()
    no_exception(at)
    assert any("The calendar now matches" in shown(s.value) for s in at.success)
    assert "Calendar changes waiting more than 15 minutes" not in [shown(t) for t in markdown_sources(at)]
    assert live(server) == []
    page = open_page("pages/views/confirmation_view.py", booking=booking.id)
    assert "Cancelled; the calendar invitation is being withdrawn." not in [i.value for i in page.info]


def test_reconcile_leaves_a_paid_bookings_attempt_event_to_its_next_link_attempt(svc, server):
    booking = paid_with_a_live_attempt_event(svc, server)
    report = svc.reconcile_calendar(date.today(), 7, fix=True, actor=SYSTEM)
    assert report.divergences == 0 and report.queued == 0
    assert [e["id"] for e in live(server)] == [event_id_for(booking.id, 0)]


def test_the_reconcile_calendar_command_reports_exits_1_and_fix_repairs(tmp_path, server, monkeypatch, capsys):
    from dataclasses import replace

    from lib.entrypoints.cli import main
    from tests.support.env import clean_environ
    from tests.support.google import google_env

    db = tmp_path / "cli.db"
    svc = build_service(google_settings(db, server, timeout=TIMEOUT, link_attempts=2))
    svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    booking = confirmed(svc)
    svc.meetings.reschedule(replace(booking, scheduled_time=time(18, 0)))  # moved in Google Calendar by hand
    for name in [k for k in os.environ if k.startswith("CALLEXPERT_")]:
        monkeypatch.delenv(name)
    for name, value in clean_environ(tmp_path, **google_env(server, db)).items():
        if name.startswith("CALLEXPERT_"):
            monkeypatch.setenv(name, value)
    since = str(booking.scheduled_date - timedelta(days=1))
    assert main(["reconcile-calendar", "--since", since, "--days", "7"]) == 1
    out = capsys.readouterr().out
    assert "Events at another time than their booking" in out and booking.id in out and "18:00" in out
    assert "--fix" in out and svc.calendar_work(booking.id, actor=SYSTEM) is None
    assert main(["reconcile-calendar", "--since", since, "--days", "7", "--fix"]) == 0
    assert "Queued 1 calendar change(s)" in capsys.readouterr().out
    [event] = live(server)
    assert "T13:00:00" in event["start"]["dateTime"]
    assert main(["reconcile-calendar", "--since", since, "--days", "7"]) == 0
    assert "The calendar agrees with the bookings." in capsys.readouterr().out


def test_the_workers_daily_reconciliation_brings_a_moved_event_back(svc, server):
    from dataclasses import replace

    from lib.entrypoints.worker import JOBS, Worker

    [job] = [j for j in JOBS if j.name == "reconcile-calendar"]
    assert job.interval(svc.settings) == 86400 and job.enabled(svc.settings)  # daily, with Google
    booking = confirmed(svc)
    svc.meetings.reschedule(replace(booking, scheduled_time=time(18, 0)))  # moved in Google Calendar by hand
    worker = Worker(svc, [job], name="test:1")
    run = worker.run_job(worker.jobs[0])
    assert run.counts["divergences"] == 1 and run.counts["queued"] == 1
    [event] = live(server)
    assert "T13:00:00" in event["start"]["dateTime"]


def test_a_cancel_landing_before_the_first_insert_sends_no_invitation(svc, server, monkeypatch):
    booking = svc.book(request_for(svc, date.today() + timedelta(days=3), time(10, 0), 1), actor=SYSTEM)
    svc.pay(booking.id, actor=SYSTEM)
    store = svc.ports.store
    claim = store.claim_for_link

    def claim_then_cancelled(*args, **kwargs):  # the cancel commits right after the attempt took its lease
        held = claim(*args, **kwargs)
        monkeypatch.setattr(store, "claim_for_link", claim)
        svc.cancel(booking.id, "customer asked", actor=SYSTEM)
        return held

    monkeypatch.setattr(store, "claim_for_link", claim_then_cancelled)
    with pytest.raises(InvalidTransition, match="became cancelled"):
        svc.create_link(booking.id, actor=SYSTEM)
    assert server.count("events.insert") == 0  # no event, so no invitation went out
    work = svc.calendar_work(booking.id, actor=SYSTEM)
    assert work is None or not work.waiting
    assert live(server) == [] and no_link_pending(svc, booking.id)


def test_cancelling_on_the_booking_page_says_the_invitation_is_being_withdrawn_until_google_takes_it(
        app_env, server, monkeypatch):
    from lib.config import load_settings
    from tests.support.apptest import no_exception, open_page, shown
    from tests.support.google import authorized_user_json

    for key, value in {"MEETING_PROVIDER": "google", "GOOGLE_CREDENTIALS_JSON": authorized_user_json(server),
                       "GOOGLE_API_ENDPOINT": server.base_url, "GOOGLE_TIMEOUT_SECONDS": "1",
                       "GOOGLE_CONFERENCE_WAIT_SECONDS": "2", "LINK_BACKOFF_SECONDS": "0.01",
                       "ALLOW_DEMO_MODE": "true"}.items():
        monkeypatch.setenv(f"CALLEXPERT_{key}", value)
    svc = build_service(load_settings())
    svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    waiting, done = confirmed(svc, 1, time(10, 0)), confirmed(svc, 2, time(15, 0))
    server.method_faults["events.delete"].append("503")  # Google refuses the first cancel's delete
    for booking, said in ((waiting, "Cancelled; the calendar invitation is being withdrawn. Both sides get an email."),
                          (done, "The booking is cancelled; both sides get an email.")):
        at = open_page("pages/views/confirmation_view.py", booking=booking.id)
        at.checkbox(key=f"cancel-sure-{booking.id}").check()
        at.button(key=f"cancel-submit-{booking.id}").click().run()
        no_exception(at)
        assert [shown(s.value) for s in at.success] == [said]
    assert svc.calendar_work(waiting.id, actor=SYSTEM).waiting
    assert [e["id"] for e in live(server)] == [waiting.google_event_id]


# -- the Meet link: the event carries the booking's ---------------------------------------------------

def set_link(tmp_path, booking_id: str, link: str) -> None:
    """Store another meeting link on the booking (the ``svc`` fixture's database), as ops fixing it
    by hand in the database would."""
    import sqlite3

    with sqlite3.connect(tmp_path / "converge.db") as db:
        db.execute("UPDATE bookings SET meeting_link = ? WHERE id = ?", (link, booking_id))


def event_of(server: CalendarServer, event_id: str) -> dict:
    server.wait_idle(10)
    return server.events["primary"][event_id]


def repaired_lines(svc: BookingService, booking_id: str) -> list[str]:
    return [h.detail for h in svc.history(booking_id, actor=SYSTEM) if h.event == "calendar repaired"]


def test_an_event_whose_conference_was_changed_in_google_gets_the_bookings_link_back(svc, server):
    booking = confirmed(svc)
    other = server.change_conference(booking.google_event_id)  # someone made a new Meet in Google Calendar
    assert other != booking.meeting_link
    report = svc.reconcile_calendar(date.today(), 7, fix=False, actor=SYSTEM)
    assert report.divergences == 1 and booking.id in report.relinked[0] and other in report.relinked[0]
    server.clear_requests()
    fixed = svc.reconcile_calendar(date.today(), 7, fix=True, actor=SYSTEM)
    assert fixed.queued == 1
    event = event_of(server, booking.google_event_id)
    assert event["hangoutLink"] == booking.meeting_link
    assert event["conferenceData"]["conferenceId"] == booking.meeting_link.rsplit("/", 1)[1]
    [patch] = [r for r in server.requests if r.op == "events.patch"]
    assert patch.query["conferenceDataVersion"] == "1" and patch.query["sendUpdates"] == "all"
    assert set(patch.body) == {"conferenceData"} and "createRequest" not in patch.body["conferenceData"]
    assert repaired_lines(svc, booking.id) == [
        f"Google event {booking.google_event_id} its Meet link changed from {other} to the booking's "
        f"{booking.meeting_link} (found by comparing Google Calendar with the bookings)"]
    # The next run finds it matching: no divergence, no second patch.
    assert svc.reconcile_calendar(date.today(), 7, fix=True, actor=SYSTEM).divergences == 0
    assert svc.meetings.converge(svc.get_booking(booking.id, actor=SYSTEM)) == []
    assert server.count("events.patch") == 1


def test_a_move_of_a_booking_whose_event_lost_its_conference_puts_both_right_in_one_patch(svc, server):
    booking = confirmed(svc)
    server.remove_conference(booking.google_event_id)  # removed in Google Calendar by hand
    server.clear_requests()
    svc.reschedule(booking.id, booking.scheduled_date, time(16, 0), actor=SYSTEM)
    event = event_of(server, booking.google_event_id)
    assert event["hangoutLink"] == booking.meeting_link and "T16:00:00" in event["start"]["dateTime"]
    assert server.count("events.patch") == 1  # the move's own patch carries the conference too
    [line] = [h.detail for h in svc.history(booking.id, actor=SYSTEM) if h.event == "calendar event moved"]
    assert line == (f"Google event {booking.google_event_id} now at {booking.scheduled_date} 16:00 (Asia/Jakarta); "
                    f"its Meet link {booking.meeting_link} (the booking's) put back")
    assert svc.meetings.converge(svc.get_booking(booking.id, actor=SYSTEM)) == []
    assert server.count("events.patch") == 1


def test_a_booking_with_a_pasted_jitsi_link_has_its_event_carry_that_link_and_no_meet(svc, server, tmp_path):
    booking = confirmed(svc)
    jitsi = "https://meet.jit.si/CallExpert-sari-1300"
    set_link(tmp_path, booking.id, jitsi)
    server.clear_requests()
    report = svc.reconcile_calendar(date.today(), 7, fix=True, actor=SYSTEM)
    assert report.relinked == [f"booking {booking.id} with {jitsi}: event {booking.google_event_id} "
                               f"with {booking.meeting_link}"]
    event = event_of(server, booking.google_event_id)
    assert "hangoutLink" not in event and "conferenceData" not in event  # no second, wrong way in
    words = WORDS[svc.meetings.language]  # the event is written in the emails' language
    assert event["location"] == jitsi and words["ics_join"].format(link=jitsi) in event["description"].splitlines()
    assert words["event_join"] not in event["description"]
    [patch] = [r for r in server.requests if r.op == "events.patch"]
    assert patch.body["conferenceData"] is None and patch.query["sendUpdates"] == "all"
    assert repaired_lines(svc, booking.id) == [
        f"Google event {booking.google_event_id} its Meet conference {booking.meeting_link} removed; the "
        f"booking's link {jitsi} put in its location; its description now says how to join "
        "(found by comparing Google Calendar with the bookings)"]
    assert svc.reconcile_calendar(date.today(), 7, fix=True, actor=SYSTEM).divergences == 0
    assert server.count("events.patch") == 1
    # Back to a Meet link (ops pasted one): the meeting is attached, the location and description follow.
    meet = "https://meet.google.com/xyz-abcd-efg"
    set_link(tmp_path, booking.id, meet)
    svc.reconcile_calendar(date.today(), 7, fix=True, actor=SYSTEM)
    event = event_of(server, booking.google_event_id)
    assert event["hangoutLink"] == meet and "location" not in event
    assert words["event_join"] in event["description"].splitlines()
    assert server.count("events.patch") == 2


def test_a_conference_patch_applied_then_answered_503_converges_without_a_second_change(svc, server):
    booking = confirmed(svc)
    server.change_conference(booking.google_event_id)
    server.method_faults["events.patch"].append("503after")  # Google applied it, then answered 503
    fixed = svc.reconcile_calendar(date.today(), 7, fix=True, actor=SYSTEM)
    assert fixed.queued == 1
    work = svc.calendar_work(booking.id, actor=SYSTEM)
    assert work.waiting and work.attempts == 1
    assert event_of(server, booking.google_event_id)["hangoutLink"] == booking.meeting_link  # applied all the same
    assert until_done(svc, booking.id) == 1  # the next get finds it applied
    assert server.count("events.patch") == 1
    assert repaired_lines(svc, booking.id) == [
        "the calendar already matched the booking (found by comparing Google Calendar with the bookings)"]


def test_the_same_meet_meeting_written_otherwise_is_no_difference():
    from lib.meetings.google_events import link_changes, same_link

    event = {"hangoutLink": "https://meet.google.com/abc-defg-hij", "conferenceData": {"conferenceId": "abc-defg-hij"},
             "description": "x\n" + WORDS["en"]["event_join"]}
    assert link_changes(event, "https://meet.google.com/ABC-DEFG-HIJ?authuser=1", "whole", "en") == {}
    assert same_link("https://meet.google.com/abc-defg-hij", "https://meet.google.com/abc-defg-hij?authuser=0")
    assert not same_link("https://meet.google.com/abc-defg-hij", "https://meet.google.com/abc-defg-hik")
    assert not same_link(None, "https://meet.jit.si/room") and same_link(None, None)
    other = link_changes(event, "https://meet.google.com/xyz-abcd-efg", "whole", "en")
    assert other == {"conferenceData": {
        "conferenceId": "xyz-abcd-efg", "conferenceSolution": {"key": {"type": "hangoutsMeet"}},
        "entryPoints": [{"entryPointType": "video", "uri": "https://meet.google.com/xyz-abcd-efg"}]}}
