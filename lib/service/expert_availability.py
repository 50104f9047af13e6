"""Availability and free slots: an expert's hours, the slots they leave free, and the check that
``book`` and ``reschedule`` make with the same rules (``lib.scheduling``).

Inputs of one computation: the expert's stored availability (or the default hours with the
``booking_horizon_days`` setting), their active bookings (paid, confirmed, pending not yet
expired) as instants in the app timezone, and the busy time of their own calendar from the
meeting provider (``MeetingProvider.busy``). The busy time is cached briefly per expert and range
(``busy_cache_seconds``) and dropped for an expert when one of their bookings changes here. When
the calendar cannot be read the slots come from the console's own bookings alone, the
``SlotList.calendar`` says so, and booking goes on.
"""

from __future__ import annotations

import json
import logging
import time as time_module
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Protocol

from babel.dates import format_datetime

from lib.access import Actor, require_calendar_id_change, require_expert_or_staff, require_known
from lib.domain import MAX_DAYS, Expert, HeldTime
from lib.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    SlotOverlaps,
    SlotUnavailable,
    UnreadableAvailability,
    describe_unexpected,
)
from lib.meetings import BusyTimes
from lib.scheduling import DEFAULT_AVAILABILITY, Availability, Reason, Refusal, Slot, free_slots, why_not, window
from lib.scheduling.model import MAX_HORIZON_DAYS, check_override_dates, no_hours
from lib.scheduling.parse import from_json
from lib.scheduling.words import unreadable
from lib.service.busy_cache import BusyCache
from lib.service.ports import Ports
from lib.store import BookingInputs, PeopleStore, ScheduleStore
from lib.validation import clean_calendar_id, clean_duration

log = logging.getLogger(__name__)

CALENDAR_OK = "ok"
CALENDAR_NOT_CONNECTED = "not connected"
NEAREST_COUNT = 3
NEAREST_WINDOW_DAYS = 14  # the nearest free times are looked for this many days either side


@dataclass(frozen=True)
class SlotList:
    """The free slots of one expert for one duration, and what their calendar said.

    ``slots`` are ``lib.scheduling.Slot`` values (aware, in the expert's zone), in time order.
    ``calendar`` is ``"ok"`` (busy time read), ``"not connected"`` (the meeting provider has no
    calendar to read, e.g. Jitsi) or ``"unavailable: <why>"`` (the calendar could not be read:
    the slots come from the console's own bookings alone).
    """

    expert_id: str
    duration: int
    slots: list[Slot] = field(default_factory=list)
    calendar: str = CALENDAR_OK


@dataclass(frozen=True)
class SlotOverride:
    """A start ops book although it is not a free slot: ``why`` it is not (the refusing rule's
    sentence, for the form to show before booking) and the history ``line`` kept with the booking."""

    why: str
    line: str


def when_text(moment: datetime) -> str:
    """``Thursday, 3 December 2026, 14:00 WIB``: an aware moment in English, with its zone."""
    return f"{format_datetime(moment, 'EEEE, d MMMM y, HH:mm', locale='en')} {moment.tzname() or ''}".rstrip()


def calendar_state(busy: BusyTimes) -> str:
    """The ``SlotList.calendar`` text for one answer of ``MeetingProvider.busy``."""
    if busy.error:
        return f"unavailable: {busy.error}"
    return CALENDAR_OK if busy.read else CALENDAR_NOT_CONNECTED


# An unreadable row is read on every look at the expert's hours (a page run can make several):
# the log says so once per expert and reason this often, enough for whoever reads it.
_UNREADABLE_LOG_SECONDS = 600.0
_unreadable_logged: dict[tuple[str, str], float] = {}


def log_unreadable(exc: UnreadableAvailability) -> None:
    """Say in the log, where ops look, whose stored hours cannot be read and why (the reason
    quotes what was stored: written as a literal, so a line break in it cannot fake a log line);
    once per expert and reason every ten minutes in a process."""
    key, now = (exc.expert_id, exc.reason), time_module.monotonic()
    if now - _unreadable_logged.get(key, -_UNREADABLE_LOG_SECONDS) < _UNREADABLE_LOG_SECONDS:
        return
    _unreadable_logged[key] = now
    log.warning("The stored availability of expert %s cannot be read, so they have no bookable hours until new "
                "ones are saved: %r", exc.expert_id, exc.reason)


@lru_cache(maxsize=16)
def configured_default(text: str, built_in: Availability) -> Availability:
    """``built_in`` with what the ``default_availability`` setting (availability-file JSON, checked
    when the settings were loaded) gives; ``built_in`` itself when the setting is empty."""
    return from_json(json.loads(text), base=built_in) if text.strip() else built_in


class SchedulingStore(ScheduleStore, PeopleStore, Protocol):
    """What ``Scheduling`` reads and writes in the store."""


