"""A SQLite file with many bookings, written fast: the pages' figures open it as the console would."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bench.config import CURRENT, EXPERTS
from lib.session_type_document import standard_types
from lib.store.sqlite import SQLiteStore


def _id(kind: str, n: int) -> str:
    """Stable ids, so both sizes have the same experts (the My sessions page opens the same one)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"callexpert-bench/{kind}/{n}"))


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Filled:
    """A filled SQLite file and what the pages should be opened with."""

    db: Path
    bookings: int
    expert_id: str  # an expert with upcoming sessions, for ?expert= and "View as"
    booking_id: str  # one of that expert's current confirmed bookings, for ?booking=


def fill(db: Path, bookings: int, today: date, *, seed: int = 7) -> Filled:
    """Write ``bookings`` bookings into a new SQLite file with the store's schema.

    ``min(CURRENT, bookings // 2)`` of them are current: confirmed sessions over the coming two
    weeks, some paid without a link, some awaiting payment. The rest are history: completed,
    cancelled or confirmed sessions in the past, each with its history lines and its two sent
    emails, as a console that has been running for a while has.
    """
    store = SQLiteStore(db)  # creates the schema exactly as the console does
    rng = random.Random(seed)
    now = datetime.now(UTC)
    current = min(CURRENT, bookings // 2)
    customers = max(200, bookings * 3 // 10)  # 30,000 customers beside 100,000 bookings
    experts = [(_id("expert", i), f"Expert {i:02d}", f"expert{i:02d}@example.com", 200_000 + 10_000 * i)
               for i in range(EXPERTS)]
    users = [(_id("customer", i), f"Customer {i}", f"customer{i}@example.com") for i in range(customers)]
    rows: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    outbox: list[tuple[Any, ...]] = []

    def add(n: int, day: date, hour: int, status: str, created: datetime) -> None:
        booking_id = _id("booking", n)
        expert = experts[n % EXPERTS]
        user = users[rng.randrange(customers)]
        linked = status in ("confirmed", "completed")
        created_at = _ts(created)
        rows.append((booking_id, user[0], expert[0], "Career mentoring", day.isoformat(), f"{hour:02d}:00:00", 60,
                     status, expert[3], f"https://meet.jit.si/CallExpert-bench-{n}" if linked else None,
                     booking_id[:8] if linked else None, 0, 0, 1 if linked else 0, None, None,
                     f"demo-{n}" if status != "pending" else None, None,
                     "Cancelled by ops" if status == "cancelled" else None, created_at, created_at,
                     created_at if status != "pending" else None, created_at if linked else None,
                     created_at if status == "cancelled" else None))
        history.append((booking_id, created_at, "created", "pending", "ops"))
        if status != "pending":
            history.append((booking_id, created_at, status if status != "completed" else "confirmed", "", "ops"))
        if linked:
            for side, address in (("customer", user[2]), ("expert", expert[2])):
                outbox.append((booking_id, f"confirmed.{side}", 0, address, f"Booking confirmed ({n})", "text",
                               "<p>html</p>", "sent", 1, created_at, created_at))

    # History: the past, newest first, eight sessions a day per expert, created three days ahead.
    for n in range(bookings - current):
        day = today - timedelta(days=1 + n // (EXPERTS * 8))
        status = rng.choices(("completed", "cancelled", "confirmed"), (85, 10, 5))[0]
        add(n, day, 8 + (n // EXPERTS) % 8, status, datetime.combine(day, time(9), UTC) - timedelta(days=3))
    # Now: two weeks of confirmed sessions, some paid without a link, some awaiting payment.
    for k in range(current):
        n = bookings - current + k
        status = "paid" if k % 30 == 1 else "pending" if k % 30 == 2 else "confirmed"
        day = today + timedelta(days=1 + (k // EXPERTS) % 14)
        # Paid and pending bookings are the newest, as they are in a live console (and the ops
        # page then shows them among its recent bookings too).
        created = now - (timedelta(seconds=current - k) if status != "confirmed" else timedelta(minutes=current - k))
        add(n, day, 8 + (k // (EXPERTS * 14)) % 10, status, created)

    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("PRAGMA synchronous=OFF")  # a throw-away file: no need to wait for the disk
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO experts (id, name, email, hourly_rate, expertise, created_at)"
                         " VALUES (?, ?, ?, ?, 'Bench', ?)", [(*e, _ts(now)) for e in experts])
        conn.executemany("INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)",
                         [(*u, _ts(now)) for u in users])
        conn.executemany(
            "INSERT INTO bookings (id, user_id, expert_id, session_type, scheduled_date, scheduled_time, duration,"
            " status, price, meeting_link, google_event_id, event_version, revision, link_attempts, last_error,"
            " link_lease_until, payment_ref, request_key, cancel_reason, created_at, updated_at, paid_at,"
            " confirmed_at, cancelled_at) VALUES (" + ", ".join("?" * 24) + ")", rows)
        conn.executemany("INSERT INTO booking_history (booking_id, at, event, detail, actor) VALUES (?, ?, ?, ?, ?)",
                         history)
        conn.executemany(
            "INSERT INTO email_outbox (booking_id, kind, version, recipient, subject, body_text, body_html, status,"
            " attempts, created_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", outbox)
        conn.execute("COMMIT")
    for expert_id, _, _, rate in experts:  # each offers the standard types, as a new expert does
        store.replace_session_types(expert_id, standard_types(expert_id, rate))
    mine = next(r[0] for r in rows[bookings - current:] if r[2] == experts[0][0] and r[7] == "confirmed")
    return Filled(db, bookings, experts[0][0], mine)
