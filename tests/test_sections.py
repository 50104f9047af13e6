"""Which provider-specific parts of the pages apply, from the settings and the payment gateway."""

from __future__ import annotations

from lib.config import Settings
from lib.sections import sections_for


def test_jitsi_with_the_demo_gateway_has_no_google_and_no_payment_page_parts():
    show = sections_for(Settings(), pays_here=True)
    assert (show.google, show.gateway_payments, show.invitations, show.join_clicks) == (False, False, True, False)
    assert show.link_example == "https://meet.jit.si/CallExpert-abc123"


def test_google_with_midtrans_has_its_parts_and_google_sends_the_invitations():
    show = sections_for(Settings(meeting_provider="google"), pays_here=False)
    assert (show.google, show.gateway_payments, show.invitations) == (True, True, False)
    assert show.link_example.startswith("https://meet.google.com/")
    assert sections_for(Settings(meeting_provider="google", attach_ics="true"), False).invitations


def test_the_link_example_is_on_the_configured_jitsi_server_and_clicks_count_with_a_public_address():
    show = sections_for(Settings(jitsi_base_url="https://meet.example.co.id/",
                                 public_base_url="https://console.example.co.id/notify"), True)
    assert show.link_example == "https://meet.example.co.id/CallExpert-abc123" and show.join_clicks
