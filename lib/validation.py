"""Checks on what people type. Each failure is an ``InvalidInput`` naming the field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from lib.domain import ALLOWED_DURATIONS, NewCustomer, SessionType
from lib.errors import InvalidInput
from lib.timefmt import long_date, medium_date, medium_when

# Deliberately plain: one @, a dot in the domain, no spaces or brackets. Deliverability is the
# mail server's call; this catches typos and pasted junk.
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$")
MAX_NAME = 100
MAX_SESSION_TYPE = 80
MAX_LINK = 2048
# bookings.price is a 32-bit integer in PostgreSQL; no real session costs near this much.
MAX_PRICE = 2_000_000_000


# What ends a line somewhere: CR and LF, and every other character ``str.splitlines`` splits on
# (VT, FF, the file/group/record separators, NEL U+0085, LINE SEPARATOR U+2028, PARAGRAPH
# SEPARATOR U+2029). Email headers, CSV rows and log lines all break on some of them, so a name
# holding one is refused, all with the same message.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Refused as well: the other control characters (Cc), format characters (Cf: zero-width spaces
# and joiners, the bidirectional controls that reorder what is shown), surrogates, private-use
# and unassigned code points. Kept: letters, marks, digits, punctuation, symbols and spaces.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _has_control(text: str) -> bool:
    """Whether ``text`` holds a line break or an invisible or control character (any character
    of ``_REFUSED_CATEGORIES``)."""
    if text.isprintable():  # no character of those categories (nor a separator but space)
        return False
    return any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in text)


def clean_text(value: object, field: str, max_len: int) -> str:
    """Trimmed, non-empty, printable text of at most ``max_len`` characters on one line."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text.")
    text = unicodedata.normalize("NFC", value.strip())
    if not text:
        raise InvalidInput(f"{field} is empty; please fill it in.")
    if len(text) > max_len:
        raise InvalidInput(f"{field} is too long ({len(text)} characters; at most {max_len}).")
    if _has_control(text):
        if any(ch in _LINE_BREAKS for ch in text):
            raise InvalidInput(f"{field} contains a line break; please type it on one line.")
        raise InvalidInput(f"{field} contains invisible or control characters; please retype it.")
    return text


def clean_email(value: object, field: str = "Email") -> str:
    """A plausible email address, lower-cased domain."""
    text = clean_text(value, field, 254)
    if not _EMAIL.match(text):
        raise InvalidInput(f"{field} {text!r} is not a valid email address (expected name@example.com).")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


MAX_CALENDAR_ID = 254  # as long as an email address; group calendars' ids are far shorter


def clean_calendar_id(value: object) -> str:
    """A Google calendar id as typed: an email or ``...@group.calendar.google.com``, trimmed,
    non-empty, without spaces, at most ``MAX_CALENDAR_ID`` characters."""
    if isinstance(value, str) and any(ch.isspace() for ch in value.strip()):
        raise InvalidInput(f"Calendar id {value.strip()!r} contains a space; a calendar id has none "
                           "(e.g. name@example.com or abc123@group.calendar.google.com).")
    return clean_text(value, "Calendar id", MAX_CALENDAR_ID)


def clean_new_customer(customer: NewCustomer) -> NewCustomer:
    return NewCustomer(name=clean_text(customer.name, "Customer name", MAX_NAME),
                       email=clean_email(customer.email, "Customer email"))


