"""What every part of the booking service works with: the four adapters, the settings, the clock,
and the confirm route those adapters take (decided once, when the ports are built).

``Ports.store`` is the whole store (``lib.store.BookingStore``, every store protocol). Each part but
``booking``, ``payments`` and ``links`` (which read ``ports.store`` itself) reads it through its own
``store`` property, typed as only the store protocols it uses (one of ``lib.store``'s,
or a protocol in the part's module made of several, e.g. ``CalendarChangesStore``); the property
returns ``ports.store``, so swapping the store on the shared ``Ports`` reaches every part.
tests/test_service_store_protocols.py checks that a part calls nothing outside its protocols.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from lib.clock import Clock, system_clock
from lib.config import Settings
from lib.domain import Booking
from lib.errors import NotFound
from lib.meetings import MeetingProvider
from lib.notify import EmailSender
from lib.payments import PaymentGateway
from lib.store import BookingStore


@dataclass(frozen=True)
class ConfirmRoute:
    """How a booking goes from paid to confirmed with a pair of adapters: read from their flags
    once, when the service is built (``ConfirmRoute.of``), and never from the adapters again.

    ``pays_here``: the gateway settles within the process (the demo): its order id never leaves,
    so the attempt is counted with the payment, which is stored with the link's first step.
    ``links_here``: the meeting provider makes the link within the process (Jitsi): nothing exists
    outside until someone opens it, so with ``pays_here`` the payment and the link commit together.
    """

    pays_here: bool
    links_here: bool

    @classmethod
    def of(cls, meetings: MeetingProvider, payments: PaymentGateway) -> ConfirmRoute:
        """The route of these adapters, from their ``settles_in_process`` and ``creates_in_process``."""
        return cls(pays_here=bool(payments.settles_in_process), links_here=bool(meetings.creates_in_process))

    @property
    def has_calendar(self) -> bool:
        """Whether the meetings live in a calendar outside (Google): events to move, remove and
        reconcile, which can diverge from the bookings."""
        return not self.links_here


@dataclass
class Ports:
    """The adapters and settings one service (and each of its parts) runs on.

    One instance is shared by the parts of a service, so swapping an adapter (as tests do, through
    the facade) swaps it for all of them. ``sleep`` is what retries wait with: tests pass a no-op;
    ``None`` means tenacity's real sleep.
    """

    store: BookingStore
    meetings: MeetingProvider
    payments: PaymentGateway
    sender: EmailSender
    settings: Settings
    clock: Clock = system_clock
    sleep: Callable[[float], None] | None = None
    # Reads Google Meet attendance (``lib.service.attendance.AttendanceReader``); None: built from the
    # settings when a session is first due (Google meetings only).
    attendance: Any = None
    # Decided here, when the ports are built; the facade decides again when it swaps an adapter.
    route: ConfirmRoute = field(init=False)

    def __post_init__(self) -> None:
        self.route = ConfirmRoute.of(self.meetings, self.payments)

    @property
    def tz(self) -> tzinfo:
        """The app timezone (WIB by default)."""
        return self.settings.tz

    def now_local(self) -> datetime:
        """Now as a naive wall-clock datetime in the app timezone (WIB by default)."""
        return self.clock().astimezone(self.tz).replace(tzinfo=None)

    def today(self) -> date:
        """Today's date in the app timezone, never the UTC date."""
        return self.now_local().date()

    def pending_since(self) -> datetime:
        """When the oldest ``pending`` booking that still holds its slot was made (``pending_expiry_minutes`` ago)."""
        return self.clock() - timedelta(minutes=self.settings.pending_expiry_minutes)

    def load(self, booking_id: str) -> Booking:
        """The booking without a permission check (for the service's own steps after one), or
        ``NotFound`` with a message a person can read."""
        booking_id = booking_id_of(booking_id)
        booking = self.store.get_booking(booking_id)
        if booking is None:
            raise NotFound(f"No booking with id {booking_id}.")
        return booking


def booking_id_of(typed: str) -> str:
    """``typed`` as a booking id (trimmed), or ``NotFound`` with a message a person can read."""
    booking_id = (typed or "").strip()
    try:
        uuid.UUID(booking_id)
    except ValueError:
        raise NotFound(f"{booking_id!r} is not a booking id; check the link you followed.") from None
    return booking_id
