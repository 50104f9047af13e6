"""Reminder emails before confirmed sessions: when they are queued, that each goes out once,
that a move or a cancellation takes them along, and the alarms of the invitations."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from lib.access import SYSTEM
from lib.config import Settings, load_settings
from lib.domain import Booking, BookingRequest, BookingStatus, Email, EmailStatus, JobOutcome, NewCustomer
from lib.entrypoints.cli import main as cli_main
from lib.entrypoints.worker import JOBS, Worker
from lib.errors import ConfigError, PermissionDenied
from lib.notify.in_app_sender import OutboxOnlySender
from lib.notify.templates import emails_for, reminder_emails
from lib.payments.demo_gateway import DemoGateway
from lib.scheduling.model import Availability, TimeRange
from lib.service import BookingService
from lib.service.outbox import Outbox
from lib.store.sqlite import SQLiteStore
from tests.support.fakes import FixedClock, FlakyProvider
from tests.support.hours import default_hours
from tests.support.postgres import apply_migrations, fresh_database, psycopg
from tests.support.postgrest import supabase_over_postgres
from tests.support.world import DAY, START, World, at, book, build

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build(tmp_path)


def reminders(world: World) -> list[Email]:
    return sorted((e for e in world.svc.emails(actor=SYSTEM) if e.kind.startswith("reminder_")),
                  key=lambda e: (e.kind, e.version))


def test_reminders_are_queued_at_their_moments_and_never_before(world):
    booking = book(world)
    assert at(world, START - timedelta(hours=24, minutes=1)) == 0
    assert reminders(world) == []
    assert at(world, START - timedelta(hours=24)) == 2
    assert [(e.kind, e.version, e.recipient, e.status) for e in reminders(world)] == [
        ("reminder_1440.customer", 0, "andi@example.com", EmailStatus.QUEUED),
        ("reminder_1440.expert", 0, "sari@example.com", EmailStatus.QUEUED)]
    assert at(world, START - timedelta(hours=23)) == 0  # a rerun queues nothing new
    assert world.svc.dispatch_emails(actor=SYSTEM).sent == 2
    assert at(world, START - timedelta(hours=1, seconds=1)) == 0
    assert at(world, START - timedelta(hours=1)) == 2
    assert at(world, START - timedelta(minutes=59)) == 0
    world.svc.dispatch_emails(actor=SYSTEM)
    assert [(e.kind, e.status) for e in reminders(world)] == [
        ("reminder_1440.customer", EmailStatus.SENT), ("reminder_1440.expert", EmailStatus.SENT),
        ("reminder_60.customer", EmailStatus.SENT), ("reminder_60.expert", EmailStatus.SENT)]

    # In the recipient's language (Indonesian by default) and the app zone, with the join link.
    to_customer = next(e for e in reminders(world) if e.kind == "reminder_60.customer")
    assert to_customer.subject == "Pengingat: Mentoring karier dengan Sari pukul 14:00 WIB"
    for body in (to_customer.body_text, to_customer.body_html):
        assert "Kamis, 26 November 2026, 14:00 WIB" in body and booking.meeting_link in body
    assert f'href="{booking.meeting_link}"' in to_customer.body_html and "Gabung ke rapat" in to_customer.body_html
    assert to_customer.ics is None


def test_english_reminders_follow_the_setting(tmp_path):
    world = build(tmp_path, email_language="en", timezone="Asia/Makassar")
    book(world)  # 14:00 WITA = 06:00 UTC
    assert at(world, datetime(2026, 11, 26, 5, 0, tzinfo=UTC)) == 2
    to_expert = next(e for e in reminders(world) if e.kind == "reminder_60.expert")
    assert to_expert.subject == "Reminder: Career mentoring with Andi at 14:00 WITA"
    assert "Thursday, 26 November 2026, 14:00 WITA" in to_expert.body_text
    assert "Join meeting" in to_expert.body_html and "Pengingat" not in to_expert.body_text


def test_two_services_on_one_database_queue_and_send_each_reminder_once(world, tmp_path):
    book(world)
    other = build(tmp_path, world.clock, seed=False)  # a second worker on the same SQLite file
    world.clock.now = START - timedelta(hours=2)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(svc: BookingService) -> None:
        try:
            barrier.wait()
            svc.queue_reminders(actor=SYSTEM)
            svc.queue_reminders(actor=SYSTEM)
            svc.dispatch_emails(actor=SYSTEM)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(svc,)) for svc in (world.svc, other.svc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [(e.kind, e.status, e.attempts) for e in reminders(world)] == [
        ("reminder_1440.customer", EmailStatus.SENT, 1), ("reminder_1440.expert", EmailStatus.SENT, 1)]


def test_a_reschedule_drops_the_old_reminders_and_the_new_time_gets_its_own(world):
    booking = book(world)
    at(world, START - timedelta(hours=20))
    assert len(reminders(world)) == 2  # queued for the old time, not sent yet
    world.svc.reschedule(booking.id, DAY + timedelta(days=1), time(9, 0), actor=SYSTEM)  # 02:00 UTC on the 27th
    assert reminders(world) == []  # dropped in the reschedule's own transaction
    new_start = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    assert at(world, new_start - timedelta(hours=24, seconds=1)) == 0  # the new time is further off
    assert at(world, new_start - timedelta(hours=24)) == 2
    world.svc.dispatch_emails(actor=SYSTEM)
    [customer, _] = reminders(world)
    assert (customer.kind, customer.version, customer.status) == ("reminder_1440.customer", 1, EmailStatus.SENT)
    assert "Jumat, 27 November 2026, 09:00 WIB" in customer.body_text


def test_a_reminder_of_the_old_time_queued_during_a_reschedule_is_not_sent(world):
    booking = book(world)
    world.clock.now = START - timedelta(hours=20)
    world.svc.reschedule(booking.id, DAY + timedelta(days=1), time(9, 0), actor=SYSTEM)
    # A worker read the booking before the move and queues its reminders just after it.
    world.store.queue_emails(reminder_emails(booking, 1440, world.svc.settings.tz), world.clock())
    result = world.svc.dispatch_emails(actor=SYSTEM)
    assert (result.sent, result.dropped) == (0, 2)
    assert reminders(world) == []


def test_a_cancelled_booking_gets_no_reminder(world):
    booking = book(world)
    at(world, START - timedelta(hours=20))
    world.svc.cancel(booking.id, "customer asked", actor=SYSTEM)
    assert reminders(world) == []
    assert at(world, START - timedelta(hours=1)) == 0
    # Even one queued by a worker that read the booking before the cancellation is never sent.
    world.store.queue_emails(reminder_emails(booking, 60, world.svc.settings.tz), world.clock())
    result = world.svc.dispatch_emails(actor=SYSTEM)
    assert (result.sent, result.dropped) == (0, 2)
    assert reminders(world) == []


def test_a_missed_moment_sends_only_the_nearest_reminder_before_the_start_and_none_after(world):
    book(world)
    # Nothing ran for a day: both moments have passed; only the 1-hour reminder goes out.
    assert at(world, START - timedelta(minutes=30)) == 2
    assert {e.kind for e in reminders(world)} == {"reminder_60.customer", "reminder_60.expert"}
    assert at(world, START - timedelta(minutes=10)) == 0

    later = book(world, at=time(16, 0))  # 09:00 UTC
    later_start = START + timedelta(hours=2)
    assert at(world, later_start) == 0  # started: skipped
    assert at(world, later_start + timedelta(minutes=5)) == 0
    assert not [e for e in reminders(world) if e.booking_id == later.id]


def test_a_nearer_reminder_replaces_a_queued_earlier_one_and_none_goes_out_after_the_start(world):
    booking = book(world)
    at(world, START - timedelta(hours=20))  # the 24-hour reminders wait in the queue (no dispatcher ran)
    assert at(world, START - timedelta(minutes=40)) == 2
    assert {e.kind for e in reminders(world)} == {"reminder_60.customer", "reminder_60.expert"}
    world.clock.now = START + timedelta(minutes=1)  # the dispatcher comes back after the start
    result = world.svc.dispatch_emails(actor=SYSTEM)
    assert (result.sent, result.dropped) == (0, 2)
    assert reminders(world) == [] and booking.id


def test_no_reminders_when_the_setting_is_empty_and_only_staff_may_queue_them(tmp_path):
    world = build(tmp_path, reminder_offsets=())
    book(world)
    assert at(world, START - timedelta(minutes=30)) == 0 and reminders(world) == []
    from lib.access import Actor, Role

    with pytest.raises(PermissionDenied):
        world.svc.queue_reminders(actor=Actor(Role.EXPERT, email="sari@example.com"))


def test_custom_offsets_are_used(tmp_path):
    world = build(tmp_path, reminder_offsets=(180,))
    book(world)
    assert at(world, START - timedelta(hours=3, seconds=1)) == 0
    assert at(world, START - timedelta(hours=3)) == 2
    assert {e.kind for e in reminders(world)} == {"reminder_180.customer", "reminder_180.expert"}


def test_the_invitation_carries_one_alarm_per_reminder(tmp_path):
    world = build(tmp_path)
    booking = book(world)
    confirmation = next(e for e in world.svc.emails(actor=SYSTEM) if e.kind == "confirmed.customer")
    [event] = Calendar.from_ical(confirmation.ics).walk("VEVENT")
    alarms = event.walk("VALARM")
    assert sorted(a.decoded("TRIGGER") for a in alarms) == [timedelta(hours=-24), timedelta(hours=-1)]
    assert {str(a["ACTION"]) for a in alarms} == {"DISPLAY"}
    assert {str(a["DESCRIPTION"]) for a in alarms} == {str(event["SUMMARY"])}

    world.svc.reschedule(booking.id, DAY + timedelta(days=1), time(9, 0), actor=SYSTEM)
    moved = next(e for e in world.svc.emails(actor=SYSTEM) if e.kind == "rescheduled.expert")
    [event] = Calendar.from_ical(moved.ics).walk("VEVENT")
    assert len(event.walk("VALARM")) == 2
    world.svc.cancel(booking.id, "customer asked", actor=SYSTEM)
    gone = next(e for e in world.svc.emails(actor=SYSTEM) if e.kind == "cancelled.customer")
    assert "BEGIN:VALARM" not in gone.ics  # a cancellation removes the event; nothing to remind of


def test_no_alarms_without_reminders(tmp_path):
    world = build(tmp_path, reminder_offsets=())
    book(world)
    assert all("VALARM" not in (e.ics or "") for e in world.svc.emails(actor=SYSTEM))


@pytest.mark.parametrize(("raw", "expected"), [
    (None, (1440, 60)),
    ('["24h", "1h"]', (1440, 60)),
    ("[60, 1440]", (1440, 60)),
    ('["90m", "1d", 15]', (1440, 90, 15)),
    ("[]", ()),
])
def test_reminder_offsets_setting(tmp_path, raw, expected):
    path = tmp_path / "secrets.toml"
    path.write_text("" if raw is None else f"reminder_offsets = {raw}\n")
    assert load_settings(path, {}).reminder_offsets == expected


def test_reminder_offsets_from_the_environment(tmp_path):
    env = {"CALLEXPERT_REMINDER_OFFSETS": "2h, 30m"}
    assert load_settings(tmp_path / "none.toml", env).reminder_offsets == (120, 30)


@pytest.mark.parametrize("raw", ['["0h"]', '["soon"]', '["8d"]', '["1h", "60m"]', "[-5]", "[true]", '["1.5h"]'])
def test_bad_reminder_offsets_are_refused_naming_the_setting(tmp_path, raw):
    path = tmp_path / "secrets.toml"
    path.write_text(f"reminder_offsets = {raw}\n")
    with pytest.raises(ConfigError, match="reminder_offsets"):
        load_settings(path, {})


def test_the_command_queues_the_due_reminders(world, monkeypatch, capsys):
    book(world)
    world.clock.now = START - timedelta(minutes=30)
    monkeypatch.setattr("lib.entrypoints.cli._service", lambda: world.svc)
    assert cli_main(["queue-reminders"]) == 0
    assert "Queued 2 reminder email(s)" in capsys.readouterr().out
    assert cli_main(["queue-reminders"]) == 0
    assert "Queued 0 reminder email(s)" in capsys.readouterr().out


def test_one_worker_round_queues_a_due_reminder_and_sends_it(world):
    from lib.entrypoints.worker import Worker

    book(world)
    world.svc.dispatch_emails(actor=SYSTEM)  # the confirmations are out of the way
    world.clock.now = START - timedelta(minutes=50)  # the 1-hour reminder is due
    assert Worker(world.svc, name="host:1").run_once() is True
    assert [(e.kind, e.status) for e in reminders(world)] == [
        ("reminder_60.customer", EmailStatus.SENT), ("reminder_60.expert", EmailStatus.SENT)]
    assert {r.job: r.counts for r in world.svc.job_runs(actor=SYSTEM)}["queue-reminders"] == {"queued": 2, "failed": 0}


# -- each person's zone ----------------------------------------------------------------------------

def expert_hours(world: World, zone: str, ranges: tuple[TimeRange, ...] = (TimeRange(9 * 60, 17 * 60),)) -> None:
    """Give Sari their own availability in ``zone``: ``ranges`` every day of the week."""
    expert = next(e.id for e in world.svc.experts(actor=SYSTEM) if e.name == "Sari")
    world.svc.set_availability(expert, Availability(weekly=(ranges,) * 7, timezone=zone), actor=SYSTEM)


def emails_of(world: World, kind: str) -> list[Email]:
    return [e for e in world.svc.emails(actor=SYSTEM) if e.kind == kind]


def description(email: Email) -> str:
    assert email.ics is not None
    [event] = Calendar.from_ical(email.ics).walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Asia/Jakarta"  # calendar clients convert it themselves
    return str(event["DESCRIPTION"])


def test_an_expert_with_their_own_zone_gets_every_email_in_it_and_the_customer_keeps_the_app_zone(world):
    expert_hours(world, "Asia/Makassar")  # WITA, an hour ahead of Jakarta
    booking = book(world)  # 14:00 WIB = 15:00 WITA
    [to_customer] = emails_of(world, "confirmed.customer")
    [to_expert] = emails_of(world, "confirmed.expert")
    for body in (to_expert.body_text, to_expert.body_html, description(to_expert)):
        assert "Kamis, 26 November 2026, 15:00 WITA" in body and "WIB" not in body
    for body in (to_customer.body_text, to_customer.body_html, description(to_customer)):
        assert "Kamis, 26 November 2026, 14:00 WIB" in body and "WITA" not in body

    assert at(world, START - timedelta(hours=1)) == 2
    [reminder] = emails_of(world, "reminder_60.expert")
    assert reminder.subject == "Pengingat: Mentoring karier dengan Andi pukul 15:00 WITA"
    assert "Kamis, 26 November 2026, 15:00 WITA" in reminder.body_text and booking.meeting_link in reminder.body_text
    [reminder] = emails_of(world, "reminder_60.customer")
    assert reminder.subject == "Pengingat: Mentoring karier dengan Sari pukul 14:00 WIB"

    world.svc.reschedule(booking.id, DAY, time(15, 0), actor=SYSTEM)
    [moved] = emails_of(world, "rescheduled.expert")
    assert "Kamis, 26 November 2026, 16:00 WITA" in moved.body_text and "16:00 WITA" in description(moved)
    assert "15:00 WIB" in emails_of(world, "rescheduled.customer")[0].body_text
    world.svc.cancel(booking.id, actor=SYSTEM)
    assert "16:00 WITA" in emails_of(world, "cancelled.expert")[0].body_text
    assert "15:00 WIB" in emails_of(world, "cancelled.customer")[0].body_text


def test_an_expert_in_amsterdam_in_winter_gets_cet_and_the_day_it_is_there(tmp_path):
    world = build(tmp_path, email_language="en")
    expert_hours(world, "Europe/Amsterdam", (TimeRange(7 * 60, 9 * 60), TimeRange(22 * 60, 24 * 60)))
    book(world)  # 14:00 WIB = 07:00 UTC = 08:00 CET (UTC+1 in winter)
    [to_expert] = emails_of(world, "confirmed.expert")
    assert "Thursday, 26 November 2026, 08:00 CET" in to_expert.body_text
    assert "Thursday, 26 November 2026, 08:00 CET" in description(to_expert)
    assert "Thursday, 26 November 2026, 14:00 WIB" in emails_of(world, "confirmed.customer")[0].body_text

    late = book(world, date(2026, 11, 27), time(5, 0))  # Friday 05:00 WIB = Thursday 23:00 CET
    assert at(world, datetime(2026, 11, 26, 21, 0, tzinfo=UTC)) == 2
    [reminder] = [e for e in emails_of(world, "reminder_60.expert") if e.booking_id == late.id]
    assert reminder.subject == "Reminder: Career mentoring with Andi at 23:00 CET"
    assert "Thursday, 26 November 2026, 23:00 CET" in reminder.body_text
    [reminder] = [e for e in emails_of(world, "reminder_60.customer") if e.booking_id == late.id]
    assert "Friday, 27 November 2026, 05:00 WIB" in reminder.body_text


def test_the_expert_zone_follows_daylight_saving_time():
    summer = Booking(id="b1", user_id="c", expert_id="e", session_type="Career mentoring",
                     scheduled_date=date(2027, 6, 10), scheduled_time=time(14, 0), duration=60,
                     status=BookingStatus.CONFIRMED, price=250_000, customer_name="Andi",
                     customer_email="andi@example.com", expert_name="Sari", expert_email="sari@example.com",
                     meeting_link="https://meet.example/abc")
    jakarta, amsterdam = ZoneInfo("Asia/Jakarta"), ZoneInfo("Europe/Amsterdam")
    customer, expert = reminder_emails(summer, 60, jakarta, "en", zones={"expert": amsterdam})
    assert "Thursday, 10 June 2027, 09:00 CEST" in expert.body_text  # UTC+2 in summer
    assert "Thursday, 10 June 2027, 14:00 WIB" in customer.body_text


def test_an_expert_without_their_own_zone_gets_the_app_zone_and_the_same_emails_as_before(tmp_path):
    for zone, abbreviation in (("Asia/Jakarta", "WIB"), ("Asia/Makassar", "WITA")):
        world = build(tmp_path / zone.replace("/", "-"), timezone=zone)
        booking = book(world)
        [to_expert] = emails_of(world, "confirmed.expert")
        assert f"Kamis, 26 November 2026, 14:00 {abbreviation}" in to_expert.body_text

        reads: list[str] = []
        read = world.store.get_availability
        world.store.get_availability = lambda expert_id, read=read, reads=reads: reads.append(expert_id) or read(
            expert_id)
        drafts = Outbox(world.svc.ports).drafts(booking, "confirmed", join_links={})
        assert reads == [booking.expert_id]  # both emails: one read of the expert's zone
        plain = emails_for(booking, "confirmed", ZoneInfo(zone))
        assert [(d.subject, d.body_text, d.body_html) for d in drafts] == [
            (d.subject, d.body_text, d.body_html) for d in plain]

        reads.clear()
        world.clock.now = datetime.combine(DAY, time(13, 0), ZoneInfo(zone))
        assert world.svc.queue_reminders(actor=SYSTEM) == 2 and reads == [booking.expert_id]
        queued = {e.kind: (e.subject, e.body_text, e.body_html) for e in reminders(world)}
        plain = reminder_emails(booking, 60, ZoneInfo(zone))
        assert queued == {d.kind: (d.subject, d.body_text, d.body_html) for d in plain}


# -- one expert's unreadable hours stop no one else's reminders --------------------------------

# What an expert could store through Supabase directly before the database checked it.
UNREADABLE = {"timezone": "Not/AZone", "weekly": {"mon": [["25:00", "xx"]]}, "overrides": {"not-a-date": 5}}


def _store_unreadable(kind: str, where: str, expert_id: str) -> None:
    """Store ``UNREADABLE`` as the expert's hours past every check of the console (and, on
    PostgreSQL, as a row stored before the database had its own checks)."""
    if kind == "sqlite":
        with sqlite3.connect(where) as db:
            db.execute("INSERT OR REPLACE INTO expert_availability (expert_id, schedule, updated_at) VALUES (?, ?, ?)",
                       (expert_id, json.dumps(UNREADABLE), "2026-01-01T00:00:00+00:00"))
        return
    with psycopg.connect(where, autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")  # the check is a trigger: a row from before it
        conn.execute("insert into expert_availability (expert_id, timezone, weekly, overrides) values (%s, %s, %s, %s)",
                     [expert_id, UNREADABLE["timezone"], json.dumps(UNREADABLE["weekly"]),
                      json.dumps(UNREADABLE["overrides"])])


@pytest.fixture(scope="module")
def reminders_pg() -> Iterator[str]:
    with fresh_database("reminders") as dsn:
        apply_migrations(dsn)
        yield dsn


@pytest.fixture(params=["sqlite", "supabase"])
def two_experts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, Any]]:
    """(the store's kind, where its data is, the store) with Sari and Budi and a customer."""
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "two.db"), SQLiteStore(tmp_path / "two.db")
        return
    dsn = request.getfixturevalue("reminders_pg")
    with supabase_over_postgres(dsn) as (store, _stub):
        yield "supabase", dsn, store


