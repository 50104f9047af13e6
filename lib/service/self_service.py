"""Customer self-service: the Reschedule and Cancel links of the customer's emails, within the
policy of the settings, and what ops see and do afterwards (docs/self-service.md).

The endpoint's pages (``lib.entrypoints.web_self_service``) call ``visit``, ``free_times``, ``reschedule``
and ``cancel`` with the token of the link; a change goes through the service's own public
``reschedule`` and ``cancel`` (same event moved, same link, emails to both sides), acting as
``customer_actor`` so the booking's history names the customer.

Safe by construction:
- a token is 256 random bits (as a Join token), stored per booking; unknown or malformed:
  ``UNKNOWN``; the booking cancelled, expired, completed or its session started: ``GONE``;
- every form carries a token signed with the booking's own stored key over the booking's
  revision, so a form from another site, a forged one or one older than the booking's last
  change is refused (``FORM``, ``CHANGED``);
- the store lets one change per booking revision go ahead (``claim_self_service``): a double
  submit or two tabs make one change, the other gets ``CHANGED``; another booking taking the
  slot meanwhile gives ``TAKEN`` with the nearest free times.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol

from lib.access import SELF_SERVICE, Actor, customer_actor, require_staff
from lib.domain import Booking, BookingStatus, HistoryLine
from lib.errors import CallExpertError, InvalidInput, Refused, SlotTaken, SlotUnavailable
from lib.scheduling import Reason, Slot
from lib.self_service_policy import CANCELLED, RESCHEDULED, Claim, Refund, SelfServiceRecord
from lib.service import history
from lib.service.clicks import TOKEN_PATTERN
from lib.service.ports import Ports
from lib.store import BookingRecordStore, SelfServiceStore
from lib.timefmt import rupiah
from lib.validation import clean_text

if TYPE_CHECKING:  # the facade, whose public reschedule, cancel and free_slots are called
    from lib.service import BookingService

# A claim whose request died (a crash between claim and change) frees its revision after this.
CLAIM_STALE = timedelta(minutes=2)
# How many days of free times one reschedule page offers, and how many nearest times a refusal names.
PAGE_DAYS = 14
NEAREST = 3
MAX_REASON = 400
_RESCHEDULE, _CANCEL = "reschedule", "cancel"
# Earlier revisions a refused form token is compared with, to say "changed meanwhile" rather than "forged".
_LOOK_BACK = 20


class Why(str, enum.Enum):
    """Why a self-service page or change is refused (the pages word each in the email's language)."""

    UNKNOWN = "unknown"  # no such link
    GONE = "gone"  # cancelled, expired, held already or started
    DEADLINE = "deadline"  # past the policy's deadline
    LIMIT = "limit"  # moved as often as the policy allows
    FORM = "form"  # the form's token is not this page's
    CHANGED = "changed"  # the booking changed since the page was opened (another tab, a double submit)
    TAKEN = "taken"  # the time was booked meanwhile (or the expert's calendar got busy)
    NOT_FREE = "not free"  # not a free start by the expert's rules (hours, notice, step, daily maximum)
    BAD_TIME = "bad time"  # not a time the page offered
    BAD_REASON = "bad reason"  # a reason that cannot be kept (too long)


class SelfServicePartStore(SelfServiceStore, BookingRecordStore, Protocol):
    """What ``SelfService`` reads and writes in the store."""


class SelfServiceRefused(Refused):
    """A self-service page or change refused, ``why``; ``nearest`` free times for ``TAKEN``."""

    def __init__(self, why: Why, message: str = "", *, nearest: list[Slot] | None = None) -> None:
        super().__init__(message or why.value)
        self.why = why
        self.nearest = list(nearest or [])


@dataclass(frozen=True)
class Policy:
    """The rules of the settings, as the pages state them."""

    deadline_hours: int
    max_reschedules: int
    support_email: str


@dataclass(frozen=True)
class Visit:
    """What one self-service page may show: the booking (its own data only), its row, the
    policy and where the booking stands under it, and the forms' tokens."""

    booking: Booking
    record: SelfServiceRecord
    policy: Policy
    start: datetime  # aware, app zone
    deadline: datetime  # changes allowed before this instant
    open: bool  # before the deadline
    reschedules_left: int
    refund_on_cancel: bool  # paid: ops pay it back after a cancellation
    reschedule_form: str = field(repr=False, default="")
    cancel_form: str = field(repr=False, default="")


@dataclass(frozen=True)
class CustomerChange:
    """A booking a customer changed (or owes a refund for), for the Ops page."""

    booking: Booking
    record: SelfServiceRecord


def form_token(record: SelfServiceRecord, purpose: str, revision: int) -> str:
    """The token of a ``purpose`` form of the booking at ``revision``: HMAC-SHA256 under the
    booking's own stored key, so only a page the endpoint rendered for it can carry it."""
    mac = hmac.new(record.form_key.encode(), f"{purpose}|{record.booking_id}|{revision}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def parse_slot(value: str) -> tuple[date, time]:
    """A picked time as the pages send it (``YYYY-MM-DDTHH:MM``, app zone), or ``BAD_TIME``."""
    try:
        moment = datetime.strptime(str(value or ""), "%Y-%m-%dT%H:%M")
    except ValueError:
        raise SelfServiceRefused(Why.BAD_TIME) from None
    return moment.date(), moment.time()


class SelfService:
    """The customer's pages' reads and changes, and the Ops page's list and refunds."""

    def __init__(self, ports: Ports, service: BookingService) -> None:
        self.ports = ports
        self.service = service

    @property
    def store(self) -> SelfServicePartStore:
        """The store, as the protocols this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    @property
    def policy(self) -> Policy:
        s = self.ports.settings
        return Policy(s.self_service_deadline_hours, s.self_service_max_reschedules, s.support_email)

    # -- the customer's pages -----------------------------------------------------------------
    def visit(self, token: str, *, actor: Actor) -> Visit:
        """The booking behind a self-service token as its pages show it.

        Raises ``SelfServiceRefused``: ``UNKNOWN`` for a malformed or unknown token, ``GONE``
        once the booking is cancelled, expired or completed, or its session has started.
        """
        if not TOKEN_PATTERN.fullmatch(token or ""):
            raise SelfServiceRefused(Why.UNKNOWN)
        require_staff(actor, "serve self-service pages")
        record = self.store.self_service_by_token(token)
        if record is None:
            raise SelfServiceRefused(Why.UNKNOWN)
        booking = self.store.get_booking(record.booking_id)
        if booking is None:
            raise SelfServiceRefused(Why.UNKNOWN)
        return self._visit(booking, record)

    def _visit(self, booking: Booking, record: SelfServiceRecord) -> Visit:
        start = datetime.combine(booking.scheduled_date, booking.scheduled_time, self.ports.tz)
        now = self.ports.clock()
        if booking.status not in (BookingStatus.PAID, BookingStatus.CONFIRMED) or now >= start:
            raise SelfServiceRefused(Why.GONE)
        policy = self.policy
        deadline = start - timedelta(hours=policy.deadline_hours)
        return Visit(booking, record, policy, start, deadline, open=now < deadline,
                     reschedules_left=max(policy.max_reschedules - record.reschedules, 0),
                     refund_on_cancel=booking.price > 0 and bool(booking.payment_ref),
                     reschedule_form=form_token(record, _RESCHEDULE, booking.revision),
                     cancel_form=form_token(record, _CANCEL, booking.revision))

    def free_times(self, visit: Visit, first_day: date | None = None, days: int = PAGE_DAYS, *,
                   actor: Actor = SELF_SERVICE) -> list[Slot]:
        """The expert's free starts for this booking's length on ``days`` days from ``first_day``
        (today in the app zone when ``None``): the same slot function and rules as the console's
        picker, the booking's own time left out."""
        require_staff(actor, "serve self-service pages")
        first = max(first_day or self.ports.today(), self.ports.today())
        found = self.service.free_slots(visit.booking.expert_id, visit.booking.duration, first, days,
                                        actor=SELF_SERVICE, exclude_booking=visit.booking.id)
        return [s for s in found.slots if s.start != visit.start]

    def reschedule(self, token: str, form: str, picked: str, *, actor: Actor) -> Booking:
        """Move the booking to ``picked`` (``YYYY-MM-DDTHH:MM``, app zone) for its customer, through
        the service's ``reschedule``: the same event moves, the link stays, both sides get the
        email. Refused (``SelfServiceRefused``) past the deadline or the limit, with a form that
        is not this booking's as it stands, or a time taken meanwhile (with the nearest free times).
        """
        visit = self._checked(token, form, _RESCHEDULE, actor)
        if visit.reschedules_left < 1:
            raise SelfServiceRefused(Why.LIMIT)
        day, at = parse_slot(picked)
        booking = visit.booking
        self._claim(visit, self.policy.max_reschedules)
        try:
            moved = self.service.reschedule(booking.id, day, at, actor=customer_actor(booking.customer_email))
        except (SlotUnavailable, SlotTaken) as exc:
            self.store.release_self_service(booking.id, booking.revision, rescheduled=True)
            nearest = getattr(exc, "nearest", None) or self._nearest(visit, day, at)
            reason = getattr(exc, "reason", None)
            taken = isinstance(exc, SlotTaken) or reason in (Reason.OVERLAPS_BOOKING, Reason.BUSY_IN_CALENDAR)
            raise SelfServiceRefused(Why.TAKEN if taken else Why.NOT_FREE, nearest=nearest) from None
        except InvalidInput:
            self.store.release_self_service(booking.id, booking.revision, rescheduled=True)
            raise SelfServiceRefused(Why.BAD_TIME) from None
        except BaseException:
            self.store.release_self_service(booking.id, booking.revision, rescheduled=True)
            raise
        self.store.finish_self_service(booking.id, booking.revision, RESCHEDULED, self.ports.clock())
        return moved

    def cancel(self, token: str, form: str, reason: str = "", *, actor: Actor) -> Booking:
        """Cancel the booking for its customer, through the service's ``cancel`` (the event goes,
        both sides get the email), with their optional reason kept as typed (one line) in the
        history. A paid booking is then a refund due on the Ops page."""
        visit = self._checked(token, form, _CANCEL, actor)
        said = " ".join(str(reason or "").split())
        if len(said) > MAX_REASON:
            raise SelfServiceRefused(Why.BAD_REASON)
        booking = visit.booking
        why = f"Cancelled by the customer: {said}" if said else "Cancelled by the customer"
        try:
            why = clean_text(why, "Reason", 500)
        except InvalidInput:
            raise SelfServiceRefused(Why.BAD_REASON) from None
        self._claim(visit, None)
        try:
            gone = self.service.cancel(booking.id, why, actor=customer_actor(booking.customer_email))
        except BaseException:
            self.store.release_self_service(booking.id, booking.revision, rescheduled=False)
            raise
        self.store.finish_self_service(booking.id, booking.revision, CANCELLED, self.ports.clock(),
                                             refund_amount=booking.price if visit.refund_on_cancel else 0)
        return gone

    def _checked(self, token: str, form: str, purpose: str, actor: Actor) -> Visit:
        visit = self.visit(token, actor=actor)
        expected = form_token(visit.record, purpose, visit.booking.revision)
        if not hmac.compare_digest(expected.encode(), str(form or "").encode()):
            older = range(max(visit.booking.revision - _LOOK_BACK, 0), visit.booking.revision)
            if any(hmac.compare_digest(form_token(visit.record, purpose, r).encode(), str(form or "").encode())
                   for r in older):
                raise SelfServiceRefused(Why.CHANGED)
            raise SelfServiceRefused(Why.FORM)
        if not visit.open:
            raise SelfServiceRefused(Why.DEADLINE)
        return visit

    def _claim(self, visit: Visit, limit: int | None) -> None:
        booking, now = visit.booking, self.ports.clock()
        claim = self.store.claim_self_service(booking.id, booking.revision, now, now - CLAIM_STALE, limit)
        if claim is Claim.LIMIT:
            raise SelfServiceRefused(Why.LIMIT)
        if claim is not Claim.CLAIMED:
            raise SelfServiceRefused(Why.CHANGED)
        current = self.store.get_booking(booking.id)
        if current is None or current.revision != booking.revision or current.status is not booking.status:
            # Changed (by ops, or a request that claimed and finished first) between the read and the claim.
            self.store.release_self_service(booking.id, booking.revision, rescheduled=limit is not None)
            raise SelfServiceRefused(Why.CHANGED)

    def _nearest(self, visit: Visit, day: date, at: time) -> list[Slot]:
        wanted = datetime.combine(day, at, self.ports.tz)
        try:
            slots = self.free_times(visit, day - timedelta(days=3), days=PAGE_DAYS)
        except CallExpertError:
            return []
        return sorted(sorted(slots, key=lambda s: (abs(s.start - wanted), s.start))[:NEAREST])

    # -- what ops see and do ---------------------------------------------------------------------
    def changes(self, *, actor: Actor, days: int = 30, limit: int = 50) -> list[CustomerChange]:
        """The bookings customers changed in the last ``days`` days, and every refund still due,
        newest change first (ops only)."""
        require_staff(actor, "see customers' changes")
        since = self.ports.clock() - timedelta(days=days)
        found = []
        for record in self.store.self_service_changes(since, limit):
            booking = self.store.get_booking(record.booking_id)
            if booking is not None:
                found.append(CustomerChange(booking, record))
        return found

    @property
    def gateway_refunds(self) -> bool:
        """Whether the payment gateway can pay money back itself (Midtrans); else ops record it."""
        return callable(getattr(self.ports.payments, "refund", None))

    def start_refund(self, booking_id: str, *, actor: Actor) -> SelfServiceRecord:
        """Ask the payment gateway (Midtrans's refund API) to pay back a refund due, once: the
        refund key is the order's own, so asking again after a lost answer is the same refund."""
        require_staff(actor, "start refunds")
        booking, record = self._due(booking_id)
        order = booking.payment_order_id or booking.payment_ref or ""
        if not self.gateway_refunds or not order:
            raise Refused("This payment cannot be refunded from the console: pay it back by hand, then record it.")
        key = f"{order}-refund"
        # PaymentError (refused, or Midtrans unavailable) leaves the refund due, with its message.
        self.ports.payments.refund(order, record.refund_amount, key, "Cancelled by the customer")  # type: ignore[attr-defined]
        return self._refunded(booking, record, key, history.refund_started(
            rupiah(record.refund_amount), self.ports.payments.name, key), actor)

    def record_refund(self, booking_id: str, note: str, *, actor: Actor) -> SelfServiceRecord:
        """Record that ops paid a refund due back outside the console, with their note."""
        require_staff(actor, "record refunds")
        note = clean_text(note, "Note", 200)
        booking, record = self._due(booking_id)
        return self._refunded(booking, record, note, history.refund_recorded(rupiah(record.refund_amount), note),
                              actor)

    def _due(self, booking_id: str) -> tuple[Booking, SelfServiceRecord]:
        booking = self.ports.load(booking_id)
        record = self.store.self_service_of(booking.id)
        if record is None or record.refund is not Refund.DUE:
            raise Refused("This booking has no refund due (it was started or recorded already); refresh the page.")
        return booking, record

    def _refunded(self, booking: Booking, record: SelfServiceRecord, ref: str, line: HistoryLine,
                  actor: Actor) -> SelfServiceRecord:
        if not self.store.set_refund(booking.id, Refund.DUE, Refund.STARTED, ref, self.ports.clock()):
            raise Refused("Someone else started or recorded this refund a moment ago; refresh the page.")
        self.store.add_history(booking.id, line.event, line.detail, actor.label)
        return self.store.self_service_of(booking.id) or record
