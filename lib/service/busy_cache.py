"""Experts' busy times as their calendars answered, kept a few seconds: a page run asks for the same
expert and range several times, and Google's free/busy requests count against the quota."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lib.meetings import BusyTimes


@dataclass
class BusyCache:
    """Busy answers by (expert, calendar, start, end), each kept ``seconds`` by the service clock."""

    seconds: Callable[[], float]
    now: Callable[[], datetime]
    _entries: dict[tuple[str, str, datetime, datetime], tuple[datetime, BusyTimes]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, expert_id: str, calendar_id: str, start: datetime, end: datetime,
            ask: Callable[[], BusyTimes]) -> BusyTimes:
        """The kept answer for this expert, calendar and range, else ``ask()``'s (kept from now)."""
        key = (expert_id, calendar_id, start, end)
        now = self.now()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and now - found[0] < timedelta(seconds=self.seconds()):
                return found[1]
        answer = ask()  # outside the lock: one slow calendar does not hold up other experts
        if self.seconds() > 0:
            with self._lock:
                # Drop what has gone stale so the cache stays as small as the recent requests.
                horizon = timedelta(seconds=self.seconds())
                for stale in [k for k, (at, _) in self._entries.items() if now - at >= horizon]:
                    del self._entries[stale]
                self._entries[key] = (now, answer)
        return answer

    def forget(self, expert_id: str) -> None:
        """Drop the expert's kept answers (one of their bookings or their calendar changed)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == expert_id]:
                del self._entries[key]
