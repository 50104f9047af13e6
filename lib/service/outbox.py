"""Emails: rendering a transition's emails, the dispatcher (and its thread) and "Resend"."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from lib.access import Actor, require_staff
from lib.domain import Booking, BookingStatus, Email, EmailDraft, EmailStatus
from lib.errors import (
    DeliveryError,
    DeliveryUnavailable,
    InvalidTransition,
    NotFound,
    Transient,
    UnreadableAvailability,
    describe_unexpected,
    log_unexpected,
)
from lib.notify import LINK_PENDING, reminder_kind, reminder_offset
from lib.notify.ics import IcsOptions
from lib.notify.templates import emails_for, link_pending_email
from lib.service.clicks import JoinLinks
from lib.service.expert_availability import log_unreadable
from lib.service.ports import Ports
from lib.store import BookingRecordStore, OutboxStore

log = logging.getLogger(__name__)

# Emails a dispatcher takes from the outbox at a time: few enough that a stopped run leaves
# little waiting for its lease to end, enough that a busy queue needs few round trips.
_DISPATCH_BATCH = 20
# A sender that does not say how long it can take is given this long per email.
_DEFAULT_SEND_SECONDS = 60.0
# The ORGANIZER of invitations when no from address is set (outbox only: nothing is sent).
_FALLBACK_ORGANIZER = "bookings@callexpert.invalid"


@dataclass(frozen=True)
class DispatchResult:
    """What one dispatcher run did; ``stopped`` says why it ended before the queue did."""

    sent: int = 0
    failed: int = 0
    retry_later: int = 0
    stopped: str | None = None
    dropped: int = 0  # reminders not sent: their booking was cancelled or moved, or the session began


def replaced_by(kind: str, reminder_offsets: tuple[int, ...] = ()) -> tuple[str, ...]:
    """The kinds of queued emails an email of ``kind`` makes pointless: any later email to the
    customer about the booking (the confirmation with its link, a cancellation, a move) says more
    than the "link still being prepared" notice, so a notice not yet sent is dropped.

    A move or a cancellation also drops that side's queued reminders (of ``reminder_offsets``):
    they name the old time, or a session that no longer takes place. A reminder drops the same
    side's earlier ones (larger offsets) still queued: only the nearest is worth sending.
    """
    event, _, side = kind.partition(".")
    kinds: list[str] = []
    if side == "customer" and kind != LINK_PENDING:
        kinds.append(LINK_PENDING)
    offset = reminder_offset(kind)
    if event in ("rescheduled", "cancelled"):
        kinds += [reminder_kind(m, side) for m in reminder_offsets]
    elif offset is not None:
        kinds += [reminder_kind(m, side) for m in reminder_offsets if m > offset]
    return tuple(kinds)


def session_start(booking: Booking, ports: Ports) -> datetime:
    """The session's start as an instant (its wall clock in the app zone)."""
    return datetime.combine(booking.scheduled_date, booking.scheduled_time, ports.tz)


def recipient_zones(booking: Booking, ports: Ports) -> dict[str, ZoneInfo]:
    """The zone each person's emails about ``booking`` show times in, by side: the expert's is
    the timezone of their availability (one store read), the app zone when they stored none;
    the customer's is always the app zone (no zone is stored per customer). Stored hours that
    cannot be read give the app zone too (and a line in the log): the email still goes out."""
    app = ports.settings.tz
    try:
        availability = ports.store.get_availability(booking.expert_id)
    except UnreadableAvailability as exc:
        log_unreadable(exc)
        availability = None
    return {"customer": app, "expert": availability.zone if availability is not None else app}


def stale_reason(email_kind: str, version: int, booking: Booking | None, start: datetime | None,
                 now: datetime) -> str | None:
    """Why a queued reminder must not be sent now (``None``: send it): its booking is gone or no
    longer confirmed, it was moved since (another revision), or the session has started."""
    if reminder_offset(email_kind) is None:
        return None
    if booking is None or booking.status is not BookingStatus.CONFIRMED:
        return f"the booking is {booking.status.value if booking else 'gone'}"
    if booking.revision != version:
        return "the booking was moved; the reminders of its new time replace it"
    if start is not None and start <= now:
        return "the session has started"
    return None


