"""What several pages draw the same way: the service, a booking card, join links, the
reschedule and cancel forms, and one-shot messages that survive a rerun."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from lib.access import DEMO_OPS, Actor, Role, check_demo_mode_allowed, expert_actor, pages_for, resolve_actor
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
VIEW_AS = "view_as"  # the demo's "View as" widget key
OPS_VIEW = "__ops__"

# Every page of the console; which of them a person sees depends on their role (lib.access).
PAGES: dict[str, dict[str, str]] = {
    "book": dict(page="pages/book.py", title="Book a session", icon=":material/event_available:", url_path="book"),
    "confirmation": dict(page="pages/confirmation.py", title="Confirmation", icon=":material/task_alt:",
                         url_path="confirmation"),
    "my_sessions": dict(page="pages/my_sessions.py", title="My sessions", icon=":material/calendar_month:",
                        url_path="my-sessions"),
    "ops": dict(page="pages/ops.py", title="Ops", icon=":material/build:", url_path="ops"),
    "emails": dict(page="pages/emails.py", title="Emails", icon=":material/mail:", url_path="emails"),
}


@st.cache_resource(show_spinner=False)
def _service_for(settings: Settings) -> BookingService:
    # One service (and store connection pool) per distinct settings; no business data cached.
    return build_service(settings)


def settings() -> Settings:
    """The validated settings; stops the page with a clear message if they are wrong."""
    try:
        return load_settings()
    except CallExpertError as exc:
        st.error(f"The console cannot start: {exc}")
        st.stop()


def service() -> BookingService:
    """The booking service for the current settings; stops the page with a clear message if they are wrong."""
    try:
        return _service_for(settings())
    except CallExpertError as exc:
        st.error(f"The console cannot start: {exc}")
        st.stop()


def current_actor(svc: BookingService) -> Actor:
    """Who acts in this run: the signed-in person's role, or in demo mode the "View as" choice."""
    if svc.settings.sign_in:
        if not st.user.is_logged_in:
            return Actor(Role.NONE)
        return resolve_actor(st.user.get("email"), svc.settings.ops_email_list, svc.experts())
    choice = st.session_state.get(VIEW_AS, OPS_VIEW)
    expert = next((e for e in svc.experts() if e.id == choice), None)
    return expert_actor(expert) if expert else DEMO_OPS


def sign_in_gate() -> list[st.Page]:
    """Sign-in (or the demo banner and "View as"), then the pages this person may open.

    Always ends in a navigation list, even for a refused configuration or a visitor who is not
    signed in: without ``st.navigation`` Streamlit would fall back to listing every file in pages/.
    """
    try:
        config = load_settings()
        check_demo_mode_allowed(config)
    except CallExpertError as exc:
        return [_message_page("Cannot start", f"The console cannot start: {exc}")]
    svc = service()
    if config.sign_in:
        if not st.user.is_logged_in:
            return [st.Page(_sign_in_page, title="Sign in", icon=":material/login:", url_path="sign-in")]
        actor = current_actor(svc)
        st.sidebar.caption(f"Signed in as {actor.email or st.user.get('email', '')}")
        st.sidebar.button("Sign out", on_click=st.logout, key="sign-out")
        if actor.role is Role.NONE:
            return [st.Page(_no_access_page, title="No access", icon=":material/block:", url_path="no-access")]
    else:
        experts = svc.experts()
        names = {OPS_VIEW: "Ops", **{e.id: f"Expert: {e.name}" for e in experts}}
        st.sidebar.selectbox("View as", list(names), key=VIEW_AS, format_func=names.__getitem__)
        st.warning("Demo mode — no sign-in. Anyone with this address can use the console; "
                   "switch roles with “View as” in the sidebar.", icon=":material/science:")
        actor = current_actor(svc)
    return [st.Page(**PAGES[key]) for key in pages_for(actor)]


def _sign_in_page() -> None:
    st.title("CallExpert Console")
    st.write("Sign in with your work account to see your sessions.")
    st.button("Sign in", on_click=st.login, type="primary", key="sign-in")


def _no_access_page() -> None:
    st.title("No access")
    st.write("You are signed in as the address below, which is neither an ops account nor an expert's "
             "email. Ask ops to add it, or sign out and use another account.")
    st.code(st.user.get("email") or "(no email in your sign-in)", language=None)


def _message_page(title: str, message: str) -> st.Page:
    def page() -> None:
        st.title(title)
        st.error(message)

    return st.Page(page, title=title, icon=":material/error:", url_path="cannot-start")


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


def reschedule_form(svc: BookingService, booking: Booking, actor: Actor) -> None:
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
                moved = svc.reschedule(booking.id, day, at, actor=actor)
            except CallExpertError as exc:
                show_error(exc)
            else:
                flash(("success", f"Moved to {when(moved.scheduled_date, moved.scheduled_time, svc.tz)}. "
                                  "The meeting link stays the same; both sides get an email."))
                st.rerun()


def cancel_form(svc: BookingService, booking: Booking, actor: Actor) -> None:
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
                svc.cancel(booking.id, reason, actor=actor)
            except CallExpertError as exc:
                show_error(exc)
            else:
                flash(("success", "The booking is cancelled; both sides get an email."))
                st.rerun()
