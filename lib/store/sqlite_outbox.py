"""The email outbox of ``SQLiteStore`` outside the transitions (which queue their own emails in their
transaction): claims with a lease, sends recorded, "Resend", and the emails no transition causes.

``OutboxTables`` is a part of ``SQLiteStore`` (it uses the store's ``_tx``, ``_all`` and ``_queue``);
it is split out only so that each file reads as one subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lib.domain import Email, EmailDraft, EmailStatus
from lib.store.sqlite_rows import _email, _ts


class OutboxTables:
    """The outbox in SQL (see the module docstring)."""

    def claim_queued_emails(self, now: datetime, lease_until: datetime, limit: int = 100) -> list[Email]:
        with self._tx() as db:
            rows = db.execute(
                "SELECT id FROM email_outbox WHERE status = 'queued' AND (lease_until IS NULL OR lease_until < ?)"
                " AND (not_before IS NULL OR not_before <= ?) ORDER BY id LIMIT ?",
                (_ts(now), _ts(now), limit),
            ).fetchall()
            ids = [r["id"] for r in rows]
            if not ids:
                return []
            marks = ", ".join("?" * len(ids))
            db.execute(f"UPDATE email_outbox SET lease_until = ? WHERE id IN ({marks})", (_ts(lease_until), *ids))
            return [_email(r) for r in db.execute(f"SELECT * FROM email_outbox WHERE id IN ({marks}) ORDER BY id", ids)]

    def list_emails(self, limit: int = 200, booking_id: str | None = None) -> list[Email]:
        if booking_id is None:
            rows = self._all("SELECT * FROM email_outbox ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._all("SELECT * FROM email_outbox WHERE booking_id = ? ORDER BY id DESC LIMIT ?",
                             (booking_id, limit))
        return [_email(r) for r in rows]

    def queue_emails(self, emails: Sequence[EmailDraft], at: datetime, not_before: datetime | None = None) -> None:
        """Queue emails that no transition causes (the "link still being prepared" notice),
        to be claimed no sooner than ``not_before``."""
        with self._tx() as db:
            self._queue(db, emails, _ts(at), _ts(not_before) if not_before else None)

    def email_keys(self, booking_ids: Sequence[str]) -> set[tuple[str, str, int]]:
        keys: set[tuple[str, str, int]] = set()
        ids = list(dict.fromkeys(booking_ids))
        for i in range(0, len(ids), 500):  # within SQLite's limit of bound parameters
            chunk = ids[i:i + 500]
            rows = self._all(f"SELECT booking_id, kind, version FROM email_outbox WHERE booking_id IN"
                             f" ({', '.join('?' * len(chunk))})", chunk)
            keys.update((r["booking_id"], r["kind"], r["version"]) for r in rows)
        return keys

    def drop_emails(self, email_ids: Sequence[int]) -> None:
        if not email_ids:
            return
        marks = ", ".join("?" * len(email_ids))
        with self._tx() as db:
            db.execute(f"DELETE FROM email_outbox WHERE id IN ({marks}) AND status = 'queued'", list(email_ids))

    def requeue_email(self, email_id: int) -> Email | None:
        """Put a ``failed`` email back in the queue (the ops "Resend"); the same row, never a copy.

        Returns the row, or ``None`` when there is no failed email with that id.
        """
        with self._tx() as db:
            cur = db.execute(
                "UPDATE email_outbox SET status = 'queued', lease_until = NULL WHERE id = ? AND status = 'failed'",
                (email_id,),
            )
            if cur.rowcount == 0:
                return None
            row = db.execute("SELECT * FROM email_outbox WHERE id = ?", (email_id,)).fetchone()
            return _email(row)

    def release_emails(self, email_ids: Sequence[int]) -> None:
        if not email_ids:
            return
        marks = ", ".join("?" * len(email_ids))
        with self._tx() as db:
            db.execute(f"UPDATE email_outbox SET lease_until = NULL WHERE id IN ({marks}) AND status = 'queued'",
                       list(email_ids))

    def mark_email(self, email_id: int, status: EmailStatus, error: str | None, at: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE email_outbox SET status = ?, attempts = attempts + 1, last_error = ?, lease_until = NULL,"
                " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
                (status.value, error, status.value, _ts(at), email_id),
            )
