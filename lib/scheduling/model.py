"""An expert's availability: weekly hours, date overrides and the rules around each session.

Pure values, no I/O. Every ``Availability`` that exists is valid: the constructor checks the
same rules as the JSON parser (``lib.scheduling.parse``) and raises ``InvalidInput`` naming the
day or rule in words (``lib.scheduling.words``: "Tuesday: 09:00–12:00 and 11:00–13:00 overlap").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lib.errors import InvalidInput
from lib.scheduling import words

APP_TIMEZONE = "Asia/Jakarta"
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
ALLOWED_STEPS: tuple[int, ...] = (5, 10, 15, 20, 30, 60)  # divisors of 60: start times line up every hour
MINUTES_PER_DAY = 24 * 60
MAX_BUFFER_MINUTES = 12 * 60
MAX_NOTICE_MINUTES = 90 * MINUTES_PER_DAY
MAX_HORIZON_DAYS = 2 * 365
MAX_PER_DAY_LIMIT = 96  # 15-minute sessions around the clock; more is a typo
# The size limits of an availability, the same in the database (migration 20261207100000):
# a working day is a few ranges; a date override is a day within the longest horizon, so a year
# and a day of them is every day anyone could still book and then some; the largest document these
# allow (about 51 KB as JSON) fits under the size limit, which refuses anything bigger unread.
MAX_RANGES_PER_DAY = 6
MAX_OVERRIDES = 366
MAX_OVERRIDE_DAYS_AHEAD = MAX_HORIZON_DAYS  # a later date can never be booked, whatever the horizon
MAX_DOCUMENT_BYTES = 64 * 1024
# The whole-number rules and their bounds (``max_per_day`` may also be None: no limit).
RULE_LIMITS: dict[str, tuple[int, int]] = {
    "buffer_before": (0, MAX_BUFFER_MINUTES), "buffer_after": (0, MAX_BUFFER_MINUTES),
    "min_notice_minutes": (0, MAX_NOTICE_MINUTES), "max_per_day": (1, MAX_PER_DAY_LIMIT),
    "horizon_days": (0, MAX_HORIZON_DAYS),
}


def hhmm(minutes: int) -> str:
    """Minutes after midnight as ``HH:MM`` (1440 is ``24:00``, the end of the day)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, order=True)
