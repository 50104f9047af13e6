"""The payment panel of a booking awaiting a payment the customer makes on the gateway's page
(Midtrans): pay link, "Check payment", and an automatic check while the page is open."""

from __future__ import annotations

import time
from datetime import timedelta

import streamlit as st

from lib.access import Actor
from lib.domain import Booking, BookingStatus
from lib.errors import CallExpertError
from lib.plaintext import escape_markdown
from lib.service import BookingService, PaymentCheck
from pages.ui.flash import flash, show_error

# While a page shows a booking awaiting a gateway payment, it asks the gateway this often;
# never more often per booking and session, whatever reruns the page.
AUTO_CHECK = timedelta(seconds=10)
CHECKED = "_payment_checked"  # session key prefix: monotonic time of a booking's last check


def payment_panel(svc: BookingService, booking: Booking, actor: Actor) -> None:
    """For a booking awaiting a payment the customer makes on the gateway's page (Midtrans):
    "Pay with Midtrans", "Check payment", and a check every 10 seconds while the page is open.
    With a gateway that settles at once (the demo) there is no page to check: only "Pay now".

    Nothing for a booking that is no longer pending, or for someone who is not staff (a check
    moves the booking on).
    """
    if booking.status is BookingStatus.EXPIRED and booking.payment_order_id and actor.is_staff:
        # A customer may have paid just as the booking expired: such money is flagged for a refund.
        if st.button("Check for a late payment", key=f"check-payment-{booking.id}"):
            check_payment(svc, booking.id, actor)
        return
    if booking.status is not BookingStatus.PENDING or not actor.is_staff:
        return
    if svc.route.pays_here:  # the demo: no payment page, no order to check
        _settle_now(svc, booking, actor)
        return
    gateway = svc.payments.name.title()
    if booking.payment_url:
        st.link_button(f"Pay with {gateway}", booking.payment_url, type="primary", icon=":material/payments:",
                       key=f"pay-{booking.id}")
        st.caption(f"{gateway}'s payment page ({svc.payments.label}); open it here or send it to the customer.")
    else:
        st.warning(f"No {gateway} payment page yet: the payment has not been started, or could not be.")
        if st.button("Start payment", key=f"start-payment-{booking.id}"):
            try:
                started = svc.start_payment(booking.id, actor=actor)
            except CallExpertError as exc:
                show_error(exc)
            else:  # a gateway that settles at once (the demo) has no page: the booking is paid
                flash(("success", f"The {gateway} payment page is ready." if started.payment_url
                       else f"Paid ({gateway}); the meeting link is created on the ops page."))
                st.rerun()
    if st.button("Check payment", key=f"check-payment-{booking.id}"):
        check_payment(svc, booking.id, actor)
    if booking.payment_order_id:
        _auto_check(svc, booking.id, actor)


def _settle_now(svc: BookingService, booking: Booking, actor: Actor) -> None:
    """A gateway that settles at once (the demo): one button that takes the payment."""
    st.caption(f"{escape_markdown(svc.payments.label)}: paying settles at once and moves no money.")
    if st.button("Pay now", type="primary", icon=":material/payments:", key=f"start-payment-{booking.id}"):
        try:
            svc.start_payment(booking.id, actor=actor)
        except CallExpertError as exc:
            show_error(exc)
        else:
            flash(("success", "Paid; the meeting link is created on the ops page."))
            st.rerun()


def check_payment(svc: BookingService, booking_id: str, actor: Actor) -> None:
    """Ask the gateway now; a booking that moved on reloads the page with the news."""
    st.session_state[f"{CHECKED}-{booking_id}"] = time.monotonic()
    try:
        result = svc.check_payment(booking_id, actor=actor)
    except CallExpertError as exc:
        show_error(exc)
        return
    if result.changed:
        _flash_check(result)
        st.rerun()
    (st.warning if result.needs_review else st.info)(escape_markdown(result.message))


def _flash_check(result: PaymentCheck) -> None:
    level = "warning" if result.booking.status is BookingStatus.CANCELLED else "success"
    messages = [(level, escape_markdown(result.message))]
    if result.link_error:
        messages.append(("warning", f"The meeting link is not ready yet: {escape_markdown(result.link_error)}"))
    flash(*messages)


@st.fragment(run_every=AUTO_CHECK)
def _auto_check(svc: BookingService, booking_id: str, actor: Actor) -> None:
    """The automatic check: reruns on its own every 10 s and asks the gateway when the last
    check of this booking (automatic or a click) is that old."""
    key = f"{CHECKED}-{booking_id}"
    now = time.monotonic()
    last = st.session_state.get(key)
    if last is None or now - last < AUTO_CHECK.total_seconds() * 0.8:
        st.session_state.setdefault(key, now)  # the first check comes one interval after the page opens
        st.caption("Checking the payment automatically every 10 seconds while this page is open.")
        return
    st.session_state[key] = now
    try:
        result = svc.check_payment(booking_id, actor=actor)
    except CallExpertError as exc:
        st.caption(f"Automatic check: {escape_markdown(str(exc))}")
        return
    if result.changed:
        _flash_check(result)
        st.rerun()
    st.caption(f"Checked automatically: {escape_markdown(result.message)}")
