"""The Supabase figures of ``python -m bench`` and their goals: every page on Supabase at the
smallest and largest size (``bench.supabase_pages``) and a booking through the whole flow
(``bench.supabase_booking``), beside the SQLite figures of the same run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bench import goals as G
from bench.config import BenchConfig
from bench.data import Filled


def postgres_problem() -> str | None:
    """Why the Supabase figures cannot run here (no PostgreSQL 15 answers), or None."""
    from tests.support.postgres import admin_dsn, psycopg

    if psycopg is None:
        return "psycopg is not installed (pip install -r requirements-dev.txt)"
    try:
        with psycopg.connect(admin_dsn(), connect_timeout=3) as conn:
            version = conn.info.server_version
    except psycopg.Error as exc:
        return f"no PostgreSQL answers at CALLEXPERT_TEST_PG_DSN ({str(exc).strip()})"
    return None if version >= 150000 else f"PostgreSQL {version} is older than 15"


def measure_supabase(figures: dict[str, Any], config: BenchConfig, filled: Sequence[Filled],
                     log: Callable[[str], None] = print) -> None:
    """Measure both Supabase figures into ``figures``; raise when PostgreSQL is missing."""
    from bench.supabase_booking import THREADS, measure_supabase_booking
    from bench.supabase_pages import measure_supabase_pages

    problem = postgres_problem()
    if problem:
        raise RuntimeError(f"The Supabase figures need PostgreSQL 15: {problem}. Start one with "
                           "`bash tests/pg.sh` and set CALLEXPERT_TEST_PG_DSN to the DSN it prints, or pass "
                           "--no-supabase.")
    ends = [min(filled, key=lambda f: f.bookings), max(filled, key=lambda f: f.bookings)]
    log(f"Every page on Supabase (the PostgREST stand-in over PostgreSQL, {config.supabase_latency * 1000:g} ms "
        f"a request) at {', '.join(f'{f.bookings:,}' for f in ends)} bookings, {config.page_runs} runs each...")
    figures["supabase_pages"] = measure_supabase_pages(ends, config.page_runs, config.supabase_latency)
    log(f"A booking on Supabase: round trips, then {config.supabase_bookings} bookings {THREADS} at once...")
    figures["supabase_booking"] = measure_supabase_booking(config.supabase_bookings, config.supabase_latency)


def check_supabase(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The Supabase goals' lines (none when the figures were not measured)."""
    pages, booking = figures.get("supabase_pages"), figures.get("supabase_booking")
    lines: list[dict[str, Any]] = []
    if pages:
        small, large = min(pages["sizes"]), max(pages["sizes"])
        for title, roles in pages["pages"].items():
            for role, page in roles.items():
                lo, hi = page[str(small)], page[str(large)]
                lines.append(G.supabase_round_trips(title, role).check(max(lo["round_trips"] + hi["round_trips"])))
                lines.append(G.supabase_page_ratio(title, role, small, large).check(
                    round(hi["min_ms"] / lo["min_ms"], 2)))
    if booking:
        lines.append(G.SUPABASE_BOOKING.check(booking["round_trips"]))
    return lines


def supabase_table(result: dict[str, Any]) -> str | None:
    """Round trips per page render on both stores (store calls on SQLite, HTTP requests on Supabase)
    and the time on Supabase at each size; then the booking. None when not measured."""
    pages = result["figures"].get("supabase_pages")
    if not pages:
        return None
    sizes = [str(n) for n in pages["sizes"]]
    sqlite = result["figures"].get("pages", {})
    rows = ["| page | as | store calls, SQLite | round trips, Supabase | "
            + " | ".join(f"Supabase, {int(n):,} bookings" for n in sizes) + " |",
            "| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in sizes) + " |"]
    for title, roles in pages["pages"].items():
        for role, page in roles.items():
            calls = sqlite.get(title, {}).get(role, {}).get(sizes[0], {}).get("store_calls", [])
            trips = sorted({t for n in sizes for t in page[n]["round_trips"]})
            rows.append(f"| {title} | {role} | {', '.join(map(str, calls)) or '-'} | {', '.join(map(str, trips))} | "
                        + " | ".join(f"{page[n]['min_ms']:.0f} ms" for n in sizes) + " |")
    booking = result["figures"].get("supabase_booking")
    if booking:
        rows.append(f"| a booking, whole flow | system | | {booking['round_trips']} | "
                    f"{booking['per_s']:.1f} bookings/s, {booking['threads']} at once | |")
    return f"Supabase at {pages['latency_ms']:g} ms a request:\n\n" + "\n".join(rows)



def worst_supabase(goals: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The one Supabase goal line the README shows: the first missed, else the page with most round trips."""
    ours = [g for g in goals if g["name"].startswith("Supabase, ")]
    missed = [g for g in ours if not g["ok"]]
    trips = [g for g in ours if g["name"].endswith("round trips per render")]
    return missed[:1] or [max(trips, key=lambda g: g["value"] or 0)] if ours else []
