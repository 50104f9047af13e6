"""My sessions: an expert's upcoming confirmed sessions, in the app timezone, with Join buttons."""

import altair as alt
import streamlit as st

from lib.access import Role
from lib.plaintext import escape_markdown
from lib.timefmt import when
from lib.views import week_counts
from pages.ui.booking import join_button
from pages.ui.run import page_context

context = page_context("my_sessions")
svc, actor = context.service, context.actor
st.title("My sessions")

experts = {e.id: e for e in context.experts}
if not experts:
    st.info("There are no experts yet.")
    st.stop()

if actor.role is Role.EXPERT:  # an expert sees their own list, no picker
    expert_id = actor.expert_id
    st.caption(f"{escape_markdown(experts[expert_id].name)} — {escape_markdown(experts[expert_id].expertise)}")
else:  # ops pick an expert; ?expert=<id> keeps the choice bookmarkable
    wanted = st.query_params.get("expert")
    expert_id = st.selectbox("Expert", list(experts), index=list(experts).index(wanted) if wanted in experts else 0,
                             format_func=lambda i: f"{experts[i].name} — {experts[i].expertise}", key="my_expert")
    st.query_params["expert"] = expert_id

sessions = svc.upcoming_for_expert(expert_id, actor=actor)

# -- the coming 7 days -------------------------------------------------------------------
week = week_counts(sessions, svc.today())
st.subheader("The coming 7 days")
st.altair_chart(
    alt.Chart(week).mark_bar().encode(
        x=alt.X("label:N", sort=None, title=None),
        y=alt.Y("sessions:Q", title="Sessions", axis=alt.Axis(tickMinStep=1)),
        tooltip=[alt.Tooltip("long:N", title="Day"), alt.Tooltip("sessions:Q", title="Sessions")],
    ).properties(height=180),
    width="stretch",
)

# -- the list ------------------------------------------------------------------------------
st.subheader("Upcoming")
if not sessions:
    st.info(f"No upcoming sessions for {escape_markdown(experts[expert_id].name)}. New bookings show up here once they are confirmed.")
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
