"""GoogleCalendarProvider against a local Calendar API server, through the real Google client."""

from __future__ import annotations

import base64
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, time
from typing import Any

import httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from lib.config import GoogleSettings
from lib.domain import Booking
from lib.errors import ConfigError, MeetingProviderError, Permanent, Transient
from lib.meetings.google import GoogleCalendarProvider
from lib.meetings.google_auth import SCOPE, load_credentials
from lib.meetings.google_events import event_id_for
from tests.support.calendar_server import CalendarServer
from tests.support.google import (
    MEET_RE,
    PROVIDER_TIMEOUT,
    authorized_user_json,
    calendar_fixtures,
    make_booking,
    make_provider,
    provider_settings,
)

TIMEOUT = PROVIDER_TIMEOUT


server, clock, provider = calendar_fixtures(seed=7)


def attempt(fn: Any, booking: Booking, tries: int = 5) -> Any:
    """Call like the booking service does: again while the error is retryable."""
    for _ in range(tries - 1):
        try:
            return fn(booking)
        except MeetingProviderError as exc:
            if not isinstance(exc, Transient):
                raise
    return fn(booking)


# -- create ------------------------------------------------------------------------------


def test_create_makes_one_event_with_both_attendees_and_a_meet_link(server, provider):
    booking = make_booking()
    meeting = provider.create(booking)

    assert MEET_RE.match(meeting.url)
    assert meeting.event_id == uuid.UUID(booking.id).hex + "v0"
    assert meeting.event_version == 0
    assert server.ops() == ["events.insert"]  # the link came with the insert: 1 request

    request = server.requests[0]
    assert request.method == "POST"
    assert request.path == "/calendar/v3/calendars/primary/events"
    assert request.query["conferenceDataVersion"] == "1"
    assert request.query["sendUpdates"] == "all"
    body = request.body
    assert body["id"] == meeting.event_id
    assert body["start"] == {"dateTime": "2025-03-04T10:30:00", "timeZone": "Asia/Jakarta"}
    assert body["end"] == {"dateTime": "2025-03-04T11:15:00", "timeZone": "Asia/Jakarta"}
    assert body["attendees"] == [
        {"email": "sari@example.com", "displayName": "Sari Wulandari"},
        {"email": "budi@example.com", "displayName": "Budi Santoso"},
    ]
    assert all("responseStatus" not in a for a in body["attendees"])
    assert body["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "email", "minutes": 1440}, {"method": "popup", "minutes": 30}],
    }
    create = body["conferenceData"]["createRequest"]
    assert create == {"requestId": meeting.event_id, "conferenceSolutionKey": {"type": "hangoutsMeet"}}
    for word in ("Career mentoring", "Budi Santoso", "Sari Wulandari"):
        assert word in body["summary"]
    assert booking.id in body["description"] and "Career mentoring" in body["description"]

    [event] = server.live_events()
    assert event["hangoutLink"] == meeting.url
    assert event["start"]["dateTime"] == "2025-03-04T10:30:00+07:00"  # Jakarta wall clock, UTC+7
    assert event["end"]["dateTime"] == "2025-03-04T11:15:00+07:00"
    assert event["conferenceData"]["createRequest"]["status"]["statusCode"] == "success"
    assert {a["email"] for a in event["attendees"]} == {"sari@example.com", "budi@example.com"}
    assert {a["responseStatus"] for a in event["attendees"]} == {"needsAction"}


def test_create_again_returns_the_same_event(server, provider):
    booking = make_booking()
    first = provider.create(booking)
    second = provider.create(booking)
    assert second == first
    assert len(server.live_events()) == 1
    assert server.ops() == ["events.insert", "events.insert", "events.get"]  # insert, then 409 -> get


@pytest.mark.parametrize(
    "booking_id",
    ["7d8e1c3a-0b0e-4f5a-9d7c-2a1b3c4d5e6f", "BK-2025-0001", "x", "", "ÿ" * 2000],
)
@pytest.mark.parametrize("version", [0, 1, 12])
def test_event_ids_are_valid_base32hex(booking_id, version):
    event_id = event_id_for(booking_id, version)
    assert re.fullmatch(r"[0-9a-v]{5,1024}", event_id)
    assert event_id.endswith(f"v{version}")
    assert event_id != event_id_for(booking_id, version + 1)


