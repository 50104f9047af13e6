"""Who came to a session: Join links through the click-counting redirect (``public_base_url``)
and Google Meet attendance.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from lib.domain import Attendance, Booking, HistoryLine, JoinClicks


@runtime_checkable
class AttendanceStore(Protocol):
    """Join tokens and clicks, and each session's attendance with the Google user emails it names."""

    def issue_join_tokens(self, booking_id: str, tokens: Mapping[str, str], at: datetime) -> dict[str, str]:
        """Store ``tokens`` (person -> token) for the persons of the booking that have none yet,
        and return every person's stored token: one that exists already wins, so two emails
        drafted at once end up with the same token."""
        ...

    def join_token(self, token: str) -> tuple[str, str] | None:
        """The (booking_id, person) a token was issued for, or ``None``."""
        ...

    def record_join_click(self, booking_id: str, person: str, at: datetime) -> None:
        """Record one click of ``person`` on the booking's Join link."""
        ...

    def join_clicks(self, booking_id: str) -> list[JoinClicks]:
        """Each person's click count and latest click on the booking, by person (only persons
        who clicked)."""

    def ended_sessions(self, after: datetime, until: datetime, limit: int = 500) -> list[Booking]:
        """``confirmed`` or ``completed`` bookings with a meeting link whose wall-clock end (naive,
        app timezone) is after ``after`` and at or before ``until``, by end."""
        ...

    def attendance(self, booking_ids: Sequence[str]) -> dict[str, Attendance]:
        """The stored attendance of these bookings, by booking id (bookings without one are left out)."""
        ...

    def save_attendance(self, attendance: Attendance, lines: Sequence[HistoryLine], actor: str) -> bool:
        """Store a booking's attendance unless a final one (``recorded``, ``no data``) is stored
        already, and only then write ``lines`` to its history, in one transaction; whether it was stored."""
        ...

    def google_user_emails(self, user_ids: Sequence[str]) -> dict[str, str]:
        """The remembered email of each Google user id (``users/{id}``) known, by id."""
        ...

    def remember_google_user_email(self, user_id: str, email: str, at: datetime) -> None:
        """Remember (or replace) the email a Google user id resolved to."""
