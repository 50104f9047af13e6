"""The Overview's tables as pandas DataFrames: what its charts draw and its CSV downloads hold, made from
the readings of ``lib.overview_readings``. Apart from them so that pandas loads with the first table,
not with the booking service (the command line starts without it)."""

from __future__ import annotations

import pandas as pd

from lib.overview_readings import Overview


def per_day_frame(overview: Overview) -> pd.DataFrame:
    """One row per day and status: ``day``, ``status``, ``bookings``."""
    return pd.DataFrame([(r.day, r.status, r.bookings) for r in overview.stats.per_day],
                        columns=["day", "status", "bookings"])


def revenue_frame(overview: Overview) -> pd.DataFrame:
    """One row per week: ``week`` (its Monday), ``revenue`` (rupiah), ``bookings``."""
    return pd.DataFrame([(w.week, w.revenue, w.bookings) for w in overview.stats.revenue],
                        columns=["week", "revenue", "bookings"])


def funnel_frame(overview: Overview) -> pd.DataFrame:
    """The funnel's steps in order, then where bookings stopped: ``step``, ``bookings``, ``kind``."""
    f = overview.stats.funnel
    rows = [("made", f.made, "reached"), ("paid", f.paid, "reached"), ("confirmed", f.confirmed, "reached"),
            ("completed", f.completed, "reached")]
    rows += [(name, count, "stopped") for name, count in f.stops().items()]
    rows += [("awaiting payment", f.awaiting_payment, "on the way"), ("awaiting a link", f.awaiting_link, "on the way"),
             ("session to come", f.session_to_come, "on the way")]
    return pd.DataFrame(rows, columns=["step", "bookings", "kind"])


def link_delay_frame(overview: Overview) -> pd.DataFrame:
    """One row per day: ``day``, ``bookings``, ``median seconds``, ``95th percentile seconds`` (to 0.1 s)."""
    return pd.DataFrame([(d.day, d.bookings, round(d.median_s, 1), round(d.p95_s, 1))
                         for d in overview.stats.link_delay],
                        columns=["day", "bookings", "median seconds", "95th percentile seconds"])


def link_failures_frame(overview: Overview) -> pd.DataFrame:
    """One row per cause of failed link attempts: ``cause``, ``failures``."""
    return pd.DataFrame(list(overview.failures_by_cause.items()), columns=["cause", "failures"])


def emails_frame(overview: Overview) -> pd.DataFrame:
    """``status`` (sent, failed, waiting) and ``emails``."""
    return pd.DataFrame(list(overview.emails.items()), columns=["status", "emails"])


ATTENDANCE_OUTCOMES = ("both joined", "expert no-show", "customer no-show", "neither joined")


def attendance_frame(overview: Overview) -> pd.DataFrame:
    """Per expert, the sessions by outcome (each session in one): ``expert``, ``outcome``
    (both joined, expert no-show = only the customer joined, customer no-show = only the expert
    joined, neither joined), ``sessions``."""
    rows = []
    for r in overview.stats.attendance:
        neither = r.expert_no_shows + r.customer_no_shows - (r.sessions - r.both_joined)
        counts = (r.both_joined, r.expert_no_shows - neither, r.customer_no_shows - neither, neither)
        rows += [(r.expert, outcome, n) for outcome, n in zip(ATTENDANCE_OUTCOMES, counts, strict=True)]
    return pd.DataFrame(rows, columns=["expert", "outcome", "sessions"])


def lateness_frame(overview: Overview) -> pd.DataFrame:
    """One row per side that joined: ``side``, ``joins``, ``median minutes``, ``95th percentile minutes``
    (to 0.1 min)."""
    return pd.DataFrame([(f.side, f.joins, round(f.median_min, 1), round(f.p95_min, 1))
                         for f in overview.stats.lateness],
                        columns=["side", "joins", "median minutes", "95th percentile minutes"])
