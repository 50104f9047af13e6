"""Free slots: each rule in a table, daylight-saving days pinned to exact instants, and
generated schedules checked against a slow, literal reading of the rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lib.errors import InvalidInput
from lib.scheduling import Availability, Reason, Slot, TimeRange, free_slots, nearest_free, why_not, window

JKT = ZoneInfo("Asia/Jakarta")
AMS = ZoneInfo("Europe/Amsterdam")
NYC = ZoneInfo("America/New_York")
MON = date(2026, 3, 2)  # a Monday


def at(day: date, hhmm: str, zone: ZoneInfo = JKT) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=zone)


def hours(*ranges: str) -> tuple[TimeRange, ...]:
    out = []
    for r in ranges:
        a, b = r.split("-")
        out.append(TimeRange(int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:])))
    return tuple(out)


def every_day(*ranges: str, **kw: object) -> Availability:
    return Availability(weekly=(hours(*ranges),) * 7, min_notice_minutes=0, **kw)  # type: ignore[arg-type]


def starts(slots: list[Slot]) -> list[str]:
    return [s.start.strftime("%H:%M") for s in slots]


EARLY = at(MON, "00:00")


def u(moment: datetime) -> datetime:
    return moment.astimezone(UTC)  # "now" before every slot of MON


# -- the rules, one by one -----------------------------------------------------------------

def test_lunch_break_and_range_end_bound_the_session() -> None:
    a = every_day("09:00-12:00", "13:00-15:00")
    got = free_slots(a, 60, MON, MON, now=EARLY)
    assert starts(got) == ["09:00", "09:30", "10:00", "10:30", "11:00", "13:00", "13:30", "14:00"]
    assert all(s.end - s.start == timedelta(minutes=60) and s.start.tzinfo is JKT for s in got)


def test_grid_runs_from_the_range_start_by_the_step() -> None:
    a = every_day("09:10-10:30", slot_step_minutes=15)
    assert starts(free_slots(a, 30, MON, MON, now=EARLY)) == ["09:10", "09:25", "09:40", "09:55"]


def test_override_replaces_the_weekday_and_empty_override_is_a_day_off() -> None:
    tue = MON + timedelta(days=1)
    a = replace(every_day("09:00-11:00"), overrides=((MON, hours("14:00-15:00")), (tue, ())))
    assert starts(free_slots(a, 60, MON, tue, now=EARLY)) == ["14:00"]


def test_notice_counts_from_now() -> None:
    a = replace(every_day("09:00-12:00"), min_notice_minutes=90)
    assert starts(free_slots(a, 60, MON, MON, now=at(MON, "08:45"))) == ["10:30", "11:00"]


def test_horizon_is_counted_in_days_from_today_in_the_expert_zone() -> None:
    a = replace(every_day("09:00-10:00"), horizon_days=2)
    # 23:30 UTC on Sunday is already Monday in Jakarta: today is MON, the last day MON + 2.
    now = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    got = free_slots(a, 60, MON - timedelta(days=1), MON + timedelta(days=5), now=now)
    assert [s.start.date() for s in got] == [MON, MON + timedelta(days=1), MON + timedelta(days=2)]


def test_daily_maximum_counts_bookings_by_the_day_they_start() -> None:
    a = replace(every_day("00:00-24:00", slot_step_minutes=60), max_per_day=2)
    tue = MON + timedelta(days=1)
    bookings = [
        (at(MON, "02:00"), at(MON, "03:00")),
        (at(MON, "23:30"), at(tue, "00:30")),  # crosses midnight: counts for MON only
    ]
    got = free_slots(a, 60, MON, tue, now=EARLY, bookings=bookings)
    assert {s.start.date() for s in got} == {tue}
    assert why_not(a, at(MON, "10:00"), 60, EARLY, bookings).reason is Reason.DAY_FULL
    assert "already has 2 sessions on Monday, 2 March 2026" in why_not(a, at(MON, "10:00"), 60, EARLY, bookings).message


def test_buffers_around_bookings_keep_the_larger_gap_on_both_sides() -> None:
    # buffer_before 15, buffer_after 30: between two sessions at least 30 minutes.
    a = every_day("08:00-13:00", slot_step_minutes=15, buffer_before=15, buffer_after=30)
    got = free_slots(a, 60, MON, MON, now=EARLY, bookings=[(at(MON, "10:00"), at(MON, "11:00"))])
    assert starts(got) == ["08:00", "08:15", "08:30", "11:30", "11:45", "12:00"]


def test_busy_time_blocks_the_slot_with_its_own_buffers_only() -> None:
    # The slot's rest after (30) may not fall in the busy time, nor its preparation before (15).
    a = every_day("08:00-13:00", slot_step_minutes=15, buffer_before=15, buffer_after=30)
    busy = [(datetime(2026, 3, 2, 3, 0, tzinfo=UTC), datetime(2026, 3, 2, 4, 0, tzinfo=UTC))]  # 10:00-11:00 WIB
    got = free_slots(a, 60, MON, MON, now=EARLY, busy=busy)
    assert starts(got) == ["08:00", "08:15", "08:30", "11:15", "11:30", "11:45", "12:00"]


def test_touching_sessions_are_allowed_without_buffers() -> None:
    a = every_day("09:00-12:00", slot_step_minutes=60)
    got = free_slots(a, 60, MON, MON, now=EARLY, bookings=[(at(MON, "10:00"), at(MON, "11:00"))],
                     busy=[(at(MON, "11:00", UTC), at(MON, "11:30", UTC))])
    assert starts(got) == ["09:00", "11:00"]


def test_busy_ranges_are_compared_as_instants_not_wall_clock() -> None:
    a = every_day("09:00-12:00", slot_step_minutes=60)
    # 09:00-10:00 in UTC is 16:00-17:00 in Jakarta: outside the hours, blocks nothing.
    assert starts(free_slots(a, 60, MON, MON, now=EARLY, busy=[(at(MON, "09:00", UTC), at(MON, "10:00", UTC))])) \
        == ["09:00", "10:00", "11:00"]
    # 02:00-03:00 UTC is 09:00-10:00 in Jakarta.
    assert starts(free_slots(a, 60, MON, MON, now=EARLY, busy=[(at(MON, "02:00", UTC), at(MON, "03:00", UTC))])) \
        == ["10:00", "11:00"]


# -- daylight saving ------------------------------------------------------------------------

def test_weekly_hours_keep_their_wall_clock_across_a_change() -> None:
    """The same 09:00 on both sides of New York's change on 8 March 2026 is a different UTC hour."""
    a = Availability(weekly=(hours("09:00-10:00"),) * 7, timezone="America/New_York", min_notice_minutes=0)
    got = free_slots(a, 60, date(2026, 3, 6), date(2026, 3, 9), now=datetime(2026, 3, 1, tzinfo=UTC))
    assert [s.start.astimezone(UTC).strftime("%d %H:%M") for s in got] == ["06 14:00", "07 14:00",
                                                                          "08 13:00", "09 13:00"]
    assert all(s.start.strftime("%H:%M") == "09:00" for s in got)


