"""One booking as stored, and its history: what every part that follows a booking reads.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from lib.domain import Booking, HistoryEntry


@runtime_checkable
class BookingRecordStore(Protocol):
    """A booking by its id or by the request that made it, its history, and a line added to it."""

    def get_booking(self, booking_id: str) -> Booking | None: ...
    def find_by_request_key(self, request_key: str) -> Booking | None: ...
    def history(self, booking_id: str) -> list[HistoryEntry]: ...
    def add_history(self, booking_id: str, event: str, detail: str, actor: str) -> None: ...
