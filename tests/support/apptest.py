"""Helpers for driving the console's pages with Streamlit's AppTest."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib.service import BookingService

APP = str(Path(__file__).resolve().parents[2] / "app.py")
# The [auth] section of a secrets file that configures sign-in (its provider is never reached in AppTest).
AUTH = """
[auth]
redirect_uri = "http://localhost:8501/oauth2callback"
cookie_secret = "test-cookie-secret"
client_id = "test-client"
client_secret = "test-secret"
server_metadata_url = "https://accounts.google.com/.well-known/openid-configuration"
"""


def open_page(page: str, **query: str) -> AppTest:
    """Start the app, go to ``page`` (with ``?key=value`` query parameters) and run it."""
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(page)
    at.query_params.update(query)
    return at.run()


def as_expert(service: BookingService, expert_id: str, **query: str) -> AppTest:
    """The Availability page in demo mode, viewed as the expert (the "View as" switcher)."""
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/views/availability_view.py").run()
    at.sidebar.selectbox(key="view_as").set_value(expert_id).run()
    at.switch_page("pages/views/availability_view.py")
    at.query_params.update(query)
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def shown(source: str) -> str:
    """Markdown source as a person reads it: backslash escapes and word joiners (which keep typed
    addresses from becoming links) removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", source).replace("\u2060", "")


def markdown_sources(at: AppTest) -> list[str]:
    """The Markdown source of everything on the page that Streamlit renders as Markdown: texts,
    captions, titles, alerts, and the labels of widgets, expanders, tabs and progress bars: the main
    area's, then the sidebar's."""
    from streamlit.testing.v1 import element_tree as et

    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, (et.Markdown, et.AlertBase, et.HeadingBase)):
            found.append(str(node.value))
        elif isinstance(node, (et.Widget, et.LinkButton, et.PageLink, et.Metric)):
            found.append(str(node.proto.label))
        elif isinstance(node, et.Progress):
            found.append(str(node.proto.text))
        if isinstance(node, (et.Expander, et.Tab, et.Status)):
            found.append(str(node.label))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return found


def previews(at: AppTest) -> list:
    """The Availability page's tables but the session types' (that is, the free slots preview)."""
    return [d for d in at.dataframe if not str(d.key or "").startswith("types-")]
