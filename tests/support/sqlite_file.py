"""Reads of a console's SQLite file straight from disk, for invariants the service API does not
expose (a refused call wrote nothing, no lease was left behind)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

TABLES = ("users", "experts", "bookings", "booking_history", "email_outbox")


def row_counts(db: Path) -> dict[str, int]:
    """Rows per table, read straight from the file, to prove a refused call wrote nothing."""
    with closing(sqlite3.connect(db)) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def leased_bookings(db: Path) -> list[str]:
    """Bookings still holding a link lease (a worker that never let go)."""
    with closing(sqlite3.connect(db)) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM bookings WHERE link_lease_until IS NOT NULL")]
