"""The embedded sender: emails stay in the in-app outbox, readable on the Emails page."""

from __future__ import annotations

from lib.domain import Email


class OutboxOnlySender:
    """Delivers nowhere: the outbox row is the message. Lets a demo show what was sent."""

    name = "outbox"
    max_send_seconds = 0.0  # nothing leaves the process, so a send cannot outlive the outbox lease

    def send(self, email: Email) -> None:
        return None
