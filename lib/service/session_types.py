"""Each expert's session types: who reads and who changes them, and which type (and price) a
booking request names."""

from __future__ import annotations

from typing import Protocol

from lib.access import Actor, require_expert_or_staff, require_staff
from lib.domain import BookingRequest, Expert, SessionType
from lib.errors import InvalidInput, NotFound
from lib.service.ports import Ports
from lib.session_type_document import FILE, Wording, check_document, find_type
from lib.store import BookingInputs, PeopleStore, ScheduleStore
from lib.validation import MAX_SESSION_TYPE, clean_duration, clean_text


class SessionTypesStore(ScheduleStore, PeopleStore, Protocol):
    """What ``SessionTypes`` reads and writes in the store."""


class SessionTypes:
    """Read (the expert their own, staff anyone's) and replace (staff) an expert's types."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    @property
    def store(self) -> SessionTypesStore:
        """The store, as the protocols this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def _expert(self, expert_id: str) -> Expert:
        expert = self.store.get_expert(str(expert_id or ""))
        if expert is None:
            raise NotFound("Unknown expert; pick one from the list.")
        return expert

    def list(self, expert_id: str, *, actor: Actor, active_only: bool = False,
             known: BookingInputs | None = None) -> list[SessionType]:
        """The expert's types in their order; ``active_only``: those that can be booked; ``known``:
        the expert and types as read already."""
        require_expert_or_staff(actor, expert_id, "see session types")
        if known is not None and known.expert is not None and known.expert.id == expert_id:
            types = known.session_types
        else:
            self._expert(expert_id)
            types = self.store.session_types(expert_id)
        return [t for t in types if t.active] if active_only else types

    def replace(self, expert_id: str, document: object, *, actor: Actor,
                words: Wording = FILE) -> list[SessionType]:
        """Make the types of ``document`` (``lib.session_type_document``: checked, every refusal in words,
        nothing stored then) the expert's; earlier types not in it are retired when booked, else
        removed. ``words``: how refusals name the types and their parts (the file's keys, or the
        page's rows and columns). Staff only: an expert sees theirs and asks ops."""
        require_staff(actor, "change session types")
        self._expert(expert_id)
        types = check_document(document, expert_id, words)
        theirs = {t.id for t in self.store.session_types(expert_id)}
        for n, t in enumerate(types, 1):
            if t.id not in theirs and self.store.get_session_type(t.id) is not None:
                raise InvalidInput(f"{words.where(n, t.name())} has the id of another expert's session type; "
                                   "leave the id out to add it as a new type.")
        return self.store.replace_session_types(expert_id, types)

    def for_request(self, expert: Expert, request: BookingRequest,
                    types: list[SessionType] | None = None) -> tuple[SessionType, int]:
        """The active type of ``expert`` the request names (its id, else its name in any language)
        and the duration checked against it; ``InvalidInput`` in words otherwise. ``types``: the
        expert's types when already read."""
        duration = clean_duration(request.duration)
        offered = [t for t in (self.store.session_types(expert.id) if types is None else types) if t.active]
        if request.session_type_id:
            found = next((t for t in offered if t.id == request.session_type_id), None)
            if found is None:
                raise InvalidInput(f"{expert.name} does not offer that session type (any more); "
                                   "pick one of their types.")
        else:
            name = clean_text(request.session_type, "Session type", MAX_SESSION_TYPE)
            found = find_type(offered, name)
            if found is None:
                names = ", ".join(f"“{t.name()}”" for t in offered) or "none yet"
                raise InvalidInput(f"{expert.name} does not offer “{name}”; their session types: {names}.")
        if duration not in found.durations:
            minutes = ", ".join(str(m) for m in found.durations)
            raise InvalidInput(f"“{found.name()}” with {expert.name} is offered for {minutes} minutes, "
                               f"not {duration}.")
        return found, duration