class TimeRange:
    """Wall-clock working time ``[start, end)`` within one day, in minutes after midnight.

    ``end`` may be 1440 (``24:00``): the range runs to the end of the day. A range never
    crosses midnight; a night shift is two ranges on two days.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= MINUTES_PER_DAY:
                raise InvalidInput(f"A time range's {name} must be minutes between 00:00 and 24:00, got {value!r}.")
        if self.start == MINUTES_PER_DAY:
            raise InvalidInput("A time range cannot start at 24:00; use 00:00 of the next day.")
        if self.end <= self.start:
            raise InvalidInput(f"A time range must end after it starts: {hhmm(self.start)}–{hhmm(self.end)}.")

    def __str__(self) -> str:
        return f"{hhmm(self.start)}–{hhmm(self.end)}"


DayHours = tuple[TimeRange, ...]

_NINE_TO_FIVE: DayHours = (TimeRange(9 * 60, 17 * 60),)
DEFAULT_WEEKLY: tuple[DayHours, ...] = (_NINE_TO_FIVE,) * 5 + ((), ())


@lru_cache(maxsize=64)
def zone_for(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ``InvalidInput`` naming ``timezone`` when there is no such zone."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"{words.rule_in_file('timezone')}: {words.not_a_zone(name)}.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(f"{words.rule_in_file('timezone')}: {words.not_a_zone(name)}.") from None


def check_day_hours(ranges: object, day: str) -> DayHours:
    """``ranges`` as sorted ``TimeRange``s, refusing overlapping or touching ranges; ``day`` is the
    day in words, for the message (``Monday``, ``Thursday, 24 December 2026``).

    Touching ranges (09:00–12:00 and 12:00–17:00) are refused too: a session may not span two
    ranges, so they would hide the slots across 12:00; one range says what was meant.
    """
    if not isinstance(ranges, tuple) or not all(isinstance(r, TimeRange) for r in ranges):
        raise InvalidInput(f"{day}: the hours must be a tuple of TimeRange values.")
    if len(ranges) > MAX_RANGES_PER_DAY:
        raise InvalidInput(f"{day}: {words.too_many_ranges(len(ranges), MAX_RANGES_PER_DAY)}.")
    ordered = tuple(sorted(ranges))
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise InvalidInput(f"{day}: {words.overlap(str(before), str(after))}.")
        if after.start == before.end:
            joined = str(TimeRange(before.start, after.end))
            raise InvalidInput(f"{day}: {words.touch(str(before), str(after), joined)}.")
    return ordered


def check_int(key: str, value: object, low: int, high: int) -> None:
    """Refuse a rule's value that is not a whole number from ``low`` to ``high``, naming the rule
    in words with its JSON key (``Buffer after each session (buffer_after): ...``)."""
    unit = words.RULE_UNITS[key]
    if type(value) is not int:  # bool is an int subclass: refuse true/false too
        raise InvalidInput(f"{words.rule_in_file(key)}: {words.not_whole(value, unit)}.")
    if not low <= value <= high:
        reason = words.out_of_range(value, low, high, unit,
                                    otherwise="null for no limit" if key == "max_per_day" else "")
        raise InvalidInput(f"{words.rule_in_file(key)}: {reason}.")


@dataclass(frozen=True)
class Availability:
    """When one expert can be booked, and the rules around each session.

    * ``weekly``: seven tuples of ranges, Monday first (``date.weekday()`` order); an empty
      tuple is a day without hours.
    * ``overrides``: ``(date, ranges)`` pairs sorted by date; the ranges replace that date's
      weekly hours, and an empty tuple makes it a day off.
    * ``buffer_before`` / ``buffer_after``: minutes kept free before / after each session
      (see ``lib.scheduling.slots`` for exactly how they block other sessions).
    * ``min_notice_minutes``: no session starts sooner than this after now.
    * ``slot_step_minutes``: start times every this many minutes from the start of a range.
    * ``max_per_day``: sessions per day at most (``None``: no limit); a session's day is the
      date of its start in ``timezone``.
    * ``horizon_days``: the last bookable day is today + this many days (in ``timezone``).
    * ``timezone``: the IANA zone the wall-clock hours are in.
    """

    weekly: tuple[DayHours, ...] = DEFAULT_WEEKLY
    overrides: tuple[tuple[date, DayHours], ...] = ()
    buffer_before: int = 0
    buffer_after: int = 0
    min_notice_minutes: int = 60
    slot_step_minutes: int = 30
    max_per_day: int | None = None
    horizon_days: int = 365
    timezone: str = APP_TIMEZONE

    def __post_init__(self) -> None:
        if not isinstance(self.timezone, str):  # before the cached lookup, which needs a hashable name
            raise InvalidInput(f"{words.rule_in_file('timezone')}: {words.not_a_zone(self.timezone)}.")
        zone_for(self.timezone)
        if not isinstance(self.weekly, tuple) or len(self.weekly) != 7:
            raise InvalidInput("The weekly hours must give exactly seven weekdays, Monday first.")
        weekly = tuple(check_day_hours(day, words.DAY_NAMES[i]) for i, day in enumerate(self.weekly))
        if not isinstance(self.overrides, tuple):
            raise InvalidInput("The date overrides must be a tuple of (date, ranges) pairs.")
        if len(self.overrides) > MAX_OVERRIDES:
            raise InvalidInput(f"Date overrides: {words.too_many_overrides(len(self.overrides), MAX_OVERRIDES)}.")
        overrides = []
        for pair in self.overrides:
            if (not isinstance(pair, tuple) or len(pair) != 2 or type(pair[0]) is not date):
                raise InvalidInput("Each date override must be a (date, ranges) pair.")
            overrides.append((pair[0], check_day_hours(pair[1], words.date_words(pair[0]))))
        overrides.sort(key=lambda p: p[0])
        for (a, _), (b, _) in itertools.pairwise(overrides):
            if a == b:
                raise InvalidInput(f"{words.given_twice(words.date_words(a))}.")
        for key, (low, high) in RULE_LIMITS.items():
            value = getattr(self, key)
            if not (key == "max_per_day" and value is None):  # None: no limit
                check_int(key, value, low, high)
        if type(self.slot_step_minutes) is not int or self.slot_step_minutes not in ALLOWED_STEPS:
            raise InvalidInput(f"{words.rule_in_file('slot_step_minutes')}: "
                               f"{words.not_a_step(self.slot_step_minutes, ALLOWED_STEPS)}.")
        # Store the normalised (sorted) forms so equal schedules compare equal.
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "overrides", tuple(overrides))

    @property
    def zone(self) -> ZoneInfo:
        """The expert's zone as a ``ZoneInfo``."""
        return zone_for(self.timezone)

    # Built once per value: cached_property writes to the instance dict, past the frozen guard.
    @cached_property
    def _override_map(self) -> dict[date, DayHours]:
        return dict(self.overrides)

    def hours_on(self, day: date) -> DayHours:
        """The working ranges of ``day``: its override if there is one, else its weekday's hours."""
        found = self._override_map.get(day)
        return found if found is not None else self.weekly[day.weekday()]


def check_override_dates(overrides: tuple[tuple[date, DayHours], ...], now: datetime, timezone: str) -> None:
    """Refuse a date override later than today in ``timezone`` (at ``now``, an aware instant)
    plus ``MAX_OVERRIDE_DAYS_AHEAD`` days, naming the first such date in words: no horizon
    reaches it, so it could never be booked. Checked where hours are saved, never where they
    are read: a stored date only comes nearer."""
    last = now.astimezone(zone_for(timezone)).date() + timedelta(days=MAX_OVERRIDE_DAYS_AHEAD)
    for day, _ in overrides:
        if day > last:
            reason = words.too_far_ahead(MAX_OVERRIDE_DAYS_AHEAD, words.date_words(last))
            raise InvalidInput(f"{words.date_words(day)}: {reason}.")


def no_hours(timezone: str) -> Availability:
    """An availability without a single bookable hour in ``timezone``: what an expert whose
    stored hours cannot be read is given until new ones are saved."""
    return Availability(weekly=((),) * 7, timezone=timezone)


DEFAULT_AVAILABILITY = Availability()
"""Monday to Friday 09:00–17:00 in the app zone, 30-minute steps, an hour's notice, no buffers,
no daily maximum, bookable a year ahead."""
