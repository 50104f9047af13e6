"""The Overview's charts (Altair): words in every legend and label, no label cut short, and every
number on an axis written as the page writes it (``lib.overview_readings.axis_labels``: Babel's text, so
``Rp 3.500.000`` and ``1.500``, never the browser's ``3,500,000``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import altair as alt
import pandas as pd

from lib import overview_chart_data as drawn
from lib.timefmt import number, rupiah

# Legends under the chart, so a phone's narrow chart keeps its width; labels never cut. Long
# labels one under the other: a legend is centred under the plot and would overflow a phone.
LEGEND = alt.Legend(title=None, orient="bottom", labelLimit=0, columns=2)
LIST = alt.Legend(title=None, orient="bottom", labelLimit=0, columns=1)
WHOLE_LABELS = alt.Axis(labelLimit=0)


def _values(values: Iterable[float], title: str, text: Callable[[float], str] = number,
            low: float = 0.0, whole: bool = False, upright: bool = False) -> dict[str, object]:
    """A value axis and its scale from ``low`` (0 unless below) to the largest of ``values``,
    ending on round ticks labelled by ``text`` (``whole``: a count, ticked in whole numbers).
    A level axis keeps its end labels inside the chart (a phone's narrow one would cut "Rp
    4.000.000"); an ``upright`` one centres them on their ticks, as pulling "0" up onto the
    tick above it crowded the two."""
    ticks = drawn.nice_ticks(max([0.0, *values]), low=min(0.0, low), whole=whole)
    return {"axis": alt.Axis(title=title, values=ticks, labelExpr=drawn.axis_labels(ticks, text),
                             labelFlush=not upright),
            "scale": alt.Scale(domain=[ticks[0], ticks[-1]], nice=False)}


def _tips(*fields: str) -> list[alt.Tooltip]:
    """Tooltips as channel objects with their types: Altair turns a bare string into one by matching
    it against every class of its schema, which cost more than the rest of a chart."""
    return [alt.Tooltip(field) for field in fields]


def _colors(pairs: dict[str, str]) -> alt.Scale:
    """A colour per value, always the same (a cancelled booking is never drawn as a held one)."""
    return alt.Scale(domain=list(pairs), range=list(pairs.values()))


# What each colour means, the same on every chart: blue went well, amber is on its way, red stopped.
STATUS = _colors({"completed": "#1565c0", "confirmed": "#64b5f6", "paid": "#26a69a", "pending": "#ffb300",
                  "cancelled": "#e57373", "expired": "#bdbdbd"})
KIND = _colors({"reached": "#1565c0", "stopped": "#e57373", "on the way": "#ffb300"})
FIGURE = _colors({"median": "#1565c0", "95th percentile": "#ef6c00"})
OUTCOME = _colors({"both joined": "#1565c0", "expert no-show": "#ef6c00", "customer no-show": "#e57373",
                   "neither joined": "#9e9e9e"})


def _days(frame: pd.DataFrame, column: str) -> list[str]:
    """The days of ``column`` in the order the table has them (already by date)."""
    return list(dict.fromkeys(frame[column]))


def bookings_per_day(f: pd.DataFrame) -> alt.Chart:
    totals = f.groupby("day", sort=False)["bookings"].sum()
    return alt.Chart(f).mark_bar().encode(
        x=alt.X("day:O", title="Day made", sort=_days(f, "day")),
        y=alt.Y("sum(bookings):Q", **_values(totals, "Bookings", whole=True, upright=True)),
        color=alt.Color("status:N", legend=LEGEND, scale=STATUS), tooltip=_tips("day:N", "status:N", "bookings:Q"))


def revenue_per_week(f: pd.DataFrame) -> alt.Chart:
    return alt.Chart(f).mark_bar().encode(
        x=alt.X("week:O", title="Week from (Monday)", sort=_days(f, "week")),
        y=alt.Y("revenue:Q", **_values(f["revenue"], "Revenue", rupiah, upright=True)),
        tooltip=[alt.Tooltip("week:N"), alt.Tooltip("amount:N", title="revenue"), alt.Tooltip("bookings:Q")])


def funnel(f: pd.DataFrame) -> alt.Chart:
    return alt.Chart(f).mark_bar().encode(
        y=alt.Y("step:N", sort=list(f["step"]), title=None, axis=WHOLE_LABELS),
        x=alt.X("bookings:Q", **_values(f["bookings"], "Bookings", whole=True)),
        color=alt.Color("kind:N", legend=LIST, scale=KIND), tooltip=_tips("step:N", "bookings:Q", "kind:N"))


def payment_to_link(f: pd.DataFrame) -> alt.Chart:
    return alt.Chart(f).mark_line(point=True).encode(
        x=alt.X("day:O", title="Day made", sort=_days(f, "day")),
        y=alt.Y("seconds:Q", **_values(f["seconds"], "Seconds", upright=True)),
        color=alt.Color("figure:N", legend=LEGEND, scale=FIGURE),
        tooltip=_tips("day:N", "figure:N", "time:N", "bookings:Q"))


def link_failures(f: pd.DataFrame) -> alt.Chart:
    return alt.Chart(f).mark_bar().encode(
        y=alt.Y("cause:N", sort="-x", title=None, axis=WHOLE_LABELS),
        x=alt.X("failures:Q", **_values(f["failures"], "Failed attempts", whole=True)),
        tooltip=_tips("cause:N", "failures:Q"))


def emails(f: pd.DataFrame) -> alt.Chart:
    return alt.Chart(f).mark_bar().encode(
        x=alt.X("status:N", sort=["sent", "failed", "waiting"], title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("emails:Q", **_values(f["emails"], "Emails", whole=True, upright=True)),
        tooltip=_tips("status:N", "emails:Q"))


def attendance(f: pd.DataFrame) -> alt.Chart:
    totals = f.groupby("expert")["sessions"].sum()
    return alt.Chart(f).mark_bar().encode(
        y=alt.Y("expert:N", title=None, axis=WHOLE_LABELS),
        x=alt.X("sum(sessions):Q", **_values(totals, "Sessions recorded", whole=True)),
        color=alt.Color("outcome:N", legend=LIST, scale=OUTCOME),
        tooltip=_tips("expert:N", "outcome:N", "sessions:Q"))


def lateness(f: pd.DataFrame) -> alt.Chart:
    return alt.Chart(f).mark_bar().encode(
        y=alt.Y("side:N", title=None, axis=WHOLE_LABELS),
        x=alt.X("minutes:Q", **_values(f["minutes"], "Minutes after the start", low=f["minutes"].min())),
        yOffset=alt.YOffset("figure:N", sort=list(drawn.FIGURES)),
        color=alt.Color("figure:N", legend=LEGEND, scale=FIGURE),
        tooltip=_tips("side:N", "figure:N", "lateness:N", "joins:Q"))