def test_one_unreadable_availability_leaves_every_other_reminder_queued(two_experts, caplog):
    kind, where, store = two_experts
    sari = store.add_expert("Sari", "sari@example.com", 250_000, "Career")
    budi = store.add_expert("Budi", "budi@example.com", 400_000, "Business")
    andi = store.add_customer(NewCustomer("Andi", "andi@example.com"))
    # Real time: PostgreSQL stamps the rows itself. The next weekday at least two days ahead, 14:00 WIB.
    day = date.today() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    clock = FixedClock(datetime.combine(day, time(7, 0), UTC) - timedelta(days=2))
    svc = BookingService(store, FlakyProvider(), DemoGateway(), OutboxOnlySender(),
                         Settings(sqlite_path=where if kind == "sqlite" else "unused.db",
                                  default_availability=default_hours()), clock=clock,
                         sleep=lambda _: None)
    booked = {}
    for expert in (sari, budi):
        request = BookingRequest(expert_id=expert.id, session_type="Career mentoring", scheduled_date=day,
                                 scheduled_time=time(14, 0), customer_id=andi.id)
        booked[expert.name] = svc.book_and_pay(request, actor=SYSTEM).booking
    assert all(b.status is BookingStatus.CONFIRMED for b in booked.values())
    _store_unreadable(kind, where, sari.id)

    clock.now = datetime.combine(day, time(6, 0), UTC)  # an hour before 14:00 WIB
    with caplog.at_level(logging.WARNING, logger="lib.service.expert_availability"):
        job = next(j for j in JOBS if j.name == "queue-reminders")
        run = Worker(svc, [job], name="w").run_job(job)
    assert run.outcome is JobOutcome.OK and run.counts == {"queued": 4, "failed": 0}
    queued = {(e.booking_id, e.kind) for e in svc.emails(actor=SYSTEM) if e.kind.startswith("reminder_")}
    assert queued == {(b.id, f"reminder_60.{side}") for b in booked.values() for side in ("customer", "expert")}
    # Sari's own reminder shows the app's zone; the log says whose hours cannot be read, and why.
    [to_sari] = [e for e in svc.emails(actor=SYSTEM) if e.kind == "reminder_60.expert" and e.recipient == sari.email]
    assert "14:00 WIB" in to_sari.body_text
    assert any(sari.id in r.getMessage() and "25:00" in r.getMessage() for r in caplog.records)

    # Sari alone has no hours now, with the reason where ops and she look; Budi's are untouched.
    assert svc.free_slots(sari.id, 60, day + timedelta(days=7), 7, actor=SYSTEM).slots == []
    assert svc.free_slots(budi.id, 60, day + timedelta(days=7), 7, actor=SYSTEM).slots != []
    assert svc.availability_problem(budi.id, actor=SYSTEM) is None
    assert svc.availability_problem(sari.id, actor=SYSTEM) == (
        "The stored hours of Sari cannot be read, so Sari has no bookable hours until new ones are saved. Monday, "
        "first range (25:00–xx): 25:00 is not a time of day; write one from 00:00 to 23:59.")
    # Ops can still cancel her booking (its email is in the app's zone), and saving new hours mends it.
    assert svc.cancel(booked["Sari"].id, "Expert unwell", actor=SYSTEM).status is BookingStatus.CANCELLED
    svc.set_availability(sari.id, Availability(), actor=SYSTEM)
    assert svc.availability_problem(sari.id, actor=SYSTEM) is None
    assert svc.free_slots(sari.id, 60, day + timedelta(days=7), 7, actor=SYSTEM).slots != []


def test_a_session_whose_reminders_fail_leaves_the_others_queued(world, monkeypatch):
    first, second = book(world), book(world, at=time(16, 0))
    render = reminder_emails

    def failing(booking, *args, **kwargs):
        if booking.id == first.id:
            raise RuntimeError("template broke")
        return render(booking, *args, **kwargs)

    monkeypatch.setattr("lib.service.reminders.reminder_emails", failing)
    world.clock.now = START - timedelta(hours=1)
    run = world.svc.queue_reminders_run(actor=SYSTEM)
    assert (run.queued, run.failed) == (2, 1)
    assert {e.booking_id for e in reminders(world)} == {second.id}
