"""Payments: start one at the gateway, learn whether it settled (a check or a notification), and
flag money that arrived for a booking that no longer wants it.

Every gateway has one shape (``lib.payments.PaymentGateway``): ``start`` answers ``PAID`` when the
payment settled at once (the demo), or ``PENDING`` with the page the customer pays on (Midtrans).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from lib.access import Actor, require_staff
from lib.domain import Booking, BookingStatus
from lib.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
    PaymentError,
    PaymentFailed,
    PaymentUnavailable,
)
from lib.payments import PaymentResult, PaymentState, order_id_for, parse_order_id
from lib.service import history
from lib.service.links import Links, PaidHere
from lib.service.ports import Ports
from lib.timefmt import rupiah

log = logging.getLogger(__name__)


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


class Payments:
    """``pending -> paid`` (or ``cancelled`` when the gateway refuses), through the gateway."""

    def __init__(self, ports: Ports, links: Links) -> None:
        self.ports = ports
        self.links = links

    @property
    def _gateway_name(self) -> str:
        return self.ports.payments.name

    def pay(self, booking_id: str, *, actor: Actor) -> Booking:
        """Take the payment of a ``pending`` booking: ``start_payment``, so ``paid`` at once with a
        gateway that settles at once (the demo), still ``pending`` with its payment page otherwise.

        A booking that is no longer pending comes back as it is (a rerun, a second click).
        """
        require_staff(actor, "take payments")
        booking = self.ports.load(booking_id)
        if booking.status is not BookingStatus.PENDING:
            return booking
        return self._start(booking, actor)

    def start_payment(self, booking_id: str, *, actor: Actor) -> Booking:
        """Open a new payment of a ``pending`` booking at the gateway.

        Every call is a new attempt with its own order id (``CE-<booking hex>-<n>``), because
        Midtrans accepts an order id once. A payment that settles at once makes the booking
        ``paid``; otherwise its order id, token and payment page are stored and it stays
        ``pending``. A refused or unreachable gateway raises ``PaymentError`` (``PaymentUnavailable``
        for network faults) and leaves the booking as it was, apart from the attempt count.
        """
        require_staff(actor, "take payments")
        return self._start(self.ports.load(booking_id), actor)

    def _start(self, booking: Booking, actor: Actor) -> Booking:
        """``start_payment`` of a booking just read: the payment alone, no link."""
        if booking.status is not BookingStatus.PENDING:
            raise InvalidTransition(f"This booking is {booking.status.label.lower()}; only a booking awaiting "
                                    "payment can be paid.")
        taken = self.take(booking, actor)
        if isinstance(taken, PaidHere):
            paid = self.ports.store.mark_paid_counting_attempt(booking.id, taken.reference, self.ports.clock(),
                                                               actor.label, line=history.paid(taken.reference))
            return paid or self.ports.load(booking.id)
        return taken

    def pay_by(self, booking: Booking) -> datetime:
        """When ``booking`` stops waiting for its money: ``pending_expiry_minutes`` after it was
        made, when the expiry job frees its slot. A payment page the gateway opens ends then too."""
        made = booking.created_at or self.ports.clock()
        return made + timedelta(minutes=self.ports.settings.pending_expiry_minutes)

    def take(self, booking: Booking, actor: Actor) -> PaidHere | Booking:
        """Start the payment of a ``pending`` booking the way the service's route says.

        A gateway that settles within the process (the demo) is asked under the booking's next
        order id, which never leaves the process, so nothing is numbered first; when it settled,
        nothing is stored yet: the ``PaidHere`` goes on to ``Links.confirm_paid``, which stores the
        payment with the link's first step. Any other gateway (Midtrans) has its attempt numbered
        in a transaction of its own first, since the gateway accepts an order id once. Either way
        its answer is stored as ``_answered`` says; a refusal raises ``PaymentError``.
        """
        require_staff(actor, "take payments")
        if not self.ports.route.pays_here:
            numbered = self.ports.store.add_payment_attempt(booking.id)
            if numbered is None:
                raise InvalidTransition("This booking changed meanwhile; refresh and try again.")
            order_id = order_id_for(numbered.id, numbered.payment_attempts)
            return self._answered(numbered, order_id, self._ask(numbered, order_id, actor), actor)
        asked = replace(booking, payment_attempts=booking.payment_attempts + 1)
        order_id = order_id_for(asked.id, asked.payment_attempts)
        result = self._ask(asked, order_id, actor)
        if result.state is PaymentState.PAID:
            return PaidHere(booking, result.reference)
        numbered = self.ports.store.add_payment_attempt(booking.id)  # it said otherwise: count it as asked
        return self._answered(numbered or booking, order_id, result, actor)

    def _ask(self, booking: Booking, order_id: str, actor: Actor) -> PaymentResult:
        """The gateway's answer to a new payment of ``booking``; a failure to ask is written down."""
        try:
            return self.ports.payments.start(booking, order_id, expires_at=self.pay_by(booking))
        except PaymentError as exc:
            self.ports.store.add_history(booking.id, "payment start failed", f"order {order_id}: {exc}", actor.label)
            raise

    def _answered(self, booking: Booking, order_id: str, result: PaymentResult, actor: Actor) -> Booking:
        """Store a numbered order's first answer: paid, refused (raises ``PaymentFailed``), or the
        page the customer pays on."""
        store, who = self.ports.store, actor.label
        if result.state is PaymentState.PAID:
            paid = store.mark_paid(booking.id, result.reference, self.ports.clock(), who,
                                   line=history.paid(result.reference))
            return paid or store.get_booking(booking.id) or booking  # no longer pending: as it is now
        if result.state is PaymentState.FAILED:
            store.add_history(booking.id, "payment failed", result.message, who)
            raise PaymentFailed(f"Payment failed: {result.message or 'the gateway refused it'}. "
                               "The booking is still awaiting payment.")
        started = store.start_payment(booking.id, order_id, result.token or "", result.redirect_url or "",
                                      self.ports.clock(), who, line=history.payment_started(order_id))
        return started or store.get_booking(booking.id) or booking

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
        booking = self.ports.load(booking_id)
        if booking.status is BookingStatus.EXPIRED and booking.payment_order_id:
            return self._check_expired(booking, actor)
        if booking.status is not BookingStatus.PENDING:
            return PaymentCheck(booking, f"Nothing to check: this booking is {booking.status.label.lower()}.")
        if not booking.payment_order_id:
            return PaymentCheck(booking, "No payment has been started for this booking yet.")
        result = self.ports.payments.status(booking.payment_order_id)
        if result.state is PaymentState.PENDING:
            result = self._earlier_attempt_paid(booking) or result
        return self._apply_payment(booking, result, actor)

    def apply_payment_notification(self, payload: Mapping[str, Any], *, actor: Actor) -> PaymentCheck:
        """Apply a gateway's HTTP notification (Midtrans), from the endpoint (lib.entrypoints.web) or the CLI.

        The signature is checked first: a forged or mis-signed notification raises
        ``PaymentError`` and changes nothing. Then the same transition as ``check_payment`` for
        the order it names. Midtrans's signature covers the order id, status code and amount but
        not ``transaction_status``, so a notification that would move the booking is confirmed
        with one status request first. Repeated or late notifications change nothing.
        """
        require_staff(actor, "apply payment notifications")
        if not isinstance(payload, Mapping):
            raise InvalidInput("A payment notification must be a JSON object.")
        reported = self.ports.payments.read_notification(payload)
        parsed = parse_order_id(reported.reference)
        booking = self.ports.store.get_booking(parsed[0]) if parsed else None
        if parsed is None or booking is None or parsed[1] > booking.payment_attempts:
            raise NotFound(f"Order {reported.reference!r} is not an order of a CallExpert booking; nothing changed.")
        if booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED) and reported.state is PaymentState.PAID:
            return self._paid_after_cancellation(booking, reported.reference, actor)
        if booking.status is not BookingStatus.PENDING:
            return PaymentCheck(booking, f"Nothing changed: this booking is already {booking.status.label.lower()} "
                                         "(a repeated or late notification).")
        if reported.state is PaymentState.PENDING:
            return PaymentCheck(booking, reported.message, needs_review=reported.needs_review)
        return self._apply_payment(booking, self.ports.payments.status(reported.reference), actor)

    def close_expired_order(self, booking: Booking, actor: Actor) -> None:
        """Close an expired booking's payment page at the gateway; a failure is written to its
        history and never undoes the expiry. Paid a moment before: flagged for a refund."""
        store, gateway = self.ports.store, self.ports.payments
        order = booking.payment_order_id or ""
        try:
            gateway.expire(order)
        except PaymentUnavailable as exc:
            store.add_history(booking.id, "payment close failed", f"order {order}: {exc}", actor.label)
        except PaymentError as exc:
            try:
                result = gateway.status(order)
            except PaymentError:
                result = None
            if result is not None and result.state is PaymentState.PAID:
                self._paid_after_cancellation(booking, result.reference, actor, confirmed=True)
            else:
                store.add_history(booking.id, "payment close failed", f"order {order}: {exc}", actor.label)

    def _earlier_attempt_paid(self, booking: Booking) -> PaymentResult | None:
        """A settled payment under an earlier order id of the booking (a Snap page opened before
        a newer attempt), if any; one status request per earlier attempt, usually none."""
        for attempt in range(booking.payment_attempts, 0, -1):
            order = order_id_for(booking.id, attempt)
            if order != booking.payment_order_id:
                result = self.ports.payments.status(order)
                if result.state is PaymentState.PAID:
                    return result
        return None

    def _apply_payment(self, booking: Booking, result: PaymentResult, actor: Actor) -> PaymentCheck:
        """Move a ``pending`` booking as the gateway's answer says; each write is conditional on
        ``pending``, so a check racing a notification moves it once."""
        store, clock, name = self.ports.store, self.ports.clock, self._gateway_name
        who, order = actor.label, result.reference
        if result.state is PaymentState.PAID:
            if result.amount is None:
                # Paid means this booking's price arrived: an answer that does not say how much
                # (no or an unreadable gross_amount) cannot show that.
                store.add_history(booking.id, "payment amount missing",
                                  f"order {order}: reported {result.gateway_status or 'paid'} without an amount, "
                                  f"{booking.price} due", who)
                return PaymentCheck(booking, f"Not marked paid: {name} reports order {order} paid but "
                                             f"does not say the amount, and the booking costs {rupiah(booking.price)}. "
                                             "Check the transaction in the gateway's dashboard.", needs_review=True)
            if result.amount != booking.price:
                store.add_history(booking.id, "payment amount mismatch",
                                  f"order {order}: {result.amount} reported, {booking.price} due", who)
                reported = rupiah(int(result.amount))
                return PaymentCheck(booking, f"Not marked paid: {name} reports {reported} for order "
                                             f"{order}, but the booking costs {rupiah(booking.price)}. Check the "
                                             "transaction in the gateway's dashboard.", needs_review=True)
            if store.mark_paid(booking.id, order, clock(), who, line=history.paid(order)) is None:
                current = self.ports.load(booking.id)
                if current.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED):
                    # Expired or cancelled a moment before the money was recorded: keep the money in view.
                    return self._paid_after_cancellation(current, result.reference, actor, confirmed=True)
                return self._unchanged(booking.id)
            linked = self.links.confirm_paid(booking.id, who, dispatch=True)
            if linked.link_error is not None:
                return PaymentCheck(linked.booking, f"Paid: {result.message} The meeting link is not "
                                    "ready yet; ops will create it.", changed=True, link_error=linked.link_error)
            return PaymentCheck(linked.booking, f"Paid and confirmed: {result.message}", changed=True)
        if result.state is PaymentState.FAILED:
            if order != booking.payment_order_id:
                return PaymentCheck(booking, f"An earlier payment attempt ({order}) ended ({result.gateway_status}); "
                                             "the current one still counts, so nothing changed.")
            reason = f"{result.message} Order {order}."
            gone = store.mark_payment_failed(booking.id, reason, clock(), who, line=history.payment_failed(reason))
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
        store, name = self.ports.store, self._gateway_name
        expired = booking.status is BookingStatus.EXPIRED
        event = "paid after expiry" if expired else "paid after cancellation"
        noted = any(h.event == event and order in h.detail for h in store.history(booking.id))
        if not noted:
            if not confirmed:
                answer = self.ports.payments.status(order)
                if answer.state is not PaymentState.PAID:
                    return PaymentCheck(booking, f"Nothing changed: the notification says order {order} was paid, but "
                                                 f"{name} reports {answer.gateway_status or 'otherwise'}; "
                                                 f"this booking stays {booking.status.value} with nothing to refund.")
            store.add_history(booking.id, event, f"order {order}: refund it in the {name} dashboard", actor.label)
            log.warning("Booking %s was paid (order %s) after it was %s; a refund is due", booking.id, order,
                        booking.status.value)
        return PaymentCheck(booking, f"{name.title()} reports order {order} paid, but this booking is "
                                     f"{booking.status.value}: refund the payment in the gateway's dashboard.",
                            needs_review=True)

    def _check_expired(self, booking: Booking, actor: Actor) -> PaymentCheck:
        """A payment check of an expired booking: asks the gateway about each of its orders, since
        a customer may have paid just as it expired; money found is flagged for a refund."""
        for attempt in range(booking.payment_attempts, 0, -1):
            result = self.ports.payments.status(order_id_for(booking.id, attempt))
            if result.state is PaymentState.PAID:
                return self._paid_after_cancellation(booking, result.reference, actor, confirmed=True)
        return PaymentCheck(booking, "This booking expired unpaid, and the gateway reports no payment for it.")

    def _unchanged(self, booking_id: str) -> PaymentCheck:
        current = self.ports.load(booking_id)
        return PaymentCheck(current, f"Nothing changed: this booking is already {current.status.label.lower()}.")
