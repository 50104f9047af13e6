"""The availability model and its JSON form: what is accepted, what is refused and why."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.errors import InvalidInput
from lib.scheduling import DEFAULT_AVAILABILITY, WEEKDAYS, Availability, TimeRange, from_json, to_json

FULL = {
    "expert": "e1",
    "timezone": "Europe/Amsterdam",
    "weekly": {"mon": [["13:00", "17:00"], ["09:00", "12:00"]], "wed": [["10:00", "24:00"]], "sat": []},
    "overrides": {"2026-12-25": [], "2026-12-24": [["09:00", "12:00"]], "2026-12-31": None},
    "buffer_before": 5,
    "buffer_after": 15,
    "min_notice_minutes": 120,
    "slot_step_minutes": 15,
    "max_per_day": 4,
    "horizon_days": 60,
}


def test_default_is_weekdays_nine_to_five_in_the_app_zone() -> None:
    a = DEFAULT_AVAILABILITY
    assert a.timezone == "Asia/Jakarta"
    assert a.weekly[:5] == ((TimeRange(540, 1020),),) * 5 and a.weekly[5:] == ((), ())
    assert a == Availability() == from_json({})


def test_full_shape_is_read_sorted_and_written_back() -> None:
    a = from_json(FULL, expert="e1")
    assert a.weekly[0] == (TimeRange(9 * 60, 12 * 60), TimeRange(13 * 60, 17 * 60))  # sorted
    assert a.weekly[2] == (TimeRange(600, 1440),)
    assert a.weekly[1] == () and a.weekly[5] == ()
    assert a.hours_on(date(2026, 12, 25)) == ()  # override: day off
    assert a.hours_on(date(2026, 12, 31)) == ()  # null is a day off too
    assert a.hours_on(date(2026, 12, 24)) == (TimeRange(540, 720),)
    assert a.hours_on(date(2026, 12, 28)) == a.weekly[0]  # a Monday without override
    assert (a.buffer_before, a.buffer_after, a.min_notice_minutes, a.slot_step_minutes,
            a.max_per_day, a.horizon_days) == (5, 15, 120, 15, 4, 60)
    out = to_json(a, expert="e1")
    assert out["weekly"]["mon"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert out["weekly"]["wed"] == [["10:00", "24:00"]]
    assert list(out["overrides"]) == ["2026-12-24", "2026-12-25", "2026-12-31"]
    assert from_json(json.loads(json.dumps(out)), expert="e1") == a


def test_missing_weekday_has_no_hours_and_null_max_is_no_limit() -> None:
    a = from_json({"weekly": {"tue": [["08:00", "09:00"]]}, "max_per_day": None})
    assert [bool(day) for day in a.weekly] == [False, True, False, False, False, False, False]
    assert a.max_per_day is None


def _with(path: str, value: object) -> dict:
    data = copy.deepcopy(FULL)
    *parents, last = path.split("/")
    node = data
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return data


_DELETE = object()

REFUSED = [
    ("weekly/mon", [["12:00", "09:00"]], "Monday, first range (12:00–09:00): the end is before the start."),
    ("weekly/mon", [["09:00", "09:00"]], "Monday, first range (09:00–09:00): the end is the same as the start."),
    ("weekly/mon", [["09:00", "12:00"], ["11:00", "13:00"]], "Monday: 09:00–12:00 and 11:00–13:00 overlap."),
    ("weekly/mon", [["09:00", "12:00"], ["12:00", "13:00"]], "touch; write them as one range, 09:00–13:00."),
    ("weekly/mon", [["25:00", "26:00"]], "Monday, first range (25:00–26:00): 25:00 is not a time of day; write one "
                                         "from 00:00 to 23:59."),
    ("weekly/mon", [["09:00", "24:01"]], "Monday, first range (09:00–24:01): 24:01 is not a time of day; write one "
                                         "from 00:00 to 24:00."),
    ("weekly/tue", [["09:00", "10:00"], ["24:00", "24:00"]], "Tuesday, second range (24:00–24:00): 24:00 can only "
                                                             "end a range"),
    ("weekly/mon", [["09:60", "10:00"]], "Monday, first range (09:60–10:00): 09:60 is not a time of day"),
    ("weekly/mon", [["9am", "10:00"]], "Monday, first range (9am–10:00): “9am” is not a time written HH:MM"),
    ("weekly/mon", [[900, "10:00"]], "Monday, first range (900–10:00): 900 is not a time written HH:MM"),
    ("weekly/mon", [["09:00"]], "Monday, first range: must be a [start, end] pair"),
    ("weekly/mon", "09:00-17:00", "Monday: the hours must be a list of [start, end] pairs"),
    ("weekly/monday", [["09:00", "10:00"]], "The weekly hours (weekly): “monday” is not a weekday"),
    ("weekly", [], "The weekly hours (weekly) must be an object"),
    ("overrides/2026-13-01", [], "The date overrides (overrides): “2026-13-01” is not a date written YYYY-MM-DD"),
    ("overrides/20261201", [], "“20261201” is not a date"),
    ("overrides/2026-12-24", [["10:00", "09:00"]], "Thursday, 24 December 2026, first range (10:00–09:00): the end "
                                                   "is before the start."),
    ("overrides", [], "The date overrides (overrides) must be an object"),
    ("timezone", "Mars/Olympus", "Time zone of these hours (timezone): “Mars/Olympus” is not a time zone name"),
    ("timezone", "../../etc/passwd", "(timezone):"),
    ("timezone", "", "(timezone):"),
    ("timezone", 7, "(timezone): 7 is not a time zone"),
    ("buffer_before", -5, "Buffer before each session (buffer_before): must be from 0 to 720 minutes (12 hours), "
                          "not -5."),
    ("buffer_after", 1.5, "Buffer after each session (buffer_after): must be a whole number of minutes, not “1.5”."),
    ("buffer_after", "15", "(buffer_after): must be a whole number of minutes, not “15”."),
    ("min_notice_minutes", True, "Minimum notice (min_notice_minutes): must be a whole number of minutes, not “True”"),
    ("min_notice_minutes", -1, "Minimum notice (min_notice_minutes): must be from 0 to 129600 minutes (90 days)"),
    ("slot_step_minutes", 7, "Start times every (slot_step_minutes): must be one of 5, 10, 15, 20, 30, 60 minutes, "
                             "not 7."),
    ("slot_step_minutes", 45, "(slot_step_minutes): must be one of"),
    ("max_per_day", 0, "Sessions per day at most (max_per_day): must be from 1 to 96 sessions, or null for no "
                       "limit, not 0."),
    ("horizon_days", -1, "Bookable this many days ahead (horizon_days): must be from 0 to 730 days, not -1."),
    ("horizon_days", None, "(horizon_days): must be a whole number of days, not “None”."),
    ("expert", "e2", "This availability is for the expert “e2”, not “e1”."),
    ("expert", 3, "The expert (expert) must be an expert id, not 3."),
    ("buffer_befor", 5, "“buffer_befor” is not a field of an availability"),
]


@pytest.mark.parametrize(("path", "value", "message"), REFUSED, ids=[r[2][:40] for r in REFUSED])
def test_bad_input_is_refused_naming_the_day_or_rule_in_words(path: str, value: object, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        from_json(_with(path, value), expert="e1")
    assert message in str(refused.value)


@pytest.mark.parametrize("data", [None, [], "x", 3])
def test_not_an_object_is_refused(data: object) -> None:
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        from_json(data)


def test_constructor_checks_the_same_rules() -> None:
    with pytest.raises(InvalidInput, match="^Tuesday: 09:00–12:00 and 10:00–11:00 overlap.$"):
        Availability(weekly=((), (TimeRange(540, 720), TimeRange(600, 660)), (), (), (), (), ()))
    with pytest.raises(InvalidInput, match="seven weekdays"):
        Availability(weekly=((),) * 6)
    with pytest.raises(InvalidInput, match="Thursday, 1 January 2026 is given twice in the date overrides"):
        Availability(overrides=((date(2026, 1, 1), ()), (date(2026, 1, 1), ())))
    with pytest.raises(InvalidInput, match="end after it starts"):
        TimeRange(600, 600)
    with pytest.raises(InvalidInput, match=r"Buffer after each session \(buffer_after\): must be from 0 to 720"):
        Availability(buffer_after=-1)


# -- round trip, generated ---------------------------------------------------------------

@st.composite
def day_hours(draw: st.DrawFn) -> list[list[str]]:
    cuts = sorted(draw(st.sets(st.integers(0, 1440), max_size=6)))
    pairs = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if b - a >= 1]
    # keep a gap between ranges (touching ranges are refused)
    kept, last_end = [], -1
    for a, b in pairs:
        if a > last_end and a < 1440:
            kept.append((a, b))
            last_end = b
    return [[f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"] for a, b in kept]


availability_json = st.fixed_dictionaries(
    {
        "weekly": st.dictionaries(st.sampled_from(WEEKDAYS), day_hours()),
        "overrides": st.dictionaries(st.dates(date(2020, 1, 1), date(2035, 1, 1)).map(date.isoformat), day_hours(),
                                     max_size=4),
        "timezone": st.sampled_from(["Asia/Jakarta", "Europe/Amsterdam", "America/New_York", "UTC"]),
        "buffer_before": st.integers(0, 720),
        "buffer_after": st.integers(0, 720),
        "min_notice_minutes": st.integers(0, 1000),
        "slot_step_minutes": st.sampled_from([5, 10, 15, 20, 30, 60]),
        "max_per_day": st.none() | st.integers(1, 96),
        "horizon_days": st.integers(0, 730),
    }
)


@settings(max_examples=150, deadline=None)
@given(availability_json)
def test_json_round_trip(data: dict) -> None:
    a = from_json(data, expert="x")
    out = to_json(a, expert="x")
    assert json.loads(json.dumps(out)) == out
    assert from_json(out, expert="x") == a
    assert to_json(from_json(out), expert="x") == out


@pytest.mark.parametrize("zone", [["Asia/Jakarta"], None, "Asia/Nowhere"])
def test_constructor_refuses_a_bad_zone(zone: object) -> None:
    with pytest.raises(InvalidInput, match="timezone"):
        Availability(timezone=zone)  # type: ignore[arg-type]


def test_keys_left_out_take_the_given_base():
    from dataclasses import replace

    from lib.scheduling import DEFAULT_AVAILABILITY

    base = replace(DEFAULT_AVAILABILITY, timezone="Europe/Amsterdam", horizon_days=60, buffer_after=10)
    a = from_json({"weekly": {"mon": [["09:00", "17:00"]]}}, base=base)
    assert (a.timezone, a.horizon_days, a.buffer_after, a.weekly[1]) == ("Europe/Amsterdam", 60, 10, ())
    assert from_json({"timezone": "Asia/Jakarta"}, base=base).timezone == "Asia/Jakarta"
    assert from_json({}) == DEFAULT_AVAILABILITY
