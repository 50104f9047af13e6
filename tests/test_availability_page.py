"""The Availability page's honest refusals, through AppTest: a number out of range is explained
in words right under its field (the browser used to outline it in red and keep it to itself), every
refused field gets its own message, and the save state says how many fields to fix."""

from __future__ import annotations

from lib.access import SYSTEM
from lib.domain import Expert
from lib.service import BookingService
from tests.support.apptest import no_exception, open_page, shown

PAGE = "pages/views/availability.py"


def column_of(at, key: str):
    """The column that holds the widget ``key``: where its note is drawn."""
    return next(c for c in at.columns if key in {w.key for kind in ("number_input", "text_input") for w in
                                                 getattr(c, kind)})


def test_out_of_range_numbers_are_explained_under_their_fields_and_nothing_is_saved(service: BookingService):
    sari: Expert = service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000)
    at = open_page(PAGE, expert=sari.id)
    k = f"av-{sari.id}-"
    assert [c.value for c in at.caption if "unsaved" in c.value] == ["No unsaved changes."]
    at.number_input(key=f"{k}buffer_before").set_value(800)
    at.number_input(key=f"{k}horizon").set_value(1000)
    at.text_input(key=f"{k}tue").input("17:00-09:00").run()
    no_exception(at)
    assert at.number_input(key=f"{k}buffer_before").value == 800  # taken as typed, not clamped
    assert [shown(e.value) for e in column_of(at, f"{k}buffer_before").error] == [
        "Buffer before each session: must be from 0 to 720 minutes (12 hours), not 800."]
    assert [shown(e.value) for e in column_of(at, f"{k}horizon").error] == [
        "Bookable this many days ahead: must be from 0 to 730 days, not 1000."]
    assert [shown(e.value) for e in column_of(at, f"{k}tue").error] == [
        "Tuesday, 17:00–09:00: the end is before the start."]
    assert shown(at.error[-1].value) == "Not saved: fix 3 fields above."
    assert not [c for c in at.caption if "No unsaved changes" in c.value]  # never while fields are refused
    assert at.button(key=f"{k}save").disabled and not at.dataframe
    assert service.store.get_availability(sari.id) is None

    # Fixed: the notes go, the preview comes back, and the state says the edit is not saved yet.
    at.number_input(key=f"{k}buffer_before").set_value(15)
    at.number_input(key=f"{k}horizon").set_value(30)
    at.text_input(key=f"{k}tue").input("09:00-17:00").run()
    no_exception(at)
    assert not at.error and at.dataframe
    assert [c.value for c in at.caption if "saved" in c.value] == [
        "Not saved yet: the changes above take effect once saved."]
    at.button(key=f"{k}save").click().run()
    saved = service.availability(sari.id, actor=SYSTEM)
    assert (saved.buffer_before, saved.horizon_days) == (15, 30)
