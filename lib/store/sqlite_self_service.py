"""Customer self-service in the embedded store: the tokens of the Reschedule and Cancel links,
one change per booking revision, the customer's last change and the refund owed.

``SelfServiceTables`` is a part of ``SQLiteStore`` (it uses the store's ``_tx``, ``_one`` and
``_all``); each write is one ``BEGIN IMMEDIATE`` transaction, so two requests racing for the
same change are served one after the other and the second sees the first's claim.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from lib.self_service_policy import Claim, Refund, SelfServiceRecord
from lib.store.sqlite_rows import _parse_ts, _ts


def _record(r: sqlite3.Row) -> SelfServiceRecord:
    return SelfServiceRecord(
        booking_id=r["booking_id"], token=r["token"], form_key=r["form_key"], reschedules=r["reschedules"],
        claimed_revision=r["claimed_revision"], last_change=r["last_change"],
        last_change_at=_parse_ts(r["last_change_at"]), refund=Refund(r["refund"]), refund_amount=r["refund_amount"],
        refund_ref=r["refund_ref"], refund_at=_parse_ts(r["refund_at"]))


class SelfServiceTables:
    """The self-service table of ``SQLiteStore`` (see the module docstring)."""

    def issue_self_service(self, booking_id: str, token: str, form_key: str, at: datetime) -> SelfServiceRecord:
        with self._tx() as db:
            db.execute("INSERT INTO self_service (booking_id, token, form_key, created_at) VALUES (?, ?, ?, ?)"
                       " ON CONFLICT (booking_id) DO NOTHING", (booking_id, token, form_key, _ts(at)))
            row = db.execute("SELECT * FROM self_service WHERE booking_id = ?", (booking_id,)).fetchone()
        return _record(row)

    def self_service_by_token(self, token: str) -> SelfServiceRecord | None:
        row = self._one("SELECT * FROM self_service WHERE token = ?", (token,))
        return _record(row) if row else None

    def self_service_of(self, booking_id: str) -> SelfServiceRecord | None:
        row = self._one("SELECT * FROM self_service WHERE booking_id = ?", (booking_id,))
        return _record(row) if row else None

    def claim_self_service(self, booking_id: str, revision: int, at: datetime, stale_before: datetime,
                           reschedule_limit: int | None) -> Claim:
        with self._tx() as db:
            row = db.execute("SELECT claimed_revision, claimed_at, claim_done, reschedules FROM self_service"
                             " WHERE booking_id = ?", (booking_id,)).fetchone()
            if row is None:
                return Claim.BUSY
            held = row["claimed_revision"]
            if held is not None and (held > revision or (held == revision and (
                    row["claim_done"] or (_parse_ts(row["claimed_at"]) or at) >= stale_before))):
                return Claim.BUSY
            counted = reschedule_limit is not None
            if counted and row["reschedules"] >= reschedule_limit:
                return Claim.LIMIT
            db.execute("UPDATE self_service SET claimed_revision = ?, claimed_at = ?, claim_done = 0,"
                       " reschedules = reschedules + ? WHERE booking_id = ?",
                       (revision, _ts(at), int(counted), booking_id))
        return Claim.CLAIMED

    def release_self_service(self, booking_id: str, revision: int, rescheduled: bool) -> None:
        with self._tx() as db:
            db.execute("UPDATE self_service SET claimed_revision = NULL, claimed_at = NULL,"
                       " reschedules = MAX(reschedules - ?, 0) WHERE booking_id = ? AND claimed_revision = ?"
                       " AND claim_done = 0", (int(rescheduled), booking_id, revision))

    def finish_self_service(self, booking_id: str, revision: int, change: str, at: datetime,
                            refund_amount: int = 0) -> None:
        with self._tx() as db:
            db.execute("UPDATE self_service SET claim_done = 1, last_change = ?, last_change_at = ?,"
                       " refund = CASE WHEN ? > 0 THEN 'due' ELSE refund END,"
                       " refund_amount = CASE WHEN ? > 0 THEN ? ELSE refund_amount END,"
                       " refund_at = CASE WHEN ? > 0 THEN ? ELSE refund_at END"
                       " WHERE booking_id = ? AND claimed_revision = ?",
                       (change, _ts(at), refund_amount, refund_amount, refund_amount, refund_amount, _ts(at),
                        booking_id, revision))

    def self_service_changes(self, since: datetime, limit: int = 100) -> list[SelfServiceRecord]:
        rows = self._all("SELECT * FROM self_service WHERE last_change_at >= ? OR refund = 'due'"
                         " ORDER BY last_change_at DESC LIMIT ?", (_ts(since), limit))
        return [_record(r) for r in rows]

    def set_refund(self, booking_id: str, expected: Refund, new: Refund, ref: str, at: datetime) -> bool:
        with self._tx() as db:
            done = db.execute("UPDATE self_service SET refund = ?, refund_ref = ?, refund_at = ?"
                              " WHERE booking_id = ? AND refund = ?",
                              (Refund(new).value, ref, _ts(at), booking_id, Refund(expected).value)).rowcount
        return done == 1
