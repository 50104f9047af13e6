"""Typed text is refused when it holds a line break or an invisible or control character, whatever
the shortcut: every character that ends a line somewhere (CR, LF, VT, FF, NEL, U+2028, U+2029, ...)
with one message, the other control and format characters with another; nothing is stored."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.access import SYSTEM
from lib.domain import NewCustomer
from lib.errors import InvalidInput
from lib.validation import _has_control, clean_text
from tests.support.service import clock, count_bookings, request, sleeps, svc  # noqa: F401 - fixtures

_REFUSED = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
LINE_BREAK = "contains a line break; please type it on one line"
# Everything Python's str.splitlines splits on, which is what email headers and logs break on too.
BREAKS = [ch for ch in map(chr, range(0x110000)) if len(f"a{ch}b".splitlines()) > 1]


def test_the_line_breaks_are_the_ones_python_knows():
    assert {"\n", "\r", "\v", "\f", "\x85", "\u2028", "\u2029"} <= set(BREAKS)


@given(st.text())
def test_the_printable_shortcut_agrees_with_the_categories(text):
    assert _has_control(text) == any(unicodedata.category(ch) in _REFUSED for ch in text)


@given(st.text(st.characters(categories=_REFUSED), min_size=1), st.text(max_size=5), st.text(max_size=5))
def test_any_character_of_the_refused_categories_is_refused_wherever_it_sits(bad, before, after):
    text = f"A{before}{bad}{after}Z"
    with pytest.raises(InvalidInput, match="line break|invisible or control"):
        clean_text(text, "Name", 1000)


@given(st.text(st.characters(exclude_categories=_REFUSED), min_size=1, max_size=50).filter(str.strip))
def test_text_of_the_other_categories_is_kept(text):
    assert clean_text(text, "Name", 100) == unicodedata.normalize("NFC", text.strip())


@pytest.mark.parametrize("ch", BREAKS, ids=[f"U+{ord(c):04X}" for c in BREAKS])
def test_every_line_break_gets_the_same_message_as_cr_and_lf(ch):
    with pytest.raises(InvalidInput, match=f"^Customer name {LINE_BREAK}"):
        clean_text(f"Andi{ch}Bcc: x@example.com", "Customer name", 100)


@pytest.mark.parametrize("text", ["Sari\u200bWulandari", "Budi\x07", "a\u202eb", "a\u2066b", "a\ufeffb"])
def test_invisible_and_bidi_characters_are_refused_as_such(text):
    with pytest.raises(InvalidInput, match="invisible or control"):
        clean_text(text, "Name", 100)


@pytest.mark.parametrize("ch", ["\n", "\r\n", "\u2028", "\u2029", "\x85", "\v", "\f"],
                         ids=["LF", "CRLF", "U+2028", "U+2029", "NEL", "VT", "FF"])
def test_a_customer_name_with_a_line_break_is_refused_at_booking_and_nothing_is_stored(svc, ch):  # noqa: F811
    customers_before = len(svc.customers(actor=SYSTEM))
    new = NewCustomer(f"Andi{ch}Bcc: all@example.com", "andi.new@example.com")
    with pytest.raises(InvalidInput, match=f"^Customer name {LINE_BREAK}"):
        svc.book(request(svc, customer_id=None, new_customer=new), actor=SYSTEM)
    assert count_bookings(svc) == 0
    assert len(svc.customers(actor=SYSTEM)) == customers_before


@pytest.mark.parametrize("day", [date.min, date.max], ids=["the first day", "the last day"])
def test_a_day_at_the_calendars_ends_gets_a_message_and_books_nothing(svc, day):  # noqa: F811
    with pytest.raises(InvalidInput):
        svc.book_and_pay(request(svc, day=day), actor=SYSTEM)
    with pytest.raises(InvalidInput):
        svc.preview_booking(request(svc, day=day), actor=SYSTEM)
    assert count_bookings(svc) == 0
