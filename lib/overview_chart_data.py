"""What the Overview's charts draw: its tables (``lib.overview_tables``) with each value also as text,
written by Babel as everywhere in the console, and axis ticks labelled the same way."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence

import pandas as pd

from lib.overview_readings import Overview, duration_text, lateness_text
from lib.overview_tables import per_day_frame, revenue_frame
from lib.timefmt import rupiah, short_date

FIGURES = ("median", "95th percentile")


def per_day_chart(overview: Overview) -> pd.DataFrame:
    """``per_day_frame`` with ``day`` as the axis reads it (``Tue 08/12``), in day order."""
    frame = per_day_frame(overview).sort_values("day", kind="stable")
    frame["day"] = [short_date(d) for d in frame["day"]]
    return frame


def revenue_chart(overview: Overview) -> pd.DataFrame:
    """``revenue_frame`` with ``week`` as the axis reads it and ``amount``, the revenue as text."""
    frame = revenue_frame(overview)
    frame["week"] = [short_date(d) for d in frame["week"]]
    frame["amount"] = [rupiah(int(r)) for r in frame["revenue"]]
    return frame


def link_delay_chart(overview: Overview) -> pd.DataFrame:
    """One row per day and figure (median, 95th percentile): ``day``, ``figure``, ``seconds`` (to
    0.1 s), ``time`` (``42 s``, ``3.5 min``) and ``bookings``."""
    rows = [(short_date(d.day), figure, round(value, 1), duration_text(value), d.bookings)
            for d in sorted(overview.stats.link_delay, key=lambda d: d.day)
            for figure, value in zip(FIGURES, (d.median_s, d.p95_s), strict=True)]
    return pd.DataFrame(rows, columns=["day", "figure", "seconds", "time", "bookings"])


def lateness_chart(overview: Overview) -> pd.DataFrame:
    """One row per side (experts, customers) and figure: ``side``, ``figure``, ``minutes`` (to
    0.1), ``lateness`` (``2 min``, ``1 min early``, ``on time``) and ``joins``."""
    rows = [(f"{f.side}s", figure, round(value, 1), lateness_text(value), f.joins)
            for f in overview.stats.lateness for figure, value in zip(FIGURES, (f.median_min, f.p95_min), strict=True)]
    return pd.DataFrame(rows, columns=["side", "figure", "minutes", "lateness", "joins"])


def nice_ticks(top: float, most: int = 6, low: float = 0.0, whole: bool = False) -> list[float]:
    """Round axis ticks from ``low`` (0, or below it) to at least ``top``: a step of 1, 2 or 5
    times a power of ten, at most ``most`` steps; ``whole``: a count, so a step of at least 1
    (never "0,5 failed attempts")."""
    span = top - low
    if span <= 0:
        return [0]
    step = 10 ** math.floor(math.log10(span / most))
    for factor in (1, 2, 5, 10, 20, 50):
        if span / (step * factor) <= most:
            step *= factor
            break
    if whole:
        step = max(step, 1)
    first, last = math.floor(low / step + 1e-9), math.ceil(top / step - 1e-9)
    return [round(step * n, 6) if step < 1 else int(round(step * n)) for n in range(first, last + 1)]


def axis_labels(values: Sequence[float], text: Callable[[float], str]) -> str:
    """A Vega expression that labels each of the axis ``values`` with ``text`` of it, so an axis
    reads as the page does (``Rp 3.500.000``, ``1.500``), never as the browser would format it."""
    cases = " : ".join(f"datum.value == {v!r} ? {json.dumps(text(v), ensure_ascii=False)}" for v in values)
    return f"{cases} : ''" if cases else "''"