def test_event_ids_differ_per_booking():
    ids = {event_id_for(b, 0) for b in ["a", "b", "ab", "BK-1", "BK-2", str(uuid.UUID(int=1)), str(uuid.UUID(int=2))]}
    assert len(ids) == 7


def test_non_uuid_booking_id_is_accepted_by_the_server(server, provider):
    meeting = provider.create(make_booking(id="BK-2025-0001"))
    assert MEET_RE.match(meeting.url)
    assert meeting.event_id in server.events["primary"]


# -- faults ------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "503", "429", "403rate", "403userrate"])
def test_retryable_faults_then_recovery(server, provider, fault):
    booking = make_booking()
    server.faults.append(fault)
    with pytest.raises(MeetingProviderError) as err:
        provider.create(booking)
    assert isinstance(err.value, Transient)
    assert err.value.retry_after == (1.0 if fault == "429" else None)
    assert "try again" in str(err.value)
    assert server.live_events() == []  # the fault answered before any work

    meeting = provider.create(booking)
    assert MEET_RE.match(meeting.url)
    assert len(server.live_events()) == 1
    assert server.ops() == ["events.insert", "events.insert"]


def test_timeout_is_retryable_and_never_makes_two_events(server, clock):
    provider = make_provider(server, clock, timeout=0.3)
    server.timeout_delay = 0.6  # answers after the client gave up, but does the insert
    server.faults.append("timeout")
    booking = make_booking()

    with pytest.raises(MeetingProviderError) as err:
        provider.create(booking)
    assert isinstance(err.value, Transient)
    assert "did not answer within 0.3 s" in str(err.value)

    assert server.wait_idle()
    meeting = provider.create(booking)  # the late insert made the event: 409 -> get
    assert server.ops() == ["events.insert", "events.insert", "events.get"]
    [event] = server.live_events()
    assert event["id"] == meeting.event_id and event["hangoutLink"] == meeting.url


def test_dropped_answer_once_is_replayed_by_httplib2_and_lands_on_the_same_event(server, provider):
    booking = make_booking()
    server.faults.append("drop")  # insert done, answer lost; httplib2 resends once on its own
    meeting = provider.create(booking)
    assert server.ops() == ["events.insert", "events.insert", "events.get"]
    [event] = server.live_events()
    assert (event["id"], event["hangoutLink"]) == (meeting.event_id, meeting.url)


def test_dropped_answers_then_retry_gets_409_and_the_same_event(server, provider):
    booking = make_booking()
    server.faults.extend(["drop", "drop"])  # the insert and httplib2's resend both lose their answer
    with pytest.raises(MeetingProviderError) as err:
        provider.create(booking)
    assert isinstance(err.value, Transient)
    assert "connection failed" in str(err.value)
    [made] = server.live_events()

    meeting = provider.create(booking)
    assert server.ops() == ["events.insert"] * 3 + ["events.get"]
    assert (meeting.event_id, meeting.url) == (made["id"], made["hangoutLink"])
    assert len(server.live_events()) == 1


def test_dropped_get_after_duplicate_is_retryable(server, provider):
    booking = make_booking()
    provider.create(booking)
    server.method_faults["events.get"].extend(["drop", "drop"])
    with pytest.raises(MeetingProviderError) as err:
        provider.create(booking)
    assert isinstance(err.value, Transient)
    assert provider.create(booking).event_id == uuid.UUID(booking.id).hex + "v0"
    assert len(server.live_events()) == 1


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("400conference", ["cannot create Google Meet", "Invalid conference type value", "domain-wide delegation"]),
        ("401", ["rejected the credentials"]),
        ("403serviceaccount", ["domain-wide delegation", "subject", "invite attendees"]),
        ("403forbidden", ["no write access to calendar 'primary'"]),
        ("404", ["'primary'", "not found", "calendar_id"]),
    ],
)
def test_permanent_faults_say_what_to_do(server, provider, fault, words):
    server.faults.append(fault)
    with pytest.raises(MeetingProviderError) as err:
        provider.create(make_booking())
    assert isinstance(err.value, Permanent)
    for word in words:
        assert word in str(err.value)
    assert server.live_events() == []


