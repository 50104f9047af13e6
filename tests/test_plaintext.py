"""Escaping for Markdown: whatever a person typed is shown character for character.

Rendered with markdown-it (CommonMark plus GitHub's tables, strikethrough and autolink
literals, and dollar math, as Streamlit renders them); Streamlit's own directives are checked
on the source.
"""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from lib.plaintext import escape_markdown

_md = (MarkdownIt("commonmark", {"linkify": True}).enable(["table", "strikethrough", "linkify"])
       .use(dollarmath_plugin))
# GitHub links "www." addresses, schemes and emails, never a bare "example.com".
_md.linkify.set({"fuzzy_link": False})

EVIL = [
    "[Click me](https://evil.example) **Boss**",
    "![x](https://evil.example/x.png)",
    "<https://evil.example>",
    "<a href='https://evil.example'>hi</a> <script>alert(1)</script>",
    "# Heading", "## Sub", "> quoted", "- item", "+ item", "* item", "1. one", "2) two", "=== ", "---",
    "_em_ *em* __strong__ ~~gone~~ `code` ``co`de``",
    ":red[Boss] :blue-background[x] :material/home: :smile: :small[x]",
    "$x^2$ and $$y$$ cost \\$5",
    "https://evil.example www.evil.example ftp://evil.example dewi@evil.example mailto:x@evil.example",
    "write to dewi.l@example.com, see www.example.com or http://example.com/a.b?c=d.",
    "&amp; &#58; &copy; & Co",
    "a | b | c", "[ref]: https://evil.example", "back\\slash\\", "line one\nline two\r\n# not a heading",
    "Career & HR — Rp 250.000 at 14:00 (WIB)",
    "x@y.idwww.https://a",  # an email right before an address must not swallow its scheme
]


def rendered(source: str) -> str:
    return _md.render(source).replace("\u2060", "")


def expected(text: str) -> str:
    plain = " ".join(text.splitlines()).strip()
    return f"<p>{html.escape(plain, quote=True)}</p>\n".replace("&#x27;", "'") if plain else ""


def directives_left(source: str) -> list[str]:
    """Unescaped ``:name`` directive starts and ``$`` signs left in a source."""
    found, i = [], 0
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "$" or (ch == ":" and re.match(r"[A-Za-z]", source[i + 1:i + 2])):
            found.append(source[i:i + 10])
        i += 1
    return found


def test_every_kind_of_markup_is_shown_as_typed():
    for text in EVIL:
        source = escape_markdown(text)
        assert rendered(source) == expected(text), text
        assert not re.search(r"(?i)www\\?\.|https?:|@\w", source), source  # GitHub's link triggers are broken
        assert not directives_left(source), text
        assert ":material/" not in source  # Streamlit rewrites that before parsing


def test_ordinary_text_stays_readable_in_the_source():
    assert escape_markdown("Dewi Lestari") == "Dewi Lestari"
    assert escape_markdown("Rp 250.000 at 14:00 WIB") == "Rp 250.000 at 14:00 WIB"
    assert escape_markdown("**Boss**") == r"\*\*Boss\*\*"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(list("ab 1.-+=#>*_~`$:[]()<>!|&;\\/@wht:psrdeix\n")
                                + ["com", "www.", "https://", "x@y.id", ":red[", ":material/"]), max_size=30))
def test_random_markup_renders_as_the_same_text(pieces):
    text = "".join(pieces).strip()
    source = escape_markdown(text)
    assert rendered(source) == expected(text)
    assert not directives_left(source)
