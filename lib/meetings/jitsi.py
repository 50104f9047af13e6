"""Jitsi Meet rooms: the embedded default, no account needed."""

from __future__ import annotations

import secrets
from datetime import datetime

from lib.domain import Booking, Meeting
from lib.errors import MeetingFailed
from lib.meetings import BusyTimes, HealthCheck

ROOM_PREFIX = "CallExpert-"


class JitsiProvider:
    """Rooms on a Jitsi server. A room exists as soon as someone opens its URL, so the
    name is the only secret: 24 random URL-safe characters (about 143 bits)."""

    name = "jitsi"
    creates_in_process = True  # a random room name; nothing is made anywhere until someone opens it

    def __init__(self, base_url: str = "https://meet.jit.si") -> None:
        if not base_url.startswith(("https://", "http://")):
            raise MeetingFailed(f"Jitsi base URL {base_url!r} must start with https://")
        self.base_url = base_url.rstrip("/")

    def create(self, booking: Booking) -> Meeting:
        room = ROOM_PREFIX + secrets.token_urlsafe(18)  # 18 bytes -> 24 characters
        return Meeting(url=f"{self.base_url}/{room}", event_id=room, event_version=booking.event_version)

    def reschedule(self, booking: Booking) -> None:
        """Jitsi rooms have no time: the same link works at the new time."""

    def cancel(self, booking: Booking) -> list[str]:
        """Nothing to delete: the room is simply never used."""
        return []

    def converge(self, booking: Booking) -> list[str]:
        """Jitsi has no calendar: nothing can diverge."""
        return []

    def calendar_events(self, start: datetime, end: datetime) -> None:
        """No calendar to read."""
        return None

    def check_connection(self) -> HealthCheck:
        return HealthCheck(ok=True, summary=f"Jitsi rooms on {self.base_url}", detail="No account needed.")

    def busy(self, calendar_id: str, start: datetime, end: datetime) -> BusyTimes:
        """Jitsi has no calendar: only the console's own bookings count."""
        return BusyTimes()
