"""One language per screen and per email: the console's English dates and Indonesian money format,
and emails written wholly in the language of ``email_language``."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from lib.config import load_settings
from lib.domain import Booking, BookingStatus, EmailDraft
from lib.errors import ConfigError
from lib.notify import LINK_PENDING
from lib.notify.ics import IcsOptions
from lib.notify.messages import KINDS, LANGUAGES, LOCALES, WORDS
from lib.notify.templates import render
from lib.timefmt import (
    local_medium_when,
    local_when,
    long_date,
    medium_date,
    medium_when,
    number,
    rupiah,
    short_date,
    when,
    zone_abbreviation,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
THURSDAY = date(2026, 12, 3)
EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ID_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
# Month names that differ between the two languages (April, Juni... are spelt alike or nearly).
EN_MONTHS = ("January", "February", "March", "May", "June", "July", "August", "October", "December")
ID_MONTHS = ("Januari", "Februari", "Maret", "Mei", "Juni", "Juli", "Agustus", "Oktober", "Desember")


# -- the console: English words, Indonesian numbers ----------------------------------------------------

def test_console_dates_are_english_with_the_zone():
    assert when(THURSDAY, time(14, 0), JAKARTA) == "Thursday, 3 December 2026, 14:00 WIB"
    assert long_date(THURSDAY) == "Thursday, 3 December 2026"
    assert [long_date(THURSDAY + timedelta(days=i)).split(",")[0] for i in range(7)] == \
        ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"]
    assert short_date(THURSDAY) == "Thu 03/12"
    # 07:00 UTC is 14:00 in Jakarta; an instant reads in the app zone.
    assert local_when(datetime(2026, 12, 3, 7, 0, tzinfo=UTC), JAKARTA) == "Thursday, 3 December 2026, 14:00 WIB"


def test_the_medium_length_for_tables_histories_and_messages():
    assert medium_date(THURSDAY) == "Thu 3 Dec 2026"
    assert medium_date(date(2027, 1, 11)) == "Mon 11 Jan 2027"  # one-digit days stay unpadded, two-digit ones too
    assert medium_when(THURSDAY, time(9, 5), JAKARTA) == "Thu 3 Dec 2026, 09:05 WIB"
    assert medium_when(THURSDAY, time(9, 5)) == "Thu 3 Dec 2026, 09:05"  # a store, which knows no zone
    assert medium_when(THURSDAY, time(14, 0), ZoneInfo("Asia/Makassar")) == "Thu 3 Dec 2026, 14:00 WITA"
    # 17:30 UTC is past midnight in Jakarta: the day is Jakarta's, not UTC's.
    assert local_medium_when(datetime(2026, 12, 3, 17, 30, tzinfo=UTC), JAKARTA) == "Fri 4 Dec 2026, 00:30 WIB"
    assert medium_when(THURSDAY, time(14, 0), JAKARTA, "id") == "Kam 3 Des 2026, 14:00 WIB"
    # The lengths are one family: the medium one is the long one with its words cut.
    long, medium = when(THURSDAY, time(14, 0), JAKARTA).split(), medium_when(THURSDAY, time(14, 0), JAKARTA).split()
    assert [w[:3] for w in long[:3]] == [w.rstrip(",") for w in medium[:3]] and long[3:] == medium[3:]


def test_indonesian_dates_where_an_email_asks_for_them():
    assert when(THURSDAY, time(14, 0), JAKARTA, "id") == "Kamis, 3 Desember 2026, 14:00 WIB"
    assert [long_date(date(2026, 11, 30) + timedelta(days=i), "id").split(",")[0] for i in range(7)] == list(ID_DAYS)
    assert [long_date(date(2026, m, 1), "id").split(" ")[2] for m in (1, 2, 3, 5, 6, 7, 8, 10, 12)] == list(ID_MONTHS)
    assert [long_date(date(2026, m, 1)).split(" ")[2] for m in (1, 2, 3, 5, 6, 7, 8, 10, 12)] == list(EN_MONTHS)
    assert short_date(THURSDAY, "id") == "Kam 03/12"


@pytest.mark.parametrize(("zone", "on", "expected"), [
    ("Asia/Jakarta", THURSDAY, "WIB"),
    ("Asia/Pontianak", THURSDAY, "WIB"),
    ("Asia/Makassar", THURSDAY, "WITA"),
    ("Asia/Jayapura", THURSDAY, "WIT"),
    ("Europe/Berlin", THURSDAY, "CET"),
    ("Europe/Berlin", date(2026, 7, 2), "CEST"),
    ("Asia/Dubai", THURSDAY, "+04"),
])
def test_the_zone_is_named_as_people_there_write_it(zone, on, expected):
    assert zone_abbreviation(ZoneInfo(zone), on) == expected
    assert when(on, time(9, 30), ZoneInfo(zone), "id").endswith(f", 09:30 {expected}")


def test_money_and_numbers_follow_the_locale():
    assert rupiah(250_000) == "Rp 250.000"  # the console, as it always showed rupiah
    assert rupiah(1_250_000, "id") == "Rp 1.250.000"
    assert rupiah(0) == "Rp 0" and rupiah(-75_000) == "-Rp 75.000"
    assert rupiah(250_000, "en") == "IDR 250,000"  # plain English would write it this way
    assert number(1_234_567.5) == "1.234.567,5" == number(1_234_567.5, "id")
    assert number(1_234_567.5, "en") == "1,234,567.5"


def test_short_and_long_dates_are_english():
    assert [short_date(date(2026, 11, 30)), short_date(date(2026, 12, 1))] == ["Mon 30/11", "Tue 01/12"]
    assert long_date(date(2026, 12, 3)) == "Thursday, 3 December 2026"


# -- emails: one language from subject to invitation -------------------------------------------------

def booking(link: str | None) -> Booking:
    return Booking(id="7c1d0e8a-2b4f-4f0e-9d0a-5b1e2c3d4f5a", user_id="u1", expert_id="e1",
                   session_type="Career mentoring", scheduled_date=THURSDAY, scheduled_time=time(14, 0),
                   duration=90, status=BookingStatus.CONFIRMED, price=1_250_000, customer_name="Andi Wijaya",
                   customer_email="andi@example.com", expert_name="Sari Wulandari", expert_email="sari@example.com",
                   meeting_link=link, revision=2)


ICS = IcsOptions("bookings@callexpert.test", stamp=datetime(2026, 11, 24, tzinfo=UTC))
LINK = "https://meet.jit.si/callexpert-7c1d0e8a"


def every_email(language: str) -> list[EmailDraft]:
    """Every kind of email, with a meeting link and without one, in ``language``."""
    return [render(booking(link), sent_as(kind), JAKARTA, 1, ICS, language)
            for kind in KINDS[language] for link in (LINK, None)]


def sent_as(kind: str) -> str:
    """The kind an email of this catalogue entry is queued as: reminders carry their offset."""
    return kind.replace("reminder.", "reminder_60.")


def entry(kind: str) -> str:
    """The catalogue entry of a queued kind (``reminder_1440.customer`` -> ``reminder.customer``)."""
    return re.sub(r"^reminder_\d+\.", "reminder.", kind)


def readable(draft: EmailDraft) -> list[str]:
    """What a person reads of an email: subject, text part, HTML part as text, .ics SUMMARY and
    DESCRIPTION; whitespace made single, so wrapped lines read as one sentence."""
    parts = [draft.subject, draft.body_text, html.unescape(re.sub(r"<[^>]+>", " ", draft.body_html))]
    if draft.ics:
        [event] = Calendar.from_ical(draft.ics).walk("VEVENT")
        parts += [str(event["SUMMARY"]), str(event["DESCRIPTION"])]
    return [" ".join(p.split()) for p in parts]


def catalogue_phrases(language: str) -> set[str]:
    """Every piece of the catalogue's own text (the parts between the {placeholders})."""
    entries = [v for k in KINDS[language].values() for v in (k.subject, k.heading, k.intro)]
    entries += WORDS[language].values()
    pieces = (p.strip(" ,.:;()") for e in entries for p in re.split(r"\{\w+\}", e))
    return {" ".join(p.split()) for p in pieces if re.search(r"[A-Za-z]{4}", p)}


