"""The Availability page's fields read into an ``Availability`` (and back), the service's preview of
unsaved hours, and the week view's shapes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from lib.access import SYSTEM, expert_actor
from lib.config import Settings
from lib.domain import BookingRequest, NewCustomer
from lib.errors import InvalidInput, PermissionDenied
from lib.payments.demo import DemoGateway
from lib.scheduling import DEFAULT_AVAILABILITY, Availability, TimeRange
from lib.scheduling.form import AvailabilityForm, ranges_text
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


@pytest.mark.parametrize(("changes", "named"), [
    ({"weekly": {"mon": "12:00-09:00"}}, "weekly.mon[0]"),  # ends before it starts
    ({"weekly": {"tue": "09:00-12:00, 11:00-13:00"}}, "weekly.tue: ranges 09:00–12:00 and 11:00–13:00 overlap"),
    ({"weekly": {"wed": "09:00-25:00"}}, "weekly.wed[0] end: '25:00'"),
    ({"weekly": {"thu": "nine to five"}}, "weekly.thu[0]"),
    ({"weekly": {"fri": "09:00"}}, "weekly.fri[0]"),
    ({"overrides": "christmas: off"}, "overrides line 1"),
    ({"overrides": "2026-12-24: 09:00-12:00\n2026-12-24: off"}, "overrides.2026-12-24: given twice"),
    ({"overrides": "2026-02-30: off"}, "overrides.2026-02-30"),
    ({"overrides": "2026-12-24: 17:00-09:00"}, "overrides.2026-12-24[0]"),
    ({"buffer_after": -5}, "buffer_after"),
    ({"slot_step_minutes": 7}, "slot_step_minutes"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
])
def test_bad_fields_are_refused_naming_the_field(changes, named):
    with pytest.raises(InvalidInput) as refused:
        fields(**changes).to_availability()
    assert named in str(refused.value)


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


@pytest.mark.default_hours
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

