"""Attendance from Google Meet: the real google-api-python-client against a local Meet API and
People API stand-in (tests/support/meet_server.py), through the booking service and its store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from lib.access import SYSTEM
from lib.config import GoogleSettings, Settings
from lib.domain import Booking, HistoryLine, NewBooking, NewCustomer
from lib.entrypoints.worker import JOBS, Worker
from lib.errors import ConfigError
from lib.meetings.meet_attendance import DIRECTORY_SCOPE, MEET_SCOPE, GoogleMeetAttendance
from lib.notify.in_app_sender import OutboxOnlySender
from lib.payments.demo_gateway import DemoGateway
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from tests.support.env import drop_proxies
from tests.support.fakes import FixedClock, FlakyProvider
from tests.support.google import authorized_user_json, calendar_server
from tests.support.meet_server import MeetServer, anonymous, phone, signed_in

DAY = date(2030, 3, 11)
CODE = "abc-mnop-xyz"
LINK = f"https://meet.google.com/{CODE}"
END = datetime(2030, 3, 11, 8, 0, tzinfo=UTC)  # the session is 14:00-15:00 WIB = 07:00-08:00 UTC


def z(hh_mm: str) -> str:
    """An RFC 3339 time on the session's day (UTC): z("07:05") -> "2030-03-11T07:05:00Z"."""
    return f"2030-03-11T{hh_mm}:00Z"


def at(hh_mm: str) -> datetime:
    return datetime.fromisoformat(z(hh_mm))


@dataclass
class World:
    svc: BookingService
    store: SQLiteStore
    clock: FixedClock
    meet: MeetServer
    booking: Booking


def reader(srv: MeetServer, *, people: bool = True) -> GoogleMeetAttendance:
    """The production client classes with a fixed token, pointed at the stand-in."""
    creds = Credentials(token="x")

    def new_http() -> Any:
        return google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=2, proxy_info=None))

    opts = {"api_endpoint": srv.base_url}
    meet = build("meet", "v2", http=new_http(), static_discovery=True, cache_discovery=False, client_options=opts)
    directory = (build("people", "v1", http=new_http(), static_discovery=True, cache_discovery=False,
                       client_options=opts) if people else None)
    return GoogleMeetAttendance(meet, directory, http_factory=new_http,
                                people_http_factory=new_http if people else None, timeout_seconds=2)


def confirmed_booking(store: SQLiteStore, link: str = LINK, at_: time = time(14, 0)) -> Booking:
    expert = next((e for e in store.list_experts()), None) or store.add_expert(
        "Budi Santoso", "budi@example.com", 400_000, "Business")
    customer = next((c for c in store.list_customers()), None) or store.add_customer(
        NewCustomer("Sári  Wulandari", "sari@example.com"))
    booking = store.create_booking(NewBooking(id=str(uuid.uuid4()), expert_id=expert.id,
                                              session_type="Career mentoring", scheduled_date=DAY,
                                              scheduled_time=at_, duration=60, price=400_000,
                                              customer_id=customer.id, new_customer=None, request_key=None),
                                  "ops", line=HistoryLine("created", ""))
    store.mark_paid(booking.id, "pay", END - timedelta(days=2), "ops", line=HistoryLine("paid", ""))
    done = store.confirm(booking.id, link, None, 0, END - timedelta(days=2), [], "ops",
                         line=HistoryLine("confirmed", ""))
    assert done is not None
    return done


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    drop_proxies(monkeypatch)
    with MeetServer() as srv:
        store = SQLiteStore(tmp_path / "attendance.db")
        clock = FixedClock(END + timedelta(minutes=15))
        settings = Settings(sqlite_path=str(tmp_path / "attendance.db"), meeting_provider="google")
        svc = BookingService(store, FlakyProvider(), DemoGateway(), OutboxOnlySender(), settings, clock=clock,
                             sleep=lambda _: None, attendance_reader=reader(srv))
        yield World(svc, store, clock, srv, confirmed_booking(store))


