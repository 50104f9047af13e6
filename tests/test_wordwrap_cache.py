"""The emails' ``wordwrap`` filter is remembered per text: the same text as Jinja's own filter."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment
from jinja2.filters import do_wordwrap
from markupsafe import Markup

from lib.notify import templates

_words = st.lists(st.sampled_from(list("ab cé-\n\r\t  xyzÄ\u00a0\u3000") + ["long" * 30, "a-b-c", "—"]),
                  max_size=200).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_words, width=st.integers(1, 120), long_words=st.booleans(), hyphens=st.booleans(),
       wrapstring=st.sampled_from([None, "\n", "<br>", "\n  "]), newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_the_remembered_filter_writes_what_jinja_writes(text, width, long_words, hyphens, wrapstring, newline):
    env = Environment(newline_sequence=newline)
    expected = do_wordwrap(env, text, width, long_words, wrapstring, hyphens)
    for _ in range(2):  # the first call fills the cache, the second reads it
        got = templates.wordwrap(env, text, width, long_words, wrapstring, hyphens)
        assert got == expected
        assert type(got) is type(expected)


def test_markup_and_numbers_go_to_the_filter_itself():
    env = Environment()
    marked = Markup("a &amp; b ") * 20
    assert templates.wordwrap(env, marked, 10) == do_wordwrap(env, marked, 10)
    assert type(templates.wordwrap(env, marked, 10, wrapstring=Markup("<br>"))) is type(
        do_wordwrap(env, marked, 10, wrapstring=Markup("<br>")))
    plain = str(marked)
    assert templates.wordwrap(env, plain, 10) == do_wordwrap(env, plain, 10)


def test_the_emails_use_the_remembered_filter_and_it_is_used():
    assert templates._env.filters["wordwrap"] is templates.wordwrap
    source = "{{ text | wordwrap(12, false) }}"
    text = "a paragraph of words that wraps over several lines\nand a second one"
    assert templates._env.from_string(source).render(text=text) == Environment().from_string(source).render(text=text)
    hits = templates._wrapped.cache_info().hits
    templates._env.from_string(source).render(text=text)
    assert templates._wrapped.cache_info().hits == hits + 1
