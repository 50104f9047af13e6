"""Stay under a per-minute request quota (Google Calendar: 600 per minute per user)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


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