def test_calendar_without_meet_is_permanent(server, clock):
    server.add_calendar("rooms@example.com", meet=False)
    provider = make_provider(server, clock, calendar_id="rooms@example.com")
    with pytest.raises(MeetingProviderError) as err:
        provider.create(make_booking())
    assert isinstance(err.value, Permanent)
    assert "Invalid conference type value" in str(err.value)
    assert server.requests[0].path == "/calendar/v3/calendars/rooms%40example.com/events"


def test_unknown_calendar_is_permanent(server, clock):
    provider = make_provider(server, clock, calendar_id="nobody@example.com")
    with pytest.raises(MeetingProviderError) as err:
        provider.create(make_booking())
    assert isinstance(err.value, Permanent)
    assert "'nobody@example.com'" in str(err.value) and "not found" in str(err.value)


def test_chaos_never_leaves_two_events_per_booking(server, provider):
    server.fault_rate = 0.4
    server.random_faults = ("500", "503", "429", "403rate", "drop")
    bookings = [make_booking() for _ in range(12)]
    meetings = [attempt(provider.create, b, tries=12) for b in bookings]
    events = {e["id"]: e for e in server.live_events()}
    assert len(events) == len(bookings)
    for meeting in meetings:
        assert events[meeting.event_id]["hangoutLink"] == meeting.url
    assert any(r.fault for r in server.requests)


