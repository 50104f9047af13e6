"""Join links through the click-counting redirect: the tokens in emails (only with
``public_base_url``), ``GET /j/<token>`` on the notification endpoint over real HTTP, the clicks on
the booking, and the setting's checks."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path

import httpx
import pytest

from lib.access import SYSTEM, Actor, Role
from lib.config import Settings, validate
from lib.domain import Booking, BookingStatus, Email
from lib.errors import ConfigError, NotFound, PermissionDenied
from tests.support.endpoint import serving
from tests.support.join_tokens import BASE, token_of
from tests.support.world import DAY, START, World, at, book, build

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build(tmp_path, public_base_url=BASE)


@pytest.fixture
def http(world: World) -> Iterator[httpx.Client]:
    with serving(world.svc) as client:
        yield client


def emails(world: World, booking: Booking) -> list[Email]:
    return world.svc.emails(booking_id=booking.id, actor=SYSTEM)


def clicks(world: World, booking: Booking) -> dict[str, int]:
    return {c.person: c.clicks for c in world.svc.join_clicks(booking.id, actor=SYSTEM)}


def set_link(world: World, booking: Booking, link: str) -> None:
    """Change the stored meeting link (as a new meeting would)."""
    with sqlite3.connect(world.db) as db:
        db.execute("UPDATE bookings SET meeting_link = ? WHERE id = ?", (link, booking.id))


# -- the redirect over HTTP ------------------------------------------------------------------------

def test_an_unknown_or_malformed_token_is_404_and_records_nothing(world, http):
    booking = book(world)
    for path in ("/j/" + "A" * 43, "/j/short", "/j/" + "A" * 44, "/j/%2e%2e%2fhealthz", "/j/" + "é" * 43,
                 "/j/https:%2F%2Fevil.example"):
        answer = http.get(path)
        assert answer.status_code == 404, path
        assert answer.text == "Not found.\n" and "location" not in answer.headers, path
    assert clicks(world, booking) == {}


def test_a_known_token_redirects_to_the_meeting_and_records_one_click_per_request(world, http):
    booking = book(world)
    confirmed = {e.kind: e for e in emails(world, booking)}
    customer, expert = token_of(confirmed["confirmed.customer"]), token_of(confirmed["confirmed.expert"])
    assert customer != expert

    answer = http.get(f"/j/{customer}")
    assert answer.status_code == 302 and answer.headers["location"] == booking.meeting_link
    assert answer.headers["cache-control"] == "no-store"
    assert clicks(world, booking) == {"customer": 1}
    http.get(f"/j/{customer}")
    http.get(f"/j/{expert}")
    assert clicks(world, booking) == {"customer": 2, "expert": 1}
    last = {c.person: c.last_at for c in world.svc.join_clicks(booking.id, actor=SYSTEM)}
    assert last["customer"] == world.clock.now.replace(microsecond=0)


def test_a_head_request_is_answered_like_a_get_but_is_not_a_click(world, http):
    """Mail scanners and link previews send HEAD: the same 302, no click counted."""
    booking = book(world)
    token = token_of(next(e for e in emails(world, booking) if e.kind == "confirmed.customer"))
    for _ in range(3):
        answer = http.head(f"/j/{token}")
        assert answer.status_code == 302 and answer.headers["location"] == booking.meeting_link
    assert http.head("/j/" + "A" * 43).status_code == 404
    assert clicks(world, booking) == {}
    http.get(f"/j/{token}")
    assert clicks(world, booking) == {"customer": 1}


def test_the_redirect_follows_the_current_link_and_a_cancelled_booking_is_gone(world, http):
    booking = book(world)
    token = token_of(next(e for e in emails(world, booking) if e.kind == "confirmed.customer"))
    set_link(world, booking, "https://meet.jit.si/CallExpert-new-room")
    assert http.get(f"/j/{token}").headers["location"] == "https://meet.jit.si/CallExpert-new-room"

    world.svc.cancel(booking.id, actor=SYSTEM)
    gone = http.get(f"/j/{token}")
    assert gone.status_code == 410 and "no longer available" in gone.text and "location" not in gone.headers
    assert clicks(world, booking) == {"customer": 1}  # the refused open is not a click


# -- the emails ------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["id", "en"])
def test_every_email_with_a_join_link_carries_the_same_redirect_of_its_person(tmp_path, language):
    world = build(tmp_path, public_base_url=BASE + "/", email_language=language)
    booking = book(world)
    world.svc.reschedule(booking.id, DAY, time(16, 0), actor=SYSTEM)
    assert at(world, START + timedelta(hours=2) - timedelta(minutes=30)) == 2  # the 60-minute reminders
    by_kind = {e.kind: e for e in emails(world, booking)}
    for side in ("customer", "expert"):
        kinds = [f"confirmed.{side}", f"rescheduled.{side}", f"reminder_60.{side}"]
        assert len({token_of(by_kind[k]) for k in kinds}) == 1, side  # one token per person, reused
        for kind in kinds:
            assert booking.meeting_link not in by_kind[kind].body_text + by_kind[kind].body_html, kind
    # The invitation keeps the meeting link itself: calendar clients open it directly.
    assert booking.meeting_link in by_kind["confirmed.customer"].ics and BASE not in by_kind["confirmed.customer"].ics


@pytest.mark.parametrize("language", ["id", "en"])
def test_without_the_setting_emails_carry_the_meeting_link_and_no_token_is_made(tmp_path, language):
    world = build(tmp_path, email_language=language)
    booking = book(world)
    for email in emails(world, booking):
        assert booking.meeting_link in email.body_text and booking.meeting_link in email.body_html
        assert "/j/" not in email.body_text + email.body_html
    with sqlite3.connect(world.db) as db:
        assert db.execute("SELECT COUNT(*) FROM join_tokens").fetchone() == (0,)


def test_a_cancellation_email_makes_no_token(world):
    booking = book(world)
    with sqlite3.connect(world.db) as db:
        db.execute("DELETE FROM join_tokens")
    world.svc.cancel(booking.id, actor=SYSTEM)
    with sqlite3.connect(world.db) as db:
        assert db.execute("SELECT COUNT(*) FROM join_tokens").fetchone() == (0,)


# -- the service ---------------------------------------------------------------------------------

def test_clicks_are_for_whoever_may_see_the_booking(world):
    booking = book(world)
    other = Actor(Role.EXPERT, email="budi@example.com", expert_id="someone-else")
    with pytest.raises(PermissionDenied):
        world.svc.join_clicks(booking.id, actor=other)
    with pytest.raises(NotFound):
        world.svc.join_clicks("not-a-booking", actor=SYSTEM)
    assert world.svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.CONFIRMED


# -- the setting -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["http://console.example.com/notify", "https://user:pw@console.example.com",
                                   "https://console.example.com/notify?x=1", "https://console.example.com/#top",
                                   "console.example.com", "https:///notify", " https://console.example.com"])
def test_a_public_base_url_that_is_not_a_plain_https_address_is_refused(value):
    with pytest.raises(ConfigError, match="public_base_url"):
        validate(Settings(public_base_url=value))


def test_an_empty_or_plain_https_public_base_url_is_accepted():
    validate(Settings())
    validate(Settings(public_base_url="https://console.example.com:8443/notify"))
