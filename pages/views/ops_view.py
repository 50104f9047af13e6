"""Ops: today's numbers, the meeting provider's health, paid bookings without a link, the background
jobs' latest runs, and any booking's history, reschedule and cancel."""

import streamlit as st

from lib.display_tables import (
    attendance_text,
    booking_label,
    bookings_frame,
    calendar_work_text,
    history_frame,
    job_runs_frame,
    join_clicks_line,
    local_medium_when,
)
from lib.domain import ACTIVE_STATUSES, Booking, BookingStatus, EmailStatus
from lib.errors import CallExpertError
from lib.plaintext import escape_markdown
from lib.sections import sections_for
from pages.ui.booking_card import action_row, booking_card, cancel_form, reschedule_form
from pages.ui.customer_changes import customer_changes_section
from pages.ui.flash import flash, show_error, show_flash
from pages.ui.payment import check_payment
from pages.ui.run import page_context

context = page_context("ops")
svc, actor = context.service, context.actor
show = sections_for(svc.settings, svc.route.pays_here)  # only what the providers have
st.title("Ops")
show_flash()

# Every list below in one store call: the status and the booking picked further down are their
# widgets' values of this run (kept by Streamlit under their keys before the widgets are drawn).
view = svc.ops_view(st.session_state.get("ops-status"), st.session_state.get("ops-booking"), context.experts,
                    actor=actor)

# -- at a glance -------------------------------------------------------------------------
counts = view.counts
for col, (label, value) in zip(st.columns(4), [
    ("Today's sessions", counts.today),
    ("Awaiting payment", counts.awaiting_payment),
    ("Awaiting link", counts.awaiting_link),
    ("Emails not sent", counts.emails_not_sent),
], strict=True):
    col.metric(label, value)

health = svc.meeting_health(actor=actor)
(st.success if health.ok else st.error)(f"Meeting provider: {escape_markdown(health.summary)}")
if health.detail:
    st.caption(escape_markdown(health.detail))
budget = svc.request_budget(actor=actor) if show.google else None
if budget is not None:  # numbers only: the gauge shows nothing anyone typed
    st.progress(min(budget.used / budget.limit, 1.0),
                text=f"Google Calendar requests in the last minute: {budget.used} / {budget.limit}"
                     " (every process together)")

# -- awaiting a gateway payment for too long (a gateway with a payment page; while there are any) --
stuck = svc.stuck_pending(actor=actor) if show.gateway_payments else []
if stuck:
    st.subheader(f"Awaiting payment for more than {svc.settings.midtrans.pending_alert_minutes} minutes")
    for b in stuck:
        booked = local_medium_when(b.created_at, svc.tz) if b.created_at else "unknown"
        if action_row(f"**{escape_markdown(booking_label(b))}**  \nBooked {booked} · "
                      f"Order: {escape_markdown(b.payment_order_id or 'none started')}"
                      f" · Attempts: {b.payment_attempts}", "Check payment", key=f"ops-check-payment-{b.id}"):
            check_payment(svc, b.id, actor)

# -- paid, awaiting a link ------------------------------------------------------------------
st.subheader("Paid, awaiting a link")
missing = view.missing
if not missing:
    st.success("Every paid booking has its meeting link.")
for b in missing:
    if action_row(f"**{escape_markdown(booking_label(b))}**  \nAttempts: {b.link_attempts}"
                  + (f" · Last error: {escape_markdown(b.last_error)}" if b.last_error else ""), "Create link",
                  key=f"create-link-{b.id}"):
        try:
            done = svc.create_link(b.id, actor=actor)
        except CallExpertError as exc:
            show_error(exc)
        else:
            flash(("success", f"Link created for {escape_markdown(booking_label(done))}."))
            st.rerun()

if missing and st.button("Create all missing links", type="primary", key="create-all-links"):
    bar = st.progress(0.0, text=f"0/{len(missing)} ...")

    def step(done: int, total: int, booking: Booking) -> None:
        bar.progress(done / total, text=f"{done}/{total} {escape_markdown(booking.customer_name)} with "
                                        f"{escape_markdown(booking.expert_name)}")

    result = svc.create_missing_links(progress=step, actor=actor)
    messages = [("success", f"{len(result.confirmed)} confirmed.")]
    if result.skipped:
        messages.append(("info", f"{len(result.skipped)} skipped (already confirmed, cancelled, or in progress)."))
    labels = {b.id: booking_label(b) for b in missing}
    messages += [("error", f"Failed: {escape_markdown(labels.get(i, i))} — {escape_markdown(reason)}")
                 for i, reason in result.failed.items()]
    flash(*messages)
    st.rerun()

with st.form("paste-link"):
    st.markdown("**Paste a link by hand** (e.g. while the meeting provider is down)")
    waiting = {b.id: b for b in missing}
    paste_id = st.selectbox("Booking", list(waiting), format_func=lambda i: booking_label(waiting[i]),
                            key="paste-booking", placeholder="No paid booking is waiting for a link")
    url = st.text_input("Meeting link", placeholder=show.link_example, key="paste-url")
    if st.form_submit_button("Save link", key="paste-submit", disabled=not missing):
        try:
            done = svc.set_link_manually(paste_id, url, actor=actor)
        except CallExpertError as exc:
            show_error(exc)
        else:
            flash(("success", f"Link saved for {escape_markdown(booking_label(done))}; the emails are on their way."))
            st.rerun()

