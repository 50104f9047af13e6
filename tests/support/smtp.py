"""A real SMTP server on loopback (aiosmtpd) that keeps the bytes it accepted, with or without
the 8BITMIME extension: what a test reads is what a mail server would have stored."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.env import free_port


@dataclass(frozen=True)
class Delivery:
    """One accepted message: the envelope (``MAIL FROM`` with its parameters, recipients) and
    the message's bytes as they arrived."""

    mail_from: str
    mail_options: tuple[str, ...]
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def header_block(self) -> str:
        """The top-level header lines as sent (folded, encoded), ending before the blank line."""
        return self.data.split(b"\r\n\r\n", 1)[0].decode("ascii")


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that accepts every message and keeps it."""

    deliveries: list[Delivery] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content
        with self._lock:
            self.deliveries.append(Delivery(envelope.mail_from, tuple(envelope.mail_options),
                                            tuple(envelope.rcpt_tos), bytes(data)))
        return "250 2.0.0 Accepted"


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int
    eight_bit: bool

    @property
    def deliveries(self) -> list[Delivery]:
        return self.handler.deliveries


@contextmanager
def smtp_server(*, eight_bit: bool) -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 that offers 8BITMIME in its EHLO answer, or (``eight_bit``
    false) one that does not: aiosmtpd then takes only 7-bit data (a byte over 127 is refused
    with ``500 Error: strict ASCII mode``) and refuses a ``BODY`` parameter."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), decode_data=not eight_bit)
    controller.start()
    try:
        yield SmtpServer(handler, controller.port, eight_bit)
    finally:
        controller.stop()
