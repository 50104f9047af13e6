"""Calendar invitations (RFC 5545 / iTIP) attached to booking emails, built with icalendar.

One booking is one calendar event: the UID comes from the booking id, so a reschedule updates
the event people already have (higher SEQUENCE) and a cancellation removes it (METHOD:CANCEL).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vText

try:
    from icalendar.parser import _foldline  # icalendar 7 (its parser's __all__)
except ImportError:  # pragma: no cover - icalendar 6
    from icalendar.parser import foldline as _foldline

from lib.domain import Booking

PRODID = "-//CallExpert//CallExpert Console//ID"
UID_DOMAIN = "callexpert"


@dataclass(frozen=True)
class IcsOptions:
    """Who organizes the invitations (the address emails come from) and when they are made."""

    organizer_email: str
    organizer_name: str = "CallExpert"
    stamp: datetime | None = None  # DTSTAMP; now when not given
    # Alarms (VALARM, DISPLAY) this many minutes before the start: the reminder_offsets setting,
    # so calendars remind people when the reminder emails do.
    alarms: tuple[int, ...] = ()


@dataclass(frozen=True)
class IcsText:
    """The words of an invitation, already in the email's language (``language``, e.g. ``id``)."""

    summary: str  # the event's title: "Career mentoring dengan Sari"
    who: str  # "Career mentoring: Andi dengan Sari"
    when: str  # "Kamis, 26 November 2026, 14:00 WIB, 60 menit"
    join: str  # "Gabung: https://..."
    booking: str  # "Pemesanan <id>"
    language: str


def event_uid(booking: Booking) -> str:
    """The event's UID: the same for every invitation about one booking."""
    return f"booking-{booking.id}@{UID_DOMAIN}"


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    # A parameter value cannot hold a double quote (RFC 5545 3.1); a name typed with one keeps its look.
    address.params["CN"] = vText(name.replace('"', "'"))
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def invitation(booking: Booking, tz: ZoneInfo, *, cancel: bool, text: IcsText, options: IcsOptions) -> str:
    """The VCALENDAR text for ``booking``: METHOD:REQUEST, or METHOD:CANCEL when ``cancel``.

    SEQUENCE is the booking's revision (it grows with each reschedule); a cancellation is one
    more change of the event, so it goes one higher than the last request. Times carry the app
    zone (TZID=Asia/Jakarta by default) with its VTIMEZONE, so every client shows the right hour.
    SUMMARY and DESCRIPTION are ``text``, marked with its LANGUAGE. A request carries one
    DISPLAY alarm per ``options.alarms`` offset (``TRIGGER:-PT24H``), saying the summary.

    The customer's and the expert's invitation differ only in the summary, so the calendar is
    built once with a stand-in summary and each invitation puts its own in: the same text
    icalendar writes for each.
    """
    if options.stamp is None:
        options = replace(options, stamp=datetime.now(UTC))
    head, event = _unfolded(booking, tz.key, cancel, replace(text, summary=_SUMMARY), options)
    summary = vText(text.summary).to_ical().decode("utf-8")  # escaped as icalendar escapes TEXT
    return "".join([*head, _vtimezone_text(tz.key),
                    *(_fold(line.replace(_SUMMARY, summary)) if _SUMMARY in line else line for line in event)])


# Stands for the summary in a calendar built once for both sides; random, so nobody's text holds it.
_SUMMARY = "SUMMARY" + secrets.token_hex(16)


@lru_cache(maxsize=16)
def _unfolded(booking: Booking, tzid: str, cancel: bool, text: IcsText, options: IcsOptions) -> tuple[
        tuple[str, ...], tuple[str, ...]]:
    """The invitation's lines before and from its VEVENT (the VTIMEZONE goes between), each
    folded and ended, except those holding the summary stand-in: they are folded once the
    summary is in."""
    tz = ZoneInfo(tzid)
    start = datetime.combine(booking.scheduled_date, booking.scheduled_time, tz)
    link = booking.meeting_link or ""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancel else "REQUEST")

    event = Event()
    event.add("uid", event_uid(booking))
    event.add("sequence", booking.revision + 1 if cancel else booking.revision)
    event.add("dtstamp", (options.stamp or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=booking.duration))
    language = {"LANGUAGE": text.language}
    event.add("summary", text.summary, parameters=language)
    lines = [text.who, text.when]
    if link and not cancel:
        lines.append(text.join)
    lines.append(text.booking)
    event.add("description", "\n".join(lines), parameters=language)
    if link:
        event.add("location", link)
        event.add("url", link)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if not cancel:
        for minutes in options.alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", timedelta(minutes=-minutes))
            alarm.add("description", text.summary, parameters=language)
            event.add_component(alarm)
    event.add("organizer", _address(options.organizer_email, options.organizer_name))
    # RSVP=FALSE: the booking is settled already; replies to the organizer would go nowhere useful.
    for email, name in ((booking.customer_email, booking.customer_name), (booking.expert_email, booking.expert_name)):
        event.add("attendee", _address(email, name, ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED", RSVP="FALSE"))
    cal.add_component(event)
    out = [line if _SUMMARY in line else _fold(line) for line in cal.content_lines() if line]
    at = out.index("BEGIN:VEVENT\r\n")
    return tuple(out[:at]), tuple(out[at:])


def _fold(line: str) -> str:
    """One content line, folded as icalendar folds it, with its line end."""
    return (line if len(line.encode("utf-8")) < _FOLD_AT else _foldline(line)) + "\r\n"


# RFC 5545 3.1: content lines are folded before 75 octets; icalendar folds at this limit too.
_FOLD_AT = 75


def to_text(cal: Calendar) -> str:
    """``cal.to_ical()`` as text, the same characters, with icalendar's folding (character by
    character, the costliest part of an invitation) done only for the lines long enough to
    need it: most are far shorter than 75 octets."""
    return "".join(_fold(line) for line in cal.content_lines() if line)


@lru_cache(maxsize=8)
def _vtimezone_text(tzid: str) -> str:
    """The VTIMEZONE of ``tzid`` as invitation text, serialised once."""
    return to_text(_vtimezone(tzid))


@lru_cache(maxsize=8)
def _vtimezone(tzid: str) -> Timezone:
    """The VTIMEZONE of ``tzid``, built once: building it is most of an invitation's cost.

    Only ever serialised after this, never changed, so one instance serves every calendar.
    """
    return Timezone.from_tzid(tzid)