def test_spring_forward_day_has_one_hour_less() -> None:
    a = Availability(weekly=(hours("00:00-06:00"),) * 7, timezone="Europe/Amsterdam", min_notice_minutes=0,
                     slot_step_minutes=60)
    day = date(2026, 3, 29)
    got = free_slots(a, 60, day, day, now=datetime(2026, 3, 1, tzinfo=UTC))
    assert [s.start.isoformat() for s in got] == [
        "2026-03-29T00:00:00+01:00", "2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00",
        "2026-03-29T04:00:00+02:00", "2026-03-29T05:00:00+02:00"]


def test_fall_back_day_has_one_hour_more() -> None:
    a = Availability(weekly=(hours("00:00-06:00"),) * 7, timezone="Europe/Amsterdam", min_notice_minutes=0,
                     slot_step_minutes=60)
    day = date(2026, 10, 25)
    got = free_slots(a, 60, day, day, now=datetime(2026, 3, 1, tzinfo=UTC))
    assert [s.start.isoformat() for s in got] == [
        "2026-10-25T00:00:00+02:00", "2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00", "2026-10-25T04:00:00+01:00",
        "2026-10-25T05:00:00+01:00"]


def test_skipped_and_repeated_wall_times_resolve_as_documented() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    a = Availability(timezone="Europe/Amsterdam", min_notice_minutes=0,
                     overrides=((spring, hours("02:30-05:00")), (autumn, hours("02:30-04:00"))))
    # 02:30 does not exist on 29 March: read with the offset before the change, it is 03:30.
    assert [s.start.isoformat() for s in free_slots(a, 30, spring, spring, now=now)][:2] == [
        "2026-03-29T03:30:00+02:00", "2026-03-29T04:00:00+02:00"]
    # 02:30 happens twice on 25 October: the range starts at the first one.
    assert [s.start.isoformat() for s in free_slots(a, 30, autumn, autumn, now=now)] == [
        "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:00:00+01:00", "2026-10-25T03:30:00+01:00"]


