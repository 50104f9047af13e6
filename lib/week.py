"""An expert's week, Monday to Sunday: their sessions as blocks at their times, their working hours,
today and the current time. Pure data; ``lib.week_html`` draws it.

Times are wall clock in the console's zone (a booking's date and time are stored that way); the
expert's hours are in their own zone and converted date by date.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lib.domain import Attendance, Booking, BookingStatus
from lib.scheduling import Availability

# The hours a week always shows, widened to every session and working hour of the week.
FIRST_HOUR, LAST_HOUR = 8, 18


@dataclass(frozen=True)
class Block:
    """One session (or the part of it on one day, for one that crosses midnight).

    ``start``/``end`` are hours after midnight (``14.5`` is 14:30); ``time`` is the whole
    session's ``14:00–15:00``; ``note`` says how a past session went (empty before it starts).
    """

    booking_id: str
    day: date
    start: float
    end: float
    session: str
    customer: str
    time: str
    status: str
    note: str
    past: bool


@dataclass(frozen=True)
class Hours:
    """A stretch of the expert's working hours on ``day``, in hours after midnight."""

    day: date
    start: float
    end: float


@dataclass(frozen=True)
class Week:
    """Seven days from a Monday. ``top``/``bottom``: the whole hours drawn; ``now``: the hour of
    the current time when today is in this week (else None)."""

    days: tuple[date, ...]
    blocks: tuple[Block, ...]
    hours: tuple[Hours, ...]
    top: int
    bottom: int
    today: date
    now: float | None

    @property
    def first_day(self) -> date:
        return self.days[0]

    @property
    def last_day(self) -> date:
        return self.days[-1]

    def blocks_on(self, day: date) -> list[Block]:
        return [b for b in self.blocks if b.day == day]


def monday_of(day: date) -> date:
    """The Monday of ``day``'s week (weeks start on Monday)."""
    return day - timedelta(days=day.weekday())


def week_start(today: date, offset: int) -> date:
    """The Monday ``offset`` weeks from the week of ``today`` (negative: earlier weeks)."""
    return monday_of(today) + timedelta(weeks=offset)


def attendance_note(booking: Booking, attendance: Attendance | None, now_local: datetime) -> str:
    """How a session went, in a few words: "Both joined", "Customer did not join", ... ;
    "Ended" for a session over but not yet marked completed; empty for one that has not ended (or
    a completed one with nothing read)."""
    end = datetime.combine(booking.scheduled_date, booking.scheduled_time) + timedelta(minutes=booking.duration)
    if booking.status is not BookingStatus.COMPLETED and end > now_local:
        return ""
    if attendance is None:  # links other than Google Meet leave no record to read
        return "" if booking.status is BookingStatus.COMPLETED else "Ended"
    if attendance.status == "waiting":
        return "Attendance not read yet"
    if attendance.status == "no data":
        return "Ended, no attendance record"
    if attendance.expert_joined and attendance.customer_joined:
        return f"Both joined, {attendance.together_minutes} min together"
    if attendance.expert_joined:
        return "Customer did not join"
    if attendance.customer_joined:
        return "Expert did not join"
    return "Neither joined"


def _day_parts(start: datetime, end: datetime) -> Iterator[tuple[date, float, float]]:
    """Naive wall-clock ``[start, end)`` cut at midnights: ``(day, start hour, end hour)`` parts."""
    while start < end:
        day_start = datetime.combine(start.date(), time(0))
        stop = min(end, day_start + timedelta(days=1))
        yield start.date(), (start - day_start) / timedelta(hours=1), (stop - day_start) / timedelta(hours=1)
        start = stop


def _working_hours(availability: Availability, days: tuple[date, ...], tz: ZoneInfo) -> list[Hours]:
    found = []
    zone = availability.zone
    wanted = set(days)
    for day in [days[0] - timedelta(days=1), *days, days[-1] + timedelta(days=1)]:  # zones shift a range a day
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        for r in availability.hours_on(day):
            # Wall-clock arithmetic on the expert's date, then to the console's zone: the offset of that date.
            start = (midnight + timedelta(minutes=r.start)).astimezone(tz).replace(tzinfo=None)
            end = datetime.combine(day, time(0)) + timedelta(minutes=r.end)
            end = end.replace(tzinfo=zone).astimezone(tz).replace(tzinfo=None)
            found += [Hours(d, a, b) for d, a, b in _day_parts(start, end) if d in wanted]
    return sorted(found, key=lambda h: (h.day, h.start))


def build_week(sessions: Iterable[Booking], attendance: Mapping[str, Attendance], availability: Availability,
               any_day: date, tz: ZoneInfo, now_local: datetime) -> Week:
    """The week (Monday to Sunday) holding ``any_day``: ``sessions`` as blocks (past ones with what
    ``attendance`` says of them), the expert's working hours, and today and the time ``now_local``
    (naive, in ``tz``: the service clock's, never the machine's date)."""
    first = monday_of(any_day)
    days = tuple(first + timedelta(days=i) for i in range(7))
    blocks = []
    for b in sessions:
        start = datetime.combine(b.scheduled_date, b.scheduled_time)
        end = start + timedelta(minutes=b.duration)
        note = attendance_note(b, attendance.get(b.id), now_local)
        for day, top, bottom in _day_parts(start, end):
            if first <= day <= days[-1]:
                blocks.append(Block(b.id, day, top, bottom, b.session_type, b.customer_name,
                                    f"{start:%H:%M}–{end:%H:%M}", b.status.label, note, end <= now_local))
    blocks.sort(key=lambda k: (k.day, k.start, k.booking_id))
    hours = _working_hours(availability, days, tz)
    today = now_local.date()
    now = (now_local - datetime.combine(today, time(0))) / timedelta(hours=1) if today in days else None
    marks = [] if now is None else [now]  # the current time's line is always in view
    top = min([FIRST_HOUR, *(b.start for b in blocks), *(h.start for h in hours), *marks])
    bottom = max([LAST_HOUR, *(b.end for b in blocks), *(h.end for h in hours), *marks])
    return Week(days, tuple(blocks), tuple(hours), max(0, math.floor(top)), min(24, math.ceil(bottom)), today, now)
