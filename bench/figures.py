"""The figures of ``python -m bench``: how fast the console is, every figure measured side by side in one run.

Figures (each a median of several runs):

* the "My sessions", "Ops", "Book" and "Overview" pages, run through Streamlit's AppTest, over a SQLite file with
  1,000 and with 100,000 bookings, and their ratio: the extra bookings are history (past
  sessions), so a page whose cost grows with them reads more than it shows;
* the store calls one page load makes (counted by ``bench.counting.CountingStore``, a wrapper
  around the store the pages build; on SQLite each read is one query): the same at every size
  means no N+1;
* "Create all missing links" for 200 paid bookings against a Calendar API server that takes
  0.2 s per request: the bounded-concurrency run of the service against a seed-style run (one
  booking after the other, with the seed's two extra store reads per booking);
* the booking service's own time per booking (book, pay, link, queue the emails) with the
  meeting provider's time taken out.

The Calendar API server is ``tests/support/calendar_server.py``, the tests' stand-in for Google,
used here only for measuring. It is imported lazily, by the link figures only, and needs a
checkout of the repository (run from its root).

The bookings are written straight into the SQLite file with ``executemany`` (the store's own
schema), because 100,000 bookings through the service would take minutes to set up.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time as clock
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bench.counting import CountingStore
from bench.slots import bench_free_slots
from lib.access import Actor, Role
from lib.config import GoogleSettings, Settings
from lib.domain import Booking, BookingRequest, Meeting, NewCustomer
from lib.meetings import BusyTimes, HealthCheck, MeetingProvider
from lib.scheduling import Availability, TimeRange
from lib.store.sqlite import SQLiteStore

BENCH = Actor(Role.SYSTEM, email="bench")  # who the benchmark acts as, in the history
# The hours of the experts the link and service figures book: every day 08:00-18:00, no notice,
# so the hourly sessions those figures make are all free slots.
BENCH_HOURS = Availability(weekly=((TimeRange(8 * 60, 18 * 60),),) * 7, min_notice_minutes=0, horizon_days=365)

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PAGES = {"My sessions": "pages/views/my_sessions.py", "Ops": "pages/views/ops.py", "Book": "pages/views/book.py",
         "Overview": "pages/views/overview.py"}
EXPERTS = 20
# Bookings that are "now" (upcoming, waiting for a link or a payment): the same at every size,
# so the pages show the same rows and only the history behind them grows.
CURRENT = 600
GOALS = {"page_ratio": 1.5, "speedup": 6.0, "vs_bound": 1.3, "service_ms": 20.0,
         # Ops' landing page searches customers and reads one expert's bookings in a range: it must
         # not grow with the customer list (30,000) or the booking history (100,000).
         "book_ratio": 1.2,
         # The slot picker recomputes an expert's month on every click: well under a page run.
         "slots_ms": 50.0}
# Page runs not counted: the first ones of a process pay for imports and Streamlit's caches.
WARM_UP_RUNS = 3


@dataclass(frozen=True)
class BenchConfig:
    """What to measure and how often; the defaults are the figures the README quotes."""

    sizes: tuple[int, ...] = (1_000, 100_000)
    page_runs: int = 7
    links: int = 200
    latency: float = 0.2
    concurrency: int | None = None  # None: the setting link_concurrency (8 by default)
    link_runs: int = 3
    service_bookings: int = 200
    service_runs: int = 3
    out: Path = Path("bench-results/bench.json")
    seed: int = 7


# -- filling a SQLite file fast -----------------------------------------------------------------------

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
    expert_id: str  # an expert with upcoming sessions, for ?expert=


def fill(db: Path, bookings: int, today: date, *, seed: int = 7) -> Filled:
    """Write ``bookings`` bookings into a new SQLite file with the store's schema.

    ``min(CURRENT, bookings // 2)`` of them are current: confirmed sessions over the coming two
    weeks, some paid without a link, some awaiting payment. The rest are history: completed,
    cancelled or confirmed sessions in the past, each with its history lines and its two sent
    emails, as a console that has been running for a while has.
    """
    SQLiteStore(db)  # creates the schema exactly as the console does
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
    return Filled(db, bookings, experts[0][0])


# -- page loads through AppTest -------------------------------------------------------------------------

@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the pages' settings; put the old values back afterwards."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _recording_stores() -> Iterator[dict[str, CountingStore]]:
    """Give each service the pages build a counting store, remembered by file, to read its count."""
    from lib import wiring

    stores: dict[str, CountingStore] = {}
    original = wiring.build_store

    def build_store(settings: Settings) -> Any:
        store = original(settings)
        if isinstance(store, SQLiteStore):
            counting = stores[store.path] = CountingStore(store)
            return counting
        return store

    wiring.build_store = build_store  # type: ignore[assignment]
    try:
        yield stores
    finally:
        wiring.build_store = original  # type: ignore[assignment]


def _page_env(db: Path) -> dict[str, str]:
    return {"CALLEXPERT_SQLITE_PATH": str(db), "CALLEXPERT_SEED_DEMO_DATA": "false",
            "CALLEXPERT_MEETING_PROVIDER": "jitsi", "CALLEXPERT_EMAIL_BACKEND": "outbox",
            "CALLEXPERT_SECRETS_FILE": str(db.parent / "no-secrets.toml")}


def measure_pages(filled: list[Filled], runs: int) -> dict[str, dict[str, Any]]:
    """Median AppTest run time and store calls of each page at each size.

    Each size gets its own AppTest, run ``WARM_UP_RUNS`` times uncounted; then the sizes take
    turns, ``runs`` times each, so a slower moment of the machine hits both alike.
    """
    import logging

    from streamlit.testing.v1 import AppTest  # Streamlit's test harness loads only for the benchmark

    # Setting query parameters from outside a script run makes Streamlit warn; nothing is wrong.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    results: dict[str, dict[str, Any]] = {}
    with _recording_stores() as stores:
        for title, page in PAGES.items():
            apps: dict[Filled, Any] = {}
            for f in filled:
                with _environment(_page_env(f.db)):
                    at = AppTest.from_file(str(APP), default_timeout=300).run()
                    at.switch_page(page)
                    at.query_params["expert"] = f.expert_id
                    at.query_params.update(_page_query(title))
                    for _ in range(WARM_UP_RUNS):
                        at.run()
                        _raise_page_errors(at, title)
                apps[f] = at
            times: dict[Filled, list[float]] = {f: [] for f in filled}
            calls: dict[Filled, list[int]] = {f: [] for f in filled}
            for _ in range(runs):
                for f in filled:
                    with _environment(_page_env(f.db)):  # the pages read their settings on every run
                        store = stores.get(str(f.db.resolve()))
                        before = store.calls if store else 0
                        began = clock.perf_counter()
                        apps[f].run()
                        times[f].append(clock.perf_counter() - began)
                        _raise_page_errors(apps[f], title)
                        if store is not None:
                            calls[f].append(store.calls - before)
            results[title] = {str(f.bookings): {"median_ms": _ms(statistics.median(times[f])),
                                                "runs_ms": [_ms(x) for x in times[f]],
                                                "store_calls": sorted(set(calls[f]))} for f in filled}
    return results


def _page_query(title: str) -> dict[str, str]:
    """Query parameters a page is measured with besides ``?expert=``.

    The Overview covers yesterday and today: the current bookings, the same at both sizes (the
    history was made four days before today or earlier), so its ratio shows whether it reads
    bookings outside its range. Its default range, 30 days, holds more bookings at 100,000.
    """
    if title != "Overview":
        return {}
    today = datetime.now(Settings().tz).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}


def _ratio_goal(title: str) -> float:
    """How much slower a page may be at the large size than at the small one."""
    return GOALS["book_ratio"] if title == "Book" else GOALS["page_ratio"]


def _raise_page_errors(at: Any, title: str) -> None:
    if at.exception:
        raise RuntimeError(f"the {title} page failed: {at.exception[0].value}")


# -- "Create all missing links" against the Calendar API server ----------------------------------------

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


# -- the service's own time per booking ------------------------------------------------------------------

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
    return {"bookings": config.service_bookings, "median_ms": _ms(statistics.median(medians)),
            "p95_ms": _ms(statistics.median(p95s)), "provider_ms_excluded": _ms(statistics.median(provider_ms)),
            "runs_median_ms": [_ms(x) for x in medians]}


# -- the whole run ---------------------------------------------------------------------------------------

def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def run(config: BenchConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure everything, write the JSON to ``config.out`` and return it."""
    today = datetime.now(Settings().tz).date()
    with tempfile.TemporaryDirectory(prefix="callexpert-bench-") as tmp:
        folder = Path(tmp)
        log(f"Filling SQLite files with {', '.join(f'{n:,}' for n in config.sizes)} bookings...")
        filled = []
        for n in config.sizes:
            began = clock.perf_counter()
            filled.append(fill(folder / f"pages-{n}.db", n, today, seed=config.seed))
            log(f"  {n:,} bookings in {clock.perf_counter() - began:.1f}s")
        log(f"Page loads through AppTest, {config.page_runs} runs each...")
        pages = measure_pages(filled, config.page_runs)
        log(f"Create all missing links: {config.links} bookings, {config.latency}s per request, "
            f"{config.link_runs} run(s) of each style...")
        links = measure_links(config, folder)
        log(f"Service time per booking, {config.service_bookings} bookings x {config.service_runs} runs...")
        service = measure_service(config, folder)
        log("Free slots: one expert, 30 days, 1,000 bookings and 200 busy ranges, 50 runs...")
        slots = {"bookings": 1000, "days": 30, **bench_free_slots(bookings=1000, days=30, span_days=365, runs=50)}

    small, large = str(min(config.sizes)), str(max(config.sizes))
    for figures in pages.values():
        figures["ratio"] = round(figures[large]["median_ms"] / figures[small]["median_ms"], 2)
        counts = {tuple(figures[str(n)]["store_calls"]) for n in config.sizes}
        figures["store_calls_constant"] = len(counts) == 1 and all(len(c) == 1 for c in counts)
    goals = [
        *[{"figure": f"{title} page {large}/{small} ratio", "value": figures["ratio"],
           "goal": f"<= {_ratio_goal(title)}", "met": figures["ratio"] <= _ratio_goal(title)}
          for title, figures in pages.items()],
        *[{"figure": f"{title} page store calls per load", "value": figures[large]["store_calls"],
           "goal": "constant", "met": figures["store_calls_constant"]} for title, figures in pages.items()],
        {"figure": "missing links: sequential / bounded", "value": links["speedup"],
         "goal": f">= {GOALS['speedup']}", "met": links["speedup"] >= GOALS["speedup"]},
        {"figure": "missing links: bounded / (links x latency / concurrency)", "value": links["vs_bound"],
         "goal": f"<= {GOALS['vs_bound']}", "met": links["vs_bound"] <= GOALS["vs_bound"]},
        {"figure": "service ms per booking (provider excluded)", "value": service["median_ms"],
         "goal": f"< {GOALS['service_ms']}", "met": service["median_ms"] < GOALS["service_ms"]},
        {"figure": "free slots ms, one expert, 30 days, 1,000 bookings", "value": round(slots["median_ms"], 2),
         "goal": f"< {GOALS['slots_ms']}", "met": slots["median_ms"] < GOALS["slots_ms"]},
    ]
    result = {
        "command": " ".join(["python -m bench", *_argv(config)]),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                        "platform": platform.platform(), "cpus": os.cpu_count()},
        "config": {**asdict(config), "out": str(config.out), "sizes": list(config.sizes)},
        "pages": pages, "links": links, "service": service, "slots": slots, "goals": goals,
    }
    config.out.parent.mkdir(parents=True, exist_ok=True)
    config.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _argv(config: BenchConfig) -> list[str]:
    """The options that differ from the defaults, to print the command that reproduces a run."""
    default = BenchConfig()
    flags = {"sizes": "--sizes", "page_runs": "--page-runs", "links": "--links", "latency": "--latency",
             "concurrency": "--concurrency", "link_runs": "--link-runs", "service_bookings": "--service-bookings",
             "service_runs": "--service-runs", "out": "--out", "seed": "--seed"}
    out = []
    for name, flag in flags.items():
        value = getattr(config, name)
        if value != getattr(default, name):
            out += [flag, ",".join(map(str, value)) if isinstance(value, tuple) else str(value)]
    return out


