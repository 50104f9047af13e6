"""The slot picker: its shapes (``lib.slot_choices``), and the Book page and the reschedule form driven
through AppTest, checked against the store."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lib.access import SYSTEM
from lib.domain import BookingRequest, BookingStatus, NewCustomer
from lib.meetings import BusyTimes
from lib.meetings.jitsi import JitsiProvider
from lib.scheduling import Availability, Slot, TimeRange
from lib.service import BookingService
from lib.slot_choices import calendar_notice, day_choices, first_free_day, in_zone, page_of, slots_on, window
from lib.store.sqlite import SQLiteStore
from tests.support.apptest import no_exception, open_page, shown
from tests.support.bookings import ALWAYS_OPEN

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

JAKARTA, BERLIN = ZoneInfo("Asia/Jakarta"), ZoneInfo("Europe/Berlin")
MORNINGS = Availability(weekly=((TimeRange(9 * 60, 12 * 60),),) * 5 + ((), ()), min_notice_minutes=0,
                        slot_step_minutes=60, horizon_days=60)


def slot(day: date, hour: int, zone: ZoneInfo = JAKARTA) -> Slot:
    start = datetime.combine(day, time(hour), zone)
    return Slot(start, start + timedelta(hours=1))


# -- the shapes ----------------------------------------------------------------------------------

def test_day_choices_count_each_day_and_show_empty_days_as_none():
    first = date(2026, 12, 3)  # a Thursday
    slots = [slot(first, 9), slot(first, 10), slot(first + timedelta(days=2), 14)]
    choices = day_choices(slots, first, 4)
    assert [(c.day, c.free) for c in choices] == [(first, 2), (date(2026, 12, 4), 0), (date(2026, 12, 5), 1),
                                                  (date(2026, 12, 6), 0)]
    assert [c.label for c in choices] == ["Thu 03/12 · 2 free", "Fri 04/12 · none", "Sat 05/12 · 1 free",
                                          "Sun 06/12 · none"]
    assert choices[0].long == "Thursday, 3 December 2026"
    assert first_free_day(choices) == first and first_free_day(choices[1:2]) is None


def test_a_slot_belongs_to_the_day_of_its_start_in_its_own_zone():
    late = slot(date(2026, 12, 3), 23, BERLIN)  # 05:00 on 4 December in Jakarta
    assert [c.free for c in day_choices([late], date(2026, 12, 3), 2)] == [1, 0]
    assert slots_on([late], date(2026, 12, 3)) == [late] and slots_on([late], date(2026, 12, 4)) == []
    assert in_zone(late.start, JAKARTA) == (date(2026, 12, 4), time(5, 0))
    summer = slot(date(2026, 7, 1), 10, BERLIN)  # daylight saving time: UTC+2, so 15:00 WIB
    assert in_zone(summer.start, JAKARTA) == (date(2026, 7, 1), time(15, 0))


def test_windows_run_from_today_to_the_horizon():
    today = date(2026, 12, 3)
    first = window(today, 30)
    assert (first.first_day, first.days, first.has_earlier, first.has_later) == (today, 14, False, True)
    last = window(today, 30, page=2)
    assert (last.first_day, last.last_day, last.has_later) == (today + timedelta(days=28), today + timedelta(days=30),
                                                               False)
    assert window(today, 30, page=9) == last and window(today, 30, page=-3) == first
    assert window(today, 0).days == 1
    assert page_of(today + timedelta(days=15), today) == 1 and page_of(today - timedelta(days=3), today) == 0


def test_the_calendar_notice_speaks_only_when_the_calendar_could_not_be_read():
    assert calendar_notice("ok") is None and calendar_notice("not connected") is None
    assert calendar_notice("unavailable: HTTP 503") == (
        "Google Calendar could not be read: HTTP 503; showing times free in the console's own bookings.")


# -- the pages -------------------------------------------------------------------------------------

@pytest.fixture
def people(service: BookingService) -> dict[str, str]:
    sari = service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career & HR")
    budi = service.store.add_expert("Budi Santoso", "budi@example.com", 400_000, "Business strategy")
    andi = service.store.add_customer(NewCustomer("Andi Wijaya", "andi.w@kantor.example"))
    return {"sari": sari.id, "budi": budi.id, "andi": andi.id}


def start_of(svc: BookingService, day: date, at: time, zone: ZoneInfo = JAKARTA) -> str:
    return datetime.combine(day, at, zone).isoformat()


def next_weekday(svc: BookingService, weekday: int, after: int = 1) -> date:
    """The first ``weekday`` (0 = Monday) at least ``after`` days from today."""
    day = svc.today() + timedelta(days=after)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def find_andi(at, query: str = "kantor", expert: str | None = None):
    """Search for Andi (and pick the expert with id ``expert``)."""
    at.text_input(key="book_customer_q").input(query)
    if expert:
        at.selectbox(key="book_expert").select(expert)
    return at.run()


def test_customer_search_finds_by_part_of_the_email_without_loading_every_customer(service, people, monkeypatch):
    for i in range(25):
        service.store.add_customer(NewCustomer(f"Pelanggan {i:02d}", f"p{i}@rumah.example"))
    loads = []
    listed = SQLiteStore.list_customers
    monkeypatch.setattr(SQLiteStore, "list_customers", lambda store: loads.append(1) or listed(store))
    at = open_page("pages/views/book_view.py")
    no_exception(at)
    assert not [s for s in at.selectbox if s.key == "book_customer"]  # an empty search: no list, a prompt
    assert any("Type part of the customer's name or email" in c.value for c in at.caption)

    find_andi(at, "W@KANTOR")
    assert at.selectbox(key="book_customer").options == ["Andi Wijaya (andi.w@kantor.example)"]
    find_andi(at, "rumah")
    assert len(at.selectbox(key="book_customer").options) == 20  # at most 20, by name
    assert at.selectbox(key="book_customer").options[0] == "Pelanggan 00 (p0@rumah.example)"
    assert any("The first 20 matches" in c.value for c in at.caption)
    find_andi(at, "nobody-like-this")
    assert any("No customer matches" in i.value for i in at.info)

    find_andi(at)
    day = date.fromisoformat(at.pills(key="book_slot-day").value)
    first = time.fromisoformat(at.pills(key="book_slot-time").options[0])
    at.pills(key="book_slot-time").set_value(start_of(service, day, first)).run()
    at.button(key="book_submit").click().run()
    no_exception(at)
    [booking] = service.recent_bookings(actor=SYSTEM)
    assert booking.customer_email == "andi.w@kantor.example" and booking.status is BookingStatus.CONFIRMED
    assert loads == []  # neither the page nor the booking read every customer


def test_the_days_show_their_free_counts_and_a_day_shows_its_free_times(service, people):
    service.set_availability(people["sari"], MORNINGS, actor=SYSTEM)
    wednesday = next_weekday(service, 2)
    service.book(BookingRequest(people["sari"], "Career mentoring", wednesday, time(10, 0), 60,
                                customer_id=people["andi"]), actor=SYSTEM)
    at = find_andi(open_page("pages/views/book_view.py"), expert=people["sari"])
    days = at.pills(key="book_slot-day")
    today = service.today()
    labels = dict(zip([today + timedelta(days=i) for i in range(14)], days.options, strict=True))
    for day, label in labels.items():
        if day == wednesday:
            assert label.endswith("· 2 free"), label  # 09:00 and 11:00; 10:00 is booked
        elif day.weekday() >= 5:
            assert label.endswith("· none"), label  # no hours at the weekend
        elif day > today:
            assert label.endswith("· 3 free"), label
    days.set_value(wednesday.isoformat()).run()
    assert at.pills(key="book_slot-time").options == ["09:00", "11:00"]
    saturday = next_weekday(service, 5)
    at.pills(key="book_slot-day").set_value(saturday.isoformat()).run()
    assert not [p for p in at.pills if p.key == "book_slot-time"]
    assert any("No free start on" in i.value for i in at.info)


def test_booking_books_exactly_the_picked_slot_in_the_experts_zone(service, people):
    berlin = Availability(weekly=((TimeRange(9 * 60, 12 * 60),),) * 7, min_notice_minutes=0, slot_step_minutes=30,
                          horizon_days=60, timezone="Europe/Berlin")
    service.set_availability(people["budi"], berlin, actor=SYSTEM)
    at = find_andi(open_page("pages/views/book_view.py"))
    at.selectbox(key="book_expert").select(people["budi"]).run()
    day = service.today() + timedelta(days=3)
    at.pills(key="book_slot-day").set_value(day.isoformat()).run()
    assert at.pills(key="book_slot-time").options[:3] == ["09:00", "09:30", "10:00"]  # the expert's wall clock
    picked = datetime.combine(day, time(10, 30), BERLIN)
    at.pills(key="book_slot-time").set_value(picked.isoformat()).run()
    local = picked.astimezone(JAKARTA)
    summary = "\n".join(shown(m.value) for m in at.markdown if "**Customer:**" in m.value)
    assert f"{local:%H:%M} WIB" in summary and "Budi Santoso" in summary and "Rp 400.000" in summary
    at.button(key="book_submit").click().run()
    no_exception(at)
    [booking] = service.recent_bookings(actor=SYSTEM)
    assert (booking.scheduled_date, booking.scheduled_time) == (local.date(), local.time().replace(tzinfo=None))
    assert booking.expert_id == people["budi"] and booking.duration == 60


def test_a_time_taken_meanwhile_is_refused_with_the_nearest_free_times_to_pick(service, people, monkeypatch):
    service.set_availability(people["sari"], MORNINGS, actor=SYSTEM)
    day = next_weekday(service, 2)
    at = find_andi(open_page("pages/views/book_view.py"), expert=people["sari"])
    at.pills(key="book_slot-day").set_value(day.isoformat()).run()
    at.pills(key="book_slot-time").set_value(start_of(service, day, time(10, 0))).run()
    # Someone else books 10:00 between the page drawing it and the click landing.
    real = BookingService.book_and_pay

    def first_someone_else(svc, request, *, actor):
        monkeypatch.setattr(BookingService, "book_and_pay", real)
        svc.book(BookingRequest(people["sari"], "Career mentoring", day, time(10, 0), 60,
                                new_customer=NewCustomer("Fast Finger", "fast@example.com")), actor=SYSTEM)
        return real(svc, request, actor=actor)

    monkeypatch.setattr(BookingService, "book_and_pay", first_someone_else)
    at.button(key="book_submit").click().run()
    no_exception(at)
    assert len(at.error) == 1 and "overlaps another session" in shown(at.error[0].value)
    nearest = [b for b in at.button if b.key and b.key.startswith("book_slot-nearest-")]
    labels = [b.label for b in nearest]
    assert len(labels) == 3 and f"{day:%a %d/%m} 09:00" in labels and f"{day:%a %d/%m} 11:00" in labels
    nearest[labels.index(f"{day:%a %d/%m} 11:00")].click().run()
    no_exception(at)
    assert at.pills(key="book_slot-time").value == start_of(service, day, time(11, 0))
    at.button(key="book_submit").click().run()
    no_exception(at)
    mine = [b for b in service.recent_bookings(actor=SYSTEM) if b.customer_email == "andi.w@kantor.example"]
    assert [(b.scheduled_date, b.scheduled_time) for b in mine] == [(day, time(11, 0))]


def test_an_unreadable_calendar_is_said_plainly_above_the_picker(service, people, monkeypatch):
    monkeypatch.setattr(JitsiProvider, "busy",
                        lambda self, calendar_id, start, end: BusyTimes(read=True, error="HTTP 503 from Google"))
    at = open_page("pages/views/book_view.py")
    no_exception(at)
    assert [shown(w.value) for w in at.warning][1:] == [
        "Google Calendar could not be read: HTTP 503 from Google; showing times free in the console's own bookings."]
    assert at.pills(key="book_slot-time").options  # booking goes on


def test_ops_book_another_time_with_a_reason_written_to_the_history(service, people):
    service.set_availability(people["sari"], MORNINGS, actor=SYSTEM)
    saturday = next_weekday(service, 5)
    at = find_andi(open_page("pages/views/book_view.py"), expert=people["sari"])
    at.toggle(key="book_slot-override").set_value(True)
    at.date_input(key="book_slot-override-date").set_value(saturday)
    at.time_input(key="book_slot-override-time").set_value(time(15, 0)).run()
    assert any("Give the reason" in w.value for w in at.warning)
    # No reason: refused before anything is pressed, with the nearest free times; nothing to press.
    assert "outside" in shown(at.error[0].value) and at.button(key="book_submit").disabled
    assert [b for b in at.button if b.key and b.key.startswith("book_slot-nearest-")]
    assert service.recent_bookings(actor=SYSTEM) == []

    at.text_input(key="book_slot-override-reason").input("Customer only free on Saturday").run()
    [said] = [shown(w.value) for w in at.warning if "Not a free slot" in w.value]
    assert "outside the expert's hours" in said and "books it anyway" in said
    assert "Customer only free on Saturday" in said and "outside_hours" not in said
    assert not at.error and not at.button(key="book_submit").disabled
    at.button(key="book_submit").click().run()
    no_exception(at)
    [booking] = service.recent_bookings(actor=SYSTEM)
    assert (booking.scheduled_date, booking.scheduled_time) == (saturday, time(15, 0))
    [line] = [h for h in service.history(booking.id, actor=SYSTEM) if h.event == "slot override"]
    assert "Customer only free on Saturday" in line.detail


def test_an_expert_cannot_open_the_book_page(service, people):
    from streamlit.testing.v1 import AppTest

    from tests.support.apptest import APP
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/views/my_sessions_view.py").run()
    at.sidebar.selectbox(key="view_as").set_value(people["sari"]).run()
    no_exception(at)
    with pytest.raises(ValueError):  # not among the expert's pages: the menu never registers it
        at.switch_page("pages/views/book_view.py")


# -- reschedule through the same picker -----------------------------------------------------------

def booked(service: BookingService, people: dict[str, str], day: date, at: time):
    return service.book_and_pay(BookingRequest(people["sari"], "Career mentoring", day, at, 60,
                                               customer_id=people["andi"]), actor=SYSTEM).booking


def test_reschedule_on_ops_lists_the_free_slots_counting_the_bookings_own_time_free(service, people):
    service.set_availability(people["sari"], MORNINGS, actor=SYSTEM)
    day = next_weekday(service, 2)
    booking = booked(service, people, day, time(10, 0))
    booked(service, people, day, time(11, 0))
    at = open_page("pages/views/ops_view.py")
    at.selectbox(key="ops-booking").select(booking.id).run()
    key = f"reschedule-{booking.id}"
    assert at.pills(key=f"{key}-day").value == day.isoformat()  # opens on the booking's own day
    assert at.pills(key=f"{key}-time").options == ["09:00", "10:00"]  # its own 10:00 counts as free; 11:00 not
    at.pills(key=f"{key}-time").set_value(start_of(service, day, time(9, 0))).run()
    at.button(key=f"reschedule-submit-{booking.id}").click().run()
    no_exception(at)
    moved = service.get_booking(booking.id, actor=SYSTEM)
    assert (moved.scheduled_date, moved.scheduled_time) == (day, time(9, 0))
    assert moved.meeting_link == booking.meeting_link


def test_ops_reschedule_to_another_time_with_a_reason(service, people):
    service.set_availability(people["sari"], MORNINGS, actor=SYSTEM)
    day = next_weekday(service, 2)
    booking = booked(service, people, day, time(10, 0))
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    key = f"reschedule-{booking.id}"
    at.toggle(key=f"{key}-override").set_value(True)
    at.date_input(key=f"{key}-override-date").set_value(day)
    at.time_input(key=f"{key}-override-time").set_value(time(19, 0))
    at.text_input(key=f"{key}-override-reason").input("Evening agreed with the expert").run()
    at.button(key=f"reschedule-submit-{booking.id}").click().run()
    no_exception(at)
    assert not at.error
    moved = service.get_booking(booking.id, actor=SYSTEM)
    assert (moved.scheduled_date, moved.scheduled_time) == (day, time(19, 0))
    assert any(h.event == "slot override" and "Evening agreed" in h.detail
               for h in service.history(booking.id, actor=SYSTEM))


def test_ops_reschedule_over_another_session_is_refused_before_submitting_and_outside_hours_is_said(service,
                                                                                                     people):
    service.set_availability(people["sari"], MORNINGS, actor=SYSTEM)
    day = next_weekday(service, 2)
    booking = booked(service, people, day, time(10, 0))
    service.book(BookingRequest(people["sari"], "Career mentoring", day, time(11, 0), 60,
                                new_customer=NewCustomer("Other Session", "other@example.com")), actor=SYSTEM)
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    key = f"reschedule-{booking.id}"
    at.toggle(key=f"{key}-override").set_value(True)
    at.date_input(key=f"{key}-override-date").set_value(day)
    at.time_input(key=f"{key}-override-time").set_value(time(11, 0))
    at.text_input(key=f"{key}-override-reason").input("Customer insists").run()
    no_exception(at)
    [error] = [shown(e.value) for e in at.error]  # before any click: over another session, refused
    assert "overlaps another session" in error and "not even ops" in error
    assert at.button(key=f"reschedule-submit-{booking.id}").disabled
    assert not [w for w in at.warning if "Not a free slot" in w.value]

    at.time_input(key=f"{key}-override-time").set_value(time(19, 0)).run()  # only outside the hours
    no_exception(at)
    assert not at.error
    [said] = [shown(w.value) for w in at.warning if "Not a free slot" in w.value]
    assert "Customer insists" in said and "anyway" in said
    assert not at.button(key=f"reschedule-submit-{booking.id}").disabled
    moved = service.get_booking(booking.id, actor=SYSTEM)
    assert (moved.scheduled_date, moved.scheduled_time) == (day, time(10, 0))  # nothing moved before the click


def test_an_expert_reschedules_their_own_session_with_the_picker_and_no_override(service, people):
    service.set_availability(people["sari"], ALWAYS_OPEN, actor=SYSTEM)
    day = service.today() + timedelta(days=5)
    booking = booked(service, people, day, time(10, 0))
    from streamlit.testing.v1 import AppTest

    from tests.support.apptest import APP
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/views/my_sessions_view.py").run()
    at.sidebar.selectbox(key="view_as").set_value(people["sari"]).run()
    at.switch_page("pages/views/confirmation_view.py")
    at.query_params["booking"] = booking.id
    at.run()
    key = f"reschedule-{booking.id}"
    assert not [t for t in at.toggle if t.key == f"{key}-override"]  # ops only
    at.pills(key=f"{key}-time").set_value(start_of(service, day, time(13, 0))).run()
    at.button(key=f"reschedule-submit-{booking.id}").click().run()
    no_exception(at)
    moved = service.get_booking(booking.id, actor=SYSTEM)
    assert (moved.scheduled_date, moved.scheduled_time) == (day, time(13, 0))


def test_a_new_customer_with_a_known_email_is_found_without_loading_every_customer(service, people, monkeypatch):
    for i in range(120):  # more addresses containing Andi's than one search returns
        service.store.add_customer(NewCustomer(f"Aaa {i:03d}", f"x{i}andi.w@kantor.example"))
    loads = []
    listed = SQLiteStore.list_customers
    monkeypatch.setattr(SQLiteStore, "list_customers", lambda store: loads.append(1) or listed(store))
    at = open_page("pages/views/book_view.py")
    at.radio(key="book_who").set_value("new").run()
    at.text_input(key="book_name").input("Someone Else")
    at.text_input(key="book_email").input("dewi@example.com").run()
    day = date.fromisoformat(at.pills(key="book_slot-day").value)
    first = time.fromisoformat(at.pills(key="book_slot-time").options[0])
    at.pills(key="book_slot-time").set_value(start_of(service, day, first)).run()
    assert any("— new customer" in m.value for m in at.markdown)
    at.text_input(key="book_email").input("Andi.W@Kantor.example").run()
    assert any("Andi Wijaya" in shown(w.value) and "already the customer" in shown(w.value) for w in at.warning)
    assert loads == [1]  # 120 other addresses contain Andi's: only then is the whole list read
    loads.clear()
    at.text_input(key="book_email").input("andi.w@kantor.example.co").run()  # contained in none
    at.button(key="book_submit").click().run()
    no_exception(at)
    assert loads == []
    assert [b.customer_email for b in service.recent_bookings(actor=SYSTEM)] == ["andi.w@kantor.example.co"]


# -- the pick: kept while paging, opened where a start is free, explained when taken ---------------

def test_the_words_for_what_is_missing_and_for_a_start_taken_meanwhile():
    from lib.book_form import missing_parts
    from lib.scheduling import Reason
    from lib.slot_choices import pick_missing, refusal_words

    tuesday = date(2026, 12, 8)
    assert pick_missing(None, None) == "Pick a day and a start time"
    assert pick_missing(tuesday, None) == "Pick a start time on Tuesday, 8 December 2026"
    assert pick_missing(tuesday, time(14, 0)) is None
    assert missing_parts(customer_id=None, new_customer=None, day=tuesday, at=None) == [
        "Find the customer (or choose “New customer”)", "Pick a start time on Tuesday, 8 December 2026"]
    assert missing_parts(customer_id=None, new_customer=NewCustomer(" ", ""), day=tuesday, at=time(9, 0)) == [
        "Fill in the new customer's name", "Fill in the new customer's email"]
    assert missing_parts(customer_id="c1", new_customer=None, day=tuesday, at=time(9, 0)) == []
    offered = start_of(None, tuesday, time(14, 0))  # type: ignore[arg-type]
    assert refusal_words(offered, Reason.OVERLAPS_BOOKING, "It overlaps.") == "14:00 was just booked. It overlaps."
    assert refusal_words(offered, Reason.TOO_SOON, "Too soon.") == "14:00 is no longer free. Too soon."
    assert refusal_words(None, Reason.OVERLAPS_BOOKING, "It overlaps.") == "It overlaps."  # an ops time


def test_a_pick_survives_paging_later_and_earlier_days(service, people):
    service.set_availability(people["sari"], MORNINGS, actor=SYSTEM)
    day = next_weekday(service, 2)
    at = find_andi(open_page("pages/views/book_view.py"), expert=people["sari"])
    at.pills(key="book_slot-day").set_value(day.isoformat()).run()
    at.pills(key="book_slot-time").set_value(start_of(service, day, time(10, 0))).run()
    at.button(key="book_slot-later").click().run()
    no_exception(at)
    assert at.pills(key="book_slot-day").value is None  # the picked day is not among these days ...
    assert any(f"Your pick: {day:%A}" in c.value and "10:00" in c.value for c in at.caption)  # ... but kept
    assert not at.button(key="book_submit").disabled
    at.button(key="book_slot-earlier").click().run()
    no_exception(at)
    assert at.pills(key="book_slot-day").value == day.isoformat()
    assert at.pills(key="book_slot-time").value == start_of(service, day, time(10, 0))
    assert not at.error and not at.button(key="book_submit").disabled
    at.button(key="book_submit").click().run()
    [booking] = service.recent_bookings(actor=SYSTEM)
    assert (booking.scheduled_date, booking.scheduled_time) == (day, time(10, 0))


def test_the_picker_opens_on_the_first_day_with_a_free_start(service, people, monkeypatch):
    # Sari's calendar is busy for the next fifteen days: the first window has no free start at all.
    busy_until = service.clock() + timedelta(days=15)
    monkeypatch.setattr(JitsiProvider, "busy", lambda self, calendar_id, start, end: BusyTimes(
        read=True, intervals=[(start, min(end, busy_until))] if start < busy_until else []))
    weekend = Availability(weekly=((),) * 5 + ((TimeRange(9 * 60, 12 * 60),),) * 2, min_notice_minutes=0,
                           slot_step_minutes=60, horizon_days=60)
    service.set_availability(people["budi"], weekend, actor=SYSTEM)
    at = find_andi(open_page("pages/views/book_view.py"), expert=people["sari"])
    no_exception(at)
    opened = date.fromisoformat(at.pills(key="book_slot-day").value)
    assert opened >= (busy_until.astimezone(JAKARTA)).date() and at.session_state["book_slot-page"] == 1
    assert at.pills(key="book_slot-time").options
    # Another expert: the picker moves to their first free day (Budi works weekends only; Sari's
    # busy calendar is the only one stood in for, so his first weekend day comes first).
    monkeypatch.setattr(JitsiProvider, "busy", lambda self, calendar_id, start, end: BusyTimes(read=True))
    at.selectbox(key="book_expert").select(people["budi"]).run()
    budi_day = date.fromisoformat(at.pills(key="book_slot-day").value)
    assert budi_day.weekday() >= 5 and at.pills(key="book_slot-time").options
    assert not any("No free start on" in i.value for i in at.info)


def test_a_start_taken_meanwhile_is_kept_and_refused_as_just_booked(service, people):
    service.set_availability(people["sari"], MORNINGS, actor=SYSTEM)
    day = next_weekday(service, 2)
    at = find_andi(open_page("pages/views/book_view.py"), expert=people["sari"])
    at.pills(key="book_slot-day").set_value(day.isoformat()).run()
    at.pills(key="book_slot-time").set_value(start_of(service, day, time(10, 0))).run()
    service.book(BookingRequest(people["sari"], "Career mentoring", day, time(10, 0), 60,
                                new_customer=NewCustomer("Fast Finger", "fast@example.com")), actor=SYSTEM)
    at.run()  # the page drawn again (any click): 10:00 is no longer offered
    no_exception(at)
    assert at.pills(key="book_slot-time").options == ["09:00", "11:00"]
    [error] = [shown(e.value) for e in at.error]
    assert error.startswith("10:00 was just booked.") and "calendar date" not in error
    assert at.button(key="book_submit").disabled
    nearest = [b for b in at.button if b.key and b.key.startswith("book_slot-nearest-")]
    labels = [b.label for b in nearest]
    assert f"{day:%a %d/%m} 09:00" in labels and f"{day:%a %d/%m} 11:00" in labels
    nearest[labels.index(f"{day:%a %d/%m} 11:00")].click().run()
    no_exception(at)
    assert not at.error and at.pills(key="book_slot-time").value == start_of(service, day, time(11, 0))
    at.button(key="book_submit").click().run()
    mine = [b for b in service.recent_bookings(actor=SYSTEM) if b.customer_email == "andi.w@kantor.example"]
    assert [(b.scheduled_date, b.scheduled_time) for b in mine] == [(day, time(11, 0))]


def test_ops_time_over_another_session_is_refused_before_submitting_and_one_in_a_buffer_is_booked(service, people):
    buffered = Availability(weekly=((TimeRange(9 * 60, 17 * 60),),) * 7, min_notice_minutes=0, slot_step_minutes=15,
                            horizon_days=60, buffer_after=30)
    service.set_availability(people["sari"], buffered, actor=SYSTEM)
    day = next_weekday(service, 2)
    service.book(BookingRequest(people["sari"], "Career mentoring", day, time(10, 0), 60,
                                new_customer=NewCustomer("Early Bird", "early@example.com")), actor=SYSTEM)
    at = find_andi(open_page("pages/views/book_view.py"), expert=people["sari"])
    at.toggle(key="book_slot-override").set_value(True)
    at.date_input(key="book_slot-override-date").set_value(day)
    at.time_input(key="book_slot-override-time").set_value(time(10, 30))
    at.text_input(key="book_slot-override-reason").input("Customer insists").run()
    no_exception(at)
    [error] = [shown(e.value) for e in at.error]
    assert "overlaps another session" in error and "not even ops" in error
    assert not [w for w in at.warning if "Not a free slot" in w.value] and at.button(key="book_submit").disabled

    at.time_input(key="book_slot-override-time").set_value(time(11, 15)).run()  # in the 30 minutes after it
    [said] = [shown(w.value) for w in at.warning if "Not a free slot" in w.value]
    assert "within the 30 minutes kept free around another session" in said and "Customer insists" in said
    assert not at.error
    at.button(key="book_submit").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    mine = [b for b in service.recent_bookings(actor=SYSTEM) if b.customer_email == "andi.w@kantor.example"]
    assert [(b.scheduled_date, b.scheduled_time) for b in mine] == [(day, time(11, 15))]
    assert at.toggle(key="book_slot-override").value is False  # the ops time went with the booking
    assert "Booked and paid" in at.success[0].value


def test_reschedule_keeps_its_pick_across_pages_and_says_what_to_pick(service, people):
    service.set_availability(people["sari"], MORNINGS, actor=SYSTEM)
    day = next_weekday(service, 2)
    booking = booked(service, people, day, time(10, 0))
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    key = f"reschedule-{booking.id}"
    assert at.button(key=f"reschedule-submit-{booking.id}").disabled
    assert any(f"Pick a start time on {day:%A}" in c.value for c in at.caption)
    at.pills(key=f"{key}-time").set_value(start_of(service, day, time(11, 0))).run()
    at.button(key=f"{key}-later").click().run()
    at.button(key=f"{key}-earlier").click().run()
    assert at.pills(key=f"{key}-time").value == start_of(service, day, time(11, 0))
    at.button(key=f"reschedule-submit-{booking.id}").click().run()
    no_exception(at)
    moved = service.get_booking(booking.id, actor=SYSTEM)
    assert (moved.scheduled_date, moved.scheduled_time) == (day, time(11, 0))


def test_reschedule_to_a_start_taken_meanwhile_is_refused_as_just_booked_with_the_nearest(service, people):
    service.set_availability(people["sari"], MORNINGS, actor=SYSTEM)
    day = next_weekday(service, 2)
    booking = booked(service, people, day, time(9, 0))
    at = open_page("pages/views/confirmation_view.py", booking=booking.id)
    key = f"reschedule-{booking.id}"
    at.pills(key=f"{key}-time").set_value(start_of(service, day, time(10, 0))).run()
    service.book(BookingRequest(people["sari"], "Career mentoring", day, time(10, 0), 60,
                                new_customer=NewCustomer("Fast Finger", "fast@example.com")), actor=SYSTEM)
    at.run()  # the page drawn again (any click): 10:00 is taken, refused before the button is clicked
    no_exception(at)
    [error] = [shown(e.value) for e in at.error]
    assert error.startswith("10:00 was just booked.") and "calendar date" not in error
    assert at.button(key=f"reschedule-submit-{booking.id}").disabled
    nearest = [b for b in at.button if b.key and b.key.startswith(f"{key}-nearest-")]
    labels = [b.label for b in nearest]
    assert f"{day:%a %d/%m} 11:00" in labels, labels
    nearest[labels.index(f"{day:%a %d/%m} 11:00")].click().run()
    no_exception(at)
    assert not at.error and at.pills(key=f"{key}-time").value == start_of(service, day, time(11, 0))
    at.button(key=f"reschedule-submit-{booking.id}").click().run()
    moved = service.get_booking(booking.id, actor=SYSTEM)
    assert (moved.scheduled_date, moved.scheduled_time) == (day, time(11, 0))
