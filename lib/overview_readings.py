"""The ops Overview: what the stores count for a range of days, and how each figure reads.

Every figure is about the bookings *made* in the range: a booking belongs to the day it was
created, that day taken in the app timezone. The stores aggregate (SQL in SQLite, one SQL
function in Supabase); this module only turns their few rows into readings and tables.

* bookings per day by their status now;
* revenue per week (weeks start on Monday): the price of the bookings that are paid, confirmed
  or completed. A completed session was paid, so it counts; cancelled and expired ones do not;
* the funnel: made -> paid (a payment was recorded) -> confirmed (a meeting link was stored) ->
  completed (the session ended). Where the others stopped: ``expired unpaid``; ``cancelled
  before payment`` (by ops, or the gateway refused the payment); ``cancelled after payment``
  (paid, no link yet); ``cancelled after confirmation``; the rest are still on their way
  (awaiting payment, awaiting a link, session to come);
* time from payment to link: per day, the median and the 95th percentile (linear interpolation,
  as PostgreSQL's ``percentile_cont``) of ``confirmed_at - paid_at`` of the bookings that have both;
* link attempts (the history's ``link attempt`` and ``link attempt failed`` lines) and the
  failures by cause: the error's words up to its first ``(``, ``:``, ``;`` or ``.``;
* the emails of those bookings: sent, failed, and waiting (queued);
* attendance, over those bookings whose Google Meet attendance is ``recorded`` (final; sessions
  still ``waiting`` and ``no data`` are left out): per expert, the sessions, those both sides
  joined, and the no-shows of each side (a side that did not join; a session neither joined is
  a no-show of both); and how late each side joins: the minutes from the session's start (its
  wall-clock time in the app timezone) to that side's first join, as the median and the 95th
  percentile (``percentile_cont`` again; joining early counts as negative minutes).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from lib.timefmt import number, rupiah, short_date

# The statuses whose price counts as revenue (see the module's docstring).
REVENUE_STATUSES = ("paid", "confirmed", "completed")


@dataclass(frozen=True)
class DayCount:
    """How many bookings made on ``day`` are now in ``status``."""

    day: date
    status: str
    bookings: int


@dataclass(frozen=True)
class WeekRevenue:
    """Revenue (rupiah) of the paid, confirmed and completed bookings made in the week from ``week`` (a Monday)."""

    week: date
    revenue: int
    bookings: int


@dataclass(frozen=True)
class Funnel:
    """How far the bookings of the range got, and where the others stopped (see the module)."""

    made: int = 0
    paid: int = 0
    confirmed: int = 0
    completed: int = 0
    expired_unpaid: int = 0
    cancelled_unpaid: int = 0
    cancelled_paid: int = 0
    cancelled_confirmed: int = 0
    awaiting_payment: int = 0
    awaiting_link: int = 0
    session_to_come: int = 0

    def stops(self) -> dict[str, int]:
        """Where bookings stopped for good, by name, largest first."""
        stops = {"expired unpaid": self.expired_unpaid, "cancelled before payment": self.cancelled_unpaid,
                 "cancelled after payment": self.cancelled_paid,
                 "cancelled after confirmation": self.cancelled_confirmed}
        return dict(sorted(stops.items(), key=lambda item: -item[1]))


@dataclass(frozen=True)
class LinkDelay:
    """Seconds from payment to meeting link of the bookings made on ``day``."""

    day: date
    bookings: int
    median_s: float
    p95_s: float


@dataclass(frozen=True)
class ExpertAttendance:
    """An expert's sessions with recorded attendance: how many, both sides joined, and the no-shows of each side."""

    expert: str
    sessions: int
    both_joined: int
    expert_no_shows: int
    customer_no_shows: int


@dataclass(frozen=True)
class Lateness:
    """Minutes from the session's start to ``side``'s (``expert`` or ``customer``) join, over ``joins`` sessions."""

    side: str
    joins: int
    median_min: float
    p95_min: float


@dataclass(frozen=True)
class OverviewStats:
    """What a store counts for the bookings made in a range (see the module's docstring).

    ``link_errors`` is each distinct failed attempt's error text with how often it occurred;
    ``emails`` counts the outbox rows of those bookings by status (queued, sent, failed);
    ``attendance`` is one row per expert (by name), ``lateness`` one per side that joined.
    """

    per_day: tuple[DayCount, ...] = ()
    revenue: tuple[WeekRevenue, ...] = ()
    funnel: Funnel = Funnel()
    link_delay: tuple[LinkDelay, ...] = ()
    link_attempts: int = 0
    link_errors: tuple[tuple[str, int], ...] = ()
    emails: tuple[tuple[str, int], ...] = ()
    attendance: tuple[ExpertAttendance, ...] = ()
    lateness: tuple[Lateness, ...] = ()


