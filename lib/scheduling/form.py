"""The Availability page's typed fields to and from an ``Availability``.

The page asks for each weekday's hours as one line (``09:00-12:00, 13:00-17:00``; empty or
``off`` for none) and the date overrides as lines of ``YYYY-MM-DD: ranges`` (``off`` for a day
off). Everything goes through the JSON parser of ``lib.scheduling.parse``, so the page refuses
exactly what ``python -m lib availability --set`` refuses, with ``InvalidInput`` naming the field
(``weekly.mon[1] end``, ``overrides.2026-12-24``...). Nothing here is half-parsed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lib.errors import InvalidInput
from lib.scheduling.model import WEEKDAYS, Availability, DayHours, hhmm
from lib.scheduling.parse import from_json

DAY_OFF_WORDS = frozenset({"", "off", "day off", "none", "-"})
_RANGE_SEPARATOR = re.compile(r"\s*(?:-|–|—|to)\s*")  # 09:00-12:00, 09:00–12:00, 09:00 to 12:00


def ranges_text(ranges: DayHours) -> str:
    """``09:00-12:00, 13:00-17:00`` (empty for a day without hours): the field's own shape."""
    return ", ".join(f"{hhmm(r.start)}-{hhmm(r.end)}" for r in ranges)


def overrides_text(availability: Availability) -> str:
    """One line per override, ``2026-12-24: 09:00-12:00`` or ``2026-12-25: off``, by date."""
    return "\n".join(f"{day.isoformat()}: {ranges_text(ranges) or 'off'}" for day, ranges in availability.overrides)


def _ranges_json(text: str, where: str) -> list[list[str]]:
    """``"09:00-12:00, 13:00-17:00"`` as ``[["09:00", "12:00"], ["13:00", "17:00"]]``; the times
    themselves are checked by the JSON parser, which names ``where``."""
    cleaned = " ".join(str(text or "").split())
    if cleaned.lower() in DAY_OFF_WORDS:
        return []
    pairs = []
    for i, part in enumerate(p.strip() for p in re.split(r"[,;]", cleaned)):
        bounds = _RANGE_SEPARATOR.split(part) if part else []
        if len(bounds) != 2 or not all(bounds):
            raise InvalidInput(f"{where}[{i}]: {part!r} is not a range written HH:MM-HH:MM, such as '09:00-12:00'.")
        pairs.append(bounds)
    return pairs


def _overrides_json(text: str) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        day, colon, ranges = line.partition(":")
        day = day.strip()
        if not colon or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise InvalidInput(f"overrides line {number}: {line.strip()!r} is not written "
                               "'YYYY-MM-DD: 09:00-12:00' or 'YYYY-MM-DD: off'.")
        if day in found:
            raise InvalidInput(f"overrides.{day}: given twice.")
        found[day] = _ranges_json(ranges, f"overrides.{day}")
    return found


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

    def to_availability(self) -> Availability:
        """The ``Availability`` these fields describe, or ``InvalidInput`` naming the first bad field."""
        unknown = sorted(set(self.weekly) - set(WEEKDAYS))
        if unknown:
            raise InvalidInput(f"weekly.{unknown[0]}: unknown weekday; use mon, tue, wed, thu, fri, sat, sun.")
        data: dict[str, Any] = {
            "timezone": self.timezone,
            "weekly": {day: _ranges_json(self.weekly.get(day, ""), f"weekly.{day}") for day in WEEKDAYS},
            "overrides": _overrides_json(self.overrides),
            "buffer_before": self.buffer_before,
            "buffer_after": self.buffer_after,
            "min_notice_minutes": self.min_notice_minutes,
            "slot_step_minutes": self.slot_step_minutes,
            "max_per_day": self.max_per_day or None,
            "horizon_days": self.horizon_days,
        }
        return from_json(data)

