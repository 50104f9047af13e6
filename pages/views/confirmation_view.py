"""Confirmation: one booking by id (from ?booking=<id> or pasted), its link, and what happens next."""

import streamlit as st

from lib.domain import ACTIVE_STATUSES, BookingStatus
from lib.errors import CallExpertError
from lib.slot_choices import WINDOW_DAYS
from pages.ui.booking_card import booking_card, cancel_form, join_button, reschedule_form
from pages.ui.booking_list import booking_rows
from pages.ui.flash import show_error, show_flash
from pages.ui.payment import payment_panel
from pages.ui.run import page_context
from pages.ui.slot_picker import window_start

# What to say when there is no link, by status.
NO_LINK = {
    BookingStatus.PENDING: "No meeting link yet — the payment has not settled; the link is made once it does.",
    BookingStatus.PAID: "No meeting link yet — the payment is settled and ops are creating the link; "
                        "it will be emailed to both sides.",
    BookingStatus.CANCELLED: "No meeting link — this session is cancelled.",
    BookingStatus.COMPLETED: "No meeting link — this session is over.",
    BookingStatus.EXPIRED: "No meeting link — this booking was not paid in time, so its slot was released. "
                           "Book again to choose a time.",
}
NEXT_STEPS = """
**What happens next**
- The customer and the expert each get an email with the time (WIB) and the meeting link.
- At the start time, both open the link with **Join meeting**; no account is needed.
- Need another time? Reschedule below: the meeting link stays the same and both sides are told.
"""

context = page_context("confirmation")
svc, actor = context.service, context.actor
st.title("Confirmation")
show_flash()

booking_id = st.query_params.get("booking", "")
typed = st.text_input("Booking id", value=booking_id, placeholder="paste a booking id").strip()
if typed != booking_id:  # keep the URL shareable
    booking_id = typed
    st.query_params["booking"] = booking_id
if not booking_id:  # no booking chosen yet: the viewer's next ones to pick from
    st.subheader("Next bookings")
    coming = svc.next_bookings(limit=20, actor=actor)
    if coming:
        st.caption("Open one, or paste a booking id above.")
        booking_rows(coming, svc)
    else:
        st.info("No bookings to come. Paste a booking id above to open an earlier one.")
    st.stop()

# One read: the booking, its calendar change and what the reschedule form draws of its expert.
try:
    shown = svc.booking_page(booking_id, window_start(svc, f"reschedule-{booking_id.strip()}"), WINDOW_DAYS,
                             actor=actor)
except CallExpertError as exc:
    show_error(exc)
    st.stop()

booking = shown.booking
booking_card(booking, svc)
calendar_note = shown.calendar_note
if calendar_note:  # the booking changed; Google is still being brought in line
    st.info(calendar_note)
if booking.meeting_link and booking.status is BookingStatus.CONFIRMED:
    join_button(booking.meeting_link)
    st.code(booking.meeting_link, language=None)
else:
    st.info(NO_LINK.get(booking.status, "No meeting link yet."))
    payment_panel(svc, booking, actor)  # a pending Midtrans payment: pay link and checks

if booking.status in ACTIVE_STATUSES:
    st.markdown(NEXT_STEPS)
    left, right = st.columns(2)
    with left:
        reschedule_form(svc, booking, actor, known=shown.desk)
    if actor.is_staff:  # experts may move their sessions; only ops cancel
        with right:
            cancel_form(svc, booking, actor)
