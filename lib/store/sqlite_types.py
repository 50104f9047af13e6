"""The session types of ``SQLiteStore``: each expert's own (names per language, durations,
price), and the check a new booking passes against its type, in the booking's transaction, as
the PostgreSQL trigger ``bookings_price_from_type`` makes it for Supabase."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence

from lib.domain import NewBooking, SessionType
from lib.errors import InvalidInput, NotFound
from lib.session_type_document import standard_types
from lib.store.sqlite_rows import _ts
from lib.validation import MAX_PRICE


def _session_type(row: sqlite3.Row) -> SessionType:
    return SessionType(id=row["id"], expert_id=row["expert_id"], names=json.loads(row["names"]),
                       durations=tuple(json.loads(row["durations"])), hourly_rate=row["hourly_rate"],
                       fixed_prices={int(k): v for k, v in json.loads(row["fixed_prices"]).items()},
                       description=row["description"], active=bool(row["active"]), position=row["position"])


def _row(t: SessionType) -> tuple[object, ...]:
    return (json.dumps(dict(t.names), ensure_ascii=False), json.dumps(list(t.durations)), t.hourly_rate,
            json.dumps({str(k): v for k, v in t.fixed_prices.items()}), t.description, int(t.active), t.position)


def _insert(db: sqlite3.Connection, t: SessionType, expert_id: str, now: str) -> None:
    db.execute("INSERT INTO session_types (id, expert_id, names, durations, hourly_rate, fixed_prices, description,"
               " active, position, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (t.id, expert_id, *_row(t), now))


def booked_type(db: sqlite3.Connection, new: NewBooking) -> SessionType:
    """The type ``new`` books: its own id, or the expert's active type with that name. Refused
    (``InvalidInput``, nothing written) when it is not the expert's, is retired, or does not
    offer the duration; the stored price and names come from it."""
    if new.session_type_id:
        row = db.execute("SELECT * FROM session_types WHERE id = ?", (new.session_type_id,)).fetchone()
    else:
        wanted = new.session_type.strip().casefold()
        row = next((r for r in db.execute("SELECT * FROM session_types WHERE expert_id = ? AND active = 1"
                                          " ORDER BY position", (new.expert_id,))
                    if any(n.casefold() == wanted for n in json.loads(r["names"]).values())), None)
    if row is None or row["expert_id"] != new.expert_id:
        raise InvalidInput(f"This expert does not offer the session type “{new.session_type}”; "
                           "pick one of the expert's own types.")
    found = _session_type(row)
    if not found.active:
        raise InvalidInput(f"This expert no longer offers “{found.name()}”; pick one of their current types.")
    if new.duration not in found.durations:
        offered = ", ".join(str(m) for m in found.durations)
        raise InvalidInput(f"“{found.name()}” is not offered for {new.duration} minutes; choose {offered} minutes.")
    if found.price(new.duration) > MAX_PRICE:
        raise InvalidInput(f"The price would exceed Rp 2.000.000.000 for {new.duration} minutes; "
                           "check the session type's price.")
    return found


class SessionTypeTables:
    """Session types on the same file as the bookings (mixed into ``SQLiteStore``)."""

    def session_types(self, expert_id: str) -> list[SessionType]:
        rows = self._all("SELECT * FROM session_types WHERE expert_id = ? ORDER BY position, rowid",  # type: ignore[attr-defined]
                         (expert_id,))
        return [_session_type(r) for r in rows]

    def get_session_type(self, type_id: str) -> SessionType | None:
        row = self._one("SELECT * FROM session_types WHERE id = ?", (type_id,))  # type: ignore[attr-defined]
        return _session_type(row) if row else None

    def replace_session_types(self, expert_id: str, types: Sequence[SessionType]) -> list[SessionType]:
        with self._tx() as db:  # type: ignore[attr-defined]
            if db.execute("SELECT 1 FROM experts WHERE id = ?", (expert_id,)).fetchone() is None:
                raise NotFound("Unknown expert; pick one from the list.")
            now = _ts(self.clock())  # type: ignore[attr-defined]
            for t in types:
                owner = db.execute("SELECT expert_id FROM session_types WHERE id = ?", (t.id,)).fetchone()
                if owner is None:
                    _insert(db, t, expert_id, now)
                elif owner["expert_id"] != expert_id:
                    raise InvalidInput(f"“{t.name()}” has the id of another expert's session type; "
                                       "leave the id out to add it as a new type.")
                else:
                    db.execute("UPDATE session_types SET names = ?, durations = ?, hourly_rate = ?, fixed_prices = ?,"
                               " description = ?, active = ?, position = ? WHERE id = ?", (*_row(t), t.id))
            kept = [t.id for t in types]
            gone = f"expert_id = ? AND id NOT IN ({', '.join('?' * len(kept))})" if kept else "expert_id = ?"
            # A type bookings name stays, retired, for their sake; one nobody booked goes.
            db.execute(f"UPDATE session_types SET active = 0 WHERE {gone}"
                       " AND EXISTS (SELECT 1 FROM bookings b WHERE b.session_type_id = session_types.id)",
                       (expert_id, *kept))
            db.execute(f"DELETE FROM session_types WHERE {gone}"
                       " AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.session_type_id = session_types.id)",
                       (expert_id, *kept))
        return self.session_types(expert_id)

    @staticmethod
    def _add_standard_types(db: sqlite3.Connection, expert_id: str, hourly_rate: int, now: str) -> None:
        for t in standard_types(expert_id, hourly_rate):
            _insert(db, t, expert_id, now)

    def _carry_over_types(self, db: sqlite3.Connection) -> None:
        """A file made before session types: each expert gets the standard types at their rate,
        plus one for any other name their bookings carry, and every booking is linked to its
        type with the names it was booked under (its price and duration stay as stored)."""
        now = _ts(self.clock())  # type: ignore[attr-defined]
        for expert in db.execute("SELECT id, hourly_rate FROM experts e WHERE NOT EXISTS"
                                 " (SELECT 1 FROM session_types t WHERE t.expert_id = e.id)").fetchall():
            self._add_standard_types(db, expert["id"], expert["hourly_rate"], now)
        pairs = db.execute("SELECT DISTINCT expert_id, session_type FROM bookings"
                           " WHERE session_type_id IS NULL").fetchall()
        for pair in pairs:
            types = [_session_type(r) for r in db.execute(
                "SELECT * FROM session_types WHERE expert_id = ? ORDER BY position", (pair["expert_id"],))]
            name = pair["session_type"]
            found = next((t for t in types if name.casefold() in (n.casefold() for n in t.names.values())), None)
            if found is None:
                rate = db.execute("SELECT hourly_rate FROM experts WHERE id = ?", (pair["expert_id"],)).fetchone()
                found = SessionType(id=str(uuid.uuid4()), expert_id=pair["expert_id"], names={"en": name, "id": name},
                                    durations=(30, 45, 60, 90, 120), hourly_rate=rate["hourly_rate"],
                                    active=False, position=len(types))
                _insert(db, found, pair["expert_id"], now)
            db.execute("UPDATE bookings SET session_type_id = ?, session_names = ? WHERE expert_id = ?"
                       " AND session_type = ? AND session_type_id IS NULL",
                       (found.id, json.dumps(dict(found.names), ensure_ascii=False), pair["expert_id"], name))

