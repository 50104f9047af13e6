"""The pages, driven through Streamlit's AppTest against a throw-away SQLite store.

Each test arranges data through the service, works the page like a person would, then checks
the store, not just the screen.
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from lib.access import SYSTEM, expert_actor
from lib.config import current_settings, load_settings
from lib.domain import Booking, BookingRequest, BookingStatus, EmailDraft, NewCustomer
from lib.errors import InvalidInput, PermissionDenied
from lib.plaintext import escape_markdown
from lib.scheduling import TimeRange
from lib.service import BookingService
from lib.slot_choices import page_of
from lib.timefmt import long_date, medium_when, when
from lib.wiring import build_service
from tests.support.apptest import APP, as_expert, markdown_sources, no_exception, open_page, previews, shown
from tests.support.fakes import FixedClock

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

PAGES = {
    "pages/views/book_view.py": "Book a session",
    "pages/views/confirmation_view.py": "Confirmation",
    "pages/views/my_sessions_view.py": "My sessions",
    "pages/views/availability_view.py": "Availability",
    "pages/views/ops_view.py": "Ops",
    "pages/views/overview_view.py": "Overview",
    "pages/views/emails_view.py": "Emails",
}
GOOD_LINK = "https://meet.google.com/abc-defg-hij"


# -- helpers -----------------------------------------------------------------------------------





def texts(at: AppTest) -> str:
    """Everything the page wrote as text, as a person reads it, to look for a phrase."""
    parts = [el.value for kind in ("markdown", "success", "info", "warning", "error", "caption", "code", "title")
             for el in getattr(at, kind)]
    return "\n".join(shown(str(p)) for p in parts)


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]


def all_bookings(svc: BookingService):
    return svc.recent_bookings(limit=10_000, actor=SYSTEM)


@pytest.fixture
def people(service: BookingService) -> dict[str, str]:
    """Two experts and one customer; returns their ids by name."""
    sari = service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career & HR")
    budi = service.store.add_expert("Budi Santoso", "budi@example.com", 400_000, "Business strategy")
    andi = service.store.add_customer(NewCustomer("Andi Wijaya", "andi@example.com"))
    return {"sari": sari.id, "budi": budi.id, "andi": andi.id}


def ahead(svc: BookingService, days: int) -> date:
    """A date ``days`` after today in the app timezone."""
    return svc.today() + timedelta(days=days)


def request(svc: BookingService, people: dict[str, str], *, expert: str = "sari", days: int = 14,
            at: time = time(14, 0), duration: int = 60, key: str | None = None) -> BookingRequest:
    return BookingRequest(expert_id=people[expert], session_type="Career mentoring", scheduled_date=ahead(svc, days),
                          scheduled_time=at, duration=duration, customer_id=people["andi"], request_key=key)


def confirmed(svc: BookingService, people: dict[str, str], **kw):
    booking = svc.book_and_pay(request(svc, people, **kw), actor=SYSTEM).booking
    assert booking.status is BookingStatus.CONFIRMED
    return booking


def paid(svc: BookingService, people: dict[str, str], **kw):
    """A paid booking still waiting for its link (as after a provider outage)."""
    booking = svc.pay(svc.book(request(svc, people, **kw), actor=SYSTEM).id, actor=SYSTEM)
    assert booking.status is BookingStatus.PAID and booking.meeting_link is None
    return booking


def pick_slot(at: AppTest, svc: BookingService, key: str, day: date, at_time: time) -> AppTest:
    """Pick ``day`` and ``at_time`` (app zone) in the slot picker ``key`` as a person would: "Later
    days" until the day is shown, the day, then the time."""
    today = svc.today()
    for _ in range(page_of(day, today) - at.session_state[f"{key}-page"]):
        at.button(key=f"{key}-later").click().run()
    at.pills(key=f"{key}-day").set_value(day.isoformat()).run()
    start = datetime.combine(day, at_time, tzinfo=svc.tz).isoformat()
    assert at.pills(key=f"{key}-time").options, "no free start on that day"
    return at.pills(key=f"{key}-time").set_value(start).run()


def type_named(svc: BookingService, expert_id: str, name: str) -> str:
    """The id of the expert's session type called ``name`` (in English)."""
    return next(t.id for t in svc.session_types(expert_id, actor=SYSTEM) if t.name() == name)


def fill_booking_form(at: AppTest, svc: BookingService, expert_id: str, *, name: str = "Dewi Lestari",
                      email: str = "dewi@example.com", days: int = 14, at_time: time = time(14, 0)) -> AppTest:
    at.radio(key="book_who").set_value("new").run()
    at.text_input(key="book_name").input(name)
    at.text_input(key="book_email").input(email)
    at.selectbox(key="book_expert").select(expert_id).run()  # the types offered are the expert's
    at.selectbox(key="book_session_type").select(type_named(svc, expert_id, "Career mentoring"))
    at.selectbox(key="book_duration").select(60)
    return pick_slot(at.run(), svc, "book_slot", ahead(svc, days), at_time)


# -- the app -------------------------------------------------------------------------------------

