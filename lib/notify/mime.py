"""The MIME message of an outbox row, laid out the way calendar clients read invitations.

An email with an invitation is what Google Calendar and Outlook themselves send::

    multipart/mixed
      multipart/alternative
        text/plain; charset="utf-8"
        text/html; charset="utf-8"
        text/calendar; method=REQUEST; charset=UTF-8     (or CANCEL; inline)
      application/ics; name="invite.ics"                 (attachment: the same calendar)

The inline ``text/calendar`` is the iMIP part (RFC 6047): Outlook shows it as a meeting and
updates or removes the event when a later one arrives, where a ``text/calendar`` attachment is
imported as a file (MS-STANOICAL 2.2.175). The attachment serves clients that only offer files.
An email without an invitation (a reminder) is ``multipart/alternative`` of text and HTML.

Headers are written by ``HeaderPolicy``: the standard library can fold a non-ASCII header into
an empty encoded-word (``=?utf-8?q??=``, which RFC 2047 forbids), so headers with non-ASCII
text are encoded here. Parts are 8-bit only for a server that offered 8BITMIME (``eight_bit``);
otherwise every non-ASCII part is quoted-printable or base64.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from email.charset import Charset
from email.headerregistry import Address, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any

from lib.domain import Email

# RFC 2047 2: an encoded-word is at most 75 characters long.
_WORD_MAX = 75
_UTF8 = Charset("utf-8")
_METHOD = re.compile(r"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)
# A word that a reader would decode if it were left as it is.
_LOOKS_ENCODED = re.compile(r"=\?.*\?=")
# RFC 5322 3.2.3: a word of a display name that needs neither quotes nor encoding.
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")

# (spaces before it, text, whether it is encoded): one piece of a header's value.
_Atom = tuple[str, str, bool]


def calendar_method(ics: str) -> str:
    """The calendar's METHOD (``REQUEST``, ``CANCEL``): the ``method`` its MIME part carries, as
    RFC 6047 2.4 requires; ``REQUEST`` when the calendar names none."""
    found = _METHOD.search(ics)
    return found.group(1).upper() if found else "REQUEST"


def _encoded_prefix(text: str, room: int) -> tuple[str, str] | None:
    """The longest start of ``text`` whose encoded-word fits ``room`` characters (and RFC 2047's
    75), as (encoded-word, rest); None when not even one character fits."""
    limit = min(room, _WORD_MAX)
    if len(_UTF8.header_encode(text[:1])) > limit:
        return None
    low, high = 1, len(text)  # the encoded length grows with the prefix: a binary search
    while low < high:
        middle = (low + high + 1) // 2
        if len(_UTF8.header_encode(text[:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    return _UTF8.header_encode(text[:low]), text[low:]


def _atoms(text: str) -> list[_Atom]:
    """An unstructured value as atoms: ASCII words as they are, and each run of words that need
    encoding as one atom, the spaces inside it included (readers drop whitespace between two
    encoded-words, so a space between encoded words must be encoded with them)."""
    parts = re.split(r"( +)", text.strip(" "))  # words at even indexes, runs of spaces between
    atoms: list[_Atom] = []
    i = 0
    while i < len(parts):
        sep = parts[i - 1] if i else " "
        if parts[i].isascii() and not _LOOKS_ENCODED.search(parts[i]):
            atoms.append((sep, parts[i], False))
            i += 2
            continue
        j = i
        while j + 2 < len(parts) and not (parts[j + 2].isascii() and not _LOOKS_ENCODED.search(parts[j + 2])):
            j += 2
        atoms.append((sep, "".join(parts[i:j + 1]), True))
        i = j + 2
    return atoms


def _fold(name: str, atoms: Sequence[_Atom], max_line: int, linesep: str) -> str:
    """``Name: atoms`` folded at ``max_line`` characters: a line breaks only before whitespace,
    and each encoded atom is split into encoded-words of at least one character each."""
    lines = [f"{name}:"]
    for sep, text, encode in atoms:
        if not encode:
            if len(lines) == 1 and lines[0] == f"{name}:" or len(lines[-1]) + len(sep) + len(text) <= max_line:
                lines[-1] += sep + text
            else:
                lines.append(sep + text)  # folded before the spaces, which stay (RFC 5322 3.2.2)
            continue
        rest = text
        while rest:
            piece = _encoded_prefix(rest, max_line - len(lines[-1]) - len(sep))
            if piece is None:
                if not lines[-1].strip():
                    raise ValueError(f"the {name} header cannot be folded into lines of {max_line} characters")
                lines[-1] += sep[:-1]  # all spaces but the one that starts the next line
                lines.append("")
                sep = " "
                continue
            word, rest = piece
            lines[-1] += sep + word
            sep = " "  # between two encoded-words of one atom: any whitespace, ignored by readers
    return linesep.join(lines) + linesep


def _address_atoms(addresses: Sequence[Address]) -> list[_Atom]:
    """Addresses as atoms: a display name of plain words (RFC 5322 atoms) as it is, any other
    (letters other than ASCII, a quote, a comma...) encoded whole, the address as it is."""
    atoms: list[_Atom] = []
    for n, address in enumerate(addresses):
        spec = f"<{address.addr_spec}>" + ("" if n == len(addresses) - 1 else ",")
        name = " ".join(address.display_name.split())
        if name and not _LOOKS_ENCODED.search(name) and all(_ATOM.fullmatch(word) for word in name.split(" ")):
            atoms += [(" ", word, False) for word in name.split(" ")]
        elif name:
            atoms.append((" ", name, True))
        atoms.append((" ", spec, False))
    return atoms


class HeaderPolicy(EmailPolicy):
    """``EmailPolicy`` whose Subject, addresses with a display name and other headers with
    non-ASCII text are folded and encoded by ``_fold``: valid RFC 2047 and 5322 for any text,
    where the standard library can write an empty encoded-word (CPython issue 136052), fold a
    long subject right after its colon, or drop the quotes of a long display name."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        # Kept as given, one line of text: a Subject, so that text typed like an encoded-word
        # stays text (the standard library would decode it when storing), and a Content-Type of
        # ASCII, written as given when it fits a line (``method=REQUEST`` unquoted, as Google
        # Calendar writes it; the standard library would quote every parameter).
        if isinstance(value, str) and not hasattr(value, "name") and len(value.splitlines()) == 1 and (
                name.lower() == "subject" or name.lower() == "content-type" and value.isascii()):
            return name, value
        return super().header_store_parse(name, value)

    def fold(self, name: str, value: Any) -> str:
        return self._encoded(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        encoded = self._encoded(name, value)
        return encoded.encode("ascii") if encoded else super().fold_binary(name, value)

    def _encoded(self, name: str, value: Any) -> str | None:
        max_line = self.max_line_length or 78
        if name.lower() == "subject":  # stored as given (see header_store_parse)
            return _fold(name, _atoms(str(value)), max_line, self.linesep)
        addresses = getattr(value, "addresses", None)
        if addresses and any(a.display_name for a in addresses) and all(a.addr_spec.isascii() for a in addresses):
            return _fold(name, _address_atoms(addresses), max_line, self.linesep)
        if str(value).isascii():
            return None
        if isinstance(value, UnstructuredHeader):
            return _fold(name, _atoms(str(value)), max_line, self.linesep)
        return None


def policy(eight_bit: bool) -> HeaderPolicy:
    """The policy of a message for a server that offered 8BITMIME (``eight_bit``) or not: parts
    with non-ASCII text are 8-bit, or quoted-printable/base64 (whichever is shorter)."""
    return HeaderPolicy(linesep="\r\n", cte_type="8bit" if eight_bit else "7bit")


def compose(email: Email, *, from_name: str, from_address: str, reply_to: str = "", now: datetime,
            eight_bit: bool) -> EmailMessage:
    """The MIME message of ``email`` (see the module docstring for its layout and headers)."""
    msg = EmailMessage(policy=policy(eight_bit))
    msg["Subject"] = email.subject
    msg["From"] = Address(display_name=from_name, addr_spec=from_address)
    msg["To"] = email.recipient
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = format_datetime(now)
    # The same id on every attempt, so a client that got a message twice (a reply lost after
    # the server took it) shows it once.
    domain = from_address.rpartition("@")[2] or "callexpert"
    msg["Message-ID"] = f"<outbox-{email.id}.{email.booking_id}.{email.version}@{domain}>"
    msg["X-CallExpert-Booking"] = email.booking_id
    msg.set_content(email.body_text)
    msg.add_alternative(email.body_html, subtype="html")
    if email.ics:
        # Inline, without Content-Disposition: the meeting itself for clients that read iMIP.
        # The type is written as Google Calendar writes it (parameters unquoted).
        msg.add_alternative(email.ics, subtype="calendar")
        calendar = msg.get_payload()[-1]
        calendar.replace_header("Content-Type",
                                f"text/calendar; method={calendar_method(email.ics)}; charset=UTF-8")
        # Adding an attachment wraps the alternative into multipart/mixed, as its first part.
        msg.add_attachment(email.ics.encode("utf-8"), maintype="application", subtype="ics",
                           filename="invite.ics", params={"name": "invite.ics"})
    return msg
