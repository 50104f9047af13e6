"""Reminder emails before each confirmed session, queued through the outbox."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from lib.access import Actor, require_staff
from lib.domain import EmailDraft
from lib.notify import SIDES, reminder_kind
from lib.notify.templates import reminder_emails
from lib.service.clicks import JoinLinks
from lib.service.outbox import recipient_zones, replaced_by, session_start
from lib.service.ports import Ports

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


class Reminders:
    """Queues the reminders whose moment has come; the outbox's dispatcher sends them."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    def queue_reminders(self, *, actor: Actor) -> int:
        """Queue the customer's and expert's reminder of each confirmed session whose moment
        (``reminder_offsets`` minutes before its start) has come; how many emails were new.

        Each reminder is an outbox row keyed by booking, revision (the email's version) and
        offset (its kind, ``reminder_60.customer``), so a rerun or a second worker at once queues
        nothing twice, and a moved booking's reminders are new ones for its new time (a
        reschedule or a cancellation drops the queued ones in its own transaction; the dispatcher
        checks again before sending). Staff or the system.
        """
        require_staff(actor, "queue reminders")
        ports = self.ports
        offsets = ports.settings.reminder_offsets
        if not offsets:
            return 0
        now, now_local = ports.clock(), ports.now_local()
        sessions = ports.store.confirmed_starting(now_local, now_local + timedelta(minutes=max(offsets)) + _SLACK,
                                                  _MAX_SESSIONS)
        if len(sessions) >= _MAX_SESSIONS:
            log.warning("More than %d confirmed sessions start soon; reminders of the later ones wait for a "
                        "later run", _MAX_SESSIONS)
        due = [(b, m) for b in sessions if (m := due_offset(session_start(b, ports), offsets, now)) is not None]
        if not due:
            return 0
        have = ports.store.email_keys([b.id for b, _ in due])
        drafts: list[EmailDraft] = []
        for booking, minutes in due:
            if all((booking.id, reminder_kind(minutes, side), booking.revision) in have for side in SIDES):
                continue  # both queued already: issue no tokens, render nothing
            join_links = JoinLinks(ports).for_emails(booking)
            for draft in reminder_emails(booking, minutes, ports.settings.tz, ports.settings.email_language,
                                         join_links, recipient_zones(booking, ports)):
                if (draft.booking_id, draft.kind, draft.version) not in have:
                    drafts.append(replace(draft, replaces=replaced_by(draft.kind, offsets)))
        if drafts:
            ports.store.queue_emails(drafts, now)
            log.info("Queued %d reminder email(s)", len(drafts))
        return len(drafts)
