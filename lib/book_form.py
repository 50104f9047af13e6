"""What the Book page still needs before "Book and pay" may book: each missing part in words.

Pure Python, no Streamlit. The service checks the whole request again when it books; this only
says, before anything is pressed, which part of the form is not filled in yet.
"""

from __future__ import annotations

from datetime import date, time

from lib.domain import NewCustomer
from lib.slot_choices import pick_missing


def missing_parts(*, customer_id: str | None, new_customer: NewCustomer | None, day: date | None,
                  at: time | None) -> list[str]:
    """The steps still to take, in the order of the form: the customer (found, or a new one's name
    and email), then the day and the start time (``day``: the day picked, even without a start)."""
    parts = []
    if new_customer is not None:
        if not new_customer.name.strip():
            parts.append("Fill in the new customer's name")
        if not new_customer.email.strip():
            parts.append("Fill in the new customer's email")
    elif not customer_id:
        parts.append("Find the customer (or choose “New customer”)")
    pick = pick_missing(day, at)
    if pick:
        parts.append(pick)
    return parts