def test_concurrent_creates_from_many_threads(server, provider):
    server.latency = 0.02  # keep requests overlapping
    server.faults.extend(["503", "drop", "429"])
    bookings = [make_booking() for _ in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        meetings = list(pool.map(lambda b: attempt(provider.create, b), bookings))
    assert len({m.url for m in meetings}) == 24
    events = {e["id"]: e for e in server.live_events()}
    assert sorted(events) == sorted(m.event_id for m in meetings)
    assert all(events[m.event_id]["hangoutLink"] == m.url for m in meetings)


# -- conference creation -----------------------------------------------------------------


def test_pending_conference_is_polled_until_success(server, provider, clock):
    server.pending_gets = 3
    meeting = provider.create(make_booking())
    assert MEET_RE.match(meeting.url)
    assert server.ops() == ["events.insert"] + ["events.get"] * 3  # 1 insert + k gets
    assert clock.sleeps == [0.2, 0.4, 0.8]


def test_pending_beyond_the_wait_is_retryable_then_recovers(server, clock):
    provider = make_provider(server, clock, wait=1.0)
    server.pending_gets = 5
    booking = make_booking()
    with pytest.raises(MeetingProviderError) as err:
        provider.create(booking)
    assert isinstance(err.value, Transient)
    assert "still preparing the Meet link" in str(err.value)
    assert clock.sleeps == [0.2, 0.4, 0.4]  # the last sleep is cut to the deadline
    assert server.ops() == ["events.insert"] + ["events.get"] * 3

    server.clear_requests()
    meeting = provider.create(booking)  # the event is kept: 409 -> get -> (pending) -> get
    assert MEET_RE.match(meeting.url)
    assert server.ops() == ["events.insert", "events.get", "events.get"]
    assert len(server.live_events()) == 1


def test_conference_failure_deletes_the_event_and_the_next_attempt_makes_a_new_one(server, provider):
    server.pending_gets = 1
    server.conference_failures = 1
    booking = make_booking()
    with pytest.raises(MeetingProviderError) as err:
        provider.create(booking)
    assert isinstance(err.value, Transient)
    assert "could not create the Meet conference" in str(err.value) and "deleted" in str(err.value)
    first = event_id_for(booking.id, 0)
    assert server.live_events() == []  # nobody holds an invitation without a link
    assert server.ops() == ["events.insert", "events.get", "events.delete"]
    assert server.requests[-1].query["sendUpdates"] == "all"

    meeting = provider.create(booking)  # the next attempt: v0 is taken by the deleted event
    assert (meeting.event_id, meeting.event_version) == (event_id_for(booking.id, 1), 1)
    assert MEET_RE.match(meeting.url)
    [live] = server.live_events()
    assert live["id"] == meeting.event_id and server.events["primary"][first]["status"] == "cancelled"


def test_existing_event_without_conference_gets_one(server, provider):
    booking = make_booking()
    event_id = event_id_for(booking.id, 0)
    server.events["primary"][event_id] = {
        "id": event_id,
        "status": "confirmed",
        "start": {"dateTime": "2025-03-04T10:30:00+07:00"},
        "end": {"dateTime": "2025-03-04T11:15:00+07:00"},
        "sequence": 0,
    }
    meeting = provider.create(booking)
    assert MEET_RE.match(meeting.url)
    assert server.ops() == ["events.insert", "events.get", "events.patch"]
    assert server.requests[-1].query["conferenceDataVersion"] == "1"


@pytest.mark.parametrize("deleted_get", ["410", "cancelled"])
def test_deleted_event_bumps_the_version(server, provider, deleted_get):
    server.deleted_get = deleted_get
    booking = make_booking()
    first = provider.create(booking)
    provider.cancel(replace(booking, google_event_id=first.event_id))

    server.clear_requests()
    again = provider.create(booking)  # same version as before: its id is taken by the deleted event
    assert again.event_version == 1
    assert again.event_id == uuid.UUID(booking.id).hex + "v1"
    assert again.url != first.url
    assert server.ops() == ["events.insert", "events.get", "events.insert"]
    [live] = server.live_events()
    assert live["id"] == again.event_id
    assert server.events["primary"][first.event_id]["status"] == "cancelled"

    # The service stores version 1; the next attempt finds the same live event.
    assert provider.create(replace(booking, event_version=1)) == again
    assert len(server.live_events()) == 1


# -- reschedule and cancel ---------------------------------------------------------------


def test_reschedule_keeps_id_and_link_and_moves_the_time(server, provider):
    booking = make_booking()
    meeting = provider.create(booking)
    moved = replace(booking, scheduled_date=date(2025, 3, 6), scheduled_time=time(14, 0), duration=60,
                    google_event_id=meeting.event_id)

    provider.reschedule(moved)

    request = server.requests[-1]
    assert request.op == "events.patch"
    assert request.path.endswith(f"/events/{meeting.event_id}")
    assert request.query["sendUpdates"] == "all" and request.query["conferenceDataVersion"] == "1"
    assert request.body == {
        "start": {"dateTime": "2025-03-06T14:00:00", "timeZone": "Asia/Jakarta"},
        "end": {"dateTime": "2025-03-06T15:00:00", "timeZone": "Asia/Jakarta"},
    }
    [event] = server.live_events()
    assert event["id"] == meeting.event_id and event["hangoutLink"] == meeting.url
    assert event["start"]["dateTime"] == "2025-03-06T14:00:00+07:00"
    assert event["end"]["dateTime"] == "2025-03-06T15:00:00+07:00"
    assert event["sequence"] == 1


def test_reschedule_faults_are_classified(server, provider):
    booking = make_booking()
    meeting = provider.create(booking)
    server.faults.append("503")
    with pytest.raises(MeetingProviderError) as err:
        provider.reschedule(replace(booking, google_event_id=meeting.event_id))
    assert isinstance(err.value, Transient)
    with pytest.raises(MeetingProviderError) as err:
        provider.reschedule(replace(booking, google_event_id=None))
    assert isinstance(err.value, Permanent)


def test_cancel_deletes_and_a_second_cancel_is_fine(server, provider):
    booking = make_booking()
    meeting = provider.create(booking)
    booked = replace(booking, google_event_id=meeting.event_id)

    provider.cancel(booked)
    assert server.live_events() == []
    delete = server.requests[-1]
    assert (delete.op, delete.query["sendUpdates"]) == ("events.delete", "all")

    provider.cancel(booked)  # 410 Gone counts as done
    provider.cancel(replace(booking, google_event_id="00000v0"))  # 404 counts as done
    assert server.ops()[-2:] == ["events.delete", "events.delete"]

    server.clear_requests()  # without a stored id, every version an attempt may have used is looked at
    assert provider.cancel(replace(booking, google_event_id=None)) == []
    assert [(r.op, r.path.rsplit("/", 1)[1]) for r in server.requests] == [
        ("events.delete", meeting.event_id), ("events.delete", event_id_for(booking.id, 1))]  # 410, then 404


def test_dropped_answers_on_reschedule_and_cancel(server, provider):
    booking = make_booking()
    booked = replace(booking, google_event_id=provider.create(booking).event_id, scheduled_time=time(16, 0))
    server.faults.extend(["drop", "drop"])  # patched twice (the second by httplib2's resend), no answer
    with pytest.raises(MeetingProviderError) as err:
        provider.reschedule(booked)
    assert isinstance(err.value, Transient)
    provider.reschedule(booked)  # a patch of the same times is harmless
    assert server.live_events()[0]["start"]["dateTime"] == "2025-03-04T16:00:00+07:00"

    server.faults.append("drop")  # deleted, answer lost; httplib2's resend gets 410 = done
    provider.cancel(booked)
    assert server.ops()[-2:] == ["events.delete", "events.delete"]
    assert server.live_events() == []


def test_cancel_retryable_fault(server, provider):
    booking = make_booking()
    booked = replace(booking, google_event_id=provider.create(booking).event_id)
    server.faults.append("429")
    with pytest.raises(MeetingProviderError) as err:
        provider.cancel(booked)
    assert isinstance(err.value, Transient) and err.value.retry_after == 1.0
    provider.cancel(booked)
    assert server.live_events() == []


# -- check_connection --------------------------------------------------------------------


def test_check_connection_ok(server, provider):
    health = provider.check_connection()
    assert health.ok is True
    assert "Meet" in health.summary
    assert server.ops() == ["calendars.get"]


def test_check_connection_calendar_without_meet(server, clock):
    server.add_calendar("rooms@example.com", meet=False)
    health = make_provider(server, clock, calendar_id="rooms@example.com").check_connection()
    assert health.ok is False
    assert "cannot host Google Meet" in health.summary
    assert "hangoutsMeet" in health.detail


def test_check_connection_unknown_calendar(server, clock):
    health = make_provider(server, clock, calendar_id="nobody@example.com").check_connection()
    assert health.ok is False
    assert "not found" in health.summary
    assert "'nobody@example.com'" in health.detail


def test_check_connection_never_raises(server, clock):
    server.timeout_delay = 0.4
    server.faults.append("timeout")
    health = make_provider(server, clock, timeout=0.2).check_connection()
    assert health.ok is False
    assert "not reachable" in health.summary


# -- credentials and from_settings -------------------------------------------------------


@pytest.fixture
def token_endpoint(server: CalendarServer) -> str:
    """google-auth always refreshes authorized-user tokens at Google's endpoint (it ignores the
    JSON's token_uri); the ``server`` fixture points that constant at the local server."""
    import google.oauth2.credentials

    assert google.oauth2.credentials._GOOGLE_OAUTH2_TOKEN_ENDPOINT == server.token_url
    return server.token_url


def test_from_settings_refreshes_an_authorized_user_token_over_http(server, clock, token_endpoint):
    server.require_auth = True
    provider = GoogleCalendarProvider.from_settings(
        provider_settings(server, credentials_json=authorized_user_json(server)), "Asia/Jakarta",
        sleep=clock.sleep, clock=clock,
    )
    meeting = provider.create(make_booking())
    assert MEET_RE.match(meeting.url)
    assert server.ops() == ["token", "events.insert"]
    token_request, insert = server.requests
    assert token_request.body["grant_type"] == "refresh_token"
    assert token_request.body["refresh_token"] == "SECRET-refresh"
    assert token_request.body.get("scope") == SCOPE
    assert insert.headers["authorization"] == "Bearer ya29.local-1"
    assert "SECRET" not in repr(provider)


def test_expired_access_token_is_refreshed_and_the_request_repeated(server, clock, token_endpoint):
    provider = GoogleCalendarProvider.from_settings(
        provider_settings(server, credentials_json=authorized_user_json(server)), sleep=clock.sleep, clock=clock
    )
    server.faults.append("401")  # Google says the access token expired
    meeting = provider.create(make_booking())
    assert MEET_RE.match(meeting.url)
    assert server.ops() == ["token", "events.insert", "token", "events.insert"]
    assert len(server.live_events()) == 1


def test_token_json_without_type_is_an_authorized_user(server, clock, token_endpoint):
    info = json.loads(authorized_user_json(server))
    del info["type"]  # what Credentials.to_json() writes
    creds = load_credentials(provider_settings(server, credentials_json=json.dumps(info)))
    assert isinstance(creds, Credentials)
    assert creds.refresh_token == "SECRET-refresh" and list(creds.scopes) == [SCOPE]


def test_from_settings_invalid_grant_is_permanent_and_named(server, clock, tmp_path, token_endpoint):
    server.token_error = "invalid_grant"
    path = tmp_path / "token.json"
    path.write_text(authorized_user_json(server))
    provider = GoogleCalendarProvider.from_settings(provider_settings(server, credentials_file=str(path)),
                                                    sleep=clock.sleep, clock=clock)

    with pytest.raises(MeetingProviderError) as err:
        provider.create(make_booking())
    assert isinstance(err.value, Permanent)
    assert "invalid_grant" in str(err.value) and "7 days" in str(err.value)
    assert "SECRET" not in str(err.value)

    health = provider.check_connection()
    assert health.ok is False
    assert "invalid_grant" in health.summary
    assert "create a new token" in health.detail
    assert server.count("token") == 2 and server.count("events.insert") == 0


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def service_account_json(srv: CalendarServer, pem: str) -> str:
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "callexpert-test",
            "private_key_id": "abc123",
            "private_key": pem,
            "client_email": "meet-bot@callexpert-test.iam.gserviceaccount.com",
            "client_id": "1234567890",
            "token_uri": srv.token_url,
        }
    )


