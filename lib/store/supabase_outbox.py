"""The email outbox of the production store: queueing, claiming, marking, resending and dropping
emails, each by its (booking, kind, version) key.

``OutboxRequests`` is a part of ``SupabaseStore`` (it uses the store's ``_table``, ``_rpc``,
``_every_row`` and ``_execute``, so every request keeps the store's error mapping); it is split out
only so that each file reads as one subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from postgrest.types import ReturnMethod

from lib.domain import (
    Email,
    EmailDraft,
    EmailStatus,
)
from lib.store.supabase_rows import (
    EMAIL_SELECT,
    _drafts,
    _email,
    _is_uuid,
    _iso,
    _rows,
)


class OutboxRequests:
    """The email outbox through PostgREST (see the module docstring)."""

    def claim_queued_emails(self, now: datetime, lease_until: datetime, limit: int = 100) -> list[Email]:
        """Lease queued emails; SKIP LOCKED in the function keeps two dispatchers apart."""
        params = {"p_now": _iso(now), "p_lease_until": _iso(lease_until), "p_limit": limit}
        return [_email(r) for r in _rows(self._execute(self._rpc("email_claim_queued", params), "claiming emails"))]

    def list_emails(self, limit: int = 200, booking_id: str | None = None) -> list[Email]:
        """The newest outbox rows, optionally of one booking."""
        request = self._table("email_outbox").select(EMAIL_SELECT)
        if booking_id is not None:
            if not _is_uuid(booking_id):
                return []
            request = request.eq("booking_id", booking_id)
        request = request.order("id", desc=True).limit(limit)
        return [_email(r) for r in _rows(self._execute(request, "listing emails"))]

    def queue_emails(self, emails: Sequence[EmailDraft], at: datetime, not_before: datetime | None = None) -> None:
        """Queue emails no transition causes (the "link still being prepared" notice), claimable
        from ``not_before``; idempotent by (booking, kind, version), like the transitions' queueing."""
        params = {"p_emails": _drafts(emails), "p_at": _iso(at),
                  "p_not_before": _iso(not_before) if not_before else None}
        self._execute(self._rpc("email_queue", params), "queueing emails")

    def requeue_email(self, email_id: int) -> Email | None:
        """``failed`` -> ``queued`` on the same row (ops "Resend"); ``None`` if it is not failed."""
        request = (
            self._table("email_outbox")
            .update({"status": EmailStatus.QUEUED.value, "lease_until": None})
            .eq("id", email_id)
            .eq("status", EmailStatus.FAILED.value)
            .select(EMAIL_SELECT)
        )
        rows = _rows(self._execute(request, "putting the email back in the queue"))
        return _email(rows[0]) if rows else None

    def email_keys(self, booking_ids: Sequence[str]) -> set[tuple[str, str, int]]:
        """The (booking_id, kind, version) of these bookings' outbox rows, a request per 100
        bookings (the ids travel in the URL)."""
        ids = [i for i in dict.fromkeys(booking_ids) if _is_uuid(i)]
        keys: set[tuple[str, str, int]] = set()
        for start in range(0, len(ids), 100):
            chunk = ids[start:start + 100]
            rows = self._every_row(lambda chunk=chunk: self._table("email_outbox").select("booking_id,kind,version")
                                   .in_("booking_id", chunk).order("id"), "reading the outbox")
            keys.update((r["booking_id"], r["kind"], r["version"]) for r in rows)
        return keys

    def drop_emails(self, email_ids: Sequence[int]) -> None:
        """Delete these emails if still queued (sent and failed ones stay)."""
        if not email_ids:
            return
        self._execute(
            self._table("email_outbox").delete(returning=ReturnMethod.minimal)
            .in_("id", list(email_ids)).eq("status", EmailStatus.QUEUED.value),
            "dropping emails",
        )

    def release_emails(self, email_ids: Sequence[int]) -> None:
        """Give back the lease on queued emails a stopped dispatcher did not get to."""
        if not email_ids:
            return
        self._execute(
            self._table("email_outbox").update({"lease_until": None}, returning=ReturnMethod.minimal)
            .in_("id", list(email_ids)).eq("status", EmailStatus.QUEUED.value),
            "releasing the emails",
        )

    def mark_email(self, email_id: int, status: EmailStatus, error: str | None, at: datetime) -> None:
        """Record a send attempt: ``sent``, ``failed`` (permanent) or ``queued`` (try again later)."""
        params = {"p_id": email_id, "p_status": EmailStatus(status).value, "p_error": error, "p_at": _iso(at)}
        self._execute(self._rpc("email_mark", params), "recording the email attempt")
