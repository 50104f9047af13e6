"""Overview: how the bookings made in a range of days went (made, paid, linked, emailed), as
charts, each with a one-line reading and its data as CSV. The figures come aggregated from the
store (lib.overview says what each one counts)."""

from collections.abc import Callable
from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from lib import overview as ov
from lib.errors import CallExpertError
from lib.plaintext import escape_markdown
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


def section(title: str, key: str, reading: str, frame: pd.DataFrame, chart: Chart) -> None:
    """One figure: its title, its reading (error texts may be in it: shown as text), the chart
    (days as text, so the browser's timezone cannot shift them; none when all is zero) and its
    data as CSV."""
    st.subheader(title)
    st.caption(escape_markdown(reading))
    if frame.select_dtypes("number").to_numpy().sum() > 0:  # all zeros: the reading says it all
        shown = frame.copy()
        for column in ("day", "week"):
            if column in shown:
                shown[column] = shown[column].astype(str)
        st.altair_chart(chart(shown), width="stretch")
    st.download_button("Download CSV", frame.to_csv(index=False).encode("utf-8"), mime="text/csv",
                       file_name=f"overview-{key}-{first_day}-{last_day}.csv", key=f"overview-csv-{key}")


left, right = st.columns(2)
with left:
    section("Bookings per day", "bookings-per-day", ov.bookings_reading(overview), ov.per_day_frame(overview),
            lambda f: alt.Chart(f).mark_bar().encode(
                x=alt.X("day:O", title="Day made"), y=alt.Y("sum(bookings):Q", title="Bookings"),
                color=alt.Color("status:N", title="Status now"), tooltip=["day", "status", "bookings"]))
with right:
    section("Revenue per week", "revenue-per-week", ov.revenue_reading(overview), ov.revenue_frame(overview),
            lambda f: alt.Chart(f).mark_bar().encode(
                x=alt.X("week:O", title="Week from (Monday)"), y=alt.Y("revenue:Q", title="Rupiah"),
                tooltip=["week", "revenue", "bookings"]))

section("Funnel: pending → paid → confirmed → completed", "funnel", ov.funnel_reading(overview),
        ov.funnel_frame(overview),
        lambda f: alt.Chart(f).mark_bar().encode(
            y=alt.Y("step:N", sort=list(f["step"]), title=None), x=alt.X("bookings:Q", title="Bookings"),
            color=alt.Color("kind:N", title=None), tooltip=["step", "bookings", "kind"]))

left, right = st.columns(2)
with left:
    section("Time from payment to link", "payment-to-link", ov.link_delay_reading(overview),
            ov.link_delay_frame(overview),
            lambda f: alt.Chart(f).transform_fold(["median_s", "p95_s"], as_=["figure", "seconds"])
            .mark_line(point=True).encode(
                x=alt.X("day:O", title="Day made"), y=alt.Y("seconds:Q", title="Seconds"),
                color=alt.Color("figure:N", title=None), tooltip=["day", "figure:N", "seconds:Q", "bookings"]))
with right:
    section("Link failures by cause", "link-failures", ov.link_attempts_reading(overview),
            ov.link_failures_frame(overview),
            lambda f: alt.Chart(f).mark_bar().encode(
                y=alt.Y("cause:N", sort="-x", title=None), x=alt.X("failures:Q", title="Failed attempts"),
                tooltip=["cause", "failures"]))

section("Emails", "emails", ov.emails_reading(overview), ov.emails_frame(overview),
        lambda f: alt.Chart(f).mark_bar().encode(
            x=alt.X("status:N", sort=["sent", "failed", "waiting"], title=None), y=alt.Y("emails:Q", title="Emails"),
            tooltip=["status", "emails"]))

left, right = st.columns(2)
with left:
    section("Attendance per expert", "attendance", ov.attendance_reading(overview), ov.attendance_frame(overview),
            lambda f: alt.Chart(f).mark_bar().encode(
                y=alt.Y("expert:N", title=None), x=alt.X("sessions:Q", title="Sessions recorded"),
                color=alt.Color("outcome:N", title=None, sort=list(ov.ATTENDANCE_OUTCOMES)),
                tooltip=["expert", "outcome", "sessions"]))
with right:
    section("How late people join", "lateness", ov.lateness_reading(overview), ov.lateness_frame(overview),
            lambda f: alt.Chart(f).transform_fold(["median_min", "p95_min"], as_=["figure", "minutes"])
            .mark_bar().encode(
                y=alt.Y("side:N", title=None), x=alt.X("minutes:Q", title="Minutes after the start"),
                yOffset="figure:N", color=alt.Color("figure:N", title=None),
                tooltip=["side", "figure:N", "minutes:Q", "joins"]))
