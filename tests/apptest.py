"""Helpers for driving the console's pages with Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str, **query: str) -> AppTest:
    """Start the app, go to ``page`` (with ``?key=value`` query parameters) and run it."""
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(page)
    at.query_params.update(query)
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
