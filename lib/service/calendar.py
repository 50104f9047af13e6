"""Google converges to the booking: a reschedule or a cancel commits first, and the calendar
change is durable work (``lib.calendar_work``) that is tried once right away, then leased and
retried with backoff by the worker until the event matches the booking (or is gone).

Every run reads the booking as stored and asks the provider to make the calendar agree with it
(``MeetingProvider.converge``), so a run after a lost answer, a timeout or a killed process
finds the work done or does what is left. With a provider that has no calendar (Jitsi) nothing
is queued. A daily reconciliation compares the stored bookings with the calendar's events.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

from lib.access import Actor, require_staff
from lib.calendar_work import CANCEL, LINK_CLEANUP, RECONCILE, RESCHEDULE, CalendarWork
from lib.domain import Booking, BookingStatus
from lib.errors import InvalidTransition, MeetingProviderError, Transient, describe_unexpected, log_unexpected
from lib.meetings.google_events import event_id_for, same_link
from lib.service import history
from lib.service.ports import Ports
from lib.store import BookingListStore, BookingRecordStore, CalendarWorkStore

log = logging.getLogger(__name__)

# Items one worker run takes at a time.
BATCH = 20
_LIVE = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)


@dataclass(frozen=True)
class WaitingChange:
    """Calendar work that has waited too long, with its booking, for the Ops page."""

    work: CalendarWork
    booking: Booking | None


@dataclass
class CalendarRun:
    """What one worker run of the calendar work did."""

    done: int = 0
    failed: int = 0
    held: int = 0  # waiting for a link attempt's lease to end


@dataclass
class Reconciliation:
    """What ``reconcile`` found: each sentence names a booking or an event and what disagrees."""

    checked: int = 0
    events: int = 0
    orphans: list[str] = field(default_factory=list)  # events without a live booking
    missing: list[str] = field(default_factory=list)  # confirmed bookings whose event is not there
    moved: list[str] = field(default_factory=list)  # events at another time than their booking
    relinked: list[str] = field(default_factory=list)  # events whose join link is not their booking's
    queued: int = 0
    calendar: bool = True  # False: the provider has no calendar (Jitsi)

    @property
    def divergences(self) -> int:
        return len(self.orphans) + len(self.missing) + len(self.moved) + len(self.relinked)


def _stem(event_id: str) -> str:
    return event_id.rpartition("v")[0]


def calendar_note(booking: Booking, work: CalendarWork | None) -> str | None:
    """What the person sees while ``work``, the booking's calendar change, is on its way (None once
    it is done, or when there is none)."""
    if work is None or not work.waiting:
        return None
    if booking.status is BookingStatus.CANCELLED:
        return "Cancelled; the calendar invitation is being withdrawn."
    if booking.status in _LIVE:
        return "The calendar invitation is being updated to the booking's time."
    return "The calendar is being brought in line with this booking."


class CalendarChangesStore(CalendarWorkStore, BookingRecordStore, BookingListStore, Protocol):
    """What ``CalendarChanges`` reads and writes in the store."""


class CalendarChanges:
    """Queue, run and watch calendar work (see the module docstring)."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    @property
    def store(self) -> CalendarChangesStore:
        """The store, as the protocols this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    @property
    def has_calendar(self) -> bool:
        """Whether the provider keeps events outside the process (Google): only then is there work."""
        return self.ports.route.has_calendar

    def reason_for_cancel(self, booking: Booking) -> str | None:
        """The work a cancel of ``booking`` queues, or None (no calendar, or never any link attempt)."""
        if not self.has_calendar or booking.status is BookingStatus.PENDING:
            return None
        return CANCEL

    def reason_for_reschedule(self, booking: Booking) -> str | None:
        """The work a move of ``booking`` queues: only a confirmed booking has an event to move."""
        if not self.has_calendar or booking.status is not BookingStatus.CONFIRMED or not booking.google_event_id:
            return None
        return RESCHEDULE

    def queue_cleanup(self, booking_id: str) -> None:
        """A link attempt ended on a booking that no longer waits for a link: whatever it inserted
        goes through the same durable work (and its hold on the booking ends)."""
        if self.has_calendar:
            self.store.queue_calendar_work(booking_id, LINK_CLEANUP, self.ports.clock())

    # -- running --------------------------------------------------------------------------
    def run_now(self, booking_id: str, actor: str) -> bool | None:
        """Try the booking's work once, right away (after the change, or "Retry now"); whether
        it is done, or None when another worker holds it at the moment."""
        now = self.ports.clock()
        claimed = self.store.claim_calendar_work(now, now + self._lease(), 1, booking_id=booking_id)
        return self._run(claimed[0], actor) == "done" if claimed else None

    def queue_move(self, booking: Booking, actor: str) -> None:
        """A link attempt confirmed a booking that was moved while it ran: its event may carry the
        old time, so the move's calendar work follows (tried once now, then by the worker)."""
        if self.has_calendar and booking.google_event_id:
            self.store.queue_calendar_work(booking.id, RESCHEDULE, self.ports.clock())
            self.run_now(booking.id, actor)

    def run_due(self, actor: str, stop: threading.Event | None = None) -> CalendarRun:
        """Run every due item, ``BATCH`` at a time, until none is due or ``stop`` is set."""
        result = CalendarRun()
        while stop is None or not stop.is_set():
            now = self.ports.clock()
            batch = self.store.claim_calendar_work(now, now + self._lease(), BATCH)
            for work in batch:
                outcome = self._run(work, actor)
                setattr(result, outcome, getattr(result, outcome) + 1)
            if len(batch) < BATCH:
                return result
        return result

    def _lease(self) -> timedelta:
        """How long one run holds an item (as a link attempt holds its booking); a run killed
        meanwhile frees it after this."""
        return timedelta(seconds=self.ports.settings.link_lease_seconds)

    def _backoff(self, attempts: int, exc: BaseException | None) -> float:
        settings = self.ports.settings
        wait = min(settings.link_backoff_seconds * 2 ** min(attempts, 20), float(settings.worker_backoff_max_seconds))
        hint = exc.retry_after if isinstance(exc, Transient) else None
        return max(wait, float(hint or 0.0))

    def _run(self, work: CalendarWork, actor: str) -> str:
        """One try of one leased item: ``done``, ``failed`` (tried again later) or ``held``."""
        store = self.store
        booking = store.get_booking(work.booking_id)
        if booking is None:
            store.finish_calendar_work(work.booking_id, work.generation, self.ports.clock(), actor, line=None)
            return "done"
        try:
            changed = self.ports.meetings.converge(booking)
        except MeetingProviderError as exc:
            error, hint = str(exc), exc
        except Exception as exc:  # noqa: BLE001 - a bug or a library surprise: keep the work waiting
            log_unexpected(log, f"The calendar work of booking {booking.id} failed", exc)
            error, hint = f"Unexpected error: {describe_unexpected(exc)}", None
        else:
            now = self.ports.clock()
            repaired = work.attempts > 0 or work.reason == RECONCILE
            line = history.calendar_done(work.reason, changed, repaired=repaired)
            hold = work.hold_until
            if hold is not None and hold > now and booking.status not in _LIVE:
                # A link attempt may still insert an event until its lease ends: look again then.
                if changed:
                    store.add_history(booking.id, line.event, line.detail, actor)
                store.calendar_work_later(booking.id, work.generation, hold + timedelta(seconds=1), None)
                return "held"
            store.finish_calendar_work(booking.id, work.generation, now, actor, line=line)
            return "done"
        store.calendar_work_later(booking.id, work.generation,
                                  self.ports.clock() + timedelta(seconds=self._backoff(work.attempts, hint)), error)
        return "failed"

    # -- reading --------------------------------------------------------------------------
    def note_for(self, booking: Booking) -> str | None:
        """What the person sees while the booking's calendar change is still on its way (None once
        it is done, or when there is none)."""
        return calendar_note(booking, self.work_for(booking.id))

    def work_for(self, booking_id: str) -> CalendarWork | None:
        """The booking's calendar work, if any was ever queued."""
        return self.store.calendar_work([booking_id]).get(booking_id)

    def waiting_too_long(self, *, actor: Actor) -> list[WaitingChange]:
        """Work waiting longer than ``calendar_alert_minutes``, oldest first, with its booking (staff)."""
        require_staff(actor, "see calendar changes")
        if not self.has_calendar:
            return []
        since = self.ports.clock() - timedelta(minutes=self.ports.settings.calendar_alert_minutes)
        return [WaitingChange(w, self.store.get_booking(w.booking_id))
                for w in self.store.calendar_work_waiting(since)]

    def retry_now(self, booking_id: str, *, actor: Actor) -> bool:
        """Ops "Retry now": try the booking's calendar work at once; whether it is done now."""
        require_staff(actor, "retry calendar changes")
        work = self.work_for(booking_id)
        if work is None or not work.waiting:
            raise InvalidTransition("This booking's calendar is already up to date; refresh the page.")
        done = self.run_now(booking_id, actor.label)
        if done is None:
            raise InvalidTransition("A worker is making this calendar change right now; refresh in a minute.")
        return done

    def repaired_between(self, start: datetime, end: datetime) -> int:
        """Divergences repaired in the instants ``[start, end)``."""
        return self.store.count_history(history.CALENDAR_REPAIRED, start, end)

    # -- reconciliation -------------------------------------------------------------------
    def reconcile(self, since: date, days: int, *, fix: bool, actor: Actor) -> Reconciliation:
        """Compare the bookings of ``days`` days from ``since`` with the calendar's events
        (``events.list`` of the organizer's calendar, matched by the booking's event ids); with
        ``fix``, queue (and try once) the work that makes each disagreeing booking agree."""
        require_staff(actor, "reconcile the calendar")
        report = Reconciliation()
        tz = self.ports.tz
        start_local = datetime.combine(since, time(0, 0))
        end_local = start_local + timedelta(days=days)
        events = self.ports.meetings.calendar_events(start_local.replace(tzinfo=tz), end_local.replace(tzinfo=tz))
        if events is None:
            report.calendar = False
            return report
        report.events = len(events)
        statuses = list(BookingStatus)
        # A session lasts at most two hours: one that started the evening before may overlap.
        bookings = self.store.bookings_between(start_local - timedelta(hours=3), end_local, statuses,
                                                     limit=100_000)
        by_stem = {_stem(event_id_for(b.id, 0)): b for b in bookings}
        by_event = {e.event_id: e for e in events}
        to_fix: dict[str, Booking] = {}
        for event in events:
            booking = by_stem.get(_stem(event.event_id))
            if booking is None or booking.status in (BookingStatus.PAID, BookingStatus.PENDING):
                # Not an event this console made (or its booking lies outside the range); or one a
                # link attempt made for a booking still waiting for its link: the next attempt adopts it.
                continue
            if booking.status not in _LIVE or booking.google_event_id != event.event_id:
                report.orphans.append(f"event {event.event_id}: booking {booking.id} is {booking.status.value}"
                                      + ("" if booking.status not in _LIVE else f", its event is "
                                         f"{booking.google_event_id or 'a pasted link'}"))
                to_fix[booking.id] = booking
            elif event.start is not None and event.start != booking.starts_at.replace(tzinfo=tz):
                report.moved.append(f"booking {booking.id} at {booking.starts_at:%Y-%m-%d %H:%M}: event "
                                    f"{event.event_id} at {event.start.astimezone(tz):%Y-%m-%d %H:%M}")
                to_fix[booking.id] = booking
            elif booking.meeting_link and not same_link(event.link, booking.meeting_link):
                report.relinked.append(f"booking {booking.id} with {booking.meeting_link}: event {event.event_id} "
                                       f"{'with ' + event.link if event.link else 'without a meeting link'}")
                to_fix[booking.id] = booking
        for booking in bookings:
            if booking.status in _LIVE and booking.google_event_id:
                report.checked += 1
                if booking.google_event_id not in by_event and booking.starts_at >= start_local:
                    report.missing.append(f"booking {booking.id} at {booking.starts_at:%Y-%m-%d %H:%M}: "
                                          f"event {booking.google_event_id} is not in the calendar")
                    to_fix[booking.id] = booking
        if fix:
            for booking in to_fix.values():
                self.store.queue_calendar_work(booking.id, RECONCILE, self.ports.clock())
                report.queued += 1
                self.run_now(booking.id, actor.label)
        return report
