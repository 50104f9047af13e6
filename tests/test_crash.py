"""A process that dies after the payment and before the meeting link loses no booking; one that
dies while Google carries out a reschedule or a cancel leaves calendar work the worker finishes.

A subprocess runs the booking form's flow (``book_and_pay``) against the SQLite file and the
local Calendar server, and dies at one of two points:

* ``exit``: right after the payment settled, before the link is even asked for (``os._exit``);
* ``kill``: SIGKILL while the Calendar insert is in flight. The server still creates the event,
  so Google holds an event the console never heard of.

The demo gateway settles within the process, so the payment's own transaction took the link
lease: either way the lease is held by a process that no longer exists, keeps every worker away
until it runs out (``link_lease_seconds``), and then lets one finish the booking.

Either way the booking is ``paid``, listed by ``missing_links()`` and on the ops page, and
``python -m lib retry-links`` (another subprocess, same settings) confirms it with one event.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time as clock
from datetime import time as wall_time
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.access import SYSTEM
from lib.config import load_settings
from lib.display_tables import booking_label
from lib.domain import BookingStatus
from lib.wiring import build_service
from tests.support.bookings import request_for
from tests.support.env import clean_environ
from tests.support.google import calendar_server, events_by_booking, google_env, stem_of
from tests.support.sqlite_file import leased_bookings

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
LEASE_SECONDS = 1
DIED = 70  # the exit code of the "exit" crash, so a child that did not die there is caught

# The booking form's flow, in a process of its own; "exit" dies as the link is about to be made.
CHILD = f"""
import os, sys
from datetime import date, time
from lib.access import SYSTEM
from lib.service.links import Links
from lib.config import load_settings
from lib.domain import BookingRequest, NewCustomer
from lib.wiring import build_service

mode, expert_id, day = sys.argv[1:4]
if mode == "exit":  # the payment and its lease are stored; the meeting's tries are next
    Links.retrying = lambda self, *args, **kwargs: os._exit({DIED})
service = build_service(load_settings())
service.book_and_pay(BookingRequest(
    expert_id=expert_id, session_type="Career mentoring", scheduled_date=date.fromisoformat(day),
    scheduled_time=time(14, 0), duration=60, request_key="crash-test",
    new_customer=NewCustomer("Dewi Lestari", "dewi@example.com")), actor=SYSTEM)
print("the flow finished; it should have died")
"""


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = clock.monotonic() + seconds
    while not condition():
        assert clock.monotonic() < deadline, f"timed out waiting for {what}"
        clock.sleep(0.02)


@pytest.mark.parametrize("crash", ["exit", "kill"])
def test_a_crash_between_payment_and_link_is_finished_by_retry_links(app_env, monkeypatch, crash):
    db = app_env
    with calendar_server(monkeypatch, seed=3) as srv:
        settings_env = google_env(srv, db, LINK_LEASE_SECONDS=str(LEASE_SECONDS))
        for key, value in settings_env.items():
            monkeypatch.setenv(key, value)  # the pages in this process load the same settings
        env = clean_environ(db.parent, **settings_env)
        svc = build_service(load_settings())
        expert = svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
        day = svc.today() + timedelta(days=3)

        # -- the process dies ------------------------------------------------------------------
        if crash == "kill":
            srv.latency = 1.0  # the insert arrives, then takes a second: time to kill the caller
        child = subprocess.Popen([sys.executable, "-c", CHILD, crash, expert.id, day.isoformat()], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            if crash == "kill":
                wait_for(lambda: srv.count("events.insert") >= 1 or child.poll() is not None, 30, "the insert")
                if child.poll() is None:  # else it ended on its own: the exit code check says how
                    os.kill(child.pid, signal.SIGKILL)
            out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
        assert child.returncode == (DIED if crash == "exit" else -signal.SIGKILL), (child.returncode, out, err)
        srv.wait_idle(10)  # the killed process's insert still completes on the server
        srv.latency = 0.0

        # -- the booking is paid, waiting, and visible ---------------------------------------------
        [booking] = svc.recent_bookings(actor=SYSTEM)
        assert booking.status is BookingStatus.PAID and booking.meeting_link is None
        assert [h.event for h in svc.history(booking.id, actor=SYSTEM)] == ["created", "paid"]
        assert [b.id for b in svc.missing_links(actor=SYSTEM)] == [booking.id]
        if crash == "kill":
            # Google made the event, the console never heard: the same id is adopted below.
            assert len(events_by_booking(srv)[stem_of(booking.id)]) == 1
        # The lease the payment took is held by a process that is gone.
        assert leased_bookings(db) == [booking.id]

        at = AppTest.from_file(APP, default_timeout=60).run()
        at.switch_page("pages/views/ops_view.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert any(booking_label(booking) in md.value for md in at.markdown), "the ops page does not list it"
        assert {m.label: m.value for m in at.metric}["Awaiting link"] == "1"

        # -- cron's retry-links finishes it --------------------------------------------------------
        # A lease outlives its process by link_lease_seconds; after that anyone may retry.
        clock.sleep(LEASE_SECONDS + 1.1)
        retry = subprocess.run([sys.executable, "-m", "lib", "retry-links"], check=False, cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
        assert retry.returncode == 0, (retry.stdout, retry.stderr)
        assert "Confirmed 1, skipped 0" in retry.stdout and booking.id in retry.stdout

        done = svc.get_booking(booking.id, actor=SYSTEM)
        assert done.status is BookingStatus.CONFIRMED and done.meeting_link.startswith("https://meet.google.com/")
        assert svc.missing_links(actor=SYSTEM) == [] and leased_bookings(db) == []
        events = events_by_booking(srv)
        assert list(events) == [stem_of(booking.id)] and len(events[stem_of(booking.id)]) == 1
        assert events[stem_of(booking.id)][0]["id"] == done.google_event_id
        if crash == "kill":
            assert srv.count("events.insert") == 2 and srv.count("events.get") >= 1  # 409, then adopted
        assert sorted(e.kind for e in svc.emails(booking_id=booking.id, actor=SYSTEM)) == ["confirmed.customer",
                                                                                         "confirmed.expert"]


# A reschedule or a cancel in a process of its own (the booking committed first, then the calendar
# change); killed while Google carries the change out, before the work is recorded done.
CHANGE_CHILD = """
import sys
from datetime import time
from lib.access import SYSTEM
from lib.config import load_settings
from lib.wiring import build_service

