"""Every goal of the benchmark, in one place, each with the reason for its number.

A goal compares one measured value with a target. ``python -m bench`` writes each as a line of
``bench-results/bench.json`` (``{"name", "value", "goal", "ok", "unit"}``) and exits non-zero
when any is not ok, so a change that makes the console slower than promised fails where it is
measured.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq,
}


@dataclass(frozen=True)
class Goal:
    """``value <op> target`` in ``unit``; ``name`` is how the JSON and the tables call it."""

    name: str
    op: str
    target: float
    unit: str

    def __post_init__(self) -> None:
        if self.op not in _COMPARE:
            raise ValueError(f"unknown comparison {self.op!r}; use one of {', '.join(_COMPARE)}")

    def check(self, value: float | None) -> dict[str, Any]:
        """The goal's JSON line for ``value``; a figure that could not be measured (None) is not ok."""
        ok = value is not None and _COMPARE[self.op](value, self.target)
        return {"name": self.name, "value": value, "goal": f"{self.op} {self.target:g}", "ok": ok, "unit": self.unit}


# A page may cost at most this much more at 100,000 bookings than at 1,000: the extra bookings
# are history nobody looks at on that page, so anything beyond noise means it reads them.
PAGE_RATIO = 1.2
# A page load asks the store as often at 100,000 bookings as at 1,000: more calls would be a
# query per row shown or per booking stored (N+1), which no noise explains.
STORE_CALLS_RATIO = 1.0
# Every goal below is a ratio to a floor measured in the same run on the same machine (bench.floors,
# bench.server): absolute times are a statement about the machine, so they stay in the JSON as
# information only.
# A new session's whole first screen through a real server at the largest size, against an empty
# Streamlit app's served the same way: Streamlit's own round trip is the floor; the console may add
# one and a half of it for its store reads and its elements.
FIRST_SCREEN_VS_EMPTY = 2.5
# Peak memory may grow this much from 1,000 to 100,000 bookings: what a page keeps (a range of
# one expert's bookings, one screen of a table) does not grow with history, so 20 MiB is slack.
MEMORY_GROWTH_MIB = 20.0
# The seed's loop (one booking at a time, 1 s x attempt backoff) against ours on the same 200
# links: at least 30x, or bounded concurrency and shared reads are not doing their work.
LINKS_VS_SEED = 30.0
# Calendar requests per link of ours: one insert, and the pending conferences read back in rounds
# shared by the links waiting (events.list), so reads stay a small share; 429s retried count too.
REQUESTS_PER_LINK = 1.10
# Bookings per second through the whole flow against plain sqlite3 writing the same rows in the
# same commits with the same durability: the commits' waits for the disk are the floor; the
# console's reads, checks and Python may cost as much again, no more.
THROUGHPUT_VS_FLOOR = 0.5
# How much slower a booking may go through on a store already holding many bookings than on an
# empty one. Writes grow a little with the data: each insert lands on random pages of bigger
# indexes (uuid keys), so each commit and checkpoint writes more pages (1.13-1.20x measured at
# 100,000). A scan of the history would cost many times more; 1.3 tells the two apart.
THROUGHPUT_GROWTH = 1.3
# Write transactions per booking through that flow: each commit waits for the disk (the store
# keeps synchronous=FULL), so the count is the floor under the time. Book is one; the payment and
# the link are made within the process (the demo gateway, Jitsi), so paying and confirming (with
# the history and both emails) is the other, each all-or-nothing.
TRANSACTIONS_PER_BOOKING = 2.0
# The Overview's figures over a year against one SQL pass over the same rows: the store reads the
# range once into its aggregates, so three passes' worth is the most the rest may cost.
OVERVIEW_YEAR_VS_PASS = 3.0
# An expert's free slots over 30 days against reading the same bookings: the slot arithmetic on
# top of the read may cost twice the read.
SLOTS_VS_READ = 3.0
# A backlog of paid bookings linked by two processes under Google's per-minute quota: at most the
# quota in any rolling minute, none refused, and done within 1.1x the minute the budget lets the
# last requests go (what is left is the last requests' own latency).
BACKLOG_VS_BOUND = 1.1
# A fresh start (a missing database, the demo data created) to the first page's content in a new
# browser session, against an empty Streamlit app's start: the demo data may not hold the page.
FRESH_START_VS_EMPTY = 2.0
# Switching pages in one session at the largest size, p95, against an empty app's page switch.
PAGE_SWITCH_VS_EMPTY = 3.0


def _span(small: int, large: int) -> str:
    return f"{large:,} / {small:,} bookings"


def page_ratio(page: str, role: str, small: int, large: int) -> Goal:
    """The time of one page as one role, large size over small."""
    return Goal(f"{page} page as {role}: time {_span(small, large)}", "<=", PAGE_RATIO, "x")