# -- why_not and nearest_free -------------------------------------------------------------

def test_why_not_names_each_rule() -> None:
    a = replace(every_day("09:00-12:00", "13:00-17:00"), min_notice_minutes=60, horizon_days=3,
                buffer_after=15, max_per_day=3)
    now = at(MON, "09:10")
    bookings = [(at(MON, "14:00"), at(MON, "15:00"))]
    busy = [(at(MON, "16:00"), at(MON, "16:30"))]
    cases = {
        at(MON, "10:30"): None,
        at(MON, "11:30"): Reason.OUTSIDE_HOURS,  # would end at 12:30, in the lunch break
        at(MON, "12:00"): Reason.OUTSIDE_HOURS,
        at(MON, "10:10"): Reason.OFF_GRID,
        at(MON, "09:00"): Reason.TOO_SOON,  # in the past
        at(MON, "10:00"): Reason.TOO_SOON,  # 50 minutes away, 60 needed
        at(MON + timedelta(days=4), "10:00"): Reason.BEYOND_HORIZON,
        at(MON, "13:00"): Reason.OVERLAPS_BOOKING,  # its 15 minutes after touch 14:00
        at(MON, "15:00"): Reason.OVERLAPS_BOOKING,  # the booking's 15 minutes after
        at(MON, "15:30"): Reason.BUSY_IN_CALENDAR,
    }
    for start, expected in cases.items():
        got = why_not(a, start, 60, now, bookings, busy)
        assert (got.reason if got else None) is expected, (start, got)
    assert "is in the past" in why_not(a, at(MON, "09:00"), 60, now).message
    assert "needs 1 hour' notice" in why_not(a, at(MON, "10:00"), 60, now).message
    assert "09:00–12:00, 13:00–17:00 (Asia/Jakarta)" in why_not(a, at(MON, "12:00"), 60, now).message
    assert "Monday, 2 March 2026, 15:30 WIB" in why_not(a, at(MON, "15:30"), 60, now, bookings, busy).message
    day_off = replace(a, overrides=((MON, ()),))
    assert "is a day off" in why_not(day_off, at(MON, "10:30"), 60, now).message
    # The same instant written in another zone is the same start.
    assert why_not(a, at(MON, "10:30").astimezone(UTC), 60, now) is None


def test_nearest_free_offers_the_closest_starts_in_time_order() -> None:
    a = every_day("09:00-12:00", slot_step_minutes=60)
    bookings = [(at(MON, "10:00"), at(MON, "11:00"))]
    got = nearest_free(a, at(MON, "10:00"), 60, EARLY, bookings)
    assert [s.start for s in got] == [at(MON, "09:00"), at(MON, "11:00"), at(MON + timedelta(days=1), "09:00")]
    assert nearest_free(a, at(MON, "10:00"), 60, EARLY, bookings, n=1) == [Slot(at(MON, "09:00"), at(MON, "10:00"))]
    assert nearest_free(replace(a, horizon_days=0), at(MON, "10:00"), 60, at(MON, "11:30"), bookings) == []


def test_bad_arguments() -> None:
    a = every_day("09:00-12:00")
    with pytest.raises(InvalidInput, match="duration"):
        free_slots(a, 0, MON, MON, now=EARLY)
    with pytest.raises(ValueError, match="aware"):
        free_slots(a, 60, MON, MON, now=datetime(2026, 3, 2))
    with pytest.raises(ValueError, match="aware"):
        free_slots(a, 60, MON, MON, now=EARLY, busy=[(datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 10))])
    with pytest.raises(ValueError, match="ends before it starts"):
        free_slots(a, 60, MON, MON, now=EARLY, bookings=[(at(MON, "10:00"), at(MON, "09:00"))])


