"""The booking service wired to Google (settings -> wiring -> real client) against the local server."""

from __future__ import annotations

import time as clock
from datetime import time, timedelta
from pathlib import Path

import pytest

from lib.access import SYSTEM
from lib.domain import BookingStatus
from lib.meetings.google import GoogleCalendarProvider
from lib.wiring import build_service
from tests.support.bookings import paid_bookings, request_for
from tests.support.google import authorized_user_json, calendar_server, google_settings

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    with calendar_server(monkeypatch, seed=42, timeout_delay=1.5) as srv:
        yield srv


@pytest.fixture
def svc(tmp_path, server):
    service = build_service(google_settings(tmp_path / "e2e.db", server, timeout=1.0))
    assert isinstance(service.meetings, GoogleCalendarProvider)
    service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    service.store.add_expert("Budi Santoso", "budi@example.com", 400_000, "Business")
    return service


def test_paid_booking_gets_one_google_event_with_meet_and_survives_reschedule_and_cancel(svc, server):
    day = svc.today() + timedelta(days=3)
    b = svc.book_and_pay(request_for(svc, day, time(14, 0), 1), actor=SYSTEM).booking
    assert b.status is BookingStatus.CONFIRMED
    assert b.meeting_link.startswith("https://meet.google.com/")
    [event] = server.live_events()
    assert event["id"] == b.google_event_id
    assert {a["email"] for a in event["attendees"]} == {"customer1@example.com", b.expert_email}
    assert event["start"] == {"dateTime": f"{day}T14:00:00+07:00", "timeZone": "Asia/Jakarta"}

    moved = svc.reschedule(b.id, day + timedelta(days=1), time(9, 0), actor=SYSTEM)
    assert moved.meeting_link == b.meeting_link and moved.google_event_id == b.google_event_id
    [event] = server.live_events()
    assert event["start"]["dateTime"] == f"{day + timedelta(days=1)}T09:00:00+07:00"

    svc.cancel(moved.id, "customer asked", actor=SYSTEM)
    assert server.live_events() == []
    assert svc.get_booking(b.id, actor=SYSTEM).status is BookingStatus.CANCELLED


def test_permanent_google_error_leaves_the_booking_paid_with_a_sentence(svc, server):
    server.method_faults["events.insert"].append("403forbidden")
    outcome = svc.book_and_pay(request_for(svc, svc.today() + timedelta(days=2), time(10, 0), 2), actor=SYSTEM)
    assert outcome.booking.status is BookingStatus.PAID
    assert outcome.booking.link_attempts == 1
    assert "write access" in (outcome.booking.last_error or "")
    assert server.live_events() == []