def found(phrase: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def test_both_catalogues_have_every_kind_and_every_word():
    assert set(LANGUAGES) == {"id", "en"} == set(LOCALES) == set(WORDS)  # a catalogue for every setting value
    assert KINDS["id"].keys() == KINDS["en"].keys()
    assert {"confirmed.customer", "confirmed.expert", "rescheduled.customer", "rescheduled.expert",
            "cancelled.customer", "cancelled.expert", LINK_PENDING, "reminder.customer",
            "reminder.expert"} == set(KINDS["en"])
    assert WORDS["id"].keys() == WORDS["en"].keys()
    for language in LANGUAGES:  # the same placeholders in both, so no text is lost in one
        for key, text in WORDS[language].items():
            assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", WORDS["en"][key])), key


@pytest.mark.parametrize(("language", "other"), [("id", "en"), ("en", "id")])
def test_an_email_holds_no_sentence_of_the_other_language(language, other):
    foreign = catalogue_phrases(other)
    assert len(foreign) >= 35  # the check below covers the whole catalogue, not a handful
    drafts = every_email(language)
    assert {entry(d.kind) for d in drafts} == set(KINDS[language])
    assert sum(1 for d in drafts if d.ics) == 6  # confirmed, rescheduled, cancelled, for both sides
    for draft in drafts:
        for text in readable(draft):
            leaked = [p for p in foreign if found(p, text)]
            assert not leaked, (language, draft.kind, leaked, text)
            names = EN_DAYS + EN_MONTHS if language == "id" else ID_DAYS + ID_MONTHS
            assert not [n for n in names if found(n, text)], (draft.kind, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_email_speaks_its_own_language_throughout(language):
    """The other side of the check above: the email's own words, dates and numbers are there."""
    t = WORDS[language]
    date_text = {"id": "Kamis, 3 Desember 2026, 14:00 WIB", "en": "Thursday, 3 December 2026, 14:00 WIB"}[language]
    minutes = {"id": "90 menit", "en": "90 minutes"}[language]
    for draft in every_email(language):
        spec = KINDS[language][entry(draft.kind)]
        to_customer = draft.kind.endswith(".customer")
        other = "Sari Wulandari" if to_customer else "Andi Wijaya"
        subject, text, page, *ics = readable(draft)
        assert subject == spec.subject.format(session="Career mentoring", other=other, start="14:00 WIB")
        greeting = t["greeting"].format(name="Andi Wijaya" if to_customer else "Sari Wulandari")
        for body in (text, page):
            assert greeting in body and spec.intro.format(session="Career mentoring", other=other) in body
            assert date_text in body and minutes in body
            assert ("Rp 1.250.000" in body) is to_customer  # the price is the customer's business only
        assert spec.heading in page
        assert f'<html lang="{language}">' in draft.body_html
        if draft.ics:
            summary, description = ics
            assert summary == t["ics_summary"].format(session="Career mentoring", other=other)
            assert date_text in description and minutes in description
            calendar_text = draft.ics.replace("\r\n ", "")
            assert f"SUMMARY;LANGUAGE={language}:" in calendar_text
            assert f"DESCRIPTION;LANGUAGE={language}:" in calendar_text
    with_link = render(booking(LINK), "confirmed.customer", JAKARTA, 1, ICS, language)
    assert f">{t['join_button']}</a>" in with_link.body_html


def test_the_setting_chooses_the_language_indonesian_by_default(tmp_path):
    assert load_settings(tmp_path / "none.toml", {}).email_language == "id"
    assert load_settings(tmp_path / "none.toml", {"CALLEXPERT_EMAIL_LANGUAGE": "en"}).email_language == "en"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('email_language = "en"\n', encoding="utf-8")
    assert load_settings(secrets, {}).email_language == "en"


@pytest.mark.parametrize("value", ["fr", "EN", "indonesian", ""])
def test_an_unknown_email_language_is_refused_naming_the_choices(tmp_path, value):
    with pytest.raises(ConfigError, match=r"`email_language` is .*; choose one of: id, en\."):
        load_settings(tmp_path / "none.toml", {"CALLEXPERT_EMAIL_LANGUAGE": value})