def test_app_starts_with_no_secrets_and_no_environment(tmp_path, monkeypatch):
    for key in [k for k in os.environ if k.startswith("CALLEXPERT_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here; data/ is created under tmp
    at = AppTest.from_file(APP, default_timeout=30).run()
    no_exception(at)
    assert not errors(at)
    assert [t.value for t in at.title] == ["Book a session"]  # the default page
    for page, title in PAGES.items():
        at.switch_page(page).run()
        no_exception(at)
        assert [t.value for t in at.title] == [title]
    # The embedded defaults: a SQLite file with demo rows, made on first start.
    demo = build_service(load_settings())
    assert (tmp_path / "data" / "callexpert.db").is_file()
    assert demo.experts(actor=SYSTEM) and all_bookings(demo)


def test_a_wrong_setting_is_a_clear_message_not_a_traceback(app_env, monkeypatch):
    monkeypatch.setenv("CALLEXPERT_TIMEZONE", "Mars/Olympus")
    at = AppTest.from_file(APP, default_timeout=30).run()
    no_exception(at)
    assert len(errors(at)) == 1 and "`timezone`" in errors(at)[0]
    assert not at.metric
    with pytest.raises(ValueError):  # no page of the console is reachable with broken settings
        at.switch_page("pages/views/ops_view.py")



@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_run_reads_the_settings_once_per_process_and_lists_the_experts_once(service, people, monkeypatch,
                                                                                  page):
    """The gate takes the process's one reading of the settings and lists the experts once per run, and
    hands both to the page; no page or helper reads them again."""
    import lib.config
    from lib.store.sqlite import SQLiteStore

    booking = confirmed(service, people)
    reads = {"settings": 0, "experts": 0}
    load_settings, list_experts = lib.config.load_settings, SQLiteStore.list_experts

    def counted_load_settings(*args, **kwargs):  # what current_settings reads the sources with
        reads["settings"] += 1
        return load_settings(*args, **kwargs)

    def counted_list_experts(store):
        reads["experts"] += 1
        return list_experts(store)

    monkeypatch.setattr(lib.config, "load_settings", counted_load_settings)
    monkeypatch.setattr(SQLiteStore, "list_experts", counted_list_experts)
    at = open_page(page, booking=booking.id, expert=people["sari"])
    assert reads["settings"] == 1  # the first run read them
    for _ in range(2):  # a rerun of the same page, twice
        reads.update(settings=0, experts=0)
        at.run()
        no_exception(at)
        assert [t.value for t in at.title] == [PAGES[page]]
        assert reads == {"settings": 0, "experts": 1}


# -- Book a session --------------------------------------------------------------------------------

def test_booking_a_new_customer_confirms_with_a_link(service, people):
    at = fill_booking_form(open_page("pages/views/book_view.py"), service, people["sari"])
    assert at.metric[0].value == "Rp 250.000"
    assert any("Demo payment — no money moves" in i.value for i in at.info)

    at.button(key="book_submit").click().run()
    no_exception(at)
    assert not errors(at)

    [booking] = all_bookings(service)
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.customer_email == "dewi@example.com" and booking.expert_id == people["sari"]
    assert booking.scheduled_date == ahead(service, 14) and booking.scheduled_time == time(14, 0)
    assert booking.meeting_link and booking.meeting_link.startswith("https://")
    assert "Booked and paid" in at.success[0].value
    assert [b.proto.url for b in at.link_button] == [booking.meeting_link]
    link = at.page_link[0].proto  # on to the confirmation page, with ?booking=<id>
    assert (link.page, link.query_string) == ("confirmation", f"booking={booking.id}")


def test_double_submit_and_rerun_make_one_booking(service, people):
    at = fill_booking_form(open_page("pages/views/book_view.py"), service, people["sari"])
    at.button(key="book_submit").click().run()
    first = [b.id for b in all_bookings(service)]
    assert at.button(key="book_submit").disabled  # done: nothing to book until a new pick

    def second_click():  # the second click of a double click, sent before the page drew the first's result
        button = at.button(key="book_submit")
        button.proto.disabled = False
        return button.click().run()

    for again in (second_click, at.run):  # ... and a plain rerun
        again()
        no_exception(at)
        assert not errors(at)  # the same booking again, not "slot taken"
        assert [b.id for b in all_bookings(service)] == first and len(first) == 1
        assert "Booked and paid" in at.success[0].value


def test_after_a_booking_the_picker_is_read_again_and_a_new_pick_books_again(service, people):
    day = ahead(service, 14)
    at = fill_booking_form(open_page("pages/views/book_view.py"), service, people["sari"])
    label = at.pills(key="book_slot-day").format_func(day.isoformat())  # "Mon 21/12 · 9 free"
    free = int(re.search(r"· (\d+) free", label).group(1))
    at.button(key="book_submit").click().run()
    no_exception(at)
    fourteen = datetime.combine(day, time(14, 0), service.tz).isoformat()
    # The booked start is gone, the day counts fewer, no start is picked and the form says so.
    assert at.pills(key="book_slot-day").value == day.isoformat()
    assert fourteen not in at.pills(key="book_slot-time").options and at.pills(key="book_slot-time").value is None
    fewer = int(re.search(r"· (\d+) free", at.pills(key="book_slot-day").format_func(day.isoformat())).group(1))
    assert fewer < free
    assert f"Pick a start time on {long_date(day)}." in texts(at) and at.button(key="book_submit").disabled
    [booking] = all_bookings(service)
    assert "Booked and paid" in at.success[0].value and "14:00" in at.success[0].value
    [link] = [p for p in at.get("page_link") if "Open this booking" in p.proto.label]
    assert link.proto.query_string == f"booking={booking.id}" and link.proto.page.endswith("confirmation")

    at.pills(key="book_slot-time").set_value(datetime.combine(day, time(16, 0), service.tz).isoformat()).run()
    assert "14:00" in at.success[0].value  # the result stays until the next booking
    at.button(key="book_submit").click().run()
    no_exception(at)
    assert not errors(at)
    assert sorted(b.scheduled_time for b in all_bookings(service)) == [time(14, 0), time(16, 0)]
    assert "16:00" in at.success[0].value


def test_book_another_starts_over_with_an_empty_form(service, people):
    at = fill_booking_form(open_page("pages/views/book_view.py"), service, people["sari"])
    at.button(key="book_submit").click().run()
    at.button(key="book_another").click().run()
    no_exception(at)
    assert not at.success and at.radio(key="book_who").value == "existing"
    assert at.text_input(key="book_customer_q").value == ""
    assert at.pills(key="book_slot-time").value is None and at.button(key="book_submit").disabled
    assert "Find the customer" in texts(at)
    assert len(all_bookings(service)) == 1


def test_malformed_email_is_refused_and_writes_nothing(service, people):
    at = fill_booking_form(open_page("pages/views/book_view.py"), service, people["sari"], email="dewi@@example")
    no_exception(at)
    assert any("not a valid email address" in shown(w.value) for w in at.warning)
    assert at.button(key="book_submit").disabled
    assert all_bookings(service) == []


def test_a_taken_time_is_not_offered(service, people):
    taken = confirmed(service, people, days=14, at=time(14, 0))
    at = fill_booking_form(open_page("pages/views/book_view.py"), service, people["sari"], at_time=time(12, 0))
    offered = at.pills(key="book_slot-time").options
    assert "12:00" in offered and "15:00" in offered
    # A 60-minute session from 13:05 to 14:55 would overlap the one at 14:00.
    assert not {f"{h:02d}:{m:02d}" for h in (13, 14) for m in range(0, 60, 5) if (h, m) > (13, 0)} & set(offered)
    assert [b.id for b in all_bookings(service)] == [taken.id]


# -- Confirmation --------------------------------------------------------------------------------------

def test_confirmation_shows_time_in_wib_price_and_join_link(service, people):
    booking = confirmed(service, people, days=14, at=time(14, 0))
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    no_exception(at)
    assert not errors(at)
    shown = texts(at)
    assert "14:00 WIB" in shown
    assert "Rp 250.000" in shown
    assert "Sari Wulandari" in shown and "Andi Wijaya" in shown and "60 minutes" in shown
    assert [(b.value, b.proto.url) for b in at.link_button] == [("Join meeting", booking.meeting_link)]
    assert booking.meeting_link in [c.value for c in at.code]
    assert "What happens next" in shown


@pytest.mark.parametrize("bad_id", ["8d1f7a52-1b7e-4c1e-9a57-3f0a2f7f0c11", "not-a-booking"])
def test_confirmation_of_an_unknown_or_malformed_id_says_so(service, people, bad_id):
    at = open_page("pages/views/confirmation_view.py", booking=bad_id)
    no_exception(at)
    assert len(errors(at)) == 1
    assert "No booking with id" in errors(at)[0] or "is not a booking id" in errors(at)[0]
    assert not at.link_button


def test_confirmation_without_a_link_says_so_plainly(service, people):
    booking = paid(service, people)
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    no_exception(at)
    assert not at.link_button
    assert any(i.value.startswith("No meeting link yet — ") for i in at.info)


def test_reschedule_from_confirmation_keeps_the_meeting_link(service, people):
    booking = confirmed(service, people, days=14, at=time(14, 0))
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    pick_slot(at, service, f"reschedule-{booking.id}", ahead(service, 15), time(9, 30))
    at.button(key=f"reschedule-submit-{booking.id}").click().run()
    no_exception(at)
    assert not errors(at)

    moved = service.get_booking(booking.id, actor=SYSTEM)
    assert (moved.scheduled_date, moved.scheduled_time) == (ahead(service, 15), time(9, 30))
    assert moved.meeting_link == booking.meeting_link and moved.google_event_id == booking.google_event_id
    assert moved.status is BookingStatus.CONFIRMED and moved.revision == booking.revision + 1
    assert any("Moved to" in s.value for s in at.success)
    assert "09:30 WIB" in texts(at)  # the page shows the new time after the rerun


def test_cancel_needs_the_tick_then_cancels(service, people):
    booking = confirmed(service, people)
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    at.text_input(key=f"cancel-reason-{booking.id}").input("Customer is ill")
    at.button(key=f"cancel-submit-{booking.id}").click().run()
    assert errors(at) and service.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.CONFIRMED

    at.checkbox(key=f"cancel-sure-{booking.id}").check()
    at.button(key=f"cancel-submit-{booking.id}").click().run()
    no_exception(at)
    gone = service.get_booking(booking.id, actor=SYSTEM)
    assert gone.status is BookingStatus.CANCELLED and gone.cancel_reason == "Customer is ill"
    assert any("cancelled" in s.value for s in at.success)
    assert not at.link_button


# -- My sessions ------------------------------------------------------------------------------------------

def test_an_expert_sees_only_their_own_future_confirmed_sessions(service, people):
    mine = [confirmed(service, people, days=2, at=time(10, 0)), confirmed(service, people, days=20, at=time(16, 0))]
    cancelled = confirmed(service, people, days=3, at=time(10, 0))
    service.cancel(cancelled.id, "changed plans", actor=SYSTEM)
    paid(service, people, days=4)  # paid, no link yet: not on the expert's list
    theirs = confirmed(service, people, expert="budi", days=2, at=time(11, 0))
    # A session that is over: booked by a service whose clock stood ten days back.
    past_clock = FixedClock(datetime.now(UTC) - timedelta(days=10))
    past_service = build_service(load_settings(), clock=past_clock)
    past = past_service.book_and_pay(request(past_service, people, days=5), actor=SYSTEM).booking  # five days ago now
    assert past.status is BookingStatus.CONFIRMED and past.scheduled_date < service.today()

    at = open_page("pages/views/my_sessions_view.py")
    at.selectbox(key="my_expert").select(people["sari"]).run()
    no_exception(at)
    assert [b.proto.url for b in at.link_button] == [b.meeting_link for b in mine]
    shown = texts(at)
    assert "10:00 WIB" in shown and "16:00 WIB" in shown and "Andi Wijaya" in shown
    assert theirs.meeting_link not in {b.proto.url for b in at.link_button}
    assert at.query_params["expert"] == people["sari"]

    at.selectbox(key="my_expert").select(people["budi"]).run()
    assert [b.proto.url for b in at.link_button] == [theirs.meeting_link]


def test_an_expert_without_sessions_gets_a_friendly_message(service, people):
    at = open_page("pages/views/my_sessions_view.py", expert=people["budi"])
    no_exception(at)
    assert at.selectbox(key="my_expert").value == people["budi"]
    assert not at.link_button
    assert any("No upcoming sessions for Budi Santoso" in i.value for i in at.info)


# -- Availability --------------------------------------------------------------------------------------------

def preview_table(at: AppTest):
    return previews(at)[0].value


LUNCH_WEEK = "09:00-12:00, 13:00-17:00"


def test_availability_an_expert_edits_only_their_own(service, people):
    budi_hours = service.availability(people["budi"], actor=SYSTEM)
    at = as_expert(service, people["sari"], expert="budi-is-not-mine")
    no_exception(at)
    assert "av_expert" not in {s.key for s in at.selectbox}
    assert "Sari Wulandari" in texts(at) and "Budi" not in texts(at)
    # Even with the other expert's id in the address, the fields and the save are Sari's.
    at = as_expert(service, people["sari"], expert=people["budi"])
    at.text_input(key=f"av-{people['sari']}-mon").input(LUNCH_WEEK).run()
    at.button(key=f"av-{people['sari']}-save").click().run()
    no_exception(at)
    assert service.availability(people["sari"], actor=SYSTEM).weekly[0] == (TimeRange(540, 720), TimeRange(780, 1020))
    assert service.availability(people["budi"], actor=SYSTEM) == budi_hours
    assert not [k for k in at.session_state if str(k).startswith(f"av-{people['budi']}-")]


def test_availability_ops_pick_an_expert_and_save_after_the_preview_shows_the_edit(service, people):
    tomorrow = ahead(service, 1)
    confirmed(service, people, expert="budi", days=1, at=time(10, 0))
    at = open_page("pages/views/availability_view.py")
    at.selectbox(key="av_expert").select(people["budi"]).run()
    assert at.query_params["expert"] == people["budi"]
    k = f"av-{people['budi']}-"
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tomorrow.weekday()]
    at.text_input(key=f"{k}{day}").input("09:00-12:00")
    at.selectbox(key=f"{k}step").select(60)
    at.number_input(key=f"{k}notice").set_value(0).run()
    no_exception(at)
    table = preview_table(at)
    [row] = table[table["Day"] == long_date(tomorrow)].to_dict("records")
    assert row["Start times"] == "09:00, 11:00" and row["Free"] == 2  # 10:00 is booked; the edit shows unsaved
    assert service.store.get_availability(people["budi"]) is None  # nothing saved by the preview

    at.button(key=f"{k}save").click().run()
    no_exception(at)
    assert any("Saved the availability of Budi Santoso" in s.value for s in at.success)
    saved = service.availability(people["budi"], actor=SYSTEM)
    assert saved.hours_on(tomorrow) == (TimeRange(540, 720),) and saved.slot_step_minutes == 60
    assert service.store.get_availability(people["sari"]) is None
    assert [f"{s.start:%H:%M}" for s in service.free_slots(people["budi"], 60, tomorrow, 1, actor=SYSTEM).slots] \
        == ["09:00", "11:00"]  # the booking check follows what the preview showed


@pytest.mark.parametrize(("typed", "message"), [
    ("17:00-09:00", "Monday, 17:00–09:00: the end is before the start."),
    ("09:00-12:00, 11:00-14:00", "Monday: 09:00–12:00 and 11:00–14:00 overlap."),
    ("09:00-25:00", "Monday, 09:00–25:00: 25:00 is not a time of day; write one from 00:00 to 24:00."),
])
def test_availability_bad_hours_show_the_message_and_save_nothing(service, people, typed, message):
    at = open_page("pages/views/availability_view.py", expert=people["sari"])
    k = f"av-{people['sari']}-"
    at.text_input(key=f"{k}mon").input(typed).run()
    no_exception(at)
    assert errors(at) == [message, "Not saved: fix the field above."]
    assert not previews(at) and at.button(key=f"{k}save").disabled  # no preview, no save
    assert service.store.get_availability(people["sari"]) is None


def test_availability_bad_override_is_refused_naming_the_line(service, people):
    at = open_page("pages/views/availability_view.py", expert=people["sari"])
    at.text_area(key=f"av-{people['sari']}-overrides").input("2026-12-25: off\nnext friday: off").run()
    assert errors(at)[0].startswith("Date overrides, line 2: “next friday: off” is not a date and its hours")
    assert service.store.get_availability(people["sari"]) is None


@pytest.fixture
def with_google(monkeypatch):
    """The console on the Google meeting provider (a local Calendar API server), with the demo's
    "View as": the pages' Google parts show only then."""
    from tests.support.google import authorized_user_json, calendar_server

    with calendar_server(monkeypatch) as server:
        for key, value in {"MEETING_PROVIDER": "google", "GOOGLE_CREDENTIALS_JSON": authorized_user_json(server),
                           "GOOGLE_API_ENDPOINT": server.base_url, "GOOGLE_TIMEOUT_SECONDS": "1",
                           "ALLOW_DEMO_MODE": "true"}.items():
            monkeypatch.setenv(f"CALLEXPERT_{key}", value)
        yield server


def test_availability_with_jitsi_has_no_google_calendar_part(service, people):
    at = open_page("pages/views/availability_view.py", expert=people["sari"])
    no_exception(at)
    with pytest.raises(KeyError):
        at.text_input(key=f"av-{people['sari']}-calendar_id")
    assert "Google Calendar" not in texts(at) and "Google Calendar" not in [s.value for s in at.subheader]


def test_availability_ops_change_a_calendar_id_shown_as_text(service, people, with_google):
    at = open_page("pages/views/availability_view.py", expert=people["sari"])
    k = f"av-{people['sari']}-"
    assert at.text_input(key=f"{k}calendar_id").value == "sari@example.com"  # their email unless set otherwise
    assert "Busy time is read from: sari@example.com" in [t.value for t in at.text]
    at.text_input(key=f"{k}calendar_id").input("  sari_*team*@group.calendar.google.com ").run()
    at.button(key=f"{k}calendar_save").click().run()
    no_exception(at)
    assert service.store.get_expert(people["sari"]).calendar_id == "sari_*team*@group.calendar.google.com"
    assert service.store.get_expert(people["budi"]).calendar_id == "budi@example.com"
    assert any("sari\\_\\*team\\*@group.calendar.google.com" in s.value for s in at.success)  # as typed, not Markdown
    assert "Busy time is read from: sari_*team*@group.calendar.google.com" in [t.value for t in at.text]


def test_availability_an_expert_sees_their_calendar_id_read_only_and_asks_ops(service, people, with_google):
    service.set_calendar_id(people["sari"], "sari_*team*@group.calendar.google.com", actor=SYSTEM)
    at = as_expert(service, people["sari"], expert=people["budi"])
    no_exception(at)
    k = f"av-{people['sari']}-"
    for key in (f"{k}calendar_id", f"{k}calendar_save"):  # nothing to type into or press
        with pytest.raises(KeyError):
            (at.text_input if key.endswith("_id") else at.button)(key=key)
    assert "Busy time is read from: sari_*team*@group.calendar.google.com" in [t.value for t in at.text]
    assert "Only ops change the calendar id: ask them if your busy time should be read from another calendar." \
        in [c.value for c in at.caption]
    assert at.text_input(key=f"{k}mon")  # the hours themselves stay theirs to edit


@pytest.mark.parametrize(("typed", "words"), [("", "empty"), ("two words@example.com", "space"),
                                               ("x" * 255, "too long")])
def test_availability_a_bad_calendar_id_shows_the_message_and_saves_nothing(service, people, typed, words,
                                                                          with_google):
    at = open_page("pages/views/availability_view.py", expert=people["budi"])
    k = f"av-{people['budi']}-"
    at.text_input(key=f"{k}calendar_id").input(typed).run()
    at.button(key=f"{k}calendar_save").click().run()
    no_exception(at)
    assert len(errors(at)) == 1 and "Calendar id" in errors(at)[0] and words in errors(at)[0]
    assert service.store.get_expert(people["budi"]).calendar_id == "budi@example.com"
    assert "Busy time is read from: budi@example.com" in [t.value for t in at.text]


# -- Ops --------------------------------------------------------------------------------------------------

def test_ops_counts_and_provider_health(service, people):
    paid(service, people)
    service.book(request(service, people, days=15), actor=SYSTEM)  # awaiting payment
    at = open_page("pages/views/ops_view.py")
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Awaiting link"] == "1" and metrics["Awaiting payment"] == "1"
    assert any(s.value.startswith("Meeting provider: Jitsi") for s in at.success)


def test_ops_create_link_for_one_paid_booking(service, people):
    waiting = paid(service, people)
    other = paid(service, people, days=15)
    at = open_page("pages/views/ops_view.py")
    at.button(key=f"create-link-{waiting.id}").click().run()
    no_exception(at)
    assert not errors(at)
    done = service.get_booking(waiting.id, actor=SYSTEM)
    assert done.status is BookingStatus.CONFIRMED and done.meeting_link
    assert service.get_booking(other.id, actor=SYSTEM).status is BookingStatus.PAID  # only the one clicked
    assert [b.id for b in service.missing_links(actor=SYSTEM)] == [other.id]
    assert any("Link created" in s.value for s in at.success)


def test_ops_create_all_missing_links(service, people):
    waiting = [paid(service, people, days=d) for d in (14, 15, 16)]
    at = open_page("pages/views/ops_view.py")
    at.button(key="create-all-links").click().run()
    no_exception(at)
    assert not errors(at)
    assert all(service.get_booking(b.id, actor=SYSTEM).status is BookingStatus.CONFIRMED for b in waiting)
    assert service.missing_links(actor=SYSTEM) == []
    assert any(s.value == "3 confirmed." for s in at.success)
    assert any("Every paid booking has its meeting link" in s.value for s in at.success)


def test_ops_paste_a_link_by_hand(service, people):
    waiting = paid(service, people)
    at = open_page("pages/views/ops_view.py")
    at.selectbox(key="paste-booking").select(waiting.id)
    at.text_input(key="paste-url").input("http://bad link")
    at.button(key="paste-submit").click().run()
    no_exception(at)
    assert len(errors(at)) == 1 and "https://" in errors(at)[0]
    assert service.get_booking(waiting.id, actor=SYSTEM).status is BookingStatus.PAID

    at.text_input(key="paste-url").input(GOOD_LINK)
    at.button(key="paste-submit").click().run()
    no_exception(at)
    assert not errors(at)
    done = service.get_booking(waiting.id, actor=SYSTEM)
    assert done.status is BookingStatus.CONFIRMED and done.meeting_link == GOOD_LINK
    assert any(e.booking_id == waiting.id for e in service.emails(actor=SYSTEM))


def test_ops_recent_bookings_filter_history_and_cancel(service, people):
    kept = confirmed(service, people)
    waiting = paid(service, people, days=15)
    at = open_page("pages/views/ops_view.py")
    table = at.dataframe[0].value
    assert set(table["Booking id"]) == {kept.id, waiting.id}

    at.selectbox(key="ops-status").select(BookingStatus.PAID).run()
    assert list(at.dataframe[0].value["Booking id"]) == [waiting.id]
    assert at.selectbox(key="ops-booking").value == waiting.id
    assert "created" in set(at.dataframe[1].value["Event"])  # the history in the expander

    at.checkbox(key=f"cancel-sure-{waiting.id}").check()
    at.button(key=f"cancel-submit-{waiting.id}").click().run()
    no_exception(at)
    assert service.get_booking(waiting.id, actor=SYSTEM).status is BookingStatus.CANCELLED
    assert service.get_booking(kept.id, actor=SYSTEM).status is BookingStatus.CONFIRMED


def test_ops_booking_detail_shows_the_recorded_attendance_with_the_experts_no_show(service, people, monkeypatch):
    """With the Google provider, the booking's detail reads its stored Google Meet attendance:
    here the customer joined and the expert did not."""
    from lib.domain import Attendance
    from tests.support.google import authorized_user_json, calendar_server

    other = confirmed(service, people, days=15)
    kept = confirmed(service, people)
    start = kept.starts_at.replace(tzinfo=service.tz)
    assert service.store.save_attendance(Attendance(
        kept.id, "recorded", expert_joined=False, customer_joined=True, customer_joined_at=start + timedelta(minutes=3),
        customer_left_at=start + timedelta(minutes=40), customer_match="email"), [], "worker")
    with calendar_server(monkeypatch) as server:
        for key, value in {"MEETING_PROVIDER": "google", "GOOGLE_CREDENTIALS_JSON": authorized_user_json(server),
                           "GOOGLE_API_ENDPOINT": server.base_url, "GOOGLE_TIMEOUT_SECONDS": "1",
                           "ALLOW_DEMO_MODE": "true"}.items():  # the demo's "View as" beside a real provider
            monkeypatch.setenv(f"CALLEXPERT_{key}", value)
        at = open_page("pages/views/ops_view.py")
        no_exception(at)
        at.selectbox(key="ops-booking").select(kept.id).run()
        no_exception(at)
        [shown_attendance] = [t.value for t in at.text if t.value.startswith("Attendance")]
        assert shown_attendance.splitlines()[:2] == ["Attendance (Google Meet):", "Expert: did not join (no-show)"]
        assert shown_attendance.splitlines()[2].startswith("Customer: joined ")
        at.selectbox(key="ops-booking").select(other.id).run()
        assert [t.value for t in at.text if t.value.startswith("Attendance")] == [
            "Attendance: not read yet (read from Google Meet after the session ends)."]


def test_an_expired_booking_shows_as_expired_on_confirmation_and_ops(service, people):
    stale = service.book(request(service, people), actor=SYSTEM)
    kept = confirmed(service, people, days=15)
    made = (datetime.now(UTC) - timedelta(minutes=45)).isoformat(timespec="seconds")
    service.store._conn().execute("UPDATE bookings SET created_at = ? WHERE id = ?", (made, stale.id))
    assert [b.id for b in service.expire_unpaid(actor=SYSTEM)] == [stale.id]

    at = open_page("pages/views/confirmation_view.py", booking=stale.id)
    no_exception(at)
    assert "not paid in time" in texts(at) and "Expired (not paid)" in texts(at)  # the badge
    assert not at.button  # neither reschedule nor cancel: it holds nothing any more

    at = open_page("pages/views/ops_view.py")
    no_exception(at)
    shown = dict(zip(at.dataframe[0].value["Booking id"], at.dataframe[0].value["Status"], strict=True))
    assert shown == {stale.id: "Expired (not paid)", kept.id: "Confirmed"}
    at.selectbox(key="ops-status").select(BookingStatus.EXPIRED).run()
    no_exception(at)
    assert list(at.dataframe[0].value["Booking id"]) == [stale.id]
    assert "expired" in set(at.dataframe[1].value["Event"])  # the history line


def test_ops_with_jitsi_and_the_demo_gateway_shows_no_google_and_no_payment_page_parts(service, people, app_env):
    waiting = service.book(request(service, people, days=14), actor=SYSTEM)
    with closing(sqlite3.connect(app_env)) as db:  # waiting for an hour: a gateway payment would be stuck
        db.execute("UPDATE bookings SET created_at = ? WHERE id = ?",
                   ((datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds"), waiting.id))
        db.commit()
    at = open_page("pages/views/ops_view.py")
    no_exception(at)
    assert not [s.value for s in at.subheader if s.value.startswith("Awaiting payment for more than")]
    with pytest.raises(KeyError):
        at.button(key=f"ops-check-payment-{waiting.id}")
    assert not at.get("progress")  # Google's request budget
    assert at.text_input(key="paste-url").placeholder == "https://meet.jit.si/CallExpert-abc123"
    at.selectbox(key="ops-booking").select(waiting.id).run()
    assert "Attendance" not in "\n".join(t.value for t in at.text)  # Google Meet's, after the session

    page = open_page("pages/views/confirmation_view.py", booking=waiting.id)  # the demo pays in one click
    no_exception(page)
    with pytest.raises(KeyError):
        page.button(key=f"check-payment-{waiting.id}")
    assert "Demo payment: paying settles at once and moves no money." in texts(page)
    page.button(key=f"start-payment-{waiting.id}").click().run()
    no_exception(page)
    assert service.get_booking(waiting.id, actor=SYSTEM).status is BookingStatus.PAID
    assert any("Paid" in s.value for s in page.success)


# -- Emails -------------------------------------------------------------------------------------------------

def test_emails_page_lists_the_confirmation_emails(service, people):
    booking = confirmed(service, people)
    other = confirmed(service, people, expert="budi", days=15)
    at = open_page("pages/views/emails_view.py")
    no_exception(at)
    labels = [shown(e.label) for e in at.expander]
    assert len(labels) == 4
    # Each title in the console's words alone; the subject, in the email's language, inside.
    # One language throughout: the session type in the Indonesian email is named in Indonesian.
    assert any(label.startswith("Booking confirmed, to the customer: andi@example.com · sent · ") for label in labels)
    assert any(label.startswith("Booking confirmed, to the expert: sari@example.com · sent · ") for label in labels)
    assert not any("Pemesanan" in label for label in labels)
    plain = [t.value for t in at.text]
    assert "Pemesanan terkonfirmasi: Mentoring karier dengan Sari Wulandari" in plain
    assert "Pemesanan baru: Mentoring karier dengan Andi Wijaya" in plain
    assert "**Subject** (the email is in Indonesian)" in [m.value for m in at.markdown]
    assert booking.meeting_link in "\n".join(plain)

    at.text_input[0].input(other.id).run()
    labels = [shown(e.label) for e in at.expander]
    assert len(labels) == 2 and all("budi@example.com" in label or "andi@example.com" in label for label in labels)


def test_emails_page_shows_the_invitation_each_email_carried_and_offers_it(service, people):
    booking = confirmed(service, people, days=14, at=time(14, 0))
    moved = service.reschedule(booking.id, ahead(service, 15), time(9, 30), actor=SYSTEM)
    service.cancel(booking.id, "Customer changed plans", actor=SYSTEM)
    at = open_page("pages/views/emails_view.py", booking=booking.id)
    no_exception(at)
    shown_text = texts(at).replace("**", "")  # "**When:** ..." as it reads
    first = medium_when(booking.scheduled_date, time(14, 0), service.tz).replace(" WIB", "")
    later = medium_when(moved.scheduled_date, time(9, 30), service.tz).replace(" WIB", "")
    assert f"When: {first}–15:00 WIB (60 minutes)" in shown_text  # the confirmation's invitation
    assert f"When: {later}–10:30 WIB (60 minutes)" in shown_text  # the reschedule's and the cancellation's
    assert "Method: REQUEST: adds the session" in shown_text and "Method: CANCEL: removes the session" in shown_text
    assert {"Sequence: 0 ", "Sequence: 1 ", "Sequence: 2 "} <= {line[:len("Sequence: 0 ")] for line in
                                                                  shown_text.splitlines()}
    assert "What: Mentoring karier dengan Sari Wulandari" in shown_text
    downloads = at.get("download_button")
    invitations = [e for e in service.emails(booking_id=booking.id, actor=SYSTEM) if e.ics]
    assert len(downloads) == len(invitations) == 6  # both sides, three times
    assert {d.proto.label for d in downloads} == {"Download invitation"}


def test_emails_page_says_when_an_email_carried_no_invitation_only_where_emails_carry_them(service, people,
                                                                                          monkeypatch):
    booking = paid(service, people)
    # A reminder carries no invitation (the calendar has the event already).
    service.store.queue_emails([EmailDraft(booking.id, "reminder_60.customer", 0, "andi@example.com",
                                           "Pengingat", "Sesi Anda dalam 1 jam.", "<p>Sesi Anda dalam 1 jam.</p>")],
                               datetime.now(UTC))
    at = open_page("pages/views/emails_view.py")
    no_exception(at)
    assert len(at.expander) == 1 and not at.get("download_button")
    assert "No calendar invitation attached." in texts(at)

    monkeypatch.setenv("CALLEXPERT_ATTACH_ICS", "false")  # as with Google, which sends its own invitations
    current_settings.cache_clear()  # the console started again with the new setting
    confirmed(build_service(load_settings()), people, days=15)
    at = open_page("pages/views/emails_view.py")
    no_exception(at)
    assert len(at.expander) == 2 and not at.get("download_button")  # the reminder was dropped as stale when sent
    assert "invitation" not in texts(at)


def test_emails_page_draws_the_newest_emails_first_and_the_rest_on_asking(service, people):
    booking = paid(service, people)
    service.store.queue_emails([EmailDraft(booking.id, f"reminder_{n}.customer", 0, "andi@example.com",
                                           f"Pengingat {n}", "Sesi Anda segera.", "<p>Sesi Anda segera.</p>")
                                for n in range(30)], datetime.now(UTC))
    at = open_page("pages/views/emails_view.py")
    no_exception(at)
    assert len(at.expander) == 25
    assert "The newest 25 emails; older ones below “Show more emails”." in [c.value for c in at.caption]
    next(b for b in at.button if b.label == "Show more emails").click().run()
    no_exception(at)
    assert len(at.expander) == 30
    assert not [b for b in at.button if b.label == "Show more emails"]
    assert "30 email(s), newest first." in [c.value for c in at.caption]


# -- what people typed is shown as text, on every page ----------------------------------------------

EVIL_NAME = "[Click me](https://evil.example) **Boss**"
EVIL_SESSION = ":red[Urgent] <b>VIP</b> $x^2$ :material/warning: # Now"
EVIL_REASON = "[refund here](https://evil.example) _now_ www.evil.example"
_md = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "strikethrough", "linkify"])


def assert_shown_as_text(at: AppTest, *values: str) -> None:
    """Each value is on the page, escaped wherever Streamlit reads Markdown, and nothing on the page
    became a link, bold text, a heading, a directive or math because of it."""
    sources = markdown_sources(at)
    plain = [t.value for t in at.text] + [c.value for c in at.code]
    for value in values:
        assert any(escape_markdown(value) in s for s in sources) or any(value in p for p in plain), value
        for source in sources:
            assert value not in source, source  # only ever the escaped form
            html = _md.render(source)
            assert "<a " not in html and "<strong>Boss" not in html and "<h1>" not in html, source
            assert ":red[" not in source.replace("\\:red\\[", ""), source
            assert "$x" not in source.replace("\\$x", ""), source


def evil_booking(svc: BookingService, people: dict[str, str], days: int = 14) -> Booking:
    # A type named as typed by ops, in both languages (the emails are Indonesian).
    if not any(t.name() == EVIL_SESSION for t in svc.session_types(people["sari"], actor=SYSTEM)):
        svc.set_session_types(people["sari"], [{"names": {"en": EVIL_SESSION, "id": EVIL_SESSION}, "durations": [60],
                                                "price_per_hour": 250000}], actor=SYSTEM)
    return svc.book(BookingRequest(expert_id=people["sari"], session_type=EVIL_SESSION, scheduled_date=ahead(svc, days),
                                   scheduled_time=time(14, 0), duration=60,
                                   new_customer=NewCustomer(EVIL_NAME, "boss@example.com")), actor=SYSTEM)


def test_book_page_shows_a_typed_name_as_text(service, people):
    at = fill_booking_form(open_page("pages/views/book_view.py"), service, people["sari"], name=EVIL_NAME,
                           email="boss@example.com")
    assert_shown_as_text(at, EVIL_NAME)  # in the summary next to the button
    at.button(key="book_submit").click().run()
    no_exception(at)
    [booking] = all_bookings(service)
    assert booking.customer_name == EVIL_NAME and booking.status is BookingStatus.CONFIRMED
    assert any(escape_markdown(EVIL_NAME) in s.value for s in at.success)  # the outcome names the customer
    assert_shown_as_text(at, EVIL_NAME)


def test_confirmation_shows_typed_names_reasons_and_ids_as_text(service, people):
    booking = evil_booking(service, people)
    service.cancel(booking.id, EVIL_REASON, actor=SYSTEM)
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    no_exception(at)
    assert_shown_as_text(at, EVIL_NAME, EVIL_SESSION, EVIL_REASON)

    bad_id = "[Click me](https://evil.example)"
    at = open_page("pages/views/confirmation_view.py", booking=bad_id)
    no_exception(at)
    assert len(at.error) == 1
    assert_shown_as_text(at, bad_id)


def test_ops_shows_typed_names_as_text_in_lists_cards_and_messages(service, people):
    waiting = service.pay(evil_booking(service, people).id, actor=SYSTEM)
    at = open_page("pages/views/ops_view.py")
    no_exception(at)
    assert_shown_as_text(at, EVIL_NAME, EVIL_SESSION)  # the "awaiting a link" row and the booking card
    at.button(key=f"create-link-{waiting.id}").click().run()
    no_exception(at)
    assert any("Link created for" in s.value for s in at.success)
    assert_shown_as_text(at, EVIL_NAME, EVIL_SESSION)  # the flash message too


def test_emails_page_shows_subjects_with_typed_names_as_text(service, people):
    booking = service.pay(evil_booking(service, people).id, actor=SYSTEM)
    service.create_link(booking.id, actor=SYSTEM)
    at = open_page("pages/views/emails_view.py")
    no_exception(at)
    labels = [e.label for e in at.expander]
    assert len(labels) == 2
    assert f"Pemesanan baru: {EVIL_SESSION} dengan {EVIL_NAME}" in [t.value for t in at.text]  # the subject, as text
    assert_shown_as_text(at, EVIL_NAME, EVIL_SESSION)


def test_my_sessions_shows_typed_names_as_text(service, people):
    booking = service.pay(evil_booking(service, people).id, actor=SYSTEM)
    service.create_link(booking.id, actor=SYSTEM)
    at = open_page("pages/views/my_sessions_view.py", expert=people["sari"])
    no_exception(at)
    assert_shown_as_text(at, EVIL_NAME, EVIL_SESSION)


# -- the booking form books what it shows ------------------------------------------------------------

def summary(at: AppTest) -> str:
    """What the box next to "Book and pay" says, as a person reads it."""
    return "\n".join(shown(m.value) for m in at.markdown if "**Customer:**" in m.value)


def test_the_summary_repeats_every_value_the_button_books(service, people):
    at = fill_booking_form(open_page("pages/views/book_view.py"), service, people["budi"], days=20, at_time=time(9, 45))
    text = summary(at)
    day = ahead(service, 20)
    for part in ("Dewi Lestari (dewi@example.com) — new customer", "Budi Santoso", "Career mentoring",
                 f"{when(day, time(9, 45), service.tz)}", "60 minutes", "Rp 400.000"):
        assert part in text, (part, text)
    at.button(key="book_submit").click().run()
    [booking] = all_bookings(service)
    assert (booking.customer_name, booking.expert_id, booking.scheduled_date, booking.scheduled_time,
            booking.duration, booking.price) == ("Dewi Lestari", people["budi"], day, time(9, 45), 60, 400_000)


def test_the_picker_offers_no_past_time_and_nothing_beyond_the_horizon(service, people):
    at = open_page("pages/views/book_view.py")
    today, now = service.today(), service.now_local()
    first = date.fromisoformat(at.pills(key="book_slot-day").value)  # the first day with a free start
    assert first in (today, today + timedelta(days=1))
    assert at.pills(key="book_slot-day").options[0].startswith(f"{today:%a %d/%m}")  # the window starts today
    starts = [datetime.combine(first, time.fromisoformat(t)) for t in at.pills(key="book_slot-time").options]
    assert starts and all(s > now for s in starts)
    assert at.button(key="book_slot-earlier").disabled  # nothing before today
    horizon = service.availability(people["sari"], actor=SYSTEM).horizon_days
    while not at.button(key="book_slot-later").disabled:
        at.button(key="book_slot-later").click().run()
    no_exception(at)
    last = at.pills(key="book_slot-day").options[-1]
    assert last.startswith(f"{today + timedelta(days=horizon):%a %d/%m}"), last


def test_book_and_pay_with_no_time_picked_names_the_missing_start(service, people):
    at = open_page("pages/views/book_view.py")
    at.radio(key="book_who").set_value("new").run()
    at.text_input(key="book_name").input("Dewi Lestari")
    at.text_input(key="book_email").input("dewi@example.com").run()
    day = date.fromisoformat(at.pills(key="book_slot-day").value)
    assert at.pills(key="book_slot-time").value is None and not summary(at)
    assert f"Pick a start time on {long_date(day)}." in texts(at)
    assert at.button(key="book_submit").disabled and "calendar date" not in texts(at)
    at.text_input(key="book_name").input("").run()  # every missing part is named
    assert "Fill in the new customer's name." in texts(at) and f"Pick a start time on {long_date(day)}." in texts(at)
    assert all_bookings(service) == []


def test_the_service_names_a_missing_day_or_start_as_a_step_not_a_format(service, people):
    with pytest.raises(InvalidInput, match=r"^Pick a day and a start time\.$"):
        service.preview_booking(replace(request(service, people), scheduled_date=None, scheduled_time=None),
                                actor=SYSTEM)
    day = ahead(service, 14)
    with pytest.raises(InvalidInput, match=rf"^Pick a start time on {long_date(day)}\.$"):
        service.book(replace(request(service, people), scheduled_time=None), actor=SYSTEM)
    assert all_bookings(service) == []


def test_rescheduling_with_no_time_picked_says_what_to_pick_and_changes_nothing(service, people):
    booking = confirmed(service, people, days=14, at=time(14, 0))
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    key = f"reschedule-{booking.id}"
    assert at.pills(key=f"{key}-time").value is None
    assert at.pills(key=f"{key}-day").value == booking.scheduled_date.isoformat()
    assert f"Pick a start time on {long_date(booking.scheduled_date)}." in texts(at)
    assert at.button(key=f"reschedule-submit-{booking.id}").disabled
    no_exception(at)
    kept = service.get_booking(booking.id, actor=SYSTEM)
    assert (kept.scheduled_date, kept.scheduled_time) == (booking.scheduled_date, booking.scheduled_time)


# -- a "new" customer whose email is known --------------------------------------------------------------

def test_preview_says_which_customer_an_existing_email_books_under(service, people):
    req = replace(request(service, people), customer_id=None,
                  new_customer=NewCustomer("Someone Else", "Andi@example.com"))
    preview = service.preview_booking(req, actor=SYSTEM)
    assert preview.existing_customer is not None and preview.existing_customer.id == people["andi"]
    assert (preview.customer_name, preview.customer_email) == ("Andi Wijaya", "andi@example.com")
    assert preview.customer_note == ("andi@example.com is already the customer Andi Wijaya; "
                                     "the booking will be under that customer.")
    fresh = replace(req, new_customer=NewCustomer("Dewi Lestari", "dewi@example.com"))
    assert service.preview_booking(fresh, actor=SYSTEM).customer_note is None
    assert all_bookings(service) == [] and len(service.customers(actor=SYSTEM)) == 1  # a preview writes nothing
    expert = expert_actor(service.store.get_expert(people["sari"]))
    with pytest.raises(PermissionDenied):
        service.preview_booking(req, actor=expert)


def test_book_page_names_the_existing_customer_before_booking(service, people):
    at = fill_booking_form(open_page("pages/views/book_view.py"), service, people["sari"], name="Someone Else",
                           email="andi@example.com")
    notes = [shown(w.value) for w in at.warning]
    assert "andi@example.com is already the customer Andi Wijaya; the booking will be under that customer." in notes
    assert "Andi Wijaya (andi@example.com) — existing customer" in summary(at)
    at.button(key="book_submit").click().run()
    [booking] = all_bookings(service)
    assert (booking.customer_email, booking.customer_name) == ("andi@example.com", "Andi Wijaya")
    assert len(service.customers(actor=SYSTEM)) == 1


# -- one language: English screens, English dates ------------------------------------------------------

INDONESIAN_DATE_WORDS = re.compile(
    r"\b(Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu|Sen|Sel|Rab|Kam|Jum|Sab|Min|Januari|Februari|Maret|Mei|Juni|"
    r"Juli|Agustus|Oktober|Desember|Agu|Okt|Des)\b")


def everything_shown(at: AppTest) -> str:
    """Every label, text, caption, option and table cell of the page (not an email's own body)."""
    parts = [shown(s) for s in markdown_sources(at)]
    parts += [str(o) for box in at.selectbox for o in box.options]
    parts += [str(v) for frame in at.dataframe for column in frame.value.columns for v in frame.value[column]]
    return "\n".join(parts)


def test_every_page_shows_its_dates_in_english(service, people):
    """The console is in English, so are its day and month names ("Thursday, 3 December 2026")."""
    days = (14, 17, 20, 24)  # four different weekdays, some in another month than today
    bookings = [confirmed(service, people, days=d, at=time(10 + i, 0)) for i, d in enumerate(days)]
    waiting = paid(service, people, days=21, at=time(16, 0))
    visits = [open_page("pages/views/confirmation_view.py", booking=bookings[0].id),
              open_page("pages/views/ops_view.py"), open_page("pages/views/emails_view.py")]
    ops = visits[1]
    ops.selectbox(key="ops-booking").select(waiting.id).run()  # the history table too
    mine = open_page("pages/views/my_sessions_view.py")
    visits.append(mine.selectbox(key="my_expert").select(people["sari"]).run())
    booked = fill_booking_form(open_page("pages/views/book_view.py"), service, people["budi"], days=27)
    visits.append(booked.button(key="book_submit").click().run())
    for at in visits:
        no_exception(at)
        text = everything_shown(at)
        assert not INDONESIAN_DATE_WORDS.findall(text), (INDONESIAN_DATE_WORDS.findall(text), text)
        # The long form ("Thursday, 3 December 2026, 14:00 WIB") or the medium one ("Thu 3 Dec 2026, 14:00 WIB").
        assert re.search(r"\b((Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \d{1,2} [A-Z][a-z]+|"
                         r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2,3}) 20\d\d, \d\d:\d\d WIB\b", text), text
        # Never the forms the console wrote before one formatter: "14 Dec 2026 10:00", ISO in the history.
        assert not re.search(r"\b\d\d [A-Z][a-z]{2} 20\d\d \d\d:\d\d\b|\b20\d\d-\d\d-\d\d \d\d:\d\d\b", text), text
    confirmation, ops_text = everything_shown(visits[0]), everything_shown(visits[1])
    assert when(bookings[0].scheduled_date, bookings[0].scheduled_time, service.tz) in confirmation
    for b in bookings:  # the bookings table: one row a booking, in the medium form
        assert medium_when(b.scheduled_date, b.scheduled_time, service.tz) in ops_text


def test_ops_shows_the_join_clicks_of_a_booking_when_the_redirect_is_on(service, people, monkeypatch):
    booking = confirmed(service, people)
    at = open_page("pages/views/ops_view.py")
    assert "Join clicks" not in texts(at)  # without public_base_url nothing is counted, so nothing is shown

    monkeypatch.setenv("CALLEXPERT_PUBLIC_BASE_URL", "https://console.example.com/notify")
    current_settings.cache_clear()  # the console started again with the new setting
    moment = datetime(2026, 11, 26, 7, 2, tzinfo=UTC)  # 14:02 WIB
    for person in ("customer", "customer", "expert"):
        service.store.record_join_click(booking.id, person, moment)
    at = open_page("pages/views/ops_view.py")
    no_exception(at)
    assert ("Join clicks: customer 2 (last Thu 26 Nov 2026, 14:02 WIB), "
            "expert 1 (last Thu 26 Nov 2026, 14:02 WIB)") in texts(at)


def test_the_first_run_entries_in_pages_are_exactly_the_registrys_addresses_and_only_run_app_py():
    """pages/<url_path>.py for each page of the registry, nothing else (see pages/__init__.py): a
    missing one brings back Streamlit's "Page not found" on a fresh server's first deep link, an
    extra one answers an address no page has."""
    from pages.ui.registry import PAGES as REGISTRY

    folder = Path(APP).parent / "pages"
    entries = {p.name for p in folder.glob("*.py") if p.name != "__init__.py"}
    assert entries == {f"{page.url_path}.py" for page in REGISTRY}
    for page in REGISTRY:
        # Streamlit names a folder's page by its file name, less leading digits, "_" and emoji.
        assert re.fullmatch(r"[a-z][a-z0-9-]*", page.url_path), page.url_path
        code = [line for line in (folder / f"{page.url_path}.py").read_text(encoding="utf-8").splitlines()
                if line and not line.startswith('"""')]
        assert code == ["import runpy", "from pathlib import Path",
                        'runpy.run_path(str(Path(__file__).resolve().parents[1] / "app.py"))'], page.url_path