# -- generated schedules against a literal reading of the rules -----------------------------

ZONES = ["Asia/Jakarta", "Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe"]
# Around each zone's changes in 2026 (Lord Howe moves by 30 minutes), plus ordinary weeks.
FIRST_DAYS = [date(2026, 3, 6), date(2026, 3, 27), date(2026, 4, 3), date(2026, 10, 2), date(2026, 10, 23),
              date(2026, 10, 30), date(2026, 6, 15)]


@st.composite
def ranges(draw: st.DrawFn) -> tuple[TimeRange, ...]:
    cuts = sorted(draw(st.sets(st.integers(0, 96).map(lambda q: q * 15), max_size=6)))
    out: list[TimeRange] = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=False):
        if a < 1440 and (not out or a > out[-1].end):
            out.append(TimeRange(a, b))
    return tuple(out)


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    zone = draw(st.sampled_from(ZONES))
    first = draw(st.sampled_from(FIRST_DAYS))
    days = draw(st.integers(1, 6))
    last = first + timedelta(days=days - 1)
    overrides = draw(st.dictionaries(st.dates(first - timedelta(days=1), last + timedelta(days=1)), ranges(),
                                     max_size=3))
    a = Availability(
        weekly=tuple(draw(ranges()) for _ in range(7)),
        overrides=tuple(overrides.items()),
        buffer_before=draw(st.sampled_from([0, 5, 15, 30, 45])),
        buffer_after=draw(st.sampled_from([0, 10, 15, 60])),
        min_notice_minutes=draw(st.integers(0, 48 * 60)),
        slot_step_minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 60])),
        max_per_day=draw(st.none() | st.integers(1, 4)),
        horizon_days=draw(st.integers(0, 8)),
        timezone=zone,
    )
    base = datetime.combine(first, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    span = days * 24 * 60

    def intervals() -> list[tuple[datetime, datetime]]:
        items = draw(st.lists(st.tuples(st.integers(-24 * 60, span + 24 * 60), st.integers(1, 240)), max_size=12))
        return [(base + timedelta(minutes=s), base + timedelta(minutes=s + d)) for s, d in items]

    return {
        "a": a, "first": first, "last": last,
        "duration": draw(st.sampled_from([15, 30, 45, 60, 90, 120])),
        "now": base + timedelta(minutes=draw(st.integers(-3 * 24 * 60, span))),
        "bookings": intervals(), "busy": intervals(),
    }


def literal(sc: dict) -> list[tuple[datetime, datetime, Reason | None]]:
    """Every grid candidate and the first rule refusing it, read straight off the module
    docstring with datetimes and nested loops (slow and obvious)."""
    a: Availability = sc["a"]
    zone = ZoneInfo(a.timezone)
    dur, now = timedelta(minutes=sc["duration"]), sc["now"]
    before, after = timedelta(minutes=a.buffer_before), timedelta(minutes=a.buffer_after)
    today = now.astimezone(zone).date()
    out = []
    day = sc["first"]
    while day <= sc["last"]:
        count = sum(1 for s, _ in sc["bookings"] if s.astimezone(zone).date() == day)
        for r in a.hours_on(day):
            rs = datetime.combine(day, time(r.start // 60, r.start % 60), tzinfo=zone).astimezone(UTC)
            end_day, end_min = (day + timedelta(days=1), 0) if r.end == 1440 else (day, r.end)
            re = datetime.combine(end_day, time(end_min // 60, end_min % 60), tzinfo=zone).astimezone(UTC)
            k = 0
            while rs + k * timedelta(minutes=a.slot_step_minutes) + dur <= re:
                s = rs + k * timedelta(minutes=a.slot_step_minutes)
                e = s + dur
                k += 1
                if s < now + timedelta(minutes=a.min_notice_minutes):
                    reason = Reason.TOO_SOON
                elif day > today + timedelta(days=a.horizon_days):
                    reason = Reason.BEYOND_HORIZON
                elif a.max_per_day is not None and count >= a.max_per_day:
                    reason = Reason.DAY_FULL
                elif any((s < be + after and bs - before < e) or (s - before < be and bs < e + after)
                         for bs, be in sc["bookings"]):
                    reason = Reason.OVERLAPS_BOOKING
                elif any(s - before < be and bs < e + after for bs, be in sc["busy"]):
                    reason = Reason.BUSY_IN_CALENDAR
                else:
                    reason = None
                out.append((s, e, reason))
        day += timedelta(days=1)
    return out


PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(scenarios())
def test_free_slots_are_exactly_the_candidates_no_rule_refuses(sc: dict) -> None:
    a: Availability = sc["a"]
    zone = ZoneInfo(a.timezone)
    got = free_slots(a, sc["duration"], sc["first"], sc["last"], now=sc["now"], bookings=sc["bookings"],
                     busy=sc["busy"])
    expected = [(s, e) for s, e, reason in literal(sc) if reason is None]
    # Compare in UTC: Python compares two datetimes of the same zone by wall clock, and never
    # finds a repeated wall time (clocks turned back) equal to a datetime in another zone.
    assert [(u(s.start), u(s.end)) for s in got] == expected
    before, after = timedelta(minutes=a.buffer_before), timedelta(minutes=a.buffer_after)
    for slot in got:
        assert slot.start.tzinfo is zone and slot.end.tzinfo is zone
        day = slot.start.date()
        s, e = u(slot.start), u(slot.end)
        assert e - s == timedelta(minutes=sc["duration"])
        assert sc["first"] <= day <= sc["last"]
        assert s >= sc["now"] + timedelta(minutes=a.min_notice_minutes)
        assert day <= sc["now"].astimezone(zone).date() + timedelta(days=a.horizon_days)
        if a.max_per_day is not None:
            assert sum(1 for b, _ in sc["bookings"] if b.astimezone(zone).date() == day) < a.max_per_day
        for bs, be in sc["bookings"]:  # neither session inside the other's padding
            assert not (s < be + after and bs - before < e)
            assert not (s - before < be and bs < e + after)
        for bs, be in sc["busy"]:
            assert not (s - before < be and bs < e + after)
        # inside one range of its day, on that range's step grid
        inside = []
        for r in a.hours_on(day):
            rs = u(datetime.combine(day, time(r.start // 60, r.start % 60), tzinfo=zone))
            re = u(datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) if r.end == 1440
                   else datetime.combine(day, time(r.end // 60, r.end % 60), tzinfo=zone))
            if rs <= s and e <= re:
                inside.append((s - rs) % timedelta(minutes=a.slot_step_minutes) == timedelta(0))
        assert inside == [True]


@PROPS
@given(scenarios(), st.data())
def test_why_not_agrees_with_the_slot_list(sc: dict, data: st.DataObject) -> None:
    a: Availability = sc["a"]
    args = (sc["duration"], sc["now"], sc["bookings"], sc["busy"])
    free = {u(s.start) for s in free_slots(a, sc["duration"], sc["first"], sc["last"], now=sc["now"],
                                        bookings=sc["bookings"], busy=sc["busy"])}
    for s, _e, reason in literal(sc):
        refusal = why_not(a, s, *args)
        assert (refusal is None) == (s in free)
        assert (refusal.reason if refusal else None) is reason
        assert refusal is None or refusal.message
    # Any other minute of the window is refused as off the grid or outside the hours.
    zone = ZoneInfo(a.timezone)
    base = datetime.combine(sc["first"], time(0), tzinfo=zone)
    for minute in data.draw(st.lists(st.integers(0, 24 * 60 * ((sc["last"] - sc["first"]).days + 1) - 1), max_size=20)):
        start = base.astimezone(UTC) + timedelta(minutes=minute)
        assume(sc["first"] <= start.astimezone(zone).date() <= sc["last"])
        refusal = why_not(a, start.astimezone(zone), *args)
        assert (refusal is None) == (start in free)
        if start not in {s for s, _, _ in literal(sc)}:
            assert refusal.reason in (Reason.OFF_GRID, Reason.OUTSIDE_HOURS)


def within(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:  # noqa: E501
    """What a store returns for ``[start, end)``: the intervals overlapping it (empty ones dropped)."""
    return [(s, e) for s, e in intervals if e > start and s < end and e > s]


@PROPS
@given(scenarios(), st.data())
def test_the_check_of_one_start_needs_only_its_days_window(sc: dict, data: st.DataObject) -> None:
    """``book`` checks a start with the bookings (and busy time) of ``window(day)`` alone: the
    same answer and reason as the slot list computed with all of them, for every candidate and
    for any other minute, in every zone (clock changes included)."""
    a: Availability = sc["a"]
    zone = ZoneInfo(a.timezone)
    every = free_slots(a, sc["duration"], sc["first"], sc["last"], now=sc["now"], bookings=sc["bookings"],
                       busy=sc["busy"])
    free = {u(s.start) for s in every}
    reasons = {s: reason for s, _e, reason in literal(sc)}
    base = datetime.combine(sc["first"], time(0), tzinfo=zone).astimezone(UTC)
    minutes = data.draw(st.lists(st.integers(0, 24 * 60 * ((sc["last"] - sc["first"]).days + 1) - 1), max_size=10))
    for start in [*reasons, *(base + timedelta(minutes=m) for m in minutes)]:
        day = start.astimezone(zone).date()
        if not sc["first"] <= day <= sc["last"]:
            continue
        ws, we = window(a, day)
        narrow = why_not(a, start.astimezone(zone), sc["duration"], sc["now"], within(sc["bookings"], ws, we),
                         within(sc["busy"], ws, we))
        wide = why_not(a, start.astimezone(zone), sc["duration"], sc["now"], sc["bookings"], sc["busy"])
        assert (narrow is None) == (start in free)
        assert narrow == wide
        if start in reasons:
            assert (narrow.reason if narrow else None) is reasons[start]


@pytest.mark.parametrize("zone", [JKT, AMS, NYC])
@pytest.mark.parametrize("day", [MON, date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1)])
def test_the_days_window_holds_the_farthest_bookings_that_still_refuse_a_start(zone: ZoneInfo, day: date) -> None:
    """The widest buffers (12 hours) around the first and the last start of a whole day's hours,
    on ordinary days and on days the clocks change: the booking that refuses each start lies
    inside ``window(day)``, and one a minute farther refuses nothing."""
    a = every_day("00:00-24:00", slot_step_minutes=60, buffer_before=720, buffer_after=720, timezone=zone.key)
    ws, we = window(a, day)
    first = datetime.combine(day, time(0), tzinfo=zone)
    last = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) - timedelta(hours=1)
    before = (first - timedelta(hours=13), first - timedelta(hours=12) + timedelta(minutes=1))
    after = (last + timedelta(hours=13) - timedelta(minutes=1), last + timedelta(hours=14))
    for start, booking in ((first, before), (last, after)):
        assert ws < booking[1] and booking[0] < we
        assert why_not(a, start, 60, first - timedelta(days=3), [booking]).reason is Reason.OVERLAPS_BOOKING
    farther = [(before[0] - timedelta(minutes=1), before[1] - timedelta(minutes=1)),
               (after[0] + timedelta(minutes=1), after[1] + timedelta(minutes=1))]
    assert why_not(a, first, 60, first - timedelta(days=3), farther) is None
    assert why_not(a, last, 60, first - timedelta(days=3), farther) is None


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.integers(1, 5))
def test_nearest_free_are_free_and_nearest(sc: dict, n: int) -> None:
    a: Availability = sc["a"]
    wanted = sc["now"] + timedelta(hours=30)
    got = nearest_free(a, wanted, sc["duration"], sc["now"], sc["bookings"], sc["busy"], n=n)
    today = sc["now"].astimezone(ZoneInfo(a.timezone)).date()
    every = free_slots(a, sc["duration"], today, today + timedelta(days=a.horizon_days), now=sc["now"],
                       bookings=sc["bookings"], busy=sc["busy"])
    got_utc = [u(s.start) for s in got]
    assert got_utc == sorted(got_utc) and len(got) == min(n, len(every))
    assert all(why_not(a, s.start, sc["duration"], sc["now"], sc["bookings"], sc["busy"]) is None for s in got)
    if got:
        worst = max(abs(s - wanted) for s in got_utc)
        assert all(abs(u(s.start) - wanted) >= worst for s in every if u(s.start) not in got_utc)
