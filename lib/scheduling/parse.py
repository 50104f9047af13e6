"""An availability to and from the JSON shape of ``python -m lib availability``::

    {"expert": "e1", "timezone": "Asia/Jakarta",
     "weekly": {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], ...},
     "overrides": {"2026-12-25": [], "2026-12-24": [["09:00", "12:00"]]},
     "buffer_before": 0, "buffer_after": 15, "min_notice_minutes": 60,
     "slot_step_minutes": 30, "max_per_day": 4, "horizon_days": 60}

Every key is optional: a missing key takes the value of the ``base`` availability given to
``from_json`` (``DEFAULT_AVAILABILITY`` unless the caller passes the service's default, which
has the app's timezone and booking horizon). A weekday missing from ``weekly`` (or given ``[]``)
has no hours; an override of ``[]`` or ``null`` is a day off. ``max_per_day`` may be ``null``
(no limit). Unknown keys are refused, so a misspelt key cannot be silently ignored. Refusals
raise ``InvalidInput`` naming the day and range in words, by their place in the file
("Monday, first range (17:00–09:00): the end is before the start"), or the rule with its key
("Buffer after each session (buffer_after): ..."); nothing is returned half-parsed. The words
are ``lib.scheduling.words``'s, which the Availability page's messages use too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from lib.errors import InvalidInput
from lib.scheduling import words
from lib.scheduling.model import (
    DEFAULT_AVAILABILITY,
    MAX_DOCUMENT_BYTES,
    MAX_OVERRIDES,
    MAX_RANGES_PER_DAY,
    MINUTES_PER_DAY,
    WEEKDAYS,
    Availability,
    DayHours,
    TimeRange,
    check_day_hours,
    hhmm,
)

KEYS: tuple[str, ...] = (
    "expert", "timezone", "weekly", "overrides", "buffer_before", "buffer_after",
    "min_notice_minutes", "slot_step_minutes", "max_per_day", "horizon_days",
)
# The largest file ``python -m lib availability --set`` reads: the exported file is indented
# (``--json``), about 2.4 times the document's own size; the document is then held to
# ``MAX_DOCUMENT_BYTES`` like any other.
MAX_FILE_BYTES = 4 * MAX_DOCUMENT_BYTES
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_time(text: object, where: str, *, is_end: bool) -> int:
    """``"HH:MM"`` as minutes after midnight; ``"24:00"`` only as the end of a range. ``where``
    names the range in words for the message (``Monday, 09:00–25:00``)."""
    match = _TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput(f"{where}: {words.not_a_time(text, is_end=is_end)}.")
    hours, minutes = int(match[1]), int(match[2])
    total = hours * 60 + minutes
    if minutes > 59 or total > MINUTES_PER_DAY or (total == MINUTES_PER_DAY and not is_end):
        raise InvalidInput(f"{where}: {words.not_a_time(text, is_end=is_end)}.")
    return total


def parse_range(start: object, end: object, where: str) -> TimeRange:
    """One range from its two written bounds, refusing a bad time or an end not after the start;
    ``where`` names the range in words (``Monday, 17:00–09:00``)."""
    first = parse_time(start, where, is_end=False)
    last = parse_time(end, where, is_end=True)
    if last <= first:
        raise InvalidInput(f"{where}: {words.end_not_after_start(hhmm(first), hhmm(last))}.")
    return TimeRange(first, last)


def _parse_ranges(value: object, place: words.DayPlace) -> DayHours:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidInput(f"{place.day}: the hours must be a list of [start, end] pairs "
                           "such as [[\"09:00\", \"12:00\"]].")
    if len(value) > MAX_RANGES_PER_DAY:  # before reading any: a huge list is refused at once
        raise InvalidInput(f"{place.day}: {words.too_many_ranges(len(value), MAX_RANGES_PER_DAY)}.")
    ranges = []
    for i, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise InvalidInput(f"{place.range(i, '')}: must be a [start, end] pair such as [\"09:00\", \"12:00\"].")
        ranges.append(parse_range(pair[0], pair[1], place.range(i, words.range_text(*pair))))
    return check_day_hours(tuple(ranges), place.day)


def _parse_int(data: Mapping[str, Any], key: str, default: int | None, *, nullable: bool = False) -> int | None:
    value = data.get(key, default)
    if value is None and nullable:
        return None
    if type(value) is not int:  # bool is an int subclass: refuse true/false too
        raise InvalidInput(f"{words.rule_in_file(key)}: {words.not_whole(value, words.RULE_UNITS[key])}.")
    return value


def from_json(data: object, *, expert: str | None = None, base: Availability = DEFAULT_AVAILABILITY) -> Availability:
    """An ``Availability`` from the parsed JSON ``data`` (a dict).

    When ``expert`` is given and ``data`` names another expert in ``"expert"``, it is refused:
    a file exported for one expert is not silently loaded onto another. A key left out takes
    its value from ``base`` (``BookingService.default_availability`` is the app's default).
    """
    if not isinstance(data, Mapping):
        raise InvalidInput("The availability must be a JSON object.")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise InvalidInput(f"{words.quoted(unknown[0])} is not a field of an availability; the fields are "
                           f"{', '.join(KEYS)}.")
    named = data.get("expert")
    if named is not None and not isinstance(named, str):
        raise InvalidInput(f"The expert (expert) must be an expert id, not {words.quoted(named)}.")
    if expert is not None and named is not None and named != expert:
        raise InvalidInput(f"This availability is for the expert {words.quoted(named)}, not {words.quoted(expert)}.")
    d = base

    weekly: tuple[DayHours, ...] = d.weekly
    if "weekly" in data:
        raw = data["weekly"]
        if not isinstance(raw, Mapping):
            raise InvalidInput("The weekly hours (weekly) must be an object with the weekdays mon, tue, wed, thu, "
                               "fri, sat, sun as keys.")
        for key in raw:
            if key not in WEEKDAYS:
                raise InvalidInput(f"The weekly hours (weekly): {words.quoted(key)} is not a weekday; use mon, tue, "
                                   "wed, thu, fri, sat, sun.")
        weekly = tuple(_parse_ranges(raw.get(day), words.DayPlace(words.DAY_NAMES[i], by_position=True))
                       for i, day in enumerate(WEEKDAYS))

    overrides: list[tuple[date, DayHours]] = [] if "overrides" in data else list(d.overrides)
    raw_overrides = data.get("overrides", {})
    if not isinstance(raw_overrides, Mapping):
        raise InvalidInput("The date overrides (overrides) must be an object of \"YYYY-MM-DD\": [[start, end], ...] "
                           "entries.")
    if len(raw_overrides) > MAX_OVERRIDES:  # before reading any
        reason = words.too_many_overrides(len(raw_overrides), MAX_OVERRIDES)
        raise InvalidInput(f"The date overrides (overrides): {reason}.")
    for key, value in raw_overrides.items():
        try:
            day = date.fromisoformat(key) if isinstance(key, str) and _DATE.fullmatch(key) else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidInput(f"The date overrides (overrides): {words.quoted(key)} is not a date written "
                               "YYYY-MM-DD, such as 2026-12-24.")
        overrides.append((day, _parse_ranges(value, words.DayPlace(words.date_words(day), by_position=True))))

    timezone = data.get("timezone", d.timezone)
    if not isinstance(timezone, str):
        raise InvalidInput(f"{words.rule_in_file('timezone')}: {words.not_a_zone(timezone)}.")
    return Availability(
        weekly=weekly,
        overrides=tuple(overrides),
        buffer_before=_parse_int(data, "buffer_before", d.buffer_before),  # type: ignore[arg-type]
        buffer_after=_parse_int(data, "buffer_after", d.buffer_after),  # type: ignore[arg-type]
        min_notice_minutes=_parse_int(data, "min_notice_minutes", d.min_notice_minutes),  # type: ignore[arg-type]
        slot_step_minutes=_parse_int(data, "slot_step_minutes", d.slot_step_minutes),  # type: ignore[arg-type]
        max_per_day=_parse_int(data, "max_per_day", d.max_per_day, nullable=True),
        horizon_days=_parse_int(data, "horizon_days", d.horizon_days),  # type: ignore[arg-type]
        timezone=timezone,
    )


def document_size(text: str) -> str | None:
    """Why a stored JSON text is too large to be an availability (``None``: it is not), before it
    is parsed at all: the largest availability the limits allow is well under ``MAX_DOCUMENT_BYTES``."""
    size = len(text.encode("utf-8"))
    return words.too_large(MAX_DOCUMENT_BYTES, size) if size > MAX_DOCUMENT_BYTES else None


def from_stored(stored: str | Mapping[str, Any]) -> Availability:
    """A stored availability, its JSON text (SQLite) or its columns (Supabase), as an
    ``Availability``; ``InvalidInput`` saying in words why it cannot be read (too large, not JSON,
    or any refusal of ``from_json``), whatever was stored."""
    if isinstance(stored, str):
        too_large = document_size(stored)
        if too_large:
            raise InvalidInput(f"The stored availability is too large: {too_large}.")
        try:
            stored = json.loads(stored)
        except (ValueError, RecursionError):
            raise InvalidInput("The stored availability is not JSON.") from None
    try:
        return from_json(stored)
    except (TypeError, ValueError, RecursionError):  # a shape no check foresaw
        raise InvalidInput("The stored availability is not in the shape of an availability.") from None


def _ranges_json(ranges: DayHours) -> list[list[str]]:
    return [[hhmm(r.start), hhmm(r.end)] for r in ranges]


def to_json(availability: Availability, *, expert: str) -> dict[str, Any]:
    """``availability`` in the JSON shape, every key present; ``from_json`` reads it back equal."""
    a = availability
    return {
        "expert": expert,
        "timezone": a.timezone,
        "weekly": {day: _ranges_json(a.weekly[i]) for i, day in enumerate(WEEKDAYS)},
        "overrides": {day.isoformat(): _ranges_json(ranges) for day, ranges in a.overrides},
        "buffer_before": a.buffer_before,
        "buffer_after": a.buffer_after,
        "min_notice_minutes": a.min_notice_minutes,
        "slot_step_minutes": a.slot_step_minutes,
        "max_per_day": a.max_per_day,
        "horizon_days": a.horizon_days,
    }
