"""Deliver outbox rows through an SMTP server with smtplib (STARTTLS, SSL or plain).

Failures are sorted the way the outbox needs them:

* retried here with backoff (tenacity), then left ``queued`` for the next run: 4xx replies,
  refused or dropped connections, timeouts;
* ``failed`` at once with the server's reply: 5xx replies to the recipient or the message;
* left ``queued`` without retrying, and the run stopped (``stop_run``): problems of the server
  or of the settings rather than of the message, such as a refused login or a TLS failure.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from lib.config import SmtpSettings
from lib.domain import Email
from lib.errors import DeliveryError, DeliveryFailed, DeliveryUnavailable, describe_unexpected
from lib.notify.mime import compose


class _Transient(DeliveryUnavailable):
    """A failure worth trying again in a moment, within this send (4xx, connection trouble).

    Other ``DeliveryUnavailable`` errors (a refused login, a TLS failure) leave the email queued
    too, but another attempt now would fail the same way.
    """


def _reply(code: int, text: bytes | str) -> str:
    """``550 5.1.1 No such user``: the server's reply as it said it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {' '.join(text.split())}".strip()


def classify(exc: Exception) -> DeliveryError:
    """Turn an smtplib, ssl or socket error into a ``DeliveryError`` the outbox can act on."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryUnavailable(f"The SMTP server refused the login: {_reply(exc.smtp_code, exc.smtp_error)}. "
                             "Check username and password under [smtp].", stop_run=True)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = [f"{_reply(code, text)} (recipient {rcpt})" for rcpt, (code, text) in exc.recipients.items()]
        codes = [code for code, _ in exc.recipients.values()]
        message = "; ".join(replies) or "The server refused the recipient."
        if codes and all(400 <= code < 500 for code in codes):
            return _Transient(message)
        return DeliveryFailed(message)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        reply = _reply(exc.smtp_code, exc.smtp_error)
        if 400 <= exc.smtp_code < 500:
            return _Transient(reply)
        if exc.smtp_code == 552:  # this message is too big; the next one may be fine
            return DeliveryFailed(reply)
        return DeliveryUnavailable(f"The SMTP server refused the sender {exc.sender}: {reply}. "
                             "Check from_address, login and security under [smtp].", stop_run=True)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryUnavailable(f"The SMTP server does not support what the settings ask: {exc}. "
                             "Check `security` under [smtp].", stop_run=True)
    if isinstance(exc, (smtplib.SMTPConnectError, smtplib.SMTPHeloError)):
        # Refused at the greeting: about the connection, never this message.
        return _Transient(_reply(exc.smtp_code, exc.smtp_error), stop_run=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = _reply(exc.smtp_code, exc.smtp_error)
        if 400 <= exc.smtp_code < 500:
            return _Transient(reply)
        return DeliveryFailed(reply)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return _Transient(f"The SMTP server closed the connection: {exc or 'no reason given'}.", stop_run=True)
    if isinstance(exc, ssl.SSLError):  # before OSError, which it is: a bad certificate does not heal in a second
        return DeliveryUnavailable(f"TLS with the SMTP server failed: {exc}. Check host, port, security and ca_file "
                             "under [smtp].", stop_run=True)
    if isinstance(exc, TimeoutError):
        return _Transient("The SMTP server did not answer in time.", stop_run=True)
    if isinstance(exc, OSError):
        return _Transient(f"Could not reach the SMTP server: {exc.strerror or exc}.", stop_run=True)
    if isinstance(exc, smtplib.SMTPException):
        return _Transient(f"SMTP error: {exc}")
    if isinstance(exc, UnicodeError):
        # smtplib sends the login as ASCII; its UnicodeEncodeError quotes the whole login, password
        # included, so nothing of the exception is kept.
        return DeliveryUnavailable("The SMTP login could not be sent: the username or password under [smtp] has "
                             "characters other than ASCII (such as é or ü), which the mail client cannot send. "
                             "Use an ASCII password (for example an app password).", stop_run=True)
    return DeliveryUnavailable(f"Unexpected error while sending: {describe_unexpected(exc)}", stop_run=True)


class SmtpSender:
    """``EmailSender`` over smtplib: one connection per email, retried with backoff and jitter."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings, *, sleep: Callable[[float], None] | None = None) -> None:
        self.settings = settings
        self._sleep = sleep  # tests pass a recorder; None means tenacity's real sleep
        self._context: ssl.SSLContext | None = None

    @property
    def max_send_seconds(self) -> float:
        """The longest one ``send`` can take, every attempt and wait included."""
        return self.settings.max_send_seconds

    def send(self, email: Email) -> None:
        """Deliver ``email`` or raise ``DeliveryError`` (see the module docstring for which)."""
        try:
            # Both forms, so a server's answer (8BITMIME or not) picks one and never fails the build.
            messages = {eight_bit: self.message(email, eight_bit=eight_bit) for eight_bit in (False, True)}
        except (ValueError, TypeError) as exc:  # e.g. a header the email library refuses
            raise DeliveryFailed(f"The email could not be built: {exc}") from None
        kwargs = {} if self._sleep is None else {"sleep": self._sleep}
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.send_attempts),
            wait=wait_random_exponential(multiplier=self.settings.backoff_seconds,
                                         max=self.settings.backoff_max_seconds),
            retry=retry_if_exception(lambda exc: isinstance(exc, _Transient)),
            reraise=True,
            **kwargs,
        )
        try:
            retrying(self._deliver, messages, email.recipient)
        except _Transient as exc:
            attempts = self.settings.send_attempts
            raise _Transient(f"{exc} (after {attempts} attempt{'s' if attempts > 1 else ''})",
                             stop_run=exc.stop_run) from None

    def message(self, email: Email, *, eight_bit: bool = False) -> EmailMessage:
        """The MIME message (``lib.notify.mime``): text and HTML alternatives, and the invitation
        inline and as ``invite.ics`` when the row has one; 8-bit parts only with ``eight_bit``."""
        s = self.settings
        return compose(email, from_name=s.from_name, from_address=s.from_address, reply_to=s.reply_to,
                       now=datetime.now(UTC), eight_bit=eight_bit)

    def _ssl_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = ssl.create_default_context(cafile=self.settings.ca_file or None)
        return self._context

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=self._ssl_context())
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        if s.security == "starttls":
            try:
                smtp.starttls(context=self._ssl_context())
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _deliver(self, messages: dict[bool, EmailMessage], recipient: str) -> None:
        """Send the 8-bit form with ``BODY=8BITMIME`` to a server that offers 8BITMIME (RFC 6152),
        the 7-bit one (quoted-printable or base64 parts) to any other."""
        s = self.settings
        try:
            smtp = self._connect()
        except Exception as exc:  # noqa: BLE001 - every failure is sorted into retry, fail or stop
            raise classify(exc) from None
        try:
            if s.username:
                smtp.login(s.username, s.password.get_secret_value())
            smtp.ehlo_or_helo_if_needed()
            eight_bit = smtp.has_extn("8bitmime")
            # smtplib adds BODY=8BITMIME itself for an address other than ASCII (with SMTPUTF8).
            declare = eight_bit and (s.from_address + recipient).isascii()
            smtp.send_message(messages[eight_bit], from_addr=s.from_address, to_addrs=[recipient],
                              mail_options=("BODY=8BITMIME",) if declare else ())
        except Exception as exc:  # noqa: BLE001
            smtp.close()
            raise classify(exc) from None
        try:
            smtp.quit()
        except Exception:  # noqa: BLE001 - the server took the message; a lost goodbye must not send it again
            smtp.close()
