"""The booking service: the one entry point that every page and the CLI call.

It runs the booking life ``pending -> paid -> confirmed -> cancelled | completed`` (and
``pending -> expired`` when a booking is not paid in time) over four ports (store, meeting
provider, payment gateway, email sender) and keeps the rules:
no double booking, no duplicate events or emails on retry, and a paid booking is never lost.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from lib.access import SYSTEM, Actor, require_can_see, require_expert_or_staff, require_known, require_staff
from lib.clock import Clock, system_clock
from lib.config import Settings
from lib.domain import (
    ACTIVE_STATUSES,
    Booking,
    BookingRequest,
    BookingStatus,
    Customer,
    Email,
    EmailDraft,
    EmailStatus,
    Expert,
    HistoryEntry,
    LinkRunResult,
    Meeting,
    NewBooking,
    NewCustomer,
    OpsCounts,
)
from lib.errors import (
    CallExpertError,
    InvalidInput,
    InvalidTransition,
    MeetingProviderError,
    NotFound,
    PaymentError,
    PaymentUnavailable,
    SlotTaken,
    describe_unexpected,
    log_unexpected,
)
from lib.meetings import HealthCheck, MeetingProvider
from lib.meetings.quota import BudgetUse
from lib.notify import DeliveryError, EmailSender
from lib.notify.ics import IcsOptions
from lib.notify.templates import emails_for, link_pending_email
from lib.payments import PaymentGateway, PaymentResult, PaymentState, order_id_for, parse_order_id
from lib.store import BookingStore
from lib.timefmt import rupiah
from lib.validation import (
    clean_duration,
    clean_meeting_link,
    clean_new_customer,
    clean_slot,
    clean_text,
    price_for,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
Progress = Callable[[int, int, Booking], None]

# Emails a dispatcher takes from the outbox at a time: few enough that a stopped run leaves
# little waiting for its lease to end, enough that a busy queue needs few round trips.
_DISPATCH_BATCH = 20
# A sender that does not say how long it can take is given this long per email.
_DEFAULT_SEND_SECONDS = 60.0
# The ORGANIZER of invitations when no from address is set (outbox only: nothing is sent).
_FALLBACK_ORGANIZER = "bookings@callexpert.invalid"


@dataclass(frozen=True)
class BookingOutcome:
    """What the booking form shows after submit: the booking and, if any, why it has no link.

    With a gateway the customer pays on (Midtrans) the booking stays ``pending``:
    ``payment_url`` is the page to pay on, ``payment_error`` why the payment could not be started.
    """

    booking: Booking
    link_error: str | None = None
    payment_url: str | None = None
    payment_error: str | None = None


@dataclass(frozen=True)
class BookingPreview:
    """Exactly what ``book`` would store for a request, for the booking form to show before
    anyone presses "Book and pay".

    ``existing_customer`` is set when a "new" customer's email already belongs to a stored
    customer: the booking is then made for that customer, under their stored name.
    """

    customer_name: str
    customer_email: str
    expert: Expert
    session_type: str
    scheduled_date: date
    scheduled_time: time
    duration: int
    price: int
    existing_customer: Customer | None = None

    @property
    def customer_note(self) -> str | None:
        """What to tell the person booking when the typed email is already a customer's."""
        if self.existing_customer is None:
            return None
        return (f"{self.existing_customer.email} is already the customer {self.existing_customer.name}; "
                "the booking will be under that customer.")


@dataclass(frozen=True)
class PaymentCheck:
    """What a payment check (or a gateway notification) found, and what it changed.

    ``changed`` is true when this call moved the booking (paid, or cancelled); ``needs_review``
    when a person must act in the gateway's dashboard (e.g. a card payment Midtrans challenged).
    """

    booking: Booking
    message: str
    changed: bool = False
    link_error: str | None = None
    needs_review: bool = False


@dataclass(frozen=True)
class DispatchResult:
    """What one dispatcher run did; ``stopped`` says why it ended before the queue did."""

    sent: int = 0
    failed: int = 0
    retry_later: int = 0
    stopped: str | None = None


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, MeetingProviderError) and exc.retryable


