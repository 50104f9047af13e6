"""The week of My sessions: the model (lib/week.py), its HTML (lib/week_html.py) and the service reads
behind it (sessions of a week, past ones with attendance; the next bookings to open)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lib.access import SYSTEM, Actor, Role, expert_actor
from lib.config import Settings
from lib.domain import Attendance, Booking, BookingRequest, BookingStatus, NewCustomer
from lib.errors import PermissionDenied
from lib.scheduling import Availability, TimeRange
from lib.service import BookingService
from lib.week import attendance_note, build_week, monday_of, week_start
from lib.week_html import HOUR_PX, week_caption, week_html
from lib.wiring import build_service
from tests.support.bookings import ALWAYS_OPEN
from tests.support.fakes import FixedClock
from tests.support.markup import elements

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = date(2026, 11, 30)
THURSDAY_NOON = datetime(2026, 12, 3, 12, 15)  # wall clock, Jakarta
NO_HOURS = Availability(weekly=((),) * 7)


def booking(day: date, at: time, minutes: int = 60, name: str = "Andi", status=BookingStatus.CONFIRMED,
            session: str = "Career mentoring") -> Booking:
    return Booking(id=f"b-{day}-{at:%H%M}", user_id="c1", expert_id="e1", session_type=session,
                   scheduled_date=day, scheduled_time=at, duration=minutes, status=status,
                   price=250_000, customer_name=name, customer_email="a@example.com", expert_name="Sari",
                   expert_email="sari@example.com")


# -- the model ---------------------------------------------------------------------------------------

def test_weeks_start_on_monday_and_move_by_whole_weeks():
    assert monday_of(date(2026, 12, 6)) == MONDAY  # a Sunday belongs to the week before it
    assert monday_of(MONDAY) == MONDAY
    assert week_start(date(2026, 12, 3), 0) == MONDAY
    assert week_start(date(2026, 12, 3), -1) == date(2026, 11, 23)
    assert week_start(date(2026, 12, 3), 2) == date(2026, 12, 14)
    week = build_week([], {}, NO_HOURS, date(2026, 12, 3), JAKARTA, THURSDAY_NOON)
    assert week.days[0] == MONDAY and week.days[0].weekday() == 0 and len(week.days) == 7
    assert week_caption(week) == "30 November – 6 December 2026"


def test_a_week_places_sessions_and_working_hours_by_day_and_hour():
    lunch = Availability(weekly=((TimeRange(540, 720), TimeRange(780, 1020)),) + ((),) * 6,
                         overrides=((date(2026, 12, 2), (TimeRange(1200, 1320),)),))
    sessions = [booking(MONDAY, time(9, 30), 90, "Dewi"), booking(date(2026, 12, 7), time(9, 0)),
                booking(date(2026, 12, 6), time(23, 30))]  # the next week's is not drawn; 23:30 crosses midnight
    week = build_week(sessions, {}, lunch, MONDAY, JAKARTA, THURSDAY_NOON)
    first, late = week.blocks
    assert (first.day, first.start, first.end, first.time, first.customer) == (MONDAY, 9.5, 11.0, "09:30–11:00", "Dewi")
    assert first.past and first.note == "Ended"  # over, not yet marked completed
    assert (late.day, late.start, late.end, late.past, late.note) == (date(2026, 12, 6), 23.5, 24.0, False, "")
    assert [(h.day, h.start, h.end) for h in week.hours] == [(MONDAY, 9.0, 12.0), (MONDAY, 13.0, 17.0),
                                                            (date(2026, 12, 2), 20.0, 22.0)]
    assert (week.top, week.bottom) == (8, 24)


def test_working_hours_of_an_expert_in_another_zone_show_in_the_console_zone():
    # 09:00-17:00 in Amsterdam (UTC+1 in winter) is 15:00-23:00 in Jakarta (UTC+7).
    amsterdam = Availability(weekly=((TimeRange(540, 1020),),) + ((),) * 6, timezone="Europe/Amsterdam")
    week = build_week([], {}, amsterdam, MONDAY, JAKARTA, THURSDAY_NOON)
    assert [(h.day, h.start, h.end) for h in week.hours] == [(MONDAY, 15.0, 23.0)]
    # A range that runs past midnight in Jakarta is split over two columns.
    late = Availability(weekly=((),) * 6 + ((TimeRange(900, 1200),),), timezone="Europe/Amsterdam")
    week = build_week([], {}, late, MONDAY, JAKARTA, THURSDAY_NOON)
    assert [(h.day, h.start, h.end) for h in week.hours] == [(MONDAY, 0.0, 2.0), (date(2026, 12, 6), 21.0, 24.0)]


def test_today_and_the_current_time_are_marked_only_in_their_week():
    week = build_week([], {}, NO_HOURS, MONDAY, JAKARTA, THURSDAY_NOON)
    assert week.today == date(2026, 12, 3) and week.now == 12.25
    markup = week_html(week, lambda i: f"confirmation?booking={i}", JAKARTA)
    assert 'class="cxw-col cxw-today" data-day="2026-12-03"' in markup
    assert f'class="cxw-now" style="top:{(12.25 - 8) * HOUR_PX}px"' in markup and "Now, 12:15" in markup
    earlier = build_week([], {}, NO_HOURS, MONDAY - timedelta(days=7), JAKARTA, THURSDAY_NOON)
    assert earlier.now is None
    drawn = week_html(earlier, str, JAKARTA)
    assert not elements(drawn, "cxw-today") and not elements(drawn, "cxw-now") and "Now," not in drawn
    # The current time's line is in view even before the usual first hour.
    dawn = build_week([], {}, NO_HOURS, MONDAY, JAKARTA, datetime(2026, 12, 3, 5, 30))
    assert dawn.top == 5 and 'class="cxw-now" style="top:24.0px"' in week_html(dawn, str, JAKARTA)


def test_a_past_session_says_how_it_went():
    now = datetime(2026, 12, 10, 9, 0)
    done = booking(MONDAY, time(10, 0), status=BookingStatus.COMPLETED)
    both = Attendance(done.id, "recorded", expert_joined=True, customer_joined=True, together_minutes=52)
    assert attendance_note(done, both, now) == "Both joined, 52 min together"
    assert attendance_note(done, Attendance(done.id, "recorded", expert_joined=True), now) == "Customer did not join"
    assert attendance_note(done, Attendance(done.id, "recorded", customer_joined=True), now) == "Expert did not join"
    assert attendance_note(done, Attendance(done.id, "recorded"), now) == "Neither joined"
    assert attendance_note(done, Attendance(done.id, "no data"), now) == "Ended, no attendance record"
    assert attendance_note(done, None, now) == ""  # Jitsi: nothing to read; the status says it is completed
    ahead = booking(date(2026, 12, 11), time(10, 0))
    assert attendance_note(ahead, None, now) == ""


# -- the HTML --------------------------------------------------------------------------------------

EVIL = '<img src=x onerror=alert(1)> "Bu" & <b>Sari</b>'


def test_every_block_links_to_its_booking_and_typed_text_stays_text():
    sessions = [booking(MONDAY, time(10, 0), name=EVIL, session="Mentoring <script>x</script>"),
                booking(date(2026, 12, 4), time(14, 0), 30)]
    week = build_week(sessions, {}, NO_HOURS, MONDAY, JAKARTA, THURSDAY_NOON)
    markup = week_html(week, lambda i: f"confirmation?booking={i}&as=x", JAKARTA)
    assert "<img" not in markup and "<script>" not in markup and "<b>Sari" not in markup
    blocks = elements(markup, "cxw-block")
    assert [(b["tag"], b["href"], b["data-booking"]) for b in blocks] == [
        ("a", f"confirmation?booking={s.id}&as=x", s.id) for s in sessions]
    assert EVIL in blocks[0]["text"] and EVIL in blocks[0]["title"]  # read back as the text typed
    assert "Mentoring <script>x</script> with " + EVIL in blocks[0]["title"]
    assert "Monday, 30 November 2026, 10:00–11:00 WIB" in blocks[0]["title"]
    items = elements(markup, "cxw-item")  # the agenda links to the same bookings
    assert [i["href"] for i in items] == [b["href"] for b in blocks]


def test_a_block_says_only_as_many_lines_as_its_height_holds():
    sessions = [booking(MONDAY, time(9, 0), 30), booking(MONDAY, time(10, 0), 45),
                booking(MONDAY, time(11, 0), 60), booking(MONDAY, time(13, 0), 120)]
    before = datetime(2026, 11, 29, 12, 0)  # the Sunday before: every session still to come
    markup = week_html(build_week(sessions, {}, NO_HOURS, MONDAY, JAKARTA, before), str, JAKARTA)
    blocks = elements(markup, "cxw-block")
    said = [[line["text"] for line in b["lines"]] for b in blocks]
    assert said[0] == ["09:00 Career mentoring"]  # 30 minutes: one readable line
    assert said[1] == ["10:00 Career mentoring", "Andi"]
    assert said[2] == ["11:00–12:00", "Career mentoring", "Andi"]
    assert said[3] == ["13:00–15:00", "Career mentoring", "Andi", "Confirmed"]
    for block, lines in zip(blocks, said, strict=True):  # the lines fit the height (14 px a line, 2 px padding)
        height = float(block["style"].split("height:")[1].rstrip("px"))
        assert 14 * len(lines) + 4 <= height


def test_the_agenda_replaces_the_columns_below_640_px_and_lists_every_day():
    week = build_week([booking(date(2026, 12, 3), time(15, 0))], {}, NO_HOURS, MONDAY, JAKARTA, THURSDAY_NOON)
    markup = week_html(week, str, JAKARTA)
    assert "@media (max-width: 640px)" in markup and ".cxw-grid { display: none; }" in markup
    days = elements(markup, "cxw-dayname")
    assert [d["text"] for d in days][3] == "Thursday, 3 December 2026 · Today"
    assert len(days) == 7 and len(elements(markup, "cxw-empty")) == 6
    # Today's list shows the current time before the session still to come.
    agenda = markup[markup.index('class="cxw-agenda"'):]
    assert agenda.index("Now, 12:15") < agenda.index("15:00–16:00 Career mentoring")


# -- the service reads ---------------------------------------------------------------------------------

@pytest.fixture
def svc(tmp_path) -> BookingService:
    service = build_service(Settings(sqlite_path=str(tmp_path / "week.db"), seed_demo_data=False))
    for name in ("Sari", "Budi"):
        expert = service.store.add_expert(name, f"{name.lower()}@example.com", 250_000, "Career")
        service.store.set_availability(expert.id, ALWAYS_OPEN)
    return service


def book(service: BookingService, expert: int, day: date, at: time, i: int) -> Booking:
    outcome = service.book_and_pay(BookingRequest(
        expert_id=service.experts(actor=SYSTEM)[expert].id, session_type="Career mentoring", scheduled_date=day,
        scheduled_time=at, duration=60, new_customer=NewCustomer(f"Customer {i}", f"c{i}@example.com")), actor=SYSTEM)
    return outcome.booking


def test_a_previous_week_lists_its_past_sessions_with_their_attendance(svc, tmp_path):
    # Sessions of last week, booked by a service whose clock stood ten days back.
    past = build_service(Settings(sqlite_path=str(tmp_path / "week.db"), seed_demo_data=False),
                         clock=FixedClock(datetime.now(UTC) - timedelta(days=10)))
    sari = svc.experts(actor=SYSTEM)[0]
    last_monday = week_start(svc.today(), -1)
    held = book(past, 0, last_monday + timedelta(days=1), time(10, 0), 1)
    missed = book(past, 0, last_monday + timedelta(days=2), time(10, 0), 2)
    other_expert = book(past, 1, last_monday + timedelta(days=1), time(10, 0), 3)
    cancelled = book(past, 0, last_monday + timedelta(days=3), time(10, 0), 4)
    past.cancel(cancelled.id, "ill", actor=SYSTEM)
    assert svc.complete_finished(actor=SYSTEM) >= 2
    svc.store.save_attendance(Attendance(held.id, "recorded", expert_joined=True, customer_joined=True,
                                         together_minutes=58), [], "test")
    svc.store.save_attendance(Attendance(missed.id, "recorded", expert_joined=True), [], "test")

    found = svc.sessions_between(sari.id, last_monday, last_monday + timedelta(days=6), actor=expert_actor(sari))
    assert [b.id for b in found.bookings] == [held.id, missed.id]  # not cancelled, not another expert's
    assert {b.status for b in found.bookings} == {BookingStatus.COMPLETED}
    assert found.attendance[held.id].together_minutes == 58 and not found.attendance[missed.id].customer_joined
    week = build_week(found.bookings, found.attendance, ALWAYS_OPEN, last_monday, svc.tz, svc.now_local())
    assert [b.note for b in week.blocks] == ["Both joined, 58 min together", "Customer did not join"]
    assert all(b.past for b in week.blocks) and week.now is None
    assert other_expert.id not in {b.id for b in found.bookings}


def test_an_expert_reads_only_their_own_week(svc):
    sari, budi = svc.experts(actor=SYSTEM)
    with pytest.raises(PermissionDenied):
        svc.sessions_between(budi.id, MONDAY, MONDAY + timedelta(days=6), actor=expert_actor(sari))
    with pytest.raises(PermissionDenied):
        svc.sessions_between(sari.id, MONDAY, MONDAY + timedelta(days=6), actor=Actor(Role.NONE, "x@example.com"))


def test_the_next_bookings_are_everyone_s_for_ops_and_their_own_for_an_expert(svc):
    sari, budi = svc.experts(actor=SYSTEM)
    soon = svc.today() + timedelta(days=1)
    a = book(svc, 0, soon, time(9, 0), 1)
    b = book(svc, 1, soon, time(8, 0), 2)
    c = book(svc, 0, soon + timedelta(days=1), time(7, 0), 3)
    gone = book(svc, 1, soon + timedelta(days=2), time(7, 0), 4)
    svc.cancel(gone.id, "x", actor=SYSTEM)
    assert [x.id for x in svc.next_bookings(actor=SYSTEM)] == [b.id, a.id, c.id]
    assert [x.id for x in svc.next_bookings(limit=2, actor=SYSTEM)] == [b.id, a.id]
    assert [x.id for x in svc.next_bookings(actor=expert_actor(sari))] == [a.id, c.id]
    assert [x.id for x in svc.next_bookings(actor=expert_actor(budi))] == [b.id]
    with pytest.raises(PermissionDenied):
        svc.next_bookings(actor=Actor(Role.NONE, "x@example.com"))
