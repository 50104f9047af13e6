"""The Calendar API stand-in at Google's shape (latency tail, pending conferences, 429s, the
per-minute quota), driven through the real google-api-python-client. Waits go through the
server's injectable ``sleep`` and the quota reads its injectable ``clock``, so nothing here
sleeps."""

from __future__ import annotations

import random
import statistics
import uuid
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from tests.support.calendar_server import CalendarServer, LogNormal
from tests.support.google import calendar_server


class ManualClock:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    with calendar_server(monkeypatch, seed=11) as srv:
        srv.slept: list[float] = []
        srv.sleep = srv.slept.append  # record the latency instead of waiting it
        yield srv


def client(srv: CalendarServer) -> Any:
    http = google_auth_httplib2.AuthorizedHttp(Credentials(token="x"), http=httplib2.Http(timeout=5, proxy_info=None))
    return build("calendar", "v3", http=http, static_discovery=True, cache_discovery=False,
                 client_options={"api_endpoint": srv.base_url})


def insert(calendar: Any, n: int = 0) -> dict[str, Any]:
    body = {"summary": f"session {n}", "start": {"dateTime": "2025-03-04T10:00:00+07:00"},
            "end": {"dateTime": "2025-03-04T11:00:00+07:00"},
            "conferenceData": {"createRequest": {"requestId": uuid.uuid4().hex,
                                                 "conferenceSolutionKey": {"type": "hangoutsMeet"}}}}
    return calendar.events().insert(calendarId="primary", body=body, conferenceDataVersion=1,
                                    sendUpdates="all").execute(num_retries=0)


def status(event: dict[str, Any]) -> str:
    return event["conferenceData"]["createRequest"]["status"]["statusCode"]


def test_lognormal_draws_have_the_median_and_p99_asked_for():
    model = LogNormal(median=0.2, p99=1.5)
    rng = random.Random(3)
    draws = sorted(model.draw(rng) for _ in range(40_000))
    assert statistics.median(draws) == pytest.approx(0.2, rel=0.05)
    assert draws[int(0.99 * len(draws))] == pytest.approx(1.5, rel=0.1)
    assert statistics.fmean(draws) == pytest.approx(model.mean, rel=0.05)
    assert model.mean > model.median  # the tail pulls the mean up: ~0.29 s here
    with pytest.raises(ValueError):
        LogNormal(median=0.5, p99=0.2)


def test_each_api_request_waits_a_drawn_latency_and_records_it(server):
    server.latency_model = LogNormal(median=0.2, p99=1.5)
    calendar = client(server)
    for _ in range(60):
        calendar.calendars().get(calendarId="primary").execute(num_retries=0)
    waits = [r.latency for r in server.requests]
    assert server.slept == waits  # every request waited what it recorded, nothing else
    assert len(set(waits)) == 60 and min(waits) > 0
    assert server.served_latency() == pytest.approx(statistics.fmean(waits))
    assert 0.1 < statistics.median(waits) < 0.4


def test_token_requests_wait_nothing_and_are_not_in_the_served_latency(server, monkeypatch):
    server.latency_model = LogNormal(median=0.2, p99=1.5)
    creds = Credentials(token=None, refresh_token="r", client_id="c", client_secret="s", token_uri=server.token_url)
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=5, proxy_info=None))
    calendar = build("calendar", "v3", http=http, static_discovery=True, cache_discovery=False,
                     client_options={"api_endpoint": server.base_url})
    calendar.calendars().get(calendarId="primary").execute(num_retries=0)
    assert server.ops() == ["token", "calendars.get"]
    token, get = server.requests
    assert token.latency == 0 and get.latency > 0
    assert server.served_latency() == get.latency


