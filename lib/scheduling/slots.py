"""Free slots of one expert, and why a given start is not one. Pure: no I/O, no clock.

One rule set decides both the picker and the booking check: ``free_slots`` lists the
candidates ``_evaluate`` finds free, and ``why_not`` asks ``_evaluate`` about the day of the
wanted start and reports the reason it gave that exact start.

The rules, for an ``Availability`` ``a``, a session of ``duration`` minutes and ``now``:

1. **Hours.** A slot ``[start, start + duration)`` lies inside one range of its day's hours
   (the date's override if there is one, else its weekday's hours). Each date's wall-clock
   range is turned into instants with *that date's* UTC offset (``zoneinfo``, PEP 495
   ``fold=0``): a wall time that happens twice (clocks turned back) means its first
   occurrence; a wall time skipped by clocks turned forward is read with the offset in force
   before the change, so it lands the gap's length later (02:30 on a day that jumps from 02:00
   to 03:00 is 03:30). A range whose end instant is not after its start instant has no slots.
   ``24:00`` is 00:00 of the next date.
2. **Step.** Starts are the range's start instant plus whole multiples of
   ``a.slot_step_minutes`` of elapsed time (on days without a clock change this is the
   wall-clock grid 09:00, 09:30, ...).
3. **Notice.** ``start >= now + a.min_notice_minutes``.
4. **Horizon.** The start's date in the expert's zone is at most today (``now`` in that zone)
   plus ``a.horizon_days``.
5. **Daily maximum.** Fewer than ``a.max_per_day`` existing bookings start on the slot's day.
   The day of a booking or slot is the date of its start in the expert's zone.
6. **Bookings and buffers.** Every session of the expert — an existing booking or the new
   slot — is padded to ``[start - a.buffer_before, end + a.buffer_after)``. A slot and a
   booking conflict when either one's session overlaps the other's padded interval (half-open:
   touching is fine). Buffers may overlap each other but never a session, so between two
   sessions there are at least ``max(buffer_before, buffer_after)`` minutes. Equivalently:
   the slot's ``[start, end)`` may not overlap any booking widened by that maximum on both sides.
7. **Google busy time.** The slot's padded interval may not overlap a busy range (busy ranges
   are the expert's other commitments and get no padding of ours). Equivalently: the slot's
   ``[start, end)`` may not overlap ``[busy.start - buffer_after, busy.end + buffer_before)``.

Bookings and busy ranges are instants (aware datetimes, any zone); they are compared as
instants, never as wall-clock values. Buffers may reach outside the hours: the hours bound the
session itself. Pass the bookings that hold the expert's time (pending not yet expired, paid,
confirmed), without the booking being rescheduled.

Speed: bookings and busy ranges are widened, sorted and merged once; each candidate is then
one binary search per list, so a call costs O((bookings + busy) log + candidates).
"""

from __future__ import annotations

import enum
import heapq
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from lib.errors import InvalidInput
from lib.scheduling.model import MINUTES_PER_DAY, Availability
from lib.timefmt import long_date

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_MINUTE = 60_000_000  # microseconds


class Interval(NamedTuple):
    """A busy time ``[start, end)`` as aware datetimes (a plain ``(start, end)`` tuple works too)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, order=True)
class Slot:
    """A free start: ``[start, end)`` as aware datetimes in the expert's zone."""

    start: datetime
    end: datetime


class Reason(str, enum.Enum):
    """Why a start is not a free slot (the value is stable: logs, JSON and tests use it)."""

    OUTSIDE_HOURS = "outside_hours"
    OFF_GRID = "off_grid"
    TOO_SOON = "too_soon"
    BEYOND_HORIZON = "beyond_horizon"
    DAY_FULL = "day_full"
    OVERLAPS_BOOKING = "overlaps_booking"
    BUSY_IN_CALENDAR = "busy_in_calendar"


@dataclass(frozen=True)
class Refusal:
    """A start that is not free: the rule that refused it and a sentence for a person."""

    reason: Reason
    message: str


