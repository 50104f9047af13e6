"""Every Google event the console makes is the booking's event or gone, within one shared budget.

Through the real google-api-python-client against tests/support/calendar_server.py (which is as strict as
Google: used ids answer 409, a repeated conference requestId is ignored, conferences can fail,
errors come in both body shapes), and through the booking service wired from settings.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import BookingStatus
from lib.errors import MeetingProviderError, Permanent, Transient
from lib.meetings.google import MAX_VERSION_BUMPS
from lib.meetings.google_events import event_id_for
from lib.meetings.quota import SharedMinuteBudget
from lib.notify.in_app_sender import OutboxOnlySender
from lib.payments.demo_gateway import DemoGateway
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from lib.wiring import build_service
from tests.support.bookings import request_for
from tests.support.calendar_server import CalendarServer
from tests.support.fakes import FakeClock, FlakyProvider
from tests.support.google import (
    MEET_RE,
    authorized_user_json,
    calendar_server,
    google_settings,
    make_booking,
    make_provider,
)
from tests.support.hours import default_hours
from tests.support.postgres import apply_migrations, fresh_database, psycopg
from tests.support.postgrest import supabase_over_postgres


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    with calendar_server(monkeypatch, seed=11) as srv:
        yield srv


@pytest.fixture
def provider(server):
    return make_provider(server, FakeClock())


def ids(server: CalendarServer) -> list[tuple[str, str]]:
    """(operation, event id) of every events request so far."""
    return [(r.op, (r.body or {}).get("id", "") if r.op == "events.insert" else r.path.rsplit("/", 1)[1])
            for r in server.requests if r.op.startswith("events.")]


# -- 1. adopting an event brings it to the booking as it is now ---------------------------------

def test_adopting_an_event_moves_it_to_the_bookings_time_names_and_people_in_one_patch(server, provider):
    booking = make_booking()
    made = provider.create(booking)  # an earlier attempt made v0 (its answer lost, say)
    expert = next(a for a in server.events["primary"][made.event_id]["attendees"] if a["email"] == "budi@example.com")
    expert["responseStatus"] = "accepted"
    server.clear_requests()

    moved = replace(booking, scheduled_date=date(2025, 3, 6), scheduled_time=time(15, 0),
                    customer_name="Sari W.", customer_email="sari.w@example.com")
    meeting = provider.create(moved)

    assert meeting == made  # the same event and Meet link
    assert server.ops() == ["events.insert", "events.get", "events.patch"]  # 409 -> get -> ONE patch
    patch = server.requests[-1]
    assert patch.query["sendUpdates"] == "all"  # both people get the new time from Google too
    assert "conferenceData" not in patch.body  # it has its conference
    [event] = server.live_events()
    assert event["start"]["dateTime"] == "2025-03-06T15:00:00+07:00"
    assert event["end"]["dateTime"] == "2025-03-06T15:45:00+07:00"
    assert "Sari W." in event["summary"]
    people = {a["email"]: a.get("responseStatus") for a in event["attendees"]}
    assert people == {"sari.w@example.com": None, "budi@example.com": "accepted"}  # the expert's answer stays


def test_adopting_an_event_that_already_matches_sends_no_patch(server, provider):
    booking = make_booking()
    provider.create(booking)
    server.clear_requests()
    provider.create(booking)
    assert server.ops() == ["events.insert", "events.get"]


# -- 2. cancel without a stored event id removes what attempts made -------------------------------

def test_cancel_without_an_event_id_removes_every_version_an_attempt_made(server, provider):
    booking = make_booking()
    first = provider.create(booking)
    provider.cancel(replace(booking, google_event_id=first.event_id))
    second = provider.create(booking)  # v0 deleted, so this attempt made v1
    assert second.event_version == 1
    server.clear_requests()

    removed = provider.cancel(booking)  # paid, no event id stored

    assert removed == [second.event_id]
    assert server.live_events() == []
    v = [event_id_for(booking.id, n) for n in range(3)]
    assert ids(server) == [("events.delete", v[0]), ("events.delete", v[1]), ("events.delete", v[2])]  # 410, 204, 404
    assert all(r.query["sendUpdates"] == "all" for r in server.requests)


def test_cancel_of_a_booking_no_attempt_reached_costs_one_request_and_is_bounded(server, provider):
    booking = make_booking()
    assert provider.cancel(booking) == []
    assert ids(server) == [("events.delete", event_id_for(booking.id, 0))]

    # Every version deleted already: the walk stops at event_version + MAX_VERSION_BUMPS.
    for n in range(MAX_VERSION_BUMPS + 3):
        event_id = event_id_for(booking.id, n)
        server.events["primary"][event_id] = {"id": event_id, "status": "cancelled"}
    server.clear_requests()
    assert provider.cancel(replace(booking, event_version=2)) == []
    assert len(server.requests) == 2 + MAX_VERSION_BUMPS + 1


@pytest.fixture
def svc(tmp_path, server):
    service = build_service(google_settings(tmp_path / "e2e.db", server, timeout=1.0))
    service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    return service


def paid_with_a_live_attempt_event(svc, server):
    """A paid booking whose link attempt made (and sent) event v0, then failed for good."""
    booking = svc.book(request_for(svc, date.today() + timedelta(days=3), time(10, 0), 1), actor=SYSTEM)
    server.pending_gets = 1
    server.method_faults["events.get"].append("403forbidden")
    svc.pay(booking.id, actor=SYSTEM)
    with pytest.raises(MeetingProviderError):  # the link attempt: insert (pending), get -> 403
        svc.create_link(booking.id, actor=SYSTEM)
    booking = svc.get_booking(booking.id, actor=SYSTEM)
    assert booking.status is BookingStatus.PAID and booking.google_event_id is None
    assert [e["id"] for e in server.live_events()] == [event_id_for(booking.id, 0)]
    server.pending_gets = 0
    return booking


@pytest.mark.usefixtures("always_open")
def test_cancelling_a_paid_booking_without_an_event_id_withdraws_the_attempts_invitation(svc, server):
    booking = paid_with_a_live_attempt_event(svc, server)
    svc.cancel(booking.id, "customer asked", actor=SYSTEM)
    assert server.live_events() == []
    [note] = [h for h in svc.history(booking.id, actor=SYSTEM) if h.event == "calendar invitation withdrawn"]
    assert event_id_for(booking.id, 0) in note.detail


# -- 3. a pasted link removes an earlier attempt's event -----------------------------------------

@pytest.mark.usefixtures("always_open")
def test_a_pasted_link_removes_the_earlier_attempts_event_and_says_so(svc, server):
    booking = paid_with_a_live_attempt_event(svc, server)
    done = svc.set_link_manually(booking.id, "https://meet.google.com/abc-defg-hij", actor=SYSTEM)
    assert done.status is BookingStatus.CONFIRMED and done.meeting_link == "https://meet.google.com/abc-defg-hij"
    assert server.live_events() == []  # no second invitation with another Meet link
    events = [h.event for h in svc.history(booking.id, actor=SYSTEM)]
    assert "earlier calendar event removed" in events
    assert events.index("earlier calendar event removed") < events.index("confirmed")


@pytest.mark.usefixtures("always_open")
def test_a_pasted_link_still_counts_when_google_is_down_and_the_history_says_what_is_left(svc, server):
    booking = paid_with_a_live_attempt_event(svc, server)
    server.method_faults["events.delete"].extend(["403forbidden"])
    done = svc.set_link_manually(booking.id, "https://meet.google.com/abc-defg-hij", actor=SYSTEM)
    assert done.status is BookingStatus.CONFIRMED
    [note] = [h for h in svc.history(booking.id, actor=SYSTEM) if h.event == "earlier calendar event not removed"]
    assert "delete it" in note.detail
    svc.cancel(booking.id, "customer asked", actor=SYSTEM)  # cancelling tries again
    assert server.live_events() == []


# -- 4. a failed conference never leaves an invitation without a link -----------------------------

@pytest.mark.usefixtures("always_open")
def test_a_failed_conference_is_replaced_by_a_new_event_within_the_link_retries(svc, server):
    booking = svc.book(request_for(svc, date.today() + timedelta(days=3), time(10, 0), 2), actor=SYSTEM)
    server.pending_gets = 1
    server.conference_failures = 1
    svc.pay(booking.id, actor=SYSTEM)
    svc.create_link(booking.id, actor=SYSTEM)
    done = svc.get_booking(booking.id, actor=SYSTEM)
    assert done.status is BookingStatus.CONFIRMED
    assert (done.google_event_id, done.event_version) == (event_id_for(booking.id, 1), 1)
    [live] = server.live_events()
    assert live["id"] == done.google_event_id and live["hangoutLink"] == done.meeting_link
    assert server.events["primary"][event_id_for(booking.id, 0)]["status"] == "cancelled"
    failed = [h.detail for h in svc.history(booking.id, actor=SYSTEM) if h.event == "link attempt failed"]
    assert any("'failure'" in d and "deleted" in d and "version 1" in d for d in failed)


# -- 5. a re-requested conference gets a new requestId --------------------------------------------

def test_the_stand_in_ignores_a_repeated_request_id_like_google(server, provider):
    booking = make_booking()
    meeting = provider.create(booking)
    server.remove_conference(meeting.event_id)
    provider.service.events().patch(
        calendarId="primary", eventId=meeting.event_id, conferenceDataVersion=1,
        body={"conferenceData": {"createRequest": {"requestId": meeting.event_id,
                                                   "conferenceSolutionKey": {"type": "hangoutsMeet"}}}},
    ).execute()
    assert "conferenceData" not in server.events["primary"][meeting.event_id]


def test_an_event_without_a_conference_gets_one_with_a_new_request_id_per_attempt(server, provider):
    booking = make_booking()
    meeting = provider.create(booking)
    server.remove_conference(meeting.event_id)  # e.g. someone removed Meet in Google Calendar

    again = provider.create(replace(booking, link_attempts=3))
    assert MEET_RE.match(again.url) and again.event_id == meeting.event_id
    patch = server.requests[-1]
    assert patch.op == "events.patch" and patch.query["conferenceDataVersion"] == "1"
    assert patch.body["conferenceData"]["createRequest"]["requestId"] == f"{meeting.event_id}-4"

    server.remove_conference(meeting.event_id)
    assert MEET_RE.match(provider.create(replace(booking, link_attempts=4)).url)  # -5: new again
    assert server.requests[-1].body["conferenceData"]["createRequest"]["requestId"] == f"{meeting.event_id}-5"


@pytest.mark.usefixtures("always_open")
def test_the_service_numbers_each_try_so_request_ids_differ_between_tries(tmp_path):
    seen: list[int] = []

    class Recording(FlakyProvider):
        def create(self, booking):
            seen.append(booking.link_attempts)
            return super().create(booking)

    settings = Settings(sqlite_path=str(tmp_path / "tries.db"), seed_demo_data=False, link_attempts=4,
                        default_availability=default_hours())
    service = BookingService(SQLiteStore(settings.sqlite_path), Recording(failures=2), DemoGateway(),
                             OutboxOnlySender(), settings, sleep=lambda _: None)
    service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    booking = service.book(request_for(service, date.today() + timedelta(days=2), time(10, 0), 3), actor=SYSTEM)
    service.pay(booking.id, actor=SYSTEM)
    service.create_link(booking.id, actor=SYSTEM)
    assert seen == [0, 1, 2]
    assert service.get_booking(booking.id, actor=SYSTEM).link_attempts == 3


# -- 6. error reasons from errors[] and from details[] --------------------------------------------

@pytest.mark.parametrize("shape", ["errors", "details", "both"])
@pytest.mark.parametrize("fault", ["403rate", "403userrate", "429"])
def test_a_rate_limit_is_retryable_whichever_shape_the_error_body_has(server, provider, shape, fault):
    server.error_shape = shape
    server.faults.append(fault)
    booking = make_booking()
    with pytest.raises(MeetingProviderError) as err:
        provider.create(booking)
    assert isinstance(err.value, Transient) and "rate limit" in str(err.value)
    assert MEET_RE.match(provider.create(booking).url)


@pytest.mark.parametrize("shape", ["details", "both"])
def test_other_reasons_are_read_from_details_too(server, provider, shape):
    server.error_shape = shape
    booking = make_booking()
    first = provider.create(booking)
    assert provider.create(booking) == first  # 409 "duplicate" in the rpc shape is still adoption
    server.faults.append("403serviceaccount")
    with pytest.raises(MeetingProviderError) as err:
        provider.create(make_booking())
    assert isinstance(err.value, Permanent) and "domain-wide delegation" in str(err.value)
    server.faults.append("403forbidden")
    with pytest.raises(MeetingProviderError) as err:
        provider.create(make_booking())
    assert isinstance(err.value, Permanent) and "no write access" in str(err.value)


# -- 7. one per-minute budget for the whole deployment --------------------------------------------

class WallClock:
    """A shared wall clock that moves only when someone sleeps; notes when each request went out.

    It starts at second 59 of a clock minute, so a burst there and the next clock minute are
    less than 60 s apart."""

    def __init__(self, server: CalendarServer) -> None:
        self.now = datetime(2030, 1, 1, 8, 0, 59, 500000, tzinfo=UTC)
        self.server = server
        self.sleeps: list[float] = []
        self.sent_at: list[datetime] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self._tally()
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)

    def _tally(self) -> None:
        # The clock stands still between sleeps: every request since the last one went out now.
        self.sent_at.extend([self.now] * (len(self.server.requests) - len(self.sent_at)))

    def done(self) -> list[datetime]:
        self._tally()
        return self.sent_at


def most_in_any_minute(sent_at: list[datetime]) -> int:
    """The most requests any 60-second span holds (the span starting at each request)."""
    return max(sum(1 for t in sent_at if start <= t < start + timedelta(seconds=60)) for start in sent_at)


def two_processes_make_links(server: CalendarServer, stores: list[Any], limit: int) -> WallClock:
    """Two providers (as the Streamlit server and a cron run would have), each on its own store
    object over one database, make links in turns; returns the clock with the requests' times."""
    clock = WallClock(server)
    providers = []
    for store in stores:
        provider = make_provider(server, FakeClock())
        provider.quota = SharedMinuteBudget(store, "primary", limit, clock=clock, sleep=clock.sleep)
        providers.append(provider)
    for i in range(7):
        providers[i % 2].create(make_booking())  # one insert each
    assert server.count("events.insert") == 7 and len(server.live_events()) == 7
    return clock


