"""Payment gateways: the demo gateway by default, Midtrans in production."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from lib.domain import Booking


class PaymentState(str, enum.Enum):
    PAID = "paid"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class PaymentResult:
    state: PaymentState
    reference: str
    message: str = ""
    redirect_url: str | None = None


class PaymentGateway(Protocol):
    """Takes payment for a pending booking and tells whether it settled."""

    name: str
    is_demo: bool

    def charge(self, booking: Booking) -> PaymentResult:
        """Start (or, for the demo, complete) the payment of ``booking``."""
        ...

    def status(self, booking: Booking) -> PaymentResult:
        """Ask the gateway, never the browser, whether the booking's payment settled."""
        ...
