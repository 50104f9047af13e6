"""Meeting attendance: who of a booking joined its Google Meet session, when, and for how long
together, read from Meet's conference records after the session ends.

Google writes the records some minutes after a conference ends and deletes them 30 days later,
so a booking is first asked about ``attendance_first_check_minutes`` after its end, then again
with a doubling wait (up to ``attendance_backoff_max_minutes``); with no record
``attendance_give_up_hours`` after the end it is stored as "no data". A failed request is
classified like the Calendar provider's and asked again on the same schedule; it never stops the
run. A recorded session where one side did not join is a no-show of that side, written once in
the booking's history.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from lib.access import Actor, require_staff
from lib.domain import Attendance, Booking, HistoryLine
from lib.errors import ConfigError, MeetingProviderError, Transient
from lib.meetings.meet_records import MeetReading, Participant, meeting_code
from lib.service.outbox import session_start
from lib.service.ports import Ports
from lib.store import AttendanceStore

log = logging.getLogger(__name__)

_MAX_SESSIONS = 500  # sessions looked at per run; the rest wait for the next one
# Sessions this long past the give-up time are still looked at once, so a worker that was down
# for a day still records "no data" (or a late reading) for them.
_SLACK = timedelta(hours=24)


class AttendanceReader(Protocol):
    """Reads a meeting code's conference records (``lib.meetings.meet_attendance.GoogleMeetAttendance``)."""

    @property
    def resolves_emails(self) -> bool: ...
    def read(self, code: str) -> MeetReading: ...
    def email_of(self, user: str) -> str | None: ...


