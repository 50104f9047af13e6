"""Email: templates, the outbox and the senders that deliver it."""

from __future__ import annotations

from typing import Protocol

from lib.domain import Email

# The customer's notice that a paid booking has no meeting link yet. A later email to the
# customer about the booking (confirmation, cancellation) supersedes it while it is queued.
LINK_PENDING = "link_pending.customer"


class DeliveryError(Exception):
    """A send failed.

    ``permanent`` failures are not retried (bad recipient, 5xx replies to the message): the
    outbox row is marked ``failed`` with the server's reply. Others leave the row ``queued``
    for the next run. ``stop_run`` says the fault is the server or the settings, not this
    message (unreachable server, refused login, TLS failure), so the other queued emails would
    fail the same way and the dispatcher stops for this run.
    """

    def __init__(self, message: str, *, permanent: bool, stop_run: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.stop_run = stop_run


class EmailSender(Protocol):
    """Delivers outbox rows. A sender may also have ``max_send_seconds``, the longest one send
    can take with its own retries; the dispatcher sends only while its lease outlasts that."""

    name: str

    def send(self, email: Email) -> None:
        """Deliver one email or raise ``DeliveryError``."""
        ...
