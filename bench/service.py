"""The booking service's own time per booking, the meeting provider's time taken out."""

from __future__ import annotations

import statistics
import time as clock
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from bench.config import BENCH, BENCH_HOURS, BenchConfig, ms
from lib.config import Settings
from lib.domain import Booking, BookingRequest, Meeting, NewCustomer
from lib.meetings import BusyTimes, HealthCheck, MeetingProvider


@dataclass
class TimedProvider:
    """A meeting provider that keeps count of the time spent inside it, to take it out."""

    inner: MeetingProvider
    seconds: float = 0.0
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.inner.name

    def create(self, booking: Booking) -> Meeting:
        began = clock.perf_counter()
        try:
            return self.inner.create(booking)
        finally:
            self.seconds += clock.perf_counter() - began

    def reschedule(self, booking: Booking) -> None:
        self.inner.reschedule(booking)

    def cancel(self, booking: Booking) -> None:
        self.inner.cancel(booking)

    def check_connection(self) -> HealthCheck:
        return self.inner.check_connection()

    def busy(self, calendar_id: str, start: datetime, end: datetime) -> BusyTimes:
        return self.inner.busy(calendar_id, start, end)


def measure_service(config: BenchConfig, folder: Path) -> dict[str, Any]:
    """Time ``book_and_pay`` (book, pay, link, queue and send the emails) per booking, minus the
    provider's own time, on a fresh SQLite file per run."""
    from lib.wiring import build_service

    medians: list[float] = []
    p95s: list[float] = []
    provider_ms: list[float] = []
    for run in range(config.service_runs):
        db = folder / f"service-{run}.db"
        service = build_service(Settings(sqlite_path=str(db), seed_demo_data=False))
        timed = TimedProvider(service.meetings)
        service.meetings = timed
        experts = [service.store.add_expert(f"Expert {i}", f"service{i}@example.com", 250_000, "Bench")
                   for i in range(4)]
        for expert in experts:
            service.store.set_availability(expert.id, BENCH_HOURS)
        start = service.today() + timedelta(days=1)
        own: list[float] = []
        for n in range(config.service_bookings):
            slot, expert = divmod(n, len(experts))
            request = BookingRequest(
                expert_id=experts[expert].id, session_type="Career mentoring",
                scheduled_date=start + timedelta(days=slot // 10), scheduled_time=time(8 + slot % 10, 0),
                duration=60, new_customer=NewCustomer(f"Customer {n}", f"service-customer{n}@example.com"),
                request_key=f"bench-{run}-{n}")
            inside = timed.seconds
            began = clock.perf_counter()
            service.book_and_pay(request, actor=BENCH)
            own.append(clock.perf_counter() - began - (timed.seconds - inside))
        medians.append(statistics.median(own))
        p95s.append(statistics.quantiles(own, n=20)[-1] if len(own) >= 2 else own[0])
        provider_ms.append(timed.seconds / config.service_bookings)
    return {"bookings": config.service_bookings, "median_ms": ms(statistics.median(medians)),
            "p95_ms": ms(statistics.median(p95s)), "provider_ms_excluded": ms(statistics.median(provider_ms)),
            "runs_median_ms": [ms(x) for x in medians]}
