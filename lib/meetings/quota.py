"""Stay under a per-minute request quota (Google Calendar: 600 per minute per user).

A provider takes its slots through the ``RequestBudget`` port: ``MinuteQuota`` counts in this
process (tests, the benchmark), ``SharedMinuteBudget`` counts for the whole deployment in the
store, so the Streamlit server and a cron ``retry-links`` together stay within one budget.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class RequestBudget(Protocol):
    """Where a provider takes a request slot before each request."""

    def acquire(self) -> float:
        """Wait for a free slot and take it; returns the seconds waited."""
        ...


class RequestSlots(Protocol):
    """The store's side of the shared budget (both ``BookingStore`` implementations have it)."""

    def take_request_slot(self, calendar_id: str, limit: int, now: datetime) -> float: ...


@dataclass(frozen=True)
class BudgetUse:
    """How much of a calendar's per-minute request budget the last 60 seconds have used."""

    calendar_id: str
    used: int
    limit: int


class SharedMinuteBudget:
    """At most ``per_minute`` requests per calendar in any 60 seconds (a rolling minute, as
    Google counts), counted in the store and so shared by every process and thread of the
    deployment.

    ``acquire`` takes a slot in one atomic store operation; when the last 60 seconds are full
    the store says how long until enough of the oldest requests have left them, and the caller
    sleeps that long and asks again. A slot is counted in the second ``acquire`` asked in; when
    the store answers only in a later second, another slot is taken, counted then, so a request
    goes out in the second its slot is counted in. ``clock`` is wall-clock time (all processes
    must agree on it); the store's per-second counting is in ``lib.store.budget``.
    """

    def __init__(self, store: RequestSlots, calendar_id: str, per_minute: int, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.store = store
        self.calendar_id = calendar_id
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep

    def acquire(self) -> float:
        """Wait for a free slot of the shared budget and take it; returns the seconds waited."""
        waited = 0.0
        while True:
            now = self._clock()
            pause = self.store.take_request_slot(self.calendar_id, self.per_minute, now)
            if pause <= 0:
                if _second(self._clock()) == _second(now):
                    return waited
                # The store took so long (its write lock, held by the other threads and processes
                # taking slots) that the slot is counted in a second already past: it would leave
                # the rolling minute before the request, sent now, leaves Google's. Take one
                # counted now; the early one only holds back a slot of its own minute.
                continue
            self._sleep(pause)
            waited += pause


def _second(moment: datetime) -> int:
    """The whole second (since the epoch) a moment falls in: the store counts slots per second."""
    return int(moment.timestamp() // 1)


class MinuteQuota:
    """At most ``per_minute`` requests in any 60 seconds, shared by every thread.

    A burst up to the quota goes out at once; beyond it, callers wait for the oldest request
    to leave the window. That keeps a bulk run of many links from earning 429s and backoff.
    """

    WINDOW = 60.0

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a free slot and take it; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.WINDOW:
                    self._sent.popleft()
                if len(self._sent) < self.per_minute:
                    self._sent.append(now)
                    return waited
                pause = self.WINDOW - (now - self._sent[0])
            self._sleep(pause)  # outside the lock: other threads may find slots freed meanwhile
            waited += pause
