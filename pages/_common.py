"""What several pages draw the same way: the service, a booking card, join links, the
reschedule and cancel forms, and one-shot messages that survive a rerun."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from lib.access import DEMO_OPS, SYSTEM, Actor, Role, check_demo_mode_allowed, expert_actor, pages_for, resolve_actor
from lib.config import Settings, load_settings
from lib.domain import Booking, BookingStatus
from lib.errors import CallExpertError
from lib.plaintext import escape_markdown
from lib.service import BookingService, PaymentCheck
from lib.timefmt import rupiah, when
from lib.wiring import build_service

_BADGE_COLORS = {
    BookingStatus.PENDING: "orange",
    BookingStatus.PAID: "blue",
    BookingStatus.CONFIRMED: "green",
    BookingStatus.CANCELLED: "red",
    BookingStatus.COMPLETED: "gray",
    BookingStatus.EXPIRED: "violet",
}
_FLASH = "_flash"
STEP = timedelta(minutes=15)
VIEW_AS = "view_as"  # the demo's "View as" widget key
# Set by the gate in app.py and taken by the page it then runs, in the same script run (one thread).
_gate = threading.local()
# While a page shows a booking awaiting a gateway payment, it asks the gateway this often;
# never more often per booking and session, whatever reruns the page.
AUTO_CHECK = timedelta(seconds=10)
CHECKED = "_payment_checked"  # session key prefix: monotonic time of a booking's last check
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
        if not st.user.get("is_logged_in", False):
            return Actor(Role.NONE)
        return resolve_actor(st.user.get("email"), svc.settings.ops_email_list, svc.experts(actor=SYSTEM),
                             email_verified=st.user.get("email_verified"),
                             trust_missing_claim=svc.settings.trust_email_without_verified_claim)
    choice = st.session_state.get(VIEW_AS, OPS_VIEW)
    expert = next((e for e in svc.experts(actor=SYSTEM) if e.id == choice), None)
    return expert_actor(expert) if expert else DEMO_OPS


def sign_in_gate() -> list[st.Page]:
    """Sign-in (or the demo banner and "View as"), then the pages this person may open.

    Always ends in a navigation list, even for a refused configuration or a visitor who is not
    signed in, so Streamlit never falls back to listing the files of pages/ as pages.
    """
    _gate.passed = True
    actor, screen = _resolve_gate()
    if screen is not None:
        return [st.Page(screen.draw, title=screen.title, icon=screen.icon, url_path=screen.url_path)]
    return [st.Page(**PAGES[key]) for key in pages_for(actor)]


@dataclass(frozen=True)
class _Screen:
    """What someone who may not go on sees instead of the console."""

    draw: Callable[[], None]
    title: str
    icon: str
    url_path: str


def _resolve_gate() -> tuple[Actor, _Screen | None]:
    """The acting person, or None and the page to show instead (sign in, no access, cannot start)."""
    try:
        config = load_settings()
        check_demo_mode_allowed(config)
    except CallExpertError as exc:
        message = f"The console cannot start: {exc}"
        return Actor(Role.NONE), _Screen(lambda: _message_screen(message), "Cannot start", ":material/error:",
                                         "cannot-start")
    svc = service()
    if config.sign_in:
        if not st.user.get("is_logged_in", False):
            return Actor(Role.NONE), _Screen(_sign_in_page, "Sign in", ":material/login:", "sign-in")
        actor = current_actor(svc)
        st.sidebar.text(f"Signed in as {actor.email or st.user.get('email', '')}")  # text: never Markdown
        st.sidebar.button("Sign out", on_click=st.logout, key="sign-out")
        if actor.unverified:
            return actor, _Screen(_unverified_page, "Email not verified", ":material/mark_email_unread:", "email-not-verified")
        if actor.role is Role.NONE:
            return actor, _Screen(_no_access_page, "No access", ":material/block:", "no-access")
        return actor, None
    experts = svc.experts(actor=SYSTEM)
    names = {OPS_VIEW: "Ops", **{e.id: f"Expert: {e.name}" for e in experts}}
    st.sidebar.selectbox("View as", list(names), key=VIEW_AS, format_func=names.__getitem__)
    st.warning("Demo mode — no sign-in. Anyone with this address can use the console; "
               "switch roles with “View as” in the sidebar.", icon=":material/science:")
    return current_actor(svc), None


def page_context(key: str) -> tuple[BookingService, Actor]:
    """The service and the acting person for page ``key``; every page starts with this.

    With a ``pages/`` folder next to app.py, Streamlit runs a page file directly, without
    app.py and its gate, until app.py has called ``st.navigation`` once in the process: the
    first visitor after a restart who opens a deep link (``/ops``) lands here that way. Such a
    run goes through the same gate here, and ends that folder mode for the process as
    ``st.navigation`` would. Every page then checks that the role may open it.
    """
    passed, _gate.passed = getattr(_gate, "passed", False), False
    if passed:
        svc = service()
        actor = current_actor(svc)
    else:
        PagesManager.uses_pages_directory = False  # what st.navigation does: later runs start at app.py
        gate_actor, screen = _resolve_gate()
        if screen is not None:
            screen.draw()
            st.stop()
        svc, actor = service(), gate_actor
    if key not in pages_for(actor):
        st.error("This page is not available to you.")
        st.stop()
    return svc, actor


def _sign_in_page() -> None:
    st.title("CallExpert Console")
    st.write("Sign in with your work account to see your sessions.")
    st.button("Sign in", on_click=st.login, type="primary", key="sign-in")


def _no_access_page() -> None:
    st.title("No access")
    st.write("You are signed in as the address below, which is neither an ops account nor an expert's "
             "email. Ask ops to add it, or sign out and use another account.")
    st.code(st.user.get("email") or "(no email in your sign-in)", language=None)


def _unverified_page() -> None:
    st.title("Email not verified")
    if st.user.get("email_verified") is None:
        reason = ("Your identity provider did not say whether it has verified the address below, so the "
                  "console cannot tell that it is really yours.")
    else:
        reason = "Your identity provider says it has not verified the address below."
    st.write(f"{reason} Only a verified address can open the console as ops or as an expert.")
    st.write("Verify the address with your identity provider (follow the link in its verification email, "
             "or ask its administrator), then sign out and sign in again.")
    st.code(st.user.get("email") or "(no email in your sign-in)", language=None)


def _message_screen(message: str) -> None:
    st.title("Cannot start")
    st.error(message)


def show_error(exc: CallExpertError) -> None:
    """A refused action, in the service's own words; they may quote what someone typed, so as text."""
    st.error(escape_markdown(str(exc)))