def history(w: World, event: str) -> list[str]:
    return [h.detail for h in w.svc.history(w.booking.id, actor=SYSTEM) if h.event == event]


# -- matching --------------------------------------------------------------------------------------

def test_signed_in_participants_are_matched_by_their_email_from_the_people_api(world):
    # Display names that match nobody: only the emails can say who they are.
    world.meet.add_record(CODE, z("07:00"), z("08:01"), [
        signed_in("111", "BS (Jakarta office)", z("07:02"), z("07:58")),
        signed_in("222", "sw", z("07:10"), z("08:00")),
    ])
    world.meet.people.update({"111": "Budi@Example.com", "222": "sari@example.com"})

    counts = world.svc.record_attendance(actor=SYSTEM)

    assert counts["recorded"] == 1 and counts["checked"] == 1
    a = world.svc.attendance(world.booking.id, actor=SYSTEM)
    assert (a.status, a.expert_joined, a.customer_joined) == ("recorded", True, True)
    assert (a.expert_match, a.customer_match) == ("email", "email")
    assert (a.expert_joined_at, a.expert_left_at) == (at("07:02"), at("07:58"))
    assert (a.customer_joined_at, a.customer_left_at) == (at("07:10"), at("08:00"))
    assert a.together_minutes == 48  # 07:10 to 07:58
    assert world.store.google_user_emails(["users/111", "users/222"]) == {
        "users/111": "budi@example.com", "users/222": "sari@example.com"}
    assert history(world, "no-show") == []


def test_remembered_emails_are_not_asked_again(world):
    world.store.remember_google_user_email("users/111", "budi@example.com", END)
    world.meet.add_record(CODE, z("07:00"), z("08:00"), [signed_in("111", "Someone", z("07:00"), z("08:00"))])
    world.svc.record_attendance(actor=SYSTEM)
    assert "people.get" not in world.meet.ops()
    assert world.svc.attendance(world.booking.id, actor=SYSTEM).expert_match == "email"


def test_without_email_lookups_participants_are_matched_by_display_name(world):
    world.svc.ports.attendance = reader(world.meet, people=False)
    world.meet.add_record(CODE, z("07:00"), z("08:00"), [
        signed_in("111", "budi  SANTOSO", z("07:01"), z("07:59")),
        signed_in("222", "Sari Wulandari", z("07:03"), z("07:40")),  # the booking says "Sári  Wulandari"
    ])
    world.svc.record_attendance(actor=SYSTEM)
    a = world.svc.attendance(world.booking.id, actor=SYSTEM)
    assert (a.expert_match, a.customer_match) == ("display name", "display name")
    assert (a.expert_joined, a.customer_joined, a.together_minutes) == (True, True, 37)
    assert "people.get" not in world.meet.ops()


def test_a_person_unknown_to_the_directory_falls_back_to_the_display_name(world):
    world.meet.add_record(CODE, z("07:00"), z("08:00"), [signed_in("999", "Budi Santoso", z("07:01"), z("07:59"))])
    world.svc.record_attendance(actor=SYSTEM)  # people/999 answers 404
    a = world.svc.attendance(world.booking.id, actor=SYSTEM)
    assert (a.expert_joined, a.expert_match) == (True, "display name")
    assert world.store.google_user_emails(["users/999"]) == {}


def test_anonymous_and_phone_participants_are_not_matched_even_with_a_matching_name(world):
    world.meet.add_record(CODE, z("07:00"), z("08:00"), [
        signed_in("111", "Budi Santoso", z("07:00"), z("08:00")),
        anonymous("Sari Wulandari", z("07:05"), z("07:55")),
        phone(z("07:06"), z("07:50")),
    ])
    counts = world.svc.record_attendance(actor=SYSTEM)
    a = world.svc.attendance(world.booking.id, actor=SYSTEM)
    assert (a.expert_joined, a.customer_joined, a.customer_match) == (True, False, "none")
    assert a.together_minutes == 0
    assert counts["no-shows"] == 1


