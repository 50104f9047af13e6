"""Bookings to pick from: each as a row of plain text with a link that opens it on the Confirmation page."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from lib.domain import Booking
from lib.plaintext import escape_markdown
from lib.service import BookingService
from lib.timefmt import when
from pages.ui.registry import BY_KEY


def open_booking_link(booking_id: str) -> None:
    """A link to the booking's Confirmation page (``?booking=<id>``), in this browser session."""
    st.page_link(BY_KEY["confirmation"].script, label="Open booking", icon=":material/open_in_new:",
                 query_params={"booking": booking_id})


def booking_rows(bookings: Sequence[Booking], svc: BookingService) -> None:
    """One bordered row per booking: who, what, when and its status (typed values as text), and its link."""
    for b in bookings:
        with st.container(border=True):
            info, action = st.columns([4, 1], vertical_alignment="center")
            info.markdown(f"**{escape_markdown(b.customer_name)}** · {escape_markdown(b.session_type)} with "
                          f"{escape_markdown(b.expert_name)}  \n"
                          f"{when(b.scheduled_date, b.scheduled_time, svc.tz)} · {b.duration} minutes · "
                          f"{b.status.label}")
            with action:
                open_booking_link(b.id)
