"""Calendar work in the embedded store (``lib.calendar_work``): queued in the transaction of the
change that needs it, claimed under a lease, finished with its history line in one transaction.

``CalendarWorkTables`` is a part of ``SQLiteStore`` (it uses the store's ``_tx``, ``_all`` and
``_history``); split out so that each file reads as one subject.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from lib.calendar_work import CalendarWork
from lib.domain import HistoryLine
from lib.store.sqlite_rows import _parse_ts, _ts


def _work(r: sqlite3.Row) -> CalendarWork:
    return CalendarWork(
        booking_id=r["booking_id"], reason=r["reason"], generation=int(r["generation"]),
        waiting=r["state"] == "waiting", queued_at=_parse_ts(r["queued_at"]),  # type: ignore[arg-type]
        not_before=_parse_ts(r["not_before"]), attempts=int(r["attempts"]),  # type: ignore[arg-type]
        last_error=r["last_error"], hold_until=_parse_ts(r["hold_until"]), done_at=_parse_ts(r["done_at"]))


def queue_in(db: sqlite3.Connection, booking_id: str, reason: str, at: datetime, *,
             hold: str | None | bool = True) -> None:
    """Queue (or queue again) a booking's calendar work inside the caller's transaction. The
    work's ``hold_until`` is ``hold`` (a stored instant), or with ``True`` the link lease the
    booking holds right now: a link attempt may insert an event until its lease ends."""
    if hold is True:
        row = db.execute("SELECT link_lease_until FROM bookings WHERE id = ?", (booking_id,)).fetchone()
        hold = row["link_lease_until"] if row else None
    now = _ts(at)
    db.execute(
        "INSERT INTO calendar_work (booking_id, reason, generation, state, queued_at, not_before, hold_until)"
        " VALUES (?, ?, 1, 'waiting', ?, ?, ?)"
        " ON CONFLICT (booking_id) DO UPDATE SET reason = excluded.reason, generation = generation + 1,"
        " queued_at = CASE WHEN state = 'done' THEN excluded.queued_at ELSE queued_at END,"
        " attempts = CASE WHEN state = 'done' THEN 0 ELSE attempts END,"
        " state = 'waiting', not_before = excluded.not_before, done_at = NULL,"
        # The link attempt that held the booking queues "link cleanup" as it ends: no more hold.
        " hold_until = CASE WHEN excluded.reason = 'link cleanup' THEN NULL"
        " WHEN hold_until IS NULL OR excluded.hold_until > hold_until THEN excluded.hold_until ELSE hold_until END",
        (booking_id, reason, now, now, hold),
    )


class CalendarWorkTables:
    """The calendar work of ``SQLiteStore`` (see the module docstring)."""

    def queue_calendar_work(self, booking_id: str, reason: str, at: datetime) -> None:
        with self._tx() as db:
            queue_in(db, booking_id, reason, at)

    def claim_calendar_work(self, now: datetime, lease_until: datetime, limit: int = 20,
                            booking_id: str | None = None) -> list[CalendarWork]:
        with self._tx() as db:
            if booking_id is not None:
                ids = [r["booking_id"] for r in db.execute(
                    "SELECT booking_id FROM calendar_work WHERE booking_id = ? AND state = 'waiting'"
                    " AND (lease_until IS NULL OR lease_until < ?)", (booking_id, _ts(now)))]
            else:
                ids = [r["booking_id"] for r in db.execute(
                    "SELECT booking_id FROM calendar_work WHERE state = 'waiting' AND not_before <= ?"
                    " AND (lease_until IS NULL OR lease_until < ?) ORDER BY not_before, booking_id LIMIT ?",
                    (_ts(now), _ts(now), max(1, limit)))]
            if not ids:
                return []
            marks = ", ".join("?" * len(ids))
            db.execute(f"UPDATE calendar_work SET lease_until = ? WHERE booking_id IN ({marks})",
                       (_ts(lease_until), *ids))
            rows = db.execute(f"SELECT * FROM calendar_work WHERE booking_id IN ({marks})"
                              " ORDER BY not_before, booking_id", ids).fetchall()
        return [_work(r) for r in rows]

    def finish_calendar_work(self, booking_id: str, generation: int, at: datetime, actor: str, *,
                             line: HistoryLine | None) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE calendar_work SET state = 'done', done_at = ?, lease_until = NULL, last_error = NULL"
                " WHERE booking_id = ? AND generation = ? AND state = 'waiting'",
                (_ts(at), booking_id, generation))
            if cur.rowcount == 0:  # queued again meanwhile: the newer change runs at once
                db.execute("UPDATE calendar_work SET lease_until = NULL, not_before = ? WHERE booking_id = ?",
                           (_ts(at), booking_id))
            if line is not None:
                self._history(db, booking_id, line, actor)
            return cur.rowcount > 0

    def calendar_work_later(self, booking_id: str, generation: int, not_before: datetime,
                            error: str | None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE calendar_work SET lease_until = NULL,"
                " attempts = attempts + ?, last_error = COALESCE(?, last_error),"
                " not_before = CASE WHEN generation = ? THEN ? ELSE not_before END"
                " WHERE booking_id = ? AND state = 'waiting'",
                (int(error is not None), error, generation, _ts(not_before), booking_id))

    def calendar_work(self, booking_ids: Sequence[str]) -> dict[str, CalendarWork]:
        ids = list(dict.fromkeys(booking_ids))
        if not ids:
            return {}
        rows = self._all(f"SELECT * FROM calendar_work WHERE booking_id IN ({', '.join('?' * len(ids))})", ids)
        return {r["booking_id"]: _work(r) for r in rows}

    def calendar_work_waiting(self, queued_before: datetime, limit: int = 200) -> list[CalendarWork]:
        rows = self._all("SELECT * FROM calendar_work WHERE state = 'waiting' AND queued_at < ?"
                         " ORDER BY queued_at, booking_id LIMIT ?", (_ts(queued_before), limit))
        return [_work(r) for r in rows]

    def count_history(self, event: str, start: datetime, end: datetime) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM booking_history WHERE event = ? AND at >= ? AND at < ?",
                        (event, _ts(start), _ts(end)))
        return int(row["n"]) if row else 0