class OutboxPartStore(OutboxStore, BookingRecordStore, Protocol):
    """What ``Outbox`` reads and writes in the store."""


class Outbox:
    """Renders, queues and sends the emails of the booking life.

    With ``background`` (a real mail server) a page must not wait for SMTP, so what a transition
    queued is sent from one worker thread; otherwise at once.
    """

    def __init__(self, ports: Ports, *, background: bool = False) -> None:
        self.ports = ports
        self._background = background
        self._lock = threading.Lock()
        self._dispatcher: threading.Thread | None = None
        self._again = False
        self.join = JoinLinks(ports)

    @property
    def store(self) -> OutboxPartStore:
        """The store, as the protocols this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def drafts(self, booking: Booking, event: str, join_links: Mapping[str, str] | None = None,
               zones: Mapping[str, ZoneInfo] | None = None) -> list[EmailDraft]:
        """Both emails of ``event``, with the .ics invitation when the settings want one, each
        saying which queued emails it makes pointless (see ``replaced_by``).

        The Join links are the click-counting redirects when ``public_base_url`` is set: given
        as ``join_links`` (a caller inside a store transaction issues them before it), or issued
        here. A cancellation carries no Join link, so it issues none. Each person's times are in
        their zone: given as ``zones`` (read before a store transaction the same way), or read
        here (see ``recipient_zones``).
        """
        settings = self.ports.settings
        if join_links is None and event != "cancelled":
            join_links = self.join.for_emails(booking)
        if zones is None:
            zones = recipient_zones(booking, self.ports)
        ics = None
        if settings.ics_enabled:
            smtp = settings.smtp
            ics = IcsOptions(smtp.from_address or _FALLBACK_ORGANIZER, smtp.from_name, stamp=self.ports.clock(),
                             alarms=settings.reminder_offsets)
        return [replace(d, replaces=replaced_by(d.kind, settings.reminder_offsets))
                for d in emails_for(booking, event, settings.tz, ics, settings.email_language, join_links,
                                    zones)]

    def queue_link_pending(self, booking: Booking) -> None:
        """Queue the customer's "link still being prepared" notice (once per booking version).

        It waits ``link_pending_delay_minutes`` and then leaves with the next dispatch (the cron
        run, or the next email the console sends); a confirmation or cancellation queued before
        then makes it pointless, so it is dropped then.
        """
        now = self.ports.clock()
        try:
            self.store.queue_emails(
                [link_pending_email(booking, self.ports.tz, self.ports.settings.email_language)], now,
                not_before=now + timedelta(minutes=self.ports.settings.link_pending_delay_minutes))
        except Exception:  # a courtesy email must never hide the link error ops have to see
            log.exception("Could not queue the link-pending email of booking %s", booking.id)

    def dispatch_emails(self, limit: int = 100, *, actor: Actor) -> DispatchResult:
        """Send up to ``limit`` queued emails (staff or the system); see ``dispatch``."""
        require_staff(actor, "send queued emails")
        return self.dispatch(limit)

    def dispatch(self, limit: int = 100) -> DispatchResult:
        """Send up to ``limit`` queued emails, each at most once, and record every outcome.

        Emails are leased from the outbox in small batches, so two dispatchers at once never
        hold the same row, and one is sent only while the lease outlasts the sender's longest
        send. The sender retries transient failures itself; what still fails for now stays
        ``queued`` for a later run, permanent failures become ``failed`` with the server's reply,
        and a fault of the server or the settings (``stop_run``) ends this run.
        """
        store, sender, clock = self.store, self.ports.sender, self.ports.clock
        budget = timedelta(seconds=float(getattr(sender, "max_send_seconds", _DEFAULT_SEND_SECONDS)))
        lease = timedelta(seconds=self.ports.settings.email_lease_seconds)
        sent = failed = later = dropped = 0
        tried: set[int] = set()
        stopped: str | None = None
        while stopped is None and len(tried) < limit:
            now = clock()
            want = min(_DISPATCH_BATCH, limit - len(tried))
            batch = store.claim_queued_emails(now, now + lease, want)
            # An email this run already tried can come back once it is queued again; it now keeps
            # the fresh lease, which spaces out its next try, and the run ends when only such remain.
            fresh = [e for e in batch if e.id not in tried]
            for email in fresh:
                if clock() + budget > now + lease:
                    stopped = "the outbox lease would end before the next email is through; the next run sends the rest"
                    break
                tried.add(email.id)
                stale = self._stale_reminder(email)
                if stale is not None:  # checked again at send time: queued before a cancel or a move
                    store.drop_emails([email.id])
                    log.info("Reminder %s of booking %s not sent: %s", email.kind, email.booking_id, stale)
                    dropped += 1
                    continue
                try:
                    sender.send(email)
                except DeliveryError as exc:
                    error: DeliveryError = exc
                except Exception as exc:  # noqa: BLE001 - a bug in a sender: keep the email, stop, say why (by type)
                    log_unexpected(log, f"Sender {sender.name} failed on email {email.id}", exc)
                    error = DeliveryUnavailable(f"Unexpected error while sending: {describe_unexpected(exc)}",
                                                stop_run=True)
                else:
                    store.mark_email(email.id, EmailStatus.SENT, None, clock())
                    sent += 1
                    continue
                later_on = isinstance(error, Transient)
                store.mark_email(email.id, EmailStatus.QUEUED if later_on else EmailStatus.FAILED, str(error), clock())
                failed += not later_on
                later += later_on
                if error.stop_run:
                    stopped = str(error)
                    break
            if stopped is not None:  # what this run took but never tried is the next run's at once
                store.release_emails([e.id for e in fresh if e.id not in tried])
            if len(batch) < want or not fresh:
                break  # the queue is empty for now
        return DispatchResult(sent, failed, later, stopped, dropped)

    def _stale_reminder(self, email: Email) -> str | None:
        """Why a reminder must not go out now (see ``lib.service.reminders.stale_reason``), or a
        "link still being prepared" notice: only while the booking is still paid, waiting for its
        link (a cancel that raced the failed link attempt which queued it makes it pointless)."""
        if email.kind == LINK_PENDING:
            booking = self.store.get_booking(email.booking_id)
            if booking is None or booking.status is not BookingStatus.PAID:
                return f"the booking is {booking.status.value if booking else 'gone'}, no longer waiting for a link"
            return None
        if reminder_offset(email.kind) is None:
            return None
        booking = self.store.get_booking(email.booking_id)
        start = session_start(booking, self.ports) if booking is not None else None
        return stale_reason(email.kind, email.version, booking, start, self.ports.clock())

    def dispatch_after_change(self) -> None:
        """Send what a transition queued: at once for the outbox, from one worker thread for SMTP.

        The worker is not a daemon, so a CLI run waits for it before exiting; outbox leases keep
        it from sending anything a cron dispatcher sends too.
        """
        if not self._background:
            self.dispatch()
            return
        with self._lock:
            if self._dispatcher is not None:
                self._again = True
                return
            self._dispatcher = threading.Thread(target=self._dispatch_loop, name="email-dispatch")
            self._dispatcher.start()

    def _dispatch_loop(self) -> None:
        while True:
            try:
                self.dispatch()
            except Exception as exc:  # noqa: BLE001 - the worker must not die silently with emails waiting
                log_unexpected(log, "Background email dispatch failed; the next run retries", exc)
            with self._lock:
                if not self._again:
                    self._dispatcher = None
                    return
                self._again = False

    def resend_email(self, email_id: int, *, actor: Actor) -> Email:
        """The ops "Resend" of a ``failed`` email: the same outbox row is queued again and sent.

        Never makes a second row. Raises ``InvalidTransition`` when the email is not failed (sent,
        or resent by someone else a moment ago), ``NotFound`` for an id that is not a number.
        """
        require_staff(actor, "resend emails")
        try:
            email_id = int(email_id)
        except (TypeError, ValueError):
            raise NotFound(f"{email_id!r} is not an email id.") from None
        store = self.store
        email = store.requeue_email(email_id)
        if email is None:
            raise InvalidTransition("This email is not failed (it was sent or resent meanwhile); refresh the list.")
        store.add_history(email.booking_id, "email resent", f"{email.kind} to {email.recipient}", actor.label)
        self.dispatch()
        return next((e for e in store.list_emails(booking_id=email.booking_id) if e.id == email.id), email)