def clean_duration(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in ALLOWED_DURATIONS:
        allowed = ", ".join(str(d) for d in ALLOWED_DURATIONS)
        raise InvalidInput(f"Duration {value!r} is not offered; choose {allowed} minutes.")
    return value


def clean_slot(day: object, at: object, now_local: datetime, horizon_days: int) -> tuple[date, time]:
    """A start that is in the future (app-timezone wall clock) and within the booking horizon.

    A part not given yet (``None``: nothing picked) is named as the step still to take, not as
    a malformed value."""
    if day is None:
        raise InvalidInput("Pick a day and a start time." if at is None else "Pick a day for the start time.")
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidInput("Date must be a calendar date (YYYY-MM-DD).")
    if at is None:
        raise InvalidInput(f"Pick a start time on {long_date(day)}.")
    if not isinstance(at, time):
        raise InvalidInput("Start time must be a time of day (HH:MM).")
    at = at.replace(second=0, microsecond=0, tzinfo=None)
    start = datetime.combine(day, at)
    if start <= now_local:
        raise InvalidInput(f"{medium_when(day, at)} is in the past; pick a future date and time.")
    if start > now_local + timedelta(days=horizon_days):
        raise InvalidInput(f"Bookings open at most {horizon_days} days ahead; {medium_date(day)} is too far.")
    return day, at


def price_for(hourly_rate: int, duration: int) -> int:
    """Whole rupiah for ``duration`` minutes at ``hourly_rate`` per hour (rounded half up)."""
    if hourly_rate < 0:
        raise InvalidInput("The expert's hourly rate is negative; fix the expert's rate before booking.")
    price = (hourly_rate * duration + 30) // 60
    if price > MAX_PRICE:
        raise InvalidInput(f"The price would exceed Rp 2.000.000.000 for {duration} minutes; "
                           "check the expert's hourly rate before booking.")
    return price


def type_price(session_type: SessionType, duration: int) -> int:
    """Whole rupiah for ``duration`` minutes of the type (its fixed price, or its hourly rate pro
    rata), refused in words when negative or past the largest price a booking can hold."""
    price = session_type.price(duration)
    if price < 0:
        raise InvalidInput(f"The price of “{session_type.name()}” is negative; fix the session type before booking.")
    if price > MAX_PRICE:
        raise InvalidInput(f"The price would exceed Rp 2.000.000.000 for {duration} minutes; "
                           f"check the price of “{session_type.name()}”.")
    return price


# A host name as the settings may list it: lower-case letters, digits and hyphens, dot-separated.
HOST_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
                       r"(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")
# What a pasted link may look like: https://, a host of plain letters, digits, dots and hyphens
# (no user info, no port, no IP literal, no percent-encoding), then "/" and a room. Anything else
# is refused, because browsers and Python read odd forms (backslashes, "@", tabs, "%2e") differently.
_LINK = re.compile(r"^https://([A-Za-z0-9.-]+)(/[!#-\[\]-~]+)$")


def clean_meeting_link(value: object, allowed_hosts: Iterable[str]) -> str:
    """An ``https://<host>/<room>`` link, such as a Meet or Jitsi link pasted by ops, whose host is
    one of ``allowed_hosts`` exactly (settings: Google Meet, the Jitsi server, ``allowed_link_hosts``).

    Refused: other schemes, user info (``https://meet.google.com@evil.example/``), ports,
    backslashes, spaces, non-ASCII or percent-encoded hosts, and links without a room.
    """
    text = clean_text(value, "Meeting link", MAX_LINK)
    hosts = sorted({h.lower() for h in allowed_hosts})
    allowed = ", ".join(hosts)
    match = _LINK.match(text)
    if not text.lower().startswith("https://"):
        problem = "is not an https:// link"
    elif match is None or "@" in text.split("/")[2] or len(match.group(2)) < 2:
        problem = ("is not a plain https://<host>/<room> link (no user name, port, backslash, space or "
                   "encoded characters in the address)")
    elif (host := match.group(1).lower()) not in hosts or urlsplit(text).hostname != host:
        problem = f"goes to {host}, which is not an allowed meeting host"
    else:
        return text
    raise InvalidInput(f"Meeting link {text!r} {problem}. Paste a link on {allowed} "
                       "(e.g. https://meet.google.com/abc-defg-hij); other hosts can be allowed with the "
                       "`allowed_link_hosts` setting.")
