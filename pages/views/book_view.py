"""Book a session: customer (found by a search, or new), expert, one of that expert's session
types and one of its durations, then a free slot from the picker -> book and pay -> the meeting link.

With Midtrans the booking waits for the customer's payment on Midtrans's page: the outcome
shows "Pay with Midtrans" and "Check payment", and checks by itself while the page is open.
"""

import uuid

import streamlit as st

from lib.book_form import missing_parts
from lib.domain import DEFAULT_DURATION, BookingRequest, BookingStatus, NewCustomer
from lib.errors import CallExpertError, SlotUnavailable
from lib.plaintext import escape_markdown
from lib.session_type_document import price_words
from lib.slot_choices import WINDOW_DAYS
from lib.timefmt import rupiah, when
from pages.ui.booking_card import join_button
from pages.ui.flash import show_error, show_flash
from pages.ui.payment import payment_panel
from pages.ui.registry import BY_KEY
from pages.ui.run import page_context
from pages.ui.slot_picker import (
    forget_start,
    remember_refusal,
    reset_picker,
    show_refusal,
    slot_picker,
    window_start,
)

EXISTING, NEW = "existing", "new"
SLOT = "book_slot"  # the picker's keys
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
                         format_func=lambda i: f"{experts[i].name} — {experts[i].expertise}")
# One read of what the form draws of this expert (their types, hours and the bookings of the days
# the picker opens on); the parts below draw from it.
try:
    desk = svc.booking_desk(expert_id, window_start(svc, SLOT), WINDOW_DAYS, actor=actor, customer_id=customer_id)
except CallExpertError as exc:
    show_error(exc)
    desk = None
# Only this expert's types that can be booked, then only the lengths the chosen one offers.
try:
    offered = {t.id: t for t in svc.session_types(expert_id, actor=actor, active_only=True, known=desk)}
except CallExpertError as exc:
    show_error(exc)
    offered = {}
if not offered:
    st.info(f"{escape_markdown(experts[expert_id].name)} offers no session types yet; ops add them on the "
            "Availability page.", icon=":material/info:")
    st.stop()
if st.session_state.get("book_session_type") not in offered:  # another expert's type: start from the first
    st.session_state["book_session_type"] = next(iter(offered))
type_col, duration_col = st.columns(2)
type_id = type_col.selectbox("Session type", list(offered), key="book_session_type",
                             format_func=lambda i: offered[i].name())
kind = offered[type_id]
lengths = list(kind.durations)
if st.session_state.get("book_duration") not in lengths:  # another type's length: start from this one's
    st.session_state["book_duration"] = DEFAULT_DURATION if DEFAULT_DURATION in lengths else lengths[0]
duration = duration_col.selectbox("Duration (minutes)", lengths, key="book_duration")
st.caption(" · ".join(part for part in (price_words(kind), kind.description) if part))

# -- when: only free starts, from the same rules the booking is checked by -----------------------
st.markdown("**When**")
pick = slot_picker(svc, actor, expert_id, duration, key=SLOT, known=desk)

# -- price -----------------------------------------------------------------------------
try:
    st.metric("Price", rupiah(svc.quote(expert_id, duration, type_id, actor=actor, known=desk)))
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
fill = (customer_id, new_customer, expert_id, type_id, pick, duration)
if st.session_state.get("book_fill") != fill:
    st.session_state["book_fill"] = fill
    st.session_state["book_key"] = str(uuid.uuid4())

request = BookingRequest(
    expert_id=expert_id,
    session_type=kind.name(),
    session_type_id=type_id,
    scheduled_date=pick.day,  # type: ignore[arg-type] - None until a start is picked: the service says so
    scheduled_time=pick.at,  # type: ignore[arg-type]
    duration=duration,
    customer_id=customer_id,
    new_customer=new_customer,
    request_key=st.session_state["book_key"],
    override_reason=pick.override_reason,
)
missing = missing_parts(customer_id=customer_id, new_customer=new_customer,
                        day=pick.day if pick.override else pick.chosen_day, at=pick.at)
booked = "book_outcome" in st.session_state

