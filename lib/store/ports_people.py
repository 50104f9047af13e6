"""The people a booking is between: experts and customers.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from lib.domain import Customer, Expert, NewCustomer


@runtime_checkable
class PeopleStore(Protocol):
    """Experts (with the calendar their busy time is read from) and customers."""

    def list_experts(self) -> list[Expert]: ...
    def get_expert(self, expert_id: str) -> Expert | None: ...

    def add_expert(self, name: str, email: str, hourly_rate: int, expertise: str = "",
                   calendar_id: str = "") -> Expert:
        """Insert an expert; an empty ``calendar_id`` means their email."""
        ...

    def set_calendar_id(self, expert_id: str, calendar_id: str) -> Expert:
        """Change the Google calendar whose busy time blocks the expert's slots (an empty
        ``calendar_id`` means their email again) and return the expert as stored; ``NotFound``
        for an unknown expert. The value is checked by the service, not here."""
        ...

    def list_customers(self) -> list[Customer]: ...
    def get_customer(self, customer_id: str) -> Customer | None: ...
    def add_customer(self, customer: NewCustomer) -> Customer: ...

    def search_customers(self, query: str, limit: int = 20) -> list[Customer]:
        """Up to ``limit`` customers whose name or email contains ``query`` (case-insensitive;
        ``%``, ``_`` and ``*`` in it are plain characters as far as the store can say), by name."""
        ...
