"""The email outbox: queued by the transitions and the service, claimed and recorded by the dispatcher.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from lib.domain import Email, EmailDraft, EmailStatus


@runtime_checkable
class OutboxStore(Protocol):
    """The email outbox outside the transitions (which queue their own emails in their transaction)."""

    def claim_queued_emails(self, now: datetime, lease_until: datetime, limit: int = 100) -> list[Email]:
        """Take queued emails for sending until ``lease_until``; two dispatchers never get the same row.

        Skips rows leased by another dispatcher and rows whose ``not_before`` is after ``now``.
        """
        ...

    def list_emails(self, limit: int = 200, booking_id: str | None = None) -> list[Email]: ...

    def queue_emails(self, emails: Sequence[EmailDraft], at: datetime, not_before: datetime | None = None) -> None:
        """Queue emails outside a transition (the "link still being prepared" notice), to be
        claimed no sooner than ``not_before``.

        Like the transitions' queueing: idempotent by (booking, kind, version), and each email
        drops its booking's rows of the kinds it ``replaces`` that are still queued and not leased
        by a dispatcher (which email replaces which is the service's rule, not the store's).
        """
        ...

    def email_keys(self, booking_ids: Sequence[str]) -> set[tuple[str, str, int]]:
        """The (booking_id, kind, version) of every outbox row of these bookings, in any status:
        what is queued or sent already, so a run renders only what is new."""
        ...

    def drop_emails(self, email_ids: Sequence[int]) -> None:
        """Delete these emails if still ``queued`` (a reminder the dispatcher found pointless at
        send time); sent and failed rows stay as the record."""
        ...

    def requeue_email(self, email_id: int) -> Email | None:
        """``failed`` -> ``queued`` on the same row (ops "Resend"); ``None`` if it is not failed."""
        ...

    def release_emails(self, email_ids: Sequence[int]) -> None:
        """Give back the lease on ``queued`` emails a stopped dispatcher did not get to."""
        ...

    def mark_email(self, email_id: int, status: EmailStatus, error: str | None, at: datetime) -> None:
        """Record a send attempt: ``sent``, ``failed`` (permanent) or ``queued`` (try again later)."""
        ...
