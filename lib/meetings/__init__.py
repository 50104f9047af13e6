"""Meeting providers: who makes the link people join (Jitsi by default, Google Meet in production)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from lib.domain import Booking, Meeting


@dataclass(frozen=True)
class HealthCheck:
    """The result of a provider's connection check, shown at a glance on the ops page."""

    ok: bool
    summary: str
    detail: str = ""


class MeetingProvider(Protocol):
    """Creates, moves and cancels the meeting of a booking.

    Implementations raise ``lib.errors.MeetingUnavailable`` (transient) or ``MeetingFailed``;
    the booking service owns the retries, so one call is one attempt.
    """

    name: str

    def create(self, booking: Booking) -> Meeting:
        """Create (or find, if an earlier attempt already made it) the booking's meeting."""
        ...

    def reschedule(self, booking: Booking) -> None:
        """Move the booking's meeting to its (new) date and time; the link stays the same."""
        ...

    def cancel(self, booking: Booking) -> Sequence[str] | None:
        """Cancel the booking's meeting; an already-cancelled meeting counts as done.

        With no ``google_event_id`` stored, remove whatever a link attempt may have made.
        Returns the ids of the meetings this call removed (empty or None: nothing was live).
        """
        ...

    def check_connection(self) -> HealthCheck:
        """Tell whether the provider can create meetings right now, in plain words."""
        ...