def test_two_processes_on_one_sqlite_file_never_exceed_the_budget_in_any_60_seconds(server, tmp_path):
    path = tmp_path / "shared.db"
    clock = two_processes_make_links(server, [SQLiteStore(path), SQLiteStore(path)], limit=3)
    assert most_in_any_minute(clock.done()) == 3  # each alone would have allowed itself 3 + 3
    # 3 at 08:00:59.5; the rest of that second counts until 08:02:00; 3 then; the last at 08:03:01.
    assert clock.sleeps == [60.5, 61.0]
    assert SQLiteStore(path).request_slots_used("primary", clock.now) == 1
    with sqlite3.connect(path) as db:  # the seconds that left the window were deleted on the way
        assert db.execute("SELECT second_start, used FROM calendar_request_budget").fetchall() == [
            ("2030-01-01T08:03:01+00:00", 1)]


@pytest.fixture(scope="module")
def pg_dsn():
    with fresh_database("budget") as dsn:
        apply_migrations(dsn)
        yield dsn


def test_two_processes_on_postgres_never_exceed_the_budget(server, pg_dsn):
    from lib.store.supabase import SupabaseStore
    from tests.support.postgrest import KEY, URL

    with supabase_over_postgres(pg_dsn) as (first, _stub):
        second = SupabaseStore.from_settings(URL, KEY, 5.0, retry_reads=False)
        clock = two_processes_make_links(server, [first, second], limit=3)
        assert most_in_any_minute(clock.done()) == 3
        assert clock.sleeps == [60.5, 61.0]
        assert first.request_slots_used("primary", clock.now) == 1
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("select second_start, used from public.calendar_request_budget"
                            " where calendar_id = 'primary'").fetchall() == [
            (datetime(2030, 1, 1, 8, 3, 1, tzinfo=UTC), 1)]