def test_fifty_missing_links_with_faults_end_confirmed_exactly_once(svc, server):
    start = svc.today() + timedelta(days=1)
    ids = []
    for i in range(50):
        day = start + timedelta(days=i // 10)
        booking = svc.book(request_for(svc, day, time(8 + i % 10, 0), i, expert=i % 2), actor=SYSTEM)
        ids.append(svc.pay(booking.id, actor=SYSTEM).id)
    assert len(svc.missing_links(actor=SYSTEM)) == 50

    server.fault_rate = 0.2
    began = clock.perf_counter()
    runs = 0
    while svc.missing_links(actor=SYSTEM) and runs < 4:
        svc.create_missing_links(actor=SYSTEM)
        runs += 1
    elapsed = clock.perf_counter() - began
    server.wait_idle()

    bookings = [svc.get_booking(i, actor=SYSTEM) for i in ids]
    assert all(b.status is BookingStatus.CONFIRMED for b in bookings), [b.last_error for b in bookings]
    live = server.live_events()
    assert len(live) == 50  # one event per booking, none twice
    assert {e["id"] for e in live} == {b.google_event_id for b in bookings}
    assert {e["hangoutLink"] for e in live} == {b.meeting_link for b in bookings}
    faults = sum(1 for r in server.requests if r.fault)
    assert faults > 0  # the faults really happened
    print(f"\n50 links with {faults} injected faults: {runs} run(s), {elapsed:.2f}s, "
          f"{server.count('events.insert')} inserts, {server.count('events.get')} gets")
    emails = svc.emails(limit=1000, actor=SYSTEM)
    assert len(emails) == 100 and len({(e.booking_id, e.kind) for e in emails}) == 100


def test_ops_page_with_google_creates_fifty_missing_links_once(app_env, server, monkeypatch):
    """The ops page, configured for Google through the environment, clears 50 waiting bookings."""
    from streamlit.testing.v1 import AppTest

    from lib.config import load_settings

    for key, value in {
        "MEETING_PROVIDER": "google",
        "GOOGLE_CREDENTIALS_JSON": authorized_user_json(server),
        "GOOGLE_API_ENDPOINT": server.base_url,
        "GOOGLE_TIMEOUT_SECONDS": "1",
        "GOOGLE_CONFERENCE_WAIT_SECONDS": "2",
        "LINK_BACKOFF_SECONDS": "0.01",
        "LINK_BACKOFF_MAX_SECONDS": "0.05",
        "ALLOW_DEMO_MODE": "true",  # the pages run without sign-in, on purpose
    }.items():
        monkeypatch.setenv(f"CALLEXPERT_{key}", value)
    svc = build_service(load_settings())
    svc.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    svc.store.add_expert("Budi Santoso", "budi@example.com", 400_000, "Business")
    start = svc.today() + timedelta(days=1)
    ids = [svc.pay(svc.book(request_for(svc, start + timedelta(days=i // 10), time(8 + i % 10, 0), i,
                                        expert=i % 2), actor=SYSTEM).id, actor=SYSTEM).id for i in range(50)]

    at = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=120).run()
    at.switch_page("pages/views/ops_view.py").run()
    assert "Meeting provider" in at.success[0].value  # calendars.get says Meet is allowed
    # Faults from here on: the link creation must get through them. (Set before the first page,
    # they would hit the pages' own free/busy and health reads, in an order that shifts whenever
    # a page reads something more.)
    server.fault_rate = 0.2
    clicks = 0
    while svc.missing_links(actor=SYSTEM) and clicks < 4:
        at.button(key="create-all-links").click().run()
        assert not at.exception
        clicks += 1
    server.wait_idle()

    assert all(svc.get_booking(i, actor=SYSTEM).status is BookingStatus.CONFIRMED for i in ids)
    assert len(server.live_events()) == 50
    assert {e["id"] for e in server.live_events()} == {svc.get_booking(i, actor=SYSTEM).google_event_id for i in ids}
    assert any("Every paid booking has its meeting link" in s.value for s in at.success)


def test_a_bulk_run_keeps_at_most_requests_at_once_on_their_way(tmp_path, server):
    settings = google_settings(tmp_path / "at-once.db", server, timeout=2.0, link_concurrency=16)
    settings = settings.with_changes(google=settings.google.with_changes(requests_at_once=3))
    svc = build_service(settings)
    paid_bookings(svc, 24)
    server.latency = 0.05  # long enough for 16 threads to pile up at the door
    server.pending_gets = 1
    server.most_in_flight = 0

    result = svc.create_missing_links(actor=SYSTEM)

    assert len(result.confirmed) == 24 and not result.failed
    assert server.most_in_flight == 3  # 16 links at a time, never more than 3 requests
    assert len(server.live_events()) == 24


def test_requests_at_once_is_a_setting_that_must_be_at_least_one(tmp_path):
    from lib.config import load_settings
    from lib.errors import ConfigError

    secrets = tmp_path / "none.toml"
    assert load_settings(secrets, {}).google.requests_at_once == 48
    assert load_settings(secrets, {"CALLEXPERT_GOOGLE_REQUESTS_AT_ONCE": "3"}).google.requests_at_once == 3
    with pytest.raises(ConfigError, match="google.requests_at_once"):
        load_settings(secrets, {"CALLEXPERT_GOOGLE_REQUESTS_AT_ONCE": "0"})
