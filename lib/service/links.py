"""Meeting links, and the one routine that takes every booking from paid to confirmed
(``Links.confirm_paid``): create a link (with retries), in bulk, or take one pasted by hand, and
remove the calendar events earlier attempts made."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from lib.access import Actor, require_staff
from lib.domain import Booking, BookingStatus, HistoryLine, LinkRunResult, Meeting
from lib.errors import (
    CallExpertError,
    InvalidTransition,
    MeetingFailed,
    MeetingProviderError,
    Transient,
    describe_unexpected,
    log_unexpected,
)
from lib.service import history
from lib.service.calendar import CalendarChanges
from lib.service.outbox import Outbox
from lib.service.ports import Ports
from lib.validation import clean_meeting_link

log = logging.getLogger(__name__)
T = TypeVar("T")
Zones = Mapping[str, ZoneInfo]  # each person's zone for their emails, by side (``outbox.recipient_zones``)
Progress = Callable[[int, int, Booking], None]


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, MeetingProviderError) and isinstance(exc, Transient)


@dataclass(frozen=True)
class LinkOutcome:
    """A booking after a link was asked for it, and whether this call confirmed it (``False``:
    another worker or person had already, or did meanwhile), so a run counts only its own.
    ``error``: why it has no link (decided by ``Links._failed`` and the checks around it); the
    booking then stays as stored (``paid``, listed for the worker and ops)."""

    booking: Booking
    confirmed_here: bool
    error: CallExpertError | None = None

    @property
    def link_error(self) -> str | None:
        """``error`` in words, for a page that shows it."""
        return None if self.error is None else str(self.error)

    def raised(self) -> LinkOutcome:
        """This outcome, or its ``error`` raised (for callers that raise: ``create_link``)."""
        if self.error is not None:
            raise self.error
        return self


@dataclass(frozen=True)
class PaidHere:
    """A payment the gateway settled within the process (the demo), not stored yet:
    ``Links.confirm_paid`` stores it with the link's first step. ``booking`` as read, pending."""

    booking: Booking
    reference: str


