"""Bookings per second through the whole flow on SQLite, in one process.

Each booking goes the way the booking form takes it (``book_and_pay``): ``book`` (a new
customer, a free slot), the payment (the demo gateway settles at once), the link (a Jitsi room)
and so ``confirmed`` with both confirmation emails queued in the outbox (not sent: sending is the
dispatcher's work, measured nowhere here). The store is the real SQLite store with the
console's own settings, on an empty file and on files already holding many bookings
(``bench.data.fill``), so the figure shows whether the cost grows with the data.

The write transactions and statements are counted from outside the store: every SQLite
connection opened while a run is counted gets a trace callback (``sqlite3`` reports each
statement it runs), so the store keeps no counters of its own.

``python -m bench.throughput [bookings] [fills...]`` prints the figure alone.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import tempfile
import time as clock
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bench.config import BENCH, BENCH_HOURS, EXPERTS, ms
from bench.data import fill
from lib.config import Settings
from lib.domain import BookingRequest, BookingStatus, NewCustomer

# New bookings start this many days ahead: after the filled files' current bookings (two weeks),
# so every one is a free slot of its expert.
FIRST_DAY = 20
SLOTS_PER_DAY = 10  # BENCH_HOURS: 08:00-18:00, one-hour sessions
# What the floor replays: the rows written and the transactions that commit them.
_REPLAYED = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "INSERT", "UPDATE", "DELETE", "REPLACE"})


@dataclass
class StatementCount:
    """What SQLite ran, by kind: transactions begun and committed, and the statements inside."""

    kinds: Counter[str] = field(default_factory=Counter)
    # The writes and the transaction statements, in order, with their values (the floor replays them).
    writes_run: list[str] = field(default_factory=list)

    def see(self, sql: str) -> None:
        word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if word.startswith("--"):  # statements of triggers are reported as comments
            return
        self.kinds[word] += 1
        if word in _REPLAYED:
            self.writes_run.append(sql)

    def clear(self) -> None:
        self.kinds.clear()
        self.writes_run.clear()

    @property
    def transactions(self) -> int:
        return self.kinds["COMMIT"]

    @property
    def writes(self) -> int:
        return self.kinds["INSERT"] + self.kinds["UPDATE"] + self.kinds["DELETE"] + self.kinds["REPLACE"]

    @property
    def reads(self) -> int:
        return self.kinds["SELECT"]


@contextlib.contextmanager
def counting(count: StatementCount) -> Iterator[None]:
    """Trace every SQLite connection opened meanwhile into ``count``."""
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(count.see)
        return conn

    sqlite3.connect = traced  # type: ignore[assignment]
    try:
        yield
    finally:
        sqlite3.connect = connect  # type: ignore[assignment]


def _service(db: Path) -> Any:
    from lib.wiring import build_service

    settings = Settings(sqlite_path=str(db), seed_demo_data=False, meeting_provider="jitsi",
                        payment_gateway="demo", email_backend="outbox")
    return build_service(settings)


def _prepare(db: Path) -> list[str]:
    """The experts the run books (the filled file's, or new ones), each with every hour free."""
    service = _service(db)
    experts = service.store.list_experts()
    if not experts:
        experts = [service.store.add_expert(f"Expert {i:02d}", f"throughput{i:02d}@example.com", 250_000, "Bench")
                   for i in range(EXPERTS)]
    for expert in experts:
        service.store.set_availability(expert.id, BENCH_HOURS)
    return [e.id for e in experts]


def _requests(experts: Sequence[str], bookings: int, first_day: date, tag: str) -> list[BookingRequest]:
    out = []
    for n in range(bookings):
        slot, expert = divmod(n, len(experts))
        out.append(BookingRequest(
            expert_id=experts[expert], session_type="Career mentoring",
            scheduled_date=first_day + timedelta(days=slot // SLOTS_PER_DAY),
            scheduled_time=time(8 + slot % SLOTS_PER_DAY, 0), duration=60,
            new_customer=NewCustomer(f"Throughput customer {n}", f"throughput-{tag}-{n}@example.com"),
            request_key=f"throughput-{tag}-{n}"))
    return out


def flow(service: Any, request: BookingRequest) -> None:
    """One booking through the whole flow: pending -> paid -> confirmed with its emails queued,
    by the booking form's call (``book_and_pay``: book, pay, create the link), the emails left
    queued for the dispatcher."""
    outcome = service.book_and_pay(request, actor=BENCH, dispatch=False)
    booking = outcome.booking
    if booking.status is not BookingStatus.CONFIRMED:
        raise RuntimeError(f"booking {booking.id} ended {booking.status.value}, not confirmed: "
                           f"{outcome.link_error or outcome.payment_error or ''}")


def _check(db: Path, bookings: int, before: tuple[int, int]) -> None:
    """The run did the whole flow: every booking confirmed, two emails each queued (none sent)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        confirmed = conn.execute("SELECT COUNT(*) FROM bookings WHERE request_key LIKE 'throughput-%'"
                                 " AND status = 'confirmed'").fetchone()[0]
        queued = conn.execute("SELECT COUNT(*) FROM email_outbox WHERE status = 'queued'").fetchone()[0]
    if confirmed != bookings or queued - before[1] != 2 * bookings:
        raise RuntimeError(f"the flow confirmed {confirmed} of {bookings} bookings and queued "
                           f"{queued - before[1]} emails, not {2 * bookings}")


def _queued(db: Path) -> tuple[int, int]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return (conn.execute("SELECT COUNT(*) FROM bookings").fetchone()[0],
                conn.execute("SELECT COUNT(*) FROM email_outbox WHERE status = 'queued'").fetchone()[0])


def copy_file(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite file ``source`` (what its WAL holds included) at ``target``."""
    target.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def one_run(template: Path, db: Path, bookings: int, today: date, *, traced: bool) -> dict[str, Any]:
    """Copy ``template`` to ``db`` and push ``bookings`` bookings through the flow on it."""
    copy_file(template, db)
    experts = _prepare(db)
    before = _queued(db)
    requests = _requests(experts, bookings, today + timedelta(days=FIRST_DAY), db.stem)
    count = StatementCount()
    with counting(count) if traced else contextlib.nullcontext():
        service = _service(db)
        service.store.get_booking("warm-up")  # the connection and the schema check are not per booking
        if traced:  # the file as the flow found it, for the floor to replay the flow's writes on
            copy_file(db, db.with_suffix(".before.db"))
        count.clear()
        wall, cpu = clock.perf_counter(), clock.process_time()
        for request in requests:
            flow(service, request)
        wall, cpu = clock.perf_counter() - wall, clock.process_time() - cpu
    _check(db, bookings, before)
    return {"wall_s": wall, "cpu_s": cpu, "count": count}


def replay_floor(before: Path, db: Path, statements: Sequence[str], synchronous: str) -> float:
    """Seconds plain ``sqlite3`` takes to run ``statements`` (the flow's writes and commits, as
    recorded) on a copy of ``before``, with the store's durability settings."""
    copy_file(before, db)
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        began = clock.perf_counter()
        for sql in statements:
            conn.execute(sql)
        return clock.perf_counter() - began


def measure_throughput(bookings: int, fills: Sequence[int], runs: int, folder: Path, today: date,
                       seed: int = 7) -> dict[str, Any]:
    """The flow's bookings per second (best of ``runs``, wall and CPU) and its transactions and
    statements per booking (counted in one more run), on an empty store and on each fill size."""
    stores: dict[str, Any] = {}
    for size in (0, *fills):
        template = folder / f"throughput-{size}.db"
        if size:
            fill(template, size, today, seed=seed)
        else:
            from lib.store.sqlite import SQLiteStore

            SQLiteStore(template)  # the schema, no rows
        counted = one_run(template, folder / f"throughput-{size}-counted.db", bookings, today, traced=True)
        timed = [one_run(template, folder / f"throughput-{size}-run{r}.db", bookings, today, traced=False)
                 for r in range(runs)]
        best_wall, best_cpu = min(t["wall_s"] for t in timed), min(t["cpu_s"] for t in timed)
        count: StatementCount = counted["count"]
        synchronous = _service(template).store._synchronous  # the console's own durability setting
        floor = min(replay_floor(folder / f"throughput-{size}-counted.before.db",
                                 folder / f"throughput-{size}-floor{r}.db", count.writes_run, synchronous)
                    for r in range(runs))
        stores[str(size)] = {
            "per_s": round(bookings / best_wall, 1),
            "cpu_per_s": round(bookings / best_cpu, 1) if best_cpu else None,
            "ms_per_booking": ms(best_wall / bookings),
            "cpu_ms_per_booking": ms(best_cpu / bookings),
            "runs_per_s": [round(bookings / t["wall_s"], 1) for t in timed],
            "transactions_per_booking": round(count.transactions / bookings, 2),
            "writes_per_booking": round(count.writes / bookings, 2),
            "reads_per_booking": round(count.reads / bookings, 2),
            # Plain sqlite3 writing the same rows in the same commits (bench.floors): the floor.
            "floor_per_s": round(bookings / floor, 1), "synchronous": synchronous,
            "vs_floor": round(best_wall and (bookings / best_wall) / (bookings / floor), 2),
        }
        for stale in folder.glob(f"throughput-{size}*"):
            stale.unlink()
    return {"bookings": bookings, "runs": runs, "fills": list(fills), "stores": stores}


def main(argv: Sequence[str]) -> None:
    bookings = int(argv[0]) if argv else 1000
    fills = [int(a) for a in argv[1:]]
    with tempfile.TemporaryDirectory(prefix="callexpert-throughput-") as tmp:
        today = datetime.now(Settings().tz).date()
        result = measure_throughput(bookings, fills, 3, Path(tmp), today)
    for size, figure in result["stores"].items():
        print(f"{int(size):>7,} bookings before: {figure['per_s']:>7.1f} bookings/s (CPU {figure['cpu_per_s']}/s), "
              f"{figure['transactions_per_booking']} transactions, {figure['writes_per_booking']} writes, "
              f"{figure['reads_per_booking']} reads per booking; runs {figure['runs_per_s']}")


if __name__ == "__main__":
    main(sys.argv[1:])
