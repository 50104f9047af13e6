"""Overview: how the bookings made in a range of days went (made, paid, linked, emailed), as a
headline row (with the change against the period before) and charts, each with a one-line
reading and its data as CSV. The figures come aggregated from the store (lib.overview_readings says what
each one counts); pages.ui.overview_altair draws them."""

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from lib import overview_chart_data as drawn
from lib import overview_readings as ov
from lib import overview_tables as tables
from lib.csv_export import csv_bytes
from lib.errors import CallExpertError
from lib.overview_headline import headline
from lib.plaintext import escape_markdown
from lib.timefmt import number, short_date
from pages.ui import overview_altair as charts
from pages.ui.flash import show_error
from pages.ui.run import page_context

context = page_context("overview")
svc, actor = context.service, context.actor
st.title("Overview")


def day_param(name: str, default: date) -> date:
    """``?from=`` / ``?to=`` (YYYY-MM-DD) as the range's default, so a range can be linked to."""
    try:
        return date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return default


today = svc.today()
picked = st.date_input("Bookings made from / to (app timezone)", key="overview-range", format="YYYY-MM-DD",
                       value=(day_param("from", today - timedelta(days=29)), day_param("to", today)))
if not isinstance(picked, tuple) or len(picked) != 2:
    st.info("Pick the last day of the range too.")
    st.stop()
first_day, last_day = picked
try:
    overview = svc.overview(first_day, last_day, actor=actor)
except CallExpertError as exc:
    show_error(exc)
    st.stop()


Chart = Callable[[pd.DataFrame], alt.Chart]

# The headline row: each figure with its change against the period of the same length just before.
previous_first, previous_last = overview.previous_days
for column, figure in zip(st.columns(4), headline(overview), strict=True):
    column.metric(figure.label, figure.value, figure.delta, delta_color=figure.delta_color, help=figure.help)
st.caption(f"Changes are against the {number(overview.days)} days before, {short_date(previous_first)} to "
           f"{short_date(previous_last)}.")


def section(title: str, key: str, reading: str, frame: pd.DataFrame, drawn: pd.DataFrame, chart: Chart) -> None:
    """One figure: its title, its reading (error texts may be in it: shown as text), the chart of
    ``drawn`` (none when all is zero) and ``frame`` as CSV."""
    st.subheader(title)
    st.caption(escape_markdown(reading))
    if frame.select_dtypes("number").to_numpy().sum() > 0:  # all zeros: the reading says it all
        st.altair_chart(chart(drawn), width="stretch")
    # The file is written when the button is clicked (Streamlit calls ``data`` then), not on every run.
    st.download_button("Download CSV", partial(csv_bytes, frame), mime="text/csv",
                       file_name=f"overview-{key}-{first_day}-{last_day}.csv", key=f"overview-csv-{key}")


left, right = st.columns(2)
with left:
    section("Bookings per day", "bookings-per-day", ov.bookings_reading(overview), tables.per_day_frame(overview),
            drawn.per_day_chart(overview), charts.bookings_per_day)
with right:
    section("Revenue per week", "revenue-per-week", ov.revenue_reading(overview), tables.revenue_frame(overview),
            drawn.revenue_chart(overview), charts.revenue_per_week)

funnel = tables.funnel_frame(overview)
section("Funnel: pending → paid → confirmed → completed", "funnel", ov.funnel_reading(overview), funnel, funnel,
        charts.funnel)

left, right = st.columns(2)
with left:
    section("Time from payment to link", "payment-to-link", ov.link_delay_reading(overview),
            tables.link_delay_frame(overview), drawn.link_delay_chart(overview), charts.payment_to_link)
with right:
    failures = tables.link_failures_frame(overview)
    section("Link failures by cause", "link-failures", ov.link_attempts_reading(overview), failures, failures,
            charts.link_failures)
    if overview.calendar_reading:  # Google only: divergences the calendar work repaired
        st.caption(overview.calendar_reading)

emails = tables.emails_frame(overview)
section("Emails", "emails", ov.emails_reading(overview), emails, emails, charts.emails)

left, right = st.columns(2)
with left:
    attendance = tables.attendance_frame(overview)
    section("Attendance per expert", "attendance", ov.attendance_reading(overview), attendance, attendance,
            charts.attendance)
with right:
    section("How late people join", "lateness", ov.lateness_reading(overview), tables.lateness_frame(overview),
            drawn.lateness_chart(overview), charts.lateness)
