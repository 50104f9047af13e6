"""Email: templates, the outbox and the senders that deliver it."""

from __future__ import annotations

from typing import Protocol

from lib.domain import Email


class DeliveryError(Exception):
    """A send failed. ``permanent`` failures are not retried (bad recipient, 5xx replies)."""

    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


class EmailSender(Protocol):
    name: str

    def send(self, email: Email) -> None:
        """Deliver one email or raise ``DeliveryError``."""
        ...
