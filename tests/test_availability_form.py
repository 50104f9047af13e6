"""The Availability page's fields read into an ``Availability`` (and back), the service's preview of
unsaved hours, and the week view's shapes."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lib.access import SYSTEM, expert_actor
from lib.config import Settings
from lib.domain import BookingRequest, NewCustomer
from lib.errors import InvalidInput, PermissionDenied
from lib.payments.demo_gateway import DemoGateway
from lib.scheduling import DEFAULT_AVAILABILITY, WEEKDAYS, Availability, TimeRange, from_json, to_json
from lib.scheduling.form import DAY_FIELD_MAX_CHARS, OVERRIDES, OVERRIDES_MAX_CHARS, AvailabilityForm, ranges_text
from lib.scheduling.model import MAX_DOCUMENT_BYTES, MAX_OVERRIDES
from lib.scheduling.parse import document_size, from_stored
from lib.scheduling.words import fix_fields
from lib.service import BookingService
from lib.store.sqlite import SQLiteStore
from tests.support.fakes import FixedClock

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = date(2026, 11, 30)


def fields(**changes) -> AvailabilityForm:
    base = AvailabilityForm.of(DEFAULT_AVAILABILITY)
    return AvailabilityForm(**{**base.__dict__, **changes})


def test_the_fields_of_a_stored_availability_read_back_equal():
    a = Availability(weekly=((TimeRange(540, 720), TimeRange(780, 1020)),) + ((TimeRange(600, 1440),),) * 4 + ((), ()),
                     overrides=((date(2026, 12, 25), ()), (date(2026, 12, 24), (TimeRange(540, 720),))),
                     buffer_before=5, buffer_after=15, min_notice_minutes=120, slot_step_minutes=15, max_per_day=4,
                     horizon_days=60, timezone="Europe/Amsterdam")
    form = AvailabilityForm.of(a)
    assert form.weekly["mon"] == "09:00-12:00, 13:00-17:00" and form.weekly["tue"] == "10:00-24:00"
    assert form.weekly["sat"] == "" and form.overrides == "2026-12-24: 09:00-12:00\n2026-12-25: off"
    assert form.to_availability() == a
    assert AvailabilityForm.of(DEFAULT_AVAILABILITY).max_per_day == 0  # 0 on the page: no limit
    assert fields().to_availability() == DEFAULT_AVAILABILITY


def test_ranges_may_be_written_loosely():
    form = fields(weekly={"mon": " 9:00 – 12:00 ;13:00 to 17:00 ", "tue": "OFF", "wed": "-", "sun": "08:00-10:00"},
                  overrides="\n2026-12-24 : 09:00-12:00\n\n2026-12-25:  off\n", max_per_day=3)
    a = form.to_availability()
    assert a.weekly[0] == (TimeRange(540, 720), TimeRange(780, 1020))
    assert a.weekly[1] == a.weekly[2] == a.weekly[3] == () and a.weekly[6] == (TimeRange(480, 600),)
    assert a.overrides == ((date(2026, 12, 24), (TimeRange(540, 720),)), (date(2026, 12, 25), ()))
    assert a.max_per_day == 3
    assert ranges_text(a.weekly[0]) == "09:00-12:00, 13:00-17:00"


@pytest.mark.parametrize(("changes", "message"), [
    ({"weekly": {"mon": "17:00-09:00"}}, "Monday, 17:00–09:00: the end is before the start."),
    ({"weekly": {"mon": "09:00-09:00"}}, "Monday, 09:00–09:00: the end is the same as the start."),
    ({"weekly": {"tue": "09:00-12:00, 11:00-13:00"}}, "Tuesday: 09:00–12:00 and 11:00–13:00 overlap."),
    ({"weekly": {"sat": "09:00-12:00, 12:00-13:00"}},
     "Saturday: 09:00–12:00 and 12:00–13:00 touch; write them as one range, 09:00–13:00."),
    ({"weekly": {"wed": "09:00-25:00"}},
     "Wednesday, 09:00–25:00: 25:00 is not a time of day; write one from 00:00 to 24:00."),
    ({"weekly": {"thu": "9am-5pm"}}, "Thursday, 9am–5pm: “9am” is not a time written HH:MM, such as 09:30."),
    ({"weekly": {"fri": "09:00"}},
     "Friday: 09:00 is not a range; write it as 09:00-12:00, ranges separated by commas."),
    ({"overrides": "christmas: off"}, "Date overrides, line 1: “christmas: off” is not a date and its hours; "
                                      "write 2026-12-24: 09:00-12:00, or 2026-12-25: off."),
    ({"overrides": "2026-12-24: 09:00-12:00\n2026-12-24: off"},
     "Thursday, 24 December 2026 is given twice in the date overrides; keep one line for it."),
    ({"overrides": "\n2026-02-30: off"}, "Date overrides, line 2: 2026-02-30 is not a date in the calendar."),
    ({"overrides": "2026-12-24: 17:00-09:00"}, "Thursday, 24 December 2026, 17:00–09:00: the end is before the start."),
    ({"buffer_after": -5}, "Buffer after each session: must be from 0 to 720 minutes (12 hours), not -5."),
    ({"buffer_before": 800}, "Buffer before each session: must be from 0 to 720 minutes (12 hours), not 800."),
    ({"min_notice_minutes": 200000}, "Minimum notice: must be from 0 to 129600 minutes (90 days), not 200000."),
    ({"max_per_day": 97}, "Sessions per day at most: must be from 0 (no limit) to 96 sessions, not 97."),
    ({"horizon_days": 731}, "Bookable this many days ahead: must be from 0 to 730 days, not 731."),
    ({"slot_step_minutes": 7}, "Start times every: must be one of 5, 10, 15, 20, 30, 60 minutes, not 7."),
    ({"timezone": "Mars/Olympus"}, "Time zone of these hours: “Mars/Olympus” is not a time zone name such as "
                                   "Asia/Jakarta."),
])
def test_bad_fields_are_refused_in_words_naming_the_day_or_rule(changes, message):
    with pytest.raises(InvalidInput) as refused:
        fields(**changes).to_availability()
    assert str(refused.value) == message
    assert fields(**changes).read().problems == {next(iter(fields(**changes).read().problems)): message}


def test_every_refused_field_gets_its_own_message_in_page_order_and_no_availability():
    reading = fields(weekly={"mon": "17:00-09:00", "wed": "08:00-10:00", "sun": "10:00-24:01"},
                     overrides="2026-12-24: off\nnext friday: off", buffer_before=-1, horizon_days=9999).read()
    assert reading.availability is None
    assert list(reading.problems) == ["mon", "sun", "overrides", "buffer_before", "horizon_days"]
    assert reading.problems["sun"].startswith("Sunday, 10:00–24:01: 24:01 is not a time of day")
    assert reading.problems["overrides"].startswith("Date overrides, line 2: “next friday: off”")
    for message in reading.problems.values():  # never a field's internal name
        assert not re.search(r"weekly|overrides\.|\[\d\]|_|buffer_before|horizon_days", message), message
    assert fix_fields(len(reading.problems)) == "Not saved: fix 5 fields above."
    assert fix_fields(1) == "Not saved: fix the field above."
    good = fields(max_per_day=0).read()  # 0 on the page: no limit, not refused
    assert good.problems == {} and good.availability == DEFAULT_AVAILABILITY


# -- the preview of unsaved hours ---------------------------------------------------------------

@pytest.fixture
def svc(tmp_path, provider, sender) -> BookingService:
    store = SQLiteStore(tmp_path / "a.db")
    service = BookingService(store, provider, DemoGateway(), sender, Settings(sqlite_path=str(tmp_path / "a.db")),
                             clock=FixedClock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC)),  # Monday 08:00 WIB
                             sleep=lambda s: None)
    store.add_expert("Sari", "sari@example.com", 250_000, "Career")
    store.add_expert("Budi", "budi@example.com", 400_000)
    return service


def test_the_preview_uses_the_edited_hours_and_the_real_bookings_and_saves_nothing(svc):
    sari, budi = svc.experts(actor=SYSTEM)
    booked = svc.book(BookingRequest(expert_id=sari.id, session_type="Career mentoring", scheduled_date=MONDAY,
                                     scheduled_time=time(15, 0), duration=60,
                                     new_customer=NewCustomer("Andi", "andi@example.com")), actor=SYSTEM)
    svc.pay(booked.id, actor=SYSTEM)
    evenings = Availability(weekly=((TimeRange(14 * 60, 17 * 60),),) * 7, min_notice_minutes=0, slot_step_minutes=60)
    preview = svc.preview_slots(sari.id, evenings, 60, MONDAY, 1, actor=expert_actor(sari))
    assert [f"{s.start:%H:%M}" for s in preview.slots] == ["14:00", "16:00"]  # 15:00 is booked
    assert svc.store.get_availability(sari.id) is None  # nothing stored
    assert preview.slots != svc.free_slots(sari.id, 60, MONDAY, 1, actor=SYSTEM).slots  # still the default hours
    svc.set_availability(sari.id, evenings, actor=SYSTEM)  # the same function decides once saved
    assert svc.free_slots(sari.id, 60, MONDAY, 1, actor=SYSTEM).slots == preview.slots
    with pytest.raises(PermissionDenied):
        svc.preview_slots(budi.id, evenings, 60, MONDAY, 1, actor=expert_actor(sari))
    with pytest.raises(InvalidInput):
        svc.preview_slots(sari.id, evenings, 60, MONDAY, 0, actor=SYSTEM)



# -- the limits ------------------------------------------------------------------------------------

def test_the_limits_are_refused_in_words_naming_the_limit():
    seven = ", ".join(f"{h:02d}:00-{h:02d}:30" for h in range(8, 15))
    assert fields(weekly={**fields().weekly, "tue": seven}).read().problems == {
        "tue": "Tuesday: at most 6 ranges a day, not 7."}
    many = "\n".join(f"{date(2027, 1, 1) + timedelta(days=i)}: off" for i in range(MAX_OVERRIDES + 1))
    assert fields(overrides=many).read().problems == {
        OVERRIDES: "Date overrides: at most 366 date overrides, not 367; remove the dates that have passed or are not "
                   "needed."}
    assert fields(weekly={**fields().weekly, "mon": "09:00-10:00, " * 20}).read().problems == {
        "mon": f"Monday: at most {DAY_FIELD_MAX_CHARS} characters, not 260."}
    assert OVERRIDES in fields(overrides="x" * (OVERRIDES_MAX_CHARS + 1)).read().problems
    # An override more than two years ahead could never be booked: refused where it is saved.
    now = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # already Tuesday 8 December in Jakarta
    far = fields(overrides="2028-12-07: off\n2028-12-08: 09:00-12:00")
    assert far.read().problems == {}  # without the moment of saving, no date is too far
    assert far.read(now=now).problems == {
        OVERRIDES: "Friday, 8 December 2028: a date override can be at most 730 days ahead, until Thursday, "
                   "7 December 2028."}
    # Two hours before, it is still Monday 7 December in Jakarta: the last day allowed is a day sooner.
    assert far.read(now=now - timedelta(hours=2)).problems[OVERRIDES].startswith(
        "Thursday, 7 December 2028: a date override can be at most 730 days ahead, until Wednesday, 6 December")


def test_the_largest_availability_the_limits_allow_fits_the_document_size():
    ranges = ", ".join(f"{h:02d}:00-{h:02d}:59" for h in range(10, 22, 2))
    form = fields(weekly=dict.fromkeys(WEEKDAYS, ranges), timezone="America/Argentina/ComodRivadavia",
                  overrides="\n".join(f"{date(2026, 12, 8) + timedelta(days=i)}: {ranges}"
                                      for i in range(MAX_OVERRIDES)))
    assert len(form.overrides) <= OVERRIDES_MAX_CHARS
    assert all(len(v) <= DAY_FIELD_MAX_CHARS for v in form.weekly.values())
    largest = form.to_availability()
    text = json.dumps(to_json(largest, expert=str(uuid.uuid4())))
    assert document_size(text) is None and len(text) > MAX_DOCUMENT_BYTES * 3 // 4
    assert from_stored(text) == largest
    with pytest.raises(InvalidInput, match="can be at most 65536 bytes"):
        from_stored(text[:-1] + ", " + '"x": "' + "y" * MAX_DOCUMENT_BYTES + '"}')


def test_a_huge_document_is_refused_at_its_counts_before_any_range_is_read(monkeypatch):
    from lib.scheduling import parse

    read: list[object] = []
    monkeypatch.setattr(parse, "parse_range", lambda *a: read.append(a))
    huge = {"overrides": {f"{date(2027, 1, 1) + timedelta(days=i)}": [["09:00", "09:01"]] * 359 for i in range(2000)}}
    with pytest.raises(InvalidInput, match=r"at most 366 date overrides, not 2000"):
        from_json(huge)
    with pytest.raises(InvalidInput, match=r"^Monday: at most 6 ranges a day, not 359\.$"):
        from_json({"weekly": {"mon": [["09:00", "09:01"]] * 359}})
    assert read == []
