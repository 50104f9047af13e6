"""A booking's Calendar event as Google sees it: its id, the body an insert sends, the Meet
conference it asks for, and what an answer says about that conference. Pure functions on the
JSON Google sends and answers; the requests are ``lib.meetings.google``'s."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from lib.domain import Booking
from lib.meetings.meet_records import meeting_code
from lib.notify.messages import WORDS

MEET = "hangoutsMeet"
_HEX_MAX = 1000  # event ids may be 1024 characters; keep room for the version suffix
# An event without ``updated`` is looked for from this long before now on the machine's clock.
_NO_STAMP_LOOKBACK = timedelta(minutes=5)


def event_id_for(booking_id: str, version: int) -> str:
    """The Calendar event id of a booking's ``version``: base32hex (0-9, a-v), 5 to 1024 chars.

    A uuid booking id gives ``<32 hex>v<version>``. Other ids are base32hex-encoded behind an
    ``n`` (or hashed behind an ``h`` when long); neither letter is a hex digit, so the forms
    never collide with each other or with uuid ids.
    """
    try:
        stem = uuid.UUID(booking_id).hex
    except (ValueError, AttributeError, TypeError):
        encoded = base64.b32hexencode(str(booking_id).encode("utf-8")).decode("ascii").rstrip("=").lower()
        stem = ("n" + encoded if len(encoded) < _HEX_MAX
                else "h" + hashlib.sha256(str(booking_id).encode("utf-8")).hexdigest())
        stem = stem.ljust(4, "0")  # "n" + nothing would be too short for Google's 5-char minimum
    return f"{stem}v{int(version)}"


def event_times(booking: Booking, timezone: str) -> tuple[dict[str, str], dict[str, str]]:
    """The event's start and end: the booking's wall clock in ``timezone``."""
    start = booking.starts_at
    end = start + timedelta(minutes=booking.duration)
    fmt = "%Y-%m-%dT%H:%M:%S"
    return (
        {"dateTime": start.strftime(fmt), "timeZone": timezone},
        {"dateTime": end.strftime(fmt), "timeZone": timezone},
    )


def event_body(booking: Booking, event_id: str, timezone: str, reminder_minutes: int,
               language: str = "en") -> dict[str, Any]:
    """The whole event of a booking as an insert sends it (an adopted event is patched to it).

    Its title and description are in ``language``, the emails' (Google invites both people
    with them), the session type named as booked in that language."""
    start, end = event_times(booking, timezone)
    t = WORDS[language]
    who = t["ics_who"].format(session=booking.type_name(language), customer=booking.customer_name,
                              expert=booking.expert_name)
    overrides: list[dict[str, Any]] = [{"method": "email", "minutes": 24 * 60}]
    if reminder_minutes > 0:
        overrides.append({"method": "popup", "minutes": int(reminder_minutes)})
    return {
        "id": event_id,
        "summary": who,
        "description": (f"CallExpert · {who} ({t['minutes'].format(minutes=booking.duration)}).\n"
                        f"{join_line(booking.meeting_link, language)}\n\n{t['ics_booking'].format(id=booking.id)}"),
        "start": start,
        "end": end,
        # No responseStatus: both sides get a real invitation to accept.
        "attendees": [
            {"email": booking.customer_email, "displayName": booking.customer_name},
            {"email": booking.expert_email, "displayName": booking.expert_name},
        ],
        "reminders": {"useDefault": False, "overrides": overrides},
        "conferenceData": conference_request(event_id),
        "guestsCanModify": False,
    }


def join_line(link: str | None, language: str = "en") -> str:
    """The description's line that says how to join: with the event's own Meet conference, or,
    for a booking whose link is not a Meet link (one ops pasted), that link itself."""
    t = WORDS[language]
    if link and meeting_code(link) is None:
        return t["ics_join"].format(link=link)
    return t["event_join"]


def existing_conference(code: str) -> dict[str, Any]:
    """The ``conferenceData`` that attaches the existing Meet meeting ``code`` (``abc-defg-hij``) to
    an event (no ``createRequest``: nothing new is made); sent with ``conferenceDataVersion=1``,
    the event's ``hangoutLink`` becomes that meeting's link."""
    return {
        "conferenceId": code,
        "conferenceSolution": {"key": {"type": MEET}},
        "entryPoints": [{"entryPointType": "video", "uri": f"https://meet.google.com/{code}"}],
    }


def is_web_link(text: object) -> bool:
    """Whether an event's ``location`` is a web link (where the console puts a non-Meet link)."""
    return isinstance(text, str) and text.strip().lower().startswith(("https://", "http://"))