def test_several_records_for_one_code_are_merged(world):
    world.meet.page_size = 1  # every list pages: records and participants alike
    world.meet.add_record(CODE, z("07:00"), z("07:20"), [
        signed_in("111", "Budi Santoso", z("07:00"), z("07:20")),
        signed_in("222", "Sari Wulandari", z("07:05"), z("07:15")),
    ])
    world.meet.add_record(CODE, z("07:30"), z("08:10"), [
        signed_in("222", "Sari Wulandari", z("07:30"), z("08:10")),
        signed_in("111", "Budi Santoso", z("07:40"), z("08:05")),
    ])
    world.meet.add_record("zzz-zzzz-zzz", z("07:00"), z("08:00"), [  # another meeting: not read
        signed_in("111", "Budi Santoso", z("06:00"), z("09:00"))])

    world.svc.record_attendance(actor=SYSTEM)

    a = world.svc.attendance(world.booking.id, actor=SYSTEM)
    assert (a.expert_joined_at, a.expert_left_at) == (at("07:00"), at("08:05"))  # earliest join, latest leave
    assert (a.customer_joined_at, a.customer_left_at) == (at("07:05"), at("08:10"))
    assert a.together_minutes == 10 + 25  # 07:05-07:15 in the first, 07:40-08:05 in the second
    lists = [q for op, _, q in world.meet.requests if op == "conferenceRecords.list"]
    assert lists[0]["filter"] == f'space.meeting_code = "{CODE}"' and any("pageToken" in q for q in lists)


# -- no-shows, retries, no data ---------------------------------------------------------------------

def test_a_no_show_is_written_in_the_history_once(world):
    world.meet.add_record(CODE, z("07:00"), z("08:00"), [signed_in("222", "Sari Wulandari", z("07:00"), z("07:30"))])
    assert world.svc.record_attendance(actor=SYSTEM)["no-shows"] == 1
    world.clock.now += timedelta(hours=1)
    assert world.svc.record_attendance(actor=SYSTEM)["checked"] == 0  # final: not asked again
    world.svc.record_attendance(actor=SYSTEM, booking_id=world.booking.id)
    assert history(world, "no-show") == ["the expert did not join the Google Meet session"]
    a = world.svc.attendance(world.booking.id, actor=SYSTEM)
    assert (a.expert_joined, a.customer_joined, a.expert_match, a.attempts) == (False, True, "none", 1)


def test_no_record_yet_is_asked_again_with_backoff_then_no_data(world):
    settings = world.svc.settings
    first = world.svc.record_attendance(actor=SYSTEM)
    assert first["waiting"] == 1
    a = world.svc.attendance(world.booking.id, actor=SYSTEM)
    assert (a.status, a.attempts, a.next_check_at) == ("waiting", 1, world.clock.now + timedelta(minutes=10))
    assert world.svc.record_attendance(actor=SYSTEM)["checked"] == 0  # not due yet: Google is not asked
    world.clock.now = a.next_check_at
    world.svc.record_attendance(actor=SYSTEM)
    a = world.svc.attendance(world.booking.id, actor=SYSTEM)
    assert (a.attempts, a.next_check_at - world.clock.now) == (2, timedelta(minutes=20))  # doubled
    asked = len(world.meet.ops())
    world.clock.now = END + timedelta(hours=settings.attendance_give_up_hours)
    assert world.svc.record_attendance(actor=SYSTEM)["no data"] == 1
    a = world.svc.attendance(world.booking.id, actor=SYSTEM)
    assert (a.status, a.attempts) == ("no data", 3) and len(world.meet.ops()) == asked + 1
    assert len(history(world, "attendance")) == 1 and history(world, "attendance")[0].startswith("no data")


def test_a_live_conference_is_not_recorded_yet(world):
    world.meet.add_record(CODE, z("07:00"), None, [signed_in("111", "Budi Santoso", z("07:00"), None)])
    assert world.svc.record_attendance(actor=SYSTEM)["waiting"] == 1
    assert world.svc.attendance(world.booking.id, actor=SYSTEM).status == "waiting"


