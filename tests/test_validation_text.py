"""Typed text is refused when it holds invisible or control characters, whatever the shortcut."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.errors import InvalidInput
from lib.validation import _has_control, clean_text

_REFUSED = ("Cc", "Cf", "Cs", "Co", "Cn")


@given(st.text())
def test_the_printable_shortcut_agrees_with_the_categories(text):
    assert _has_control(text) == any(unicodedata.category(ch) in _REFUSED for ch in text)


@pytest.mark.parametrize("text", ["Sari\u200bWulandari", "Budi\x07", "a\u202eb", "Ana\u2028Lee"])
def test_a_name_with_an_invisible_character_is_refused_or_kept_as_typed(text):
    if any(unicodedata.category(ch) in _REFUSED for ch in text):
        with pytest.raises(InvalidInput, match="invisible or control"):
            clean_text(text, "Name", 100)
    else:  # a line separator is not a control character: kept (and shown as text)
        assert clean_text(text, "Name", 100) == text
