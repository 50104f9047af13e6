"""\"Create all missing links\" against the local Calendar API server."""

from __future__ import annotations

import contextlib
import json
import statistics
import time as clock
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from bench.config import BENCH, BENCH_HOURS, BenchConfig
from lib.config import GoogleSettings, Settings
from lib.domain import BookingRequest, NewCustomer


@contextlib.contextmanager
def _calendar(latency: float, seed: int) -> Iterator[Any]:
    """The local Calendar API server (tests/support/calendar_server.py), with google-auth's token URL on it."""
    try:
        from tests.support.calendar_server import CalendarServer  # a stand-in for Google; see the module docstring
    except ImportError as exc:
        raise SystemExit("The link figures need tests/support/calendar_server.py: run `python -m bench` from the "
                         f"root of a checkout ({exc}).") from None
    import google.oauth2.credentials as user_credentials

    server = CalendarServer(seed=seed, latency=latency).start()
    # An authorized-user token always refreshes at Google's fixed URL; point it at the stand-in.
    endpoint = user_credentials._GOOGLE_OAUTH2_TOKEN_ENDPOINT
    user_credentials._GOOGLE_OAUTH2_TOKEN_ENDPOINT = server.token_url
    try:
        yield server
    finally:
        user_credentials._GOOGLE_OAUTH2_TOKEN_ENDPOINT = endpoint
        server.wait_idle(10)
        server.stop()


def _google_service(db: Path, server: Any) -> Any:
    from lib.wiring import build_service

    token = json.dumps({"type": "authorized_user", "client_id": "bench.apps.googleusercontent.com",
                        "client_secret": "bench-client-secret", "refresh_token": "bench-refresh-token",
                        "token_uri": server.token_url})
    settings = Settings(sqlite_path=str(db), seed_demo_data=False, meeting_provider="google",
                        google=GoogleSettings(credentials_json=token, api_endpoint=server.base_url,
                                              timeout_seconds=30.0, conference_wait_seconds=5.0))
    return build_service(settings)


def _paid_bookings(service: Any, count: int) -> list[str]:
    """``count`` paid bookings waiting for their link, through the service (as payments leave them)."""
    experts = [service.store.add_expert(f"Expert {i}", f"links{i}@example.com", 250_000, "Bench") for i in range(4)]
    for expert in experts:
        service.store.set_availability(expert.id, BENCH_HOURS)
    start = service.today() + timedelta(days=1)
    ids = []
    for n in range(count):
        slot, expert = divmod(n, len(experts))
        booking = service.book(BookingRequest(
            expert_id=experts[expert].id, session_type="Career mentoring",
            scheduled_date=start + timedelta(days=slot // 10), scheduled_time=time(8 + slot % 10, 0), duration=60,
            new_customer=NewCustomer(f"Customer {n}", f"links-customer{n}@example.com")), actor=BENCH)
        ids.append(service.pay(booking.id, actor=BENCH).id)
    return ids


def seed_style_links(service: Any) -> int:
    """The seed's way: one booking after the other, each read twice more before its link is made
    (the booking again, then its customer, to build the invitation)."""
    done = 0
    for booking in service.missing_links(actor=BENCH):
        service.store.get_booking(booking.id)
        service.store.get_customer(booking.user_id)
        service.create_link(booking.id, actor=BENCH, dispatch=False)
        done += 1
    service.dispatch_emails(actor=BENCH)
    return done


def measure_links(config: BenchConfig, folder: Path) -> dict[str, Any]:
    """The bounded-concurrency bulk run against the seed-style sequential run, alternately."""
    bounded: list[float] = []
    sequential: list[float] = []
    requests_per_link: list[float] = []
    concurrency = config.concurrency or Settings().link_concurrency
    with _calendar(config.latency, config.seed) as server:
        for run in range(config.link_runs):
            for style, times in (("bounded", bounded), ("sequential", sequential)):
                service = _google_service(folder / f"links-{style}-{run}.db", server)
                ids = _paid_bookings(service, config.links)
                server.clear_requests()
                began = clock.perf_counter()
                if style == "bounded":
                    result = service.create_missing_links(actor=BENCH, concurrency=concurrency)
                    made = len(result.confirmed)
                else:
                    made = seed_style_links(service)
                times.append(clock.perf_counter() - began)
                if made != len(ids):
                    raise RuntimeError(f"{style} run confirmed {made} of {len(ids)} bookings")
                requests_per_link.append(server.count() / len(ids) - server.count("token") / len(ids))
    bound = config.links * config.latency / concurrency
    ours, theirs = statistics.median(bounded), statistics.median(sequential)
    return {"bookings": config.links, "latency_s": config.latency, "concurrency": concurrency,
            "bounded_s": round(ours, 3), "sequential_s": round(theirs, 3), "speedup": round(theirs / ours, 2),
            "bound_s": round(bound, 3), "vs_bound": round(ours / bound, 3),
            "requests_per_link": round(statistics.median(requests_per_link), 2),
            "runs": {"bounded_s": [round(x, 3) for x in bounded], "sequential_s": [round(x, 3) for x in sequential]}}
