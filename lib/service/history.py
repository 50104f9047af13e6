"""How each transition of a booking reads in its history, worded once for every store.

The stores write the ``HistoryLine`` they are given in the same transaction as the state
change; they never word one themselves (the SQLite store and the Supabase SQL functions used
to, each in its own way).
"""

from __future__ import annotations

from lib.calendar_work import CANCEL, LINK_CLEANUP, RECONCILE, RESCHEDULE
from lib.domain import Booking, HistoryLine
from lib.timefmt import medium_when, rupiah


def created(price: int) -> HistoryLine:
    """A new booking, ``pending`` at ``price`` rupiah."""
    return HistoryLine("created", f"pending, {rupiah(price)}")


def paid(payment_ref: str) -> HistoryLine:
    """``pending -> paid`` with the payment's reference (a gateway order id, or what ops typed)."""
    return HistoryLine("paid", f"payment {payment_ref}")


def payment_started(order_id: str) -> HistoryLine:
    """A gateway payment page was opened for the booking under ``order_id``."""
    return HistoryLine("payment started", f"order {order_id}")


def payment_failed(reason: str) -> HistoryLine:
    """``pending -> cancelled`` because the gateway refused, cancelled or expired the payment; it
    reads like any other cancellation."""
    return HistoryLine("cancelled", reason)


def link_attempt(error: str | None) -> HistoryLine:
    """One try at creating the meeting link: ``ok``, or why it failed."""
    if error is None:
        return HistoryLine("link attempt", "ok")
    return HistoryLine("link attempt failed", error)


def link_created(provider: str) -> HistoryLine:
    """``paid -> confirmed`` with a link ``provider`` (e.g. ``google``) made."""
    return HistoryLine("confirmed", f"{provider} link created")


def link_pasted() -> HistoryLine:
    """``paid -> confirmed`` with a link ops pasted by hand."""
    return HistoryLine("confirmed", "link pasted by hand")


def rescheduled(before: Booking, after: Booking) -> HistoryLine:
    """The booking moved from ``before``'s slot to ``after``'s, as people read a date
    (``Mon 11 Mar 2030, 14:00 → Tue 12 Mar 2030, 10:00``, wall-clock in the console's zone)."""
    return HistoryLine(
        "rescheduled",
        f"{medium_when(before.scheduled_date, before.scheduled_time)} → "
        f"{medium_when(after.scheduled_date, after.scheduled_time)}",
    )


def cancelled(reason: str) -> HistoryLine:
    """An active booking cancelled, for ``reason``."""
    return HistoryLine("cancelled", reason)


def completed() -> HistoryLine:
    """``confirmed -> completed`` once the session's end has passed."""
    return HistoryLine("completed", "the session has ended")


def expired() -> HistoryLine:
    """``pending -> expired``: not paid within the console's expiry time."""
    return HistoryLine("expired", "not paid in time; the slot is free again")


# The history event of calendar work that brought back a calendar which disagreed with its
# booking for longer than one immediate try (or that a reconciliation found): the Overview
# counts these as divergences repaired.
CALENDAR_REPAIRED = "calendar repaired"


# How a repaired divergence came about, by the calendar work's reason, in the history's words.
_REPAIRED_BY = {
    CANCEL: "on a retry of withdrawing the cancelled booking's invitation",
    RESCHEDULE: "on a retry of moving the event to the booking's time",
    LINK_CLEANUP: "on a retry of removing an event a link attempt made",
    RECONCILE: "found by comparing Google Calendar with the bookings",
}


def calendar_done(reason: str, changed: list[str], *, repaired: bool) -> HistoryLine:
    """A booking's calendar work done: what it changed (or that the calendar already matched,
    e.g. when an earlier try's answer was lost after Google did the work)."""
    said = "; ".join(changed) if changed else "the calendar already matched the booking"
    if repaired:
        return HistoryLine(CALENDAR_REPAIRED, f"{said} ({_REPAIRED_BY.get(reason, 'on a retry')})")
    event = {"cancel": "calendar invitation withdrawn", "reschedule": "calendar event moved"}.get(
        reason, "calendar event removed")
    return HistoryLine(event, said)


def refund_started(amount: str, gateway: str, reference: str) -> HistoryLine:
    """Ops asked the payment gateway to pay ``amount`` back (a cancellation by the customer)."""
    return HistoryLine("refund started", f"{amount} through {gateway}, refund {reference}")


def refund_recorded(amount: str, note: str) -> HistoryLine:
    """Ops paid ``amount`` back outside the console and recorded it, with their note."""
    return HistoryLine("refund recorded", f"{amount}: {note}")
