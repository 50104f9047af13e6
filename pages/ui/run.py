"""The service, settings and acting person of one script run, worked out once by the gate in app.py
and handed to the page it runs."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lib.access import Actor
from lib.config import Settings
from lib.domain import Expert
from lib.service import BookingService
from lib.wiring import build_console_service
from pages.ui.registry import pages_for

_CONTEXT = "_run_context"  # session key, written by app.py at the start of every run


@dataclass(frozen=True)
class RunContext:
    """What a page needs from the gate: read once per run, not again by each page or helper.

    ``experts`` is the experts list the gate read to work out who is acting; pages show it
    instead of asking the store again in the same run.
    """

    service: BookingService
    actor: Actor
    settings: Settings
    experts: tuple[Expert, ...]

    def may_open(self, key: str) -> bool:
        return key in pages_for(self.actor)


# Streamlit hashes a pydantic model through its JSON, where every secret reads "**********": settings
# that differ only in a key would share a service. The model's own hash covers the keys' values.
@st.cache_resource(show_spinner=False, hash_funcs={Settings: hash})
def service_for(settings: Settings) -> BookingService:
    """One service (and store connection pool) per distinct settings; no business data cached
    (a fresh embedded database gets its demo bookings in the background: ``build_console_service``)."""
    return build_console_service(settings)


def hand_over(context: RunContext | None) -> None:
    """Give the page this run's context (none for a visitor the gate stopped).

    app.py calls this on every run before ``st.navigation`` runs a page, so a page always sees
    what this run's gate decided, never an earlier run's.
    """
    st.session_state[_CONTEXT] = context


def page_context(key: str) -> RunContext:
    """The run's context for page ``key``; every page starts with this.

    A page script run any other way than through app.py (so without its sign-in gate) shows a
    message and stops; so does a page the acting person's role may not open.
    """
    context = st.session_state.get(_CONTEXT)
    if not isinstance(context, RunContext):
        st.error("This page opens only through the console's own address, which signs you in first.")
        st.stop()
    if not context.may_open(key):
        st.error("This page is not available to you.")
        st.stop()
    return context