# -- what will be booked -------------------------------------------------------------------
# Every value the button submits, read back from the very request it submits: whatever a
# widget shows, this is what gets booked. The button is enabled only when the service would
# book it; until then the box says what is missing, or why the service refuses it.
with st.container(border=True, key="book_summary"):
    st.markdown("**What will be booked**")
    preview = None
    if missing:
        if booked:
            st.caption("Booked: see below. To book again, pick a new start time; "
                       "“Book another” starts over with an empty form.")
        st.caption("Book and pay is enabled once you:")
        st.markdown("\n".join(f"- {part}." for part in missing))
    else:
        try:
            preview = svc.preview_booking(request, actor=actor, known=desk)
        except SlotUnavailable as exc:  # shown below with its nearest free times
            remember_refusal(SLOT, pick, exc)
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
        if preview.slot_override_why:
            st.warning(f"Not a free slot: {escape_markdown(preview.slot_override_why)} Book and pay books it "
                       f"anyway, with your reason kept in the booking's history: "
                       f"“{escape_markdown(pick.override_reason or '')}”.", icon=":material/warning:")
    elif not missing:
        show_refusal(svc, actor, expert_id, SLOT, pick, known=desk)
    submitted = st.button("Book and pay", type="primary", key="book_submit", disabled=preview is None)

if submitted and preview is not None:  # a click queued before the button was disabled books nothing
    try:
        outcome = svc.book_and_pay(request, actor=actor)
    except SlotUnavailable as exc:
        remember_refusal(SLOT, pick, exc)
        st.rerun()  # the box above says why, with the nearest free times
    except CallExpertError as exc:
        show_error(exc)
    else:
        st.session_state["book_outcome"] = (outcome.booking.id, outcome.link_error, outcome.payment_error)
        forget_start(SLOT)
        st.rerun()  # the picker is read again: the booked start is gone and its day counts one fewer


def book_another() -> None:
    """Start over: an empty customer, no pick, no result (the expert, type and duration stay)."""
    for name in ("book_outcome", "book_fill", "book_key", "book_customer"):
        st.session_state.pop(name, None)
    st.session_state.update({"book_who": EXISTING, "book_customer_q": "", "book_name": "", "book_email": "",
                             f"{SLOT}-override": False, f"{SLOT}-override-reason": ""})
    reset_picker(SLOT)


# -- outcome (kept until the next booking or "Book another") -----------------------------------
if booked:
    booking_id, link_error, payment_error = st.session_state["book_outcome"]
    booking = svc.get_booking(booking_id, actor=actor)
    what = (f"{escape_markdown(booking.session_type)} with {escape_markdown(booking.expert_name)} for "
            f"{escape_markdown(booking.customer_name)}, "
            f"{when(booking.scheduled_date, booking.scheduled_time, svc.tz)}, {rupiah(booking.price)}")
    with st.container(border=True, key="book_result"):
        if booking.status is BookingStatus.PENDING:
            st.info(f"Booked, awaiting payment: {what}. The meeting link follows once the payment settles.")
            if payment_error and not booking.payment_url:
                st.error(f"The payment could not be started: {escape_markdown(payment_error)}")
            payment_panel(svc, booking, actor)
        elif booking.status in (BookingStatus.PAID, BookingStatus.CONFIRMED):
            st.success(f"Booked and paid: {what}.")
        else:  # cancelled elsewhere, or its payment failed
            reason = f" ({escape_markdown(booking.cancel_reason)})" if booking.cancel_reason else ""
            st.warning(f"This booking is {booking.status.label.lower()}{reason}: {what}.")
        if booking.meeting_link and booking.status is BookingStatus.CONFIRMED:
            join_button(booking.meeting_link)
            st.code(booking.meeting_link, language=None)
        elif booking.status is BookingStatus.PAID:
            st.warning(f"Paid — the meeting link is not ready yet: "
                       f"{escape_markdown(link_error or booking.last_error or 'pending')}; "
                       "ops will create it.")
        with st.container(horizontal=True, vertical_alignment="center", key="book_result_actions"):
            st.page_link(BY_KEY["confirmation"].script, label="Open this booking", icon=":material/task_alt:",
                         query_params={"booking": booking.id})
            st.button("Book another", key="book_another", icon=":material/add:", on_click=book_another)