def _us(moment: datetime, what: str) -> int:
    """An aware datetime as whole microseconds since the epoch (exact, unlike float timestamps)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime (with a zone), got {moment!r}")
    return (moment - _EPOCH) // _US


def _at(us: int, zone: ZoneInfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(zone)


def _wall(day: date, minutes: int, zone: ZoneInfo) -> int:
    """The instant of wall-clock ``minutes`` after midnight on ``day`` (rule 1: fold=0)."""
    if minutes == MINUTES_PER_DAY:
        day, minutes = day + timedelta(days=1), 0
    return _us(datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone), "wall time")


def _check_duration(duration: int) -> int:
    if type(duration) is not int or not 0 < duration <= MINUTES_PER_DAY:
        raise InvalidInput(f"duration: must be whole minutes from 1 to {MINUTES_PER_DAY}, got {duration!r}.")
    return duration * _MINUTE


class _Blocks:
    """Widened intervals, sorted and merged into disjoint runs, for O(log n) overlap checks."""

    def __init__(self, intervals: Iterable[tuple[datetime, datetime]], before: int, after: int, what: str):
        raw: list[tuple[int, int]] = []
        for start, end in intervals:
            s, e = _us(start, f"{what} start"), _us(end, f"{what} end")
            if e < s:
                raise ValueError(f"{what} ends before it starts: {start!r} to {end!r}")
            if e > s:  # an empty range occupies no time
                raw.append((s - before, e + after))
        raw.sort()
        self.starts: list[int] = []
        self.ends: list[int] = []
        for s, e in raw:
            if self.ends and s <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], e)
            else:
                self.starts.append(s)
                self.ends.append(e)

    def overlaps(self, s: int, e: int) -> bool:
        """Whether ``[s, e)`` overlaps a run: the first run ending after ``s`` starts before ``e``."""
        j = bisect_right(self.ends, s)
        return j < len(self.starts) and self.starts[j] < e


@dataclass(frozen=True)
class _Context:
    """Everything ``_evaluate`` needs, prepared once per call."""

    availability: Availability
    zone: ZoneInfo
    duration: int  # microseconds
    earliest: int  # now + notice, microseconds
    now: int
    last_day: date  # the horizon's last bookable day
    per_day: Counter[date]
    bookings: _Blocks
    busy: _Blocks


def _prepare(a: Availability, duration: int, now: datetime,
             bookings: Iterable[tuple[datetime, datetime]], busy: Iterable[tuple[datetime, datetime]]) -> _Context:
    zone = a.zone
    now_us = _us(now, "now")
    bookings = list(bookings)
    gap = max(a.buffer_before, a.buffer_after) * _MINUTE
    per_day: Counter[date] = Counter()
    if a.max_per_day is not None:
        per_day.update(start.astimezone(zone).date() for start, _ in bookings)
    return _Context(
        availability=a, zone=zone, duration=_check_duration(duration),
        earliest=now_us + a.min_notice_minutes * _MINUTE, now=now_us,
        last_day=now.astimezone(zone).date() + timedelta(days=a.horizon_days),
        per_day=per_day,
        bookings=_Blocks(bookings, gap, gap, "booking"),
        busy=_Blocks(busy, a.buffer_after * _MINUTE, a.buffer_before * _MINUTE, "busy range"),
    )


def _day_ranges(c: _Context, day: date) -> Iterator[tuple[int, int]]:
    """The instants ``[start, end)`` of ``day``'s working ranges (rule 1)."""
    for r in c.availability.hours_on(day):
        start, end = _wall(day, r.start, c.zone), _wall(day, r.end, c.zone)
        if end > start:
            yield start, end


def _evaluate(c: _Context, first_day: date, last_day: date) -> Iterator[tuple[int, int, Reason | None]]:
    """Every candidate start on the step grid inside the hours of ``first_day..last_day``, in
    order per day, with the first rule that refuses it (``None``: free)."""
    step = c.availability.slot_step_minutes * _MINUTE
    limit = c.availability.max_per_day
    day = first_day
    while day <= last_day:
        beyond = day > c.last_day
        full = limit is not None and c.per_day[day] >= limit
        for range_start, range_end in _day_ranges(c, day):
            s = range_start
            while s + c.duration <= range_end:
                e = s + c.duration
                reason: Reason | None
                if s < c.earliest:
                    reason = Reason.TOO_SOON
                elif beyond:
                    reason = Reason.BEYOND_HORIZON
                elif full:
                    reason = Reason.DAY_FULL
                elif c.bookings.overlaps(s, e):
                    reason = Reason.OVERLAPS_BOOKING
                elif c.busy.overlaps(s, e):
                    reason = Reason.BUSY_IN_CALENDAR
                else:
                    reason = None
                yield s, e, reason
                s += step
        day += timedelta(days=1)


def _free_us(c: _Context, first_day: date, last_day: date) -> list[tuple[int, int]]:
    return [(s, e) for s, e, reason in _evaluate(c, first_day, last_day) if reason is None]


def free_slots(availability: Availability, duration: int, first_day: date, last_day: date, *,
               now: datetime, bookings: Iterable[tuple[datetime, datetime]] = (),
               busy: Iterable[tuple[datetime, datetime]] = ()) -> list[Slot]:
    """The free slots of ``duration`` minutes starting on ``first_day`` .. ``last_day``
    (inclusive, dates in the expert's zone), in time order, by the rules of this module.

    ``bookings``: the expert's own active bookings as ``(start, end)`` aware datetimes.
    ``busy``: the expert's Google Calendar busy ranges, likewise. ``now`` is aware.
    Raises ``InvalidInput`` for a bad duration, ``ValueError`` for naive datetimes.
    """
    c = _prepare(availability, duration, now, bookings, busy)
    return [Slot(_at(s, c.zone), _at(e, c.zone)) for s, e in _free_us(c, first_day, last_day)]


def _when(moment: datetime) -> str:
    """``Thursday, 3 December 2026, 14:00 WIB`` (English, the console's language)."""
    return f"{long_date(moment.date())}, {moment:%H:%M %Z}"  # the zone of the moment itself (DST)


