"""``OpsPageStore`` on SQLite: the separate reads in one place (each a query in the same process).

``OpsPageTables`` is a part of ``SQLiteStore``; split out only so that each file reads as one subject.
"""

from __future__ import annotations

from datetime import date, datetime

from lib.domain import BookingStatus, EmailStatus
from lib.store.ports_expert_pages import StoredHours
from lib.store.ports_ops_page import OPS_PAGE_LIMITS, OpsPageLimits, OpsPageRows


class OpsPageTables:
    """The Ops page's reads (see ``lib.store.ports_ops_page``)."""

    def ops_page(self, today: date, status: BookingStatus | None, wanted: str | None, changes_since: datetime,
                 limits: OpsPageLimits = OPS_PAGE_LIMITS) -> OpsPageRows:
        store = self  # the other parts of SQLiteStore
        recent = store.recent_bookings(limits.recent, status)  # type: ignore[attr-defined]
        chosen = next((b for b in recent if b.id == wanted), recent[0] if recent else None)
        changes = []
        for record in store.self_service_changes(changes_since, limits.changes):  # type: ignore[attr-defined]
            booking = store.get_booking(record.booking_id)  # type: ignore[attr-defined]
            if booking is not None:
                changes.append((record, booking))
        emails = store.list_emails(limits.emails)  # type: ignore[attr-defined]
        return OpsPageRows(
            counts=store.counts(today),  # type: ignore[attr-defined]
            missing=store.missing_links(limits.missing),  # type: ignore[attr-defined]
            failed_emails=[e for e in emails if e.status is EmailStatus.FAILED],
            changes=changes,
            job_runs=store.last_job_runs(),  # type: ignore[attr-defined]
            recent=recent,
            chosen=chosen.id if chosen else None,
            history=store.history(chosen.id) if chosen else [],  # type: ignore[attr-defined]
            hours=store._stored_hours(chosen.expert_id) if chosen else StoredHours(),  # type: ignore[attr-defined]
        )
