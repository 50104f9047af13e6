"""What the Ops page shows, read in one call.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``. On
Supabase the call is one request (an SQL function), where the separate reads were seven.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from lib.domain import Booking, BookingStatus, Email, HistoryEntry, JobRun, OpsCounts
from lib.self_service_policy import SelfServiceRecord
from lib.store.ports_expert_pages import StoredHours


@dataclass(frozen=True)
class OpsPageLimits:
    """How many of each list the page shows: as the separate reads list them."""

    recent: int = 200
    missing: int = 500
    emails: int = 200  # the failed ones among this many newest emails
    changes: int = 50


OPS_PAGE_LIMITS = OpsPageLimits()


@dataclass(frozen=True)
class OpsPageRows:
    """The Ops page's lists as stored.

    ``failed_emails``: the failed ones among the newest ``OpsPageLimits.emails`` outbox rows;
    ``changes``: the customers' changes (``self_service_changes``) with their bookings;
    ``chosen``: the id of the booking shown whole (the wanted one when it is among ``recent``,
    else the newest; ``None`` when ``recent`` is empty), with its ``history`` and the stored
    ``hours`` of its expert.
    """

    counts: OpsCounts
    missing: list[Booking] = field(default_factory=list)
    failed_emails: list[Email] = field(default_factory=list)
    changes: list[tuple[SelfServiceRecord, Booking]] = field(default_factory=list)
    job_runs: list[JobRun] = field(default_factory=list)
    recent: list[Booking] = field(default_factory=list)
    chosen: str | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    hours: StoredHours = field(default_factory=StoredHours)


@runtime_checkable
class OpsPageStore(Protocol):
    """The Ops page's reads in one call."""

    def ops_page(self, today: date, status: BookingStatus | None, wanted: str | None, changes_since: datetime,
                 limits: OpsPageLimits = OPS_PAGE_LIMITS) -> OpsPageRows:
        """``counts(today)``, ``missing_links``, the failed emails among the newest, the customers'
        changes since ``changes_since`` (and every refund due) with their bookings, ``last_job_runs``,
        ``recent_bookings`` of ``status`` (all when ``None``) newest first, and of the booking chosen
        among those (``wanted`` when it is one, else the newest) its history and its expert's hours."""
        ...
