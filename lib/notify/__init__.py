"""Email: templates, the outbox and the senders that deliver it."""

from __future__ import annotations

from typing import Protocol

from lib.domain import Email

# The customer's notice that a paid booking has no meeting link yet. A later email to the
# customer about the booking supersedes it while it is queued (``lib.service.outbox.replaced_by``).
LINK_PENDING = "link_pending.customer"

# Reminders before a session are kinds ``reminder_<minutes>.<side>`` (``reminder_1440.customer``):
# one outbox row per booking, revision (the email's version) and offset, so each is sent once.
REMINDER_PREFIX = "reminder_"
SIDES = ("customer", "expert")


def reminder_kind(minutes: int, side: str) -> str:
    """The kind of the reminder ``minutes`` before a session, to ``side`` (customer or expert)."""
    return f"{REMINDER_PREFIX}{int(minutes)}.{side}"


def reminder_offset(kind: str) -> int | None:
    """The minutes before the session of a reminder ``kind``; ``None`` for any other kind."""
    event, _, _side = kind.partition(".")
    if not event.startswith(REMINDER_PREFIX):
        return None
    try:
        return int(event[len(REMINDER_PREFIX):])
    except ValueError:
        return None


class EmailSender(Protocol):
    """Delivers outbox rows. A sender may also have ``max_send_seconds``, the longest one send
    can take with its own retries; the dispatcher sends only while its lease outlasts that."""

    name: str

    def send(self, email: Email) -> None:
        """Deliver one email or raise ``lib.errors.DeliveryError``: ``DeliveryUnavailable`` leaves the
        outbox row queued for a later run, ``DeliveryFailed`` marks it failed with the reply."""
        ...