def _minutes_text(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def _hours_text(c: _Context, day: date) -> str:
    ranges = c.availability.hours_on(day)
    if not ranges:
        return f"{long_date(day)} is a day off for this expert"
    listed = ", ".join(str(r) for r in ranges)
    return f"on {long_date(day)} the expert works {listed} ({c.availability.timezone})"


def _explain(c: _Context, reason: Reason, start: datetime, day: date, duration: int) -> str:
    a = c.availability
    when = _when(start)
    gap = max(a.buffer_before, a.buffer_after)
    if reason is Reason.TOO_SOON:
        if _us(start, "start") < c.now:
            return f"{when} is in the past."
        return f"{when} is too soon: the expert needs {_minutes_text(a.min_notice_minutes)}' notice."
    if reason is Reason.BEYOND_HORIZON:
        return (f"{when} is too far ahead: the expert takes bookings up to {a.horizon_days} days ahead "
                f"(until {long_date(c.last_day)}).")
    if reason is Reason.DAY_FULL:
        return (f"The expert already has {a.max_per_day} session{'s' if a.max_per_day != 1 else ''} on "
                f"{long_date(day)}, their daily maximum.")
    if reason is Reason.OVERLAPS_BOOKING:
        around = f" or the {gap} minutes kept free around each session" if gap else ""
        return f"{when} overlaps another session of the expert{around}."
    if reason is Reason.BUSY_IN_CALENDAR:
        around = " (with the minutes kept free around a session)" if a.buffer_before or a.buffer_after else ""
        return f"The expert is busy in their Google Calendar at {when}{around}."
    if reason is Reason.OFF_GRID:
        return (f"{when} is not a start time: sessions start every {a.slot_step_minutes} minutes "
                f"from the start of the hours; {_hours_text(c, day)}.")
    return f"A {duration}-minute session at {when} is outside the expert's hours: {_hours_text(c, day)}."


# Slack on each side of a day's window, beyond the buffers: more than any clock change, so a
# store comparing wall-clock times in another zone (with its own changes) still finds every
# booking that overlaps the window.
_WINDOW_SLACK = timedelta(hours=3)


def window(a: Availability, day: date) -> tuple[datetime, datetime]:
    """The instants whose bookings and busy ranges can decide a start on ``day`` (its date in the
    expert's zone): the day from 00:00 to the next 00:00 (its hours lie inside; ``24:00`` is that
    next 00:00), widened by the larger buffer (a booking that near may refuse a start) and a
    few hours' slack. A booking or busy range outside it refuses none of the day's starts and
    starts on another day (so it counts nothing towards the day's maximum): ``why_not`` gives
    the same answer with only what overlaps it."""
    zone = a.zone
    gap = timedelta(minutes=max(a.buffer_before, a.buffer_after)) + _WINDOW_SLACK
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start - gap, end + gap


def why_not(availability: Availability, start: datetime, duration: int, now: datetime,
            bookings: Iterable[tuple[datetime, datetime]] = (),
            busy: Iterable[tuple[datetime, datetime]] = ()) -> Refusal | None:
    """``None`` when a ``duration``-minute session at exactly ``start`` is one of the slots
    ``free_slots`` offers for that day; else the refusing rule and a sentence saying why.

    It evaluates the day of ``start`` (its date in the expert's zone) with the same code as
    ``free_slots``: a start the picker offers is never refused here, and the other way round.
    A start that is not a candidate at all is ``OFF_GRID`` when the session would fit inside
    the hours, else ``OUTSIDE_HOURS``.
    """
    c = _prepare(availability, duration, now, bookings, busy)
    wanted = _us(start, "start")
    local = start.astimezone(c.zone)
    day = local.date()
    for s, _e, reason in _evaluate(c, day, day):
        if s == wanted:
            return None if reason is None else Refusal(reason, _explain(c, reason, local, day, duration))
    fits = any(rs <= wanted and wanted + c.duration <= re for rs, re in _day_ranges(c, day))
    reason = Reason.OFF_GRID if fits else Reason.OUTSIDE_HOURS
    return Refusal(reason, _explain(c, reason, local, day, duration))


def nearest_free(availability: Availability, wanted: datetime, duration: int, now: datetime,
                 bookings: Iterable[tuple[datetime, datetime]] = (),
                 busy: Iterable[tuple[datetime, datetime]] = (), n: int = 3) -> list[Slot]:
    """Up to ``n`` free slots whose starts are nearest to ``wanted`` (either side; a tie goes
    to the earlier), returned in time order. Searches from today to the horizon's last day."""
    c = _prepare(availability, duration, now, bookings, busy)
    target = _us(wanted, "wanted")
    today = now.astimezone(c.zone).date()
    found = _free_us(c, today, c.last_day)
    nearest = heapq.nsmallest(n, found, key=lambda se: (abs(se[0] - target), se[0]))
    return [Slot(_at(s, c.zone), _at(e, c.zone)) for s, e in sorted(nearest)]
