"""Shared reads of pending Meet conferences: the threads of one provider that wait for a
conference read it in rounds, one request per round for all of them.

Google often answers an insert with the conference still ``pending``. In a bulk run many links
wait at once; instead of one ``events.get`` each, the first thread to need a read opens a round,
the others join it, and one ``events.list`` of the recently modified events answers them all
(``GoogleCalendarProvider`` supplies the Calendar requests). See docs/google.md, "Waiting for
the Meet link".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lib.errors import MeetingProviderError, Transient

# While several threads wait, rounds go out at most this often (a fast answer must not turn into
# a loop of lists).
ROUND_GAP = 0.2

Event = dict[str, Any]


class EventDeleted(Exception):
    """The event was deleted while its conference was pending."""


@dataclass
class Round:
    """One shared read of pending conferences: its members (event id -> the lower bound of the
    event's ``updated``), and once done what it found or the error every member gets."""

    since: dict[str, datetime] = field(default_factory=dict)
    sent_at: float | None = None  # provider clock, once it went out
    found: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: MeetingProviderError | None = None
    done: bool = False


def again(err: MeetingProviderError) -> MeetingProviderError:
    """A copy of a round's error for another member's thread (an exception keeps one traceback)."""
    if isinstance(err, Transient):
        return type(err)(str(err), retry_after=err.retry_after)
    return type(err)(str(err))


class PendingReads:
    """The shared state of one provider's pending-conference reads (guarded by ``cond``): how many
    threads wait for a conference, the round still taking members, whether a round is being sent
    (and which, when it is a list), when the last one went out (provider clock) and the newest
    list answer.

    ``get(event_id, slot_taken)`` reads one event (``EventDeleted`` if it is gone);
    ``list_recent(members)`` lists the members' events (the round's budget slot taken) and returns
    them and every event listed, by id; ``take_slot`` owes the next request's budget slot (taken
    when it is sent); ``classify`` turns
    any other exception into a ``MeetingProviderError``; ``settled(event)`` says whether an event's
    conference is no longer pending (or the event is deleted); ``clock`` and ``sleep`` are the
    provider's.
    """

    def __init__(self, *, get: Callable[[str, bool], Event],
                 list_recent: Callable[[Mapping[str, datetime]], tuple[dict[str, Event], dict[str, Event]]],
                 take_slot: Callable[[], None], classify: Callable[[BaseException], MeetingProviderError],
                 settled: Callable[[Mapping[str, Any]], bool], clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> None:
        self._get, self._list, self._take_slot, self._classify = get, list_recent, take_slot, classify
        self._settled, self._clock, self._sleep = settled, clock, sleep
        self.cond = threading.Condition()
        self.waiting = 0
        self.open: Round | None = None
        self.sending = False
        self.last_sent: float | None = None
        self.flight: Round | None = None  # the list round on its way, if any
        # The newest list answer: when it was sent, and every event it returned by id.
        self.latest: tuple[float, dict[str, Event]] | None = None

    def read(self, event_id: str, since: datetime, seen_at: float) -> Event:
        """The event as Google has it now, read in a round shared with the other waiting threads.

        Lists return every recently modified event, so one thread's round often answers another
        thread before that one asks: a list sent after ``seen_at`` (when this thread last heard of
        the event), answered or still on its way, that returns the event with its conference
        settled (or the event deleted) is the answer, at no cost. Otherwise the first thread to
        ask opens a round and sends it; threads asking meanwhile join it and wait for its answer.
        A round goes out once the round before it has its answer (and, while others wait, at
        least ``ROUND_GAP`` after it), owing its budget slot: for a thread waiting alone
        it is an ``events.get``, else an ``events.list`` of the events modified since the oldest
        member's ``updated``. A member the list does not return reads its event with a get of its
        own. An error of a round's request is the error of every member of that round.
        """
        with self.cond:
            while True:
                if self.latest is not None and self.latest[0] > seen_at:
                    known = self.latest[1].get(event_id)
                    if known is not None and self._settled(known):
                        return known
                flight = self.flight
                if flight is None or flight.sent_at is None or flight.sent_at <= seen_at:
                    break
                while not flight.done:  # newer than what we know: see what it says
                    self.cond.wait()
            rnd = self.open
            leads = rnd is None
            if leads:
                rnd = self.open = Round()
            rnd.since[event_id] = since
            if not leads:
                self.cond.wait_for(lambda: rnd.done)
                if rnd.error is not None:
                    raise again(rnd.error)
                found = rnd.found.get(event_id)
                return found if found is not None else self._get(event_id, False)
            self.cond.wait_for(lambda: not self.sending)
            self.sending = True
            pause = 0.0
            if self.waiting > 1 and self.last_sent is not None:
                pause = self.last_sent + ROUND_GAP - self._clock()
        error: MeetingProviderError | None = None
        try:
            if pause > 0:
                self._sleep(pause)  # the round gathers the threads that ask meanwhile
            self._take_slot()  # paid when the request goes: the next round gathers meanwhile
            with self.cond:
                self.open = None
                members = dict(rnd.since)
                rnd.sent_at = self.last_sent = self._clock()
                # Alone, a get; with others waiting, a list even for one member: it costs the same
                # one request, and may answer the others before they ask.
                alone = len(members) == 1 and self.waiting <= 1
                if not alone:
                    self.flight = rnd
            if alone:
                return self._get(event_id, True)
            rnd.found, listed = self._list(members)
            with self.cond:
                if self.latest is None or self.latest[0] < rnd.sent_at:
                    self.latest = (rnd.sent_at, listed)
        except EventDeleted:
            raise  # the leader's own get, in a round of one
        except MeetingProviderError as exc:
            error = exc
            raise
        except Exception as exc:  # noqa: BLE001 - every member gets the same classified error
            error = self._classify(exc)
            raise error from exc
        finally:
            with self.cond:
                if self.open is rnd:  # never sent (no slot): close it for the members too
                    self.open = None
                if self.flight is rnd:
                    self.flight = None
                rnd.error = error
                rnd.done = True
                self.sending = False
                self.cond.notify_all()
        found = rnd.found.get(event_id)
        return found if found is not None else self._get(event_id, False)
