"""Reminder emails before each confirmed session, queued through the outbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from lib.access import Actor, require_staff
from lib.domain import Booking, EmailDraft
from lib.errors import CallExpertError, log_unexpected
from lib.notify import SIDES, reminder_kind
from lib.notify.templates import reminder_emails
from lib.service.clicks import JoinLinks
from lib.service.outbox import recipient_zones, replaced_by, session_start
from lib.service.ports import Ports
from lib.store import BookingListStore, OutboxStore

log = logging.getLogger(__name__)

# Sessions read per run. More confirmed sessions than this within the largest offset is far
# beyond the console's scale; the run says so and the rest wait for the first ones to start.
_MAX_SESSIONS = 2000
# The wall-clock window is read an hour wider than the largest offset, so a zone's daylight-saving
# shift never hides a session; which reminder is due is then decided on real instants.
_SLACK = timedelta(hours=1)


def due_offset(start: datetime, offsets: tuple[int, ...], now: datetime) -> int | None:
    """The reminder (minutes before ``start``) due at ``now``, or ``None``.

    A reminder is due from its moment (``start - offset``) until the session starts, so one
    whose moment passed while nothing ran still goes out before the start, and never after it.
    When several are due at once (nothing ran for a day), only the nearest to the start is:
    "starts in 24 hours" sent 30 minutes before the session would only confuse.
    """
    if start <= now:
        return None
    due = [m for m in offsets if start - timedelta(minutes=m) <= now]
    return min(due) if due else None


@dataclass(frozen=True)
class ReminderRun:
    """What one run queued (emails) and for how many sessions nothing could be prepared (each
    logged with its booking; the others were queued all the same)."""

    queued: int = 0
    failed: int = 0


class RemindersStore(BookingListStore, OutboxStore, Protocol):
    """What ``Reminders`` reads and writes in the store."""


class Reminders:
    """Queues the reminders whose moment has come; the outbox's dispatcher sends them."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    @property
    def store(self) -> RemindersStore:
        """The store, as the protocols this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def queue_reminders(self, *, actor: Actor) -> ReminderRun:
        """Queue the customer's and expert's reminder of each confirmed session whose moment
        (``reminder_offsets`` minutes before its start) has come; how many emails were new, and
        for how many sessions they could not be prepared.

        Each reminder is an outbox row keyed by booking, revision (the email's version) and
        offset (its kind, ``reminder_60.customer``), so a rerun or a second worker at once queues
        nothing twice, and a moved booking's reminders are new ones for its new time (a
        reschedule or a cancellation drops the queued ones in its own transaction; the dispatcher
        checks again before sending). Each session is prepared on its own: one that fails (its
        error logged with the booking) leaves the others to be queued. Staff or the system.
        """
        require_staff(actor, "queue reminders")
        ports = self.ports
        offsets = ports.settings.reminder_offsets
        if not offsets:
            return ReminderRun()
        now, now_local = ports.clock(), ports.now_local()
        sessions = self.store.confirmed_starting(now_local, now_local + timedelta(minutes=max(offsets)) + _SLACK,
                                                  _MAX_SESSIONS)
        if len(sessions) >= _MAX_SESSIONS:
            log.warning("More than %d confirmed sessions start soon; reminders of the later ones wait for a "
                        "later run", _MAX_SESSIONS)
        due = [(b, m) for b in sessions if (m := due_offset(session_start(b, ports), offsets, now)) is not None]
        if not due:
            return ReminderRun()
        have = self.store.email_keys([b.id for b, _ in due])
        drafts: list[EmailDraft] = []
        failed = 0
        for booking, minutes in due:
            if all((booking.id, reminder_kind(minutes, side), booking.revision) in have for side in SIDES):
                continue  # both queued already: issue no tokens, render nothing
            try:
                drafts += self._drafts(booking, minutes, offsets, have)
            except CallExpertError as exc:  # the console's own words: safe to log
                failed += 1
                log.warning("The reminders of booking %s could not be prepared: %s", booking.id, exc)
            except Exception as exc:  # noqa: BLE001 - one session's reminders never stop the others'
                failed += 1
                log_unexpected(log, f"The reminders of booking {booking.id} could not be prepared", exc)
        if drafts:
            self.store.queue_emails(drafts, now)
            log.info("Queued %d reminder email(s)", len(drafts))
        return ReminderRun(len(drafts), failed)

    def _drafts(self, booking: Booking, minutes: int, offsets: tuple[int, ...],
                have: set[tuple[str, str, int]]) -> list[EmailDraft]:
        """The reminders of one session not queued yet, each saying which earlier ones it replaces."""
        ports = self.ports
        join_links = JoinLinks(ports).for_emails(booking)
        return [replace(draft, replaces=replaced_by(draft.kind, offsets))
                for draft in reminder_emails(booking, minutes, ports.settings.tz, ports.settings.email_language,
                                             join_links, recipient_zones(booking, ports))
                if (draft.booking_id, draft.kind, draft.version) not in have]
