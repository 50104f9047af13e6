"""Customer self-service from the booking emails: the values the stores keep and the policy.

A confirmed or paid booking's customer gets one unguessable token (as strong as a Join token);
``/r/<token>`` reschedules and ``/c/<token>`` cancels on the public endpoint, within the policy
of the settings (``self_service_deadline_hours``, ``self_service_max_reschedules``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from lib.timefmt import local_medium_when, rupiah

# What a self-service change was, as the store keeps it (and the Ops page names it).
RESCHEDULED = "rescheduled"
CANCELLED = "cancelled"


class Refund(str, enum.Enum):
    """Where the money of a paid booking the customer cancelled stands."""

    NONE = ""  # nothing to pay back
    DUE = "due"  # ops owe the customer the amount
    STARTED = "started"  # a refund was asked of the gateway (or recorded by ops)


@dataclass(frozen=True)
class SelfServiceRecord:
    """One booking's self-service row: its token, the key its forms are signed with, how often the
    customer moved it, the change being made now (``claimed_revision``), their last change and
    what is owed after a cancellation."""

    booking_id: str
    token: str
    form_key: str
    reschedules: int = 0
    claimed_revision: int | None = None
    last_change: str = ""
    last_change_at: datetime | None = None
    refund: Refund = Refund.NONE
    refund_amount: int = 0
    refund_ref: str = ""
    refund_at: datetime | None = None


class Claim(str, enum.Enum):
    """The answer of a store asked to let one change of a booking's revision go ahead."""

    CLAIMED = "claimed"  # this request makes the change
    BUSY = "busy"  # another request made (or is making) a change of that revision
    LIMIT = "limit"  # the booking was moved as often as the policy allows


def change_line(record: SelfServiceRecord, tz: ZoneInfo) -> str:
    """What the customer did, as the Ops page's plain text says it: ``Rescheduled by the customer
    (moved 2 times) · Thu 3 Dec 2026, 14:00 WIB · Refund due: Rp 250.000``."""
    if record.last_change == CANCELLED:
        what = "Cancelled by the customer"
    elif record.last_change == RESCHEDULED:
        what = f"Rescheduled by the customer (moved {record.reschedules} time{'s' if record.reschedules != 1 else ''})"
    else:
        what = "Changed by the customer"
    parts = [what]
    if record.last_change_at is not None:
        parts.append(local_medium_when(record.last_change_at, tz))
    if record.refund is Refund.DUE:
        parts.append(f"Refund due: {rupiah(record.refund_amount)}")
    elif record.refund is Refund.STARTED:
        parts.append(f"Refund started: {record.refund_ref}")
    return " · ".join(parts)
