"""The booking life: book (and preview), book and pay in one go, reschedule, cancel, expire
unpaid bookings and complete ended sessions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from lib.access import SYSTEM, Actor, require_can_see, require_expert_or_staff, require_staff
from lib.domain import (
    ACTIVE_STATUSES,
    Booking,
    BookingRequest,
    BookingStatus,
    Customer,
    EmailDraft,
    Expert,
    NewBooking,
    NewCustomer,
)
from lib.errors import InvalidInput, InvalidTransition, NotFound, PaymentError, SlotTaken
from lib.scheduling.model import MAX_HORIZON_DAYS
from lib.service import history
from lib.service.calendar import CalendarChanges
from lib.service.expert_availability import Scheduling, SlotOverride
from lib.service.links import Links, PaidHere
from lib.service.outbox import Outbox, recipient_zones
from lib.service.payments import Payments
from lib.service.ports import Ports
from lib.service.session_types import SessionTypes
from lib.store import EXPIRE_BATCH, BookingInputs
from lib.validation import clean_new_customer, clean_slot, clean_text, type_price

T = TypeVar("T")
# Customers one email search reads before it reads them all (see ``_customer_by_email``).
_EMAIL_MATCHES = 100
# Days either side of a start whose bookings the one read before booking brings: the start's day
# in any expert's zone, with buffers and a session over midnight, lies within them.
_AROUND_DAYS = 2


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
    session_type_id: str | None = None
    # Set when ops book a start that is not a free slot: the history line saying why and who, and
    # why the start is not free (the refusing rule's sentence), for the form to show before booking.
    slot_override: str | None = None
    slot_override_why: str | None = None

    @property
    def customer_note(self) -> str | None:
        """What to tell the person booking when the typed email is already a customer's."""
        if self.existing_customer is None:
            return None
        return (f"{self.existing_customer.email} is already the customer {self.existing_customer.name}; "
                "the booking will be under that customer.")


