"""The Availability page's typed fields to and from an ``Availability``.

The page asks for each weekday's hours as one line (``09:00-12:00, 13:00-17:00``; empty or
``off`` for none) and the date overrides as lines of ``YYYY-MM-DD: ranges`` (``off`` for a day
off). A range goes through the same ``parse_range`` and ``check_day_hours`` as the JSON of
``python -m lib availability --set``, and the result through the same ``Availability`` checks, so
the page refuses exactly what the command line refuses. Every field is read on its own, so each
refused field gets its own message in words (``lib.scheduling.words``) to show next to it:
"Monday, 17:00–09:00: the end is before the start". Nothing here is half-parsed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from lib.errors import InvalidInput
from lib.scheduling import words
from lib.scheduling.model import (
    ALLOWED_STEPS,
    MAX_OVERRIDES,
    MAX_PER_DAY_LIMIT,
    MAX_RANGES_PER_DAY,
    RULE_LIMITS,
    WEEKDAYS,
    Availability,
    DayHours,
    check_day_hours,
    check_override_dates,
    hhmm,
    zone_for,
)
from lib.scheduling.parse import parse_range

DAY_OFF_WORDS = frozenset({"", "off", "day off", "none", "-"})
_RANGE_SEPARATOR = re.compile(r"\s*(?:-|–|—|to)\s*")  # 09:00-12:00, 09:00–12:00, 09:00 to 12:00
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
OVERRIDES = "overrides"
# The page's whole-number fields and their bounds: as the model's, but 0 sessions a day is "no limit".
PAGE_LIMITS: dict[str, tuple[int, int]] = {**RULE_LIMITS, "max_per_day": (0, MAX_PER_DAY_LIMIT)}
# The longest text a day's field and the overrides box take (the page's max_chars; the form
# refuses longer text too): six ranges written roomily ("09:00 to 12:00, " each) with space to
# spare, and one such line with its date for each override allowed.
DAY_FIELD_MAX_CHARS = 120
OVERRIDES_MAX_CHARS = MAX_OVERRIDES * (len("2026-12-24: ") + DAY_FIELD_MAX_CHARS + 1)
# Every field of the page in the order it shows them: a weekday key, the overrides, then a rule's key.
FIELDS: tuple[str, ...] = (*WEEKDAYS, OVERRIDES, "buffer_before", "buffer_after", "min_notice_minutes",
                           "slot_step_minutes", "max_per_day", "horizon_days", "timezone")


def ranges_text(ranges: DayHours) -> str:
    """``09:00-12:00, 13:00-17:00`` (empty for a day without hours): the field's own shape."""
    return ", ".join(f"{hhmm(r.start)}-{hhmm(r.end)}" for r in ranges)


def overrides_text(availability: Availability) -> str:
    """One line per override, ``2026-12-24: 09:00-12:00`` or ``2026-12-25: off``, by date."""
    return "\n".join(f"{day.isoformat()}: {ranges_text(ranges) or 'off'}" for day, ranges in availability.overrides)


def day_hours(text: str, day: str) -> DayHours:
    """One day's field (``"09:00-12:00, 13:00-17:00"``, empty or ``off``) as its ranges, or
    ``InvalidInput`` naming ``day`` (words: ``Monday``) and the range as written."""
    raw = str(text or "")
    if len(raw) > DAY_FIELD_MAX_CHARS:
        raise InvalidInput(f"{words.too_long(day, len(raw), DAY_FIELD_MAX_CHARS, 'characters')}.")
    cleaned = " ".join(raw.split())
    if cleaned.lower() in DAY_OFF_WORDS:
        return ()
    place = words.DayPlace(day)
    parts = [p.strip() for p in re.split(r"[,;]", cleaned) if p.strip()]  # a trailing comma is no range
    if len(parts) > MAX_RANGES_PER_DAY:
        raise InvalidInput(f"{day}: {words.too_many_ranges(len(parts), MAX_RANGES_PER_DAY)}.")
    ranges = []
    for i, part in enumerate(parts):
        bounds = _RANGE_SEPARATOR.split(part)
        if len(bounds) != 2 or not all(bounds):
            raise InvalidInput(f"{day}: {words.not_a_range(part)}.")
        ranges.append(parse_range(bounds[0], bounds[1], place.range(i, words.range_text(*bounds))))
    return check_day_hours(tuple(ranges), day)


