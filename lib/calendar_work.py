"""Calendar work: the durable, leased, retried change that brings a booking's Google Calendar
event to the booking as stored (moved, or gone). One row per booking; queuing it again while it
waits or runs bumps its ``generation``, so a run that read the booking before the newest change
never marks the newer change done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Why the work was queued, as the history and the Ops page say it.
CANCEL = "cancel"
RESCHEDULE = "reschedule"
LINK_CLEANUP = "link cleanup"
RECONCILE = "reconcile"
REASONS = (CANCEL, RESCHEDULE, LINK_CLEANUP, RECONCILE)


@dataclass(frozen=True)
class CalendarWork:
    """One booking's calendar work as stored.

    ``waiting``: not done yet (``not_before`` says when it is tried next, ``attempts`` and
    ``last_error`` how it went so far, ``queued_at`` since when it waits). ``hold_until``: a link
    attempt held the booking's lease until then when the work was queued; the work is done only
    once that has passed (the attempt may still insert an event until then).
    """

    booking_id: str
    reason: str
    generation: int
    waiting: bool
    queued_at: datetime
    not_before: datetime
    attempts: int = 0
    last_error: str | None = None
    hold_until: datetime | None = None
    done_at: datetime | None = None
