"""The Join links of emails sent with ``public_base_url`` set: each goes through the endpoint's
click-counting redirect ``<public_base_url>/j/<token>``; ``token_of`` reads an email's token."""

from __future__ import annotations

import re

from lib.domain import Email

BASE = "https://console.example.com/notify"
REDIRECT = re.compile(re.escape(BASE) + r"/j/([A-Za-z0-9_-]{43})")


def token_of(email: Email) -> str:
    """The one redirect token an email carries, the same in its text and HTML parts."""
    in_text, in_html = set(REDIRECT.findall(email.body_text)), set(REDIRECT.findall(email.body_html))
    assert len(in_text) == 1 and in_text == in_html, (email.kind, in_text, in_html)
    return in_text.pop()
