"""The Availability page's "Session types" section: the expert's types as a table, which ops
edit (rows added, changed, removed) and save as a whole; an expert reads theirs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.access import Actor
from lib.domain import ALLOWED_DURATIONS, Expert, SessionType
from lib.errors import CallExpertError
from lib.plaintext import escape_markdown
from lib.service import BookingService
from lib.session_type_document import COLUMNS, from_rows, table_wording, to_rows
from pages.ui.flash import show_error

# A cell with no value (a fixed-price type's price per hour) is shown empty, not as "None".
EMPTY_CELL = ""
_CONFIG = {
    "id": None,  # kept with each row, never shown: a changed row stays the same type
    "English name": st.column_config.TextColumn(help="The name in the console and in English emails", max_chars=80),
    "Indonesian name": st.column_config.TextColumn(help="The name in Indonesian emails", max_chars=80),
    "Durations (minutes)": st.column_config.TextColumn(
        help=f"Lengths offered, e.g. 30, 60 (from {', '.join(map(str, ALLOWED_DURATIONS))})"),
    "Price per hour": st.column_config.NumberColumn(help="Rupiah per hour; leave empty for fixed prices",
                                                    min_value=0, step=1000, format="%d"),
    "Fixed prices": st.column_config.TextColumn(help="Instead of a price per hour: minutes: rupiah for each "
                                                "duration, e.g. 30: 150000"),
    "Description": st.column_config.TextColumn(max_chars=300),
    "Offered": st.column_config.CheckboxColumn(help="Off: retired, no longer offered (its bookings keep it)",
                                               default=True),
}


def session_types_section(svc: BookingService, actor: Actor, expert: Expert,
                          types: list[SessionType] | None = None) -> None:
    """The expert's session types: editable by ops (saved with one button), read-only otherwise.
    ``types``: the expert's types as already read in this run (read here when not given)."""
    st.subheader("Session types")
    if types is None:
        try:
            types = svc.session_types(expert.id, actor=actor)
        except CallExpertError as exc:
            show_error(exc)
            return
    table = pd.DataFrame(to_rows(types), columns=["id", *COLUMNS])
    if not actor.is_staff:
        st.caption("What customers can book with you, and its price. Ops change these; ask them for a change.")
        st.dataframe(table, column_config=_CONFIG, hide_index=True, width="stretch", key="types_view",
                     placeholder=EMPTY_CELL)
        return
    st.caption(f"What {escape_markdown(expert.name)} offers on the Book page: a name in each email language, "
               "the durations, and a price per hour or a fixed price per duration. Add a row for a new type; "
               "untick “Offered” (or delete the row) to stop offering one: its bookings keep it.")
    edited = st.data_editor(table, column_config=_CONFIG, hide_index=True, width="stretch", num_rows="dynamic",
                            key=f"types-{expert.id}", placeholder=EMPTY_CELL)
    rows = edited.to_dict("records")
    try:
        document = from_rows(rows)
    except CallExpertError as exc:
        show_error(exc)
        return
    changed = document != from_rows(table.to_dict("records"))  # blanks and 250000.0 read as typed
    if st.button("Save session types", key=f"types-{expert.id}-save", disabled=not changed):
        try:
            saved = svc.set_session_types(expert.id, document, actor=actor, words=table_wording(rows))
        except CallExpertError as exc:
            show_error(exc)
        else:
            offered = sum(t.active for t in saved)
            st.session_state.pop(f"types-{expert.id}", None)
            st.success(f"Saved {escape_markdown(expert.name)}'s session types: {offered} offered. New bookings "
                       "follow them; existing bookings keep the type, length and price they were booked with.")
    elif changed:
        st.caption("Not saved yet: the changes above take effect once saved.")
