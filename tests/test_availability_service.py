"""The service's availability: stored hours, free slots with the calendar's busy time (cached),
the refusal of starts that are not free slots, ops overrides, and the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from lib.access import SYSTEM, Actor, Role, expert_actor
from lib.config import Settings, load_settings
from lib.domain import BookingRequest, NewCustomer
from lib.entrypoints.cli import main as cli_main
from lib.errors import ConfigError, InvalidInput, PermissionDenied, SlotUnavailable
from lib.meetings import BusyTimes
from lib.payments.demo_gateway import DemoGateway
from lib.scheduling import WEEKDAYS, Availability, Reason, TimeRange, from_json
from lib.scheduling.model import MAX_DOCUMENT_BYTES
from lib.scheduling.parse import MAX_FILE_BYTES
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from lib.wiring import build_service
from tests.support.bookings import ALWAYS_OPEN
from tests.support.env import clean_environ
from tests.support.fakes import FixedClock

ROOT = Path(__file__).resolve().parents[1]
TZ_NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 30 November 2026, 08:00 WIB
MONDAY = date(2026, 11, 30)
LUNCH = Availability(weekly=((TimeRange(540, 720), TimeRange(780, 1020)),) * 5 + ((), ()), min_notice_minutes=60)


@pytest.fixture
def svc(tmp_path, provider, sender) -> BookingService:
    store = SQLiteStore(tmp_path / "a.db")
    service = BookingService(store, provider, DemoGateway(), sender, Settings(sqlite_path=str(tmp_path / "a.db")),
                             clock=FixedClock(TZ_NOW), sleep=lambda s: None)
    store.add_expert("Sari", "sari@example.com", 250_000, "Career", "sari.cal@example.com")
    store.add_expert("Budi", "budi@example.com", 400_000)
    return service


def ids(svc):
    return {e.name: e for e in svc.experts(actor=SYSTEM)}


def ask(svc, at: time, day: date = MONDAY, name: str = "Sari", **kw) -> BookingRequest:
    return BookingRequest(expert_id=ids(svc)[name].id, session_type="Career mentoring", scheduled_date=day,
                          scheduled_time=at, duration=60, new_customer=NewCustomer("Andi", "andi@example.com"), **kw)


def test_without_stored_hours_an_expert_gets_the_default_with_the_horizon_setting(svc):
    svc.settings = Settings(booking_horizon_days=45)
    a = svc.availability(ids(svc)["Sari"].id, actor=SYSTEM)
    assert (a.weekly[0], a.weekly[5], a.horizon_days) == ((TimeRange(540, 1020),), (), 45)


def test_an_expert_sets_only_their_own_hours(svc):
    sari, budi = ids(svc)["Sari"], ids(svc)["Budi"]
    assert svc.set_availability(sari.id, LUNCH, actor=expert_actor(sari)) == LUNCH
    assert svc.availability(sari.id, actor=expert_actor(sari)) == LUNCH
    with pytest.raises(PermissionDenied):
        svc.set_availability(budi.id, LUNCH, actor=expert_actor(sari))
    with pytest.raises(PermissionDenied):
        svc.availability(budi.id, actor=expert_actor(sari))


def test_free_slots_leave_out_lunch_bookings_and_busy_time_and_say_what_the_calendar_said(svc, provider):
    sari = ids(svc)["Sari"]
    svc.set_availability(sari.id, LUNCH, actor=SYSTEM)
    svc.pay(svc.book(ask(svc, time(10, 0)), actor=SYSTEM).id, actor=SYSTEM)
    provider.busy_times = BusyTimes(((datetime(2026, 11, 30, 8, 0, tzinfo=UTC), datetime(2026, 11, 30, 9, 0,
                                                                                           tzinfo=UTC)),), read=True)
    found = svc.free_slots(sari.id, 60, MONDAY, 1, actor=SYSTEM)
    starts = [s.start.strftime("%H:%M") for s in found.slots]
    assert starts == ["09:00", "11:00", "13:00", "13:30", "14:00", "16:00"]  # 15:00-16:00 WIB busy
    assert found.calendar == "ok" and provider.busy_calls[-1][0] == "sari.cal@example.com"
    provider.busy_times = BusyTimes(read=True, error="notFound")
    svc.cancel(svc.recent_bookings(actor=SYSTEM)[0].id, actor=SYSTEM)  # a change drops the cached answer
    found = svc.free_slots(sari.id, 60, MONDAY, 1, actor=SYSTEM)
    assert found.calendar == "unavailable: notFound" and "15:00" in [s.start.strftime("%H:%M") for s in found.slots]
    provider.busy_times = BusyTimes()
    assert svc.free_slots(sari.id, 60, MONDAY, 1, actor=SYSTEM).calendar == "unavailable: notFound"  # cached


def test_busy_time_is_asked_once_per_range_within_the_cache_time(svc, provider):
    sari = ids(svc)["Sari"]
    for _ in range(3):
        svc.free_slots(sari.id, 60, MONDAY, 7, actor=SYSTEM)
    assert len(provider.busy_calls) == 1
    svc.clock.now += timedelta(seconds=61)
    svc.free_slots(sari.id, 60, MONDAY, 7, actor=SYSTEM)
    assert len(provider.busy_calls) == 2


def test_book_refuses_a_start_that_is_not_free_saying_why_and_offering_the_nearest(svc):
    sari = ids(svc)["Sari"]
    svc.set_availability(sari.id, LUNCH, actor=SYSTEM)
    with pytest.raises(SlotUnavailable) as lunch:
        svc.book(ask(svc, time(12, 0)), actor=SYSTEM)
    assert lunch.value.reason is Reason.OUTSIDE_HOURS
    assert [s.start.strftime("%H:%M") for s in lunch.value.nearest] == ["10:30", "11:00", "13:00"]
    assert "outside the expert's hours" in str(lunch.value)
    assert "Nearest free times: Monday, 30 November 2026, 10:30 WIB; Monday, 30 November 2026, 11:00 WIB" \
        in str(lunch.value)
    svc.set_availability(sari.id, Availability(weekly=LUNCH.weekly, min_notice_minutes=120), actor=SYSTEM)
    with pytest.raises(SlotUnavailable, match="too soon") as soon:
        svc.book(ask(svc, time(9, 0)), actor=SYSTEM)
    assert soon.value.reason is Reason.TOO_SOON
    assert svc.recent_bookings(actor=SYSTEM) == []


def test_the_calendar_being_down_does_not_block_booking(svc, provider):
    provider.busy_times = BusyTimes(read=True, error="Google did not answer")
    assert svc.book(ask(svc, time(10, 0)), actor=SYSTEM).scheduled_time == time(10, 0)


def test_busy_in_google_calendar_is_refused_with_its_reason(svc, provider):
    provider.busy_times = BusyTimes(((datetime(2026, 11, 30, 3, 0, tzinfo=UTC), datetime(2026, 11, 30, 4, 0,
                                                                                           tzinfo=UTC)),), read=True)
    with pytest.raises(SlotUnavailable, match="busy in their Google Calendar") as busy:
        svc.book(ask(svc, time(10, 0)), actor=SYSTEM)
    assert busy.value.reason is Reason.BUSY_IN_CALENDAR


def test_ops_may_override_with_a_reason_in_the_history_and_others_may_not(svc):
    ops = Actor(Role.OPS, email="ops@example.com")
    with pytest.raises(SlotUnavailable):
        svc.book(ask(svc, time(20, 0), override_reason="   "), actor=ops)  # an empty reason is no reason
    booked = svc.book(ask(svc, time(20, 0), override_reason="customer in Tokyo"), actor=ops)
    [entry] = [h for h in svc.history(booked.id, actor=SYSTEM) if h.event == "slot override"]
    assert "customer in Tokyo" in entry.detail and entry.actor == "ops:ops@example.com"
    sari = ids(svc)["Sari"]
    with pytest.raises(PermissionDenied):
        svc.reschedule(booked.id, MONDAY, time(21, 0), actor=expert_actor(sari), override_reason="please")
    with pytest.raises(SlotUnavailable):
        svc.reschedule(booked.id, MONDAY, time(21, 0), actor=expert_actor(sari))
    moved = svc.reschedule(booked.id, MONDAY, time(21, 0), actor=ops, override_reason="still Tokyo")
    assert moved.scheduled_time == time(21, 0)
    assert [h.event for h in svc.history(booked.id, actor=SYSTEM)].count("slot override") == 2


def test_reschedule_does_not_count_the_booking_s_own_time(svc):
    b = svc.book(ask(svc, time(10, 0)), actor=SYSTEM)
    assert svc.reschedule(b.id, MONDAY, time(10, 30), actor=SYSTEM).scheduled_time == time(10, 30)


def test_search_customers_is_staff_only_and_limited(svc):
    svc.store.add_customer(NewCustomer("Andi Pratama", "andi@example.com"))
    assert [c.name for c in svc.search_customers("andi", actor=SYSTEM)] == ["Andi Pratama"]
    with pytest.raises(PermissionDenied):
        svc.search_customers("andi", actor=expert_actor(ids(svc)["Sari"]))
    with pytest.raises(InvalidInput):
        svc.search_customers("andi", 0, actor=SYSTEM)


# -- the command line ---------------------------------------------------------------------------------

def test_cli_availability_prints_sets_and_refuses_bad_files(service, tmp_path, capsys):
    sari = service.store.add_expert("Sari", "sari@example.com", 250_000)
    assert cli_main(["availability", "SARI@example.com", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["expert"] == sari.id and shown["weekly"]["mon"] == [["09:00", "17:00"]]
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"weekly": {"tue": [["09:00", "12:00"], ["13:00", "17:00"]]}, "max_per_day": 3}))
    assert cli_main(["availability", sari.id, "--set", str(good)]) == 0
    assert service.store.get_availability(sari.id) == from_json({"weekly": {"tue": [["09:00", "12:00"],
                                                                                   ["13:00", "17:00"]]},
                                                                 "max_per_day": 3})
    capsys.readouterr()
    for text, words in (('{"weekly": {"mon": [["09:00", "25:00"]]}}',
                         "Monday, first range (09:00–25:00): 25:00 is not a time of day"),
                        ('{"weekly": {"mon": [["12:00", "09:00"]]}}',
                         "Monday, first range (12:00–09:00): the end is before the start."),
                        ('{"weekly": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}',
                         "Monday: 09:00–12:00 and 11:00–13:00 overlap."),
                        ('{"min_notice_minutes": 200000}', "Minimum notice (min_notice_minutes): must be from 0 to "
                                                           "129600 minutes (90 days), not 200000."),
                        ("{not json", "is not JSON")):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        assert cli_main(["availability", sari.id, "--set", str(bad)]) == 2
        assert words in capsys.readouterr().err
    assert service.store.get_availability(sari.id).max_per_day == 3  # nothing saved
    assert cli_main(["availability", "nobody@example.com", "--json"]) == 2


def test_cli_slots_prints_json_with_offsets_and_the_calendar_state(service, capsys):
    sari = service.store.add_expert("Sari", "sari@example.com", 250_000)
    service.store.set_availability(sari.id, Availability(weekly=((TimeRange(540, 660),),) * 7, min_notice_minutes=0))
    first = service.today() + timedelta(days=1)
    assert cli_main(["slots", "sari@example.com", "--from", first.isoformat(), "--days", "2", "--duration", "60",
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["expert"] == sari.id and out["duration"] == 60 and out["calendar"] == "not connected"
    assert [s["start"] for s in out["slots"]] == [f"{d}T{t}:00+07:00" for d in (first, first + timedelta(days=1))
                                                  for t in ("09:00", "09:30", "10:00")]
    assert out["slots"][0]["end"] == f"{first}T10:00:00+07:00"
    assert cli_main(["slots", sari.id, "--duration", "50"]) == 2


# -- the calendar whose busy time counts -----------------------------------------------------------

def test_only_ops_change_a_calendar_id_an_expert_not_even_their_own(svc):
    # The organizer's account reads whatever calendar is named: an expert naming someone else's
    # would see that person's busy times in their own free slots.
    sari, budi = ids(svc)["Sari"], ids(svc)["Budi"]
    for expert in (sari, budi):
        with pytest.raises(PermissionDenied, match="Only ops staff can change a calendar id; ask them"):
            svc.set_calendar_id(expert.id, "ceo@example.com", actor=expert_actor(sari))
    with pytest.raises(PermissionDenied, match="^Only ops staff can change a calendar id.$"):
        svc.set_calendar_id(budi.id, "x@example.com", actor=Actor(Role.NONE, email="x@example.com"))
    assert svc.store.get_expert(sari.id).calendar_id == "sari.cal@example.com"
    assert svc.store.get_expert(budi.id).calendar_id == "budi@example.com"
    ops = Actor(Role.OPS, email="ops@example.com")
    changed = svc.set_calendar_id(sari.id, "  team@group.calendar.google.com ", actor=ops)
    assert changed.calendar_id == "team@group.calendar.google.com" == svc.store.get_expert(sari.id).calendar_id
    assert svc.set_calendar_id(budi.id, "budi.cal@example.com", actor=SYSTEM).calendar_id == "budi.cal@example.com"
    assert svc.set_calendar_id(budi.id, "BUDI@example.com", actor=ops).calendar_id == "budi@example.com"  # their email
    assert svc.availability(sari.id, actor=expert_actor(sari))  # the expert still reads their own page


@pytest.mark.parametrize(("typed", "words"), [("", "empty"), ("   ", "empty"), ("a b@example.com", "space"),
                                               ("a\tb@example.com", "space"), ("x" * 255, "too long")])
def test_a_bad_calendar_id_is_refused_and_nothing_changes(svc, typed, words):
    sari = ids(svc)["Sari"]
    with pytest.raises(InvalidInput, match=words):
        svc.set_calendar_id(sari.id, typed, actor=SYSTEM)
    assert svc.store.get_expert(sari.id).calendar_id == "sari.cal@example.com"
    assert svc.set_calendar_id(sari.id, "x" * 254, actor=SYSTEM).calendar_id == "x" * 254


def test_changing_the_calendar_id_drops_the_cached_busy_time(svc, provider):
    sari = ids(svc)["Sari"]
    provider.busy_times = BusyTimes(read=True, error="notFound")
    assert svc.free_slots(sari.id, 60, MONDAY, 1, actor=SYSTEM).calendar == "unavailable: notFound"
    provider.busy_times = BusyTimes(read=True)  # another calendar, shared, reads fine
    ops = Actor(Role.OPS, email="ops@example.com")
    svc.set_calendar_id(sari.id, "sari.shared@example.com", actor=ops)
    assert svc.free_slots(sari.id, 60, MONDAY, 1, actor=SYSTEM).calendar == "ok"
    assert provider.busy_calls[-1][0] == "sari.shared@example.com" and len(provider.busy_calls) == 2
    # Back to the first calendar, now shared with the organizer: it is asked again at once,
    # not answered from the "notFound" kept from before.
    svc.set_calendar_id(sari.id, "sari.cal@example.com", actor=ops)
    assert svc.free_slots(sari.id, 60, MONDAY, 1, actor=SYSTEM).calendar == "ok"
    assert provider.busy_calls[-1][0] == "sari.cal@example.com" and len(provider.busy_calls) == 3
    # Saving the same id again is how ops ask for a fresh read after the sharing was fixed.
    provider.busy_times = BusyTimes(read=True, error="notFound")
    svc.set_calendar_id(sari.id, "sari.cal@example.com", actor=ops)
    assert svc.free_slots(sari.id, 60, MONDAY, 1, actor=SYSTEM).calendar == "unavailable: notFound"


def test_cli_availability_sets_the_calendar_id(service, capsys):
    sari = service.store.add_expert("Sari", "sari@example.com", 250_000)
    assert cli_main(["availability", "sari@example.com", "--calendar-id", "sari.team@example.com"]) == 0
    assert "sari.team@example.com" in capsys.readouterr().out
    assert service.store.get_expert(sari.id).calendar_id == "sari.team@example.com"
    assert cli_main(["availability", sari.id, "--calendar-id", "two words"]) == 2
    assert "space" in capsys.readouterr().err
    assert service.store.get_expert(sari.id).calendar_id == "sari.team@example.com"
    assert cli_main(["availability", sari.id]) == 0
    shown = capsys.readouterr().out
    assert "calendar sari.team@example.com" in shown and "no daily maximum" in shown
    assert "any number" not in shown


def test_cli_set_fills_left_out_keys_from_the_app_settings(service, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CALLEXPERT_TIMEZONE", "Europe/Amsterdam")
    monkeypatch.setenv("CALLEXPERT_BOOKING_HORIZON_DAYS", "60")
    sari = service.store.add_expert("Sari", "sari@example.com", 250_000)
    monday_only = tmp_path / "monday.json"
    monday_only.write_text(json.dumps({"weekly": {"mon": [["09:00", "17:00"]]}}))
    assert cli_main(["availability", sari.id, "--set", str(monday_only), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["timezone"], shown["horizon_days"]) == ("Europe/Amsterdam", 60)
    assert shown["weekly"]["mon"] == [["09:00", "17:00"]] and shown["weekly"]["tue"] == []
    assert cli_main(["availability", sari.id]) == 0
    assert "(Europe/Amsterdam)" in (out := capsys.readouterr().out) and "60 days ahead" in out


def test_the_default_availability_setting_gives_experts_without_hours_theirs(service, monkeypatch):
    sari = service.store.add_expert("Sari", "sari@example.com", 250_000)
    monkeypatch.setenv("CALLEXPERT_DEFAULT_AVAILABILITY",
                       json.dumps({"weekly": {"sat": [["09:00", "12:00"]]}, "slot_step_minutes": 15}))
    a = build_service(load_settings()).availability(sari.id, actor=SYSTEM)
    assert (a.weekly[5], a.weekly[0], a.slot_step_minutes) == ((TimeRange(540, 720),), (), 15)
    # The keys it leaves out keep the built-in default, with the app's timezone and horizon.
    assert (a.min_notice_minutes, a.timezone, a.horizon_days) == (60, "Asia/Jakarta", 365)
    assert service.availability(sari.id, actor=SYSTEM).weekly[0] == (TimeRange(540, 1020),)  # without it


@pytest.mark.parametrize(("value", "words"), [
    ("{weekly", "is not JSON"),
    (json.dumps({"weekly": {"mon": [["17:00", "09:00"]]}}), "Monday, first range (17:00–09:00): the end is before"),
    (json.dumps({"slot_step_minutes": 7}), "slot_step_minutes"),
], ids=["not JSON", "a range ending before it starts", "a step not offered"])
def test_a_bad_default_availability_stops_the_console_naming_the_setting(app_env, monkeypatch, value, words):
    monkeypatch.setenv("CALLEXPERT_DEFAULT_AVAILABILITY", value)
    with pytest.raises(ConfigError, match="Setting `default_availability`") as refused:
        load_settings()
    assert words in str(refused.value)


def test_always_open_holds_here_and_in_the_processes_a_test_starts(always_open, service, tmp_path):
    sari = service.store.add_expert("Sari", "sari@example.com", 250_000)
    assert service.availability(sari.id, actor=SYSTEM) == ALWAYS_OPEN
    env = clean_environ(tmp_path, CALLEXPERT_SQLITE_PATH=os.environ["CALLEXPERT_SQLITE_PATH"])
    shown = subprocess.run([sys.executable, "-m", "lib", "availability", sari.id, "--json"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120, check=True)
    assert from_json(json.loads(shown.stdout)) == ALWAYS_OPEN


def test_cli_refuses_files_past_the_limits_in_words_and_saves_nothing(service, tmp_path, capsys):
    sari = service.store.add_expert("Sari", "sari@example.com", 250_000)
    exported = tmp_path / "exported.json"
    # The largest availability the limits allow, exported indented as --json prints it, loads back.
    ranges = [[f"{h:02d}:00", f"{h:02d}:59"] for h in range(10, 22, 2)]
    first = service.today() + timedelta(days=1)
    largest = {"weekly": dict.fromkeys(WEEKDAYS, ranges),
               "overrides": {str(first + timedelta(days=i)): ranges for i in range(366)}}
    exported.write_text(json.dumps(largest, indent=2))
    assert exported.stat().st_size > MAX_DOCUMENT_BYTES
    assert cli_main(["availability", sari.id, "--set", str(exported)]) == 0
    assert len(service.store.get_availability(sari.id).overrides) == 366
    capsys.readouterr()
    too_far = str(service.today() + timedelta(days=731))
    for document, words in (
            ({"weekly": {"wed": [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(7)]}},
             "Wednesday: at most 6 ranges a day, not 7."),
            ({"overrides": {str(first + timedelta(days=i)): [] for i in range(367)}},
             "The date overrides (overrides): at most 366 date overrides, not 367; remove the dates that have "
             "passed or are not needed."),
            ({"overrides": {too_far: []}}, "a date override can be at most 730 days ahead, until"),
            ({"weekly": {"mon": [["09:00", "12:00"]]}, "expert": "x" * MAX_DOCUMENT_BYTES},
             "is too large: an availability can be at most 65536 bytes (64 KB) of JSON, not 65")):
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(document))
        assert cli_main(["availability", sari.id, "--set", str(bad)]) == 2
        assert words in capsys.readouterr().err
    huge = tmp_path / "huge.json"
    huge.write_text(" " * MAX_FILE_BYTES + "{}")
    assert cli_main(["availability", sari.id, "--set", str(huge)]) == 2
    assert "huge.json is too large: an availability file can be at most 262144 bytes (256 KB); nothing was saved" \
        in capsys.readouterr().err
    assert len(service.store.get_availability(sari.id).overrides) == 366  # nothing saved
