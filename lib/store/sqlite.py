"""The embedded store: one SQLite file under ``data/``, no server, no account.

Longer than 400 lines on purpose: this file holds the booking life (``BookingLifeStore``: bookings
and their transitions, with their history), one transaction per transition, and the file's set-up;
the transitions share one overlap check, one history writer and one email queue.

Each other store protocol has its part (a mixin on the same file): people and availability in
``sqlite_people.py``, session types in ``sqlite_types.py``, the lists in ``sqlite_lists.py``, the
outbox in ``sqlite_outbox.py``, calendar work in ``sqlite_calendar.py``, self-service in
``sqlite_self_service.py``; job runs, Join clicks, attendance, the Overview and the request budget in
``sqlite_ops.py``. Row mapping and shared SQL pieces are in ``sqlite_rows.py``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path

from lib.clock import Clock, system_clock
from lib.domain import (
    ACTIVE_STATUSES,
    Booking,
    EmailDraft,
    HistoryEntry,
    HistoryLine,
    Meeting,
    NewBooking,
)
from lib.errors import ConfigError, InvalidInput, InvalidTransition, NotFound, SlotTaken
from lib.store import EXPIRE_BATCH, EmailsFor, LineFor
from lib.store.sqlite_booking_reads import BookingReadTables
from lib.store.sqlite_calendar import CalendarWorkTables, queue_in
from lib.store.sqlite_expert_pages import ExpertPageTables
from lib.store.sqlite_lists import ListTables
from lib.store.sqlite_ops import OperationsTables
from lib.store.sqlite_ops_page import OpsPageTables
from lib.store.sqlite_outbox import OutboxTables
from lib.store.sqlite_people import PeopleTables
from lib.store.sqlite_rows import (
    _ACTIVE_SQL,
    _BOOKING_RETURNING,
    _BOOKING_SELECT,
    _booking,
    _local_day,
    _parse_ts,
    _ts,
    _wall_instant,
)
from lib.store.sqlite_self_service import SelfServiceTables
from lib.store.sqlite_types import SessionTypeTables, booked_type
from lib.timefmt import medium_when

SCHEMA = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")

# Columns added after the first schema; a database made before them gets them at start.
_PAYMENT_COLUMNS = (
    ("payment_order_id", "TEXT"),
    ("payment_token", "TEXT"),
    ("payment_url", "TEXT"),
    ("payment_attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("payment_started_at", "TEXT"),
    ("session_type_id", "TEXT REFERENCES session_types(id)"),
    ("session_names", "TEXT"),
)
# The bookings table as schema.sql creates it today; an older file gets it rebuilt (SQLite cannot
# change a CHECK in place), e.g. when `expired` and the offered durations were added.
_BOOKINGS_TABLE = re.search(r"CREATE TABLE IF NOT EXISTS bookings \(.*?\n\);",  # type: ignore[union-attr]
                            SCHEMA, re.DOTALL).group(0)


_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_LOCK = threading.Lock()


def _writer_lock(path: str) -> threading.RLock:
    """The lock this process's writers of one database file take in turn (``:memory:`` is one
    database per connection, and shares a harmless lock)."""
    with _WRITERS_LOCK:
        lock = _WRITERS.get(path)
        if lock is None:
            lock = _WRITERS[path] = threading.RLock()
        return lock


class SQLiteStore(PeopleTables, SessionTypeTables, ListTables, OutboxTables, OperationsTables, CalendarWorkTables,
                  SelfServiceTables, BookingReadTables, ExpertPageTables,
                  OpsPageTables):
    """``BookingStore`` on a SQLite file. Writes run in ``BEGIN IMMEDIATE`` transactions, so
    the overlap check and the insert are one step even with many threads or processes."""

    def __init__(self, path: str | Path, *, clock: Clock = system_clock, durable: bool = True) -> None:
        """``clock``: where the times the store stamps itself come from (a booking's creation, a
        history line, an attempt): the real time, except when demo history is written
        (``lib.demo_data``). ``durable=False`` lets commits return before the disk has them (WAL
        with ``synchronous=NORMAL``: a crashed process loses nothing, a power cut the last
        commits): only for writing demo rows in bulk, never for real bookings."""
        self.clock = clock
        self._synchronous = "FULL" if durable else "NORMAL"
        # Absolute, so a thread that opens its own connection later finds the same file.
        self.path = str(path) if str(path) == ":memory:" else str(Path(path).resolve())
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        had_types = self._conn().execute("SELECT 1 FROM sqlite_master WHERE name = 'session_types'").fetchone()
        self._conn().executescript(SCHEMA)  # idempotent: every statement is IF NOT EXISTS
        self._add_missing_columns()
        if had_types is None:
            with self._tx() as db:
                self._carry_over_types(db)

    def _add_missing_columns(self) -> None:
        """Bring a database made by an older schema up to date (CREATE TABLE IF NOT EXISTS
        leaves an existing table as it was). In a write transaction, so two processes starting
        at once add each column once."""
        with self._tx() as db:
            have = {r["name"] for r in db.execute("PRAGMA table_info(email_outbox)")}
            for column in ("ics", "not_before"):
                if column not in have:
                    db.execute(f"ALTER TABLE email_outbox ADD COLUMN {column} TEXT")
            if "calendar_id" not in {r["name"] for r in db.execute("PRAGMA table_info(experts)")}:
                db.execute("ALTER TABLE experts ADD COLUMN calendar_id TEXT")
            have = {r["name"] for r in db.execute("PRAGMA table_info(bookings)")}
            for column, kind in _PAYMENT_COLUMNS:
                if column not in have:
                    db.execute(f"ALTER TABLE bookings ADD COLUMN {column} {kind}")
        self._rebuild_old_bookings_table()

    def _rebuild_old_bookings_table(self) -> None:
        """Give a bookings table made before the ``expired`` status (and the check on durations)
        today's checks, keeping every row: SQLite's way of changing a CHECK is a new table, a
        copy, and a rename, with foreign keys off meanwhile (history and emails point at it)."""
        def current(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'bookings'").fetchone()
            return "'expired'" in row["sql"]

        db = self._conn()
        if current(db):
            return
        db.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction
        try:
            with self._tx() as tx:
                if current(tx):  # another process did it while this one waited for the lock
                    return
                tx.execute(_BOOKINGS_TABLE.replace("IF NOT EXISTS bookings", "bookings_new", 1))
                stored = {r["name"] for r in tx.execute("PRAGMA table_info(bookings_new)")}  # not the generated
                columns = ", ".join(r["name"] for r in tx.execute("PRAGMA table_info(bookings)") if r["name"] in stored)
                try:
                    tx.execute(f"INSERT INTO bookings_new ({columns}) SELECT {columns} FROM bookings")
                except sqlite3.IntegrityError as exc:
                    raise ConfigError(
                        f"{self.path} has bookings the console would refuse today ({exc}): only durations of "
                        "30, 45, 60, 90 or 120 minutes are offered. Correct those rows, then start again."
                    ) from None
                tx.execute("DROP TABLE bookings")
                tx.execute("ALTER TABLE bookings_new RENAME TO bookings")
                if tx.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise ConfigError(f"{self.path}: rebuilding the bookings table broke a reference; nothing changed.")
        finally:
            db.execute("PRAGMA foreign_keys=ON")
        db.executescript(SCHEMA)  # the indexes went with the old table

    # -- connection and transactions -------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            # Every commit waits for the disk (SQLite's default, stated): a payment or an attempt
            # number, once committed, survives a power cut too, not only a crashed process.
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.create_function("local_day", 2, _local_day, deterministic=True)  # the Overview's days
            conn.create_function("wall_instant", 2, _wall_instant, deterministic=True)  # and session starts
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        # The threads of this process queue for the write lock here, in turn, instead of in
        # SQLite's busy handler, which sleeps 1 ms up to 100 ms between tries: with many
        # threads writing (a bulk link run takes a budget slot per request), those sleeps added
        # seconds and let an unlucky thread wait for the lock far longer than its turn. Other
        # processes still meet the busy timeout.
        with _writer_lock(self.path):
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            else:
                db.execute("COMMIT")

    def _all(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        return self._conn().execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Row | None:
        return self._conn().execute(sql, params).fetchone()

    def _history(self, db: sqlite3.Connection, booking_id: str, line: HistoryLine, actor: str) -> None:
        db.execute(
            "INSERT INTO booking_history (booking_id, at, event, detail, actor) VALUES (?, ?, ?, ?, ?)",
            (booking_id, _ts(self.clock()), line.event, line.detail, actor),
        )

    @staticmethod
    def _booking_in(db: sqlite3.Connection, booking_id: str) -> Booking | None:
        row = db.execute(_BOOKING_SELECT + " WHERE b.id = ?", (booking_id,)).fetchone()
        return _booking(row) if row else None

    @staticmethod
    def _overlap(db: sqlite3.Connection, expert_id: str, start: datetime, end: datetime, exclude: str | None) -> bool:
        row = db.execute(
            f"SELECT 1 FROM bookings WHERE expert_id = ? AND status IN {_ACTIVE_SQL}"
            " AND starts_at < ? AND ends_at > ? AND id IS NOT ? LIMIT 1",
            (expert_id, end.strftime("%Y-%m-%d %H:%M:%S"), start.strftime("%Y-%m-%d %H:%M:%S"), exclude),
        ).fetchone()
        return row is not None

    @staticmethod
    def _queue(db: sqlite3.Connection, emails: Sequence[EmailDraft], now: str, not_before: str | None = None) -> None:
        # Each email names the queued kinds it makes pointless (``replaces``). A row a dispatcher
        # holds (lease) may be on the wire already, so it stays and is recorded.
        for e in emails:
            if e.replaces:
                db.execute(
                    f"DELETE FROM email_outbox WHERE booking_id = ? AND kind IN ({', '.join('?' * len(e.replaces))})"
                    " AND status = 'queued' AND (lease_until IS NULL OR lease_until < ?)",
                    (e.booking_id, *e.replaces, now),
                )
        # The unique key makes queueing idempotent: a retried transition queues nothing new.
        db.executemany(
            "INSERT OR IGNORE INTO email_outbox (booking_id, kind, version, recipient, subject, body_text,"
            " body_html, ics, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(e.booking_id, e.kind, e.version, e.recipient, e.subject, e.body_text, e.body_html, e.ics, not_before, now)
             for e in emails],
        )

    # -- bookings -----------------------------------------------------------------------
    def create_booking(self, new: NewBooking, actor: str, *, line: HistoryLine) -> Booking:
        with self._tx() as db:
            if new.request_key:
                row = db.execute("SELECT id FROM bookings WHERE request_key = ?", (new.request_key,)).fetchone()
                if row:
                    return self._booking_in(db, row["id"])  # type: ignore[return-value]
            if self._overlap(db, new.expert_id, new.starts_at, new.ends_at, None):
                raise SlotTaken(
                    "This expert already has a session overlapping "
                    f"{medium_when(new.scheduled_date, new.scheduled_time)}; pick another time."
                )
            if new.customer_id:
                user_id = new.customer_id
                if db.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
                    raise NotFound(f"No customer with id {user_id}.")
            elif new.new_customer:
                user_id = self._upsert_customer(db, new.new_customer).id
            else:
                raise InvalidInput("Pick a customer or enter a new one.")
            kind = booked_type(db, new)  # price and names come from the type, as in PostgreSQL
            now = _ts(self.clock())
            [row] = db.execute(
                "INSERT INTO bookings (id, user_id, expert_id, session_type, scheduled_date, scheduled_time,"
                " duration, status, price, request_key, created_at, updated_at, session_type_id, session_names)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)" + _BOOKING_RETURNING,
                (new.id, user_id, new.expert_id, kind.name("en"), new.scheduled_date.isoformat(),
                 new.scheduled_time.strftime("%H:%M:%S"), new.duration, kind.price(new.duration), new.request_key,
                 now, now, kind.id, json.dumps(dict(kind.names), ensure_ascii=False)),
            ).fetchall()
            self._history(db, new.id, line, actor)
            return _booking(row)

    def get_booking(self, booking_id: str) -> Booking | None:
        row = self._one(_BOOKING_SELECT + " WHERE b.id = ?", (booking_id,))
        return _booking(row) if row else None

    def find_by_request_key(self, request_key: str) -> Booking | None:
        row = self._one(_BOOKING_SELECT + " WHERE b.request_key = ?", (request_key,))
        return _booking(row) if row else None

    def mark_paid(self, booking_id: str, payment_ref: str, at: datetime, actor: str, *,
                  line: HistoryLine) -> Booking | None:
        with self._tx() as db:
            return self._mark_paid_in(db, booking_id, payment_ref, at, actor, line, attempts=0, lease_until=None)

    def mark_paid_counting_attempt(self, booking_id: str, payment_ref: str, at: datetime, actor: str, *,
                                   line: HistoryLine) -> Booking | None:
        with self._tx() as db:
            return self._mark_paid_in(db, booking_id, payment_ref, at, actor, line, attempts=1, lease_until=None)

    def mark_paid_and_claim_link(self, booking_id: str, payment_ref: str, at: datetime, lease_until: datetime,
                                 actor: str, *, line: HistoryLine) -> Booking | None:
        with self._tx() as db:
            return self._mark_paid_in(db, booking_id, payment_ref, at, actor, line, attempts=1,
                                      lease_until=lease_until)

    def _mark_paid_in(self, db: sqlite3.Connection, booking_id: str, payment_ref: str, at: datetime, actor: str,
                      line: HistoryLine, *, attempts: int, lease_until: datetime | None) -> Booking | None:
        rows = db.execute(
            "UPDATE bookings SET status = 'paid', payment_ref = ?, paid_at = ?, updated_at = ?,"
            " payment_attempts = payment_attempts + ?, link_lease_until = COALESCE(?, link_lease_until)"
            " WHERE id = ? AND status = 'pending'" + _BOOKING_RETURNING,
            (payment_ref, _ts(at), _ts(at), attempts, _ts(lease_until) if lease_until else None, booking_id),
        ).fetchall()
        if not rows:
            return None
        self._history(db, booking_id, line, actor)
        return _booking(rows[0])

    def add_payment_attempt(self, booking_id: str) -> Booking | None:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE bookings SET payment_attempts = payment_attempts + 1, updated_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (_ts(self.clock()), booking_id),
            )
            return self._booking_in(db, booking_id) if cur.rowcount else None

    def start_payment(self, booking_id: str, order_id: str, token: str, redirect_url: str, at: datetime,
                      actor: str, *, line: HistoryLine) -> Booking | None:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE bookings SET payment_order_id = ?, payment_token = ?, payment_url = ?,"
                " payment_started_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
                (order_id, token, redirect_url, _ts(at), _ts(at), booking_id),
            )
            if cur.rowcount == 0:
                return None
            self._history(db, booking_id, line, actor)
            return self._booking_in(db, booking_id)

    def mark_payment_failed(self, booking_id: str, reason: str, at: datetime, actor: str, *,
                            line: HistoryLine) -> Booking | None:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE bookings SET status = 'cancelled', cancelled_at = ?, cancel_reason = ?, updated_at = ?,"
                " link_lease_until = NULL WHERE id = ? AND status = 'pending'",
                (_ts(at), reason, _ts(at), booking_id),
            )
            if cur.rowcount == 0:
                return None
            self._history(db, booking_id, line, actor)
            return self._booking_in(db, booking_id)

    def claim_for_link(self, booking_id: str, now: datetime, lease_until: datetime) -> Booking | None:
        with self._tx() as db:
            rows = db.execute(
                "UPDATE bookings SET link_lease_until = ? WHERE id = ? AND status = 'paid'"
                " AND meeting_link IS NULL AND (link_lease_until IS NULL OR link_lease_until < ?)"
                + _BOOKING_RETURNING,
                (_ts(lease_until), booking_id, _ts(now)),
            ).fetchall()
            return _booking(rows[0]) if rows else None

    def record_link_attempt(self, booking_id: str, error: str | None, actor: str, *, line: HistoryLine) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE bookings SET link_attempts = link_attempts + 1,"
                " last_error = COALESCE(?, last_error), updated_at = ? WHERE id = ?",
                (error, _ts(self.clock()), booking_id),
            )
            self._history(db, booking_id, line, actor)

    def release_link_claim(self, booking_id: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE bookings SET link_lease_until = NULL WHERE id = ?", (booking_id,))

    def confirm(self, booking_id: str, meeting_link: str, event_id: str | None, event_version: int,
                at: datetime, emails: Sequence[EmailDraft], actor: str, *, line: HistoryLine) -> Booking | None:
        with self._tx() as db:
            return self._confirm_in(db, booking_id, meeting_link, event_id, event_version, at, emails, actor, line,
                                    None)

    def confirm_with_attempt(self, booking_id: str, meeting_link: str, event_id: str | None, event_version: int,
                             at: datetime, emails: Sequence[EmailDraft], actor: str, *, attempt: HistoryLine,
                             line: HistoryLine) -> Booking | None:
        with self._tx() as db:
            return self._confirm_in(db, booking_id, meeting_link, event_id, event_version, at, emails, actor, line,
                                    attempt)

    def _confirm_in(self, db: sqlite3.Connection, booking_id: str, meeting_link: str, event_id: str | None,
                    event_version: int, at: datetime, emails: Sequence[EmailDraft], actor: str, line: HistoryLine,
                    attempt: HistoryLine | None) -> Booking | None:
        rows = db.execute(
            "UPDATE bookings SET status = 'confirmed', meeting_link = ?, google_event_id = ?,"
            " event_version = ?, confirmed_at = ?, updated_at = ?, last_error = NULL, link_lease_until = NULL,"
            " link_attempts = link_attempts + ? WHERE id = ? AND status = 'paid'" + _BOOKING_RETURNING,
            (meeting_link, event_id, event_version, _ts(at), _ts(at), int(attempt is not None), booking_id),
        ).fetchall()
        if not rows:
            return None
        if attempt is not None:
            self._history(db, booking_id, attempt, actor)
        self._history(db, booking_id, line, actor)
        self._queue(db, emails, _ts(at))
        return _booking(rows[0])

    def pay_and_confirm(self, booking_id: str, payment_ref: str, meeting: Meeting, at: datetime,
                        emails: Sequence[EmailDraft], actor: str, *, paid: HistoryLine, attempt: HistoryLine,
                        line: HistoryLine) -> Booking | None:
        with self._tx() as db:  # one transaction: nothing can come between the payment and the link
            if self._mark_paid_in(db, booking_id, payment_ref, at, actor, paid, attempts=1, lease_until=None) is None:
                return None
            return self._confirm_in(db, booking_id, meeting.url, meeting.event_id or None, meeting.event_version,
                                    at, emails, actor, line, attempt)

    def reschedule(self, booking_id: str, new_date: date, new_time: time, at: datetime,
                   emails_for: EmailsFor, actor: str, *, line_for: LineFor) -> Booking:
        return self._reschedule(booking_id, new_date, new_time, at, emails_for, actor, line_for, None)

    def reschedule_with_calendar_work(self, booking_id: str, new_date: date, new_time: time, at: datetime,
                                      emails_for: EmailsFor, actor: str, *, line_for: LineFor,
                                      calendar: str) -> Booking:
        return self._reschedule(booking_id, new_date, new_time, at, emails_for, actor, line_for, calendar)

    def _reschedule(self, booking_id: str, new_date: date, new_time: time, at: datetime, emails_for: EmailsFor,
                    actor: str, line_for: LineFor, calendar: str | None) -> Booking:
        with self._tx() as db:
            current = self._booking_in(db, booking_id)
            if current is None:
                raise NotFound(f"No booking with id {booking_id}.")
            if current.status not in ACTIVE_STATUSES:
                raise InvalidTransition(f"A {current.status.value} booking cannot be rescheduled.")
            start = datetime.combine(new_date, new_time)
            if self._overlap(db, current.expert_id, start, start + timedelta(minutes=current.duration), booking_id):
                raise SlotTaken(
                    f"{current.expert_name} already has a session overlapping {medium_when(new_date, new_time)}."
                )
            db.execute(
                "UPDATE bookings SET scheduled_date = ?, scheduled_time = ?, revision = revision + 1,"
                " updated_at = ? WHERE id = ?",
                (new_date.isoformat(), new_time.strftime("%H:%M:%S"), _ts(at), booking_id),
            )
            moved = self._booking_in(db, booking_id)
            assert moved is not None
            self._history(db, booking_id, line_for(current, moved), actor)
            self._queue(db, emails_for(moved), _ts(at))
            if calendar:
                queue_in(db, booking_id, calendar, at)
            return moved

    def cancel(self, booking_id: str, at: datetime, reason: str, emails: Sequence[EmailDraft],
               actor: str, *, line: HistoryLine) -> Booking | None:
        return self._cancel(booking_id, at, reason, emails, actor, line, None)

    def cancel_with_calendar_work(self, booking_id: str, at: datetime, reason: str, emails: Sequence[EmailDraft],
                                  actor: str, *, line: HistoryLine, calendar: str) -> Booking | None:
        return self._cancel(booking_id, at, reason, emails, actor, line, calendar)

    def _cancel(self, booking_id: str, at: datetime, reason: str, emails: Sequence[EmailDraft], actor: str,
                line: HistoryLine, calendar: str | None) -> Booking | None:
        with self._tx() as db:
            # Read before the update, which ends the link lease the calendar work must outwait.
            lease = db.execute("SELECT link_lease_until FROM bookings WHERE id = ?", (booking_id,)).fetchone()
            cur = db.execute(
                f"UPDATE bookings SET status = 'cancelled', cancelled_at = ?, cancel_reason = ?, updated_at = ?,"
                f" link_lease_until = NULL WHERE id = ? AND status IN {_ACTIVE_SQL}",
                (_ts(at), reason, _ts(at), booking_id),
            )
            if cur.rowcount == 0:
                return None
            self._history(db, booking_id, line, actor)
            self._queue(db, emails, _ts(at))
            if calendar:
                queue_in(db, booking_id, calendar, at, hold=lease["link_lease_until"] if lease else None)
            return self._booking_in(db, booking_id)

    def complete_ended(self, now_local: datetime, at: datetime, actor: str, *, line: HistoryLine) -> int:
        with self._tx() as db:
            ended = [r["id"] for r in db.execute(
                "SELECT id FROM bookings WHERE status = 'confirmed' AND ends_at <= ?",
                (now_local.strftime("%Y-%m-%d %H:%M:%S"),))]
            for booking_id in ended:
                db.execute("UPDATE bookings SET status = 'completed', updated_at = ?, link_lease_until = NULL"
                           " WHERE id = ?", (_ts(at), booking_id))
                self._history(db, booking_id, line, actor)
            return len(ended)

    def expire_pending(self, cutoff: datetime, now: datetime, actor: str, *, line: HistoryLine,
                       limit: int = EXPIRE_BATCH) -> list[Booking]:
        with self._tx() as db:  # the write lock: a payment recorded meanwhile waits, or came first
            ids = [r["id"] for r in db.execute(
                "SELECT id FROM bookings WHERE status = 'pending' AND created_at < ? ORDER BY created_at, id LIMIT ?",
                (_ts(cutoff), max(1, limit)))]
            for booking_id in ids:
                db.execute("UPDATE bookings SET status = 'expired', updated_at = ?, link_lease_until = NULL"
                           " WHERE id = ? AND status = 'pending'", (_ts(now), booking_id))
                self._history(db, booking_id, line, actor)
            return [b for b in (self._booking_in(db, i) for i in ids) if b is not None]

    def history(self, booking_id: str) -> list[HistoryEntry]:
        rows = self._all("SELECT * FROM booking_history WHERE booking_id = ? ORDER BY id", (booking_id,))
        return [HistoryEntry(r["booking_id"], _parse_ts(r["at"]), r["event"], r["detail"], r["actor"])  # type: ignore[arg-type]
                for r in rows]

    def add_history(self, booking_id: str, event: str, detail: str, actor: str) -> None:
        with self._tx() as db:
            self._history(db, booking_id, HistoryLine(event, detail), actor)
