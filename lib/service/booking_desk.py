"""What the Book page and the reschedule form show of one expert, read in one store call: the
expert, their session types and hours, and the times their bookings hold around the days the slot
picker opens on. The parts that draw it (session types, free slots, the price) take it as
``known`` and read the store only for what it does not cover (another window of days)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from lib.access import Actor, require_expert_or_staff
from lib.service.ports import Ports
from lib.store import BookingInputs

# Days read either side of the window asked for: the window's days in any expert's zone, with
# their buffers and a session over midnight, lie within them.
MARGIN_DAYS = 3


class BookingDesk:
    """One read of an expert's schedule for a page (``BookingService.booking_desk``)."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    def read(self, expert_id: str, first_day: date, days: int, *, actor: Actor) -> BookingInputs:
        """The expert, their types and hours, and their bookings around ``days`` days from
        ``first_day`` (app timezone), in one store call. An expert reads their own; staff anyone's."""
        require_expert_or_staff(actor, expert_id, "see free slots")
        first = datetime.combine(first_day - timedelta(days=MARGIN_DAYS), time(0))
        last = datetime.combine(first_day + timedelta(days=max(days, 1) + MARGIN_DAYS), time(0))
        return self.ports.store.booking_inputs(str(expert_id or "").strip(), None, None, first, last,
                                               self.ports.pending_since())
