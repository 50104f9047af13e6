"""What several pages draw the same way: the service, a booking card, join links, the
reschedule and cancel forms, and one-shot messages that survive a rerun."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from lib.booking import BookingService
from lib.config import Settings, load_settings
from lib.domain import Booking, BookingStatus
from lib.errors import CallExpertError
from lib.timefmt import rupiah, when
from lib.wiring import build_service

_BADGE_COLORS = {
    BookingStatus.PENDING: "orange",
    BookingStatus.PAID: "blue",
    BookingStatus.CONFIRMED: "green",
    BookingStatus.CANCELLED: "red",
    BookingStatus.COMPLETED: "gray",
}
_FLASH = "_flash"
STEP = timedelta(minutes=15)


@st.cache_resource(show_spinner=False)
def _service_for(settings: Settings) -> BookingService:
    # One service (and store connection pool) per distinct settings; no business data cached.
    return build_service(settings)


def service() -> BookingService:
    """The booking service for the current settings; stops the page with a clear message if they are wrong."""
    try:
        return _service_for(load_settings())
    except CallExpertError as exc:
        st.error(f"The console cannot start: {exc}")
        st.stop()


def show_error(exc: CallExpertError) -> None:
    """A refused action, in the service's own words."""
    st.error(str(exc))


def flash(*messages: tuple[str, str]) -> None:
    """Keep ``(level, text)`` messages for the next run (after ``st.rerun``); level is success/info/error."""
    st.session_state[_FLASH] = list(messages)


def show_flash() -> None:
    """Draw and forget the messages kept by ``flash``."""
    for level, text in st.session_state.pop(_FLASH, []):
        getattr(st, level)(text)


def status_badge(status: BookingStatus) -> None:
    st.badge(status.label, color=_BADGE_COLORS[status])


def join_button(url: str, key: str | None = None) -> None:
    """The meeting link as a button that opens a new tab."""
    st.link_button("Join meeting", url, type="primary", icon=":material/videocam:", key=key)


def booking_card(booking: Booking, svc: BookingService) -> None:
    """The facts of one booking, times in the app timezone."""
    with st.container(border=True):
        st.markdown(f"### {booking.session_type}")
        status_badge(booking.status)
        left, right = st.columns(2)
        left.markdown(f"**Expert:** {booking.expert_name}  \n**Customer:** {booking.customer_name}")
        left.markdown(f"**When:** {when(booking.scheduled_date, booking.scheduled_time, svc.tz)}")
        right.markdown(f"**Duration:** {booking.duration} minutes  \n**Price:** {rupiah(booking.price)}")
        right.caption(f"Booking id: {booking.id}")
        if booking.status is BookingStatus.CANCELLED and booking.cancel_reason:
            st.caption(f"Cancelled: {booking.cancel_reason}")


def reschedule_form(svc: BookingService, booking: Booking) -> None:
    """New date and time -> ``service.reschedule``; the meeting link stays."""
    today = svc.today()
    with st.form(f"reschedule-{booking.id}"):
        st.markdown("**Reschedule**")
        left, right = st.columns(2)
        day = left.date_input("New date", value=max(booking.scheduled_date, today), min_value=today,
                              key=f"reschedule-date-{booking.id}")
        at = right.time_input("New start time", value=booking.scheduled_time, step=STEP,
                              key=f"reschedule-time-{booking.id}")
        if st.form_submit_button("Reschedule", key=f"reschedule-submit-{booking.id}"):
            try:
                moved = svc.reschedule(booking.id, day, at, actor="ops")
            except CallExpertError as exc:
                show_error(exc)
            else:
                flash(("success", f"Moved to {when(moved.scheduled_date, moved.scheduled_time, svc.tz)}. "
                                  "The meeting link stays the same; both sides get an email."))
                st.rerun()


def cancel_form(svc: BookingService, booking: Booking) -> None:
    """Reason and a confirming tick -> ``service.cancel``."""
    with st.form(f"cancel-{booking.id}"):
        st.markdown("**Cancel**")
        reason = st.text_input("Reason", value="Cancelled by ops", key=f"cancel-reason-{booking.id}")
        sure = st.checkbox("Yes, cancel this session", key=f"cancel-sure-{booking.id}")
        if st.form_submit_button("Cancel booking", key=f"cancel-submit-{booking.id}"):
            if not sure:
                st.error("Tick “Yes, cancel this session” to confirm.")
                return
            try:
                svc.cancel(booking.id, reason, actor="ops")
            except CallExpertError as exc:
                show_error(exc)
            else:
                flash(("success", "The booking is cancelled; both sides get an email."))
                st.rerun()