def _jwt_claims(assertion: str) -> dict[str, Any]:
    payload = assertion.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_service_account_with_subject_impersonates_the_organizer(server, clock, private_key_pem):
    server.require_auth = True
    google = provider_settings(server, credentials_json=service_account_json(server, private_key_pem),
                          subject="organizer@example.com")
    provider = GoogleCalendarProvider.from_settings(google, sleep=clock.sleep, clock=clock)

    assert provider.check_connection().ok is True
    token_request = server.requests[0]
    assert token_request.body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    claims = _jwt_claims(token_request.body["assertion"])
    assert claims["sub"] == "organizer@example.com"
    assert claims["scope"] == SCOPE
    assert claims["iss"] == "meet-bot@callexpert-test.iam.gserviceaccount.com"


def test_service_account_unauthorized_client_names_delegation(server, clock, private_key_pem):
    server.token_error = "unauthorized_client"
    google = provider_settings(server, credentials_json=service_account_json(server, private_key_pem),
                          subject="organizer@example.com")
    provider = GoogleCalendarProvider.from_settings(google, sleep=clock.sleep, clock=clock)
    with pytest.raises(MeetingProviderError) as err:
        provider.create(make_booking())
    assert isinstance(err.value, Permanent)
    assert "domain-wide delegation is not granted" in str(err.value)
    health = provider.check_connection()
    assert health.ok is False and "unauthorized_client" in health.summary


