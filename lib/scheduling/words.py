"""The words of availability messages: one source for the Availability page and the command line's
JSON file.

A refusal names what a person wrote the way they would say it, never a field's internal name:
a day by its name ("Monday") or its date ("Thursday, 24 December 2026"), a range by its times
("Monday, 17:00–09:00: the end is before the start"). A JSON file has no field to point at, so
its ranges are named by their place as well ("Monday, first range (17:00–09:00): ..."), and a
rule by its name with the file's key ("Buffer after each session (buffer_after): ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lib.timefmt import long_date

DAY_NAMES: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_TIME_SHAPE = re.compile(r"\d{1,2}:\d{2}")

# A rule's name as the page labels its field, and the unit of its number.
RULE_NAMES: dict[str, str] = {
    "buffer_before": "Buffer before each session",
    "buffer_after": "Buffer after each session",
    "min_notice_minutes": "Minimum notice",
    "slot_step_minutes": "Start times every",
    "max_per_day": "Sessions per day at most",
    "horizon_days": "Bookable this many days ahead",
    "timezone": "Time zone of these hours",
}
RULE_UNITS: dict[str, str] = {
    "buffer_before": "minutes", "buffer_after": "minutes", "min_notice_minutes": "minutes",
    "slot_step_minutes": "minutes", "max_per_day": "sessions", "horizon_days": "days",
}


def date_words(day: date) -> str:
    """An override's date as the console writes dates: ``Thursday, 24 December 2026``."""
    return long_date(day)


def ordinal(index: int) -> str:
    """``0`` -> ``first``, ``1`` -> ``second`` ... (``11th`` past the tenth)."""
    return _ORDINALS[index] if 0 <= index < len(_ORDINALS) else f"{index + 1}th"


def quoted(text: object) -> str:
    """A value as written: a time (``25:00``) or whole number (``7``) as it is, anything else in
    quotes (“9am”, “1.5”)."""
    shown = str(text)
    plain = (isinstance(text, str) and _TIME_SHAPE.fullmatch(shown)) or (type(text) is int)
    return shown if plain else f"“{shown}”"


@dataclass(frozen=True)
class DayPlace:
    """Where one day's hours were written, to name them in a message.

    ``day`` is the day in words (``Monday``, ``Thursday, 24 December 2026``); ``by_position``
    names a range by its place in the list too (a JSON file), not only by its times (a field
    on the page, right under which the message stands).
    """

    day: str
    by_position: bool = False

    def range(self, index: int, text: str) -> str:
        """``Monday, 17:00–09:00`` (page) or ``Monday, first range (17:00–09:00)`` (JSON)."""
        if self.by_position:
            return f"{self.day}, {ordinal(index)} range" + (f" ({text})" if text else "")
        return f"{self.day}, {text}"


def range_text(start: object, end: object) -> str:
    """A range as written, ``17:00–09:00``."""
    return f"{start}–{end}"


def end_not_after_start(start: str, end: str) -> str:
    """Why a range that ends at or before its start is refused."""
    return "the end is the same as the start" if start == end else "the end is before the start"


def not_a_time(text: object, *, is_end: bool) -> str:
    """Why a bound of a range is not a time of day."""
    if isinstance(text, str) and _TIME_SHAPE.fullmatch(text):
        if not is_end and text == "24:00":
            return "24:00 can only end a range; start at 00:00 of the next day"
        return f"{text} is not a time of day; write one from 00:00 to {'24:00' if is_end else '23:59'}"
    return f"{quoted(text)} is not a time written HH:MM, such as 09:30"


def not_a_range(text: str) -> str:
    """Why a piece of a day's field is not a range (the page writes ranges as text)."""
    return f"{quoted(text)} is not a range; write it as 09:00-12:00, ranges separated by commas"


def overlap(before: str, after: str) -> str:
    return f"{before} and {after} overlap"


def touch(before: str, after: str, joined: str) -> str:
    return f"{before} and {after} touch; write them as one range, {joined}"


def too_many_ranges(count: int, limit: int) -> str:
    """Why a day with more ranges than the limit is refused."""
    return f"at most {limit} ranges a day, not {count}"


def too_many_overrides(count: int, limit: int) -> str:
    """Why more date overrides than the limit are refused (past dates count too)."""
    return f"at most {limit} date overrides, not {count}; remove the dates that have passed or are not needed"


def too_far_ahead(limit_days: int, last: str) -> str:
    """Why a date override too far ahead is refused; ``last`` is the last date allowed, in words."""
    return f"a date override can be at most {limit_days} days ahead, until {last}"


def too_long(what: str, size: int, limit: int, unit: str) -> str:
    """Why a field or a file past its size limit is refused: ``Date overrides: at most 48000
    characters, not 50000``."""
    return f"{what}: at most {limit} {unit}, not {size}"


def too_large(limit: int, size: int | None = None) -> str:
    """Why a document past the size limit is refused: ``an availability can be at most 65536
    bytes (64 KB) of JSON, not 70000`` (``size``: when known)."""
    return f"an availability can be at most {limit} bytes ({limit // 1024} KB) of JSON" + (
        f", not {size}" if size is not None else "")


def unreadable(expert: str, reason: str) -> str:
    """What an expert whose stored hours cannot be read is given, and why; ``reason`` is the
    refusal of what is stored, in the same words as if it had been typed."""
    return (f"The stored hours of {expert} cannot be read, so {expert} has no bookable hours until new ones are "
            f"saved. {reason}")


def given_twice(day: str) -> str:
    return f"{day} is given twice in the date overrides; keep one line for it"


def _span(minutes: int) -> str:
    """``720`` -> `` (12 hours)``, ``129600`` -> `` (90 days)``: a long span in minutes, read easily."""
    if minutes >= 1440 and minutes % 1440 == 0:
        return f" ({minutes // 1440} days)"
    if minutes >= 120 and minutes % 60 == 0:
        return f" ({minutes // 60} hours)"
    return ""


def out_of_range(value: int, low: int, high: int, unit: str, *, low_means: str = "", otherwise: str = "") -> str:
    """Why a whole number outside ``low`` … ``high`` is refused: ``must be from 0 to 720 minutes
    (12 hours), not 800``; ``low_means`` says what the lowest value stands for (``no limit``),
    ``otherwise`` what else may be given (``null for no limit``). The numbers are written as in
    the field, without grouping, so the typed value reads back as typed."""
    span = _span(high) if unit == "minutes" else ""
    lowest = f"{low} ({low_means})" if low_means else str(low)
    other = f", or {otherwise}" if otherwise else ""
    return f"must be from {lowest} to {high} {unit}{span}{other}, not {value}"


def not_whole(value: object, unit: str) -> str:
    """Why a value that is not a whole number is refused (only a JSON file can give one)."""
    return f"must be a whole number of {unit}, not {quoted(value)}"


def not_a_step(value: object, allowed: tuple[int, ...]) -> str:
    return f"must be one of {', '.join(map(str, allowed))} minutes, not {quoted(value)}"


def not_a_zone(value: object) -> str:
    return f"{quoted(value)} is not a time zone name such as Asia/Jakarta"


def rule_in_file(key: str) -> str:
    """A rule named in a JSON file's message: its name with the file's key, so both are found."""
    return f"{RULE_NAMES[key]} ({key})"


def fix_fields(count: int) -> str:
    """The save state while fields are refused: ``Not saved: fix 2 fields above.``"""
    return f"Not saved: fix {'the field' if count == 1 else f'{count} fields'} above."
