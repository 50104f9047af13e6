"""The Availability page's honest refusals, through AppTest: a number out of range is explained
in words right under its field (the browser used to outline it in red and keep it to itself), every
refused field gets its own message, and the save state says how many fields to fix."""

from __future__ import annotations

import pytest

from lib.access import SYSTEM
from lib.domain import Expert
from lib.service import BookingService
from tests.support.apptest import no_exception, open_page, previews, shown

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

PAGE = "pages/views/availability_view.py"


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
    assert at.button(key=f"{k}save").disabled and not previews(at)
    assert service.store.get_availability(sari.id) is None

    # Fixed: the notes go, the preview comes back, and the state says the edit is not saved yet.
    at.number_input(key=f"{k}buffer_before").set_value(15)
    at.number_input(key=f"{k}horizon").set_value(30)
    at.text_input(key=f"{k}tue").input("09:00-17:00").run()
    no_exception(at)
    assert not at.error and previews(at)
    assert [c.value for c in at.caption if "saved" in c.value] == [
        "Not saved yet: the changes above take effect once saved."]
    at.button(key=f"{k}save").click().run()
    saved = service.availability(sari.id, actor=SYSTEM)
    assert (saved.buffer_before, saved.horizon_days) == (15, 30)


def test_the_boxes_have_max_lengths_and_past_a_limit_the_field_says_which(service: BookingService):
    from lib.scheduling.form import DAY_FIELD_MAX_CHARS, OVERRIDES_MAX_CHARS

    sari: Expert = service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000)
    at = open_page(PAGE, expert=sari.id)
    k = f"av-{sari.id}-"
    assert {at.text_input(key=f"{k}{day}").proto.max_chars for day in ("mon", "sun")} == {DAY_FIELD_MAX_CHARS}
    assert at.text_area(key=f"{k}overrides").proto.max_chars == OVERRIDES_MAX_CHARS
    at.text_input(key=f"{k}wed").input(", ".join(f"{h:02d}:00-{h:02d}:30" for h in range(8, 15)))
    at.text_area(key=f"{k}overrides").input("2099-01-01: off").run()
    no_exception(at)
    assert [shown(e.value) for e in column_of(at, f"{k}wed").error] == ["Wednesday: at most 6 ranges a day, not 7."]
    [too_far] = [shown(e.value) for e in at.error if "2099" in e.value]
    assert too_far.startswith("Thursday, 1 January 2099: a date override can be at most 730 days ahead, until ")
    assert shown(at.error[-1].value) == "Not saved: fix 2 fields above."
    assert service.store.get_availability(sari.id) is None


def test_hours_that_cannot_be_read_are_said_so_and_a_save_replaces_them(service: BookingService, tmp_path):
    import json
    import sqlite3

    sari: Expert = service.store.add_expert("Sari [Wulandari](x)", "sari@example.com", 250_000)
    with sqlite3.connect(service.store.path) as db:  # written past the console
        db.execute("INSERT INTO expert_availability (expert_id, schedule, updated_at) VALUES (?, ?, ?)",
                   (sari.id, json.dumps({"timezone": "Not/AZone"}), "2026-01-01T00:00:00+00:00"))
    at = open_page(PAGE, expert=sari.id)
    no_exception(at)
    k = f"av-{sari.id}-"
    assert [shown(w.value) for w in at.warning if "cannot be read" in w.value] == [
        "The stored hours of Sari [Wulandari](x) cannot be read, so Sari [Wulandari](x) has no bookable hours until "
        "new ones are saved. Time zone of these hours (timezone): “Not/AZone” is not a time zone name such as "
        "Asia/Jakarta."]
    assert all(at.text_input(key=f"{k}{day}").value == "" for day in ("mon", "fri"))  # no hours, not the default
    assert not at.button(key=f"{k}save").disabled  # saving replaces the unreadable row, even unchanged
    at.text_input(key=f"{k}mon").input("09:00-12:00").run()
    at.button(key=f"{k}save").click().run()
    no_exception(at)
    assert service.availability_problem(sari.id, actor=SYSTEM) is None
    assert not [w for w in at.warning if "cannot be read" in w.value]