def test_a_conference_stays_pending_for_one_or_two_reads_the_insert_being_the_first(server):
    server.pending_reads = (1, 2)
    calendar = client(server)
    reads_needed = []
    for n in range(40):
        event = insert(calendar, n)
        reads = 1
        assert status(event) == "pending" and "hangoutLink" not in event
        while status(event) == "pending":
            event = calendar.events().get(calendarId="primary", eventId=event["id"]).execute(num_retries=0)
            reads += 1
        assert status(event) == "success" and event["hangoutLink"].startswith("https://meet.google.com/")
        reads_needed.append(reads - 1)  # k: the reads that answered pending
    assert set(reads_needed) == {1, 2}
    # Once it has its link, it keeps it.
    again = calendar.events().get(calendarId="primary", eventId=event["id"]).execute(num_retries=0)
    assert again["hangoutLink"] == event["hangoutLink"]


def test_pending_reads_of_one_answers_the_first_get_with_the_link(server):
    server.pending_reads = (1, 1)
    calendar = client(server)
    event = insert(calendar)
    assert status(event) == "pending"
    event = calendar.events().get(calendarId="primary", eventId=event["id"]).execute(num_retries=0)
    assert status(event) == "success" and event["hangoutLink"]


def test_a_share_of_requests_answers_429_with_retry_after_and_does_not_do_the_work(server):
    server.rate_limit_share = 0.2
    server.rate_limit_retry_after = 3
    calendar = client(server)
    limited = 0
    for n in range(200):
        try:
            insert(calendar, n)
        except HttpError as exc:
            assert exc.resp.status == 429 and exc.resp["retry-after"] == "3"
            assert exc.error_details[0]["reason"] == "rateLimitExceeded"
            limited += 1
    assert 20 <= limited <= 60  # about 20 % of 200, seeded
    assert server.rate_limited() == limited
    assert len(server.live_events()) == 200 - limited  # a 429 made no event


def test_the_quota_answers_429_beyond_its_rolling_minute_until_a_slot_frees(server):
    clock = ManualClock()
    server.clock = clock
    server.quota_per_minute = 5
    calendar = client(server)
    for n in range(5):
        insert(calendar, n)
        clock.now += 10  # requests at 0, 10, 20, 30, 40 s
    clock.now = 1045.0
    with pytest.raises(HttpError) as refused:
        insert(calendar, 5)
    assert refused.value.resp.status == 429
    assert refused.value.resp["retry-after"] == "15"  # the first slot frees at 60 s
    assert len(server.live_events()) == 5 and [r.fault for r in server.requests][-1] == "quota"
    clock.now = 1059.5
    with pytest.raises(HttpError) as still:
        insert(calendar, 5)
    assert still.value.resp["retry-after"] == "1"  # half a second, said in whole seconds
    clock.now = 1060.0
    insert(calendar, 5)  # the request at 0 s has left the window
    with pytest.raises(HttpError):
        insert(calendar, 6)  # refused requests took no slot, but this one finds the window full again
    clock.now = 1070.0
    insert(calendar, 6)
    assert len(server.live_events()) == 7
    assert server.rate_limited() == 3