def flash(*messages: tuple[str, str]) -> None:
    """Keep ``(level, text)`` messages for the next run (after ``st.rerun``); level is success/info/error.

    ``text`` is Markdown: pass typed values through ``escape_markdown``."""
    st.session_state[_FLASH] = list(messages)


def show_flash() -> None:
    """Draw and forget the messages kept by ``flash``."""
    for level, text in st.session_state.pop(_FLASH, []):
        getattr(st, level)(text)


def status_badge(status: BookingStatus) -> None:
    st.badge(status.label, color=_BADGE_COLORS[status])


def action_row(text: str, button: str, key: str) -> bool:
    """A bordered row: markdown ``text`` (typed values escaped by the caller) with one ``button`` on its
    right; True when pressed."""
    with st.container(border=True):
        info, action = st.columns([4, 1])
        info.markdown(text)
        return action.button(button, key=key)


def join_button(url: str, key: str | None = None) -> None:
    """The meeting link as a button that opens a new tab."""
    st.link_button("Join meeting", url, type="primary", icon=":material/videocam:", key=key)


def booking_card(booking: Booking, svc: BookingService) -> None:
    """The facts of one booking, times in the app timezone."""
    with st.container(border=True):
        st.markdown(f"### {escape_markdown(booking.session_type)}")
        status_badge(booking.status)
        left, right = st.columns(2)
        left.markdown(f"**Expert:** {escape_markdown(booking.expert_name)}  \n"
                      f"**Customer:** {escape_markdown(booking.customer_name)}")
        left.markdown(f"**When:** {when(booking.scheduled_date, booking.scheduled_time, svc.tz)}")
        right.markdown(f"**Duration:** {booking.duration} minutes  \n**Price:** {rupiah(booking.price)}")
        right.caption(f"Booking id: {escape_markdown(booking.id)}")
        if booking.status is BookingStatus.CANCELLED and booking.cancel_reason:
            st.caption(f"Cancelled: {escape_markdown(booking.cancel_reason)}")
        if booking.payment_order_id:
            st.caption(f"Payment order: {escape_markdown(booking.payment_order_id)} "
                       f"(attempt {booking.payment_attempts})")


def payment_panel(svc: BookingService, booking: Booking, actor: Actor) -> None:
    """For a booking awaiting a payment the customer makes on the gateway's page (Midtrans):
    "Pay with Midtrans", "Check payment", and a check every 10 seconds while the page is open.

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


def reschedule_form(svc: BookingService, booking: Booking, actor: Actor) -> None:
    """New date and time -> ``service.reschedule``; the meeting link stays."""
    today = svc.today()
    with st.form(f"reschedule-{booking.id}"):
        st.markdown("**Reschedule**")
        left, right = st.columns(2)
        # No min_value: a typed past date must reach the service and be refused, not be replaced.
        day = left.date_input("New date", value=max(booking.scheduled_date, today),
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
                svc.cancel(booking.id, reason=reason, actor=actor)
            except CallExpertError as exc:
                show_error(exc)
            else:
                flash(("success", "The booking is cancelled; both sides get an email."))
                st.rerun()
