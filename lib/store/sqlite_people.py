"""The people of ``SQLiteStore``: experts (with the calendar their busy time is read from and their
availability) and customers.

``PeopleTables`` is a part of ``SQLiteStore`` (it uses the store's ``_tx``, ``_all``, ``_one`` and
``clock`` on the same file, and ``_add_standard_types`` of ``SessionTypeTables``); it is split out only
so that each file reads as one subject.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from functools import lru_cache

from lib.domain import Customer, Expert, NewCustomer
from lib.errors import InvalidInput, NotFound, UnreadableAvailability
from lib.scheduling import Availability, to_json
from lib.scheduling.parse import document_size, from_stored
from lib.store.sqlite_rows import _expert, _ts, like_pattern


@lru_cache(maxsize=256)
def _availability(schedule: str) -> Availability | str:
    """A stored schedule (its JSON text) as an ``Availability``, or why it cannot be read: parsed
    once per text. The row is read every time, so a changed schedule is a new text; the value is
    frozen, so sharing it is safe. Only texts within the size limit get here (and so the cache)."""
    try:
        return from_stored(schedule)
    except InvalidInput as exc:
        return str(exc)


class PeopleTables:
    """Experts, their availability, and customers (see the module docstring)."""

    def list_experts(self) -> list[Expert]:
        return [_expert(r) for r in self._all("SELECT * FROM experts ORDER BY name")]

    def get_expert(self, expert_id: str) -> Expert | None:
        r = self._one("SELECT * FROM experts WHERE id = ?", (expert_id,))
        return _expert(r) if r else None

    def add_expert(self, name: str, email: str, hourly_rate: int, expertise: str = "",
                   calendar_id: str = "") -> Expert:
        expert = Expert(str(uuid.uuid4()), name, email, hourly_rate, expertise, calendar_id)
        with self._tx() as db:
            db.execute(
                "INSERT INTO experts (id, name, email, hourly_rate, expertise, created_at, calendar_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (expert.id, name, email, hourly_rate, expertise, _ts(self.clock()), calendar_id or None),
            )
            self._add_standard_types(db, expert.id, hourly_rate, _ts(self.clock()))
        return expert

    def set_calendar_id(self, expert_id: str, calendar_id: str) -> Expert:
        with self._tx() as db:
            changed = db.execute("UPDATE experts SET calendar_id = ? WHERE id = ?", (calendar_id or None, expert_id))
            if changed.rowcount == 0:
                raise NotFound("Unknown expert; pick one from the list.")
            row = db.execute("SELECT * FROM experts WHERE id = ?", (expert_id,)).fetchone()
        return _expert(row)

    def get_availability(self, expert_id: str) -> Availability | None:
        """The expert's stored availability, or ``None``; ``UnreadableAvailability`` when what is
        stored is not one (written to the file past the console)."""
        row = self._one("SELECT schedule FROM expert_availability WHERE expert_id = ?", (expert_id,))
        if row is None:
            return None
        schedule = row["schedule"]
        if not isinstance(schedule, str):
            raise UnreadableAvailability(expert_id, "The stored availability is not JSON text.")
        too_large = document_size(schedule)  # refused before parsing, and kept out of the cache
        found = f"The stored availability is too large: {too_large}." if too_large else _availability(schedule)
        if isinstance(found, str):
            raise UnreadableAvailability(expert_id, found)
        return found

    def set_availability(self, expert_id: str, availability: Availability) -> None:
        schedule = to_json(availability, expert=expert_id)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM experts WHERE id = ?", (expert_id,)).fetchone() is None:
                raise NotFound("Unknown expert; pick one from the list.")
            db.execute(
                "INSERT INTO expert_availability (expert_id, schedule, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (expert_id) DO UPDATE SET schedule = excluded.schedule, updated_at = excluded.updated_at",
                (expert_id, json.dumps(schedule), _ts(self.clock())),
            )

    def search_customers(self, query: str, limit: int = 20) -> list[Customer]:
        # LIKE ignores case for ASCII letters only (SQLite without ICU); PostgreSQL's ilike for all.
        pattern = like_pattern(query.strip())
        rows = self._all("SELECT * FROM users WHERE name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\'"
                         " ORDER BY name, email LIMIT ?", (pattern, pattern, max(0, int(limit))))
        return [Customer(r["id"], r["name"], r["email"]) for r in rows]

    def list_customers(self) -> list[Customer]:
        return [Customer(r["id"], r["name"], r["email"]) for r in self._all("SELECT * FROM users ORDER BY name")]

    def get_customer(self, customer_id: str) -> Customer | None:
        r = self._one("SELECT * FROM users WHERE id = ?", (customer_id,))
        return Customer(r["id"], r["name"], r["email"]) if r else None

    def add_customer(self, customer: NewCustomer) -> Customer:
        with self._tx() as db:
            return self._upsert_customer(db, customer)

    def _upsert_customer(self, db: sqlite3.Connection, customer: NewCustomer) -> Customer:
        row = db.execute("SELECT * FROM users WHERE email = ?", (customer.email,)).fetchone()
        if row:  # the email identifies the customer; keep the stored name
            return Customer(row["id"], row["name"], row["email"])
        new = Customer(str(uuid.uuid4()), customer.name, customer.email)
        db.execute("INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)",
                   (new.id, new.name, new.email, _ts(self.clock())))
        return new
