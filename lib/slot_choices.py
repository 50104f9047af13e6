"""The slot picker's shapes: which days to offer, how many free starts each has, the starts of
one day, and what a picked start means for a booking.

Pure Python, no Streamlit: the Book page and the reschedule form draw these. A slot belongs to
the day of its start in the expert's zone (``Slot.start`` is aware, in that zone); a booking
stores its start as a wall-clock date and time in the app zone, so a picked slot is converted
with ``in_zone`` before it is sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from lib.scheduling import Reason, Slot
from lib.timefmt import long_date, short_date

WINDOW_DAYS = 14  # days shown at once; "Later days" moves by as many
UNAVAILABLE = "unavailable: "


@dataclass(frozen=True)
class DayChoice:
    """One day of the picker: the date, its labels and how many free starts it has."""

    day: date
    label: str  # "Thu 03/12 · 5 free" (or "· none")
    long: str  # "Thursday, 3 December 2026"
    free: int


@dataclass(frozen=True)
class Window:
    """The days on screen: ``days`` days from ``first_day``, and whether earlier or later ones exist."""

    first_day: date
    days: int
    page: int
    has_earlier: bool
    has_later: bool

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.days - 1)


def window(today: date, horizon_days: int, page: int = 0, span: int = WINDOW_DAYS) -> Window:
    """Page ``page`` (0 = from ``today``) of ``span``-day windows up to the horizon's last day
    (``today + horizon_days``); a page beyond the horizon is brought back to the last one."""
    horizon_days = max(0, horizon_days)
    last_page = horizon_days // span
    page = min(max(0, page), last_page)
    first = today + timedelta(days=page * span)
    days = min(span, (today + timedelta(days=horizon_days) - first).days + 1)
    return Window(first, days, page, has_earlier=page > 0, has_later=page < last_page)


def page_of(day: date, today: date, span: int = WINDOW_DAYS) -> int:
    """The window page that shows ``day`` (0 for today or earlier)."""
    return max(0, (day - today).days // span)


def day_choices(slots: Iterable[Slot], first_day: date, days: int) -> list[DayChoice]:
    """Every day of the window in order, with its number of free starts (0 for a day with none);
    each slot counts on the date of its start in its own (the expert's) zone."""
    per_day = Counter(s.start.date() for s in slots)
    span = [first_day + timedelta(days=i) for i in range(days)]
    return [DayChoice(d, f"{short_date(d)} · {f'{per_day[d]} free' if per_day[d] else 'none'}", long_date(d),
                      per_day[d])
            for d in span]


def slots_on(slots: Iterable[Slot], day: date) -> list[Slot]:
    """The slots that start on ``day`` (in their own zone), in time order."""
    return sorted(s for s in slots if s.start.date() == day)


def first_free_day(choices: Iterable[DayChoice]) -> date | None:
    """The first day with a free start, or None."""
    return next((c.day for c in choices if c.free), None)


def time_label(slot: Slot) -> str:
    """``14:00``: a start as the expert's wall clock."""
    return f"{slot.start:%H:%M}"


def slot_key(slot: Slot) -> str:
    """A stable text for a slot (its start, ISO 8601 with offset), usable as a widget option."""
    return slot.start.isoformat()


def in_zone(moment: datetime, tz: tzinfo) -> tuple[date, time]:
    """An aware start as the wall-clock date and time in ``tz`` (what a booking stores)."""
    local = moment.astimezone(tz)
    return local.date(), local.time().replace(tzinfo=None)


def calendar_notice(calendar: str) -> str | None:
    """What to tell the person picking when the expert's calendar could not be read (None when
    it was read or there is none to read)."""
    if not calendar.startswith(UNAVAILABLE):
        return None
    why = calendar[len(UNAVAILABLE):].strip() or "no reason given"
    return (f"Google Calendar could not be read: {why}; "
            "showing times free in the console's own bookings.")


def pick_missing(day: date | None, at: time | None) -> str | None:
    """What is still to pick, in words ("Pick a start time on Tuesday, 8 December 2026"), or None
    when both the day and the start are picked. ``day`` is the day picked (the expert's)."""
    if day is None:
        return "Pick a day and a start time"
    if at is None:
        return f"Pick a start time on {long_date(day)}"
    return None


def refusal_words(offered_start: str | None, reason: object, message: str) -> str:
    """The service's refusal ``message`` of a start, led, when the picker had offered that start
    (``offered_start``, ISO; None for a time ops typed), by what happened to it since: another
    booking took it ("14:00 was just booked.") or it stopped being free for another reason."""
    if offered_start is None:
        return message
    at = f"{datetime.fromisoformat(offered_start):%H:%M}"
    if reason is Reason.OVERLAPS_BOOKING:
        return f"{at} was just booked. {message}"
    return f"{at} is no longer free. {message}"
