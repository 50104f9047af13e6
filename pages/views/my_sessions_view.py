"""My sessions: an expert's week, Monday to Sunday (sessions as links at their times, working hours
shaded, today and the current time marked; earlier weeks with how their sessions went), and their
upcoming confirmed sessions with Join buttons, in the app timezone."""

from datetime import timedelta
from urllib.parse import urlencode

import streamlit as st

from lib.plaintext import escape_markdown
from lib.timefmt import when
from lib.week import build_week, week_start
from lib.week_html import week_caption, week_html, zone_note
from pages.ui.booking_card import join_button
from pages.ui.booking_list import open_booking_link
from pages.ui.expert import chosen_expert
from pages.ui.registry import BY_KEY
from pages.ui.run import page_context

CONFIRMATION = BY_KEY["confirmation"]

context = page_context("my_sessions")
svc, actor = context.service, context.actor
st.title("My sessions")

expert = chosen_expert(context, "my_expert")


def _move_week(by: int) -> None:
    st.session_state["my_week"] = st.session_state.get("my_week", 0) + by if by else 0


def booking_address(booking_id: str) -> str:
    """The Confirmation page of a booking, relative to this page (a block is a plain link, so it
    keeps the demo's "View as" from the address)."""
    query = {"booking": booking_id}
    if "as" in st.query_params:
        query["as"] = st.query_params["as"]
    return f"{CONFIRMATION.url_path}?{urlencode(query)}"


# -- the week view -------------------------------------------------------------------------
offset = st.session_state.setdefault("my_week", 0)
monday = week_start(svc.today(), offset)  # weeks start on Monday; "today" from the service clock
title = st.empty()
with st.container(horizontal=True):
    st.button("Previous week", key="my_week_prev", icon=":material/chevron_left:", on_click=_move_week, args=(-1,))
    st.button("This week", key="my_week_now", disabled=offset == 0, on_click=_move_week, args=(0,))
    st.button("Next week", key="my_week_next", icon=":material/chevron_right:", on_click=_move_week, args=(1,))
view = svc.my_sessions_view(expert, monday, monday + timedelta(days=6), actor=actor)  # one store call
found = view.sessions
week = build_week(found.bookings, found.attendance, view.availability, monday, svc.tz, svc.now_local())
title.subheader(week_caption(week))
st.html(week_html(week, booking_address, svc.tz))  # typed values escaped inside: they show as text
st.caption(zone_note(week, svc.tz))

# -- the list ------------------------------------------------------------------------------
st.subheader("Upcoming")
sessions = view.upcoming
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
            open_booking_link(b.id)
