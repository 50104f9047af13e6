"""Exceptions the booking service raises. Each message says what to do next."""

from __future__ import annotations

import logging
import traceback


class CallExpertError(Exception):
    """Base class: every error the console shows to a person."""


class InvalidInput(CallExpertError):
    """The request was refused before anything was written; the message names the field."""


class NotFound(CallExpertError):
    """A booking, expert or customer id that does not exist."""


class SlotTaken(CallExpertError):
    """The expert already holds a pending, paid or confirmed booking overlapping this slot."""


class InvalidTransition(CallExpertError):
    """The booking is not in a state that allows this action (e.g. cancelling twice)."""


class ConfigError(CallExpertError):
    """A setting is missing or wrong; the message names the setting and how to fix it."""


class PaymentError(CallExpertError):
    """The payment gateway refused or could not be reached; the booking stays as it was.

    ``retryable`` tells whether asking again later can help (a timeout, a network error, a 5xx).
    """

    retryable = False


class PaymentUnavailable(PaymentError):
    """The gateway could not be reached or did not answer in time; nothing changed, try again."""

    retryable = True


class MeetingProviderError(CallExpertError):
    """Creating, moving or cancelling a meeting failed.

    ``retryable`` tells the service whether trying again can help (rate limits, 5xx,
    timeouts); permanent errors carry a sentence an ops person can act on.
    ``retry_after`` is the provider's own hint in seconds, when it gave one.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class PermissionDenied(CallExpertError):
    """The signed-in person's role may not do this (e.g. an expert opening another expert's booking)."""


def describe_unexpected(exc: BaseException) -> str:
    """An exception nobody planned for, as text that is safe to store, show, print and log: its
    type and, for a few kinds, a fixed sentence; never its message or ``repr``, which may quote a
    password, a key or a whole request (``UnicodeEncodeError`` repeats the text it could not
    encode, such as an SMTP login with its password)."""
    name = type(exc).__name__
    if isinstance(exc, UnicodeError):
        return f"{name}: some text has characters this connection cannot carry"
    return name


def log_unexpected(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Log an unexpected exception for the people who run the console: where it happened (the
    traceback's files and lines) and ``describe_unexpected``, without the exception's message."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("%s: %s\n%s", what, describe_unexpected(exc), frames.rstrip())
