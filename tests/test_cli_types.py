"""``python -m lib types EXPERT``: an expert's session types listed (``--json``: the document
``--set`` reads back) and replaced from a JSON file, a bad file refused in words with nothing saved."""

from __future__ import annotations

import json

import pytest

from lib.access import SYSTEM
from lib.entrypoints.cli import main


@pytest.fixture
def sari(service) -> str:
    return service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000).id


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_json_lists_each_type_with_its_names_durations_and_price(sari, capsys):
    code, out, _ = run(["types", "sari@example.com", "--json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert document["expert"] == {"id": sari, "name": "Sari Wulandari", "email": "sari@example.com"}
    first = document["types"][0]
    assert set(first) == {"id", "names", "durations", "price_per_hour", "description", "active"}
    assert first["names"] == {"en": "General consultation", "id": "Konsultasi umum"}
    assert (first["durations"], first["price_per_hour"], first["active"]) == ([30, 45, 60, 90, 120], 250_000, True)
    assert len(document["types"]) == 5


def test_set_replaces_the_types_and_json_reads_back_what_was_set(service, sari, capsys, tmp_path):
    path = tmp_path / "types.json"
    path.write_text(json.dumps({"types": [
        {"names": {"en": "CV review", "id": "Tinjauan CV"}, "durations": [30], "prices": {"30": 150000},
         "description": "Your CV, marked up"},
        {"names": {"en": "Career mentoring", "id": "Mentoring karier"}, "durations": [60, 90],
         "price_per_hour": 300000}]}), encoding="utf-8")
    code, out, _ = run(["types", sari, "--set", str(path)], capsys)
    assert (code, out.strip()) == (0, "Saved the session types of Sari Wulandari: 2 offered, 0 retired.")
    types = service.session_types(sari, actor=SYSTEM)
    assert [(t.name("id"), t.durations, t.price(t.durations[0])) for t in types] == [
        ("Tinjauan CV", (30,), 150_000), ("Mentoring karier", (60, 90), 300_000)]
    _, listed, _ = run(["types", sari, "--json"], capsys)
    assert json.loads(listed)["types"][0] == {"id": types[0].id, "names": {"en": "CV review", "id": "Tinjauan CV"},
                                              "durations": [30], "prices": {"30": 150000},
                                              "description": "Your CV, marked up", "active": True}
    path.write_text(listed, encoding="utf-8")  # the listing is a file --set takes: nothing changes
    assert run(["types", sari, "--set", str(path)], capsys)[0] == 0
    assert service.session_types(sari, actor=SYSTEM) == types
    _, text, _ = run(["types", sari], capsys)
    assert "CV review / Tinjauan CV: 30 min, 30 min Rp 150.000" in text


GOOD = {"names": {"en": "Career mentoring", "id": "Mentoring karier"}, "durations": [60], "price_per_hour": 250000}


@pytest.mark.parametrize(("change", "words"), [
    ({"names": {"en": "Career mentoring", "fr": "Mentorat"}},
     "Type 1 (“Career mentoring”): “fr” is not an email language; names are given in en (English) and "
     "id (Indonesian)."),
    ({"names": {"en": "Career mentoring"}}, "Type 1 (“Career mentoring”) has no Indonesian name (id)"),
    ({"names": {"en": "Career mentoring", "id": " "}},
     "Type 1 (“Career mentoring”): the Indonesian name (id) is empty; please fill it in."),
    ({"durations": []}, "Type 1 (“Career mentoring”) offers no duration; give at least one of 30, 45, 60, 90, "
                        "120 minutes in the durations."),
    ({"durations": [60, 60]}, "Type 1 (“Career mentoring”) lists 60 minutes twice in the durations."),
    ({"durations": [60, 25]}, "Type 1 (“Career mentoring”): 25 minutes is not a length sessions are offered in; "
                              "choose from 30, 45, 60, 90, 120."),
    ({"price_per_hour": -5}, "Type 1 (“Career mentoring”): the price per hour (price_per_hour) is negative (Rp -5); "
                             "a price is 0 rupiah or more."),
    ({"price_per_hour": None, "prices": {"60": -1}},
     "the price for 60 minutes in the fixed prices (prices) is negative"),
    ({"price_per_hour": None, "prices": {"30": 100}},
     "the fixed prices (prices) give a price for 30 minutes, which is not among the durations."),
    ({"price_per_hour": None, "prices": {}},
     "Type 1 (“Career mentoring”) has no price; give a price per hour (price_per_hour) or fixed prices (prices) "
     "for each duration."),
    ({"prices": {"60": 100}},
     "Type 1 (“Career mentoring”) has both a price per hour (price_per_hour) and fixed prices (prices); "
     "keep one of the two."),
    ({"names": {"en": "Career\nmentoring", "id": "x"}}, "contains a line break"),
])
def test_a_bad_file_is_refused_in_words_and_saves_nothing(service, sari, capsys, tmp_path, change, words):
    before = service.session_types(sari, actor=SYSTEM)
    path = tmp_path / "types.json"
    path.write_text(json.dumps([{**GOOD, **change}, GOOD | {"names": {"en": "Other", "id": "Lain"}}]),
                    encoding="utf-8")
    code, out, err = run(["types", sari, "--set", str(path)], capsys)
    assert (code, out) == (2, "")
    assert words in err and err.startswith("error: ")
    assert service.session_types(sari, actor=SYSTEM) == before


@pytest.mark.parametrize(("content", "words"), [
    ("{not json", "is not JSON"),
    (json.dumps({"kinds": []}), "The file must hold a list of session types"),
    (json.dumps([GOOD, GOOD]), "Types 1 and 2 have the same English name (en), “Career mentoring”; give each type "
                               "its own name."),
])
def test_a_file_that_is_not_a_list_of_types_is_refused(sari, capsys, tmp_path, content, words):
    path = tmp_path / "types.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(["types", sari, "--set", str(path)], capsys)
    assert code == 2 and words in err


def test_an_unknown_expert_is_named(sari, capsys):
    code, _, err = run(["types", "nobody@example.com", "--json"], capsys)
    assert code == 2 and "No expert with id or email 'nobody@example.com'" in err