def normalise_name(name: str) -> str:
    """A display name for comparison: accents dropped, case folded, spaces collapsed."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name or "") if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


@dataclass(frozen=True)
class _Side:
    joined: datetime | None = None
    left: datetime | None = None
    match: str = "none"
    spans: tuple[tuple[datetime, datetime], ...] = ()


def _union(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def together_minutes(a: tuple[tuple[datetime, datetime], ...], b: tuple[tuple[datetime, datetime], ...]) -> int:
    """Whole minutes both sides were in the call at once (their time spans intersected)."""
    seconds = 0.0
    for s1, e1 in _union(list(a)):
        for s2, e2 in _union(list(b)):
            seconds += max(0.0, (min(e1, e2) - max(s1, s2)).total_seconds())
    return int(seconds // 60)


def match_participants(booking: Booking, participants: tuple[Participant, ...] | list[Participant],
                       emails: dict[str, str]) -> tuple[_Side, _Side]:
    """The expert's and the customer's side of a reading.

    A signed-in participant is matched by the email its Google user id resolved to (``emails``),
    else by display name against the booking's names (normalised). Anonymous and phone
    participants are never matched: anyone can type any name into the Meet lobby. A side's join is
    its earliest, its leave its latest over every record; its match is "email" when any of its
    participants matched by email.
    """
    expert_email, customer_email = booking.expert_email.strip().lower(), booking.customer_email.strip().lower()
    expert_name, customer_name = normalise_name(booking.expert_name), normalise_name(booking.customer_name)
    found: dict[str, list[tuple[Participant, str]]] = {"expert": [], "customer": []}
    for p in participants:
        if p.kind != "signed in" or p.joined is None:
            continue
        email = emails.get(p.user, "")
        name = normalise_name(p.display_name)
        if email and email == expert_email:
            found["expert"].append((p, "email"))
        elif email and email == customer_email:
            found["customer"].append((p, "email"))
        elif name and name == expert_name:
            found["expert"].append((p, "display name"))
        elif name and name == customer_name:
            found["customer"].append((p, "display name"))

    def side(items: list[tuple[Participant, str]]) -> _Side:
        if not items:
            return _Side()
        spans = tuple((p.joined, p.left or p.joined) for p, _ in items if p.joined)
        return _Side(joined=min(s for s, _ in spans), left=max(e for _, e in spans),
                     match="email" if any(how == "email" for _, how in items) else "display name", spans=spans)

    return side(found["expert"]), side(found["customer"])


def no_show_line(expert_joined: bool, customer_joined: bool) -> HistoryLine | None:
    """The history line of a recorded session one side (or both) did not join."""
    if expert_joined and customer_joined:
        return None
    if not expert_joined and not customer_joined:
        return HistoryLine("no-show", "neither the expert nor the customer joined the Google Meet session")
    who = "the expert" if not expert_joined else "the customer"
    return HistoryLine("no-show", f"{who} did not join the Google Meet session")


class AttendanceRecorder:
    """Reads and stores the attendance of ended Google Meet sessions."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    @property
    def store(self) -> AttendanceStore:
        """The store, as the protocols this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def get(self, booking_id: str, *, actor: Actor) -> Attendance | None:
        """The booking's stored attendance, or None when none was read yet (staff)."""
        require_staff(actor, "see meeting attendance")
        booking = self.ports.load(booking_id)
        return self.store.attendance([booking.id]).get(booking.id)

    def record(self, *, actor: Actor, booking_id: str | None = None) -> dict[str, int]:
        """Ask Google about every ended session whose check is due (or one booking, due or not,
        unless its attendance is final) and store what it says; counts by outcome.

        Staff or the system. ``ConfigError`` when the meeting provider is not Google.
        """
        require_staff(actor, "record meeting attendance")
        if self.ports.settings.meeting_provider != "google":
            raise ConfigError("Attendance is read from Google Meet: set `meeting_provider = \"google\"`.")
        settings, store = self.ports.settings, self.store
        now, now_local = self.ports.clock(), self.ports.now_local()
        if booking_id is not None:
            sessions = [self.ports.load(booking_id)]
        else:
            sessions = store.ended_sessions(
                now_local - timedelta(hours=settings.attendance_give_up_hours) - _SLACK,
                now_local - timedelta(minutes=settings.attendance_first_check_minutes), _MAX_SESSIONS)
        stored = store.attendance([b.id for b in sessions])
        counts = {"checked": 0, "recorded": 0, "no-shows": 0, "no data": 0, "waiting": 0, "failed": 0}
        for booking in sessions:
            prior = stored.get(booking.id)
            if prior is not None and prior.final:
                continue
            if booking_id is None and prior is not None and prior.next_check_at and prior.next_check_at > now:
                continue
            if booking_id is not None and self._end(booking) + timedelta(
                    minutes=settings.attendance_first_check_minutes) > now:
                continue  # not ended long enough for Google to have written its records
            counts["checked"] += 1
            outcome = self._check(self._reader(), booking, prior, now, actor)
            counts[outcome] += 1
        return counts

    # -- internals -----------------------------------------------------------------------

    def _reader(self) -> AttendanceReader:
        """The Meet reader, built from the ``[google]`` settings the first time a session is due
        (loading credentials costs nothing until then; a page never needs it)."""
        if self.ports.attendance is None:
            from lib.meetings.meet_attendance import GoogleMeetAttendance

            self.ports.attendance = GoogleMeetAttendance.from_settings(self.ports.settings.google)
        return self.ports.attendance

    def _end(self, booking: Booking) -> datetime:
        return session_start(booking, self.ports) + timedelta(minutes=booking.duration)

    def _check(self, reader: AttendanceReader, booking: Booking, prior: Attendance | None, now: datetime,
               actor: Actor) -> str:
        settings, store = self.ports.settings, self.store
        attempts = (prior.attempts if prior else 0) + 1
        code = meeting_code(booking.meeting_link)
        error = ""
        reading: MeetReading | None = None
        if code is None:
            error = "The meeting link is not a Google Meet link; there is no record to read."
        else:
            try:
                reading = reader.read(code)
                emails = self._emails(reader, reading) if reading.records and not reading.live else {}
            except MeetingProviderError as exc:
                log.warning("Attendance of booking %s not read: %s", booking.id, exc)
                error, reading = str(exc), None
        if reading is not None and reading.records and not reading.live:
            expert, customer = match_participants(booking, reading.participants, emails)
            result = Attendance(
                booking.id, "recorded", expert_joined=expert.joined is not None,
                customer_joined=customer.joined is not None, expert_joined_at=expert.joined,
                expert_left_at=expert.left, customer_joined_at=customer.joined, customer_left_at=customer.left,
                together_minutes=together_minutes(expert.spans, customer.spans), expert_match=expert.match,
                customer_match=customer.match, attempts=attempts, checked_at=now)
            line = no_show_line(result.expert_joined, result.customer_joined)
            store.save_attendance(result, [line] if line else [], actor.label)
            return "recorded" if line is None else "no-shows"
        give_up = self._end(booking) + timedelta(hours=settings.attendance_give_up_hours)
        if code is None or now >= give_up:
            why = error or "Google Meet had no finished record of the session"
            result = Attendance(booking.id, "no data", attempts=attempts, checked_at=now, last_error=error)
            store.save_attendance(result, [HistoryLine("attendance", f"no data: {why}")], actor.label)
            return "no data"
        wait = min(settings.attendance_first_check_minutes * 2 ** (attempts - 1),
                   settings.attendance_backoff_max_minutes)
        result = Attendance(booking.id, "waiting", attempts=attempts, checked_at=now,
                            next_check_at=min(now + timedelta(minutes=wait), give_up), last_error=error)
        store.save_attendance(result, [], actor.label)
        return "failed" if error else "waiting"

    def _emails(self, reader: AttendanceReader, reading: MeetReading) -> dict[str, str]:
        """Emails of the signed-in participants: remembered ones, then (when allowed) the People
        API for the rest, remembered for next time. A person the People API does not know is
        matched by display name; a transient failure raises (the booking is asked again later)."""
        users = sorted({p.user for p in reading.participants if p.kind == "signed in" and p.user})
        known = self.store.google_user_emails(users) if users else {}
        if reader.resolves_emails:
            for user in users:
                if user in known:
                    continue
                try:
                    email = reader.email_of(user)
                except MeetingProviderError as exc:
                    if isinstance(exc, Transient):
                        raise
                    log.warning("Email of Google user %s not resolved: %s", user, exc)
                    continue
                if email:
                    known[user] = email
                    self.store.remember_google_user_email(user, email, self.ports.clock())
        return known