def test_an_outage_is_classified_retried_next_round_and_never_fatal(world):
    other = confirmed_booking(world.store, link="https://meet.google.com/xyz-abcd-efg", at_=time(13, 0))
    world.meet.add_record(CODE, z("07:00"), z("08:00"), [signed_in("111", "Budi Santoso", z("07:00"), z("08:00"))])
    world.meet.faults.extend(["503", "429"])  # both bookings' first requests fail

    counts = world.svc.record_attendance(actor=SYSTEM)

    assert counts["failed"] == 2 and counts["recorded"] + counts["no-shows"] == 0
    a = world.svc.attendance(world.booking.id, actor=SYSTEM)
    b = world.svc.attendance(other.id, actor=SYSTEM)
    assert (a.status, b.status) == ("waiting", "waiting")
    # The earlier session is asked first: it met the 503, this one the 429.
    assert "server error (HTTP 503)" in b.last_error and "rate limit reached (HTTP 429)" in a.last_error
    world.clock.now = a.next_check_at
    counts = world.svc.record_attendance(actor=SYSTEM)
    assert world.svc.attendance(world.booking.id, actor=SYSTEM).status == "recorded"
    assert counts["failed"] == 0


def test_a_people_api_outage_asks_the_whole_booking_again(world):
    world.meet.add_record(CODE, z("07:00"), z("08:00"), [signed_in("111", "Budi Santoso", z("07:00"), z("08:00"))])
    world.meet.people["111"] = "budi@example.com"
    world.meet.op_faults["people.get"].append("503")
    assert world.svc.record_attendance(actor=SYSTEM)["failed"] == 1
    assert world.meet.ops() == ["conferenceRecords.list", "participants.list", "people.get"]
    assert world.svc.attendance(world.booking.id, actor=SYSTEM).status == "waiting"  # not by display name
    world.clock.now += timedelta(hours=1)
    world.svc.record_attendance(actor=SYSTEM)
    assert world.svc.attendance(world.booking.id, actor=SYSTEM).expert_match == "email"


def test_a_missing_scope_is_a_permanent_error_with_what_to_do(world):
    world.meet.faults.append("403")
    world.svc.record_attendance(actor=SYSTEM)
    a = world.svc.attendance(world.booking.id, actor=SYSTEM)
    assert a.status == "waiting" and MEET_SCOPE in a.last_error


def test_record_attendance_needs_google(tmp_path):
    svc = BookingService(SQLiteStore(tmp_path / "j.db"), FlakyProvider(), DemoGateway(), OutboxOnlySender(),
                         Settings(sqlite_path=str(tmp_path / "j.db")))
    with pytest.raises(ConfigError, match="Google Meet"):
        svc.record_attendance(actor=SYSTEM)


def test_the_worker_job_runs_only_with_the_google_provider(world, tmp_path):
    jitsi = BookingService(SQLiteStore(tmp_path / "j.db"), FlakyProvider(), DemoGateway(), OutboxOnlySender(),
                           Settings(sqlite_path=str(tmp_path / "j.db")))
    assert "attendance" not in [j.name for j in Worker(jitsi).jobs]
    worker = Worker(world.svc, name="host:1")
    assert "attendance" in [j.name for j in worker.jobs]
    world.meet.add_record(CODE, z("07:00"), z("08:00"), [signed_in("111", "Budi Santoso", z("07:00"), z("08:00"))])
    job = next(j for j in JOBS if j.name == "attendance")
    run = worker.run_job(job)
    assert run.counts["no-shows"] == 1


