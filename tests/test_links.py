"""Links pasted by ops: https only, no user info or port, and only the allowed meeting hosts."""

from __future__ import annotations

from datetime import time, timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from lib.access import SYSTEM
from lib.config import Settings, load_settings
from lib.domain import BookingRequest, BookingStatus, NewCustomer
from lib.errors import ConfigError, InvalidInput
from lib.validation import clean_meeting_link
from lib.wiring import build_service

HOSTS = ("meet.google.com", "meet.jit.si")


@pytest.mark.parametrize("link", [
    "https://meet.google.com/abc-defg-hij",
    "https://meet.jit.si/CallExpert-3f9a2c",
    "https://meet.jit.si/Room#config.startWithAudioMuted=true",
    "https://meet.google.com/abc-defg-hij?authuser=1",
])
def test_links_on_allowed_hosts_are_kept_as_pasted(link):
    assert clean_meeting_link(link, HOSTS) == link


@pytest.mark.parametrize("link, words", [
    ("https://meet.google.com@evil.example/abc", "not a plain"),  # user info: the browser goes to evil.example
    ("https://user:pw@meet.google.com/abc", "not a plain"),
    ("https://meet.google.com\\@evil.example/abc", "not a plain"),  # a backslash is "/" to a browser
    ("https://evil.example\\meet.google.com/abc", "not a plain"),
    ("https://meet.google.com:8443/abc", "not a plain"),
    ("https://meet.google.com%2eevil.example/abc", "not a plain"),
    ("https://[::1]/abc", "not a plain"),
    ("https://meet.google.com/a b", "not a plain"),
    ("https://meet.google.com/", "not a plain"),  # no room
    ("https://meet.google.com", "not a plain"),
    ("https:/meet.google.com/abc", "not an https:// link"),
    ("https:///meet.google.com/abc", "not a plain"),
    ("https://meet.google.com.evil.example/abc", "not an allowed meeting host"),
    ("https://evil.example/meet.google.com/abc", "not an allowed meeting host"),
    ("https://meet.google.com./abc", "not an allowed meeting host"),
    ("https://xn--mt-fka.google.com/abc", "not an allowed meeting host"),
    ("https://meet.gооgle.com/abc", "not a plain"),  # Cyrillic o's
    ("http://meet.google.com/abc", "not an https:// link"),
    ("javascript:alert(1)//meet.google.com/abc", "not an https:// link"),
])
def test_other_links_are_refused_naming_the_allowed_hosts(link, words):
    with pytest.raises(InvalidInput) as caught:
        clean_meeting_link(link, HOSTS)
    message = str(caught.value)
    assert words in message and "meet.google.com, meet.jit.si" in message and "allowed_link_hosts" in message


PIECES = ["https://", "http://", "meet.google.com", "evil.example", "@", ":", "443", "\\", "/", "//", "%2e", ".",
          "#", "?", "[", "]", "abc", " ", "\t", "user", "MEET.GOOGLE.COM", "meet.jit.si"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8))
def test_an_accepted_link_goes_to_an_allowed_host_for_every_parser(pieces):
    text = "".join(pieces)
    try:
        link = clean_meeting_link(text, HOSTS)
    except InvalidInput:
        return
    python, urllib3 = urlsplit(link), parse_url(link)
    assert python.scheme == "https" and urllib3.scheme == "https"
    assert python.hostname in HOSTS and (urllib3.host or "").lower() in HOSTS
    assert python.username is None and python.port is None and urllib3.auth is None and urllib3.port is None
    assert python.netloc.lower() == python.hostname and "\\" not in link


# -- settings -----------------------------------------------------------------------------------------

def test_allowed_hosts_come_from_meet_jitsi_and_the_setting(tmp_path):
    assert Settings().link_hosts == ("meet.google.com", "meet.jit.si")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('jitsi_base_url = "https://jitsi.example.co.id/"\n'
                       'allowed_link_hosts = ["zoom.us", "Teams.Microsoft.com"]\n')
    assert load_settings(secrets, environ={}).link_hosts == ("meet.google.com", "jitsi.example.co.id", "zoom.us",
                                                              "teams.microsoft.com")
    from_env = load_settings(secrets, environ={"CALLEXPERT_ALLOWED_LINK_HOSTS": "whereby.com"})
    assert from_env.link_hosts == ("meet.google.com", "jitsi.example.co.id", "whereby.com")


@pytest.mark.parametrize("env, words", [
    ({"CALLEXPERT_ALLOWED_LINK_HOSTS": "https://zoom.us"}, "`allowed_link_hosts`"),
    ({"CALLEXPERT_ALLOWED_LINK_HOSTS": "zoom.us:443"}, "`allowed_link_hosts`"),
    ({"CALLEXPERT_ALLOWED_LINK_HOSTS": "zoom.us, evil example"}, "`allowed_link_hosts`"),
    ({"CALLEXPERT_JITSI_BASE_URL": "http://meet.jit.si"}, "`jitsi_base_url`"),
    ({"CALLEXPERT_JITSI_BASE_URL": "meet.jit.si"}, "`jitsi_base_url`"),
])
def test_bad_link_host_settings_are_refused(tmp_path, env, words):
    with pytest.raises(ConfigError, match=words):
        load_settings(tmp_path / "none.toml", environ=env)


@pytest.mark.usefixtures("always_open")
def test_pasting_a_link_uses_the_configured_hosts(app_env, monkeypatch):
    monkeypatch.setenv("CALLEXPERT_ALLOWED_LINK_HOSTS", "zoom.us")
    svc = build_service(load_settings())
    expert = svc.store.add_expert("Sari", "sari@example.com", 250_000)
    booking = svc.book(BookingRequest(expert_id=expert.id, session_type="Career mentoring",
                                      scheduled_date=svc.today() + timedelta(days=3), scheduled_time=time(10, 0),
                                      new_customer=NewCustomer("Andi", "andi@example.com")), actor=SYSTEM)
    booking = svc.pay(booking.id, actor=SYSTEM)
    with pytest.raises(InvalidInput, match="meet.google.com, meet.jit.si, zoom.us"):
        svc.set_link_manually(booking.id, "https://meet.google.com@evil.example/abc", actor=SYSTEM)
    assert svc.get_booking(booking.id, actor=SYSTEM).status is BookingStatus.PAID
    done = svc.set_link_manually(booking.id, "https://zoom.us/j/123456789", actor=SYSTEM)
    assert done.status is BookingStatus.CONFIRMED and done.meeting_link == "https://zoom.us/j/123456789"
