"""\"Create all missing links\" against the local Calendar API server at Google's shape, and the
seed's loop (``bench.seed_loop``) on the same links.

The stand-in answers each API request after a lognormal latency (median 0.2 s, p99 1.5 s),
keeps each new conference pending for 1 or 2 reads, answers 2 % of requests 429 with
Retry-After 1 s and enforces Google's 600 requests per rolling minute (``BenchConfig``).

The bound of a run is what that shape allows at best: with r API requests per link (measured,
re-reads and 429s included, token requests not), L the mean latency the stand-in served, C the
requests on their way at once (``google.requests_at_once``) and B the per-minute budget the console paces itself under
(``google.requests_per_minute``), N links need ``ceil(N*r/C)`` rounds of L, and under a rolling
minute of B the last of the N*r requests cannot go before ``60 s * floor((N*r - 1) / B)``::

    bound = max(ceil(N*r / C) * L, 60 s * floor((N*r - 1) / B), P)

P is the critical path: one link's own requests go one after another, so no run is shorter than
the slowest link's chain, measured from the stand-in's records (``critical_path``): the served
latency of its insert (and of any 429'd try, plus the Retry-After it was told), and for each
read its pending conference needed the least latency any read was served with (a shared
``events.list`` counts once per link). The first two terms alone cannot be reached at high C:
at C=24, 200 links need about 10 rounds of 0.27 s (2.7 s), while one link whose insert drew the
tail (2.4 s) and then needed a read already takes longer. Every term is a lower bound, so the
bound is too.

``python -m bench.links --at-once 4,8,16 --concurrency 8,32`` runs ours at each pair of requests at
once and links at a time (``link_concurrency``) and prints time, r, L, bound and time / bound,
to tune those two settings.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time as clock
from collections.abc import Iterable, Iterator, Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from bench.config import BENCH, BENCH_HOURS, BenchConfig
from bench.seed_loop import calendar_client, duplicate_events, run_seed_loop
from lib.config import GoogleSettings, Settings
from lib.domain import BookingRequest, NewCustomer


@contextlib.contextmanager
def _calendar(seed: int) -> Iterator[Any]:
    """The local Calendar API server (tests/support/calendar_server.py), plain (``shape`` turns
    Google's shape on), with google-auth's token URL on it."""
    try:
        from tests.support.calendar_server import CalendarServer  # a stand-in for Google; see the module docstring
    except ImportError as exc:
        raise SystemExit("The link figures need tests/support/calendar_server.py: run `python -m bench` from the "
                         f"root of a checkout ({exc}).") from None
    import google.oauth2.credentials as user_credentials

    server = CalendarServer(seed=seed).start()
    # An authorized-user token always refreshes at Google's fixed URL; point it at the stand-in.
    endpoint = user_credentials._GOOGLE_OAUTH2_TOKEN_ENDPOINT
    user_credentials._GOOGLE_OAUTH2_TOKEN_ENDPOINT = server.token_url
    try:
        yield server
    finally:
        user_credentials._GOOGLE_OAUTH2_TOKEN_ENDPOINT = endpoint
        server.wait_idle(10)
        server.stop()


def _shape(server: Any, config: BenchConfig) -> None:
    """Turn Google's shape on (after the bookings are made, so only the link run meets it)."""
    from tests.support.calendar_server import LogNormal

    server.latency_model = LogNormal(median=config.latency, p99=config.latency * config.latency_tail) \
        if config.latency > 0 else None
    server.pending_reads = config.pending_reads
    server.rate_limit_share = config.rate_limit_share
    server.rate_limit_retry_after = config.retry_after
    server.quota_per_minute = config.quota_per_minute
    server.clear_requests()


def _token(server: Any) -> str:
    return json.dumps({"type": "authorized_user", "client_id": "bench.apps.googleusercontent.com",
                       "client_secret": "bench-client-secret", "refresh_token": "bench-refresh-token",
                       "token_uri": server.token_url})


def _google_service(db: Path, server: Any, per_minute: int | None = None, at_once: int | None = None) -> Any:
    """The service as a deployment builds it (``build_service``): the Google provider with the
    per-minute request budget shared through the store."""
    from lib.wiring import build_service

    google = GoogleSettings(credentials_json=_token(server), api_endpoint=server.base_url)  # production defaults
    if per_minute:
        google = google.with_changes(requests_per_minute=per_minute)
    if at_once:
        google = google.with_changes(requests_at_once=at_once)
    settings = Settings(sqlite_path=str(db), seed_demo_data=False, meeting_provider="google", google=google)
    return build_service(settings)


def _paid_bookings(db: Path, count: int) -> list[str]:
    """``count`` paid bookings waiting for their link, through the service (as payments leave them).

    Booked with Jitsi as the provider: with Google, each booking's availability check reads the
    expert's busy time, and those requests would take slots of the per-minute budget the link
    run is then measured under.
    """
    from lib.wiring import build_service

    service = build_service(Settings(sqlite_path=str(db), seed_demo_data=False, meeting_provider="jitsi"))
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


READS = ("events.get", "events.list")


def critical_path(requests: Iterable[Any], conference_reads: Mapping[str, int]) -> tuple[float, str | None]:
    """The longest chain one link's own requests make (seconds), and its event id.

    ``requests`` are the stand-in's ``RecordedRequest``s (``op``, ``fault``, ``latency``,
    ``event_id``, ``retry_after``); ``conference_reads`` the reads each event's conference was made
    pending for. A link's chain is the served latency of each request about its event that is not
    a served read (its insert, a 429'd try and the Retry-After it was told to wait, a patch, a
    failed read and its Retry-After), plus, for each read its conference needed, the smallest
    latency any read of the run was served with (a read shared by many links counts once per
    link: each link still waits for it). The requests of one link go one after another (a read
    follows the answer that said "pending"; a retry follows the Retry-After), so no run can be
    shorter than the longest chain.
    """
    requests = list(requests)
    least_read = min((r.latency for r in requests if r.op in READS and r.fault is None), default=0.0)
    chains: dict[str, float] = {}
    for r in requests:
        if r.event_id is None or (r.op == "events.get" and r.fault is None):
            continue  # not one link's, or a served read (counted below at the least read latency)
        chains[r.event_id] = chains.get(r.event_id, 0.0) + r.latency + (r.retry_after or 0.0)
    for event_id, reads in conference_reads.items():
        chains[event_id] = chains.get(event_id, 0.0) + reads * least_read
    if not chains:
        return 0.0, None
    longest = max(chains, key=lambda event_id: chains[event_id])
    return chains[longest], longest


def link_bound(links: int, requests: int, latency: float, concurrency: int, per_minute: int,
               critical: float = 0.0) -> float:
    """The least time ``links`` links can take: ``requests`` API requests (all of them, for all
    links) of mean ``latency``, ``concurrency`` at a time, under a rolling-minute budget, and no
    less than the longest chain of one link's own requests (``critical``, see ``critical_path``)."""
    if requests <= 0:
        return critical
    rounds = math.ceil(requests / concurrency) * latency
    budget = 60.0 * ((requests - 1) // per_minute)
    return max(rounds, budget, critical)


def _check_links(service: Any, server: Any, ids: list[str]) -> None:
    """Every booking confirmed with exactly one live event in the stand-in, whose Meet link it stores."""
    # The description names its booking in the emails' language: find the id itself in it.
    described = [(event.get("description", ""), event) for event in server.live_events()]
    wrong = []
    for booking_id in ids:
        booking = service.store.get_booking(booking_id)
        events = [event for text, event in described if booking_id in text]
        if (len(events) != 1 or booking.status.value != "confirmed"
                or events[0].get("hangoutLink") != booking.meeting_link or events[0]["id"] != booking.google_event_id):
            wrong.append(f"{booking_id}: {booking.status.value}, {len(events)} live event(s)")
    if wrong:
        raise RuntimeError(f"{len(wrong)} of {len(ids)} bookings did not end with one live event and its link: "
                           + "; ".join(wrong[:5]))


def run_ours(config: BenchConfig, db: Path, seed: int, concurrency: int, at_once: int,
             per_minute: int | None = None) -> dict[str, Any]:
    """One run of ``create_missing_links`` over ``config.links`` paid bookings, at Google's shape:
    ``concurrency`` links at a time, ``at_once`` requests on their way at once."""
    with _calendar(seed) as server:
        ids = _paid_bookings(db, config.links)
        service = _google_service(db, server, per_minute, at_once)
        _shape(server, config)
        began = clock.perf_counter()
        result = service.create_missing_links(actor=BENCH, concurrency=concurrency)
        took = clock.perf_counter() - began
        server.wait_idle(10)
        if len(result.confirmed) != len(ids):
            raise RuntimeError(f"our run confirmed {len(result.confirmed)} of {len(ids)} bookings: "
                               f"{dict(list(result.failed.items())[:3])}")
        _check_links(service, server, ids)
        requests = server.count() - server.count("token")
        latency = server.served_latency()
        budget = service.settings.google.requests_per_minute
        with server._lock:
            recorded = list(server.requests)
        critical, slowest = critical_path(recorded, server.conference_reads())
        issue_bound = link_bound(len(ids), requests, latency, at_once, budget)
        bound = link_bound(len(ids), requests, latency, at_once, budget, critical)
        return {"time_s": round(took, 3), "requests": requests, "requests_per_link": round(requests / len(ids), 3),
                "latency_s": round(latency, 4), "bound_s": round(bound, 3), "vs_bound": round(took / bound, 3),
                "rounds_and_budget_s": round(issue_bound, 3), "critical_path_s": round(critical, 3),
                "vs_rounds_and_budget": round(took / issue_bound, 3),
                "slowest_link": _slowest(recorded, slowest, server.conference_reads()),
                "concurrency": concurrency, "requests_at_once": at_once, "requests_per_minute": budget,
                "inserts": server.count("events.insert"), "reads": server.count("events.get"),
                "lists": server.count("events.list"), "rate_limited": server.rate_limited(),
                "quota_refused": sum(1 for r in recorded if r.fault == "quota"),
                "most_per_minute": most_per_minute(recorded)}


def most_per_minute(recorded: Iterable[Any]) -> int:
    """The most API requests (token requests not counted) that came in any 60 s."""
    times = sorted(r.at for r in recorded if r.op != "token")
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 60.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def _slowest(recorded: list[Any], event_id: str | None, conference_reads: Mapping[str, int]) -> dict[str, Any]:
    """The requests of the link on the critical path, as (op, fault, latency, Retry-After), and the
    reads its conference needed."""
    own = [[r.op, r.fault, round(r.latency, 3), r.retry_after] for r in recorded if event_id and r.event_id == event_id]
    return {"requests": own, "conference_reads": conference_reads.get(event_id or "", 0)}


def run_seed(config: BenchConfig, db: Path, seed: int) -> dict[str, Any]:
    """One run of the seed's loop (``bench.seed_loop``) over the same bookings, at the same shape."""
    with _calendar(seed) as server:
        ids = _paid_bookings(db, config.links)
        calendar = calendar_client(server.base_url, _token(server))
        _shape(server, config)
        began = clock.perf_counter()
        run = run_seed_loop(db, calendar)
        took = clock.perf_counter() - began
        server.wait_idle(10)
        requests = server.count() - server.count("token")
        with server._lock:
            events = [dict(e) for e in server.events.get("primary", {}).values()]
        return {"time_s": round(took, 3), "bookings": len(ids), "linked": run.linked, "manual": run.manual,
                "attempts": run.attempts, "duplicates": duplicate_events(events), "requests": requests,
                "requests_per_link": round(requests / len(ids), 3), "latency_s": round(server.served_latency(), 4),
                "rate_limited": server.rate_limited()}


def measure_links(config: BenchConfig, folder: Path) -> dict[str, Any]:
    """Ours (the median of ``link_runs`` runs by time) and one run of the seed's loop."""
    settings = Settings()
    concurrency = config.concurrency or settings.link_concurrency
    at_once = settings.google.requests_at_once
    runs = [run_ours(config, folder / f"links-ours-{n}.db", config.seed + n, concurrency, at_once)
            for n in range(config.link_runs)]
    ours = sorted(runs, key=lambda r: r["time_s"])[len(runs) // 2]  # the median run by time
    seed = run_seed(config, folder / "links-seed.db", config.seed)
    return {"bookings": config.links, "concurrency": concurrency, "requests_at_once": at_once,
            "shape": {"latency_median_s": config.latency,
                      "latency_p99_s": round(config.latency * config.latency_tail, 3),
                      "pending_reads": list(config.pending_reads), "rate_limit_share": config.rate_limit_share,
                      "retry_after_s": config.retry_after, "quota_per_minute": config.quota_per_minute},
            "ours": ours, "runs": runs, "seed": seed,
            "vs_bound": ours["vs_bound"], "seed_vs_ours": round(seed["time_s"] / ours["time_s"], 2)}


def sweep(config: BenchConfig, pairs: list[tuple[int, int]], per_minute: int | None, out: Any = print) -> list[dict]:
    """Ours at each (requests at once, links at a time) pair, ``config.link_runs`` runs each, one line per run."""
    import tempfile

    rows = []
    out(f"{config.links} links, median {config.latency}s / p99 {config.latency * config.latency_tail:g}s, pending "
        f"{config.pending_reads}, {config.rate_limit_share:.0%} 429, quota {config.quota_per_minute}/min")
    out(f"{'C':>3} {'links':>5} {'B':>5} {'time s':>8} {'r':>6} {'L s':>6} {'2-term s':>8} {'P s':>6} "
        f"{'bound s':>8} {'time/bound':>10} {'429s':>5} {'quota':>5} {'lists':>5} {'req/min':>7}")
    with tempfile.TemporaryDirectory(prefix="callexpert-links-") as tmp:
        for at_once, links in pairs:
            for n in range(config.link_runs):
                row = run_ours(config, Path(tmp) / f"sweep-{at_once}-{links}-{n}.db", config.seed + n, links, at_once,
                               per_minute)
                rows.append(row)
                out(f"{at_once:>3} {links:>5} {row['requests_per_minute']:>5} {row['time_s']:>8.1f} "
                    f"{row['requests_per_link']:>6.2f} {row['latency_s']:>6.3f} {row['rounds_and_budget_s']:>8.1f} "
                    f"{row['critical_path_s']:>6.1f} {row['bound_s']:>8.1f} {row['vs_bound']:>10.2f} "
                    f"{row['rate_limited']:>5} {row['quota_refused']:>5} {row['lists']:>5} "
                    f"{row['most_per_minute']:>7}")
    return rows


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.links --at-once 4,8 --concurrency 8,32``: our link run at each pair."""
    d, settings = BenchConfig(), Settings()
    p = argparse.ArgumentParser(prog="python -m bench.links", description=__doc__.split("\n\n")[0])
    p.add_argument("--at-once", default=str(settings.google.requests_at_once),
                   help="comma-separated requests on their way at once (setting google.requests_at_once)")
    p.add_argument("--concurrency", default=str(settings.link_concurrency),
                   help="comma-separated links at a time (setting link_concurrency)")
    p.add_argument("--links", type=int, default=d.links)
    p.add_argument("--runs", type=int, default=1, help="runs per pair")
    p.add_argument("--requests-per-minute", type=int, default=None,
                   help="the console's budget (default: the setting google.requests_per_minute)")
    args = p.parse_args(argv)
    config = BenchConfig(links=args.links, link_runs=args.runs)
    pairs = [(a, c) for a in _numbers(args.at_once) for c in _numbers(args.concurrency)]
    sweep(config, pairs, args.requests_per_minute)
    return 0


if __name__ == "__main__":
    sys.exit(main())
