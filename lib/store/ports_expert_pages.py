"""What the My sessions and Availability pages show of one expert, each read in one call.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``. On
Supabase each call is one request (an SQL function), where the separate reads were three or four.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from lib.domain import Attendance, Booking, BookingStatus, SessionType
from lib.scheduling import Availability


@dataclass(frozen=True)
class StoredHours:
    """An expert's stored availability as read: ``availability`` (``None`` when none is stored or
    it cannot be read) and, when it cannot be read, ``unreadable``: why, in words."""

    availability: Availability | None = None
    unreadable: str | None = None


@dataclass(frozen=True)
class ExpertWeekRows:
    """One week of an expert's sessions and what goes beside it.

    ``week``: as ``bookings_between`` returns them; ``attendance``: the stored attendance of those
    of them that are completed or started before ``now_local``; ``hours``: their stored
    availability; ``upcoming``: as ``upcoming_for_expert`` returns them.
    """

    week: list[Booking] = field(default_factory=list)
    attendance: dict[str, Attendance] = field(default_factory=dict)
    hours: StoredHours = field(default_factory=StoredHours)
    upcoming: list[Booking] = field(default_factory=list)


@dataclass(frozen=True)
class ExpertSetupRows:
    """An expert's stored availability and their session types in their order."""

    hours: StoredHours = field(default_factory=StoredHours)
    session_types: list[SessionType] = field(default_factory=list)


@runtime_checkable
class ExpertPageStore(Protocol):
    """The reads of one expert's pages, each in one call."""

    def expert_week(self, expert_id: str, start: datetime, end: datetime, statuses: Sequence[BookingStatus],
                    now_local: datetime, week_limit: int = 500, upcoming_limit: int = 200) -> ExpertWeekRows:
        """The expert's bookings in ``statuses`` overlapping ``[start, end)`` (wall clock, at most
        ``week_limit``), the attendance of those that ended (completed, or started before
        ``now_local``), their stored hours and their confirmed bookings ending after
        ``now_local`` (at most ``upcoming_limit``)."""
        ...

    def expert_setup(self, expert_id: str) -> ExpertSetupRows:
        """The expert's stored hours and session types (none of either for an unknown expert)."""
        ...
