"""The people of the production store: experts (with their calendar id), their availability, and
customers.

``PeopleRequests`` is a part of ``SupabaseStore`` (it uses the store's ``_table``, ``_rpc``,
``_every_row`` and ``_execute``, so every request keeps the store's error mapping); it is split out
only so that each file reads as one subject.
"""

from __future__ import annotations

import uuid

from lib.domain import (
    Customer,
    Expert,
    NewCustomer,
)
from lib.errors import (
    InvalidInput,
    NotFound,
    UnreadableAvailability,
)
from lib.scheduling import Availability, to_json
from lib.scheduling.parse import from_stored
from lib.store.supabase_rows import (
    AVAILABILITY_SELECT,
    CUSTOMER_SELECT,
    EXPERT_SELECT,
    _customer,
    _expert,
    _is_uuid,
    _rows,
    ilike_value,
)


class PeopleRequests:
    """Experts, availability and customers through PostgREST (see the module docstring)."""

    # -- people -------------------------------------------------------------------------------
    def list_experts(self) -> list[Expert]:
        """Every expert, by name."""
        rows = self._every_row(lambda: self._table("experts").select(EXPERT_SELECT).order("name").order("id"),
                               "listing experts")
        return [_expert(r) for r in rows]

    def get_expert(self, expert_id: str) -> Expert | None:
        """The expert, or ``None`` (also for an id that is not a uuid: no request then)."""
        if not _is_uuid(expert_id):
            return None
        data = self._execute(
            self._table("experts").select(EXPERT_SELECT).eq("id", expert_id).maybe_single(), "reading an expert"
        )
        return _expert(data) if data else None

    def add_expert(self, name: str, email: str, hourly_rate: int, expertise: str = "",
                   calendar_id: str = "") -> Expert:
        """Insert an expert and return it as stored (an empty ``calendar_id`` is their email)."""
        row = {"id": str(uuid.uuid4()), "name": name, "email": email, "hourly_rate": hourly_rate,
               "expertise": expertise, "calendar_id": calendar_id or None}
        data = self._execute(self._table("experts").insert(row).select(EXPERT_SELECT), "adding an expert")
        return _expert(_rows(data)[0])

    def set_calendar_id(self, expert_id: str, calendar_id: str) -> Expert:
        """Change the expert's calendar id (empty: their email): one PATCH that returns the row."""
        if not _is_uuid(expert_id):
            raise NotFound("Unknown expert; pick one from the list.")
        data = self._execute(
            self._table("experts").update({"calendar_id": calendar_id or None}).eq("id", expert_id)
            .select(EXPERT_SELECT), "changing the expert's calendar id")
        rows = _rows(data)
        if not rows:
            raise NotFound("Unknown expert; pick one from the list.")
        return _expert(rows[0])

    def get_availability(self, expert_id: str) -> Availability | None:
        """The expert's stored availability, or ``None`` (one request; none for a non-uuid id)."""
        if not _is_uuid(expert_id):
            return None
        data = self._execute(
            self._table("expert_availability").select(AVAILABILITY_SELECT).eq("expert_id", expert_id).maybe_single(),
            "reading the expert's availability",
        )
        if not data:
            return None
        try:
            return from_stored(dict(data))
        except InvalidInput as exc:  # stored past the console's checks (before the database had its own)
            raise UnreadableAvailability(expert_id, str(exc)) from None

    def set_availability(self, expert_id: str, availability: Availability) -> None:
        """Store (replace) the expert's availability: one RPC, one statement."""
        if not _is_uuid(expert_id):
            raise NotFound("Unknown expert; pick one from the list.")
        schedule = to_json(availability, expert=expert_id)
        self._execute(self._rpc("expert_availability_put", {"p_expert_id": expert_id, "p_schedule": schedule}),
                      "saving the expert's availability")

    def search_customers(self, query: str, limit: int = 20) -> list[Customer]:
        """Customers whose name or email contains ``query`` (case-insensitive), by name: one
        request with ``or=(name.ilike.*q*,email.ilike.*q*)`` and the limit."""
        value = ilike_value(query.strip())
        request = (
            self._table("users").select(CUSTOMER_SELECT)
            .or_(f"name.ilike.{value},email.ilike.{value}")
            .order("name").order("email")
            .limit(max(0, int(limit)))
        )
        return [_customer(r) for r in _rows(self._execute(request, "searching customers"))]

    def list_customers(self) -> list[Customer]:
        """Every customer, by name."""
        rows = self._every_row(lambda: self._table("users").select(CUSTOMER_SELECT).order("name").order("id"),
                               "listing customers")
        return [_customer(r) for r in rows]

    def get_customer(self, customer_id: str) -> Customer | None:
        """The customer, or ``None``."""
        if not _is_uuid(customer_id):
            return None
        data = self._execute(
            self._table("users").select(CUSTOMER_SELECT).eq("id", customer_id).maybe_single(), "reading a customer"
        )
        return _customer(data) if data else None

    def add_customer(self, customer: NewCustomer) -> Customer:
        """The customer with this email (case-insensitive), inserted if new; a stored name is kept."""
        data = self._execute(
            self._rpc("customer_upsert", {"p_name": customer.name, "p_email": customer.email}).select(CUSTOMER_SELECT),
            "saving a customer",
        )
        return _customer(_rows(data)[0])

