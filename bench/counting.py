"""Counting what a store is asked, from outside the store: the stores keep no counters of their own."""

from __future__ import annotations

import functools
import threading
from typing import Any


class CountingStore:
    """Forwards every attribute to ``inner`` and counts the calls to its public methods.

    Each ``BookingStore`` read is one query on SQLite and one HTTP request on Supabase, so a
    page load whose count stays the same at every database size makes no N+1. Calls the store
    makes to itself are not seen (they do not pass through the wrapper).
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.Lock()  # the bulk link run calls the store from several threads
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name.startswith("_") or not callable(value):
            return value

        @functools.wraps(value)
        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls += 1
            return value(*args, **kwargs)

        return counted

    def __repr__(self) -> str:
        return f"CountingStore({self._inner!r})"