class BookingLife:
    """``pending -> paid -> confirmed -> cancelled | completed`` and ``pending -> expired``."""

    def __init__(self, ports: Ports, outbox: Outbox, links: Links, payments: Payments,
                 scheduling: Scheduling, calendar: CalendarChanges, types: SessionTypes | None = None) -> None:
        self.ports = ports
        self.calendar = calendar
        self.types = types or SessionTypes(ports)
        self.outbox = outbox
        self.links = links
        self.payments = payments
        self.scheduling = scheduling

    def book(self, request: BookingRequest, *, actor: Actor) -> Booking:
        """Validate the request and store it as ``pending``. Bad input writes nothing."""
        return self._book(request, actor)[0]

    def _book(self, request: BookingRequest, actor: Actor) -> tuple[Booking, BookingInputs]:
        """``book``, with what it read for the checks (``book_and_pay`` goes on with it)."""
        require_staff(actor, "book sessions")
        store = self.ports.store
        # One read for every check (on Supabase one request): the earlier booking of this form, the
        # expert, their types, hours and the bookings around the start.
        inputs = self._inputs(request, request.request_key)
        if inputs.earlier is not None:
            return inputs.earlier, inputs
        # The store matches a new customer by email itself, in the booking's transaction (and keeps
        # the stored name), so ``book`` need not look the customer up first as the preview does.
        preview = self._preview(request, actor, find_customer=False, inputs=inputs)
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
            session_type_id=preview.session_type_id,
        )
        booking = self._freeing_stale_holds(lambda: store.create_booking(new, actor.label,
                                                                         line=history.created(new.price)))
        self.scheduling.forget_busy(booking.expert_id)
        if preview.slot_override and booking.id == new.id:
            store.add_history(booking.id, "slot override", preview.slot_override, actor.label)
        return booking, inputs

    def _inputs(self, request: BookingRequest, request_key: str | None = None) -> BookingInputs:
        """What the checks of ``request`` read, in one store call; the bookings of the days around
        its start (wide enough for any expert's zone, their buffers and a session over midnight)."""
        day, first, last = request.scheduled_date, None, None
        if isinstance(day, date) and not isinstance(day, datetime):
            # Clamped at the calendar's ends: a day typed there is refused by the checks, in words.
            around = timedelta(days=_AROUND_DAYS)
            first = datetime.combine(day - around if day - date.min > around else date.min, time(0))
            last = datetime.combine(day + around + timedelta(days=1) if date.max - day > around else date.max, time(0))
        customer_id = str(request.customer_id) if request.customer_id else None
        return self.ports.store.booking_inputs(str(request.expert_id or ""), request_key or None, customer_id,
                                               first, last, self.ports.pending_since())

    def preview_booking(self, request: BookingRequest, *, actor: Actor,
                        known: BookingInputs | None = None) -> BookingPreview:
        """What ``book`` would store for ``request``, checked the same way, writing nothing.

        Raises what ``book`` raises for bad input. A new customer whose email is already a
        customer's comes back with ``existing_customer`` set (and that customer's name). ``known``:
        what was read for the request's expert and customer already (else read here, in one call).
        """
        require_staff(actor, "book sessions")
        fits = (known is not None and known.expert is not None and known.expert.id == request.expert_id
                and (not request.customer_id or (known.customer is not None
                                                 and known.customer.id == request.customer_id)))
        return self._preview(request, actor, inputs=known if fits else self._inputs(request))  # type: ignore[arg-type]

    def _preview(self, request: BookingRequest, actor: Actor, *, find_customer: bool = True,
                 inputs: BookingInputs) -> BookingPreview:
        expert = inputs.expert
        if expert is None:
            raise NotFound("Unknown expert; pick one from the list.")
        kind, duration = self.types.for_request(expert, request, inputs.session_types)
        # The horizon is the expert's (their availability); this bound only catches typos.
        day, at = clean_slot(request.scheduled_date, request.scheduled_time, self.ports.now_local(), MAX_HORIZON_DAYS)
        typed = clean_new_customer(request.new_customer) if request.new_customer and not request.customer_id else None
        override = self.scheduling.check_start(expert, day, at, duration, actor=actor,
                                               override_reason=request.override_reason, known=inputs)
        existing = None
        if request.customer_id:
            customer = inputs.customer
            if customer is None:
                raise NotFound("Unknown customer; pick one from the list or enter a new one.")
            name, email = customer.name, customer.email
        elif typed is not None:
            # The stores match customers by email, case-insensitively, and keep the stored name.
            existing = self._customer_by_email(typed.email) if find_customer else None
            name, email = (existing.name, existing.email) if existing else (typed.name, typed.email)
        else:
            raise InvalidInput("Pick a customer or enter a new one (name and email).")
        return BookingPreview(customer_name=name, customer_email=email, expert=expert, session_type=kind.name(),
                              scheduled_date=day, scheduled_time=at, duration=duration,
                              price=type_price(kind, duration), existing_customer=existing,
                              session_type_id=kind.id,
                              slot_override=override.line if override else None,
                              slot_override_why=override.why if override else None)

    def _customer_by_email(self, email: str) -> Customer | None:
        """The stored customer with ``email`` (case-insensitively), through the store's search rather
        than a read of every customer; only when the search is full without it (many addresses
        containing this one) are all customers read."""
        store = self.ports.store
        wanted = email.casefold()
        found = store.search_customers(email, _EMAIL_MATCHES)
        if len(found) >= _EMAIL_MATCHES and not any(c.email.casefold() == wanted for c in found):
            found = store.list_customers()
        return next((c for c in found if c.email.casefold() == wanted), None)

    def book_and_pay(self, request: BookingRequest, *, actor: Actor, dispatch: bool = True) -> BookingOutcome:
        """The whole flow of the booking form: book, start the payment, and once it is paid create
        the link and queue the emails.

        A payment that settles at once (the demo) goes on to the link in the same call; with a
        payment page (Midtrans) the booking stays ``pending`` with ``payment_url``. The same form
        submitted again finds its booking with a payment already started and returns it, so a
        double click never opens a second gateway transaction. The booking survives a failing
        provider: it stays ``paid`` with the error recorded and shows up on the ops page.

        Paid here or paid before, the booking goes on through the one routine every path from
        paid to confirmed takes (``Links.confirm_paid``); how the adapters pay and link was
        decided when the service was built. ``dispatch=False`` queues the emails without sending
        them now (a caller that sends them later).
        """
        booking, inputs = self._book(request, actor)
        # The expert's hours were read for the checks: the emails' zones need no second read.
        zones = _known_zones(inputs, booking, self.ports.settings.tz)
        paid: PaidHere | None = None
        if booking.status is BookingStatus.PENDING and not booking.payment_url:
            try:
                taken = self.payments.take(booking, actor)
            except PaymentError as exc:
                return BookingOutcome(self.ports.store.get_booking(booking.id) or booking, payment_error=str(exc))
            paid, booking = (taken, booking) if isinstance(taken, PaidHere) else (None, taken)
        if paid is None and booking.status is not BookingStatus.PAID:
            pending = booking.status is BookingStatus.PENDING
            return BookingOutcome(booking, payment_url=booking.payment_url if pending else None)
        linked = self.links.confirm_paid(booking.id, actor.label, dispatch, paid, zones=zones)
        return BookingOutcome(linked.booking, link_error=linked.link_error)

    def preview_reschedule(self, booking_id: str, new_date: date, new_time: time, *, actor: Actor,
                           override_reason: str | None = None) -> str | None:
        """Checks a move as ``reschedule`` does, writing nothing: ``None`` for a free start, or
        why the start is not free when ops move it there anyway with ``override_reason``.
        Raises what ``reschedule`` raises (``SlotUnavailable`` for a start over another session)."""
        override = self._check_move(booking_id, new_date, new_time, actor, override_reason)[3]
        return override.why if override else None

    def _check_move(self, booking_id: str, new_date: date, new_time: time, actor: Actor,
                    override_reason: str | None) -> tuple[Booking, date, time, SlotOverride | None]:
        booking = self.ports.load(booking_id)
        require_can_see(actor, booking)
        require_expert_or_staff(actor, booking.expert_id, "reschedule")
        if booking.status not in ACTIVE_STATUSES:
            raise InvalidTransition(f"A {booking.status.value} booking cannot be rescheduled.")
        day, at = clean_slot(new_date, new_time, self.ports.now_local(), MAX_HORIZON_DAYS)
        if (day, at) == (booking.scheduled_date, booking.scheduled_time):
            raise InvalidInput("That is the booking's current date and time; pick a new one.")
        expert = self.ports.store.get_expert(booking.expert_id)
        if expert is None:
            raise NotFound("This booking's expert no longer exists.")
        override = self.scheduling.check_start(expert, day, at, booking.duration, actor=actor,
                                               exclude_booking=booking.id, override_reason=override_reason)
        return booking, day, at, override

    def reschedule(self, booking_id: str, new_date: date, new_time: time, *, actor: Actor,
                   override_reason: str | None = None) -> Booking:
        """Move a booking; its meeting (event id and link) stays and moves with it.

        Ops may move any booking, an expert only their own. The new start must be a free slot
        (the booking's own time does not count), else ``SlotUnavailable``; ops may override
        with a non-empty ``override_reason``, written to the history.
        """
        store = self.ports.store
        booking, day, at, override = self._check_move(booking_id, new_date, new_time, actor, override_reason)
        who = actor.label
        # The booking is the truth: the move commits first, with its calendar work in the same
        # transaction; the event follows (tried once now, then by the worker until it matches).
        calendar = self.calendar.reason_for_reschedule(booking)
        send = booking.status is BookingStatus.CONFIRMED
        # Issued before the store's transaction, which renders the emails: a move keeps the tokens.
        # So are the people's zones (one read), which the move does not change.
        join_links = self.outbox.join.for_emails(booking) if send else None
        zones = recipient_zones(booking, self.ports) if send else None
        def emails_for(moved: Booking) -> list[EmailDraft]:
            return self.outbox.drafts(moved, "rescheduled", join_links, zones) if send else []

        def move() -> Booking:
            if calendar:  # the move and its calendar work in one transaction
                return store.reschedule_with_calendar_work(booking.id, day, at, self.ports.clock(), emails_for, who,
                                                           line_for=history.rescheduled, calendar=calendar)
            return store.reschedule(booking.id, day, at, self.ports.clock(), emails_for, who,
                                    line_for=history.rescheduled)

        result = self._freeing_stale_holds(move)
        self.scheduling.forget_busy(booking.expert_id)
        if override:
            store.add_history(booking.id, "slot override", override.line, who)
        if calendar:
            self.calendar.run_now(booking.id, who)
        self.outbox.dispatch_after_change()
        return result

    def cancel(self, booking_id: str, reason: str = "Cancelled by ops", *, actor: Actor) -> Booking:
        """Cancel a booking and its meeting, and queue the cancellation emails (ops only)."""
        require_staff(actor, "cancel bookings")
        reason = clean_text(reason or "Cancelled", "Reason", 500)
        booking = self.ports.load(booking_id)
        if booking.status not in ACTIVE_STATUSES:
            raise InvalidTransition(f"This booking is already {booking.status.value}.")
        if booking.status is BookingStatus.PENDING and booking.payment_order_id:
            # Close the payment page first: a cancelled booking must not be payable afterwards.
            self.ports.payments.expire(booking.payment_order_id)
        # The booking is the truth: the cancel commits first, with its calendar work in the same
        # transaction. That work removes every event any link attempt made (an attempt still in
        # flight included: it waits out the attempt's lease), tried once now, then by the worker.
        calendar = self.calendar.reason_for_cancel(booking)
        notify = booking.status in (BookingStatus.PAID, BookingStatus.CONFIRMED)
        gone = replace(booking, status=BookingStatus.CANCELLED)
        emails = self.outbox.drafts(gone, "cancelled") if notify else []
        store, at, line = self.ports.store, self.ports.clock(), history.cancelled(reason)
        cancelled = (store.cancel_with_calendar_work(booking.id, at, reason, emails, actor.label, line=line,
                                                     calendar=calendar) if calendar
                     else store.cancel(booking.id, at, reason, emails, actor.label, line=line))
        if cancelled is None:
            raise InvalidTransition("This booking changed while it was being cancelled; refresh and try again.")
        self.scheduling.forget_busy(booking.expert_id)
        if calendar:
            self.calendar.run_now(booking.id, actor.label)
        self.outbox.dispatch_after_change()
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
        now = self.ports.clock()
        cutoff = now - timedelta(minutes=self.ports.settings.pending_expiry_minutes)
        expired: list[Booking] = []
        while True:
            # In batches the store reports in full (Supabase answers with at most "Max rows"), each
            # batch's orders closed before the next, so a failure later leaves these closed.
            batch = self.ports.store.expire_pending(cutoff, now, actor.label, line=history.expired(),
                                                    limit=EXPIRE_BATCH)
            for booking in batch:
                self.scheduling.forget_busy(booking.expert_id)
                if booking.payment_order_id:
                    self.payments.close_expired_order(booking, actor)
            expired += batch
            if len(batch) < EXPIRE_BATCH:
                return expired

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
        return self.ports.store.complete_ended(self.ports.now_local(), self.ports.clock(), actor.label,
                                               line=history.completed())


def _known_zones(inputs: BookingInputs, booking: Booking, app: ZoneInfo) -> dict[str, ZoneInfo] | None:
    """``recipient_zones`` of ``booking`` from its expert's hours as the checks read them (hours that
    cannot be read were logged then), or ``None`` when those were another expert's."""
    if inputs.expert is None or inputs.expert.id != booking.expert_id:
        return None
    return {"customer": app, "expert": inputs.availability.zone if inputs.availability is not None else app}
