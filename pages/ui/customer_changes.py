"""The Ops page's section on customers' own changes (self-service links in their emails): each
booking a customer moved or cancelled lately, and the refunds owed for paid bookings they
cancelled, started through the payment gateway (Midtrans) or recorded as paid back by hand."""

from __future__ import annotations

import streamlit as st

from lib.access import Actor
from lib.display_tables import booking_label
from lib.errors import CallExpertError
from lib.plaintext import escape_markdown
from lib.self_service_policy import Refund, change_line
from lib.service import BookingService
from lib.service.self_service import CustomerChange
from pages.ui.booking_card import action_row
from pages.ui.flash import flash, show_error


def customer_changes_section(svc: BookingService, actor: Actor, changes: list[CustomerChange] | None = None) -> None:
    """Draw the section when there is anything to show (nothing at all without self-service).
    ``changes``: the customers' changes as already read in this run (read here when not given)."""
    if changes is None:
        changes = svc.customer_changes(actor=actor)
    if not changes:
        return
    st.subheader("Changed by customers")
    due = sum(1 for c in changes if c.record.refund is Refund.DUE)
    st.caption(f"The last 30 days' changes customers made from their emails; {due} refund"
               f"{'s' if due != 1 else ''} due.")
    for change in changes:
        b, record = change.booking, change.record
        text = f"**{escape_markdown(booking_label(b))}**  \n{escape_markdown(change_line(record, svc.tz))}"
        if record.refund is not Refund.DUE:
            with st.container(border=True):
                st.markdown(text)
        elif svc.gateway_refunds:
            if action_row(text, "Start refund", key=f"start-refund-{b.id}"):
                try:
                    svc.start_refund(b.id, actor=actor)
                except CallExpertError as exc:
                    show_error(exc)
                else:
                    flash(("success", f"Refund started for {escape_markdown(booking_label(b))}."))
                    st.rerun()
        else:
            with st.form(f"record-refund-{b.id}", border=True):
                st.markdown(text)
                note = st.text_input("How it was paid back", key=f"refund-note-{b.id}",
                                     placeholder="e.g. bank transfer, 7 Dec")
                if st.form_submit_button("Record refund"):
                    try:
                        svc.record_refund(b.id, note, actor=actor)
                    except CallExpertError as exc:
                        show_error(exc)
                    else:
                        flash(("success", f"Refund recorded for {escape_markdown(booking_label(b))}."))
                        st.rerun()