def test_postgres_takes_slots_atomically_under_concurrent_callers(pg_dsn):
    now = datetime(2030, 1, 1, 9, 0, 30, tzinfo=UTC)
    calendar = f"cal-{uuid.uuid4().hex}"
    results: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute("set role service_role")
            for _ in range(10):
                [(wait,)] = conn.execute("select public.calendar_take_request_slot(%s, 25, %s)",
                                         [calendar, now]).fetchall()
                with lock:
                    results.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for w in results if w == 0) == 25
    # The others were told to wait until 09:00:30's second ended 60 s ago.
    assert sorted(set(results) - {0}) == [61.0]


def test_the_budget_table_and_functions_are_for_the_service_role_only(pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("set role authenticated")
        for sql in ("select * from public.calendar_request_budget",
                    "select public.calendar_take_request_slot('primary', 5, now())",
                    "select public.calendar_request_slots_used('primary', now())"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)


def test_the_wired_service_shares_the_budget_and_the_ops_numbers_show_it(tmp_path, server):
    now = datetime(2030, 1, 1, 8, 0, 10, tzinfo=UTC)
    settings: Settings = google_settings(tmp_path / "e2e.db", server, timeout=1.0)
    settings = settings.with_changes(google=settings.google.with_changes(requests_per_minute=40))
    first, second = build_service(settings, clock=lambda: now), build_service(settings, clock=lambda: now)
    assert first.request_budget(actor=SYSTEM).used == 0
    first.meetings.check_connection()
    second.meetings.check_connection()
    use = second.request_budget(actor=SYSTEM)
    assert (use.calendar_id, use.used, use.limit) == ("primary", 2, 40)


def test_the_ops_page_shows_the_budgets_use(app_env, server, monkeypatch):
    from streamlit.testing.v1 import AppTest

    for key, value in {"MEETING_PROVIDER": "google", "GOOGLE_CREDENTIALS_JSON": authorized_user_json(server),
                       "GOOGLE_API_ENDPOINT": server.base_url, "GOOGLE_TIMEOUT_SECONDS": "1",
                       "GOOGLE_REQUESTS_PER_MINUTE": "120",
                       "ALLOW_DEMO_MODE": "true"}.items():
        monkeypatch.setenv(f"CALLEXPERT_{key}", value)
    at = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=60).run()
    at.switch_page("pages/views/ops_view.py").run()
    assert not at.exception
    [gauge] = [p.proto.text for p in at.get("progress")]
    # The page's own connection check took a slot, and it stays counted for a rolling minute.
    assert gauge == "Google Calendar requests in the last minute: 1 / 120 (every process together)"
