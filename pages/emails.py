"""Emails: the outbox — who got what, and when; open one to read it."""

import streamlit as st

from lib.views import local_when
from pages._common import page_context

STATUS_ICON = {"queued": ":material/schedule:", "sent": ":material/check_circle:", "failed": ":material/error:"}

svc, actor = page_context("emails")
st.title("Emails")

booking_id = st.text_input("Filter by booking id", value=st.query_params.get("booking", ""),
                           placeholder="all bookings").strip()
emails = svc.emails(booking_id=booking_id or None, actor=actor)
if not emails:
    st.info("No emails for that booking." if booking_id else "No emails yet; they appear once a booking is confirmed.")
st.caption(f"{len(emails)} email(s), newest first.")

for e in emails:
    with st.expander(f"{e.recipient} — {e.subject} · {e.status.value} · {local_when(e.created_at, svc.tz)}",
                     icon=STATUS_ICON.get(e.status.value)):
        st.caption(f"Kind: {e.kind} · booking {e.booking_id} · attempts: {e.attempts}"
                   + (f" · sent {local_when(e.sent_at, svc.tz)}" if e.sent_at else ""))
        if e.last_error:
            st.error(f"Last delivery error: {e.last_error}")
        text, html = st.tabs(["Text", "HTML"])
        text.text(e.body_text)
        with html:
            st.html(e.body_html)  # sanitised by Streamlit; scripts never run