def store_calls(page: str, role: str, small: int, large: int) -> Goal:
    """The store calls of one page load may not grow with the data (no N+1): ratio 1."""
    return Goal(f"{page} page as {role}: store calls {_span(small, large)}", "<=", STORE_CALLS_RATIO, "x")


def overview_year(bookings: int) -> Goal:
    """The Overview's figures over the last 366 days at the largest size, against one SQL pass."""
    return Goal(f"Overview over the last 366 days at {bookings:,} bookings / one SQL pass over its rows", "<=",
                OVERVIEW_YEAR_VS_PASS, "x")


def first_screen(bookings: int) -> Goal:
    """The whole first screen of a new session (p95) through a real server, against an empty app's."""
    return Goal(f"whole first screen of a new session at {bookings:,} bookings / an empty app's (p95)", "<=",
                FIRST_SCREEN_VS_EMPTY, "x")


def memory_growth(small: int, large: int) -> Goal:
    """Peak memory of the pages, large size minus small."""
    return Goal(f"peak memory growth of the pages, {small:,} to {large:,} bookings", "<", MEMORY_GROWTH_MIB, "MiB")


def links_vs_seed(links: int) -> Goal:
    """The seed's loop against ours, on the same links."""
    return Goal(f"{links} links: seed loop time / ours", ">=", LINKS_VS_SEED, "x")


def requests_per_link(links: int) -> Goal:
    """Calendar API requests per link of our run."""
    return Goal(f"{links} links: Calendar requests per link", "<=", REQUESTS_PER_LINK, "requests")


def throughput_growth(stored: int) -> Goal:
    """Bookings per second on an empty store over those on one already holding ``stored``."""
    return Goal(f"bookings per second, empty store / {stored:,} bookings stored", "<=", THROUGHPUT_GROWTH, "x")


def backlog(links: int, quota: int) -> list[Goal]:
    """The backlog at Google's quota, two processes: the four goals, in the order ``check_goals`` gives values."""
    at = f"backlog of {links} links, two processes, quota {quota}/min"
    return [Goal(f"{at}: bookings not confirmed with exactly one live event", "==", 0, "bookings"),
            Goal(f"{at}: most requests in a rolling minute", "<=", quota, "requests"),
            Goal(f"{at}: requests refused for quota", "==", 0, "requests"),
            Goal(f"{at}: time / the budget's bound", "<=", BACKLOG_VS_BOUND, "x")]


def fresh_start() -> Goal:
    """``streamlit run`` on a missing database to the first page's content, against an empty app's."""
    return Goal("fresh start with the demo data to the first page's content / an empty app's", "<=",
                FRESH_START_VS_EMPTY, "x")


def page_switch(bookings: int) -> Goal:
    """Page switches in one session at the largest size (p95), against an empty app's."""
    return Goal(f"page switches at {bookings:,} bookings / an empty app's (p95)", "<=", PAGE_SWITCH_VS_EMPTY, "x")


THROUGHPUT = Goal("bookings per second, whole flow, SQLite / plain sqlite3 writing the same rows and commits",
                  ">=", THROUGHPUT_VS_FLOOR, "x")
# On the largest filled file (medians).
SLOTS = Goal("free slots of an expert, 30 days, through the service / reading the same bookings", "<=",
             SLOTS_VS_READ, "x")
TRANSACTIONS = Goal("write transactions per booking, whole flow, SQLite", "<=", TRANSACTIONS_PER_BOOKING,
                    "transactions")


# On Supabase every store call is an HTTPS round trip (10-50 ms from a server in another region),
# so a page's round trips are its time there: three is a page's own read, the gate's and one to spare.
SUPABASE_ROUND_TRIPS = 3
# A booking's transitions that must each be all-or-nothing: book (pending), pay and confirm with
# the link and both emails queued; what else the flow asks can travel with them.
SUPABASE_BOOKING_ROUND_TRIPS = 3


def supabase_round_trips(page: str, role: str) -> Goal:
    """The most HTTP requests one render of a page made on Supabase, at either size."""
    return Goal(f"Supabase, {page} as {role}: round trips per render", "<=", SUPABASE_ROUND_TRIPS, "requests")


def supabase_page_ratio(page: str, role: str, small: int, large: int) -> Goal:
    """The time of one page on Supabase, large size over small (the same bound as on SQLite)."""
    return Goal(f"Supabase, {page} as {role}: time {_span(small, large)}", "<=", PAGE_RATIO, "x")


SUPABASE_BOOKING = Goal("Supabase, one booking through the whole flow: round trips", "<=",
                        SUPABASE_BOOKING_ROUND_TRIPS, "requests")


def failed(goals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The goal lines that are not ok."""
    return [g for g in goals if not g["ok"]]
