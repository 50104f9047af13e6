"""Every page of the console in one list: its script, menu entry, address and the roles that may
open it. Adding a page is one entry here, its script under pages/views/, and its first-run entry
pages/<url_path>.py (a copy of pages/ops.py; pages/__init__.py says why).

The menu only offers a role its pages; the booking service enforces roles again on every call.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.access import Actor, Role

STAFF = frozenset({Role.OPS, Role.SYSTEM})


@dataclass(frozen=True)
class PageSpec:
    """One page: ``script`` is relative to app.py; ``url_path`` is its address (``/ops``)."""

    key: str
    script: str
    title: str
    icon: str
    url_path: str
    roles: frozenset[Role]


def _page(key: str, title: str, icon: str, roles: frozenset[Role], url_path: str | None = None) -> PageSpec:
    return PageSpec(key, f"pages/views/{key}_view.py", title, icon, url_path or key.replace("_", "-"), roles)


# In menu order; the first page a role may open is where its visit starts.
PAGES: tuple[PageSpec, ...] = (
    _page("book", "Book a session", ":material/event_available:", STAFF),
    _page("my_sessions", "My sessions", ":material/calendar_month:", STAFF | {Role.EXPERT}),
    _page("availability", "Availability", ":material/schedule:", STAFF | {Role.EXPERT}),
    _page("confirmation", "Confirmation", ":material/task_alt:", STAFF | {Role.EXPERT}),
    _page("ops", "Ops", ":material/build:", STAFF),
    _page("overview", "Overview", ":material/monitoring:", STAFF),
    _page("emails", "Emails", ":material/mail:", STAFF),
)
BY_KEY: dict[str, PageSpec] = {page.key: page for page in PAGES}


def pages_for(actor: Actor) -> tuple[str, ...]:
    """The keys of the pages ``actor`` may open, in menu order (none for someone without a role)."""
    return tuple(page.key for page in PAGES if actor.role in page.roles)