class BookingService:
    """Books, pays, links, reschedules and cancels, through the configured adapters."""

    def __init__(
        self,
        store: BookingStore,
        meetings: MeetingProvider,
        payments: PaymentGateway,
        sender: EmailSender,
        settings: Settings,
        clock: Clock = system_clock,
        sleep: Callable[[float], None] | None = None,
        background_dispatch: bool = False,
    ) -> None:
        self.store = store
        self.meetings = meetings
        self.payments = payments
        self.sender = sender
        self.settings = settings
        self.tz = settings.tz
        self.clock = clock
        self._sleep = sleep  # tests pass a no-op; None means tenacity's real sleep
        # With a real mail server a page must not wait for SMTP: send from a worker thread.
        self._background_dispatch = background_dispatch
        self._dispatch_lock = threading.Lock()
        self._dispatcher: threading.Thread | None = None
        self._dispatch_again = False

    # -- time ---------------------------------------------------------------------------
    def now_local(self) -> datetime:
        """Now as a naive wall-clock datetime in the app timezone (WIB by default)."""
        return self.clock().astimezone(self.tz).replace(tzinfo=None)

    def today(self) -> date:
        """Today's date in the app timezone, never the UTC date."""
        return self.now_local().date()

    # -- reads --------------------------------------------------------------------------
    def experts(self, *, actor: Actor) -> list[Expert]:
        """Every expert; anyone signed in may see who can be booked (the gate also reads it to
        resolve roles, as the system)."""
        require_known(actor, "see the experts")
        return self.store.list_experts()

    def customers(self, *, actor: Actor) -> list[Customer]:
        """Every customer with their email: staff only."""
        require_staff(actor, "see the customer list")
        return self.store.list_customers()

    def get_booking(self, booking_id: str, *, actor: Actor) -> Booking:
        """The booking, or ``NotFound`` with a message a person can read.

        An expert gets ``PermissionDenied`` for another expert's booking (e.g. an edited
        ``?booking=`` link).
        """
        booking = self._load(booking_id)
        require_can_see(actor, booking)
        return booking

    def _load(self, booking_id: str) -> Booking:
        """The booking without a permission check: for the service's own steps after one."""
        booking_id = (booking_id or "").strip()
        try:
            uuid.UUID(booking_id)
        except ValueError:
            raise NotFound(f"{booking_id!r} is not a booking id; check the link you followed.") from None
        booking = self.store.get_booking(booking_id)
        if booking is None:
            raise NotFound(f"No booking with id {booking_id}.")
        return booking

    def quote(self, expert_id: str, duration: int, *, actor: Actor) -> int:
        """The price in rupiah of ``duration`` minutes with the expert."""
        require_staff(actor, "quote prices")
        expert = self.store.get_expert(expert_id)
        if expert is None:
            raise NotFound("Unknown expert; pick one from the list.")
        return price_for(expert.hourly_rate, clean_duration(duration))

    def upcoming_for_expert(self, expert_id: str, limit: int = 200, *, actor: Actor) -> list[Booking]:
        """The expert's confirmed sessions that have not ended yet, "now" taken in the app timezone."""
        require_expert_or_staff(actor, expert_id, "see upcoming sessions")
        return self.store.upcoming_for_expert(expert_id, self.now_local(), limit)

    def ops_counts(self, *, actor: Actor) -> OpsCounts:
        require_staff(actor, "see the ops numbers")
        return self.store.counts(self.today())

    def missing_links(self, limit: int = 500, *, actor: Actor) -> list[Booking]:
        require_staff(actor, "list bookings missing a link")
        return self.store.missing_links(limit)

    def recent_bookings(self, limit: int = 200, status: BookingStatus | None = None,
                        *, actor: Actor) -> list[Booking]:
        require_staff(actor, "list all bookings")
        return self.store.recent_bookings(limit, status)

    def history(self, booking_id: str, *, actor: Actor) -> list[HistoryEntry]:
        require_staff(actor, "read booking history")
        return self.store.history(booking_id)

    def emails(self, limit: int = 200, booking_id: str | None = None, *, actor: Actor) -> list[Email]:
        require_staff(actor, "read the email outbox")
        return self.store.list_emails(limit, booking_id)

    def meeting_health(self, *, actor: Actor) -> HealthCheck:
        """The meeting provider's connection check, for the ops page."""
        require_staff(actor, "check the meeting provider")
        return self.meetings.check_connection()

    def request_budget(self, *, actor: Actor) -> BudgetUse | None:
        """The Google calendar's shared per-minute request budget: requests taken in the last 60
        seconds and the limit, for the ops page; None when links are not made with Google."""
        require_staff(actor, "see the Google request budget")
        if self.settings.meeting_provider != "google":
            return None
        google = self.settings.google
        return BudgetUse(google.calendar_id, self.store.request_slots_used(google.calendar_id, self.clock()),
                         google.requests_per_minute)

    # -- the flow -----------------------------------------------------------------------
    def book(self, request: BookingRequest, *, actor: Actor) -> Booking:
        """Validate the request and store it as ``pending``. Bad input writes nothing."""
        require_staff(actor, "book sessions")
        if request.request_key:
            earlier = self.store.find_by_request_key(request.request_key)
            if earlier is not None:
                return earlier
        preview = self._preview(request)
        new = NewBooking(
            id=str(uuid.uuid4()),
            expert_id=preview.expert.id,
            session_type=preview.session_type,
            scheduled_date=preview.scheduled_date,
            scheduled_time=preview.scheduled_time,
            duration=preview.duration,
            price=preview.price,
            customer_id=request.customer_id or None,
            new_customer=None if request.customer_id else NewCustomer(preview.customer_name, preview.customer_email),
            request_key=request.request_key,
        )
        return self._freeing_stale_holds(lambda: self.store.create_booking(new, actor.label))

    def preview_booking(self, request: BookingRequest, *, actor: Actor) -> BookingPreview:
        """What ``book`` would store for ``request``, checked the same way, writing nothing.

        Raises what ``book`` raises for bad input. A new customer whose email is already a
        customer's comes back with ``existing_customer`` set (and that customer's name).
        """
        require_staff(actor, "book sessions")
        return self._preview(request)

    def _preview(self, request: BookingRequest) -> BookingPreview:
        expert = self.store.get_expert(str(request.expert_id or ""))
        if expert is None:
            raise NotFound("Unknown expert; pick one from the list.")
        session_type = clean_text(request.session_type, "Session type", 80)
        duration = clean_duration(request.duration)
        day, at = clean_slot(request.scheduled_date, request.scheduled_time, self.now_local(),
                             self.settings.booking_horizon_days)
        existing = None
        if request.customer_id:
            customer = self.store.get_customer(request.customer_id)
            if customer is None:
                raise NotFound("Unknown customer; pick one from the list or enter a new one.")
            name, email = customer.name, customer.email
        elif request.new_customer is not None:
            typed = clean_new_customer(request.new_customer)
            # The stores match customers by email, case-insensitively, and keep the stored name.
            existing = next((c for c in self.store.list_customers() if c.email.casefold() == typed.email.casefold()),
                            None)
            name, email = (existing.name, existing.email) if existing else (typed.name, typed.email)
        else:
            raise InvalidInput("Pick a customer or enter a new one (name and email).")
        return BookingPreview(customer_name=name, customer_email=email, expert=expert, session_type=session_type,
                              scheduled_date=day, scheduled_time=at, duration=duration,
                              price=price_for(expert.hourly_rate, duration), existing_customer=existing)

    def pay(self, booking_id: str, *, actor: Actor) -> Booking:
        """Charge a pending booking through a gateway that settles at once (the demo); ``paid`` when it settles.

        A gateway the customer pays on (Midtrans) goes through ``start_payment`` and
        ``check_payment`` instead: the console never marks such a booking paid by itself.
        """
        require_staff(actor, "take payments")
        if not self.payments.settles_at_once:
            raise PaymentError(f"{self.payments.name.title()} payments are made by the customer on the gateway's "
                               "page: start the payment, then check it.")
        booking = self._load(booking_id)
        if booking.status is not BookingStatus.PENDING:
            return booking  # paid already (a rerun, a second click): nothing to charge
        result = self.payments.charge(booking)
        if result.state is PaymentState.FAILED:
            self.store.add_history(booking.id, "payment failed", result.message, actor.label)
            raise PaymentError(f"Payment failed: {result.message or 'the gateway refused it'}. The booking is still awaiting payment.")
        if result.state is PaymentState.PENDING:
            return booking
        paid = self.store.mark_paid(booking.id, result.reference, self.clock(), actor.label)
        return paid or self._load(booking.id)

    def book_and_pay(self, request: BookingRequest, *, actor: Actor) -> BookingOutcome:
        """The whole flow of the booking form: book, pay, create the link, queue the emails.

        The booking survives a failing provider: it stays ``paid`` with the error recorded and
        shows up on the ops page.
        """
        booking = self.book(request, actor=actor)
        if not self.payments.settles_at_once:
            return self._book_with_payment_page(booking, actor)
        booking = self.pay(booking.id, actor=actor)
        if booking.status is not BookingStatus.PAID:
            return BookingOutcome(booking)
        try:
            return BookingOutcome(self.create_link(booking.id, actor=actor))
        except (MeetingProviderError, InvalidTransition) as exc:
            return BookingOutcome(self._load(booking.id), link_error=str(exc))

    def _book_with_payment_page(self, booking: Booking, actor: Actor) -> BookingOutcome:
        """``book_and_pay`` with a gateway the customer pays on: start the payment once.

        The same form submitted again finds its booking with a payment already started and
        returns it, so a double click never opens a second Midtrans transaction.
        """
        if booking.status is BookingStatus.PENDING and not booking.payment_url:
            try:
                booking = self.start_payment(booking.id, actor=actor)
            except PaymentError as exc:
                return BookingOutcome(self._load(booking.id), payment_error=str(exc))
        pending = booking.status is BookingStatus.PENDING
        return BookingOutcome(booking, payment_url=booking.payment_url if pending else None)

    # -- gateway payments (Midtrans) ----------------------------------------------------------
    def start_payment(self, booking_id: str, *, actor: Actor) -> Booking:
        """Open a new payment of a ``pending`` booking at the gateway (a Midtrans Snap transaction)
        and store its order id, token and payment page; the booking stays ``pending``.

        Every call is a new attempt with its own order id (``CE-<booking hex>-<n>``), because
        Midtrans accepts an order id once. A refused or unreachable gateway raises
        ``PaymentError`` (``retryable`` for network faults) and leaves the booking as it was,
        apart from the attempt count. With the demo gateway this is ``pay``.
        """
        require_staff(actor, "take payments")
        booking = self._load(booking_id)
        if booking.status is not BookingStatus.PENDING:
            raise InvalidTransition(f"This booking is {booking.status.label.lower()}; only a booking awaiting "
                                    "payment can be paid.")
        if self.payments.settles_at_once:
            return self.pay(booking.id, actor=actor)
        numbered = self.store.add_payment_attempt(booking.id)
        if numbered is None:
            raise InvalidTransition("This booking changed meanwhile; refresh and try again.")
        order_id = order_id_for(booking.id, numbered.payment_attempts)
        try:
            result = self.payments.start(numbered, order_id)
        except PaymentError as exc:
            self.store.add_history(booking.id, "payment start failed", f"order {order_id}: {exc}", actor.label)
            raise
        started = self.store.start_payment(booking.id, order_id, result.token or "", result.redirect_url or "",
                                           self.clock(), actor.label)
        return started or self._load(booking.id)

    def check_payment(self, booking_id: str, *, actor: Actor) -> PaymentCheck:
        """Ask the gateway (never the browser) whether the booking's payment settled, and move it on.

        Paid (Midtrans ``settlement``, or ``capture`` with ``fraud_status`` ``accept``): ``paid``,
        then the meeting link and the emails, as ``book_and_pay`` does. ``deny``, ``cancel``,
        ``expire`` or ``failure`` of the current order: ``cancelled`` with the reason (there is
        no calendar event yet). ``pending``, or a payment under review: unchanged. A booking that
        is no longer pending is left alone without asking, so checking twice changes nothing.
        A network fault raises ``PaymentUnavailable`` and changes nothing.
        """
        require_staff(actor, "check payments")
        booking = self._load(booking_id)
        if booking.status is BookingStatus.EXPIRED and booking.payment_order_id:
            return self._check_expired(booking, actor)
        if booking.status is not BookingStatus.PENDING:
            return PaymentCheck(booking, f"Nothing to check: this booking is {booking.status.label.lower()}.")
        if not booking.payment_order_id:
            return PaymentCheck(booking, "No payment has been started for this booking yet.")
        result = self.payments.status(booking.payment_order_id)
        if result.state is PaymentState.PENDING:
            result = self._earlier_attempt_paid(booking) or result
        return self._apply_payment(booking, result, actor)

    def apply_payment_notification(self, payload: Mapping[str, Any], *, actor: Actor) -> PaymentCheck:
        """Apply a gateway's HTTP notification (Midtrans), e.g. from a webhook receiver through the CLI.

        The signature is checked first: a forged or mis-signed notification raises
        ``PaymentError`` and changes nothing. Then the same transition as ``check_payment`` for
        the order it names. Midtrans's signature covers the order id, status code and amount but
        not ``transaction_status``, so a notification that would move the booking is confirmed
        with one status request first. Repeated or late notifications change nothing.
        """
        require_staff(actor, "apply payment notifications")
        if not isinstance(payload, Mapping):
            raise InvalidInput("A payment notification must be a JSON object.")
        reported = self.payments.read_notification(payload)
        parsed = parse_order_id(reported.reference)
        booking = self.store.get_booking(parsed[0]) if parsed else None
        if parsed is None or booking is None or parsed[1] > booking.payment_attempts:
            raise NotFound(f"Order {reported.reference!r} is not an order of a CallExpert booking; nothing changed.")
        if booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED) and reported.state is PaymentState.PAID:
            return self._paid_after_cancellation(booking, reported.reference, actor)
        if booking.status is not BookingStatus.PENDING:
            return PaymentCheck(booking, f"Nothing changed: this booking is already {booking.status.label.lower()} "
                                         "(a repeated or late notification).")
        if reported.state is PaymentState.PENDING:
            return PaymentCheck(booking, reported.message, needs_review=reported.needs_review)
        return self._apply_payment(booking, self.payments.status(reported.reference), actor)

    def stuck_pending(self, *, actor: Actor, limit: int = 200) -> list[Booking]:
        """Bookings still awaiting payment ``midtrans.pending_alert_minutes`` after they were made,
        oldest first: the ops page's alert list."""
        require_staff(actor, "list bookings awaiting payment")
        cutoff = self.clock() - timedelta(minutes=self.settings.midtrans.pending_alert_minutes)
        return self.store.pending_since(cutoff, limit)

    def _earlier_attempt_paid(self, booking: Booking) -> PaymentResult | None:
        """A settled payment under an earlier order id of the booking (a Snap page opened before
        a newer attempt), if any; one status request per earlier attempt, usually none."""
        for attempt in range(booking.payment_attempts, 0, -1):
            order = order_id_for(booking.id, attempt)
            if order != booking.payment_order_id:
                result = self.payments.status(order)
                if result.state is PaymentState.PAID:
                    return result
        return None

    def _apply_payment(self, booking: Booking, result: PaymentResult, actor: Actor) -> PaymentCheck:
        """Move a ``pending`` booking as the gateway's answer says; each write is conditional on
        ``pending``, so a check racing a notification moves it once."""
        who, order = actor.label, result.reference
        if result.state is PaymentState.PAID:
            if result.amount is None:
                # Paid means this booking's price arrived: an answer that does not say how much
                # (no or an unreadable gross_amount) cannot show that.
                self.store.add_history(booking.id, "payment amount missing",
                                       f"order {order}: reported {result.gateway_status or 'paid'} without an amount, "
                                       f"{booking.price} due", who)
                return PaymentCheck(booking, f"Not marked paid: {self.payments.name} reports order {order} paid but "
                                             f"does not say the amount, and the booking costs {rupiah(booking.price)}. "
                                             "Check the transaction in the gateway's dashboard.", needs_review=True)
            if result.amount != booking.price:
                self.store.add_history(booking.id, "payment amount mismatch",
                                       f"order {order}: {result.amount} reported, {booking.price} due", who)
                reported = rupiah(int(result.amount))
                return PaymentCheck(booking, f"Not marked paid: {self.payments.name} reports {reported} for order "
                                             f"{order}, but the booking costs {rupiah(booking.price)}. Check the "
                                             "transaction in the gateway's dashboard.", needs_review=True)
            if self.store.mark_paid(booking.id, order, self.clock(), who) is None:
                current = self._load(booking.id)
                if current.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED):
                    # Expired or cancelled a moment before the money was recorded: keep the money in view.
                    return self._paid_after_cancellation(current, result.reference, actor, confirmed=True)
                return self._unchanged(booking.id)
            try:
                linked = self.create_link(booking.id, actor=actor)
            except (MeetingProviderError, InvalidTransition) as exc:
                return PaymentCheck(self._load(booking.id), f"Paid: {result.message} The meeting link is not "
                                    "ready yet; ops will create it.", changed=True, link_error=str(exc))
            return PaymentCheck(linked, f"Paid and confirmed: {result.message}", changed=True)
        if result.state is PaymentState.FAILED:
            if order != booking.payment_order_id:
                return PaymentCheck(booking, f"An earlier payment attempt ({order}) ended ({result.gateway_status}); "
                                             "the current one still counts, so nothing changed.")
            gone = self.store.mark_payment_failed(booking.id, f"{result.message} Order {order}.", self.clock(), who)
            if gone is None:
                return self._unchanged(booking.id)
            return PaymentCheck(gone, f"Cancelled: {result.message}", changed=True)
        return PaymentCheck(booking, result.message, needs_review=result.needs_review)

    def _paid_after_cancellation(self, booking: Booking, order: str, actor: Actor, *,
                                 confirmed: bool = False) -> PaymentCheck:
        """Money for a booking that was cancelled meanwhile (e.g. ops cancelled it while the Snap
        page was still open) or had expired unpaid (its slot may be someone else's by now): the
        booking stays as it is, and its history says a refund is due, once however often the
        notification repeats.

        A notification's signature does not cover its status, so unless the caller already has
        the gateway's own answer (``confirmed``), the status API must say "paid" too before a
        refund is written down.
        """
        expired = booking.status is BookingStatus.EXPIRED
        event = "paid after expiry" if expired else "paid after cancellation"
        noted = any(h.event == event and order in h.detail for h in self.store.history(booking.id))
        if not noted:
            if not confirmed:
                answer = self.payments.status(order)
                if answer.state is not PaymentState.PAID:
                    return PaymentCheck(booking, f"Nothing changed: the notification says order {order} was paid, but "
                                                 f"{self.payments.name} reports {answer.gateway_status or 'otherwise'}; "
                                                 f"this booking stays {booking.status.value} with nothing to refund.")
            self.store.add_history(booking.id, event,
                                   f"order {order}: refund it in the {self.payments.name} dashboard", actor.label)
            log.warning("Booking %s was paid (order %s) after it was %s; a refund is due", booking.id, order,
                        booking.status.value)
        return PaymentCheck(booking, f"{self.payments.name.title()} reports order {order} paid, but this booking is "
                                     f"{booking.status.value}: refund the payment in the gateway's dashboard.",
                            needs_review=True)

    def _check_expired(self, booking: Booking, actor: Actor) -> PaymentCheck:
        """A payment check of an expired booking: asks the gateway about each of its orders, since
        a customer may have paid just as it expired; money found is flagged for a refund."""
        for attempt in range(booking.payment_attempts, 0, -1):
            result = self.payments.status(order_id_for(booking.id, attempt))
            if result.state is PaymentState.PAID:
                return self._paid_after_cancellation(booking, result.reference, actor, confirmed=True)
        return PaymentCheck(booking, "This booking expired unpaid, and the gateway reports no payment for it.")

    def _unchanged(self, booking_id: str) -> PaymentCheck:
        current = self._load(booking_id)
        return PaymentCheck(current, f"Nothing changed: this booking is already {current.status.label.lower()}.")

    def create_link(self, booking_id: str, *, actor: Actor, dispatch: bool = True) -> Booking:
        """Create the meeting of a ``paid`` booking and confirm it; idempotent.

        Retries retryable provider errors with exponential backoff and jitter (honouring the
        provider's Retry-After); after the last attempt the booking stays ``paid`` with the
        attempt count and last error, and ``MeetingProviderError`` is raised.
        """
        require_staff(actor, "create meeting links")
        return self._link(booking_id, actor.label, dispatch)[0]

    def _link(self, booking_id: str, actor: str, dispatch: bool) -> tuple[Booking, bool]:
        """``create_link``, also telling whether this call did the work (False: done elsewhere)."""
        now = self.clock()
        booking = self.store.claim_for_link(booking_id, now, now + timedelta(seconds=self.settings.link_lease_seconds))
        if booking is None:
            current = self._load(booking_id)
            if current.status is BookingStatus.CONFIRMED:
                return current, False
            if current.status is BookingStatus.PAID:
                raise InvalidTransition("Another worker is creating this link right now; refresh in a minute.")
            raise InvalidTransition(f"This booking is {current.status.label.lower()}; only paid bookings need a link.")
        tries = iter(range(booking.link_attempts, booking.link_attempts + self.settings.link_attempts))
        try:
            # Each try sees its own attempt number (the store counts them too): a conference
            # re-requested on a later try needs a request id Google has not seen.
            meeting = self._retrying(lambda: self.meetings.create(replace(booking, link_attempts=next(tries))),
                                     booking.id, actor)
        except MeetingProviderError:
            self.store.release_link_claim(booking.id)
            self._queue_link_pending(booking)
            raise
        except Exception as exc:  # a bug or an unexpected library error: keep the booking visible
            # Stored, shown and raised by type only: a library's message may quote credentials.
            log_unexpected(log, f"Creating the link of booking {booking.id} failed", exc)
            self.store.record_link_attempt(booking.id, f"Unexpected error: {describe_unexpected(exc)}", actor)
            self.store.release_link_claim(booking.id)
            self._queue_link_pending(booking)
            raise MeetingProviderError(f"Unexpected error while creating the link: {describe_unexpected(exc)}",
                                       retryable=False) from None
        return self._confirm(booking, meeting, actor, f"{self.meetings.name} link created", dispatch), True

    def set_link_manually(self, booking_id: str, url: str, *, actor: Actor) -> Booking:
        """Confirm a ``paid`` booking with a link ops pasted by hand (e.g. while Google is down).

        An earlier link attempt may have made a calendar event (and invited both people to its
        own meeting link): it is removed first, and the history says which events went. The
        booking is held like a link creation meanwhile, so no attempt makes one alongside. If the
        provider cannot be reached, the pasted link still counts and the history says what to
        remove by hand (cancelling the booking tries again).
        """
        require_staff(actor, "paste meeting links")
        link = clean_meeting_link(url, self.settings.link_hosts)
        booking = self._load(booking_id)
        if booking.status is not BookingStatus.PAID:
            raise InvalidTransition(f"This booking is {booking.status.label.lower()}; a link can be pasted only on a paid booking.")
        now = self.clock()
        held = self.store.claim_for_link(booking.id, now, now + timedelta(seconds=self.settings.link_lease_seconds))
        if held is None:
            current = self._load(booking.id)
            if current.status is BookingStatus.PAID:
                raise InvalidTransition("A meeting link is being created for this booking right now; refresh in a "
                                        "minute and paste again if it failed.")
            raise InvalidTransition(f"This booking is {current.status.label.lower()}; a link can be pasted only on a paid booking.")
        try:
            self._remove_attempt_events(held, actor.label)
            return self._confirm(held, Meeting(url=link, event_id="", event_version=held.event_version), actor.label,
                                 "link pasted by hand", dispatch=True)
        finally:
            self.store.release_link_claim(held.id)  # a no-op once confirmed

    def _remove_attempt_events(self, booking: Booking, actor: str, *, must: bool = False) -> None:
        """Remove the calendar events earlier link attempts of a booking without a stored event may
        have made; record which were removed, or (unless ``must``, which raises) why none could be."""
        try:
            removed = self._retrying(lambda: self.meetings.cancel(booking), booking.id, actor, record=False) or []
        except MeetingProviderError as exc:
            if must:
                raise
            self.store.add_history(booking.id, "earlier calendar event not removed",
                                   f"{self.meetings.name}: {exc} An earlier link attempt's event may still be live; "
                                   "delete it in the calendar (its id is the booking id without dashes, then v and a number).", actor)
            return
        if removed:
            self.store.add_history(booking.id, "earlier calendar event removed",
                                   f"{self.meetings.name} event {', '.join(removed)} (made by an earlier link attempt, "
                                   "with its own meeting link) was deleted and its invitation withdrawn", actor)

    def _confirm(self, booking: Booking, meeting: Meeting, actor: str, detail: str, dispatch: bool) -> Booking:
        linked = replace(booking, meeting_link=meeting.url, google_event_id=meeting.event_id or None,
                         event_version=meeting.event_version, status=BookingStatus.CONFIRMED)
        confirmed = self.store.confirm(booking.id, meeting.url, meeting.event_id or None, meeting.event_version,
                                       self.clock(), self._emails(linked, "confirmed"), actor, detail)
        if confirmed is None:
            current = self._load(booking.id)
            if current.status is BookingStatus.CONFIRMED:
                return current  # someone else confirmed it first: same event, so nothing to undo
            # Cancelled while the link was being made: take the fresh event down again.
            if meeting.event_id and current.meeting_link is None:
                self._best_effort_cancel(linked, actor)
            raise InvalidTransition(f"This booking became {current.status.label.lower()} while the link was being created.")
        if dispatch:
            self._dispatch_after_change()
        return confirmed

    def create_missing_links(self, progress: Progress | None = None, *, actor: Actor,
                             concurrency: int | None = None) -> LinkRunResult:
        """Create links for every ``paid`` booking without one, a bounded number at a time.

        ``progress(done, total, booking)`` is called from the caller's thread after each booking,
        so a page can move its progress bar.
        """
        require_staff(actor, "create links in bulk")
        todo = self.store.missing_links()
        result = LinkRunResult()
        if not todo:
            return result
        workers = max(1, min(concurrency or self.settings.link_concurrency, len(todo)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="links") as pool:
            futures = {pool.submit(self._link, b.id, actor.label, False): b for b in todo}
            for done, future in enumerate(as_completed(futures), start=1):
                booking = futures[future]
                try:
                    _, did_work = future.result()
                    (result.confirmed if did_work else result.skipped).append(booking.id)
                except InvalidTransition:
                    result.skipped.append(booking.id)
                except CallExpertError as exc:
                    result.failed[booking.id] = str(exc)
                if progress is not None:
                    progress(done, len(todo), booking)
        self._dispatch_after_change()
        return result

    def reschedule(self, booking_id: str, new_date: date, new_time: time, *, actor: Actor) -> Booking:
        """Move a booking; its meeting (event id and link) stays and moves with it.

        Ops may move any booking, an expert only their own.
        """
        booking = self.get_booking(booking_id, actor=actor)
        require_expert_or_staff(actor, booking.expert_id, "reschedule")
        who = actor.label
        if booking.status not in ACTIVE_STATUSES:
            raise InvalidTransition(f"A {booking.status.value} booking cannot be rescheduled.")
        day, at = clean_slot(new_date, new_time, self.now_local(), self.settings.booking_horizon_days)
        if (day, at) == (booking.scheduled_date, booking.scheduled_time):
            raise InvalidInput("That is the booking's current date and time; pick a new one.")
        moved = replace(booking, scheduled_date=day, scheduled_time=at, revision=booking.revision + 1)
        if booking.google_event_id and booking.status is BookingStatus.CONFIRMED:
            # The calendar moves first: if Google refuses, nothing has changed anywhere.
            self._retrying(lambda: self.meetings.reschedule(moved), booking.id, who, record=False)
        send = booking.status is BookingStatus.CONFIRMED
        try:
            result = self._freeing_stale_holds(lambda: self.store.reschedule(
                booking.id, day, at, self.clock(), lambda b: self._emails(b, "rescheduled") if send else [], who))
        except SlotTaken:
            if booking.google_event_id and booking.status is BookingStatus.CONFIRMED:
                self._retrying(lambda: self.meetings.reschedule(booking), booking.id, who, record=False)
            raise
        self._dispatch_after_change()
        return result

    def cancel(self, booking_id: str, reason: str = "Cancelled by ops", *, actor: Actor) -> Booking:
        """Cancel a booking and its meeting, and queue the cancellation emails (ops only)."""
        require_staff(actor, "cancel bookings")
        reason = clean_text(reason or "Cancelled", "Reason", 500)
        booking = self._load(booking_id)
        if booking.status not in ACTIVE_STATUSES:
            raise InvalidTransition(f"This booking is already {booking.status.value}.")
        if booking.status is BookingStatus.PENDING and booking.payment_order_id:
            # Close the payment page first: a cancelled booking must not be payable afterwards.
            self.payments.expire(booking.payment_order_id)
        if booking.google_event_id:
            self._retrying(lambda: self.meetings.cancel(booking), booking.id, actor.label, record=False)
        elif booking.status is not BookingStatus.PENDING:
            # Paid (or confirmed with a pasted link): a link attempt may have made and sent an event.
            # If the calendar refuses, nothing has changed, as with a stored event.
            self._remove_attempt_events(booking, actor.label, must=True)
        notify = booking.status in (BookingStatus.PAID, BookingStatus.CONFIRMED)
        gone = replace(booking, status=BookingStatus.CANCELLED)
        cancelled = self.store.cancel(booking.id, self.clock(), reason,
                                      self._emails(gone, "cancelled") if notify else [], actor.label)
        if cancelled is None:
            raise InvalidTransition("This booking changed while it was being cancelled; refresh and try again.")
        self._dispatch_after_change()
        return cancelled

    def expire_unpaid(self, *, actor: Actor) -> list[Booking]:
        """Expire every booking still awaiting payment ``pending_expiry_minutes`` after it was made
        (``pending -> expired``, with a history line) so it stops holding its slot; returns them.

        A payment recorded first wins: that booking stays paid. Each expired booking's gateway
        order (Midtrans) is then closed, best effort; money that arrives for it anyway is flagged
        for a refund (see ``apply_payment_notification``).
        """
        require_staff(actor, "expire unpaid bookings")
        return self._expire_stale(actor)

    def _expire_stale(self, actor: Actor) -> list[Booking]:
        now = self.clock()
        cutoff = now - timedelta(minutes=self.settings.pending_expiry_minutes)
        expired = self.store.expire_pending(cutoff, now, actor.label)
        for booking in expired:
            if booking.payment_order_id:
                self._close_expired_order(booking, actor)
        return expired

    def _close_expired_order(self, booking: Booking, actor: Actor) -> None:
        """Close an expired booking's payment page at the gateway; a failure is written to its
        history and never undoes the expiry. Paid a moment before: flagged for a refund."""
        order = booking.payment_order_id or ""
        try:
            self.payments.expire(order)
        except PaymentUnavailable as exc:
            self.store.add_history(booking.id, "payment close failed", f"order {order}: {exc}", actor.label)
        except PaymentError as exc:
            try:
                result = self.payments.status(order)
            except PaymentError:
                result = None
            if result is not None and result.state is PaymentState.PAID:
                self._paid_after_cancellation(booking, result.reference, actor, confirmed=True)
            else:
                self.store.add_history(booking.id, "payment close failed", f"order {order}: {exc}", actor.label)

    def _freeing_stale_holds(self, write: Callable[[], T]) -> T:
        """Run a write that checks the slot; when it is taken, expire the holds that outlived
        ``pending_expiry_minutes`` and try once more, so a stale hold never blocks anyone even
        if the expiry job has not run yet."""
        try:
            return write()
        except SlotTaken:
            if not self._expire_stale(SYSTEM):
                raise
            return write()

    def complete_finished(self, *, actor: Actor) -> int:
        """Mark confirmed sessions whose end has passed (app timezone) as ``completed``; how many."""
        require_staff(actor, "complete sessions")
        return self.store.complete_ended(self.now_local(), self.clock(), actor.label)

    # -- emails -------------------------------------------------------------------------
    def _emails(self, booking: Booking, event: str) -> list[EmailDraft]:
        """Both emails of ``event``, with the .ics invitation when the settings want one."""
        ics = None
        if self.settings.ics_enabled:
            smtp = self.settings.smtp
            ics = IcsOptions(smtp.from_address or _FALLBACK_ORGANIZER, smtp.from_name, stamp=self.clock())
        return emails_for(booking, event, self.tz, ics)

    def _queue_link_pending(self, booking: Booking) -> None:
        """Queue the customer's "link still being prepared" notice (once per booking version).

        It waits ``link_pending_delay_minutes`` and then leaves with the next dispatch (the cron
        run, or the next email the console sends); a confirmation or cancellation queued before
        then makes it pointless, so the store drops it.
        """
        now = self.clock()
        try:
            self.store.queue_emails([link_pending_email(booking, self.tz)], now,
                                    not_before=now + timedelta(minutes=self.settings.link_pending_delay_minutes))
        except Exception:  # a courtesy email must never hide the link error ops have to see
            log.exception("Could not queue the link-pending email of booking %s", booking.id)

    def dispatch_emails(self, limit: int = 100, *, actor: Actor) -> DispatchResult:
        """Send up to ``limit`` queued emails (staff or the system); see ``_dispatch``."""
        require_staff(actor, "send queued emails")
        return self._dispatch(limit)

    def _dispatch(self, limit: int = 100) -> DispatchResult:
        """Send up to ``limit`` queued emails, each at most once, and record every outcome.

        Emails are leased from the outbox in small batches, so two dispatchers at once never
        hold the same row, and one is sent only while the lease outlasts the sender's longest
        send. The sender retries transient failures itself; what still fails for now stays
        ``queued`` for a later run, permanent failures become ``failed`` with the server's reply,
        and a fault of the server or the settings (``stop_run``) ends this run.
        """
        budget = timedelta(seconds=float(getattr(self.sender, "max_send_seconds", _DEFAULT_SEND_SECONDS)))
        lease = timedelta(seconds=self.settings.email_lease_seconds)
        sent = failed = later = 0
        tried: set[int] = set()
        stopped: str | None = None
        while stopped is None and len(tried) < limit:
            now = self.clock()
            want = min(_DISPATCH_BATCH, limit - len(tried))
            batch = self.store.claim_queued_emails(now, now + lease, want)
            # An email this run already tried can come back once it is queued again; it now keeps
            # the fresh lease, which spaces out its next try, and the run ends when only such remain.
            fresh = [e for e in batch if e.id not in tried]
            for email in fresh:
                if self.clock() + budget > now + lease:
                    stopped = "the outbox lease would end before the next email is through; the next run sends the rest"
                    break
                tried.add(email.id)
                try:
                    self.sender.send(email)
                except DeliveryError as exc:
                    error: DeliveryError = exc
                except Exception as exc:  # a bug in a sender: keep the email, stop, and say why (by type only)
                    log_unexpected(log, f"Sender {self.sender.name} failed on email {email.id}", exc)
                    error = DeliveryError(f"Unexpected error while sending: {describe_unexpected(exc)}",
                                          permanent=False, stop_run=True)
                else:
                    self.store.mark_email(email.id, EmailStatus.SENT, None, self.clock())
                    sent += 1
                    continue
                self.store.mark_email(email.id, EmailStatus.FAILED if error.permanent else EmailStatus.QUEUED,
                                      str(error), self.clock())
                failed += error.permanent
                later += not error.permanent
                if error.stop_run:
                    stopped = str(error)
                    break
            if stopped is not None:  # what this run took but never tried is the next run's at once
                self.store.release_emails([e.id for e in fresh if e.id not in tried])
            if len(batch) < want or not fresh:
                break  # the queue is empty for now
        return DispatchResult(sent, failed, later, stopped)

    def _dispatch_after_change(self) -> None:
        """Send what a transition queued: at once for the outbox, from one worker thread for SMTP.

        The worker is not a daemon, so a CLI run waits for it before exiting; outbox leases keep
        it from sending anything a cron dispatcher sends too.
        """
        if not self._background_dispatch:
            self._dispatch()
            return
        with self._dispatch_lock:
            if self._dispatcher is not None:
                self._dispatch_again = True
                return
            self._dispatcher = threading.Thread(target=self._dispatch_loop, name="email-dispatch")
            self._dispatcher.start()

    def _dispatch_loop(self) -> None:
        while True:
            try:
                self._dispatch()
            except Exception as exc:  # the worker must not die silently with emails waiting
                log_unexpected(log, "Background email dispatch failed; the next run retries", exc)
            with self._dispatch_lock:
                if not self._dispatch_again:
                    self._dispatcher = None
                    return
                self._dispatch_again = False

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
        email = self.store.requeue_email(email_id)
        if email is None:
            raise InvalidTransition("This email is not failed (it was sent or resent meanwhile); refresh the list.")
        self.store.add_history(email.booking_id, "email resent", f"{email.kind} to {email.recipient}", actor.label)
        self._dispatch()
        return next((e for e in self.store.list_emails(booking_id=email.booking_id) if e.id == email.id), email)

    # -- retries ------------------------------------------------------------------------
    def _wait(self, state: RetryCallState) -> float:
        base = wait_random_exponential(multiplier=self.settings.link_backoff_seconds,
                                       max=self.settings.link_backoff_max_seconds)(state)
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None) or 0.0
        return max(base, min(float(hint), self.settings.link_backoff_max_seconds))

    def _retrying(self, call: Callable[[], T], booking_id: str, actor: str, record: bool = True) -> T:
        """Run one provider call with the configured retries; record each attempt in history."""

        def attempt() -> T:
            try:
                value = call()
            except MeetingProviderError as exc:
                if record:
                    self.store.record_link_attempt(booking_id, str(exc), actor)
                else:
                    self.store.add_history(booking_id, "calendar call failed", str(exc), actor)
                raise
            if record:
                self.store.record_link_attempt(booking_id, None, actor)
            return value

        kwargs = {} if self._sleep is None else {"sleep": self._sleep}
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.link_attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_retryable),
            reraise=True,
            **kwargs,
        )
        return retrying(attempt)

    def _best_effort_cancel(self, booking: Booking, actor: str) -> None:
        try:
            self.meetings.cancel(booking)
        except MeetingProviderError as exc:
            self.store.add_history(booking.id, "calendar call failed", f"could not remove the event: {exc}", actor)
