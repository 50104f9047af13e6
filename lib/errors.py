"""One error vocabulary for the console. Each message says what to do next.

Five kinds (transient, permanent, refused, not found, not allowed) and, for each outside
service, a family whose members are of one kind: e.g. ``MeetingUnavailable`` is a
``MeetingProviderError`` and ``Transient``.
"""

from __future__ import annotations

import logging
import traceback


class CallExpertError(Exception):
    """Base class: every error the console shows to a person. Each is of one of five kinds:
    ``Transient``, ``Permanent``, ``Refused``, ``NotFound`` or ``PermissionDenied`` (not allowed)."""


# -- the five kinds ------------------------------------------------------------------------------
class Transient(CallExpertError):
    """The other side is busy or unreachable: trying again later can help, and nothing changed.

    ``retry_after`` is how many seconds the other side asked us to wait, when it said.
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Permanent(CallExpertError):
    """Trying again will not help: stop, and the message says what to fix (a setting, a key, a
    calendar share, a recipient address)."""


class Refused(CallExpertError):
    """The request was refused before anything was written (bad input, a taken slot, a booking
    in the wrong state); the message says what to change."""


class NotFound(CallExpertError):
    """A booking, expert, customer, email or order id that does not exist."""


class PermissionDenied(CallExpertError):
    """Not allowed: the signed-in person's role may not do this (e.g. an expert opening another
    expert's booking)."""


# -- refused input -------------------------------------------------------------------------------
class InvalidInput(Refused):
    """A value was refused; the message names the field."""


class SlotTaken(Refused):
    """The expert already holds a pending, paid or confirmed booking overlapping this slot."""


class SlotUnavailable(Refused):
    """The start is not one of the expert's free slots (outside their hours, too soon, beyond
    their horizon, their day is full, it overlaps a session or their calendar is busy).

    ``reason`` is the ``lib.scheduling.Reason`` of the refusing rule and ``nearest`` the free
    slots nearest to the wanted start (``lib.scheduling.Slot``, possibly empty); the message
    says why and offers them.
    """

    def __init__(self, message: str, *, reason: object, nearest: list | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.nearest = list(nearest or [])


class SlotOverlaps(SlotUnavailable, SlotTaken):
    """Not a free slot because it overlaps another session of the expert (with the buffers
    around sessions): both a ``SlotUnavailable`` and a ``SlotTaken``."""


class InvalidTransition(Refused):
    """The booking is not in a state that allows this action (e.g. cancelling twice)."""


class ConfigError(Permanent):
    """A setting is missing or wrong; the message names the setting and how to fix it."""


# -- what each adapter raises: its own family, each error transient or permanent ------------------
# Each adapter maps its library's exceptions to these at its own boundary; callers that must know
# whether to try again ask ``isinstance(exc, Transient)``.
class MeetingProviderError(CallExpertError):
    """Creating, moving or cancelling a meeting failed (``MeetingUnavailable`` or ``MeetingFailed``)."""


class MeetingUnavailable(MeetingProviderError, Transient):
    """The calendar is rate limited, failing (5xx) or unreachable; the service retries."""


class MeetingFailed(MeetingProviderError, Permanent):
    """The calendar refused for a reason an ops person must fix; not retried."""


class PaymentError(CallExpertError):
    """The payment gateway refused or could not be reached; the booking stays as it was."""


class PaymentUnavailable(PaymentError, Transient):
    """The gateway could not be reached or did not answer in time; nothing changed, try again."""


class PaymentFailed(PaymentError, Permanent):
    """The gateway refused (a key, a request, a forged notification, a paid order)."""


class DeliveryError(CallExpertError):
    """A send failed (``DeliveryUnavailable``: the row stays queued; ``DeliveryFailed``: it is
    marked failed with the server's reply).

    ``stop_run`` says the fault is the server or the settings, not this message (unreachable
    server, refused login, TLS failure), so the other queued emails would fail the same way and
    the dispatcher stops for this run.
    """

    def __init__(self, message: str, *, stop_run: bool = False, **kwargs: float | None) -> None:
        super().__init__(message, **kwargs)
        self.stop_run = stop_run


class DeliveryUnavailable(DeliveryError, Transient):
    """Worth trying again in a moment (4xx, connection trouble)."""


class DeliveryFailed(DeliveryError, Permanent):
    """Not worth retrying (bad recipient, 5xx reply to the message, refused login)."""


class StoreError(CallExpertError):
    """The database (Supabase) refused or could not answer a read or write."""


class StoreUnavailable(StoreError, Transient):
    """Supabase could not be reached or did not answer in time; trying again can help.

    A write that timed out may still have been applied: the transitions are conditional on the
    booking's status, so repeating one after a refresh changes nothing twice.
    """


class StoreFailed(StoreError, Permanent):
    """Supabase refused the request (a key, a missing migration, a value it does not accept)."""


class UnreadableAvailability(StoreError, Permanent):
    """An expert's stored availability is not one the console can read (written past the
    console, or before the database checked it); ``reason`` says what is wrong in the words of
    ``lib.scheduling.words``. The service gives that expert no hours until new ones are saved."""

    def __init__(self, expert_id: str, reason: str) -> None:
        super().__init__(f"The stored availability of expert {expert_id} cannot be read: {reason}")
        self.expert_id = expert_id
        self.reason = reason


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
