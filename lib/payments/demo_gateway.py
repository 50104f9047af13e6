"""The demo gateway: settles every payment at once. No money moves; the UI says so."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from lib.domain import Booking
from lib.errors import PaymentFailed
from lib.payments import PaymentResult, PaymentState


class DemoGateway:
    name = "demo"
    label = "Demo payment"
    is_demo = True
    settles_in_process = True  # no payment page, no outside party: nothing to number first

    def start(self, booking: Booking, order_id: str, *, expires_at: datetime | None = None) -> PaymentResult:
        """The demo has no payment page (so nothing to expire): starting a payment settles it at
        once, taking no money."""
        return PaymentResult(PaymentState.PAID, reference=f"DEMO-{booking.id[:8]}",
                             message="Demo payment, no money moved.", amount=Decimal(booking.price))

    def status(self, order_id: str) -> PaymentResult:
        """Every demo order is paid."""
        return PaymentResult(PaymentState.PAID, reference=order_id, message="Demo payment, no money moved.")

    def read_notification(self, payload: Mapping[str, Any]) -> PaymentResult:
        """The demo sends no notifications, so any that arrives is refused."""
        raise PaymentFailed("The demo payment gateway sends no notifications; set payment_gateway = \"midtrans\" "
                           "to receive Midtrans's.")

    def expire(self, order_id: str) -> None:
        """The demo has no payment page to close."""