def test_service_account_without_subject_is_flagged(server, clock, private_key_pem):
    google = provider_settings(server, credentials_json=service_account_json(server, private_key_pem))
    provider = GoogleCalendarProvider.from_settings(google, sleep=clock.sleep, clock=clock)
    health = provider.check_connection()
    assert health.ok is False
    assert "domain-wide delegation" in health.summary
    assert "forbiddenForServiceAccounts" in health.detail and "subject" in health.detail


def test_load_credentials_service_account_sets_subject(server, private_key_pem):
    google = provider_settings(server, credentials_json=service_account_json(server, private_key_pem),
                          subject="organizer@example.com")
    creds = load_credentials(google)
    assert creds._subject == "organizer@example.com"
    assert list(creds.scopes) == [SCOPE]
    plain = load_credentials(google.with_changes(subject=""))
    assert plain._subject is None


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({}, ["No Google credentials", "credentials_file"]),
        ({"credentials_file": "/nonexistent/key.json"}, ["does not exist", "/nonexistent/key.json"]),
        ({"credentials_json": '{"type": "authorized_user", "refresh_token": "SECRET-x"'},
         ["not valid JSON", "credentials_json"]),
        ({"credentials_json": '["SECRET-x"]'}, ["must be a JSON object"]),
        ({"credentials_json": '{"type": "external_account", "x": "SECRET-x"}'},
         ["'external_account'", "service_account"]),
        ({"credentials_json": '{"type": "authorized_user", "refresh_token": "SECRET-x"}'},
         ["incomplete or damaged authorized_user", "client_id"]),
        ({"credentials_json": '{"type": "service_account", "private_key": "SECRET-x"}'},
         ["incomplete or damaged service_account"]),
    ],
)
def test_bad_credentials_are_config_errors_without_secrets(changes, words):
    with pytest.raises(ConfigError) as err:
        load_credentials(GoogleSettings().with_changes(**changes))
    for word in words:
        assert word in str(err.value)
    assert "SECRET" not in str(err.value)


