"""What the Ops page shows, from one store call (``OpsPageStore.ops_page``): today's numbers, the
paid bookings without a link, the failed emails, the customers' changes, the jobs' latest runs,
the newest bookings, and the booking shown whole with its history and its expert's hours (what
its reschedule form offers slots from), so the form reads only the expert's bookings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from lib.access import Actor, require_staff
from lib.domain import Booking, BookingStatus, Email, Expert, HistoryEntry, JobRun, OpsCounts
from lib.scheduling import Availability
from lib.service.expert_pages import ExpertPages
from lib.service.ports import Ports
from lib.service.self_service import CustomerChange
from lib.store import OpsPageStore

CHANGES_DAYS = 30  # the customers' changes of this many days, as ``customer_changes`` lists them


@dataclass(frozen=True)
class OpsView:
    """The Ops page's lists; ``chosen`` is the booking shown whole (``None`` when ``recent`` is
    empty), with its ``history``, its ``expert`` (``None`` when not among the experts given) and
    that expert's ``availability``."""

    counts: OpsCounts
    missing: list[Booking] = field(default_factory=list)
    failed_emails: list[Email] = field(default_factory=list)
    changes: list[CustomerChange] = field(default_factory=list)
    job_runs: list[JobRun] = field(default_factory=list)
    recent: list[Booking] = field(default_factory=list)
    chosen: Booking | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    expert: Expert | None = None
    availability: Availability | None = None


class OpsPage:
    """The Ops page's reads, staff only."""

    def __init__(self, ports: Ports, expert_pages: ExpertPages) -> None:
        self.ports = ports
        self._expert_pages = expert_pages

    @property
    def store(self) -> OpsPageStore:
        """The store, as the protocol this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def view(self, status: BookingStatus | None, wanted: str | None, experts: Sequence[Expert], *,
             actor: Actor) -> OpsView:
        """Everything the Ops page lists, in one store call. ``status``: the newest bookings of
        that status (all when ``None``); ``wanted``: the booking to show whole when it is among
        them (else the newest); ``experts``: the experts as already read in this run."""
        require_staff(actor, "see the ops page")
        since = self.ports.clock() - timedelta(days=CHANGES_DAYS)
        rows = self.store.ops_page(self.ports.today(), status, wanted, since)
        chosen = next((b for b in rows.recent if b.id == rows.chosen), None)
        expert = next((e for e in experts if chosen is not None and e.id == chosen.expert_id), None)
        availability = self._expert_pages.hours(expert, rows.hours)[0] if expert is not None else None
        return OpsView(rows.counts, rows.missing, rows.failed_emails,
                       [CustomerChange(booking, record) for record, booking in rows.changes], rows.job_runs,
                       rows.recent, chosen, rows.history if chosen is not None else [], expert, availability)