mode, booking_id = sys.argv[1:3]
service = build_service(load_settings())
if mode == "reschedule":
    booking = service.get_booking(booking_id, actor=SYSTEM)
    service.reschedule(booking_id, booking.scheduled_date, time(15, 30), actor=SYSTEM)
else:
    service.cancel(booking_id, "customer asked", actor=SYSTEM)
print("the change finished; it should have died")
"""


@pytest.mark.parametrize("change", ["reschedule", "cancel"])
def test_a_kill_between_the_calendar_change_and_its_record_converges_in_the_worker(app_env, monkeypatch, change):
    db = app_env
    with calendar_server(monkeypatch, seed=5) as srv:
        settings_env = google_env(srv, db, LINK_LEASE_SECONDS=str(LEASE_SECONDS))
        for key, value in settings_env.items():
            monkeypatch.setenv(key, value)
        env = clean_environ(db.parent, **settings_env)
        svc = build_service(load_settings())
        expert = svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
        booking = svc.book(request_for(svc, svc.today() + timedelta(days=3), wall_time(14), 1), actor=SYSTEM)
        assert booking.expert_id == expert.id
        svc.pay(booking.id, actor=SYSTEM)
        booking = svc.create_link(booking.id, actor=SYSTEM)
        op = "events.patch" if change == "reschedule" else "events.delete"
        srv.method_faults[op].append("late")  # Google does the change, the answer takes long
        child = subprocess.Popen([sys.executable, "-c", CHANGE_CHILD, change, booking.id], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: srv.count(op) >= 1 or child.poll() is not None, 30, f"the {op}")
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
            out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
        assert child.returncode == -signal.SIGKILL, (child.returncode, out, err)
        srv.wait_idle(10)

        # The booking changed (committed first); its calendar work waits, leased by a dead process.
        changed = svc.get_booking(booking.id, actor=SYSTEM)
        work = svc.calendar_work(booking.id, actor=SYSTEM)
        assert work is not None and work.waiting
        if change == "reschedule":
            assert changed.scheduled_time == wall_time(15, 30)
            assert "T15:30:00" in srv.live_events()[0]["start"]["dateTime"]  # Google applied it
        else:
            assert changed.status is BookingStatus.CANCELLED and srv.live_events() == []

        clock.sleep(LEASE_SECONDS + 1.1)  # the dead process's lease runs out
        run = subprocess.run([sys.executable, "-m", "lib", "worker", "--once"], check=False, cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert "calendar-changes: ok" in run.stderr, run.stderr
        assert not svc.calendar_work(booking.id, actor=SYSTEM).waiting
        live = srv.live_events()
        if change == "reschedule":
            assert [e["id"] for e in live] == [booking.google_event_id] and "T15:30:00" in live[0]["start"]["dateTime"]
            assert srv.count("events.patch") == 1  # found applied, not sent again
        else:
            assert live == []
        assert [e for e in svc.emails(booking_id=booking.id, actor=SYSTEM) if e.kind == "link_pending"] == []
