"""Reading back the invitation an email carried: what, when, method and sequence, as the Emails
page shows them, from the text ``lib.notify.ics.invitation`` wrote; and the email's kind in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from lib.display_tables import email_kind_text, email_language, email_title, invitation_view
from lib.domain import Email, EmailStatus
from lib.notify.ics import IcsOptions, IcsText, invitation, read_invitation
from lib.notify.templates import emails_for
from tests.support.google import make_booking

JAKARTA = ZoneInfo("Asia/Jakarta")
TEXT = IcsText(summary="Career mentoring dengan Budi *Santoso*", who="Career mentoring: Sari dengan Budi",
               when="Kamis, 3 Desember 2026, 14:00 WIB, 45 menit", join="Gabung: https://meet.jit.si/x",
               booking="Pemesanan 1", language="id")
OPTIONS = IcsOptions("bookings@callexpert.invalid", stamp=datetime(2026, 12, 1, tzinfo=UTC), alarms=(60,))
BOOKING = make_booking(scheduled_date=date(2026, 12, 3), scheduled_time=time(14, 0), duration=45, revision=2,
                       meeting_link="https://meet.jit.si/callexpert-abc")


def email_with(ics: str | None) -> Email:
    return Email(id=7, booking_id=BOOKING.id, kind="rescheduled.customer", version=2, recipient="sari@example.com",
                 subject="Jadwal diubah", body_text="", body_html="", status=EmailStatus.SENT, attempts=1,
                 last_error=None, created_at=datetime(2026, 12, 1, tzinfo=UTC), sent_at=None, ics=ics)


def test_a_request_reads_back_as_written():
    read = read_invitation(invitation(BOOKING, JAKARTA, cancel=False, text=TEXT, options=OPTIONS))
    assert (read.method, read.summary, read.sequence, read.link) == (
        "REQUEST", "Career mentoring dengan Budi *Santoso*", 2, "https://meet.jit.si/callexpert-abc")
    assert read.start == datetime(2026, 12, 3, 14, 0, tzinfo=JAKARTA)
    assert read.end == datetime(2026, 12, 3, 14, 45, tzinfo=JAKARTA)
    assert read.uid == f"booking-{BOOKING.id}@callexpert"


def test_a_cancellation_reads_as_cancel_one_sequence_higher():
    read = read_invitation(invitation(BOOKING, JAKARTA, cancel=True, text=TEXT, options=OPTIONS))
    assert (read.method, read.sequence) == ("CANCEL", 3)


def test_an_invitation_in_another_zone_keeps_its_instant():
    amsterdam = ZoneInfo("Europe/Amsterdam")
    read = read_invitation(invitation(BOOKING, amsterdam, cancel=False, text=TEXT, options=OPTIONS))
    assert read.start.astimezone(UTC) == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "not a calendar", "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"])
def test_text_that_is_not_an_invitation_is_refused_with_a_reason(text):
    with pytest.raises(ValueError):
        read_invitation(text)


def test_the_emails_page_view_says_what_when_method_and_sequence():
    view = invitation_view(email_with(invitation(BOOKING, JAKARTA, cancel=False, text=TEXT, options=OPTIONS)),
                           JAKARTA)
    assert view is not None and view.problem is None
    assert dict(view.rows) == {
        "What": "Career mentoring dengan Budi *Santoso*",
        "When": "Thu 3 Dec 2026, 14:00–14:45 WIB (45 minutes)",
        "Method": "REQUEST: adds the session to the recipient's calendar, or updates the one there",
        "Sequence": "2 (each change of the booking raises it; calendars keep the highest)",
    }
    assert view.file_name == f"invitation-{BOOKING.id[:8]}-rescheduled-customer-2.ics"
    assert view.ics.startswith("BEGIN:VCALENDAR")


def test_the_view_reads_times_in_the_console_zone_and_says_cancel():
    late = replace(BOOKING, scheduled_time=time(23, 30), duration=60)  # ends after midnight
    view = invitation_view(email_with(invitation(late, JAKARTA, cancel=True, text=TEXT, options=OPTIONS)), JAKARTA)
    rows = dict(view.rows)
    assert rows["When"] == "Thu 3 Dec 2026, 23:30 WIB – Fri 4 Dec 2026, 00:30 WIB (60 minutes)"
    assert rows["Method"].startswith("CANCEL: removes")


def test_an_email_without_an_invitation_has_no_view_and_a_broken_one_says_so():
    assert invitation_view(email_with(None), JAKARTA) is None
    broken = invitation_view(email_with("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), JAKARTA)
    assert broken.rows == () and broken.problem.startswith("The invitation attached to this email could not be read")
    assert broken.ics == "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"  # still offered, to look at


def test_the_emails_page_names_an_email_kind_in_words():
    assert email_kind_text("confirmed.expert") == "Booking confirmed, to the expert"
    assert email_kind_text("cancelled.customer") == "Cancelled, to the customer"
    assert email_kind_text("reminder_1440.customer") == "Reminder 24 hours before, to the customer"
    assert email_kind_text("reminder_60.expert") == "Reminder 1 hour before, to the expert"
    assert email_kind_text("reminder_90.expert") == "Reminder 90 minutes before, to the expert"
    assert email_kind_text("link_pending.customer") == "Meeting link not ready yet, to the customer"


def test_the_emails_page_titles_an_email_in_the_console_words_and_names_its_language():
    sent = replace(email_with(None), subject="Jadwal diubah: Career mentoring dengan Budi")
    title = email_title(sent, JAKARTA)
    assert title.startswith("Rescheduled, to the customer: sari@example.com · sent · ")
    assert "Jadwal" not in title  # the subject is the email's own, shown apart in its language
    rendered = emails_for(BOOKING, "rescheduled", JAKARTA, language="id")[0]
    assert email_language(replace(sent, body_html=rendered.body_html)) == "Indonesian"
    rendered = emails_for(BOOKING, "rescheduled", JAKARTA, language="en")[0]
    assert email_language(replace(sent, body_html=rendered.body_html)) == "English"
    assert email_language(replace(sent, body_html="<p>no language said</p>")) is None