class Links:
    """``paid -> confirmed``: the meeting of a booking, made once however often it is retried."""

    def __init__(self, ports: Ports, outbox: Outbox, calendar: CalendarChanges | None = None) -> None:
        self.ports = ports
        self.outbox = outbox
        self.calendar = calendar or CalendarChanges(ports)

    def create_link(self, booking_id: str, *, actor: Actor, dispatch: bool = True) -> Booking:
        """Create the meeting of a ``paid`` booking and confirm it; idempotent.

        Retries retryable provider errors with exponential backoff and jitter (honouring the
        provider's Retry-After); after the last attempt the booking stays ``paid`` with the
        attempt count and last error, and ``MeetingProviderError`` is raised.
        """
        require_staff(actor, "create meeting links")
        return self.confirm_paid(booking_id, actor.label, dispatch).raised().booking

    def make_link(self, booking_id: str, *, actor: Actor, dispatch: bool = True) -> LinkOutcome:
        """``create_link``, telling whether this call confirmed the booking (what a job counts)."""
        require_staff(actor, "create meeting links")
        return self.confirm_paid(booking_id, actor.label, dispatch).raised()

    def confirm_paid(self, booking_id: str, actor: str, dispatch: bool,
                     paid_here: PaidHere | None = None, zones: Zones | None = None) -> LinkOutcome:
        """The one way from paid to confirmed, whatever the gateway and the meeting provider: the
        booking, whether this call confirmed it (``False``: done elsewhere) and, when it has no
        link, why (``error``: returned, not raised; ``LinkOutcome.raised`` raises it).

        1. Hold: a payment settled within the process (``paid_here``) is stored with the link
           lease in its transaction; a payment stored before (a notification, a check) is claimed.
           On the route where the link too is made within the process (Jitsi), the link is made
           first and the payment and the confirmation commit in one transaction instead.
        2. The meeting, with retries; a failure is what ``_failed`` decides, in one place.
        3. The confirmation, its emails and the link attempt in one transaction (``_confirm``).

        Nothing here reads an adapter flag: the route was decided when the service was built.
        ``zones``: each person's zone for the emails, when the caller read the expert's hours already.
        """
        store, meetings = self.ports.store, self.ports.meetings
        if paid_here is None:
            booking = self._claim(booking_id)
        else:
            meeting = self._made_here(paid_here.booking) if self.ports.route.links_here else None
            if meeting is not None:
                return self._confirm(paid_here.booking, meeting, actor, history.link_created(meetings.name),
                                     dispatch, attempt=history.link_attempt(None), paid=paid_here, zones=zones)
            now = self.ports.clock()
            booking = store.mark_paid_and_claim_link(booking_id, paid_here.reference, now, self._lease_from(now),
                                                     actor, line=history.paid(paid_here.reference))
        if booking is None:
            return self._held_elsewhere(booking_id)
        meeting = self._meeting(booking, actor)
        if isinstance(meeting, Meeting):
            return self._confirm(booking, meeting, actor, history.link_created(meetings.name), dispatch,
                                 attempt=history.link_attempt(None), zones=zones)
        return self._failed(booking, actor, meeting)

    def _meeting(self, booking: Booking, actor: str) -> Meeting | Exception:
        """The meeting of a held booking, with the configured retries, or what stopped it."""
        tries = iter(range(booking.link_attempts, booking.link_attempts + self.ports.settings.link_attempts))

        def one_try() -> Meeting:
            attempt = next(tries)
            # Cancelled since the hold was taken (or between two tries): no insert, no invitation.
            self._still_paid(booking.id)
            return self.ports.meetings.create(replace(booking, link_attempts=attempt))

        try:
            # Each try sees its own attempt number (the store counts them too): a conference
            # re-requested on a later try needs a request id Google has not seen.
            # The successful attempt is counted by the transaction that confirms the booking.
            return self.retrying(one_try, booking.id, actor, record_success=False)
        except Exception as exc:  # noqa: BLE001 - whatever stopped it, ``_failed`` decides what follows
            return exc

    def _made_here(self, booking: Booking) -> Meeting | None:
        """A link made within the process, tried once before anything is stored, so the payment
        and the link can commit together; ``None`` when the provider said no (the payment is then
        stored alone and the link goes the way of every link: retried, each attempt recorded)."""
        try:
            return self.ports.meetings.create(booking)
        except MeetingProviderError:
            return None

    def _held_elsewhere(self, booking_id: str) -> LinkOutcome:
        """No hold for this call: confirmed meanwhile (nothing to do), or why there is no link to make."""
        current = self.ports.load(booking_id)
        if current.status is BookingStatus.CONFIRMED:
            return LinkOutcome(current, False)
        if current.status is BookingStatus.PAID:
            why = InvalidTransition("Another worker is creating this link right now; refresh in a minute.")
        else:
            why = InvalidTransition(f"This booking is {current.status.label.lower()}; only paid bookings need a link.")
        return LinkOutcome(current, False, why)

    def _claim(self, booking_id: str) -> Booking | None:
        now = self.ports.clock()
        return self.ports.store.claim_for_link(booking_id, now, self._lease_from(now))

    def _lease_from(self, now: datetime) -> datetime:
        """When a link lease taken ``now`` runs out (``link_lease_seconds``), if its holder dies."""
        return now + timedelta(seconds=self.ports.settings.link_lease_seconds)

    def _still_paid(self, booking_id: str) -> None:
        current = self.ports.store.get_booking(booking_id)
        if current is not None and current.status is not BookingStatus.PAID:
            raise _NoLongerPaid(current.status)

    def _failed(self, booking: Booking, actor: str, exc: Exception) -> LinkOutcome:
        """What a link attempt that failed does, decided here alone: the attempt ends
        (``_attempt_ended``) and the booking comes back as stored with why it has no link.
        A provider's error is kept as it is; a booking cancelled between two tries says so; any
        other error is a bug or an unexpected library error, recorded and named by type only
        (a library's message may quote credentials)."""
        current = self._attempt_ended(booking, actor)
        if isinstance(exc, _NoLongerPaid):
            error: CallExpertError = InvalidTransition(f"This booking became {exc.status.label.lower()} "
                                                       "while the link was being created.")
        elif isinstance(exc, MeetingProviderError):
            error = exc  # each try recorded it already (``retrying``)
        else:
            log_unexpected(log, f"Creating the link of booking {booking.id} failed", exc)
            words = f"Unexpected error: {describe_unexpected(exc)}"
            error = MeetingFailed(f"Unexpected error while creating the link: {describe_unexpected(exc)}")
            store = self.ports.store  # the attempt is counted and logged as a provider's failure would be
            store.record_link_attempt(booking.id, words, actor, line=history.link_attempt(words))
            current = store.get_booking(booking.id) or current
        return LinkOutcome(current, False, error)

    def _attempt_ended(self, booking: Booking, actor: str) -> Booking:
        """A link attempt that made no confirmation ends: the lease goes back; a booking cancelled
        meanwhile has whatever the attempt inserted removed by durable calendar work (and no
        notice), one still paid gets its "link still being prepared" notice. The booking as stored."""
        store = self.ports.store
        store.release_link_claim(booking.id)
        current = store.get_booking(booking.id)
        if current is None:
            return booking
        if current.status not in (BookingStatus.PAID, BookingStatus.CONFIRMED):
            self.calendar.queue_cleanup(booking.id)
            self.calendar.run_now(booking.id, actor)
        elif current.status is BookingStatus.PAID:
            self.outbox.queue_link_pending(booking)
        return current

    def set_link_manually(self, booking_id: str, url: str, *, actor: Actor) -> Booking:
        """Confirm a ``paid`` booking with a link ops pasted by hand (e.g. while Google is down).

        An earlier link attempt may have made a calendar event (and invited both people to its
        own meeting link): it is removed first, and the history says which events went. The
        booking is held like a link creation meanwhile, so no attempt makes one alongside. If the
        provider cannot be reached, the pasted link still counts and the history says what to
        remove by hand (cancelling the booking tries again).
        """
        require_staff(actor, "paste meeting links")
        link = clean_meeting_link(url, self.ports.settings.link_hosts)
        booking = self.ports.load(booking_id)
        if booking.status is not BookingStatus.PAID:
            raise InvalidTransition(f"This booking is {booking.status.label.lower()}; "
                                    "a link can be pasted only on a paid booking.")
        held = self._claim(booking.id)
        if held is None:
            current = self.ports.load(booking.id)
            if current.status is BookingStatus.PAID:
                raise InvalidTransition("A meeting link is being created for this booking right now; refresh in a "
                                        "minute and paste again if it failed.")
            raise InvalidTransition(f"This booking is {current.status.label.lower()}; "
                                    "a link can be pasted only on a paid booking.")
        try:
            removed = self.remove_attempt_events(held, actor.label)
            done = self._confirm(held, Meeting(url=link, event_id="", event_version=held.event_version), actor.label,
                                 history.link_pasted(), dispatch=True).raised().booking
            if not removed:  # Google did not answer: the worker removes the events once it does
                self.calendar.queue_cleanup(held.id)
            return done
        finally:
            self.ports.store.release_link_claim(held.id)  # a no-op once confirmed

    def remove_attempt_events(self, booking: Booking, actor: str, *, must: bool = False) -> bool:
        """Remove the calendar events earlier link attempts of a booking without a stored event may
        have made; record which were removed, or (unless ``must``, which raises) why none could be
        (then False: the caller queues the calendar work that keeps trying)."""
        store, meetings = self.ports.store, self.ports.meetings
        try:
            removed = self.retrying(lambda: meetings.cancel(booking), booking.id, actor, record=False) or []
        except MeetingProviderError as exc:
            if must:
                raise
            store.add_history(booking.id, "earlier calendar event not removed",
                              f"{meetings.name}: {exc} An earlier link attempt's event may still be live; "
                              "delete it in the calendar (its id is the booking id without dashes, "
                              "then v and a number); the worker keeps trying.", actor)
            return False
        if removed:
            store.add_history(booking.id, "earlier calendar event removed",
                              f"{meetings.name} event {', '.join(removed)} (made by an earlier link attempt, "
                              "with its own meeting link) was deleted and its invitation withdrawn", actor)
        return True

    def _confirm(self, booking: Booking, meeting: Meeting, actor: str, line: HistoryLine, dispatch: bool,
                 attempt: HistoryLine | None = None, paid: PaidHere | None = None,
                 zones: Zones | None = None) -> LinkOutcome:
        """Store the link, ``line`` and the confirmation emails (and the successful link
        ``attempt``, when one made it; and the payment ``paid``, made within the process, before
        them) in one transaction; the booking, and whether this transaction confirmed it
        (``False``: someone else did first)."""
        store, at = self.ports.store, self.ports.clock()
        linked = replace(booking, meeting_link=meeting.url, google_event_id=meeting.event_id or None,
                         event_version=meeting.event_version, status=BookingStatus.CONFIRMED)
        if paid is not None:
            linked = replace(linked, payment_ref=paid.reference, payment_attempts=booking.payment_attempts + 1,
                             link_attempts=booking.link_attempts + 1)
        emails = self.outbox.drafts(linked, "confirmed", zones=zones)
        event_id = meeting.event_id or None
        if paid is not None and attempt is not None:
            confirmed = store.pay_and_confirm(booking.id, paid.reference, meeting, at, emails, actor,
                                              paid=history.paid(paid.reference), attempt=attempt, line=line)
        elif attempt is not None:
            confirmed = store.confirm_with_attempt(booking.id, meeting.url, event_id, meeting.event_version, at,
                                                   emails, actor, attempt=attempt, line=line)
        else:
            confirmed = store.confirm(booking.id, meeting.url, event_id, meeting.event_version, at, emails, actor,
                                      line=line)
        if confirmed is None:
            if paid is not None:  # not pending any more: nothing was written, the link made here is dropped
                return self._held_elsewhere(booking.id)
            if attempt is not None:  # the attempt happened all the same: its line stays in the history
                store.record_link_attempt(booking.id, None, actor, line=attempt)
            current = store.get_booking(booking.id) or booking
            if current.status is BookingStatus.CONFIRMED:
                return LinkOutcome(current, False)  # someone else confirmed it first: same event, nothing to undo
            # Cancelled while the link was being made: the fresh event goes through durable
            # calendar work (retried until it is gone), which also ends the cancel's wait for this attempt.
            if meeting.event_id and current.meeting_link is None:
                self.calendar.queue_cleanup(booking.id)
                self.calendar.run_now(booking.id, actor)
            return LinkOutcome(current, False, InvalidTransition(f"This booking became {current.status.label.lower()}"
                                                                 " while the link was being created."))
        if confirmed.revision != booking.revision:  # moved while the event was being made
            self.calendar.queue_move(confirmed, actor)
        if dispatch:
            self.outbox.dispatch_after_change()
        return LinkOutcome(confirmed, True)

    def create_missing_links(self, progress: Progress | None = None, *, actor: Actor,
                             concurrency: int | None = None) -> LinkRunResult:
        """Create links for every ``paid`` booking without one, a bounded number at a time.

        ``progress(done, total, booking)`` is called from the caller's thread after each booking,
        so a page can move its progress bar.
        """
        require_staff(actor, "create links in bulk")
        todo = self.ports.store.missing_links()
        result = LinkRunResult()
        if not todo:
            return result
        workers = max(1, min(concurrency or self.ports.settings.link_concurrency, len(todo)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="links") as pool:
            futures = {pool.submit(self.confirm_paid, b.id, actor.label, False): b for b in todo}
            for done, future in enumerate(as_completed(futures), start=1):
                booking = futures[future]
                try:
                    outcome = future.result()
                except CallExpertError as exc:  # the store itself: this booking is left for the next run
                    outcome = LinkOutcome(booking, False, exc)
                if outcome.error is None or isinstance(outcome.error, InvalidTransition):
                    (result.confirmed if outcome.confirmed_here else result.skipped).append(booking.id)
                else:
                    result.failed[booking.id] = str(outcome.error)
                if progress is not None:
                    progress(done, len(todo), booking)
        self.outbox.dispatch_after_change()
        return result

    # -- retries ------------------------------------------------------------------------
    def _wait(self, state: RetryCallState) -> float:
        settings = self.ports.settings
        base = wait_random_exponential(multiplier=settings.link_backoff_seconds,
                                       max=settings.link_backoff_max_seconds)(state)
        exc = state.outcome.exception() if state.outcome else None
        hint = (exc.retry_after if isinstance(exc, Transient) else None) or 0.0
        return max(base, min(float(hint), settings.link_backoff_max_seconds))

    def retrying(self, call: Callable[[], T], booking_id: str, actor: str, record: bool = True,
                 record_success: bool = True) -> T:
        """Run one provider call with the configured retries; record each attempt in history
        (``record``: as link attempts; otherwise only failures, as calendar calls). Without
        ``record_success`` the successful attempt is left to the caller to record (in the
        transaction that uses its result)."""
        store = self.ports.store

        def attempt() -> T:
            try:
                value = call()
            except MeetingProviderError as exc:
                if record:
                    store.record_link_attempt(booking_id, str(exc), actor, line=history.link_attempt(str(exc)))
                else:
                    store.add_history(booking_id, "calendar call failed", str(exc), actor)
                raise
            if record and record_success:
                store.record_link_attempt(booking_id, None, actor, line=history.link_attempt(None))
            return value

        kwargs = {} if self.ports.sleep is None else {"sleep": self.ports.sleep}
        retrying = Retrying(
            stop=stop_after_attempt(self.ports.settings.link_attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_retryable),
            reraise=True,
            **kwargs,
        )
        return retrying(attempt)



class _NoLongerPaid(Exception):
    """The booking left ``paid`` (cancelled) between two tries of its link."""

    def __init__(self, status: BookingStatus) -> None:
        super().__init__(status.value)
        self.status = status