# -- classify ----------------------------------------------------------------------------


def _http_error(status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> HttpError:
    resp = httplib2.Response({"status": str(status), **(headers or {})})
    content = {"error": {"code": status, "message": message,
                         "errors": [{"domain": "global", "reason": reason, "message": message}]}}
    return HttpError(resp, json.dumps(content).encode(), uri="https://www.googleapis.com/calendar/v3/calendars/primary/events")


@pytest.mark.parametrize(
    ("error", "retryable", "retry_after", "words"),
    [
        (_http_error(401, "authError", "Invalid Credentials"), False, None, ["rejected the credentials"]),
        (_http_error(503, "backendError", "Unavailable", {"retry-after": "7"}), True, 7.0, ["server error"]),
        (_http_error(429, "rateLimitExceeded", "Rate Limit Exceeded", {"retry-after": "soon"}), True, None,
         ["rate limit"]),
        (_http_error(400, "invalid", "Invalid conference type value."), False, None, ["cannot create Google Meet"]),
        (_http_error(400, "badRequest", "Bad Request"), False, None, ["HTTP 400", "Bad Request"]),
    ],
)
def test_classify_http_errors(provider, error, retryable, retry_after, words):
    err = provider.classify(error)
    seen_retry_after = err.retry_after if isinstance(err, Transient) else None
    assert (isinstance(err, Transient), seen_retry_after) == (retryable, retry_after)
    for word in words:
        assert word in str(err)


@pytest.mark.parametrize(
    "exc",
    [TimeoutError("timed out"), TimeoutError(), ConnectionResetError(), httplib2.ServerNotFoundError("no dns")],
)
def test_transport_errors_are_retryable(provider, exc):
    err = provider.classify(exc)
    assert isinstance(err, Transient)
    assert "Google did not answer" in str(err)


@pytest.mark.parametrize(("language", "title", "foreign"), [
    ("id", "Mentoring karier: Sari Wulandari dengan Budi Santoso", ("Career mentoring", " with ", "minutes")),
    ("en", "Career mentoring: Sari Wulandari with Budi Santoso", ("Mentoring karier", " dengan ", "menit")),
])
def test_the_event_is_titled_in_the_emails_language_with_the_types_name_in_it(server, tmp_path, language, title,
                                                                               foreign):
    """Google invites both people with the event: its title and description read in the emails'
    language, the type named as booked in it, like the console's own emails."""
    from lib.wiring import build_meetings
    from tests.support.google import google_settings

    settings = google_settings(tmp_path / "unused.db", server, timeout=5.0, email_language=language)
    booking = make_booking(session_names=(("en", "Career mentoring"), ("id", "Mentoring karier")))
    build_meetings(settings).create(booking)
    [event] = server.live_events()
    assert event["summary"] == title
    assert booking.id in event["description"]
    assert not [word for word in foreign if word in event["summary"] + event["description"]]