@dataclass(frozen=True)
class PeriodTotals:
    """The five numbers the headline needs of a period's bookings (those made in it): how many were
    made, their revenue (the price of those in ``REVENUE_STATUSES``), how many reached confirmed,
    and their sessions with recorded attendance with how many of them both sides joined."""

    made: int = 0
    revenue: int = 0
    confirmed: int = 0
    sessions: int = 0
    both_joined: int = 0

    @classmethod
    def of(cls, stats: OverviewStats) -> PeriodTotals:
        """The same numbers summed from a period's full figures."""
        return cls(made=stats.funnel.made, revenue=sum(w.revenue for w in stats.revenue),
                   confirmed=stats.funnel.confirmed, sessions=sum(r.sessions for r in stats.attendance),
                   both_joined=sum(r.both_joined for r in stats.attendance))


@dataclass(frozen=True)
class Overview:
    """The Overview page's figures for the days ``first_day`` to ``last_day`` (both included), and
    ``previous``: the totals of the period of the same length just before, for the headline's
    changes (``None``: not read)."""

    first_day: date
    last_day: date
    stats: OverviewStats
    previous: PeriodTotals | None = None
    # Calendar divergences repaired in the range (calendar work that needed more than its first
    # try, or that a reconciliation queued); None with a provider that keeps no calendar (Jitsi).
    calendar_repaired: int | None = None

    @property
    def calendar_reading(self) -> str | None:
        """The sentence about repaired calendar divergences, or None when there is no calendar."""
        if self.calendar_repaired is None:
            return None
        if not self.calendar_repaired:
            return "Google Calendar agreed with the bookings: no divergence had to be repaired in these days."
        return (f"{self.calendar_repaired} calendar divergence(s) repaired in these days: a change Google "
                "took only on a later try, or one the daily reconciliation found.")

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def previous_days(self) -> tuple[date, date]:
        """The first and last day of the period of the same length just before the range."""
        return self.first_day - timedelta(days=self.days), self.first_day - timedelta(days=1)

    @property
    def failures_by_cause(self) -> dict[str, int]:
        """Failed link attempts by cause, most frequent first."""
        return failure_causes(self.stats.link_errors)

    @property
    def emails(self) -> dict[str, int]:
        """Emails of the range's bookings: sent, failed and waiting."""
        found = dict(self.stats.emails)
        return {"sent": found.get("sent", 0), "failed": found.get("failed", 0), "waiting": found.get("queued", 0)}


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``values`` with linear interpolation between the closest
    ranks, as PostgreSQL's ``percentile_cont``."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


_CAUSE_END = re.compile(r"[(:;.]")


def failure_cause(error: str) -> str:
    """A failed link attempt's cause: its error's words up to the first ``(``, ``:``, ``;`` or
    ``.`` (``Google Calendar rate limit reached (429); ...`` -> ``Google Calendar rate limit
    reached``), at most 60 characters; ``unknown`` when nothing is left."""
    cause = _CAUSE_END.split(error, maxsplit=1)[0].strip()
    return (cause[:57] + "..." if len(cause) > 60 else cause) or "unknown"


