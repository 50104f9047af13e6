"""Text that a person typed, or that came from a URL or another service, made safe to place in
Streamlit Markdown (``st.markdown``, alerts, captions, expander labels, progress texts).

Streamlit renders GitHub-flavoured Markdown with its own additions: ``:color[...]`` and
``:material/icon:`` directives and ``$...$`` math. It has no public escape helper, so this is
one. Pure Python: no Streamlit import.
"""

from __future__ import annotations

import re

# Characters that start inline markup anywhere in a line: escapes, code, emphasis, strike,
# links and images, raw HTML and autolinks, tables, math, headings.
_INLINE = re.compile(r"([\\`*_\[\]<>|~$#])")
# "&amp;" and "&#58;" are entity references; a plain "& Co" is not.
_ENTITY = re.compile(r"&(?=[#A-Za-z0-9])")
# ":red[", ":material/...:" (Streamlit turns it into ":material_...") and any other directive
# start with a colon and a letter; "14:00" does not.
_DIRECTIVE = re.compile(r":(?=[A-Za-z])")
# Block markup at the start of the text: lists ("- ", "+ ", "1. ", "1) ") and setext underlines.
_LINE_START = re.compile(r"^(\s*)(?:([-+=])|(\d+)([.)]))")
# GitHub's autolink literals (web addresses, "www.", emails) are found in the text after
# escapes are read, so a backslash alone does not stop them; an invisible WORD JOINER (U+2060)
# inside the trigger does, and escaped dots stop renderers that look for links earlier.
# Addresses first, then emails: one pass over both would let an email swallow the scheme of an
# address that follows it ("x@y.idwww.https://a"), leaving that address live.
_ADDRESS = re.compile(r"(?i)(?:https?|ftp)://\S*|www\.\S*")
_EMAIL = re.compile(r"[-.\w+]*\w@[-\w]+(?:\.[-\w]+)+")
_LINK_TRIGGER = re.compile(r"(?i)(https?|ftp)(?=:)|(www)(?=\.)|(@)")
_WORD_JOINER = "\u2060"


def escape_markdown(value: object) -> str:
    """``value`` as Markdown source that Streamlit shows literally, character for character.

    Every Markdown special is backslash-escaped (emphasis, links, images, code, HTML, headings,
    tables, strikethrough, ``$`` math, ``:directive[...]`` and ``:material/...:``); line breaks
    become spaces, so a value never starts a block of its own; and web addresses and emails are
    kept from turning into live links (escaped dots and an invisible word joiner).
    """
    text = " ".join(str(value).splitlines())
    text = _INLINE.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&", text)
    text = _DIRECTIVE.sub(r"\\:", text)
    # Streamlit rewrites ":material/" in the source before parsing; "\\/" keeps it from matching.
    text = text.replace("\\:material/", "\\:material\\/")
    text = _LINE_START.sub(_escape_line_start, text, count=1)
    text = _ADDRESS.sub(_defuse_link, text)
    return _EMAIL.sub(_defuse_link, text)


def _defuse_link(match: re.Match[str]) -> str:
    run = _LINK_TRIGGER.sub(lambda m: m.group(0) + _WORD_JOINER, match.group(0))
    return run.replace(".", "\\.")


def _escape_line_start(match: re.Match[str]) -> str:
    space, bullet, number, dot = match.groups()
    return f"{space}\\{bullet}" if bullet else f"{space}{number}\\{dot}"
