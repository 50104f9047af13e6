"""What the My sessions and Availability pages show of one expert, each from one store call.

A page run used to read the same expert and hours several times (one read per service call);
here the expert comes from the caller (the gate's experts list of the same run) and the rest
from one ``ExpertPageStore`` call, with the same rules as the separate reads: the default hours
when none are stored, no hours at all when the stored ones cannot be read (logged, and said in
words), and the attendance only of the sessions that ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from lib.access import Actor, require_expert_or_staff
from lib.domain import Booking, Expert, SessionType
from lib.errors import InvalidInput, UnreadableAvailability
from lib.scheduling import Availability
from lib.scheduling.model import no_hours
from lib.scheduling.words import unreadable
from lib.service.expert_availability import Scheduling, log_unreadable
from lib.service.ports import Ports
from lib.service.queries import _WEEK_LIMIT, SESSION_STATUSES, ExpertSessions
from lib.store import ExpertPageStore
from lib.store.ports_expert_pages import StoredHours

UPCOMING_LIMIT = 200  # as ``upcoming_for_expert`` lists them


@dataclass(frozen=True)
class MySessionsView:
    """One week of an expert's sessions with their attendance, their hours (what the week shades)
    and their confirmed sessions still to come."""

    sessions: ExpertSessions
    availability: Availability
    upcoming: list[Booking]


@dataclass(frozen=True)
class AvailabilityView:
    """An expert's hours (the default ones when none are stored), why the stored ones cannot be
    read (``None`` when they can) and their session types in their order."""

    availability: Availability
    problem: str | None
    session_types: list[SessionType]


class ExpertPages:
    """The reads of one expert's pages, each behind the same permission check as the separate reads."""

    def __init__(self, ports: Ports, scheduling: Scheduling) -> None:
        self.ports = ports
        self._scheduling = scheduling

    @property
    def store(self) -> ExpertPageStore:
        """The store, as the protocol this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def hours(self, expert: Expert, stored: StoredHours) -> tuple[Availability, str | None]:
        """The expert's hours from what is stored (the default ones when none are), and why the
        stored ones cannot be read (logged; then no hours at all), ``None`` when they can."""
        if stored.unreadable is not None:
            log_unreadable(UnreadableAvailability(expert.id, stored.unreadable))
            return no_hours(self.ports.settings.timezone), unreadable(expert.name, stored.unreadable)
        return stored.availability or self._scheduling.default_availability(), None

    def my_sessions(self, expert: Expert, first_day: date, last_day: date, *, actor: Actor) -> MySessionsView:
        """The expert's paid, confirmed and completed sessions on ``first_day`` to ``last_day`` (app
        timezone; past ones with their attendance), their hours and their upcoming confirmed
        sessions. An expert reads only their own; staff anyone's."""
        require_expert_or_staff(actor, expert.id, "see sessions")
        if last_day < first_day:
            raise InvalidInput("The last day must not be before the first day.")
        rows = self.store.expert_week(expert.id, datetime.combine(first_day, time(0)),
                                      datetime.combine(last_day + timedelta(days=1), time(0)), SESSION_STATUSES,
                                      self.ports.now_local(), _WEEK_LIMIT, UPCOMING_LIMIT)
        availability, _ = self.hours(expert, rows.hours)
        return MySessionsView(ExpertSessions(rows.week, rows.attendance), availability, rows.upcoming)

    def availability(self, expert: Expert, *, actor: Actor) -> AvailabilityView:
        """The expert's hours, why the stored ones cannot be read, and their session types. An
        expert reads only their own; staff anyone's."""
        require_expert_or_staff(actor, expert.id, "see the availability")
        rows = self.store.expert_setup(expert.id)
        availability, problem = self.hours(expert, rows.hours)
        return AvailabilityView(availability, problem, rows.session_types)

