"""Book a session: customer, expert, slot and duration -> book and pay -> the meeting link.

With Midtrans the booking waits for the customer's payment on Midtrans's page: the outcome
shows "Pay with Midtrans" and "Check payment", and checks by itself while the page is open.
"""

import uuid
from datetime import time, timedelta

import streamlit as st

from lib.domain import ALLOWED_DURATIONS, DEFAULT_DURATION, SESSION_TYPES, BookingRequest, BookingStatus, NewCustomer
from lib.errors import CallExpertError
from lib.plaintext import escape_markdown
from lib.timefmt import rupiah, when, zone_abbreviation
from pages.ui.booking import STEP, join_button
from pages.ui.flash import show_error, show_flash
from pages.ui.payment import payment_panel
from pages.ui.registry import BY_KEY
from pages.ui.run import page_context

NEW = "__new__"
context = page_context("book")
svc, actor = context.service, context.actor
st.title("Book a session")
show_flash()

experts = {e.id: e for e in context.experts}
if not experts:
    st.info("There are no experts yet, so nothing can be booked.")
    st.stop()
customers = {c.id: c for c in svc.customers(actor=actor)}

# -- who -------------------------------------------------------------------------------
customer_id = st.selectbox("Customer", [NEW, *customers], key="book_customer",
                           format_func=lambda i: "New customer" if i == NEW else
                           f"{customers[i].name} ({customers[i].email})")
new_customer = None
if customer_id == NEW:
    left, right = st.columns(2)
    new_customer = NewCustomer(left.text_input("Name", key="book_name"),
                               right.text_input("Email", key="book_email", placeholder="name@example.com"))

expert_id = st.selectbox("Expert", list(experts), key="book_expert",
                         format_func=lambda i: f"{experts[i].name} — {experts[i].expertise} · "
                                               f"{rupiah(experts[i].hourly_rate)} per hour")
session_type = st.selectbox("Session type", SESSION_TYPES, key="book_session_type")

# -- when ------------------------------------------------------------------------------
today = svc.today()
day_col, time_col, duration_col = st.columns(3)
# No min_value/max_value: with bounds, a typed date outside them is silently replaced by another
# one. The service refuses past dates and dates beyond the horizon, naming the date typed.
day = day_col.date_input("Date", value=today + timedelta(days=1), key="book_date")
at = time_col.time_input(f"Start time ({zone_abbreviation(svc.tz, today)})", value=time(10, 0), step=STEP,
                         key="book_time")
duration = duration_col.selectbox("Duration (minutes)", ALLOWED_DURATIONS, key="book_duration",
                                  index=ALLOWED_DURATIONS.index(DEFAULT_DURATION))

# -- price -----------------------------------------------------------------------------
try:
    st.metric("Price", rupiah(svc.quote(expert_id, duration, actor=actor)))
except CallExpertError as exc:
    show_error(exc)
if svc.payments.is_demo:
    st.info("Demo payment — no money moves. Submitting marks the booking as paid at once.",
            icon=":material/science:")
else:
    st.info(f"Payment through {svc.payments.label}: submitting books the session and opens a payment page; "
            "the booking is confirmed once the gateway reports the payment settled.", icon=":material/payments:")

# One request key per form fill: a double click or a rerun returns the same booking; a changed
# fill gets a new key so it can become a new booking.
fill = (customer_id, new_customer, expert_id, session_type, day, at, duration)
if st.session_state.get("book_fill") != fill:
    st.session_state["book_fill"] = fill
    st.session_state["book_key"] = str(uuid.uuid4())
    st.session_state.pop("book_outcome", None)

request = BookingRequest(
    expert_id=expert_id,
    session_type=session_type,
    scheduled_date=day,
    scheduled_time=at,
    duration=duration,
    customer_id=None if customer_id == NEW else customer_id,
    new_customer=new_customer,
    request_key=st.session_state["book_key"],
)

# -- what will be booked -------------------------------------------------------------------
# Every value the button submits, read back from the very request it submits: whatever a
# widget shows, this is what gets booked.
with st.container(border=True, key="book_summary"):
    st.markdown("**What will be booked**")
    preview = None
    if new_customer is not None and not (new_customer.name.strip() or new_customer.email.strip()):
        st.caption("Fill in the new customer's name and email to see the booking here.")
    else:
        try:
            preview = svc.preview_booking(request, actor=actor)
        except CallExpertError as exc:
            st.warning(f"Not ready to book: {escape_markdown(str(exc))}", icon=":material/edit:")
    if preview is not None:
        st.markdown(
            f"- **Customer:** {escape_markdown(preview.customer_name)} ({escape_markdown(preview.customer_email)})"
            f"{' — existing customer' if preview.existing_customer or request.customer_id else ' — new customer'}\n"
            f"- **Expert:** {escape_markdown(preview.expert.name)}\n"
            f"- **Session:** {escape_markdown(preview.session_type)}\n"
            f"- **When:** {when(preview.scheduled_date, preview.scheduled_time, svc.tz)}\n"
            f"- **Duration:** {preview.duration} minutes\n"
            f"- **Price:** {rupiah(preview.price)}"
        )
        if preview.customer_note:
            st.warning(escape_markdown(preview.customer_note), icon=":material/person_search:")
    submitted = st.button("Book and pay", type="primary", key="book_submit")

if submitted:
    try:
        outcome = svc.book_and_pay(request, actor=actor)
    except CallExpertError as exc:
        show_error(exc)
    else:
        st.session_state["book_outcome"] = (outcome.booking.id, outcome.link_error, outcome.payment_error)

# -- outcome (kept while the fill is unchanged) ---------------------------------------------
if "book_outcome" in st.session_state:
    booking_id, link_error, payment_error = st.session_state["book_outcome"]
    booking = svc.get_booking(booking_id, actor=actor)
    what = (f"{escape_markdown(booking.session_type)} with {escape_markdown(booking.expert_name)} for "
            f"{escape_markdown(booking.customer_name)}, "
            f"{when(booking.scheduled_date, booking.scheduled_time, svc.tz)}, {rupiah(booking.price)}")
    if booking.status is BookingStatus.PENDING:
        st.info(f"Booked, awaiting payment: {what}. The meeting link follows once the payment settles.")
        if payment_error and not booking.payment_url:
            st.error(f"The payment could not be started: {escape_markdown(payment_error)}")
        payment_panel(svc, booking, actor)
    elif booking.status in (BookingStatus.PAID, BookingStatus.CONFIRMED):
        st.success(f"Booked and paid: {what}.")
    else:  # cancelled elsewhere, or its payment failed
        reason = f" ({escape_markdown(booking.cancel_reason)})" if booking.cancel_reason else ""
        st.warning(f"This booking is {booking.status.label.lower()}{reason}: {what}. Change the form to book anew.")
    if booking.meeting_link and booking.status is BookingStatus.CONFIRMED:
        join_button(booking.meeting_link)
        st.code(booking.meeting_link, language=None)
    elif booking.status is BookingStatus.PAID:
        st.warning(f"Paid — the meeting link is not ready yet: "
                   f"{escape_markdown(link_error or booking.last_error or 'pending')}; "
                   "ops will create it.")
    st.page_link(BY_KEY["confirmation"].script, label="Open the confirmation", icon=":material/task_alt:",
                 query_params={"booking": booking.id})
