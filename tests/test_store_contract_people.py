"""The ``PeopleStore`` contract (experts (and the calendar their busy time is read from) and customers),
on both stores (the ``store`` fixture of tests/support/store_contract.py: SQLite, and Supabase over
PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest

from lib.domain import (
    NewCustomer,
)
from lib.errors import (
    NotFound,
)
from lib.store import PeopleStore
from lib.store.sqlite import SQLiteStore
from tests.support.store_contract import (  # noqa: F401 - the fixtures among them
    pg_db,
    store,
)

CONTRACT = (PeopleStore,)  # the protocols whose every method this module exercises


def test_experts_and_customers(store):
    sari = store.add_expert("Sari", "sari@example.com", 250_000, "Career")
    budi = store.add_expert("Budi", "budi@example.com", 400_000)
    assert [e.name for e in store.list_experts()] == ["Budi", "Sari"]
    assert store.get_expert(sari.id) == sari
    assert store.get_expert(budi.id).expertise == ""
    assert store.get_expert(str(uuid.uuid4())) is None
    assert store.get_expert("not-an-id") is None

    andi = store.add_customer(NewCustomer("Andi", "andi@example.com"))
    again = store.add_customer(NewCustomer("Someone else", "ANDI@example.com"))
    assert again == andi  # the email identifies the customer; the stored name stays
    assert store.list_customers() == [andi]
    assert store.get_customer(andi.id) == andi
    assert store.get_customer(str(uuid.uuid4())) is None



def test_an_expert_calendar_id_defaults_to_their_email(store):
    sari = store.add_expert("Sari", "sari@example.com", 250_000)
    budi = store.add_expert("Budi", "budi@example.com", 400_000, "", "budi.calendar@example.com")
    assert store.get_expert(sari.id).calendar_id == "sari@example.com"
    assert store.get_expert(budi.id).calendar_id == "budi.calendar@example.com" == budi.calendar_id



def test_an_expert_calendar_id_can_be_changed_and_set_back_to_their_email(store):
    sari = store.add_expert("Sari", "sari@example.com", 250_000, "Career")
    budi = store.add_expert("Budi", "budi@example.com", 400_000)
    changed = store.set_calendar_id(sari.id, "team@group.calendar.google.com")
    assert changed == store.get_expert(sari.id)
    assert changed.calendar_id == "team@group.calendar.google.com"
    assert (changed.name, changed.email, changed.hourly_rate, changed.expertise) == \
        ("Sari", "sari@example.com", 250_000, "Career")
    assert store.get_expert(budi.id).calendar_id == "budi@example.com"  # only that expert
    assert store.set_calendar_id(sari.id, "").calendar_id == "sari@example.com"  # empty: their email again
    assert store.get_expert(sari.id).calendar_id == "sari@example.com"
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        with pytest.raises(NotFound):
            store.set_calendar_id(unknown, "x@example.com")



def test_search_customers_matches_name_or_email_case_insensitively_with_a_limit(store):
    for name, email in (("Andi Pratama", "andi@example.com"), ("Dewi 100% Lestari", "dewi@x.example"),
                        ("Budi_Santoso", "budi@example.com"), ("Citra, (Dr.)", "citra@example.com"),
                        ('Eko "Q" Back\\slash', "eko@example.com")):
        store.add_customer(NewCustomer(name, email))
    names = lambda q, n=20: [c.name for c in store.search_customers(q, n)]  # noqa: E731
    assert names("ANDI") == ["Andi Pratama"]
    assert names("example.com") == ["Andi Pratama", "Budi_Santoso", "Citra, (Dr.)", 'Eko "Q" Back\\slash']
    assert names("example.com", 2) == ["Andi Pratama", "Budi_Santoso"]
    assert names("%") == ["Dewi 100% Lestari"]  # a typed % is a percent sign, not "anything"
    assert names("_") == ["Budi_Santoso"]
    assert names(", (dr") == ["Citra, (Dr.)"]  # PostgREST's reserved characters stay inside the filter
    assert names('"q"') == ['Eko "Q" Back\\slash'] and names("k\\s") == ['Eko "Q" Back\\slash']
    assert names("nobody") == []



def test_a_customer_search_with_many_matches_stops_at_its_limit_on_sqlite(tmp_path):
    """The search reads the customers in name order and stops after ``limit`` matches, so the
    Book page costs the same beside 300 or 30,000 customers (no sort of every customer)."""
    def steps_of_search(customers: int) -> int:
        store = SQLiteStore(tmp_path / f"customers-{customers}.db")
        db = store._conn()
        with db:
            db.executemany("INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, '2026-01-01')",
                           [(str(uuid.uuid4()), f"Customer {i}", f"customer{i}@example.com")
                            for i in range(customers)])
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        db.set_progress_handler(count, 100)  # every 100 virtual machine instructions
        found = store.search_customers("Customer 1", 20)
        db.set_progress_handler(None, 0)
        assert len(found) == 20 and found[0].name == "Customer 1"
        return steps[0]

    assert steps_of_search(30_000) <= 2 * steps_of_search(300) + 5

