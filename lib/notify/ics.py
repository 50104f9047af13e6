"""Calendar invitations (RFC 5545 / iTIP) attached to booking emails, built with icalendar.

One booking is one calendar event: the UID comes from the booking id, so a reschedule updates
the event people already have (higher SEQUENCE) and a cancellation removes it (METHOD:CANCEL).
``read_invitation`` reads one back (what, when, method, sequence) for the Emails page.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Parameters, Timezone, vCalAddress, vText

try:
    from icalendar.parser import _foldline  # icalendar 7 (its parser's __all__)
except ImportError:  # pragma: no cover - icalendar 6
    from icalendar.parser import foldline as _foldline

from lib.domain import Booking

PRODID = "-//CallExpert//CallExpert Console//ID"
UID_DOMAIN = "callexpert"

# Both people are invited the way Google Calendar and Outlook invite a guest: a required
# participant whose answer is still open (NEEDS-ACTION) and asked for (RSVP=TRUE). Their
# client then shows a meeting with Yes/No buttons, adds it to the calendar (tentatively until
# answered) and applies later updates and the cancellation of the same UID. ACCEPTED with
# RSVP=FALSE, said on their behalf, reads in Outlook as "no response required" and is not
# offered as a meeting of theirs. The organizer is the sender's address, not an attendee: an
# answer goes to it and changes nothing in the booking.
ATTENDEE_PARAMS = {"CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"}


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


@dataclass(frozen=True)
class Invitation:
    """What an invitation an email carried says: its event and what a calendar does with it."""

    method: str  # "REQUEST" (add or update the event) or "CANCEL" (remove it)
    summary: str  # the event's title, in the email's language
    start: datetime  # aware, in the zone the invitation names
    end: datetime
    sequence: int  # grows with each change of the event; calendars keep the highest
    uid: str
    link: str  # the meeting link (LOCATION), "" when the invitation has none


def read_invitation(text: str) -> Invitation:
    """The invitation in VCALENDAR ``text``, read with icalendar; ``ValueError`` when the text is
    not a calendar with a METHOD and one timed event."""
    try:
        cal = Calendar.from_ical(text)
    except Exception as exc:  # icalendar raises ValueError, and others on some broken input
        raise ValueError(f"not a calendar ({exc})") from exc
    events = cal.walk("VEVENT")
    if len(events) != 1:
        raise ValueError(f"{len(events)} events, not one")
    event = events[0]
    start, end = event.get("DTSTART"), event.get("DTEND")
    if start is None or end is None or not isinstance(start.dt, datetime) or not isinstance(end.dt, datetime):
        raise ValueError("the event has no start and end time")
    method = str(cal.get("METHOD", "")).upper()
    if not method:
        raise ValueError("the calendar names no METHOD")
    return Invitation(method=method, summary=str(event.get("SUMMARY", "")), start=start.dt, end=end.dt,
                      sequence=int(event.get("SEQUENCE", 0)), uid=str(event.get("UID", "")),
                      link=str(event.get("LOCATION", "")))


def event_uid(booking: Booking) -> str:
    """The event's UID: the same for every invitation about one booking."""
    return f"booking-{booking.id}@{UID_DOMAIN}"


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    # As typed: icalendar writes a double quote, a line break or a caret in a parameter value
    # as RFC 6868 says (^', ^n, ^^), which calendar clients read back.
    address.params["CN"] = vText(name)
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

    The text is what icalendar writes for the calendar built with its components (tested over
    generated bookings and words). Which lines there are, in which order, with which parameters,
    depends only on the invitation's shape (zone, request or cancel, language, alarms, organizer,
    whether there is a link): icalendar writes that skeleton once per shape, and each invitation
    puts its own values in, each encoded by the icalendar type of its property.
    """
    link = booking.meeting_link or ""
    pieces = _skeleton(tz.key, cancel, text.language, options.alarms, options.organizer_email,
                       options.organizer_name, bool(link))
    values = {**_values(booking, tz.key, cancel, replace(text, summary=""), options.stamp or datetime.now(UTC)),
              "SUMMARY": _encoded("summary", text.summary)}
    return "".join(piece if isinstance(piece, str) else _fold("".join(values[p] if i % 2 else p
                                                                     for i, p in enumerate(piece)))
                   for piece in pieces)


def _values(booking: Booking, tzid: str, cancel: bool, text: IcsText, stamp: datetime) -> dict[str, str]:
    """The values of one booking's invitation but the summary, encoded."""
    link = booking.meeting_link or ""
    lines = [text.who, text.when]
    if link and not cancel:
        lines.append(text.join)
    lines.append(text.booking)
    return {**_booking_values(booking, tzid, cancel, stamp), "DESCRIPTION": _encoded("description", "\n".join(lines))}