def test_the_worker_backs_off_while_google_meet_answers_no_read(world):
    """Every read failing is Google down: the job waits longer each time; one good read resets it."""
    job = next(j for j in JOBS if j.name == "attendance")
    worker = Worker(world.svc, [job], name="host:1")
    interval = world.svc.settings.worker_attendance_seconds
    waits = []
    for _ in range(2):
        world.meet.faults.append("503")
        run = worker.run_job(job)
        assert run.counts["failed"] == run.counts["checked"] == 1 and run.outcome.value == "left work"
        waits.append(worker.delay(job))
        world.clock.now = world.svc.attendance(world.booking.id, actor=SYSTEM).next_check_at
    assert waits == [interval, 2 * interval]
    world.meet.add_record(CODE, z("07:00"), z("08:00"), [signed_in("111", "Budi Santoso", z("07:00"), z("08:00"))])
    assert worker.run_job(job).counts["failed"] == 0
    assert worker.delay(job) == interval


# -- the production build -----------------------------------------------------------------------------

def test_from_settings_asks_each_api_with_credentials_of_its_own_scope(tmp_path, monkeypatch):
    with calendar_server(monkeypatch) as cal, MeetServer() as meet:
        google = GoogleSettings(credentials_json=authorized_user_json(cal), api_endpoint=cal.base_url,
                                meet_api_endpoint=meet.base_url, people_api_endpoint=meet.base_url,
                                resolve_participant_emails=True, timeout_seconds=2)
        meet.add_record(CODE, z("07:00"), z("08:00"), [signed_in("111", "X", z("07:00"), z("08:00"))])
        meet.people["111"] = "budi@example.com"
        attendance = GoogleMeetAttendance.from_settings(google)
        reading = attendance.read(CODE)
        assert reading.records == 1 and attendance.email_of(reading.participants[0].user) == "budi@example.com"
        scopes = {r.body.get("scope") for r in cal.requests if r.op == "token"}
        assert scopes == {MEET_SCOPE, DIRECTORY_SCOPE}

        # A grant without the Meet scope: a permanent error naming it.
        cal.granted_scopes = {"https://www.googleapis.com/auth/calendar.events"}
        fresh = GoogleMeetAttendance.from_settings(google.with_changes(resolve_participant_emails=False))
        assert fresh.resolves_emails is False
        from lib.errors import MeetingFailed

        with pytest.raises(MeetingFailed, match="meetings.space.readonly"):
            fresh.read(CODE)


def test_the_ops_text_says_who_joined_and_who_did_not(world):
    from zoneinfo import ZoneInfo

    from lib.display_tables import attendance_text

    tz = ZoneInfo("Asia/Jakarta")
    assert "not read yet" in attendance_text(None, tz)
    world.meet.add_record(CODE, z("07:00"), z("08:00"), [signed_in("222", "Sari Wulandari", z("07:02"), z("07:30"))])
    world.svc.record_attendance(actor=SYSTEM)
    text = attendance_text(world.svc.attendance(world.booking.id, actor=SYSTEM), tz)
    assert "Expert: did not join (no-show)" in text
    assert "Customer: joined" in text and "14:02" in text and "by display name" in text
    assert "Together: 0 minute(s)" in text


def test_a_service_built_from_settings_reads_meet_with_its_own_credentials(tmp_path, monkeypatch):
    with calendar_server(monkeypatch) as cal, MeetServer() as meet:
        google = GoogleSettings(credentials_json=authorized_user_json(cal), api_endpoint=cal.base_url,
                                meet_api_endpoint=meet.base_url, timeout_seconds=2)
        store = SQLiteStore(tmp_path / "a.db")
        svc = BookingService(store, FlakyProvider(), DemoGateway(), OutboxOnlySender(),
                             Settings(sqlite_path=str(tmp_path / "a.db"), meeting_provider="google", google=google),
                             clock=FixedClock(END + timedelta(minutes=15)))
        booking = confirmed_booking(store)
        meet.add_record(CODE, z("07:00"), z("08:00"), [signed_in("1", "Budi Santoso", z("07:00"), z("08:00"))])
        assert svc.record_attendance(actor=SYSTEM)["no-shows"] == 1
        assert svc.attendance(booking.id, actor=SYSTEM).expert_match == "display name"
        assert {r.body.get("scope") for r in cal.requests if r.op == "token"} == {MEET_SCOPE}
