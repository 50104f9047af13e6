"""Book a session: customer (found by a search, or new), expert, session type and duration, then a
free slot from the picker -> book and pay -> the meeting link.

With Midtrans the booking waits for the customer's payment on Midtrans's page: the outcome
shows "Pay with Midtrans" and "Check payment", and checks by itself while the page is open.
"""

import uuid

import streamlit as st

from lib.domain import ALLOWED_DURATIONS, DEFAULT_DURATION, SESSION_TYPES, BookingRequest, BookingStatus, NewCustomer
from lib.errors import CallExpertError, SlotUnavailable
from lib.plaintext import escape_markdown
from lib.timefmt import rupiah, when
from pages.ui.booking import join_button
from pages.ui.flash import show_error, show_flash
from pages.ui.payment import payment_panel
from pages.ui.picker import remember_refusal, show_refusal, slot_picker
from pages.ui.registry import BY_KEY
from pages.ui.run import page_context

EXISTING, NEW = "existing", "new"
MATCHES = 20  # customers offered for one search; typing more narrows them
context = page_context("book")
svc, actor = context.service, context.actor
st.title("Book a session")
show_flash()

experts = {e.id: e for e in context.experts}
if not experts:
    st.info("There are no experts yet, so nothing can be booked.")
    st.stop()

# -- who -------------------------------------------------------------------------------
# A search over name and email, asking the store for a few matches: the page never loads every customer.
who = st.radio("Customer", [EXISTING, NEW], key="book_who", horizontal=True,
               format_func=lambda w: "Find a customer" if w == EXISTING else "New customer")
customer_id, new_customer = None, None
if who == NEW:
    left, right = st.columns(2)
    new_customer = NewCustomer(left.text_input("Name", key="book_name"),
                               right.text_input("Email", key="book_email", placeholder="name@example.com"))
else:
    query = st.text_input("Search customers", key="book_customer_q", placeholder="part of a name or email").strip()
    if not query:
        st.caption("Type part of the customer's name or email to find them, or choose “New customer”.")
    else:
        try:
            found = {c.id: c for c in svc.search_customers(query, limit=MATCHES, actor=actor)}
        except CallExpertError as exc:
            show_error(exc)
            found = {}
        if not found:
            st.info(f"No customer matches “{escape_markdown(query)}”; try another part, or choose “New customer”.")
        else:
            customer_id = st.selectbox("Matching customers", list(found), key="book_customer",
                                       format_func=lambda i: f"{found[i].name} ({found[i].email})")
            if len(found) == MATCHES:
                st.caption(f"The first {MATCHES} matches by name; type more to narrow them.")

expert_id = st.selectbox("Expert", list(experts), key="book_expert",
                         format_func=lambda i: f"{experts[i].name} — {experts[i].expertise} · "
                                               f"{rupiah(experts[i].hourly_rate)} per hour")
type_col, duration_col = st.columns(2)
session_type = type_col.selectbox("Session type", SESSION_TYPES, key="book_session_type")
duration = duration_col.selectbox("Duration (minutes)", ALLOWED_DURATIONS, key="book_duration",
                                  index=ALLOWED_DURATIONS.index(DEFAULT_DURATION))

# -- when: only free starts, from the same rules the booking is checked by -----------------------
st.markdown("**When**")
# The booking this fill made still shows its own slot as free, so the pick (and with it the fill, the
# request key and the outcome) stays as it was: a double click or a rerun returns the same booking.
made = st.session_state.get("book_outcome", (None,))[0]
pick = slot_picker(svc, actor, expert_id, duration, key="book_slot", exclude_booking=made)

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
fill = (customer_id, new_customer, expert_id, session_type, pick, duration)
if st.session_state.get("book_fill") != fill:
    st.session_state["book_fill"] = fill
    st.session_state["book_key"] = str(uuid.uuid4())
    st.session_state.pop("book_outcome", None)

request = BookingRequest(
    expert_id=expert_id,
    session_type=session_type,
    scheduled_date=pick.day,  # type: ignore[arg-type] - None until a start is picked: the service says so
    scheduled_time=pick.at,  # type: ignore[arg-type]
    duration=duration,
    customer_id=customer_id,
    new_customer=new_customer,
    request_key=st.session_state["book_key"],
    override_reason=pick.override_reason,
)

# -- what will be booked -------------------------------------------------------------------
# Every value the button submits, read back from the very request it submits: whatever a
# widget shows, this is what gets booked.
with st.container(border=True, key="book_summary"):
    st.markdown("**What will be booked**")
    preview = None
    if new_customer is not None and not (new_customer.name.strip() or new_customer.email.strip()):
        st.caption("Fill in the new customer's name and email to see the booking here.")
    elif who == EXISTING and customer_id is None:
        st.caption("Find the customer above (or choose “New customer”) to see the booking here.")
    elif pick.at is None:
        st.caption("Pick a day and a free start time to see the booking here.")
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
        if preview.slot_override:
            st.warning(f"Not a free slot — booked anyway by ops: {escape_markdown(pick.override_reason or '')}",
                       icon=":material/warning:")
    submitted = st.button("Book and pay", type="primary", key="book_submit")

if submitted:
    try:
        outcome = svc.book_and_pay(request, actor=actor)
    except SlotUnavailable as exc:
        remember_refusal("book_slot", pick, exc)
    except CallExpertError as exc:
        show_error(exc)
    else:
        st.session_state["book_outcome"] = (outcome.booking.id, outcome.link_error, outcome.payment_error)
show_refusal(svc, actor, expert_id, "book_slot", pick)

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