def join_link(event: Mapping[str, Any]) -> str | None:
    """The link an event gives its people to join: its Meet link, else a web link in its location."""
    link = meet_link(event)
    if link:
        return link
    location = event.get("location")
    return location.strip() if is_web_link(location) else None


def same_link(have: str | None, want: str | None) -> bool:
    """Whether two meeting links lead to the same meeting: the same Meet code for Meet links
    (``?authuser=`` or letter case do not matter), else the same text."""
    if not have or not want:
        return not have and not want
    code = meeting_code(want)
    return meeting_code(have) == code if code else have.strip() == want.strip()


def updated_of(event: Mapping[str, Any]) -> datetime:
    """The event's ``updated`` (Google's clock) as an aware datetime; a while before now on this
    machine's clock when the event has none that can be read."""
    try:
        moment = datetime.fromisoformat(str(event["updated"]))  # "...Z" and fractions read in 3.11
        if moment.tzinfo is not None:
            return moment
    except (KeyError, TypeError, ValueError):
        pass
    return datetime.now(UTC) - _NO_STAMP_LOOKBACK


def conference_request(event_id: str, attempt: int = 0) -> dict[str, Any]:
    """A Meet create request. The insert's id is the event id, so a retried insert asks for the
    same conference; a re-request (``attempt`` > 0) needs a new id, as Google ignores a
    repeated one, and the attempt number keeps it deterministic."""
    request_id = event_id if attempt <= 0 else f"{event_id}-{attempt}"
    return {"createRequest": {"requestId": request_id, "conferenceSolutionKey": {"type": MEET}}}


def conference_status(event: Mapping[str, Any]) -> str | None:
    """The Meet create request's status ("pending", "success", "failure"), if the event has one."""
    data = event.get("conferenceData") or {}
    return ((data.get("createRequest") or {}).get("status") or {}).get("statusCode")


def meet_link(event: Mapping[str, Any]) -> str | None:
    """The event's Meet link: ``hangoutLink``, else its video entry point."""
    if event.get("hangoutLink"):
        return str(event["hangoutLink"])
    for entry in (event.get("conferenceData") or {}).get("entryPoints") or []:
        if entry.get("entryPointType") == "video" and entry.get("uri"):
            return str(entry["uri"])
    return None


def link_changes(event: Mapping[str, Any], link: str, description: str, language: str = "en") -> dict[str, Any]:
    """The patch that makes ``event`` carry the booking's ``link``, and nothing else to join with.

    A Meet link: the event's conference is that meeting (``existing_conference``: attached, not
    created, so the link people already have keeps working), and a web link left in its location
    goes. Any other link (e.g. a Jitsi or Zoom link stored on the booking): the event holds no
    conference (``conferenceData`` null removes it) and the link is its location. Either way the
    description has the line that says how to join (``description``, the whole of it, when not).
    """
    body: dict[str, Any] = {}
    code = meeting_code(link)
    location = str(event.get("location") or "")
    if code:
        if meeting_code(meet_link(event)) != code:
            body["conferenceData"] = existing_conference(code)
        if is_web_link(location):
            body["location"] = ""
    else:
        if event.get("conferenceData") or event.get("hangoutLink"):
            body["conferenceData"] = None
        if location.strip() != link:
            body["location"] = link
    if join_line(link, language) not in str(event.get("description") or "").splitlines():
        body["description"] = description
    return body


def link_said(before: Mapping[str, Any], after: Mapping[str, Any], body: Mapping[str, Any], link: str) -> list[str]:
    """What a patch (``body``) did to an event's way in, in words; empty when it left that alone."""
    had = meet_link(before)
    said: list[str] = []
    if "conferenceData" in body:
        data = body["conferenceData"]
        if data is None:
            said.append(f"its Meet conference {had} removed" if had else "its Meet conference removed")
        elif data.get("createRequest"):
            said.append("a new Meet conference asked for")
        else:
            now = meet_link(after) or link
            said.append(f"its Meet link changed from {had} to the booking's {now}" if had
                        else f"its Meet link {now} (the booking's) put back")
    if "location" in body:
        said.append(f"the booking's link {link} put in its location" if body["location"]
                    else f"the link {str(before.get('location') or '').strip()} taken out of its location")
    if "description" in body:
        said.append("its description now says how to join")
    return said
