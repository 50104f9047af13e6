"""The demo gateway: settles every payment at once. No money moves; the UI says so."""

from __future__ import annotations

from lib.domain import Booking
from lib.payments import PaymentResult, PaymentState


class DemoGateway:
    name = "demo"
    is_demo = True

    def charge(self, booking: Booking) -> PaymentResult:
        return PaymentResult(PaymentState.PAID, reference=f"DEMO-{booking.id[:8]}", message="Demo payment, no money moved.")

    def status(self, booking: Booking) -> PaymentResult:
        return self.charge(booking)