def table(result: dict[str, Any]) -> str:
    """The figures as a Markdown table, ready for the README."""
    sizes = result["config"]["sizes"]
    small, large = str(min(sizes)), str(max(sizes))
    links, service = result["links"], result["service"]
    met = {g["figure"]: "yes" if g["met"] else "**no**" for g in result["goals"]}
    lines = [f"| figure | {int(small):,} bookings | {int(large):,} bookings | result | goal | met |",
             "| --- | ---: | ---: | ---: | --- | --- |"]
    for title, f in result["pages"].items():
        lines.append(f"| {title} page, one AppTest run (median) | {f[small]['median_ms']:.0f} ms | "
                     f"{f[large]['median_ms']:.0f} ms | {f['ratio']:.2f}x | <= {_ratio_goal(title)}x | "
                     f"{met[f'{title} page {large}/{small} ratio']} |")
    for title, f in result["pages"].items():
        q_small, q_large = (", ".join(map(str, f[s]["store_calls"])) or "?" for s in (small, large))
        lines.append(f"| {title} page, store calls per load | {q_small} | {q_large} | "
                     f"{'constant' if f['store_calls_constant'] else 'varies'} | constant | "
                     f"{met[f'{title} page store calls per load']} |")
    n, lat, conc = links["bookings"], links["latency_s"], links["concurrency"]
    lines.append(f"| Create all missing links, {n} x {lat} s: {conc} at a time | {links['bounded_s']:.2f} s | | "
                 f"{links['vs_bound']:.2f}x the {links['bound_s']:.2f} s bound | <= {GOALS['vs_bound']}x | "
                 f"{met['missing links: bounded / (links x latency / concurrency)']} |")
    lines.append(f"| Create all missing links, {n} x {lat} s: seed-style, one by one | "
                 f"{links['sequential_s']:.2f} s | | {links['speedup']:.1f}x slower | >= {GOALS['speedup']}x | "
                 f"{met['missing links: sequential / bounded']} |")
    lines.append(f"| Service time per booking, provider excluded (median; p95 {service['p95_ms']:.1f} ms) | "
                 f"{service['median_ms']:.1f} ms | | | < {GOALS['service_ms']:.0f} ms | "
                 f"{met['service ms per booking (provider excluded)']} |")
    slots = result["slots"]
    lines.append(f"| Free slots of one expert, 30 days, 1,000 bookings (median of 50; slowest "
                 f"{slots['max_ms']:.1f} ms) | {slots['median_ms']:.1f} ms | | {slots['slots']:.0f} slots | "
                 f"< {GOALS['slots_ms']:.0f} ms | {met['free slots ms, one expert, 30 days, 1,000 bookings']} |")
    return "\n".join(lines)
