"""The demo data: every demo expert has realistic hours of their own (not all the same, one with a
lunch break, one with a day off this week, in the app's timezone and horizon); every demo
booking was a free slot of its expert when it was made, by the service's own check; the story
(90 days made in a weekly rhythm, the coming two weeks, and each kind of event the Overview and
the Ops page show) is there, the same on every fresh seeding of a day, and never added twice."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.demo_data import EXPERTS, seed_demo
from lib.demo_story import HISTORY_DAYS, plan
from lib.domain import BookingStatus, EmailStatus
from lib.errors import ConfigError
from lib.payments.demo_gateway import DemoGateway
from lib.scheduling import Availability
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from tests.support.fakes import FixedClock, FlakyProvider, RecordingSender

HOLDING = (BookingStatus.PENDING, BookingStatus.PAID, BookingStatus.CONFIRMED)
MONDAY_NOON_UTC = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # Monday 30 November 2026, 12:00 WIB


def seeded(tmp_path, now: datetime, **settings) -> tuple[BookingService, int]:
    db = tmp_path / f"demo-{now:%Y%m%d}.db"
    service = BookingService(SQLiteStore(db), FlakyProvider(), DemoGateway(), RecordingSender(),
                             Settings(sqlite_path=str(db), **settings), clock=FixedClock(now), sleep=lambda s: None)
    return service, seed_demo(service)


def demo_experts(service: BookingService):
    by_email = {e.email: e for e in service.experts(actor=SYSTEM)}
    return [by_email[email] for _, email, _, _ in EXPERTS]


@pytest.mark.parametrize("days_after_monday", range(7))  # seeded on each day of the week
def test_demo_hours_differ_with_a_lunch_break_and_a_day_off_this_week(tmp_path, days_after_monday):
    service, _ = seeded(tmp_path, MONDAY_NOON_UTC + timedelta(days=days_after_monday))
    hours = [service.availability(e.id, actor=SYSTEM) for e in demo_experts(service)]
    assert len(hours) == 4 and len(set(hours)) == 4  # nobody shares another's hours
    assert any(len(day) == 2 for a in hours for day in a.weekly[:5])  # a weekday with a lunch break
    today = service.today()
    coming_week = [today + timedelta(days=n) for n in range(7)]
    assert any(a.hours_on(day) == () and any(d == day for d, _ in a.overrides)
               for a in hours for day in coming_week if day.weekday() < 5)  # a day off, on a working weekday


def all_bookings(service: BookingService):
    return service.recent_bookings(limit=5000, actor=SYSTEM)


@pytest.mark.parametrize("days_after_monday", range(7))
def test_every_demo_booking_was_a_free_slot_of_its_expert_when_it_was_made(tmp_path, days_after_monday):
    service, made = seeded(tmp_path, MONDAY_NOON_UTC + timedelta(days=days_after_monday))
    bookings = all_bookings(service)
    assert made == len(bookings) > 300
    # Cancelled and expired bookings gave their time back: later ones may take it. The others held it.
    kept = [b for b in bookings if b.status not in (BookingStatus.CANCELLED, BookingStatus.EXPIRED)]
    assert {b.status for b in kept} == {*HOLDING, BookingStatus.COMPLETED}
    experts = {e.id: e for e in demo_experts(service)}
    now = service.clock.now
    for b in kept:
        service.clock.now = b.created_at  # the service's own check of book, as it stood then: None is free
        assert service._scheduling.check_start(experts[b.expert_id], b.scheduled_date, b.scheduled_time,
                                               b.duration, actor=SYSTEM, exclude_booking=b.id) is None, b
    service.clock.now = now
    for b in kept:  # what is still to come (past the longest notice) is a free slot now too
        if b.status in HOLDING and datetime.combine(b.scheduled_date, b.scheduled_time, service.tz) > now + timedelta(
                hours=3):
            free = service.free_slots(b.expert_id, b.duration, b.scheduled_date, 1, actor=SYSTEM,
                                      exclude_booking=b.id)
            assert (b.scheduled_date, b.scheduled_time) in {(s.start.date(), time(s.start.hour, s.start.minute))
                                                            for s in free.slots}, b


def test_demo_hours_take_the_app_timezone_and_booking_horizon(tmp_path):
    service, made = seeded(tmp_path, MONDAY_NOON_UTC, timezone="Europe/Amsterdam", booking_horizon_days=60)
    hours = [service.availability(e.id, actor=SYSTEM) for e in demo_experts(service)]
    assert {(a.timezone, a.horizon_days) for a in hours} == {("Europe/Amsterdam", 60)}
    assert made == len(all_bookings(service)) > 300


def test_seeding_twice_adds_nothing_and_keeps_an_expert_s_own_edits(tmp_path):
    service, _ = seeded(tmp_path, MONDAY_NOON_UTC)
    sari = demo_experts(service)[0]
    own = Availability(max_per_day=1)
    service.set_availability(sari.id, own, actor=SYSTEM)
    assert seed_demo(service) == 0
    assert service.availability(sari.id, actor=SYSTEM) == own
    assert len(service.experts(actor=SYSTEM)) == 4


def rows(service: BookingService) -> dict[str, tuple]:
    """Every demo booking by its request key, with its history, emails, clicks and attendance,
    leaving out what is random by design (ids, meeting rooms, payment references, Join tokens)."""
    with sqlite3.connect(service.store.path) as db:
        keys = dict(db.execute("SELECT id, request_key FROM bookings").fetchall())
    found = {}
    for b in all_bookings(service):
        history = [(h.at, h.event, h.actor, "" if h.event == "paid" else h.detail)
                   for h in service.history(b.id, actor=SYSTEM)]
        emails = sorted((e.kind, e.status.value, e.created_at, e.sent_at, e.last_error)
                        for e in service.emails(booking_id=b.id, actor=SYSTEM))
        attendance = service.attendance(b.id, actor=SYSTEM)
        found[keys[b.id]] = (b.status, b.expert_email, b.customer_email, b.scheduled_date, b.scheduled_time,
                                b.duration, b.price, b.created_at, b.paid_at, b.confirmed_at, history, emails,
                                service.join_clicks(b.id, actor=SYSTEM),
                                attendance and (attendance.expert_joined_at, attendance.customer_joined_at))
    return found


def test_seeding_a_fresh_database_on_one_day_always_tells_the_same_story(tmp_path):
    first, _ = seeded(tmp_path / "a", MONDAY_NOON_UTC)
    second, _ = seeded(tmp_path / "b", MONDAY_NOON_UTC)
    assert rows(first) == rows(second)


def test_seeding_again_adds_nothing_twice_and_a_later_day_adds_only_the_days_since(tmp_path):
    service, made = seeded(tmp_path, MONDAY_NOON_UTC)
    before = rows(service)
    assert seed_demo(service) == 0
    assert rows(service) == before
    service.clock.now = MONDAY_NOON_UTC + timedelta(days=3)
    added = seed_demo(service)
    after = rows(service)
    assert len(after) == made + added and added > 5
    new_days = {k[5:13] for k in set(after) - set(before)}
    assert new_days == {f"{MONDAY_NOON_UTC.date() + timedelta(days=n):%Y%m%d}" for n in (1, 2, 3)}
    for key, row in before.items():  # the first seeding's bookings are as they were (ended ones completed since)
        assert after[key][1:10] == row[1:10], key
    assert seed_demo(service) == 0


def test_only_a_sqlite_file_is_seeded(tmp_path):
    service = BookingService(SQLiteStore(":memory:"), FlakyProvider(), DemoGateway(), RecordingSender(),
                             Settings(sqlite_path=":memory:"), clock=FixedClock(MONDAY_NOON_UTC))
    with pytest.raises(ConfigError, match="SQLite"):
        seed_demo(service)


def test_the_story_is_made_over_90_days_in_a_weekly_rhythm_and_fills_the_coming_two_weeks(tmp_path):
    service, _ = seeded(tmp_path, MONDAY_NOON_UTC)
    today = service.today()
    bookings = all_bookings(service)
    made_on = Counter(b.created_at.astimezone(service.tz).date() for b in bookings)
    assert set(made_on) == {today - timedelta(days=n) for n in range(HISTORY_DAYS + 1)}  # every day, none later
    by_weekday = Counter()
    for day, count in made_on.items():
        by_weekday[day.weekday()] += count
    assert by_weekday[1] > by_weekday[4] > by_weekday[6] > 0  # Tuesdays busiest, Sundays quietest
    coming = [b for b in bookings if b.status is BookingStatus.CONFIRMED and b.scheduled_date > today]
    assert len(coming) >= 15 and {b.expert_email for b in coming} == {e for _, e, _, _ in EXPERTS}
    assert max(b.scheduled_date for b in coming) >= today + timedelta(days=10)
    past = [b for b in bookings if b.status is BookingStatus.COMPLETED]
    assert len(past) > 200 and min(b.scheduled_date for b in past) < today - timedelta(days=80)
    assert not [b for b in bookings if b.status is BookingStatus.CONFIRMED and b.scheduled_date < today]


def history_of(service: BookingService, booking) -> list[str]:
    return [h.event for h in service.history(booking.id, actor=SYSTEM)]


def test_the_story_has_every_kind_of_event(tmp_path):
    service, _ = seeded(tmp_path, MONDAY_NOON_UTC)
    bookings = all_bookings(service)
    lives = {b.id: history_of(service, b) for b in bookings}
    by_status = Counter(b.status for b in bookings)
    assert by_status[BookingStatus.EXPIRED] and by_status[BookingStatus.PENDING] and by_status[BookingStatus.PAID]
    cancelled = [lives[b.id] for b in bookings if b.status is BookingStatus.CANCELLED]
    assert ["created", "cancelled"] in cancelled  # before payment
    assert any("paid" in life and "confirmed" not in life for life in cancelled)  # after payment, before a link
    assert any("confirmed" in life for life in cancelled)  # after the link
    # A link that failed and was made on a later try (by ops, half an hour later, or at once).
    retried = [b for b in bookings if "link attempt failed" in lives[b.id] and "confirmed" in lives[b.id]]
    assert retried and any(b.confirmed_at - b.paid_at > timedelta(minutes=15) for b in retried)
    for b in retried:
        life = lives[b.id]
        assert life.index("link attempt failed") < life.index("link attempt") < life.index("confirmed")
    # An email that failed and was resent (the same row, sent later), and one still waiting for Resend.
    emails = [e for b in bookings for e in service.emails(booking_id=b.id, actor=SYSTEM)]
    resent = [e for e in emails if "email resent" in lives[e.booking_id] and e.kind.endswith(".customer")]
    assert resent and all(e.status is EmailStatus.SENT and e.attempts == 2 for e in resent)
    assert all(e.sent_at - e.created_at > timedelta(minutes=15) for e in resent)
    assert [e.status for e in emails if e.status is EmailStatus.FAILED] == [EmailStatus.FAILED]
    # Join clicks and attendance of the sessions held: no-shows of each side and of both, late joins.
    # Attendance is read 20 minutes after a session's end (as Google writes its records late).
    read_by = service.clock.now - timedelta(minutes=20)
    held = [b for b in bookings if b.status is BookingStatus.COMPLETED and b.ends_at.replace(tzinfo=service.tz)
            <= read_by]
    attendance = {b.id: service.attendance(b.id, actor=SYSTEM) for b in held}
    assert all(a is not None and a.status == "recorded" for a in attendance.values())
    outcomes = Counter((a.expert_joined, a.customer_joined) for a in attendance.values())
    assert outcomes[(True, True)] > 6 * (outcomes[(True, False)] + outcomes[(False, True)] + outcomes[(False, False)])
    assert outcomes[(True, False)] and outcomes[(False, True)] and outcomes[(False, False)]
    assert sum("no-show" in lives[b.id] for b in held) == sum(outcomes.values()) - outcomes[(True, True)]
    starts = {b.id: datetime.combine(b.scheduled_date, b.scheduled_time, service.tz) for b in held}
    late = [a for a in attendance.values() if a.customer_joined and a.customer_joined_at - starts[a.booking_id]
            > timedelta(minutes=5)]
    assert len(late) >= 3
    clicked = [b for b in held if service.join_clicks(b.id, actor=SYSTEM)]
    assert len(clicked) == sum(1 for a in attendance.values() if a.expert_joined or a.customer_joined)
    for b in clicked:  # each person clicked once, shortly before they joined
        a = attendance[b.id]
        for click in service.join_clicks(b.id, actor=SYSTEM):
            joined = a.expert_joined_at if click.person == "expert" else a.customer_joined_at
            assert click.clicks == 1 and timedelta(0) < joined - click.last_at < timedelta(minutes=2)


def test_the_plan_of_a_day_depends_on_that_day_alone():
    now = MONDAY_NOON_UTC
    tz = Settings().tz
    story = plan(now.astimezone(tz).date(), now, tz, 12)
    assert story == plan(now.astimezone(tz).date(), now, tz, 12)
    assert all(p.made_at <= now for p in story)
    assert len({p.key for p in story}) == len(story)
    later = plan(date(2026, 12, 3), now + timedelta(days=3), tz, 12)
    # A day long past is planned the same whenever it is planned (apart from the weekly growth).
    day = {p.key: p.made_at for p in story if p.key.startswith("demo-20261115")}
    assert day and all(later_made == day.get(key) for key, later_made in
                       ((p.key, p.made_at) for p in later if p.key in day))


def test_each_demo_expert_offers_their_own_types_and_every_demo_booking_is_one_of_them(tmp_path):
    service, _ = seeded(tmp_path, MONDAY_NOON_UTC)
    offered = {e.id: service.session_types(e.id, actor=SYSTEM) for e in demo_experts(service)}
    names = [{t.name() for t in types} for types in offered.values()]
    assert all(names) and all(not (a & b) for i, a in enumerate(names) for b in names[i + 1:])  # each their own
    every = [t for types in offered.values() for t in types]
    assert all(t.names["id"] and t.names["id"] != t.names["en"] for t in every)  # named in Indonesian too
    assert any(t.fixed_prices and min(t.durations) <= 30 for t in every)  # a short session at a fixed price
    assert len({t.durations for t in every}) > 1 and len({t.hourly_rate for t in every}) > 2
    by_id = {t.id: t for t in every}
    bookings = service.recent_bookings(actor=SYSTEM, limit=10_000)
    assert bookings
    for b in bookings:
        kind = by_id[b.session_type_id]
        assert kind.expert_id == b.expert_id and b.duration in kind.durations, b
        assert b.type_name("id") == kind.names["id"]


def test_a_fresh_console_s_seeding_makes_the_people_at_once_and_the_same_story_in_the_background(tmp_path):
    from lib.demo_data import start_demo_seeding

    first, made = seeded(tmp_path / "a", MONDAY_NOON_UTC)
    db = tmp_path / "b" / "demo.db"
    second = BookingService(SQLiteStore(db), FlakyProvider(), DemoGateway(), RecordingSender(),
                            Settings(sqlite_path=str(db)), clock=FixedClock(MONDAY_NOON_UTC), sleep=lambda s: None)
    seeding = start_demo_seeding(second)
    # The first page has the experts with their hours before any booking is made.
    assert [e.email for e in demo_experts(second)] == [email for _, email, _, _ in EXPERTS]
    assert all(second.store.get_availability(e.id) is not None for e in demo_experts(second))
    assert seeding.wait(120) and not seeding.running
    assert seeding.made == made and rows(second) == rows(first)