def overrides_of(text: str) -> tuple[tuple[date, DayHours], ...]:
    """The overrides field, one ``YYYY-MM-DD: ranges`` per line, as ``(date, ranges)`` pairs; a
    refused line is named by its number, or by its date in words once the date is read."""
    raw = str(text or "")
    if len(raw) > OVERRIDES_MAX_CHARS:
        raise InvalidInput(f"{words.too_long('Date overrides', len(raw), OVERRIDES_MAX_CHARS, 'characters')}.")
    count = sum(1 for line in raw.splitlines() if line.strip())
    if count > MAX_OVERRIDES:  # before reading any line
        raise InvalidInput(f"Date overrides: {words.too_many_overrides(count, MAX_OVERRIDES)}.")
    found: dict[date, DayHours] = {}
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        head, colon, ranges = line.partition(":")
        head = head.strip()
        if not colon or not _DATE.fullmatch(head):
            raise InvalidInput(f"Date overrides, line {number}: {words.quoted(line.strip())} is not a date and its "
                               "hours; write 2026-12-24: 09:00-12:00, or 2026-12-25: off.")
        try:
            day = date.fromisoformat(head)
        except ValueError:
            raise InvalidInput(f"Date overrides, line {number}: {head} is not a date in the calendar.") from None
        if day in found:
            raise InvalidInput(f"{words.given_twice(words.date_words(day))}.")
        found[day] = day_hours(ranges, words.date_words(day))
    return tuple(found.items())


@dataclass(frozen=True)
class FormReading:
    """What the fields describe: the ``availability``, or (``None``) the reason each refused field
    was refused, by field (``FIELDS``), in the page's order, in words to show next to it."""

    availability: Availability | None
    problems: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AvailabilityForm:
    """What the page's fields hold: ``weekly`` maps ``mon`` … ``sun`` to a line of ranges;
    ``max_per_day`` 0 means no limit."""

    weekly: Mapping[str, str]
    overrides: str
    buffer_before: int
    buffer_after: int
    min_notice_minutes: int
    slot_step_minutes: int
    max_per_day: int
    horizon_days: int
    timezone: str

    @classmethod
    def of(cls, availability: Availability) -> AvailabilityForm:
        """The fields as they start out for a stored ``availability``."""
        a = availability
        return cls(weekly={day: ranges_text(a.weekly[i]) for i, day in enumerate(WEEKDAYS)},
                   overrides=overrides_text(a), buffer_before=a.buffer_before, buffer_after=a.buffer_after,
                   min_notice_minutes=a.min_notice_minutes, slot_step_minutes=a.slot_step_minutes,
                   max_per_day=a.max_per_day or 0, horizon_days=a.horizon_days, timezone=a.timezone)

    def read(self, now: datetime | None = None) -> FormReading:
        """Every field read on its own: the availability they describe, or each refused field's
        message (``Monday, 17:00–09:00: the end is before the start``). With ``now`` (an aware
        instant) an override too far ahead to be saved is refused too, as saving would."""
        problems: dict[str, str] = {}
        weekly: list[DayHours] = []
        for key in sorted(set(self.weekly) - set(WEEKDAYS)):
            problems[key] = f"{words.quoted(key)} is not a weekday; use mon, tue, wed, thu, fri, sat, sun."
        for key, name in zip(WEEKDAYS, words.DAY_NAMES, strict=True):
            try:
                weekly.append(day_hours(self.weekly.get(key, ""), name))
            except InvalidInput as exc:
                problems[key] = str(exc)
        try:
            overrides = overrides_of(self.overrides)
        except InvalidInput as exc:
            problems[OVERRIDES] = str(exc)
        for key, (low, high) in PAGE_LIMITS.items():
            value, unit = getattr(self, key), words.RULE_UNITS[key]
            if type(value) is not int:
                problems[key] = f"{words.RULE_NAMES[key]}: {words.not_whole(value, unit)}."
            elif not low <= value <= high:
                reason = words.out_of_range(value, low, high, unit,
                                            low_means="no limit" if key == "max_per_day" else "")
                problems[key] = f"{words.RULE_NAMES[key]}: {reason}."
        if self.slot_step_minutes not in ALLOWED_STEPS:
            problems["slot_step_minutes"] = (f"{words.RULE_NAMES['slot_step_minutes']}: "
                                             f"{words.not_a_step(self.slot_step_minutes, ALLOWED_STEPS)}.")
        try:
            zone_for(self.timezone)
        except (InvalidInput, TypeError):  # TypeError: a name that cannot even be looked up
            problems["timezone"] = f"{words.RULE_NAMES['timezone']}: {words.not_a_zone(self.timezone)}."
        if now is not None and OVERRIDES not in problems and "timezone" not in problems:
            try:
                check_override_dates(overrides, now, self.timezone)
            except InvalidInput as exc:
                problems[OVERRIDES] = str(exc)
        if problems:
            order = {key: i for i, key in enumerate(FIELDS)}
            return FormReading(None, dict(sorted(problems.items(), key=lambda kv: order.get(kv[0], -1))))
        return FormReading(Availability(
            weekly=tuple(weekly), overrides=overrides, buffer_before=self.buffer_before,
            buffer_after=self.buffer_after, min_notice_minutes=self.min_notice_minutes,
            slot_step_minutes=self.slot_step_minutes, max_per_day=self.max_per_day or None,
            horizon_days=self.horizon_days, timezone=self.timezone))

    def to_availability(self) -> Availability:
        """The ``Availability`` these fields describe, or ``InvalidInput`` with the first refused
        field's message."""
        reading = self.read()
        if reading.availability is None:
            raise InvalidInput(next(iter(reading.problems.values())))
        return reading.availability
