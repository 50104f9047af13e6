"""Payment gateways: the demo gateway by default, Midtrans in production."""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from lib.domain import Booking


class PaymentState(str, enum.Enum):
    PAID = "paid"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class PaymentResult:
    """What a gateway said about one order.

    ``gateway_status`` is the gateway's own word (e.g. ``capture/challenge``), ``amount`` the
    amount it reports (to compare with the booking's price), ``needs_review`` marks a payment a
    person has to accept or deny in the gateway's dashboard before it can settle.
    """

    state: PaymentState
    reference: str
    message: str = ""
    redirect_url: str | None = None
    token: str | None = None
    gateway_status: str = ""
    amount: Decimal | None = None
    needs_review: bool = False


class PaymentGateway(Protocol):
    """Takes payment for a pending booking and tells whether it settled; one shape for all.

    ``start`` opens a payment: ``PAID`` when it settled at once (the demo), ``PENDING`` with the
    page the customer pays on (Midtrans), ``FAILED`` when refused. The console learns what became
    of a pending one by asking ``status`` (or from a verified notification), never the browser.
    """

    name: str
    label: str  # how pages name it, e.g. "Midtrans (sandbox)"
    is_demo: bool
    # True when ``start`` talks to nobody outside the process (the demo): its order ids are seen
    # by no one, so a payment that settles at once is numbered and recorded in one transaction.
    # A gateway without it (or False) has each attempt numbered before it is asked.
    settles_in_process: bool

    def start(self, booking: Booking, order_id: str, *, expires_at: datetime | None = None) -> PaymentResult:
        """Open a payment of ``booking`` under ``order_id``: ``PAID`` if it settled at once,
        else ``PENDING`` with the page to pay on (``redirect_url``, ``token``). ``expires_at``:
        when the booking stops waiting for its money (``pending_expiry_minutes`` after it was
        made); a payment page must not outlive it."""
        ...

    def status(self, order_id: str) -> PaymentResult:
        """Ask the gateway, never the browser, whether the order's payment settled."""
        ...

    def read_notification(self, payload: Mapping[str, Any]) -> PaymentResult:
        """Verify a notification the gateway sent and say what it reports; ``PaymentError`` if forged."""
        ...

    def expire(self, order_id: str) -> None:
        """Close the order's payment page so nobody can pay it any more (a booking was cancelled).

        An order the gateway does not know, or one already closed, counts as done; an order that
        was paid meanwhile raises ``PaymentError`` so the booking is not cancelled over a payment.
        """
        ...


# Order ids: "CE-" + the booking uuid's 32 hex digits + "-" + the attempt number. The whole uuid
# is kept so any attempt's order (a notification of an older attempt, too) leads back to its
# booking without a lookup table; 3 + 32 + 1 + digits stays far below Midtrans's 50 characters.
_ORDER = re.compile(r"^CE-([0-9a-f]{32})-([1-9][0-9]{0,5})$")


def order_id_for(booking_id: str, attempt: int) -> str:
    """The gateway order id of payment attempt ``attempt`` (1, 2, ...) of the booking.

    A gateway order id is single-use (Midtrans refuses a second transaction under one), so
    each attempt gets its own.
    """
    if attempt < 1:
        raise ValueError("payment attempts count from 1")
    return f"CE-{uuid.UUID(booking_id).hex}-{attempt}"


def parse_order_id(order_id: str) -> tuple[str, int] | None:
    """``(booking id, attempt)`` of an order id made by :func:`order_id_for`, else ``None``."""
    match = _ORDER.match(str(order_id or ""))
    if match is None:
        return None
    return str(uuid.UUID(match.group(1))), int(match.group(2))