def test_each_request_records_its_event_its_retry_after_and_when_it_came(server):
    clock = ManualClock()
    server.clock = clock
    server.pending_reads = (2, 2)
    server.rate_limit_share = 1.0  # the first insert is refused
    server.rate_limit_retry_after = 3
    calendar = client(server)
    body = {"id": "event00001", "start": {"dateTime": "2025-03-04T10:00:00+07:00"},
            "end": {"dateTime": "2025-03-04T11:00:00+07:00"},
            "conferenceData": {"createRequest": {"requestId": "r1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}}
    with pytest.raises(HttpError):
        calendar.events().insert(calendarId="primary", body=body, conferenceDataVersion=1).execute(num_retries=0)
    server.rate_limit_share = 0.0
    clock.now += 3
    calendar.events().insert(calendarId="primary", body=body, conferenceDataVersion=1).execute(num_retries=0)
    calendar.events().get(calendarId="primary", eventId="event00001").execute(num_retries=0)
    calendar.events().list(calendarId="primary").execute(num_retries=0)
    api = [r for r in server.requests if r.op != "token"]
    assert [(r.op, r.event_id, r.fault, r.retry_after, r.at) for r in api] == [
        ("events.insert", "event00001", "rate_limit", 3.0, 1000.0),
        ("events.insert", "event00001", None, None, 1003.0),
        ("events.get", "event00001", None, None, 1003.0),
        ("events.list", None, None, None, 1003.0)]  # a list is about no one event
    assert server.conference_reads() == {"event00001": 2}  # the refused insert requested none


def test_without_the_shape_options_nothing_changes(server):
    calendar = client(server)
    event = insert(calendar)
    assert status(event) == "success" and event["hangoutLink"]
    assert server.slept == [] and server.served_latency() == 0 and server.rate_limited() == 0


# -- an existing Meet conference attached to an event ------------------------------------------------

def attach(code: str, uri: str | None = None, kind: str = "hangoutsMeet") -> dict[str, Any]:
    return {"conferenceId": code, "conferenceSolution": {"key": {"type": kind}},
            "entryPoints": [{"entryPointType": "video", "uri": uri or f"https://meet.google.com/{code}"}]}


def patch(calendar: Any, event_id: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
    return calendar.events().patch(calendarId="primary", eventId=event_id, body=body,
                                   **params).execute(num_retries=0)


def test_an_existing_meet_conference_is_attached_only_with_conference_data_version_1(server):
    calendar = client(server)
    event = insert(calendar)
    before = event["hangoutLink"]
    ignored = patch(calendar, event["id"], {"conferenceData": attach("abc-defg-hij")})  # no version: ignored
    assert ignored["hangoutLink"] == before
    done = patch(calendar, event["id"], {"conferenceData": attach("abc-defg-hij")}, conferenceDataVersion=1)
    assert done["hangoutLink"] == "https://meet.google.com/abc-defg-hij"
    assert done["conferenceData"]["conferenceId"] == "abc-defg-hij" and "createRequest" not in done["conferenceData"]
    got = calendar.events().get(calendarId="primary", eventId=event["id"]).execute(num_retries=0)
    assert got["hangoutLink"] == "https://meet.google.com/abc-defg-hij"


@pytest.mark.parametrize("data", [
    attach("abc-defg-hij", kind="addOn"),                                  # not Meet
    attach("abc-defg-hij", uri="https://meet.google.com/xyz-wxyz-xyz"),   # the link of another meeting
    attach("abc-defg-hij", uri="https://zoom.us/j/123"),                  # not a Meet link
    attach("ABC-1234"),                                                   # not a meeting code
    {"conferenceId": "abc-defg-hij", "conferenceSolution": {"key": {"type": "hangoutsMeet"}}},  # no entry point
    {"conferenceId": "abc-defg-hij", "entryPoints": [{"entryPointType": "video",
                                                      "uri": "https://meet.google.com/abc-defg-hij"}]},
    {"conferenceId": "abc-defg-hij", "conferenceSolution": {"key": {"type": "hangoutsMeet"}},
     "entryPoints": [{"entryPointType": "phone", "uri": "tel:+1"}]},     # no video entry point
    "abc-defg-hij",
])
def test_a_malformed_conference_is_refused_with_400_and_changes_nothing(server, data):
    calendar = client(server)
    event = insert(calendar)
    with pytest.raises(HttpError) as refused:
        patch(calendar, event["id"], {"summary": "changed", "conferenceData": data}, conferenceDataVersion=1)
    assert refused.value.status_code == 400
    got = calendar.events().get(calendarId="primary", eventId=event["id"]).execute(num_retries=0)
    assert got["hangoutLink"] == event["hangoutLink"] and got["summary"] == event["summary"]


def test_null_conference_data_removes_the_conference_and_a_location_is_kept(server):
    calendar = client(server)
    event = insert(calendar)
    patch(calendar, event["id"], {"conferenceData": None, "location": "https://meet.jit.si/room"})  # no version
    kept = calendar.events().get(calendarId="primary", eventId=event["id"]).execute(num_retries=0)
    assert kept["hangoutLink"] == event["hangoutLink"] and kept["location"] == "https://meet.jit.si/room"
    gone = patch(calendar, event["id"], {"conferenceData": None}, conferenceDataVersion=1)
    assert "hangoutLink" not in gone and "conferenceData" not in gone
    cleared = patch(calendar, event["id"], {"location": ""})
    assert "location" not in cleared
