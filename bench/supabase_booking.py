"""A booking through the whole flow on Supabase: pending -> paid -> link -> confirmed with both
emails queued, by the booking form's call (``book_and_pay``) with the demo gateway and Jitsi, the
store the real supabase-py client against the PostgREST stand-in (``bench.supabase_wire``) with
the same fixed delay per request as the pages' figure.

Two figures: the round trips of one booking (each booking alone, counted), and bookings per
second with ``THREADS`` going through at once, each thread its own booking after another, as
the console's server and the worker do for several people at once.

``python -m bench.supabase_booking [--bookings N] [--latency S]`` prints the figure alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time as clock
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from bench.config import BENCH_HOURS, EXPERTS, ms
from bench.supabase_pages import LATENCY
from bench.supabase_wire import database, serve, wire_store
from bench.throughput import FIRST_DAY, _requests, flow
from lib.config import Settings

THREADS = 16  # bookings at once
ALONE = 20  # bookings counted one at a time for the round trips


def _service(store: Any) -> Any:
    from lib.meetings.jitsi import JitsiProvider
    from lib.notify.in_app_sender import OutboxOnlySender
    from lib.payments.demo_gateway import DemoGateway
    from lib.service import BookingService

    settings = Settings(seed_demo_data=False, meeting_provider="jitsi", payment_gateway="demo",
                        email_backend="outbox")
    return BookingService(store=store, meetings=JitsiProvider(settings.jitsi_base_url), payments=DemoGateway(),
                          sender=OutboxOnlySender(), settings=settings)


def measure_supabase_booking(bookings: int, latency: float = LATENCY, threads: int = THREADS) -> dict[str, Any]:
    """Round trips per booking (the most of ``ALONE`` bookings made one at a time) and bookings per
    second with ``threads`` at once over ``bookings`` more, on an empty migrated database."""
    today = datetime.now(Settings().tz).date()
    with database("bench_booking") as dsn, serve({"booking": dsn}, latency) as wire:
        store = wire_store(wire, "booking")
        try:
            service = _service(store)
            experts = [store.add_expert(f"Expert {i:02d}", f"supabase{i:02d}@example.com", 250_000, "Bench").id
                       for i in range(EXPERTS)]
            for expert in experts:
                store.set_availability(expert, BENCH_HOURS)
            requests = _requests(experts, ALONE + bookings, today + timedelta(days=FIRST_DAY), "supabase")
            trips: list[int] = []
            for request in requests[:ALONE]:
                before = wire.requests["booking"]
                flow(service, request)
                trips.append(wire.requests["booking"] - before)
            before = wire.requests["booking"]
            began = clock.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(lambda r: flow(service, r), requests[ALONE:]))
            wall = clock.perf_counter() - began
            concurrent_trips = (wire.requests["booking"] - before) / bookings
        finally:
            store.close()
    return {"latency_ms": ms(latency), "round_trips": max(trips), "round_trips_median": statistics.median(trips),
            "threads": threads, "bookings": bookings, "per_s": round(bookings / wall, 1),
            "round_trips_at_once": round(concurrent_trips, 2), "wall_s": round(wall, 2)}


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figure."""
    parser = argparse.ArgumentParser(prog="python -m bench.supabase_booking")
    parser.add_argument("--bookings", type=int, default=200, help="bookings made with 16 at once")
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds added to each request")
    args = parser.parse_args(argv)
    print(measure_supabase_booking(args.bookings, args.latency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
