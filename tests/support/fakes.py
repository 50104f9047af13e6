"""In-memory stand-ins for outside services and clocks, for service- and provider-level tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lib.domain import Booking, BookingStatus, Email, Meeting
from lib.errors import DeliveryFailed, DeliveryUnavailable, MeetingFailed, MeetingUnavailable
from lib.meetings import BusyTimes, HealthCheck


@dataclass
class FlakyProvider:
    """A meeting provider that fails the first ``failures`` calls to ``create``.

    ``permanent`` makes those failures non-retryable. Events are keyed by booking id so a
    test can count them; creating twice for one booking is recorded as a duplicate.
    """

    failures: int = 0
    permanent: bool = False
    retry_after: float | None = None
    name: str = "flaky"
    # As Jitsi: nothing is made outside the process, so the demo's payment and the link are
    # stored in one transaction (``pay_and_confirm``).
    creates_in_process: bool = False
    calls: int = 0
    events: dict[str, Booking] = field(default_factory=dict)
    duplicates: int = 0
    cancelled: list[str] = field(default_factory=list)
    moved: list[Booking] = field(default_factory=list)
    # What ``busy`` answers for every calendar; a test sets it to model the expert's own calendar.
    busy_times: BusyTimes = field(default_factory=BusyTimes)
    busy_calls: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, booking: Booking) -> Meeting:
        with self._lock:
            self.calls += 1
            if self.calls <= self.failures:
                if self.permanent:
                    raise MeetingFailed("Calendar said no")
                raise MeetingUnavailable("Calendar is busy (503)", retry_after=self.retry_after)
            if booking.id in self.events:
                self.duplicates += 1
            self.events[booking.id] = booking
        return Meeting(url=f"https://meet.example.com/{booking.id[:8]}", event_id=f"ev{booking.id.replace('-', '')}",
                       event_version=booking.event_version)

    def reschedule(self, booking: Booking) -> None:
        self.moved.append(booking)

    def cancel(self, booking: Booking) -> None:
        self.cancelled.append(booking.id)
        self.events.pop(booking.id, None)

    def converge(self, booking: Booking) -> list[str]:
        """Calendar work: a live booking's event is moved to it, any other booking's removed."""
        if booking.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED):
            if booking.google_event_id:
                self.reschedule(booking)
            return []
        if booking.status in (BookingStatus.PAID, BookingStatus.PENDING):
            return []
        self.cancel(booking)
        return []

    def calendar_events(self, start: datetime, end: datetime) -> None:
        return None

    def check_connection(self) -> HealthCheck:
        return HealthCheck(ok=True, summary="fake")

    def busy(self, calendar_id: str, start: datetime, end: datetime) -> BusyTimes:
        self.busy_calls.append((calendar_id, start, end))
        return self.busy_times


@dataclass
class RecordingSender:
    """An email sender that records what it sent and can fail the first ``failures`` sends."""

    failures: int = 0
    permanent: bool = False
    name: str = "recording"
    sent: list[Email] = field(default_factory=list)
    calls: int = 0

    def send(self, email: Email) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryFailed("550 no such user") if self.permanent else DeliveryUnavailable("421 try later")
        self.sent.append(email)


class FixedClock:
    """A clock a test can set and move."""

    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps (or the test moves it)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds
