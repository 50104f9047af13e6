"""Email: templates, the outbox and the senders that deliver it."""

from __future__ import annotations

from typing import Protocol

from lib.domain import Email

# The customer's notice that a paid booking has no meeting link yet. A later email to the
# customer about the booking supersedes it while it is queued (``lib.service.outbox.replaced_by``).
LINK_PENDING = "link_pending.customer"


class EmailSender(Protocol):
    """Delivers outbox rows. A sender may also have ``max_send_seconds``, the longest one send
    can take with its own retries; the dispatcher sends only while its lease outlasts that."""

    name: str

    def send(self, email: Email) -> None:
        """Deliver one email or raise ``lib.errors.DeliveryError``: ``DeliveryUnavailable`` leaves the
        outbox row queued for a later run, ``DeliveryFailed`` marks it failed with the reply."""
        ...
