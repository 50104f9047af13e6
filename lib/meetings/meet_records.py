"""What Google Meet says about a meeting: its code in a link, and the participants of its conference
records. Plain values, so the attendance rules read them without loading the Google client."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_CODE_RE = re.compile(r"meet\.google\.com/([a-z]{3}-[a-z]{4}-[a-z]{3})(?:[/?#]|$)", re.IGNORECASE)


def meeting_code(link: str | None) -> str | None:
    """The Meet code (``abc-mnop-xyz``) of a ``https://meet.google.com/...`` link, else None."""
    found = _CODE_RE.search(link or "")
    return found.group(1).lower() if found else None


@dataclass(frozen=True)
class Participant:
    """One participant of one conference record.

    ``kind`` is "signed in", "anonymous" or "phone"; ``user`` is ``users/{id}`` for a signed-in
    one. ``left`` is the record's end when Google gave no ``latestEndTime``.
    """

    kind: str
    display_name: str
    joined: datetime | None
    left: datetime | None
    user: str = ""


@dataclass(frozen=True)
class MeetReading:
    """What Google holds for a meeting code: how many conference records, whether one is still
    live (no end time yet), and every participant of every record."""

    records: int
    live: bool
    participants: tuple[Participant, ...]
