"""Shared reads of pending Meet conferences (one events.list per round for every waiting thread),
and the stand-in's events.list, through the real Google client."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httplib2
import pytest

from lib.errors import MeetingProviderError, MeetingUnavailable, Permanent, Transient
from lib.meetings.google import GoogleCalendarProvider
from lib.meetings.google_events import event_body, event_id_for
from tests.support.calendar_server import CalendarServer
from tests.support.google import MEET_RE, calendar_fixtures, make_booking, make_provider

server, clock, provider = calendar_fixtures(seed=11)


def real_time(provider: GoogleCalendarProvider) -> GoogleCalendarProvider:
    """The provider waiting in real time, as threads in a bulk run do."""
    provider._clock = time.monotonic
    provider._sleep = time.sleep
    return provider


@contextmanager
def others_waiting(provider: GoogleCalendarProvider, count: int = 1) -> Iterator[None]:
    """Make the provider count ``count`` more threads waiting for a conference: its reads then
    go as lists, as they do in a bulk run, with no thread timing in the test."""
    with provider._reads.cond:
        provider._reads.waiting += count
    try:
        yield
    finally:
        with provider._reads.cond:
            provider._reads.waiting -= count


def reads(server: CalendarServer) -> int:
    return server.count("events.get") + server.count("events.list")


# -- a bulk run ---------------------------------------------------------------------------------


@pytest.mark.parametrize("pending", [1, 2])
def test_concurrent_creates_share_their_reads_and_each_gets_its_own_link(server, provider, pending):
    real_time(provider)
    server.latency = 0.05  # requests overlap, as Google's do
    server.pending_gets = pending
    bookings = [make_booking() for _ in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        meetings = list(pool.map(provider.create, bookings))

    assert server.count("events.insert") == 24
    # Before: one get per read per link, pending x 24. Now far fewer than one read per link.
    assert reads(server) < 24 / 2, server.ops()
    assert server.count("events.list") >= 1
    events = {e["id"]: e for e in server.live_events()}
    for booking, meeting in zip(bookings, meetings, strict=True):
        assert meeting.event_id == event_id_for(booking.id, 0)
        assert MEET_RE.match(meeting.url) and events[meeting.event_id]["hangoutLink"] == meeting.url
    assert len({m.url for m in meetings}) == 24
    for request in (r for r in server.requests if r.op == "events.list"):
        assert request.query["showDeleted"] == "true" and request.query["maxResults"] == "250"
        assert request.query["updatedMin"].endswith("Z")


def test_a_single_create_reads_with_one_get_per_round(server, provider, clock):
    real_time(provider)
    server.pending_gets = 1
    with ThreadPoolExecutor(max_workers=4) as pool:  # a bulk run before leaves its state behind
        list(pool.map(provider.create, [make_booking() for _ in range(6)]))
    provider._clock, provider._sleep = clock, clock.sleep

    server.clear_requests()
    server.pending_gets = 2
    meeting = provider.create(make_booking())
    assert MEET_RE.match(meeting.url)
    assert server.ops() == ["events.insert", "events.get", "events.get"]
    assert clock.sleeps == [0.2, 0.4]


# -- what a list shows ----------------------------------------------------------------------------


def test_a_list_answers_a_waiting_create_with_one_request(server, provider, clock):
    server.pending_gets = 1
    with others_waiting(provider):
        meeting = provider.create(make_booking())
    assert MEET_RE.match(meeting.url)
    assert server.ops() == ["events.insert", "events.list"]
    [listed] = [r for r in server.requests if r.op == "events.list"]
    insert_stamp = datetime.fromisoformat(server.events["primary"][meeting.event_id]["created"])
    since = datetime.fromisoformat(listed.query["updatedMin"])
    assert timedelta(0) < insert_stamp - since <= timedelta(seconds=2)  # Google's own stamp, a little before
    assert clock.sleeps == [0.2]


def test_a_failed_conference_seen_in_a_list_deletes_the_event_and_is_retryable(server, provider):
    server.pending_gets = 1
    server.conference_failures = 1
    booking = make_booking()
    with others_waiting(provider), pytest.raises(MeetingProviderError) as err:
        provider.create(booking)
    assert isinstance(err.value, Transient)
    assert "could not create the Meet conference" in str(err.value) and "deleted" in str(err.value)
    assert server.ops() == ["events.insert", "events.list", "events.delete"]
    assert server.requests[-1].query["sendUpdates"] == "all"
    assert server.live_events() == []

    meeting = provider.create(booking)  # the next attempt: a new event, version 1
    assert (meeting.event_id, meeting.event_version) == (event_id_for(booking.id, 1), 1)


def test_an_event_the_list_leaves_out_is_read_with_a_get(server, provider):
    server.pending_gets = 1
    booking = make_booking()
    server.unlisted.add(event_id_for(booking.id, 0))
    with others_waiting(provider):
        meeting = provider.create(booking)
    assert MEET_RE.match(meeting.url)
    assert server.ops() == ["events.insert", "events.list", "events.get"]
    assert server.live_events()[0]["hangoutLink"] == meeting.url


def test_an_event_deleted_while_waiting_is_seen_in_the_list(server, provider, clock):
    server.pending_gets = 50  # never ready within the attempt
    booking = make_booking()
    event_id = event_id_for(booking.id, 0)

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if len(clock.sleeps) == 2:  # someone deletes the event in Google Calendar meanwhile
            with server._lock:
                server.events["primary"][event_id].update(status="cancelled", updated=_stamp_now())

    provider._sleep = sleep
    with others_waiting(provider), pytest.raises(MeetingProviderError) as err:
        provider.create(booking)
    assert isinstance(err.value, MeetingUnavailable)
    assert f"Event {event_id} was deleted" in str(err.value) and "version 1" in str(err.value)
    assert server.ops() == ["events.insert", "events.list", "events.list"]

    server.pending_gets = 0
    provider._sleep = clock.sleep
    again = provider.create(booking)
    assert again.event_version == 1 and MEET_RE.match(again.url)


def test_an_event_deleted_while_waiting_alone_is_seen_in_the_get(server, provider, clock):
    server.pending_gets = 50
    booking = make_booking()
    event_id = event_id_for(booking.id, 0)

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        with server._lock:
            server.events["primary"][event_id].update(status="cancelled", updated=_stamp_now())

    provider._sleep = sleep
    with pytest.raises(MeetingUnavailable) as err:
        provider.create(booking)
    assert "was deleted" in str(err.value)
    assert server.ops() == ["events.insert", "events.get"]  # 410 from the get


def test_the_deadline_ends_a_shared_wait(server, clock):
    provider = make_provider(server, clock, wait=1.0)
    server.pending_gets = 50
    with others_waiting(provider), pytest.raises(MeetingProviderError) as err:
        provider.create(make_booking())
    assert isinstance(err.value, Transient) and "still preparing the Meet link" in str(err.value)
    assert clock.sleeps == [0.2, 0.4, 0.4]  # the rounds were the reads' own pace apart
    assert server.ops() == ["events.insert"] + ["events.list"] * 3
    assert len(server.live_events()) == 1  # the event is kept


def test_a_list_follows_pages_only_while_a_waited_for_event_is_missing(server, provider, monkeypatch):
    monkeypatch.setattr("lib.meetings.google._LIST_PAGE", 2)
    now = _stamp_now()
    for n in range(5):  # other events written just now, listed before ours
        server.events["primary"][f"other{n:05d}"] = {"id": f"other{n:05d}", "status": "confirmed", "updated": now,
                                                    "start": {"dateTime": "2025-03-04T08:00:00+07:00"},
                                                    "end": {"dateTime": "2025-03-04T09:00:00+07:00"}}
    server.pending_gets = 1
    with others_waiting(provider):
        meeting = provider.create(make_booking())
    assert MEET_RE.match(meeting.url)
    lists = [r for r in server.requests if r.op == "events.list"]
    assert len(lists) == 3  # 2 + 2 + (2: ours is the 6th)
    assert "pageToken" not in lists[0].query and all("pageToken" in r.query for r in lists[1:])
    assert server.count("events.get") == 0


@pytest.mark.parametrize(("fault", "words"), [
    ("403forbidden", "no write access"),
    ("404", "was not found"),
])
def test_a_permanent_error_of_the_list_ends_the_wait(server, provider, fault, words):
    server.pending_gets = 1
    server.method_faults["events.list"].append(fault)
    with others_waiting(provider), pytest.raises(Permanent) as err:
        provider.create(make_booking())
    assert words in str(err.value)
    assert server.ops() == ["events.insert", "events.list"]


@pytest.mark.parametrize(("fault", "pause"), [("429", 1.0), ("503", 0.4), ("drop", 0.4)])
def test_a_read_that_fails_for_a_passing_reason_is_waited_out(server, provider, clock, fault, pause):
    server.pending_gets = 1
    # httplib2 sends a GET again once when the connection drops: it takes two drops to fail.
    sent = 2 if fault == "drop" else 1
    server.method_faults["events.list"].extend([fault] * sent)
    began = clock()
    with others_waiting(provider):
        meeting = provider.create(make_booking())
    assert MEET_RE.match(meeting.url)
    # No new attempt (no second insert, no adoption): the same read again, after the pause asked for.
    assert server.ops() == ["events.insert"] + ["events.list"] * sent + ["events.list"]
    assert clock() - began >= 0.2 + pause


def test_reads_that_keep_failing_end_at_the_deadline_with_the_last_error(server, provider, clock):
    server.pending_gets = 1
    server.method_faults["events.list"].extend(["503"] * 100)
    with others_waiting(provider), pytest.raises(MeetingUnavailable) as err:
        provider.create(make_booking())
    assert "server error" in str(err.value)
    assert clock() <= provider.conference_wait_seconds + 1
    assert server.count("events.insert") == 1 and len(server.live_events()) == 1  # kept for the next attempt


def test_members_of_a_failed_round_keep_waiting_and_get_their_links(server, provider):
    real_time(provider)
    server.latency = 0.05
    server.pending_gets = 1
    server.method_faults["events.list"].extend(["429"] * 2)
    meetings: list[Any] = []
    failures: list[BaseException] = []

    def create() -> None:
        try:
            meetings.append(provider.create(make_booking()))
        except MeetingProviderError as exc:
            failures.append(exc)

    with others_waiting(provider):
        threads = [threading.Thread(target=create) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
    assert failures == [] and len(meetings) == 4
    assert server.count("events.insert") == 4  # no member made a new attempt
    assert server.count("events.get") == 0 and server.count("events.list") <= 6
    assert len(server.live_events()) == 4


def test_every_read_takes_a_budget_slot(server, provider):
    taken: list[float] = []
    real_acquire = provider.quota.acquire
    provider.quota.acquire = lambda: taken.append(1) or real_acquire()  # type: ignore[method-assign]
    server.pending_gets = 1
    booking = make_booking()
    server.unlisted.add(event_id_for(booking.id, 0))
    with others_waiting(provider):
        provider.create(booking)
    assert server.ops() == ["events.insert", "events.list", "events.get"]
    assert len(taken) == 3


# -- the stand-in's events.list ---------------------------------------------------------------------


def _stamp_now(delta: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _list(server: CalendarServer, **query: Any) -> tuple[int, dict[str, Any]]:
    from urllib.parse import urlencode

    http = httplib2.Http(timeout=5, proxy_info=None)
    resp, body = http.request(f"{server.base_url}calendars/primary/events?{urlencode(query)}", "GET")
    return int(resp.status), json.loads(body)


def _event(server: CalendarServer, event_id: str, updated: str, status: str = "confirmed") -> None:
    server.events["primary"][event_id] = {"id": event_id, "status": status, "updated": updated,
                                          "start": {"dateTime": "2025-03-04T08:00:00+07:00"},
                                          "end": {"dateTime": "2025-03-04T09:00:00+07:00"}}


@pytest.mark.parametrize("query", [
    {"updatedMin": "2025-03-04T10:00:00"},  # no offset
    {"updatedMin": ""},
    {"updatedMin": "yesterday"},
    {"showDeleted": "yes"},
    {"singleEvents": "1"},
    {"maxResults": "0"},
    {"maxResults": "ten"},
    {"orderBy": "created"},
    {"orderBy": "startTime"},  # needs singleEvents=true
    {"pageToken": "not-a-token"},
    {"q": "session"},  # Google has it; this stand-in does not
    {"timeMin": "2025-03-04T10:00:00"},  # no offset
    {"timeMin": "2025-03-05T00:00:00Z", "timeMax": "2025-03-04T00:00:00Z"},  # an empty range
    {"colour": "blue"},
])
def test_the_stand_in_list_refuses_bad_parameters(server, query):
    status, body = _list(server, **query)
    assert status == 400, body
    assert body["error"]["code"] == 400


def test_the_stand_in_list_filters_by_time_range_as_google_does(server):
    _event(server, "early0", _stamp_now())  # 08:00-09:00 +07:00 (see _event)
    status, body = _list(server, timeMin="2025-03-04T02:00:00Z", timeMax="2025-03-04T03:00:00Z")
    assert status == 200 and [e["id"] for e in body["items"]] == []  # it ended at 02:00Z: end is exclusive
    status, body = _list(server, timeMin="2025-03-04T01:59:59Z", timeMax="2025-03-04T03:00:00Z")
    assert [e["id"] for e in body["items"]] == ["early0"]
    status, body = _list(server, timeMin="2025-03-04T00:00:00Z", timeMax="2025-03-04T01:00:00Z")
    assert [e["id"] for e in body["items"]] == []  # it starts at 01:00Z: timeMax is exclusive


def test_the_stand_in_list_filters_by_update_time_and_shows_deleted_events(server):
    _event(server, "old00", _stamp_now(-timedelta(hours=1)))
    _event(server, "new00", _stamp_now())
    _event(server, "gone0", _stamp_now(), status="cancelled")
    _event(server, "gone1", _stamp_now(-timedelta(hours=1)), status="cancelled")
    since = _stamp_now(-timedelta(minutes=1))
    assert [e["id"] for e in _list(server)[1]["items"]] == ["old00", "new00"]
    assert [e["id"] for e in _list(server, showDeleted="true")[1]["items"]] == ["old00", "new00", "gone0", "gone1"]
    # updatedMin: deleted since then are listed whatever showDeleted says
    assert [e["id"] for e in _list(server, updatedMin=since)[1]["items"]] == ["new00", "gone0"]
    assert [e["id"] for e in _list(server, updatedMin=since, showDeleted="false")[1]["items"]] == ["new00", "gone0"]
    status, body = _list(server, orderBy="updated", showDeleted="true")
    assert [e["id"] for e in body["items"]] == ["gone1", "old00", "gone0", "new00"]
    assert body["kind"] == "calendar#events" and "nextPageToken" not in body


def test_the_stand_in_list_pages_and_caps_the_page_size(server):
    for n in range(2503):
        _event(server, f"ev{n:05d}", _stamp_now())
    status, first = _list(server, maxResults="100000")
    assert status == 200 and len(first["items"]) == 2500  # never more than 2500 on a page
    status, rest = _list(server, maxResults="100000", pageToken=first["nextPageToken"])
    assert [e["id"] for e in rest["items"]] == ["ev02500", "ev02501", "ev02502"] and "nextPageToken" not in rest
    # a token belongs to its query
    status, _ = _list(server, maxResults="5", pageToken=first["nextPageToken"])
    assert status == 400
    forged = base64.urlsafe_b64encode(json.dumps({"q": "{}", "after": "x", "n": "many"}).encode()).decode()
    assert _list(server, pageToken=forged)[0] == 400


def test_a_list_result_counts_as_a_read_of_a_pending_conference(server, provider):
    server.pending_gets = 2
    insert = provider.service.events().insert(calendarId="primary", conferenceDataVersion=1,
                                              body=event_body(make_booking(), "abcde0001", provider.timezone,
                                                              provider.reminder_minutes))
    event = insert.execute(http=provider._http())
    assert event["conferenceData"]["createRequest"]["status"]["statusCode"] == "pending"
    since = _stamp_now(-timedelta(minutes=1))

    def listed() -> dict[str, Any]:
        answer = provider.service.events().list(calendarId="primary", updatedMin=since).execute(http=provider._http())
        [item] = answer["items"]
        return item

    assert listed()["conferenceData"]["createRequest"]["status"]["statusCode"] == "pending"
    ready = listed()  # the second read, through a list
    assert ready["conferenceData"]["createRequest"]["status"]["statusCode"] == "success"
    assert MEET_RE.match(ready["hangoutLink"])
