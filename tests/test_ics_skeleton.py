"""An invitation is written from a skeleton icalendar makes once per shape, with each booking's
values put in. Here it is compared, over generated bookings, words, zones and options, with the
calendar built the plain way: icalendar's components for every property, serialised whole."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Alarm, Calendar, Event

from lib.notify.ics import PRODID, IcsOptions, IcsText, _address, _vtimezone, event_uid, invitation
from tests.support.google import make_booking


def plain_invitation(booking, tz: ZoneInfo, *, cancel: bool, text: IcsText, options: IcsOptions) -> str:
    """The invitation built with icalendar's components, property by property (the way it was
    built before the skeleton), with the zone's VTIMEZONE, serialised by icalendar."""
    start = datetime.combine(booking.scheduled_date, booking.scheduled_time, tz)
    link = booking.meeting_link or ""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    cal.add_component(_vtimezone(tz.key))
    event = Event()
    event.add("uid", event_uid(booking))
    event.add("sequence", booking.revision + 1 if cancel else booking.revision)
    event.add("dtstamp", (options.stamp or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=booking.duration))
    language = {"LANGUAGE": text.language}
    event.add("summary", text.summary, parameters=language)
    lines = [text.who, text.when]
    if link and not cancel:
        lines.append(text.join)
    lines.append(text.booking)
    event.add("description", "\n".join(lines), parameters=language)
    if link:
        event.add("location", link)
        event.add("url", link)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if not cancel:
        for minutes in options.alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", timedelta(minutes=-minutes))
            alarm.add("description", text.summary, parameters=language)
            event.add_component(alarm)
    event.add("organizer", _address(options.organizer_email, options.organizer_name))
    for email, name in ((booking.customer_email, booking.customer_name), (booking.expert_email, booking.expert_name)):
        event.add("attendee", _address(email, name, CUTYPE="INDIVIDUAL", ROLE="REQ-PARTICIPANT",
                                       PARTSTAT="NEEDS-ACTION", RSVP="TRUE"))
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")


# Any printable text, with the characters TEXT escapes, parameters quote and RFC 6868 escapes,
# and letters of several byte lengths so lines fold in the middle of them.
words = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(list(',;:\\"\'^ ’\n\rNé漢')),
                min_size=1, max_size=90)
addresses = st.from_regex(r"[a-z0-9._%+,'-]{1,40}@[a-z0-9-]{1,30}\.[a-z]{2,6}", fullmatch=True)
links = st.none() | st.from_regex(r"https://meet\.(jit\.si|google\.com)/[A-Za-z0-9_,;-]{1,120}", fullmatch=True)
zones = st.sampled_from(["Asia/Jakarta", "Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "UTC",
                         "Asia/Kolkata"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customer=words, expert=words, customer_email=addresses, expert_email=addresses, link=links, zone=zones,
       day=st.dates(date(2026, 1, 1), date(2028, 12, 31)), at=st.times().map(lambda t: t.replace(microsecond=0)),
       duration=st.sampled_from([30, 45, 60, 90, 120]), revision=st.integers(0, 50), cancel=st.booleans(),
       text=st.builds(IcsText, summary=words, who=words, when=words, join=words, booking=words,
                      language=st.sampled_from(["id", "en"])),
       alarms=st.lists(st.integers(1, 20_000), max_size=3).map(tuple), organizer=words,
       stamp=st.datetimes(datetime(2026, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)))
def test_an_invitation_is_exactly_what_icalendar_writes_for_it(customer, expert, customer_email, expert_email, link,
                                                                zone, day, at, duration, revision, cancel, text,
                                                                alarms, organizer, stamp):
    booking = make_booking(id=str(uuid.uuid4()), customer_name=customer, expert_name=expert,
                           customer_email=customer_email, expert_email=expert_email, meeting_link=link,
                           scheduled_date=day, scheduled_time=at, duration=duration, revision=revision)
    options = IcsOptions("bookings@example.com", organizer, stamp=stamp, alarms=alarms)
    tz = ZoneInfo(zone)
    assert invitation(booking, tz, cancel=cancel, text=text, options=options) == \
        plain_invitation(booking, tz, cancel=cancel, text=text, options=options)


def test_each_side_gets_its_own_summary_in_the_same_shape():
    booking = make_booking(meeting_link="https://meet.jit.si/CallExpert-abc")
    text = IcsText(summary="Career mentoring dengan Budi", who="w", when="x", join="j", booking="b", language="id")
    options = IcsOptions("bookings@example.com", stamp=datetime(2026, 11, 1, tzinfo=UTC), alarms=(60,))
    tz = ZoneInfo("Asia/Jakarta")
    customer = invitation(booking, tz, cancel=False, text=text, options=options)
    other = replace(text, summary="Career mentoring dengan Sari; lagi")
    expert = invitation(booking, tz, cancel=False, text=other, options=options)
    assert "SUMMARY;LANGUAGE=id:Career mentoring dengan Budi\r\n" in customer
    assert "SUMMARY;LANGUAGE=id:Career mentoring dengan Sari\\; lagi\r\n" in expert
    assert expert == plain_invitation(booking, tz, cancel=False, text=other, options=options)
    assert customer.replace("dengan Budi", "dengan Sari\\; lagi") == expert
    # A time of day the booking says, in its zone: not the skeleton's sample.
    assert "DTSTART;TZID=Asia/Jakarta:20250304T103000\r\n" in customer
    assert time(10, 30) == booking.scheduled_time


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(list("ab\\^;, ")) | st.characters(max_codepoint=126, blacklist_categories=("Cc",)),
               max_size=400) | words)
def test_a_line_is_folded_as_icalendar_folds_it(line):
    from icalendar.parser import _foldline

    from lib.notify.ics import _fold

    line = line.replace("\n", " ").replace("\r", " ")
    assert _fold(line) == _foldline(line) + "\r\n"
