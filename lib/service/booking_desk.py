"""What the Book page and the reschedule form show of one expert, read in one store call: the
expert, their session types and hours, and the times their bookings hold around the days the slot
picker opens on. The parts that draw it (session types, free slots, the price) take it as
``known`` and read the store only for what it does not cover (another window of days). The
Confirmation page reads its booking with the same of the booking's expert, in one call too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from lib.access import Actor, require_can_see, require_expert_or_staff
from lib.domain import Booking
from lib.errors import NotFound
from lib.service.calendar import calendar_note
from lib.service.ports import Ports, booking_id_of
from lib.store import BookingInputs, BookingReadStore

# Days read either side of the window asked for: the window's days in any expert's zone, with
# their buffers and a session over midnight, lie within them.
MARGIN_DAYS = 3


@dataclass(frozen=True)
class BookingPage:
    """One booking as the Confirmation page shows it, read at once: the booking, what to tell
    while its calendar change is on its way (``None``: nothing), and ``desk``, what its reschedule
    form draws from (``known``)."""

    booking: Booking
    calendar_note: str | None
    desk: BookingInputs


def _around(first_day: date, days: int) -> tuple[datetime, datetime]:
    """The wall-clock range read for a window of ``days`` days from ``first_day``."""
    return (datetime.combine(first_day - timedelta(days=MARGIN_DAYS), time(0)),
            datetime.combine(first_day + timedelta(days=max(days, 1) + MARGIN_DAYS), time(0)))


class BookingDesk:
    """One read of an expert's schedule for a page (``BookingService.booking_desk``)."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    @property
    def store(self) -> BookingReadStore:
        """The store, as the protocol this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def read(self, expert_id: str, first_day: date, days: int, *, actor: Actor,
             customer_id: str | None = None) -> BookingInputs:
        """The expert, their types and hours, and their bookings around ``days`` days from
        ``first_day`` (app timezone), with the customer ``customer_id`` if given, in one store call.
        An expert reads their own (and no customer); staff anyone's."""
        require_expert_or_staff(actor, expert_id, "see free slots")
        first, last = _around(first_day, days)
        customer = customer_id if customer_id and actor.is_staff else None
        return self.store.booking_inputs(str(expert_id or "").strip(), None, customer, first, last,
                                          self.ports.pending_since())

    def page(self, booking_id: str, first_day: date, days: int, *, actor: Actor) -> BookingPage:
        """The booking, its calendar note and its expert's schedule around ``days`` days from
        ``first_day``, in one store call; ``NotFound`` as ``get_booking`` says it, and
        ``PermissionDenied`` for another expert's booking."""
        booking_id = booking_id_of(booking_id)
        view = self.store.booking_view(booking_id, *_around(first_day, days), self.ports.pending_since())
        if view.booking is None:
            raise NotFound(f"No booking with id {booking_id}.")
        require_can_see(actor, view.booking)
        return BookingPage(view.booking, calendar_note(view.booking, view.calendar_work), view.inputs)
