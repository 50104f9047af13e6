"""Busy time of an expert's own calendar: GoogleCalendarProvider.busy against the local Calendar
API stand-in, through the real Google client (freebusy.query)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import googleapiclient
import pytest
from googleapiclient.errors import HttpError

from lib.errors import StoreUnavailable
from lib.meetings import BusyTimes
from lib.meetings.google import FREEBUSY_SCOPE, SCOPE, GoogleCalendarProvider
from tests.support.google import (
    MEET_RE,
    authorized_user_json,
    calendar_fixtures,
    make_booking,
    make_provider,
    provider_settings,
    service_account_json,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
EXPERT = "budi@example.com"
DAY_START = datetime(2025, 3, 4, tzinfo=JAKARTA)
DAY_END = DAY_START + timedelta(days=1)


def at(hour: int, minute: int = 0) -> datetime:
    """An instant on 4 March 2025, Jakarta wall clock."""
    return datetime(2025, 3, 4, hour, minute, tzinfo=JAKARTA)


class CountingBudget:
    """A request budget that counts the slots taken (and can fail, like a store that is down)."""

    def __init__(self, fail: bool = False) -> None:
        self.taken = 0
        self.fail = fail

    def acquire(self) -> float:
        if self.fail:
            raise StoreUnavailable("the database did not answer")
        self.taken += 1
        return 0.0


server, clock, provider = calendar_fixtures(seed=3)


# -- busy ranges -------------------------------------------------------------------------


def test_busy_ranges_come_back_as_instants_whatever_their_offset(server, provider):
    server.busy[EXPERT] = [
        ("2025-03-04T09:00:00+07:00", "2025-03-04T10:00:00+07:00"),
        # New York wall clock: 01:30-02:15 at -05:00 is 13:30-14:15 in Jakarta.
        ("2025-03-04T01:30:00-05:00", "2025-03-04T02:15:00-05:00"),
        ("2025-03-04T08:00:00Z", "2025-03-04T08:30:00.000Z"),  # 15:00-15:30 in Jakarta
    ]

    busy = provider.busy(EXPERT, DAY_START, DAY_END)

    assert busy == BusyTimes(
        intervals=((at(9), at(10)), (at(13, 30), at(14, 15)), (at(15), at(15, 30))), read=True, error=None
    )
    assert all(s.tzinfo is not None and e.tzinfo is not None for s, e in busy.intervals)
    # Instants, not wall clocks: the New York range is not 01:30 in Jakarta.
    ny_start = busy.intervals[1][0]
    assert ny_start.utcoffset() == timedelta(hours=-5) and ny_start == at(13, 30)

    assert server.ops() == ["freebusy.query"]
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/calendar/v3/freeBusy")
    assert request.body == {
        "timeMin": "2025-03-04T00:00:00+07:00",
        "timeMax": "2025-03-05T00:00:00+07:00",
        "timeZone": "Asia/Jakarta",
        "items": [{"id": EXPERT}],
    }


def test_a_window_given_in_another_zone_asks_for_the_same_instants(server, provider):
    server.busy[EXPERT] = [("2025-03-04T09:00:00+07:00", "2025-03-04T10:00:00+07:00")]
    start = DAY_START.astimezone(UTC)  # 2025-03-03T17:00Z, the same instant as Jakarta midnight

    busy = provider.busy(EXPERT, start, start + timedelta(days=1))

    assert busy.intervals == ((at(9), at(10)),)
    assert server.requests[0].body["timeMin"] == "2025-03-03T17:00:00+00:00"


def test_only_ranges_inside_the_window_are_busy_and_edges_are_cut(server, provider):
    server.busy[EXPERT] = [
        ("2025-03-03T10:00:00+07:00", "2025-03-03T11:00:00+07:00"),  # the day before
        ("2025-03-04T23:00:00+07:00", "2025-03-05T01:00:00+07:00"),  # runs past the window
        ("2025-03-05T09:00:00+07:00", "2025-03-05T10:00:00+07:00"),  # the day after
    ]

    busy = provider.busy(EXPERT, DAY_START, DAY_END)

    assert busy.intervals == ((at(23), DAY_END),)
    assert busy.read and busy.error is None


def test_a_free_calendar_is_read_with_nothing_busy(server, provider):
    server.add_calendar(EXPERT)
    assert provider.busy(EXPERT, DAY_START, DAY_END) == BusyTimes(intervals=(), read=True, error=None)


def test_live_events_of_the_organizers_calendar_are_busy_and_cancelled_ones_are_not(server, provider):
    kept = make_booking(scheduled_date=DAY_START.date())
    gone = make_booking(scheduled_date=DAY_START.date(), scheduled_time=at(14).time(), duration=60)
    assert MEET_RE.match(provider.create(kept).url)
    provider.create(gone)
    provider.cancel(replace(gone, google_event_id=None))
    server.clear_requests()

    busy = provider.busy("primary", DAY_START, DAY_END)

    assert busy.intervals == ((at(10, 30), at(11, 15)),)  # the kept booking: 10:30 for 45 minutes
    assert server.ops() == ["freebusy.query"]


# -- failures: reported, never raised -----------------------------------------------------


def test_a_calendar_google_cannot_see_is_an_error_inside_the_answer(server, provider):
    busy = provider.busy("stranger@example.com", DAY_START, DAY_END)

    assert busy.read is True and busy.intervals == ()
    assert "'stranger@example.com'" in busy.error
    assert "share" in busy.error and "free/busy" in busy.error
    assert server.ops() == ["freebusy.query"]


def test_a_calendar_that_does_not_exist_reads_like_one_the_organizer_may_not_see(server, provider):
    # Google's answers differ (a notFound inside the 200, HTTP 404, HTTP 403): the sentences do
    # not, so whoever sees them learns nothing about a calendar that is not shared.
    found = [provider.busy("stranger@example.com", DAY_START, DAY_END).error]
    for fault in ("404", "403forbidden"):
        server.faults.append(fault)
        found.append(provider.busy("stranger@example.com", DAY_START, DAY_END).error)
    assert len(set(found)) == 1 and "does not know it or the organizer account may not see it" in found[0]


def test_any_per_calendar_error_is_reported_with_its_reason(server, provider):
    server.busy[EXPERT] = [("2025-03-04T09:00:00+07:00", "2025-03-04T10:00:00+07:00")]
    server.busy_errors[EXPERT] = "internalError"

    busy = provider.busy(EXPERT, DAY_START, DAY_END)

    assert busy.read is True and busy.intervals == ()
    assert EXPERT in busy.error and "internal error" in busy.error

    server.busy_errors[EXPERT] = "somethingNew"
    assert "'somethingNew'" in provider.busy(EXPERT, DAY_START, DAY_END).error


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("500", "server error (HTTP 500)"),
        ("503", "server error (HTTP 503)"),
        ("429", "rate limit"),
        ("403rate", "rate limit"),
        ("403forbidden", "the organizer account may not see it"),
        ("403scope", FREEBUSY_SCOPE),
        ("404", "the organizer account may not see it"),
        ("401", "rejected the credentials"),
        ("drop", "connection failed"),
    ],
)
def test_a_failed_request_is_a_plain_error(server, provider, fault, words):
    server.busy[EXPERT] = [("2025-03-04T09:00:00+07:00", "2025-03-04T10:00:00+07:00")]
    # httplib2 itself sends a request again once when its connection dropped: drop both.
    server.faults.extend([fault, fault] if fault == "drop" else [fault])

    busy = provider.busy(EXPERT, DAY_START, DAY_END)

    assert busy.read is True and busy.intervals == ()
    assert EXPERT in busy.error and words in busy.error
    assert "Traceback" not in busy.error and "SECRET" not in busy.error
    # one call, one attempt
    assert server.count("freebusy.query") == (2 if fault == "drop" else 1)


def test_a_timeout_is_a_plain_error(server, clock):
    provider = make_provider(server, clock, timeout=0.2)
    server.busy[EXPERT] = [("2025-03-04T09:00:00+07:00", "2025-03-04T10:00:00+07:00")]
    server.timeout_delay = 0.5
    server.faults.append("timeout")

    busy = provider.busy(EXPERT, DAY_START, DAY_END)

    assert busy.read is True and busy.intervals == ()
    assert EXPERT in busy.error and "did not answer within 0.2 s" in busy.error
    assert server.count("freebusy.query") == 1
    assert server.wait_idle()
    assert provider.busy(EXPERT, DAY_START, DAY_END).intervals == ((at(9), at(10)),)  # the next call reads it


def test_a_naive_window_is_refused_without_a_request(server, provider):
    busy = provider.busy(EXPERT, datetime(2025, 3, 4), datetime(2025, 3, 5))
    assert busy.read is True and busy.intervals == () and "time zone" in busy.error
    assert server.ops() == []


def test_an_answer_with_an_unreadable_time_is_an_error(server, provider):
    server.busy[EXPERT] = [("2025-03-04T09:00:00+07:00", "2025-03-04T10:00:00+07:00")]
    original = server._busy_in

    def broken(calendar_id: str, begin: datetime, finish: datetime) -> list[dict[str, str]]:
        return [{"start": "soon", "end": "later"}, *original(calendar_id, begin, finish)]

    server._busy_in = broken  # type: ignore[method-assign]
    busy = provider.busy(EXPERT, DAY_START, DAY_END)
    assert busy.read is True and busy.intervals == () and "cannot read" in busy.error


# -- requests and budget -------------------------------------------------------------------


def test_each_call_is_one_request_and_takes_one_budget_slot(server, provider):
    server.busy[EXPERT] = [("2025-03-04T09:00:00+07:00", "2025-03-04T10:00:00+07:00")]
    budget = provider.quota = CountingBudget()

    for _ in range(3):
        provider.busy(EXPERT, DAY_START, DAY_END)
    server.faults.append("500")
    provider.busy(EXPERT, DAY_START, DAY_END)  # a failed request counts too

    assert server.count("freebusy.query") == 4 == len(server.requests)
    assert budget.taken == 4


def test_no_budget_slot_means_no_request_and_a_plain_error(server, provider):
    provider.quota = CountingBudget(fail=True)

    busy = provider.busy(EXPERT, DAY_START, DAY_END)

    assert busy.read is True and "request budget could not be read" in busy.error
    assert server.ops() == []


# -- the stand-in is as strict as Google ---------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"timeMax": "2025-03-05T00:00:00+07:00", "items": [{"id": EXPERT}]}, "required"),
        ({"timeMin": "2025-03-04T00:00:00+07:00", "items": [{"id": EXPERT}]}, "required"),
        ({"timeMin": "2025-03-04T00:00:00", "timeMax": "2025-03-05T00:00:00+07:00", "items": [{"id": EXPERT}]},
         "invalid"),
        ({"timeMin": "2025-03-04", "timeMax": "2025-03-05T00:00:00+07:00", "items": [{"id": EXPERT}]}, "invalid"),
        ({"timeMin": "tomorrow", "timeMax": "2025-03-05T00:00:00+07:00", "items": [{"id": EXPERT}]}, "invalid"),
        ({"timeMin": "2025-03-05T00:00:00+07:00", "timeMax": "2025-03-05T00:00:00+07:00", "items": [{"id": EXPERT}]},
         "timeRangeEmpty"),
        ({"timeMin": "2025-03-04T00:00:00+07:00", "timeMax": "2025-03-05T00:00:00+07:00"}, "required"),
        ({"timeMin": "2025-03-04T00:00:00+07:00", "timeMax": "2025-03-05T00:00:00+07:00", "items": [{}]}, "required"),
        ({"timeMin": "2025-03-04T00:00:00+07:00", "timeMax": "2025-03-05T00:00:00+07:00", "timeZone": "Mars/Base",
          "items": [{"id": EXPERT}]}, "invalid"),
    ],
)
def test_the_stand_in_refuses_what_google_refuses(server, provider, body, reason):
    with pytest.raises(HttpError) as err:
        provider.service.freebusy().query(body=body).execute()
    assert err.value.status_code == 400
    assert err.value.error_details[0]["reason"] == reason


def test_the_stand_in_answers_several_calendars_at_once(server, provider):
    server.busy[EXPERT] = [("2025-03-04T09:00:00+07:00", "2025-03-04T10:00:00+07:00")]
    body = {"timeMin": "2025-03-04T00:00:00+07:00", "timeMax": "2025-03-05T00:00:00+07:00",
            "items": [{"id": EXPERT}, {"id": "nobody@example.com"}]}
    answer = provider.service.freebusy().query(body=body).execute()
    assert answer["calendars"][EXPERT] == {"busy": [{"start": "2025-03-04T09:00:00+07:00",
                                                     "end": "2025-03-04T10:00:00+07:00"}]}
    assert answer["calendars"]["nobody@example.com"]["errors"] == [{"domain": "global", "reason": "notFound"}]


# -- scope -------------------------------------------------------------------------------


def test_the_free_busy_scope_is_one_that_google_lists_for_freebusy_query():
    discovery = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "calendar.v3.json"
    allowed = json.loads(discovery.read_text())["resources"]["freebusy"]["methods"]["query"]["scopes"]
    assert FREEBUSY_SCOPE in allowed
    assert SCOPE not in allowed  # the events scope alone cannot read free/busy


def test_from_settings_reads_busy_time_with_a_token_for_the_free_busy_scope(server, clock):
    server.require_auth = True
    server.busy[EXPERT] = [("2025-03-04T09:00:00+07:00", "2025-03-04T10:00:00+07:00")]
    provider = GoogleCalendarProvider.from_settings(
        provider_settings(server, credentials_json=authorized_user_json(server)), sleep=clock.sleep, clock=clock
    )

    assert provider.busy(EXPERT, DAY_START, DAY_END).intervals == ((at(9), at(10)),)
    assert MEET_RE.match(provider.create(make_booking()).url)

    assert server.ops() == ["token", "freebusy.query", "token", "events.insert"]
    busy_token, freebusy, events_token, insert = server.requests
    assert busy_token.body["scope"] == FREEBUSY_SCOPE
    assert events_token.body["scope"] == SCOPE
    assert freebusy.headers["authorization"] == "Bearer ya29.local-1"
    assert insert.headers["authorization"] == "Bearer ya29.local-2"


def test_a_token_without_the_free_busy_scope_still_makes_links(server, clock):
    server.granted_scopes = {SCOPE}  # consented before the free/busy scope was added
    provider = GoogleCalendarProvider.from_settings(
        provider_settings(server, credentials_json=authorized_user_json(server)), sleep=clock.sleep, clock=clock
    )

    busy = provider.busy(EXPERT, DAY_START, DAY_END)

    assert busy.read is True and busy.intervals == ()
    assert FREEBUSY_SCOPE in busy.error and "token again" in busy.error
    assert "SECRET" not in busy.error
    assert MEET_RE.match(provider.create(make_booking()).url)
    assert server.count("freebusy.query") == 0


def test_delegation_without_the_free_busy_scope_says_so(server, clock):
    server.granted_scopes = {SCOPE}
    settings = provider_settings(server, credentials_json=service_account_json(server), subject="organizer@example.com")
    provider = GoogleCalendarProvider.from_settings(settings, sleep=clock.sleep, clock=clock)

    busy = provider.busy(EXPERT, DAY_START, DAY_END)

    assert busy.read is True and FREEBUSY_SCOPE in busy.error and "domain-wide delegation" in busy.error
    assert MEET_RE.match(provider.create(make_booking()).url)


def test_busy_times_offset_is_kept_not_converted_to_the_app_zone(server, provider):
    """The instant is what counts; the offset Google wrote is kept (no wall-clock rewriting)."""
    server.busy[EXPERT] = [("2025-03-04T01:30:00-05:00", "2025-03-04T02:15:00-05:00")]
    [(start, end)] = provider.busy(EXPERT, DAY_START, DAY_END).intervals
    assert start == datetime(2025, 3, 4, 1, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert end - start == timedelta(minutes=45)
