"""Session types belong to experts: the Book page offers only the chosen expert's types and their
durations; the service refuses another expert's type; a booking keeps its type, length and price
when moved and when its type changes; emails, invitations and the Overview's table name the type
in their own language."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from icalendar import Calendar

from lib.access import SYSTEM, expert_actor
from lib.display_tables import bookings_frame
from lib.domain import BookingRequest, NewCustomer
from lib.errors import InvalidInput, PermissionDenied
from lib.service import BookingService
from tests.support.apptest import as_expert, no_exception, open_page, shown
from tests.support.bookings import open_all_hours

CV = {"names": {"en": "CV review", "id": "Tinjauan CV"}, "durations": [30], "prices": {"30": 150000}}
MENTORING = {"names": {"en": "Career mentoring", "id": "Mentoring karier"}, "durations": [60, 90],
             "price_per_hour": 300000, "description": "Where to go next"}
TAX = {"names": {"en": "Tax check", "id": "Cek pajak"}, "durations": [45], "price_per_hour": 400000}


@pytest.fixture
def experts(service: BookingService) -> dict[str, str]:
    sari = service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    budi = service.store.add_expert("Budi Santoso", "budi@example.com", 400_000, "Tax")
    service.set_session_types(sari.id, [CV, MENTORING], actor=SYSTEM)
    service.set_session_types(budi.id, {"types": [TAX]}, actor=SYSTEM)
    open_all_hours(service.store)
    return {"sari": sari.id, "budi": budi.id}


def type_id(service: BookingService, expert: str, name: str) -> str:
    return next(t.id for t in service.session_types(expert, actor=SYSTEM) if t.name() == name)


def book(service: BookingService, expert: str, type_: str, minutes: int, hour: int = 10) -> BookingRequest:
    return BookingRequest(expert_id=expert, session_type="", session_type_id=type_, duration=minutes,
                          scheduled_date=service.today() + timedelta(days=2), scheduled_time=time(hour, 0),
                          new_customer=NewCustomer("Andi Wijaya", "andi@example.com"))


# -- the Book page ---------------------------------------------------------------------------------

def test_the_book_page_offers_only_the_chosen_experts_types_and_that_types_durations(service, experts):
    at = open_page("pages/views/book_view.py")
    no_exception(at)
    at.selectbox(key="book_expert").select(experts["sari"]).run()
    kinds = at.selectbox(key="book_session_type")
    assert kinds.options == ["CV review", "Career mentoring"]
    assert at.selectbox(key="book_duration").options == ["30"]  # CV review: one fixed-price length
    assert "Rp 150.000" in at.metric[0].value
    kinds.select(type_id(service, experts["sari"], "Career mentoring")).run()
    assert at.selectbox(key="book_duration").options == ["60", "90"]
    assert at.selectbox(key="book_duration").value == 60
    assert at.metric[0].value == "Rp 300.000"
    assert any("Where to go next" in c.value for c in at.caption)
    at.selectbox(key="book_duration").select(90).run()
    assert at.metric[0].value == "Rp 450.000"

    at.selectbox(key="book_expert").select(experts["budi"]).run()
    no_exception(at)
    assert at.selectbox(key="book_session_type").options == ["Tax check"]  # none of Sari's
    assert at.selectbox(key="book_duration").options == ["45"]
    assert at.metric[0].value == "Rp 300.000"


def test_the_book_page_does_not_offer_a_retired_type(service, experts):
    service.set_session_types(experts["sari"], [CV, dict(MENTORING, active=False)], actor=SYSTEM)
    assert [(t.name(), t.active) for t in service.session_types(experts["sari"], actor=SYSTEM)] == [
        ("CV review", True), ("Career mentoring", False)]
    at = open_page("pages/views/book_view.py")
    at.selectbox(key="book_expert").select(experts["sari"]).run()
    no_exception(at)
    assert at.selectbox(key="book_session_type").options == ["CV review"]


def test_an_expert_without_types_is_said_to_offer_none(service, experts):
    service.set_session_types(experts["budi"], [], actor=SYSTEM)
    at = open_page("pages/views/book_view.py")
    at.selectbox(key="book_expert").select(experts["budi"]).run()
    no_exception(at)
    assert any("Budi Santoso offers no session types yet" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "book_submit"]  # nothing to book


# -- the service -------------------------------------------------------------------------------------

def test_the_service_refuses_another_experts_type_and_a_length_the_type_does_not_offer(service, experts):
    tax = type_id(service, experts["budi"], "Tax check")
    with pytest.raises(InvalidInput, match="Sari Wulandari does not offer that session type"):
        service.book(book(service, experts["sari"], tax, 45), actor=SYSTEM)
    cv = type_id(service, experts["sari"], "CV review")
    with pytest.raises(InvalidInput, match="“CV review” with Sari Wulandari is offered for 30 minutes, not 60"):
        service.book(book(service, experts["sari"], cv, 60), actor=SYSTEM)
    by_name = BookingRequest(expert_id=experts["sari"], session_type="Konsultasi hukum", duration=60,
                             scheduled_date=service.today() + timedelta(days=2), scheduled_time=time(10, 0),
                             new_customer=NewCustomer("Andi", "andi@example.com"))
    with pytest.raises(InvalidInput, match="does not offer “Konsultasi hukum”; their session types: “CV review”"):
        service.book(by_name, actor=SYSTEM)
    assert service.recent_bookings(actor=SYSTEM) == []


def test_only_ops_change_types_and_an_expert_reads_only_their_own(service, experts):
    sari = expert_actor(service.store.get_expert(experts["sari"]))
    assert [t.name() for t in service.session_types(experts["sari"], actor=sari)] == ["CV review", "Career mentoring"]
    with pytest.raises(PermissionDenied):
        service.set_session_types(experts["sari"], [CV], actor=sari)
    with pytest.raises(PermissionDenied):
        service.session_types(experts["budi"], actor=sari)


def test_a_booking_keeps_type_length_and_price_when_moved_and_when_its_type_changes(service, experts):
    mentoring = type_id(service, experts["sari"], "Career mentoring")
    booked = service.book_and_pay(book(service, experts["sari"], mentoring, 90), actor=SYSTEM).booking
    assert (booked.session_type, booked.duration, booked.price) == ("Career mentoring", 90, 450_000)
    changed = dict(MENTORING, id=mentoring, durations=[60], price_per_hour=500000,
                   names={"en": "Mentoring", "id": "Bimbingan"})
    service.set_session_types(experts["sari"], [changed], actor=SYSTEM)
    moved = service.reschedule(booked.id, booked.scheduled_date, time(15, 0), actor=SYSTEM)
    assert (moved.session_type, moved.type_name("id"), moved.duration, moved.price) == \
        ("Career mentoring", "Mentoring karier", 90, 450_000)


# -- each language names it in its own words ----------------------------------------------------------

def test_an_indonesian_email_and_its_invitation_name_the_type_in_indonesian(service, experts):
    mentoring = type_id(service, experts["sari"], "Career mentoring")
    booking = service.book_and_pay(book(service, experts["sari"], mentoring, 60), actor=SYSTEM).booking
    emails = service.emails(booking_id=booking.id, actor=SYSTEM)
    customer = next(e for e in emails if e.kind == "confirmed.customer")
    assert customer.subject.startswith("Pemesanan terkonfirmasi: Mentoring karier dengan Sari Wulandari")
    assert "Mentoring karier" in customer.body_text and "Mentoring karier" in customer.body_html
    assert "Career mentoring" not in customer.body_text + customer.body_html + customer.subject
    event = next(c for c in Calendar.from_ical(customer.ics).walk() if c.name == "VEVENT")
    assert str(event["SUMMARY"]).startswith("Mentoring karier dengan")


def test_an_english_email_and_the_overview_table_use_the_english_name(service, experts, monkeypatch):
    mentoring = type_id(service, experts["sari"], "Career mentoring")
    booking = service.book_and_pay(book(service, experts["sari"], mentoring, 60), actor=SYSTEM).booking
    # The ops tables (and their CSV) are in the console's language.
    assert list(bookings_frame([booking], service.tz)["Session"]) == ["Career mentoring"]
    from lib.notify.templates import emails_for

    english = emails_for(booking, "confirmed", service.tz, language="en")[0]
    assert "Career mentoring" in english.subject and "Mentoring karier" not in english.body_text


# -- the Availability page -------------------------------------------------------------------------------

def test_the_availability_page_shows_an_expert_their_types_to_read_and_ops_a_save(service, experts):
    at = as_expert(service, experts["sari"])
    no_exception(at)
    assert "Session types" in [h.value for h in at.subheader]
    [shown] = [d for d in at.dataframe if "English name" in d.value.columns]
    table = shown.value
    assert list(table["English name"]) == ["CV review", "Career mentoring"]
    # A fixed-price type has no price per hour: its cell is empty, never Streamlit's "None".
    assert shown.proto.HasField("placeholder") and shown.proto.placeholder == ""
    assert list(table["Indonesian name"]) == ["Tinjauan CV", "Mentoring karier"]
    assert not [b for b in at.button if str(b.key).startswith("types-")]  # read only: no save
    assert any("Ops change these" in c.value for c in at.caption)

    at = open_page("pages/views/availability_view.py", expert=experts["budi"])
    no_exception(at)
    save = at.button(key=f"types-{experts['budi']}-save")
    assert save.disabled  # nothing changed yet
    [editor] = [d for d in at.dataframe if "English name" in d.value.columns]
    assert editor.proto.HasField("placeholder") and editor.proto.placeholder == ""


def save_edited_types(expert: str, edits: dict) -> list[str]:
    """The Availability page with the expert's table edited as ops would (``edited_rows``,
    ``added_rows``, ``deleted_rows`` as the editor keeps them), saved: the errors shown."""
    at = open_page("pages/views/availability_view.py", expert=expert)
    at.session_state[f"types-{expert}"] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **edits}
    at.run()
    no_exception(at)
    save = [b for b in at.button if b.key == f"types-{expert}-save"]
    if save:  # a table that cannot be read as types is refused as typed, before any save
        save[0].click().run()
        no_exception(at)
    return [shown(e.value) for e in at.error]


# The file's words (``python -m lib types``): its keys, and "Type n" for the n-th type of it.
FILE_WORDS = re.compile(r"price_per_hour|\(prices\)|\bnames\b|\((?:id|en)\)|\bid\b|\bdurations\b|\bactive\b|\bType \d")


@pytest.mark.parametrize(("edits", "words"), [
    ({"edited_rows": {1: {"Fixed prices": "60: 250000, 90: 375000"}}},
     "Row 2 (“Career mentoring”) has both a “Price per hour” and “Fixed prices”; keep one of the two."),
    ({"added_rows": [{"English name": "Tax check", "Durations (minutes)": "45", "Price per hour": 400000}]},
     "Row 3 (“Tax check”): the “Indonesian name” is empty; please fill it in."),
    ({"edited_rows": {0: {"Fixed prices": ""}}},
     "Row 1 (“CV review”) has no price; give a “Price per hour” or “Fixed prices” for each duration."),
    ({"edited_rows": {0: {"Durations (minutes)": "30, 60"}}},
     "Row 1 (“CV review”): the “Fixed prices” give no price for 60 minutes."),
    ({"edited_rows": {0: {"Fixed prices": "30: 150000, 45: 200000"}}},
     "Row 1 (“CV review”): the “Fixed prices” give a price for 45 minutes, which is not among the "
     "“Durations (minutes)”."),
    ({"edited_rows": {0: {"Fixed prices": "30: lots"}}},
     "Row 1 (“CV review”): the price for 30 minutes in the “Fixed prices” must be a whole number of rupiah, "
     "not “lots”."),
    ({"edited_rows": {0: {"Fixed prices": "half hour: 150000"}}},
     "Row 1 (“CV review”): “half hour” in the “Fixed prices” is not a number of minutes."),
    ({"edited_rows": {0: {"Fixed prices": "30 150000"}}},
     "Row 1 (“CV review”): write the “Fixed prices” as minutes: rupiah, e.g. “30: 150000, 60: 250000”."),
    ({"edited_rows": {1: {"Durations (minutes)": ""}}},
     "Row 2 (“Career mentoring”) offers no duration; give at least one of 30, 45, 60, 90, 120 minutes in the "
     "“Durations (minutes)”."),
    ({"edited_rows": {1: {"Durations (minutes)": "60, an hour"}}},
     "Row 2 (“Career mentoring”): “an” in the “Durations (minutes)” is not a number of minutes; choose from "
     "30, 45, 60, 90, 120."),
    ({"edited_rows": {1: {"Durations (minutes)": "60, 60"}}},
     "Row 2 (“Career mentoring”) lists 60 minutes twice in the “Durations (minutes)”."),
    ({"edited_rows": {1: {"English name": " "}}},
     "Row 2: the “English name” is empty; please fill it in."),
    ({"edited_rows": {1: {"Description": "two\tcolumns"}}},
     "Row 2 (“Career mentoring”): the “Description” contains invisible or control characters"),
    # an empty row in between still counts: the rows are named as the table shows them
    ({"added_rows": [{}, {"English name": "cv REVIEW", "Indonesian name": "Cek CV", "Durations (minutes)": "30",
                          "Price per hour": 100000}]},
     "Rows 1 and 4 have the same “English name”, “cv REVIEW”; give each type its own name."),
])
def test_a_wrong_table_is_refused_in_the_pages_words_and_saves_nothing(service, experts, edits, words):
    before = service.session_types(experts["sari"], actor=SYSTEM)
    errors = save_edited_types(experts["sari"], edits)
    assert len(errors) == 1 and errors[0].startswith(words), errors
    assert not FILE_WORDS.search(errors[0]), errors
    assert service.session_types(experts["sari"], actor=SYSTEM) == before


def test_a_right_table_is_saved_from_the_page(service, experts):
    assert save_edited_types(experts["sari"], {"edited_rows": {0: {"Fixed prices": "30: 175.000"}}}) == []
    cv = service.session_types(experts["sari"], actor=SYSTEM)[0]
    assert (cv.name(), cv.fixed_prices) == ("CV review", {30: 175_000})
