"""Reading a ``freebusy.query`` answer: the busy ranges of one calendar, or why they could not be read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lib.meetings import BusyTimes
from lib.meetings.google_errors import norm_reasons

# Google answers for a calendar that does not exist and for one the organizer may not see in ways
# that differ only slightly (a per-calendar notFound, HTTP 404, HTTP 403): each gets this one
# sentence, so what the console shows never tells whether a calendar exists.
NOT_VISIBLE = ("Google does not know it or the organizer account may not see it; check the expert's calendar id "
               "and share that calendar with the organizer (at least \"See only free/busy\")")

# Per-calendar reasons of a free/busy answer, and what to do about each.
BUSY_REASONS = {
    "notfound": NOT_VISIBLE,
    "internalerror": "Google had an internal error for it; the console asks again later",
    "grouptoobig": "it is a group too large to expand; use the expert's own calendar id",
    "toomanycalendarsrequested": "too many calendars were asked at once; the console asks again later",
}


def busy_from_answer(answer: Any, calendar_id: str, zone: ZoneInfo) -> BusyTimes:
    """Turn a ``freebusy.query`` answer into ``BusyTimes`` for ``calendar_id``.

    A time without an offset (Google always sends one) is read in ``zone``, the zone the request
    named, so every range is an instant.
    """
    calendars = answer.get("calendars") if isinstance(answer, Mapping) else None
    entry = None
    if isinstance(calendars, Mapping):
        entry = calendars.get(calendar_id)
        if entry is None:  # Google may spell the id it answers for differently (case of an email)
            entry = next((v for k, v in calendars.items() if str(k).lower() == calendar_id.lower()), None)
    if not isinstance(entry, Mapping):
        return BusyTimes(read=True, error=(
            f"Google Calendar answered the free/busy request without calendar {calendar_id!r}; "
            "the console asks again later."
        ))
    errors = entry.get("errors") or []
    if errors:
        reasons = [str(e.get("reason") or "unknown") for e in errors if isinstance(e, Mapping)] or ["unknown"]
        what = BUSY_REASONS.get(norm_reasons(reasons[:1]).pop(), f"Google gave the reason {reasons[0]!r}")
        return BusyTimes(read=True, error=unreadable(calendar_id, what))
    intervals: list[tuple[datetime, datetime]] = []
    for item in entry.get("busy") or []:
        try:
            begin, finish = (instant(item[key], zone) for key in ("start", "end"))
        except (KeyError, TypeError, ValueError):
            return BusyTimes(read=True, error=(
                f"Google Calendar answered the free/busy request of calendar {calendar_id!r} with a time "
                "the console cannot read; the console asks again later."
            ))
        if finish > begin:
            intervals.append((begin, finish))
    return BusyTimes(intervals=tuple(sorted(intervals)), read=True)


def unreadable(calendar_id: str, what: str) -> str:
    """The sentence for a calendar whose busy times could not be read, ``what`` saying why."""
    return f"The busy times of calendar {calendar_id!r} could not be read: {what}."


def instant(value: Any, zone: ZoneInfo) -> datetime:
    """An RFC 3339 time ("...Z" or "...+07:00") as an aware datetime."""
    moment = datetime.fromisoformat(str(value))  # Python 3.11 reads "Z" and fractions too
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
