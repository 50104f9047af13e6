"""Customer self-service (``lib.service.self_service``): the Reschedule and Cancel links.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from lib.self_service_policy import Claim, Refund, SelfServiceRecord


@runtime_checkable
class SelfServiceStore(Protocol):
    """Each booking's self-service token, one customer change per revision, and the refunds due."""

    def issue_self_service(self, booking_id: str, token: str, form_key: str, at: datetime) -> SelfServiceRecord:
        """Store the booking's self-service token and form key unless it has them already, and
        return the stored row: one that exists wins, so every email carries the same links."""
        ...

    def self_service_by_token(self, token: str) -> SelfServiceRecord | None:
        """The self-service row of a token, or ``None``."""
        ...

    def self_service_of(self, booking_id: str) -> SelfServiceRecord | None:
        """The booking's self-service row, or ``None`` when no link was issued."""
        ...

    def claim_self_service(self, booking_id: str, revision: int, at: datetime, stale_before: datetime,
                           reschedule_limit: int | None) -> Claim:
        """Let one customer change of the booking's ``revision`` go ahead, atomically: ``BUSY``
        when a change of that (or a later) revision was made, or is being made by a claim taken
        at or after ``stale_before``; with ``reschedule_limit`` (a move), ``LIMIT`` when the
        customer moved it that often already, else the move is counted with the claim."""
        ...

    def release_self_service(self, booking_id: str, revision: int, rescheduled: bool) -> None:
        """Give back an unfinished claim of ``revision`` (the change was refused), and its count."""
        ...

    def finish_self_service(self, booking_id: str, revision: int, change: str, at: datetime,
                            refund_amount: int = 0) -> None:
        """Mark the claim of ``revision`` done with the customer's ``change`` (``rescheduled`` or
        ``cancelled``); a ``refund_amount`` above 0 records that much as a refund due."""
        ...

    def self_service_changes(self, since: datetime, limit: int = 100) -> list[SelfServiceRecord]:
        """The rows of customers' changes made at or after ``since``, and every refund still due,
        newest change first."""
        ...

    def set_refund(self, booking_id: str, expected: Refund, new: Refund, ref: str, at: datetime) -> bool:
        """Move the booking's refund from ``expected`` to ``new`` with a reference; whether it was
        still ``expected`` (so two people starting one refund start it once)."""
        ...
