"""A booking as several pages draw it: its card and status badge, a row with one action, the Join
button, and the reschedule and cancel forms."""

from __future__ import annotations

import streamlit as st

from lib.access import Actor
from lib.domain import Booking, BookingStatus, Expert
from lib.errors import CallExpertError, SlotUnavailable
from lib.plaintext import escape_markdown
from lib.scheduling import Availability
from lib.service import BookingService
from lib.store import BookingInputs
from lib.timefmt import rupiah, when
from pages.ui.flash import flash, show_error
from pages.ui.slot_picker import remember_refusal, reset_picker, show_refusal, slot_picker, still_to_pick

_BADGE_COLORS = {
    BookingStatus.PENDING: "orange",
    BookingStatus.PAID: "blue",
    BookingStatus.CONFIRMED: "green",
    BookingStatus.CANCELLED: "red",
    BookingStatus.COMPLETED: "gray",
    BookingStatus.EXPIRED: "violet",
}


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


def reschedule_form(svc: BookingService, booking: Booking, actor: Actor, known: BookingInputs | None = None, *,
                    expert: Expert | None = None, availability: Availability | None = None) -> None:
    """A free start from the picker (the booking's own time counts as free; ops may give a time
    of their own with a reason) -> ``service.reschedule``; the meeting link stays. The button is
    enabled once a start is picked; until then the box says what to pick. For the picker, what the
    page read already: ``known`` (``service.booking_page``), or the booking's ``expert`` with
    ``availability`` (their hours)."""
    key = f"reschedule-{booking.id}"
    with st.container(border=True, key=f"{key}-box"):
        st.markdown("**Reschedule**")
        st.caption(f"Only the time moves: {escape_markdown(booking.session_type)}, {booking.duration} minutes and "
                   f"{rupiah(booking.price)} stay as booked.")
        pick = slot_picker(svc, actor, booking.expert_id, booking.duration, key=key, exclude_booking=booking.id,
                           around=booking.scheduled_date, known=known, expert=expert, availability=availability)
        missing = still_to_pick(pick)
        refused = False
        if missing:
            st.caption(f"{missing}.")
        elif pick.vanished or (pick.override and pick.override_reason):
            # Said before submitting: a picked start taken meanwhile is refused as such, with the
            # nearest free times; an ops time over another session is refused too; one only
            # outside the hours, notice or buffers moves with the reason kept.
            try:
                why = svc.preview_reschedule(booking.id, pick.day, pick.at, actor=actor,  # type: ignore[arg-type]
                                             override_reason=pick.override_reason)
            except SlotUnavailable as exc:
                remember_refusal(key, pick, exc)
                refused = True
            except CallExpertError as exc:
                st.warning(f"Not ready to reschedule: {escape_markdown(str(exc))}", icon=":material/edit:")
                refused = True
            else:
                target = when(pick.day, pick.at, svc.tz)  # type: ignore[arg-type]
                if why:
                    st.warning(f"Not a free slot: {escape_markdown(why)} Reschedule moves the session to {target} "
                               f"anyway, with your reason kept in the booking's history: "
                               f"“{escape_markdown(pick.override_reason)}”.", icon=":material/warning:")
                else:
                    st.caption(f"Moves the session to {target}.")
        elif pick.at is not None:
            st.caption(f"Moves the session to {when(pick.day, pick.at, svc.tz)}.")  # type: ignore[arg-type]
        blocked = bool(missing) or refused
        if st.button("Reschedule", key=f"reschedule-submit-{booking.id}", disabled=blocked) and not blocked:
            try:
                moved = svc.reschedule(booking.id, pick.day, pick.at, actor=actor,  # type: ignore[arg-type]
                                       override_reason=pick.override_reason)
            except SlotUnavailable as exc:
                remember_refusal(key, pick, exc)
            except CallExpertError as exc:
                show_error(exc)
            else:
                note = svc.calendar_note(booking.id, actor=actor)
                flash(("success", f"Moved to {when(moved.scheduled_date, moved.scheduled_time, svc.tz)}. "
                                  "The meeting link stays the same; both sides get an email."
                                  + (f" {note}" if note else "")))
                reset_picker(key)
                st.rerun()
        show_refusal(svc, actor, booking.expert_id, key, pick, known=known)


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
                note = svc.calendar_note(booking.id, actor=actor)
                flash(("success", f"{note} Both sides get an email." if note
                       else "The booking is cancelled; both sides get an email."))
                st.rerun()