class Scheduling:
    """Availability, free slots and the slot check of bookings, each behind its permission check."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports
        self._busy = BusyCache(lambda: float(self.ports.settings.busy_cache_seconds), self.ports.clock)

    # -- availability -------------------------------------------------------------------------
    def _expert(self, expert_id: str, known: BookingInputs | None = None) -> Expert:
        wanted = str(expert_id or "").strip()
        expert = known.expert if known and known.expert and known.expert.id == wanted else self.store.get_expert(wanted)
        if expert is None:
            raise NotFound("Unknown expert; pick one from the list.")
        return expert

    @property
    def store(self) -> SchedulingStore:
        """The store, as the protocols this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def default_availability(self) -> Availability:
        """The hours of an expert who has stored none: the ``default_availability`` setting, whose
        keys left out keep Monday to Friday 09:00–17:00 in the app timezone, bookable
        ``booking_horizon_days`` ahead (at most two years)."""
        settings = self.ports.settings
        built_in = replace(DEFAULT_AVAILABILITY, timezone=settings.timezone,
                           horizon_days=max(0, min(settings.booking_horizon_days, MAX_HORIZON_DAYS)))
        return configured_default(settings.default_availability, built_in)

    def default_availability_for(self, *, actor: Actor) -> Availability:
        """``default_availability`` for anyone with a role: what a key left out of an
        availability file takes (``python -m lib availability --set``)."""
        require_known(actor, "see the default hours")
        return self.default_availability()

    def _availability_of(self, expert: Expert, known: BookingInputs | None = None) -> Availability:
        """The expert's hours (``known``'s if given); none when those stored cannot be read (logged)."""
        try:
            if known is not None and known.expert is not None and known.expert.id == expert.id:
                if known.unreadable is not None:
                    raise known.unreadable
                return known.availability or self.default_availability()
            return self.store.get_availability(expert.id) or self.default_availability()
        except UnreadableAvailability as exc:
            log_unreadable(exc)
            return no_hours(self.ports.settings.timezone)

    def availability_problem(self, expert_id: str, *, actor: Actor) -> str | None:
        """Why the expert's stored hours cannot be read and what follows (they have no bookable
        hours until new ones are saved), in words; ``None`` when they can. Who may see the
        availability may see this."""
        require_expert_or_staff(actor, expert_id, "see the availability")
        expert = self._expert(expert_id)
        try:
            self.store.get_availability(expert.id)
        except UnreadableAvailability as exc:
            return unreadable(expert.name, exc.reason)
        return None

    def availability(self, expert_id: str, *, actor: Actor, known: BookingInputs | None = None) -> Availability:
        """The expert's availability (the default hours when they stored none; ``known``: as read
        already). An expert reads only their own; staff anyone's."""
        require_expert_or_staff(actor, expert_id, "see the availability")
        return self._availability_of(self._expert(expert_id, known), known)

    def set_availability(self, expert_id: str, availability: Availability, *, actor: Actor) -> Availability:
        """Store the expert's availability and return it. An expert sets only their own; staff
        anyone's. ``availability`` is already valid (``Availability`` checks itself; build it
        with ``lib.scheduling.from_json`` from typed input). Existing bookings stay as they are."""
        require_expert_or_staff(actor, expert_id, "change the availability")
        if not isinstance(availability, Availability):
            raise InvalidInput("The availability must be a lib.scheduling.Availability value.")
        check_override_dates(availability.overrides, self.ports.clock(), availability.timezone)
        expert = self._expert(expert_id)
        self.store.set_availability(expert.id, availability)
        return self._availability_of(expert)

    def set_calendar_id(self, expert_id: str, calendar_id: str, *, actor: Actor) -> Expert:
        """Change the Google calendar whose busy time blocks the expert's slots and return the
        expert. Only staff change it, for any expert (``lib.access.may_change_calendar_id``): the
        organizer's account reads whatever calendar is named, so an expert could otherwise read
        anyone's busy times through their own slots; an expert sees theirs and asks ops.
        ``InvalidInput`` for an empty id, one with spaces or one longer than 254 characters. The
        expert's own email is stored as "their email" (it follows them). The cached busy time of
        the expert is dropped, so the next slots come from a fresh read (saving the same id again
        is how ops ask for one after the calendar's sharing was fixed)."""
        require_calendar_id_change(actor)
        value = clean_calendar_id(calendar_id)
        expert = self._expert(expert_id)
        stored = self.store.set_calendar_id(expert.id, "" if value.lower() == expert.email.lower() else value)
        self.forget_busy(expert.id)
        return stored

    # -- what holds the expert's time ---------------------------------------------------------
    def _bookings(self, expert: Expert, first: datetime, last: datetime, exclude: str | None,
                  known: BookingInputs | None = None) -> list[tuple[datetime, datetime]]:
        """The expert's active bookings in ``[first, last)`` as aware intervals (``known``'s if it covers them)."""
        tz = self.ports.tz
        wall = lambda moment: moment.astimezone(tz).replace(tzinfo=None)  # noqa: E731
        mine = known is not None and known.expert is not None and known.expert.id == expert.id
        found = known.held_between(wall(first), wall(last)) if mine else None  # type: ignore[union-attr]
        if found is None:
            found = self.store.active_times(expert.id, wall(first), wall(last), self.ports.pending_since())
        return [_interval(held, tz) for held in found if held.booking_id != exclude]

    def _busy_times(self, expert: Expert, first: datetime, last: datetime) -> BusyTimes:
        calendar_id = expert.calendar_id or expert.email
        return self._busy.get(expert.id, calendar_id, first, last, lambda: self._ask_busy(calendar_id, first, last))

    def _ask_busy(self, calendar_id: str, first: datetime, last: datetime) -> BusyTimes:
        """The provider's answer; a provider that breaks its "never raises" promise must not stop
        anyone from booking: the slots then come from our bookings."""
        try:
            return self.ports.meetings.busy(calendar_id, first, last)
        except Exception as exc:  # noqa: BLE001 - any failure means "could not read", never a crash
            return BusyTimes(read=True, error=f"the calendar could not be read ({describe_unexpected(exc)})")

    def forget_busy(self, expert_id: str) -> None:
        """Drop the cached calendar answers of the expert (one of their bookings changed)."""
        self._busy.forget(expert_id)

    def _window(self, a: Availability, first_day: date, last_day: date) -> tuple[datetime, datetime]:
        """Instants around the days, wide enough for every buffer and a session that crosses midnight."""
        zone = a.zone
        start = datetime.combine(first_day - timedelta(days=1), time(0), tzinfo=zone)
        end = datetime.combine(last_day + timedelta(days=2), time(0), tzinfo=zone)
        return start, end

    # -- free slots ---------------------------------------------------------------------------
    def free_slots(self, expert_id: str, duration: int, first_day: date, days: int, *, actor: Actor,
                   exclude_booking: str | None = None, known: BookingInputs | None = None,
                   expert: Expert | None = None, availability: Availability | None = None) -> SlotList:
        """The free starts of a ``duration``-minute session with the expert on ``days`` days from
        ``first_day`` (dates in the expert's zone), and what their calendar said.

        ``exclude_booking``: a booking being rescheduled (its time does not count). What this run
        read already is not read again: ``known`` (what ``BookingService.booking_desk`` read), or
        ``expert`` with ``availability`` (their hours). Staff see anyone's, an expert their own.
        ``InvalidInput`` for a duration not offered or ``days`` outside 1..92; ``NotFound`` for an
        unknown expert.
        """
        require_expert_or_staff(actor, expert_id, "see free slots")
        duration = clean_duration(duration)
        _check_days(first_day, days)
        if expert is not None and expert.id == str(expert_id or "").strip():
            hours = availability if availability is not None else self._availability_of(expert, known)
            return self._slots(expert, hours, duration, first_day, days, exclude_booking, known)
        who = self._expert(expert_id, known)
        return self._slots(who, self._availability_of(who, known), duration, first_day, days, exclude_booking, known)

    def preview_slots(self, expert_id: str, availability: Availability, duration: int, first_day: date,
                      days: int, *, actor: Actor, expert: Expert | None = None) -> SlotList:
        """The free slots ``availability`` (edited, not yet saved) would leave, with the expert's
        real bookings and calendar: what the Availability page shows before saving. The same
        computation as ``free_slots``; nothing is stored. Only whoever may change the expert's
        availability may preview it. ``expert``: the expert as already read (not read again)."""
        require_expert_or_staff(actor, expert_id, "change the availability")
        if not isinstance(availability, Availability):
            raise InvalidInput("The availability must be a lib.scheduling.Availability value.")
        duration = clean_duration(duration)
        _check_days(first_day, days)
        known = expert if expert is not None and expert.id == expert_id else self._expert(expert_id)
        return self._slots(known, availability, duration, first_day, days, None)

    def _slots(self, expert: Expert, a: Availability, duration: int, first_day: date, days: int,
               exclude_booking: str | None, known: BookingInputs | None = None) -> SlotList:
        last_day = first_day + timedelta(days=days - 1)
        start, end = self._window(a, first_day, last_day)
        busy = self._busy_times(expert, start, end)
        slots = free_slots(a, duration, first_day, last_day, now=self.ports.clock(),
                           bookings=self._bookings(expert, start, end, exclude_booking, known), busy=busy.intervals)
        return SlotList(expert.id, duration, slots, calendar_state(busy))

    # -- the check of book and reschedule -----------------------------------------------------
    def check_start(self, expert: Expert, day: date, at: time, duration: int, *, actor: Actor,
                    exclude_booking: str | None = None, override_reason: str | None = None,
                    known: BookingInputs | None = None) -> SlotOverride | None:
        """Refuse a start that is not a free slot with ``SlotUnavailable``, by the same rules
        (``lib.scheduling.why_not``) and inputs the picker uses.

        Returns ``None`` when the start is free, or the accepted ``SlotOverride``: staff (ops) may
        book a start that is not free with a non-empty ``override_reason`` (anyone else who gives
        one gets ``PermissionDenied``), unless it overlaps another session itself (not only the
        minutes kept free around it): no one books two sessions at once, so that is
        ``SlotOverlaps`` with or without a reason, as the store would refuse it (``known``: as read).
        """
        a = self._availability_of(expert, known)
        start = datetime.combine(day, at, tzinfo=self.ports.tz)
        local_day = start.astimezone(a.zone).date()
        window_start, window_end = self._window(a, local_day - timedelta(days=NEAREST_WINDOW_DAYS),
                                                local_day + timedelta(days=NEAREST_WINDOW_DAYS))
        # The calendar is asked about the window of the nearest free times, as the refusal
        # needs it (one cached request either way); the store is read for the start's day alone
        # (``lib.scheduling.window``: its bookings decide that start), and around it only when
        # the start is refused and the nearest free times are wanted.
        busy = self._busy_times(expert, window_start, window_end)
        day_start, day_end = window(a, local_day)
        now = self.ports.clock()
        held = self._bookings(expert, day_start, day_end, exclude_booking, known)
        refusal = why_not(a, start, duration, now, held, busy.intervals)
        if refusal is None:
            return None
        reason = (override_reason or "").strip()
        if reason and not actor.is_staff:
            raise PermissionDenied("Only ops staff can book a time that is not a free slot.")
        end = start + timedelta(minutes=duration)
        clash = any(s < end and start < e for s, e in held)  # the sessions themselves, without buffers
        if reason and not clash:
            why = refusal.message
            if refusal.reason is Reason.OVERLAPS_BOOKING:  # only the minutes kept free around a session
                gap = max(a.buffer_before, a.buffer_after)
                why = (f"{when_text(start.astimezone(a.zone))} is within the {gap} minutes kept free around "
                       "another session of the expert.")
            return SlotOverride(why, f"not a free slot ({refusal.reason.value}): {refusal.message} "
                                     f"Booked anyway by ops: {reason}")
        if clash and reason:
            refusal = Refusal(Reason.OVERLAPS_BOOKING, f"{when_text(start.astimezone(a.zone))} overlaps another "
                                                       "session of the expert; not even ops book two sessions at once.")
        bookings = self._bookings(expert, window_start, window_end, exclude_booking)
        nearest = self._nearest(a, start, duration, now, bookings, busy, local_day)
        kind = SlotOverlaps if refusal.reason is Reason.OVERLAPS_BOOKING else SlotUnavailable
        raise kind(_message(refusal, nearest), reason=refusal.reason, nearest=nearest)

    def _nearest(self, a: Availability, start: datetime, duration: int, now: datetime,
                 bookings: list[tuple[datetime, datetime]], busy: BusyTimes, around: date) -> list[Slot]:
        """The free slots nearest to ``start`` within the window whose bookings and busy time are known."""
        today = now.astimezone(a.zone).date()
        first = max(today, around - timedelta(days=NEAREST_WINDOW_DAYS))
        last = around + timedelta(days=NEAREST_WINDOW_DAYS)
        if last < first:
            return []
        found = free_slots(a, duration, first, last, now=now, bookings=bookings, busy=busy.intervals)
        nearest = sorted(found, key=lambda s: (abs(s.start - start), s.start))[:NEAREST_COUNT]
        return sorted(nearest)


def _check_days(first_day: object, days: object) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"Days must be a whole number from 1 to {MAX_DAYS}, got {days!r}.")
    if not isinstance(first_day, date) or isinstance(first_day, datetime):
        raise InvalidInput("The first day must be a calendar date (YYYY-MM-DD).")


def _interval(held: HeldTime, tz: tzinfo) -> tuple[datetime, datetime]:
    start = held.starts_at.replace(tzinfo=tz)
    return start, start + timedelta(minutes=held.duration)


def _message(refusal: Refusal, nearest: list[Slot]) -> str:
    if not nearest:
        return f"{refusal.message} There is no free time within {NEAREST_WINDOW_DAYS} days of it; pick another day."
    offered = "; ".join(when_text(s.start) for s in nearest)
    return f"{refusal.message} Nearest free time{'s' if len(nearest) > 1 else ''}: {offered}."