def failure_causes(errors: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Failed attempts summed by cause, most frequent first (ties by name)."""
    counts: Counter[str] = Counter()
    for error, times in errors:
        counts[failure_cause(error)] += times
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "0%"


def duration_text(seconds: float) -> str:
    """``42 s``, ``3.5 min`` or ``2.0 h``: a delay as a person reads it."""
    if seconds < 90:
        return f"{number(round(seconds))} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


# -- the one-line readings -----------------------------------------------------------------------

def bookings_reading(overview: Overview) -> str:
    """``212 bookings made, busiest day 14 Nov (12); 180 confirmed or completed now``."""
    per_day: Counter[date] = Counter()
    for row in overview.stats.per_day:
        per_day[row.day] += row.bookings
    total = sum(per_day.values())
    if not total:
        return "No bookings were made in these days."
    busiest, most = max(per_day.items(), key=lambda item: (item[1], -item[0].toordinal()))
    settled = sum(r.bookings for r in overview.stats.per_day if r.status in ("confirmed", "completed"))
    return (f"{number(total)} bookings made, busiest day {short_date(busiest)} ({number(most)}); "
            f"{number(settled)} confirmed or completed now.")


def revenue_reading(overview: Overview) -> str:
    """``Rp 12.500.000 from 50 paid bookings; best week from 10 Nov (Rp 5.000.000)``."""
    weeks = overview.stats.revenue
    total = sum(w.revenue for w in weeks)
    if not weeks:
        return "No paid bookings in these days, so no revenue."
    best = max(weeks, key=lambda w: (w.revenue, -w.week.toordinal()))
    return (f"{rupiah(total)} from {number(sum(w.bookings for w in weeks))} paid bookings; "
            f"best week from {short_date(best.week)} ({rupiah(best.revenue)}).")


def funnel_reading(overview: Overview) -> str:
    """``212 bookings, 81% reached confirmed; most stops: expired unpaid (23)``."""
    funnel = overview.stats.funnel
    if not funnel.made:
        return "No bookings were made in these days."
    text = f"{number(funnel.made)} bookings, {_percent(funnel.confirmed, funnel.made)} reached confirmed"
    name, stopped = next(iter(funnel.stops().items()))
    return text + (f"; most stops: {name} ({number(stopped)})." if stopped else "; none stopped.")


def link_delay_reading(overview: Overview) -> str:
    """``Links for 40 paid bookings, typically 12 s after payment; slowest day's 95th percentile 3.5 min``."""
    days = overview.stats.link_delay
    if not days:
        return "No booking of these days went from payment to a link."
    count = sum(d.bookings for d in days)
    # The day with the most links stands for "typically"; the worst p95 shows the tail.
    typical = max(days, key=lambda d: (d.bookings, -d.day.toordinal()))
    worst = max(days, key=lambda d: (d.p95_s, -d.day.toordinal()))
    return (f"Links for {number(count)} paid bookings; busiest day's median {duration_text(typical.median_s)} after "
            f"payment; worst 95th percentile {duration_text(worst.p95_s)} ({short_date(worst.day)}).")


def link_attempts_reading(overview: Overview) -> str:
    """``30 link attempts, 4 failed (13%); most: Google Calendar rate limit reached (3)``."""
    attempts = overview.stats.link_attempts
    causes = overview.failures_by_cause
    failed = sum(causes.values())
    if not attempts:
        return "No link attempts for these days' bookings."
    text = f"{number(attempts)} link attempts, {number(failed)} failed ({_percent(failed, attempts)})"
    if not causes:
        return text + "."
    cause, times = next(iter(causes.items()))
    return text + f"; most: {cause} ({number(times)})."


def emails_reading(overview: Overview) -> str:
    """``120 emails: 110 sent, 4 failed, 6 waiting``."""
    emails = overview.emails
    total = sum(emails.values())
    if not total:
        return "No emails for these days' bookings."
    return (f"{number(total)} emails: {number(emails['sent'])} sent, {number(emails['failed'])} failed, "
            f"{number(emails['waiting'])} waiting.")


def lateness_text(value: float) -> str:
    """``2 min`` late, ``on time`` or ``1 min early``: a lateness as a person reads it."""
    whole = round(value)
    if whole == 0:
        return "on time"
    return f"{number(abs(whole))} min" + (" early" if whole < 0 else "")


def attendance_reading(overview: Overview) -> str:
    """``34 sessions recorded: both joined in 29 (85%); 3 customer no-shows, 2 expert no-shows;
    median lateness: experts on time, customers 2 min``."""
    rows = overview.stats.attendance
    sessions = sum(r.sessions for r in rows)
    if not sessions:
        return "Attendance is read from Google Meet; none recorded for these days' bookings."
    both = sum(r.both_joined for r in rows)
    customers, experts = sum(r.customer_no_shows for r in rows), sum(r.expert_no_shows for r in rows)
    text = (f"{number(sessions)} session{'s' * (sessions != 1)} recorded: both joined in {number(both)} "
            f"({_percent(both, sessions)}); {number(customers)} customer no-show{'s' * (customers != 1)}, "
            f"{number(experts)} expert no-show{'s' * (experts != 1)}")
    late = {f.side: f for f in overview.stats.lateness}
    sides = [f"{label} {lateness_text(late[side].median_min)}" for side, label in (("expert", "experts"),
                                                                                ("customer", "customers"))
             if side in late]
    return text + (f"; median lateness: {', '.join(sides)}." if sides else ".")


def lateness_reading(overview: Overview) -> str:
    """``Experts join on time at the median (95th percentile 4 min); customers 2 min (95th percentile 12 min)``."""
    late = {f.side: f for f in overview.stats.lateness}
    if not late:
        return "No joins recorded for these days' bookings."
    parts = [f"{label} {lateness_text(late[side].median_min)} (95th percentile {lateness_text(late[side].p95_min)})"
             for side, label in (("expert", "experts"), ("customer", "customers")) if side in late]
    return "Median join after the start: " + "; ".join(parts) + "."
