"""A booking's life in the store: created, paid, linked, confirmed, moved, cancelled, completed or
expired, each transition with its history line and emails in one transaction.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Protocol, runtime_checkable

from lib.domain import Booking, EmailDraft, HistoryLine, Meeting, NewBooking

# The most bookings one ``expire_pending`` call expires: below Supabase's "Max rows" (1,000 unless
# changed), so each call's answer names every booking it expired.
EXPIRE_BATCH = 500


@runtime_checkable
class BookingLifeStore(Protocol):
    """A booking's transitions (reading a booking and its history is ``BookingRecordStore``).

    Transitions are conditional on the current status (and return ``None`` when the booking
    was not in it), so two people clicking at once change a booking once. Each transition
    writes its history entry and queues its emails in the same transaction.

    The history entry is the ``line`` the caller gives (its ``event`` and ``detail``, worded by
    ``lib.service.history``), written exactly as given with the ``actor`` and only when the
    transition happened; a store words no history line itself.
    """

    def create_booking(self, new: NewBooking, actor: str, *, line: HistoryLine) -> Booking:
        """Insert as ``pending`` (and the new customer, if any) with ``line`` in one transaction.

        The price, ``session_type`` (English) and ``session_names`` come from the session type
        (``new.session_type_id``, else the expert's active type named ``new.session_type``);
        ``InvalidInput`` when it is not the expert's, is retired or does not offer the duration.

        Raises ``SlotTaken`` when the expert holds an overlapping active booking. A
        ``request_key`` seen before returns the booking it created instead.
        """
        ...

    def mark_paid(self, booking_id: str, payment_ref: str, at: datetime, actor: str, *,
                  line: HistoryLine) -> Booking | None:
        """``pending -> paid`` with ``line`` for a payment whose attempt was numbered before it
        went to the gateway (``add_payment_attempt``: Midtrans); ``None`` when not pending."""
        ...

    def mark_paid_counting_attempt(self, booking_id: str, payment_ref: str, at: datetime, actor: str, *,
                                   line: HistoryLine) -> Booking | None:
        """``pending -> paid`` with ``line`` for a payment settled within the process (the demo),
        its attempt counted in the same transaction (its order id never left the process, so it
        needs no numbering first); ``None`` (nothing counted) when not pending."""
        ...

    def mark_paid_and_claim_link(self, booking_id: str, payment_ref: str, at: datetime, lease_until: datetime,
                                 actor: str, *, line: HistoryLine) -> Booking | None:
        """``mark_paid_counting_attempt`` that also takes the link lease until ``lease_until`` (what
        ``claim_for_link`` does), in the same transaction: for a caller that makes the link at once.
        Other workers' claims fail until the lease is released or runs out. ``None`` when not pending."""
        ...

    def add_payment_attempt(self, booking_id: str) -> Booking | None:
        """Count one more payment attempt of a ``pending`` booking and return it (its
        ``payment_attempts`` numbers the new attempt); ``None`` when it is not pending.

        Taken before the gateway is called, so an attempt whose answer was lost never hands its
        (single-use) order id out twice.
        """
        ...

    def start_payment(self, booking_id: str, order_id: str, token: str, redirect_url: str, at: datetime,
                      actor: str, *, line: HistoryLine) -> Booking | None:
        """Store the current gateway payment of a ``pending`` booking (and log ``line``); ``None``
        when the booking is no longer pending."""
        ...

    def mark_payment_failed(self, booking_id: str, reason: str, at: datetime, actor: str, *,
                            line: HistoryLine) -> Booking | None:
        """``pending -> cancelled`` because the gateway refused, cancelled or expired the payment;
        ``None`` when the booking is no longer pending (paid meanwhile, or cancelled already)."""
        ...

    def claim_for_link(self, booking_id: str, now: datetime, lease_until: datetime) -> Booking | None:
        """Take a ``paid`` booking with no link for link creation until ``lease_until``.

        Returns ``None`` if it is not ``paid`` or another worker holds the lease.
        """
        ...

    def record_link_attempt(self, booking_id: str, error: str | None, actor: str, *, line: HistoryLine) -> None:
        """Count one link attempt and log ``line``; an ``error`` becomes the booking's last error
        (a success keeps the previous one)."""
        ...

    def release_link_claim(self, booking_id: str) -> None: ...

    def confirm(
        self,
        booking_id: str,
        meeting_link: str,
        event_id: str | None,
        event_version: int,
        at: datetime,
        emails: Sequence[EmailDraft],
        actor: str,
        *,
        line: HistoryLine,
    ) -> Booking | None:
        """``paid -> confirmed`` with a link no counted attempt made (one ops pasted), ``line`` and
        ``emails`` queued, in one transaction; ``None`` (nothing written) when not paid."""
        ...

    def confirm_with_attempt(
        self,
        booking_id: str,
        meeting_link: str,
        event_id: str | None,
        event_version: int,
        at: datetime,
        emails: Sequence[EmailDraft],
        actor: str,
        *,
        attempt: HistoryLine,
        line: HistoryLine,
    ) -> Booking | None:
        """``confirm`` of a link a link attempt made: that attempt is counted (``link_attempts``)
        and ``attempt`` logged before ``line``, in the same transaction; ``None`` when not paid
        (nothing written: the caller records the attempt on its own)."""
        ...

    def pay_and_confirm(
        self,
        booking_id: str,
        payment_ref: str,
        meeting: Meeting,
        at: datetime,
        emails: Sequence[EmailDraft],
        actor: str,
        *,
        paid: HistoryLine,
        attempt: HistoryLine,
        line: HistoryLine,
    ) -> Booking | None:
        """``pending -> paid -> confirmed`` for a payment and a meeting both made within the
        process (the demo gateway, Jitsi), in ONE transaction (one request on every store):
        ``mark_paid_counting_attempt`` then ``confirm_with_attempt``, the lines in that order
        (``paid``, ``attempt``, ``line``) and ``emails`` queued. The booking is then confirmed or
        still pending, never in between; ``None`` (nothing written) when it is not pending."""
        ...

    def reschedule(
        self,
        booking_id: str,
        new_date: date,
        new_time: time,
        at: datetime,
        emails_for: EmailsFor,
        actor: str,
        *,
        line_for: LineFor,
    ) -> Booking:
        """Move the booking (overlap-checked, excluding itself) and bump its revision.

        ``emails_for`` renders the emails from the moved booking, and ``line_for`` its history
        line from the booking before and after the move, for the transaction that moves it.
        """
        ...

    def reschedule_with_calendar_work(
        self,
        booking_id: str,
        new_date: date,
        new_time: time,
        at: datetime,
        emails_for: EmailsFor,
        actor: str,
        *,
        line_for: LineFor,
        calendar: str,
    ) -> Booking:
        """``reschedule`` that also queues the booking's calendar work (reason ``calendar``) in
        the transaction that moves it: a booking with an event outside (Google)."""
        ...

    def cancel(
        self,
        booking_id: str,
        at: datetime,
        reason: str,
        emails: Sequence[EmailDraft],
        actor: str,
        *,
        line: HistoryLine,
    ) -> Booking | None:
        """Active -> ``cancelled`` with ``line`` and ``emails``; ``None`` when no longer active."""
        ...

    def cancel_with_calendar_work(
        self,
        booking_id: str,
        at: datetime,
        reason: str,
        emails: Sequence[EmailDraft],
        actor: str,
        *,
        line: HistoryLine,
        calendar: str,
    ) -> Booking | None:
        """``cancel`` that also queues the booking's calendar work (reason ``calendar``) in the same
        transaction, held until the link lease the booking had (an attempt in flight) ends."""
        ...

    def complete_ended(self, now_local: datetime, at: datetime, actor: str, *, line: HistoryLine) -> int:
        """``confirmed -> completed`` for every session that ended by ``now_local``, ``line`` in
        each one's history; how many."""
        ...

    def expire_pending(self, cutoff: datetime, now: datetime, actor: str, *, line: HistoryLine,
                       limit: int = EXPIRE_BATCH) -> list[Booking]:
        """``pending -> expired`` for at most ``limit`` bookings created before ``cutoff`` and still
        unpaid, oldest first, with ``line`` in each one's history; returns them all. Fewer than
        ``limit`` back: none is left (call again until then). Conditional on ``pending`` booking
        by booking, so a payment recorded first wins and a second run expires nothing twice. An
        expired booking no longer holds its slot."""
        ...



class EmailsFor(Protocol):
    def __call__(self, booking: Booking) -> Sequence[EmailDraft]: ...


class LineFor(Protocol):
    """The history line of a move, from the booking as it was and as it is after the move."""

    def __call__(self, before: Booking, after: Booking) -> HistoryLine: ...
