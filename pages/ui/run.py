"""The service, settings and acting person of one script run, worked out once by the gate in app.py
and handed to the page it runs."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lib.access import SYSTEM, Actor
from lib.config import Settings
from lib.demo_data import DemoSeeding, start_demo_seeding
from lib.domain import Expert
from lib.service import BookingService
from lib.wiring import build_service
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


# The demo data a fresh console is making, by database file (``service_for``).
_DEMO_SEEDING: dict[str, DemoSeeding] = {}


# Streamlit hashes a pydantic model through its JSON, where every secret reads "**********": settings
# that differ only in a key would share a service. The model's own hash covers the keys' values.
@st.cache_resource(show_spinner=False, hash_funcs={Settings: hash})
def service_for(settings: Settings) -> BookingService:
    """One service (and store connection pool) per distinct settings; no business data cached.

    On an empty embedded database with ``seed_demo_data`` the demo's experts, hours and customers
    are made at once and its bookings in the background (``lib.demo_data.start_demo_seeding``),
    so a fresh ``make run`` shows its first page without waiting for the whole story."""
    if not (settings.seed_demo_data and settings.backend == "sqlite"):
        return build_service(settings)
    service = build_service(settings.with_changes(seed_demo_data=False))
    if not service.experts(actor=SYSTEM):
        _DEMO_SEEDING[settings.sqlite_path] = start_demo_seeding(service)
    return service


def wait_for_demo_data(timeout: float | None = None) -> bool:
    """Wait until every console's demo bookings started by ``service_for`` are made; whether they are."""
    return all(seeding.wait(timeout) for seeding in list(_DEMO_SEEDING.values()))


def demo_data_coming(settings: Settings) -> bool:
    """Whether the demo bookings of this console's database are still being made."""
    seeding = _DEMO_SEEDING.get(settings.sqlite_path)
    return seeding is not None and seeding.running


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
