"""Meeting providers: who makes the link people join (Jitsi by default, Google Meet in production)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from lib.domain import Booking, Meeting


@dataclass(frozen=True)
class HealthCheck:
    """The result of a provider's connection check, shown at a glance on the ops page."""

    ok: bool
    summary: str
    detail: str = ""


@dataclass(frozen=True)
class BusyTimes:
    """What an expert's own calendar says is busy between two instants.

    ``intervals`` are aware ``(start, end)`` pairs, end exclusive. ``read`` is false for a
    provider that has no calendar to read (Jitsi): nothing is known, nothing went wrong.
    ``error`` says in plain words why a calendar that should have been read was not; the slots
    are then computed from the console's own bookings alone.
    """

    intervals: tuple[tuple[datetime, datetime], ...] = ()
    read: bool = False
    error: str | None = None


@dataclass(frozen=True)
class CalendarEvent:
    """One live event of the organizer's calendar as a reconciliation reads it: its id, its
    start and end as aware instants (``None`` when Google gave none that can be read), and the
    link it gives its people to join (its Meet link, else a web link in its location; ``None``: none)."""

    event_id: str
    start: datetime | None
    end: datetime | None
    link: str | None = None


class MeetingProvider(Protocol):
    """Creates, moves and cancels the meeting of a booking.

    Implementations raise ``lib.errors.MeetingUnavailable`` (transient) or ``MeetingFailed``;
    the booking service owns the retries, so one call is one attempt.
    """

    name: str
    # True when ``create`` talks to nobody outside the process (Jitsi: a room name): nothing
    # outside can hold a second meeting, so a booking paid within the process too (the demo) is
    # paid and confirmed in one transaction. A provider without it (or False) is called between
    # the payment and the confirmation, under the link lease.
    creates_in_process: bool

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

    def converge(self, booking: Booking) -> list[str]:
        """Bring the calendar to the booking as stored, idempotently: for a confirmed (or
        completed) booking with an event, that event at the booking's time with its people and
        the booking's link (and no other way in); for any other booking that should hold none
        (cancelled, expired, confirmed with a pasted link), every event a link attempt made for it
        gone. Returns sentences saying what this call changed (empty: the calendar already matched).
        Raises ``MeetingProviderError``.
        """
        ...

    def calendar_events(self, start: datetime, end: datetime) -> list[CalendarEvent] | None:
        """The live events of the organizer's calendar overlapping ``[start, end)`` (aware), or
        ``None`` for a provider without a calendar (Jitsi)."""
        ...

    def check_connection(self) -> HealthCheck:
        """Tell whether the provider can create meetings right now, in plain words."""
        ...

    def busy(self, calendar_id: str, start: datetime, end: datetime) -> BusyTimes:
        """Busy time of ``calendar_id`` between two aware instants; never raises (a failure is
        ``BusyTimes(read=True, error=...)``)."""
        ...