# -- calendar changes Google has not carried out for too long (Google only; while there are any) --
late_changes = svc.calendar_waiting(actor=actor) if show.google else []
if late_changes:
    st.subheader(f"Calendar changes waiting more than {svc.settings.calendar_alert_minutes} minutes")
    st.caption("The booking has changed; its Google Calendar event is brought in line by the worker, "
               "which keeps retrying.")
    for change in late_changes:
        w, b = change.work, change.booking
        label = booking_label(b) if b is not None else w.booking_id
        if action_row(f"**{escape_markdown(label)}**  \n{escape_markdown(calendar_work_text(w, svc.tz))}",
                      "Retry now", key=f"calendar-retry-{w.booking_id}"):
            try:
                done = svc.retry_calendar_now(w.booking_id, actor=actor)
            except CallExpertError as exc:
                show_error(exc)
            else:
                flash(("success", f"The calendar now matches {escape_markdown(label)}.") if done else
                      ("info", f"Google did not take the change for {escape_markdown(label)} yet; "
                               "the worker keeps retrying."))
                st.rerun()

# -- failed emails --------------------------------------------------------------------------
failed = view.failed_emails
if failed:
    st.subheader("Emails that failed")
    for e in failed:
        if action_row(f"**{escape_markdown(e.recipient)}** — {escape_markdown(e.subject)}  \n"
                      f"Attempts: {e.attempts} · {escape_markdown(e.last_error or '')}",
                      "Resend", key=f"resend-{e.id}"):
            try:
                again = svc.resend_email(e.id, actor=actor)
            except CallExpertError as exc:
                show_error(exc)
            else:
                flash(("success" if again.status is EmailStatus.SENT else "info",
                       f"Email to {escape_markdown(again.recipient)}: {again.status.value}."))
                st.rerun()

# -- customers' own changes (self-service links) and the refunds owed ---------------------------
customer_changes_section(svc, actor, view.changes)

# -- background jobs: each one's latest run, by whichever worker ------------------------------
st.subheader("Background jobs")
runs = view.job_runs
if runs:
    st.dataframe(job_runs_frame(runs, svc.tz), hide_index=True)
else:
    st.info("No worker has run yet: start one with `python -m lib worker` (see docs/operations.md).")

# -- recent bookings ------------------------------------------------------------------------
st.subheader("Recent bookings")
st.selectbox("Status", [None, *BookingStatus], key="ops-status",
             format_func=lambda s: "All" if s is None else s.label)
recent = view.recent  # of the status above: the widget's value was read before the call
# Sized to fit the page beside the sidebar on a 1366 px screen: every column in view, long
# texts cut with an ellipsis in their cell (the booking below shows them whole).
st.dataframe(bookings_frame(recent, svc.tz), hide_index=True, width="stretch", column_config={
    "When": st.column_config.TextColumn("When", width=180),
    "Session": st.column_config.TextColumn("Session", width=120),
    "Expert": st.column_config.TextColumn("Expert", width=125),
    "Customer": st.column_config.TextColumn("Customer", width=105),
    "Minutes": st.column_config.NumberColumn("Min", width=42, help="Minutes"),
    "Price": st.column_config.TextColumn("Price", width=85),
    "Status": st.column_config.TextColumn("Status", width=120),
    "Meeting link": st.column_config.LinkColumn("Link", display_text="Open", width=45, help="The meeting link"),
    "Booking id": st.column_config.TextColumn("Booking id", width=75, help="The whole id is in the booking below"),
})

# -- one booking ------------------------------------------------------------------------------
st.subheader("One booking")
if not recent:
    st.info("No bookings with this status.")
    st.stop()
by_id = {b.id: b for b in recent}
if view.chosen is not None:  # the one read whole (a pick no longer listed falls back to the newest)
    st.session_state["ops-booking"] = view.chosen.id
chosen = by_id[st.selectbox("Booking", list(by_id), format_func=lambda i: booking_label(by_id[i]),
                            key="ops-booking")]
booking_card(chosen, svc)
if show.google:
    st.text(attendance_text(svc.attendance(chosen.id, actor=actor), svc.tz))  # text: names are never Markdown
with st.expander("History"):
    st.dataframe(history_frame(view.history, svc.tz), hide_index=True)
if show.join_clicks:  # clicks are counted only through the redirect
    st.caption(join_clicks_line(svc.join_clicks(chosen.id, actor=actor), svc.tz))
if chosen.status in ACTIVE_STATUSES:
    left, right = st.columns(2)
    with left:
        reschedule_form(svc, chosen, actor, expert=view.expert, availability=view.availability)
    with right:
        cancel_form(svc, chosen, actor)
