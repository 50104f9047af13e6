"""The SMTP stand-in: a real SMTP server on loopback (aiosmtpd) whose mailbox keeps the bytes of
every message it accepted, as a mail server would have stored them, and fails on cue.

What it offers is aiosmtpd's own strictness: 8BITMIME in its EHLO answer (or, with ``eight_bit``
false, 7-bit data only: a byte over 127 is refused with ``500 Error: strict ASCII mode``, and so is
a ``BODY`` parameter), no SMTPUTF8, and whatever TLS or login the test asks of the controller
(``tls_context`` with ``require_starttls``, ``ssl_context``, ``authenticator`` with
``auth_required``). The failures it can inject are those of ``Mailbox``.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from functools import cached_property
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.env import free_port

RANDOM_FAULTS = ("rcpt451", "data421", "data451", "drop")


@dataclass(frozen=True)
class Delivery:
    """One accepted message: the envelope (``MAIL FROM`` with its parameters, recipients), the
    message's bytes as they arrived, and whether the connection was encrypted."""

    mail_from: str
    mail_options: tuple[str, ...]
    rcpt_tos: tuple[str, ...]
    data: bytes
    tls: bool = False

    @cached_property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def header_block(self) -> str:
        """The top-level header lines as sent (folded, encoded), ending before the blank line."""
        return self.data.split(b"\r\n\r\n", 1)[0].decode("ascii")


@dataclass
class Mailbox:
    """An aiosmtpd handler: keeps every message it accepted (``received``), and fails on cue.

    ``transient``: refuse the next N messages at end of DATA (alternating 421 and 451, counted in
    ``refused_data``); ``drop``: close the connection at end of DATA for the next N messages;
    ``refuse``: recipients refused at RCPT with 550; ``delay``: seconds to sit on each DATA.
    ``fault_rate``: refuse about this share of the messages at random (from ``seed``), each before
    the message is accepted, so a correct sender may retry it: 451 at RCPT (greylisting), 421 or
    451 at DATA, or the connection closed at DATA; ``faults`` counts them by kind.
    """

    transient: int = 0
    drop: int = 0
    refuse: set[str] = field(default_factory=set)
    delay: float = 0.0
    fault_rate: float = 0.0
    seed: int = 0
    received: list[Delivery] = field(default_factory=list)
    refused_data: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @property
    def messages(self) -> list[EmailMessage]:
        """The accepted messages, parsed, in the order they arrived."""
        return [d.message for d in self.received]

    def to(self, address: str) -> list[EmailMessage]:
        """The accepted messages with ``address`` among their recipients."""
        return [d.message for d in self.received if address in d.rcpt_tos]

    def _draw(self) -> str | None:
        if not self.fault_rate:
            return None
        with self._lock:
            if self._rng.random() >= self.fault_rate:
                return None
            fault = self._rng.choice(RANDOM_FAULTS)
            self.faults[fault] += 1
            return fault

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        fault = self._draw()
        if fault == "rcpt451":
            return f"451 4.7.1 <{address}>: Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        envelope.fault = fault  # what DATA will do with this message
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        fault = getattr(envelope, "fault", None)
        if fault == "drop":  # the connection dies before the server took the message
            server.transport.close()
            return "250 never seen"
        if fault == "data421":
            return "421 4.3.2 Service busy, closing connection"
        if fault == "data451":
            return "451 4.3.0 Temporary failure, try again"
        with self._lock:
            if self.drop:
                self.drop -= 1
                server.transport.close()
                return "250 never seen"
            if self.transient:
                self.transient -= 1
                self.refused_data += 1
                return ("421 4.3.2 Service busy, try again later" if self.transient % 2
                        else "451 4.3.0 Temporary failure")
            self.received.append(Delivery(envelope.mail_from, tuple(envelope.mail_options), tuple(envelope.rcpt_tos),
                                          bytes(envelope.original_content), session.ssl is not None))
        return "250 2.0.0 Accepted"


@dataclass
class SmtpServer:
    """A running stand-in: its mailbox and the loopback port it listens on."""

    mailbox: Mailbox
    port: int
    eight_bit: bool


@contextmanager
def smtp_server(mailbox: Mailbox | None = None, *, eight_bit: bool = True, **options: Any) -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 delivering to ``mailbox`` (a new one by default) that offers
    8BITMIME, or (``eight_bit`` false) one that takes 7-bit data only; ``options`` go to aiosmtpd's
    ``Controller`` (TLS, login). Stopped when the block ends."""
    mailbox = mailbox if mailbox is not None else Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), decode_data=not eight_bit, **options)
    controller.start()
    try:
        yield SmtpServer(mailbox, controller.port, eight_bit)
    finally:
        controller.stop()
