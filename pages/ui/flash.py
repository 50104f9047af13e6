"""Messages: a refused action in the service's words, and one-shot messages that survive a rerun."""

from __future__ import annotations

import streamlit as st

from lib.errors import CallExpertError
from lib.plaintext import escape_markdown

_FLASH = "_flash"


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
