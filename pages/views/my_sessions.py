"""My sessions: an expert's week (sessions as blocks, working hours shaded) and their upcoming confirmed
sessions, in the app timezone, with Join buttons."""

from datetime import timedelta

import altair as alt
import streamlit as st

from lib.plaintext import escape_markdown
from lib.timefmt import long_date, when, zone_abbreviation
from lib.views import week_frame
from pages.ui.booking import join_button
from pages.ui.expert import chosen_expert
from pages.ui.run import page_context

context = page_context("my_sessions")
svc, actor = context.service, context.actor
st.title("My sessions")

expert = chosen_expert(context, "my_expert")
expert_id = expert.id

sessions = svc.upcoming_for_expert(expert_id, actor=actor)

# -- the week view -------------------------------------------------------------------------
# Seven days from today, then the weeks after: only sessions still ahead are listed, so the view
# never goes back before today.
def _move_week(by: int) -> None:
    st.session_state["my_week"] = max(0, st.session_state.get("my_week", 0) + by)


offset = st.session_state.setdefault("my_week", 0)
back, title, forward = st.columns([1.4, 4, 1.4], vertical_alignment="center")
back.button("Previous week", key="my_week_prev", disabled=offset <= 0, icon=":material/chevron_left:",
            on_click=_move_week, args=(-1,))
forward.button("Next week", key="my_week_next", icon=":material/chevron_right:", on_click=_move_week, args=(1,))
first_day = svc.today() + timedelta(weeks=offset)
week = week_frame(sessions, svc.availability(expert_id, actor=actor), first_day, svc.tz)
title.subheader(f"{long_date(first_day)} – {long_date(first_day + timedelta(days=6))}")

hours = alt.Scale(domain=[week.top, week.bottom], reverse=True, nice=False)
y_axis = alt.Axis(title=None, tickCount=week.bottom - week.top, grid=True,
                  labelExpr="(datum.value < 10 ? '0' : '') + datum.value + ':00'")
x = alt.X("day:O", sort=week.labels, scale=alt.Scale(domain=week.labels), title=None,
          axis=alt.Axis(orient="top", labelAngle=0))
free = alt.Chart(week.free).mark_rect(color="#d7efe0").encode(
    x=x, y=alt.Y("start:Q", scale=hours, axis=y_axis), y2="end:Q",
    tooltip=[alt.Tooltip("day:N", title="Working hours")])
blocks = alt.Chart(week.sessions).mark_rect(color="#1f6feb", opacity=0.9, cornerRadius=3, xOffset=3, x2Offset=-3)
tips = [alt.Tooltip("session:N", title="Session"), alt.Tooltip("customer:N", title="Customer"),
        alt.Tooltip("day:N", title="Day"), alt.Tooltip("time:N", title="Time")]
sessions_layer = blocks.encode(x=x, y=alt.Y("start:Q", scale=hours, axis=y_axis), y2="end:Q", tooltip=tips)
# The block's words are drawn by Vega as plain text, never read as Markdown.
words = alt.Chart(week.sessions).mark_text(color="white", align="center", baseline="top", dy=3,
                                           lineBreak="\n", fontSize=11).encode(
    x=x, y=alt.Y("start:Q", scale=hours, axis=y_axis), text="label:N", tooltip=tips)
st.altair_chart(alt.layer(free, sessions_layer, words).properties(height=36 * (week.bottom - week.top)),
                width="stretch")
st.caption(f"Times in {zone_abbreviation(svc.tz, first_day)}. Green: working hours from Availability; "
           f"blue: confirmed sessions ({len(week.sessions)} this week).")

# -- the list ------------------------------------------------------------------------------
st.subheader("Upcoming")
if not sessions:
    st.info(f"No upcoming sessions for {escape_markdown(expert.name)}. "
            "New bookings show up here once they are confirmed.")
for b in sessions:
    with st.container(border=True):
        info, action = st.columns([4, 1])
        info.markdown(f"**{escape_markdown(b.customer_name)}** · {escape_markdown(b.session_type)}  \n"
                      f"{when(b.scheduled_date, b.scheduled_time, svc.tz)} · {b.duration} minutes")
        with action:
            if b.meeting_link:
                join_button(b.meeting_link, key=f"join-{b.id}")
            else:
                st.caption("No link yet")
