"""The booking form's reads in the embedded store: the reads the checks of one booking need, in
one place (each a query in the same process; nothing to save by joining them)."""

from __future__ import annotations

from datetime import datetime

from lib.errors import UnreadableAvailability
from lib.store.ports_booking_reads import BookingInputs, BookingView


class BookingReadTables:
    """``BookingReadStore`` of ``SQLiteStore`` (it uses the store's own reads)."""

    def booking_inputs(self, expert_id: str, request_key: str | None, customer_id: str | None,
                       held_from: datetime | None, held_to: datetime | None,
                       pending_since: datetime) -> BookingInputs:
        earlier = self.find_by_request_key(request_key) if request_key else None  # type: ignore[attr-defined]
        expert = self.get_expert(expert_id)  # type: ignore[attr-defined]
        customer = self.get_customer(customer_id) if customer_id else None  # type: ignore[attr-defined]
        if expert is None:
            return BookingInputs(earlier=earlier, customer=customer)
        try:
            availability, unreadable = self.get_availability(expert.id), None  # type: ignore[attr-defined]
        except UnreadableAvailability as exc:
            availability, unreadable = None, exc
        held = (self.active_times(expert.id, held_from, held_to, pending_since)  # type: ignore[attr-defined]
                if held_from is not None and held_to is not None else [])
        return BookingInputs(earlier=earlier, expert=expert, session_types=self.session_types(expert.id),  # type: ignore[attr-defined]
                             availability=availability, unreadable=unreadable, customer=customer, held=held,
                             held_from=held_from, held_to=held_to)

    def booking_view(self, booking_id: str, held_from: datetime | None, held_to: datetime | None,
                     pending_since: datetime) -> BookingView:
        booking = self.get_booking(booking_id)  # type: ignore[attr-defined]
        if booking is None:
            return BookingView()
        return BookingView(booking, self.calendar_work([booking.id]).get(booking.id),  # type: ignore[attr-defined]
                           self.booking_inputs(booking.expert_id, None, None, held_from, held_to, pending_since))
