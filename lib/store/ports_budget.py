"""The rolling per-minute request budget of a calendar, shared by every process on one store.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class RequestBudgetStore(Protocol):
    """Google's per-minute request budget, counted in the store so every process shares it."""

    def take_request_slot(self, calendar_id: str, limit: int, now: datetime) -> float:
        """Atomically take one of ``limit`` request slots of ``calendar_id`` in the rolling minute
        before ``now`` (per-second buckets, see ``lib.store.budget``): 0.0 when taken, else the
        seconds until enough of the oldest requests have left it (nothing taken)."""
        ...

    def request_slots_used(self, calendar_id: str, now: datetime) -> int:
        """How many slots of ``calendar_id`` the rolling minute before ``now`` has used."""
        ...