@lru_cache(maxsize=16)
def _booking_values(booking: Booking, tzid: str, cancel: bool, stamp: datetime) -> dict[str, str]:
    """The values that are the same in both sides' invitations, encoded once for the two."""
    tz = ZoneInfo(tzid)
    link = booking.meeting_link or ""
    start = datetime.combine(booking.scheduled_date, booking.scheduled_time, tz)
    return {
        "UID": _encoded("uid", event_uid(booking)),
        "SEQUENCE": _encoded("sequence", booking.revision + 1 if cancel else booking.revision),
        "DTSTAMP": _encoded("dtstamp", stamp.astimezone(UTC)),
        "DTSTART": _encoded("dtstart", start),
        "DTEND": _encoded("dtend", start + timedelta(minutes=booking.duration)),
        "LOCATION": _encoded("location", link),
        "URL": _encoded("url", link),
        "CUSTOMERCN": _cn(booking.customer_name),
        "CUSTOMERMAIL": _mail(booking.customer_email),
        "EXPERTCN": _cn(booking.expert_name),
        "EXPERTMAIL": _mail(booking.expert_email),
    }


def _encoded(name: str, value: object) -> str:
    """``value`` as icalendar writes it for property ``name`` (its type's escaping and format)."""
    return Event.types_factory.for_property(name)(value).to_ical().decode("utf-8")


def _mail(email: str) -> str:
    """An address after ``mailto:`` as icalendar writes an attendee."""
    return _encoded("attendee", f"mailto:{email}").removeprefix("mailto:")


def _cn(name: str) -> str:
    """A person's name as icalendar writes it in a CN parameter (quoted when it must be)."""
    return Parameters({"CN": vText(name)}).to_ical().decode("utf-8")[len("CN="):]


# The per-invitation values in a skeleton: letters only, so icalendar writes them unchanged
# (no escaping, no quoting); random, so nobody's text holds one.
_MARK = "X" + secrets.token_hex(12).upper()
_SLOT = re.compile(_MARK + "([A-Z]+)" + _MARK)
# Properties whose skeleton value is a real sample (a date, a number) and is replaced whole.
_SAMPLED = ("DTSTAMP", "DTSTART", "DTEND", "SEQUENCE")


def _slot(name: str) -> str:
    return f"{_MARK}{name}{_MARK}"


@lru_cache(maxsize=64)
def _skeleton(tzid: str, cancel: bool, language: str, alarms: tuple[int, ...], organizer_email: str,
              organizer_name: str, has_link: bool) -> tuple[str | tuple[str, ...], ...]:
    """The invitation of one shape as icalendar writes it, with the VTIMEZONE in: each line
    folded and ended, or, where it holds values of the booking, the tuple (text, slot, text,
    slot, ..., text) that ``invitation`` joins with the values and folds."""
    tz = ZoneInfo(tzid)
    sample = datetime(2000, 1, 3, tzinfo=tz)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancel else "REQUEST")

    event = Event()
    event.add("uid", _slot("UID"))
    event.add("sequence", 0)
    event.add("dtstamp", datetime(2000, 1, 1, tzinfo=UTC))
    event.add("dtstart", sample)
    event.add("dtend", sample + timedelta(hours=1))
    language_param = {"LANGUAGE": language}
    event.add("summary", _slot("SUMMARY"), parameters=language_param)
    event.add("description", _slot("DESCRIPTION"), parameters=language_param)
    if has_link:
        event.add("location", _slot("LOCATION"))
        event.add("url", _slot("URL"))
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if not cancel:
        for minutes in alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", timedelta(minutes=-minutes))
            alarm.add("description", _slot("SUMMARY"), parameters=language_param)
            event.add_component(alarm)
    event.add("organizer", _address(organizer_email, organizer_name))
    for side in ("CUSTOMER", "EXPERT"):
        event.add("attendee", _address(_slot(side + "MAIL"), _slot(side + "CN"), **ATTENDEE_PARAMS))
    cal.add_component(event)
    out: list[str | tuple[str, ...]] = []
    in_event = False
    for line in cal.content_lines():
        if not line:
            continue
        if line == "BEGIN:VEVENT":
            out.append(_vtimezone_text(tzid))
            in_event = True
        name = line.split(":", 1)[0].split(";", 1)[0]
        if in_event and name in _SAMPLED:
            out.append((line.rpartition(":")[0] + ":", name, ""))
        elif _SLOT.search(line):
            out.append(tuple(_SLOT.split(line)))
        else:
            out.append(_fold(line))
    return tuple(out)


def _fold(line: str) -> str:
    """One content line, folded as icalendar folds it, with its line end."""
    if len(line.encode("utf-8")) < _FOLD_AT:
        return line + "\r\n"
    if not line.isascii():
        return _foldline(line) + "\r\n"
    # ASCII (one octet a character): icalendar's folding, by slices. A piece holds at most
    # _FOLD_AT - 1 characters; one ending in an escape's backslash or caret (TEXT, RFC 6868)
    # leaves that character to the next piece.
    pieces, start = [], 0
    while len(line) - start >= _FOLD_AT:
        end = start + _FOLD_AT - 1
        if line[end - 1] in "\\^":
            end -= 1
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return "\r\n ".join(pieces) + "\r\n"


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
