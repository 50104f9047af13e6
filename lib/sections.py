"""Which provider-specific parts of the pages apply to the configured providers.

A part about Google Calendar means nothing with Jitsi rooms, one about a gateway's payment page
nothing with the demo gateway that settles at once, one about calendar invitations nothing when
emails carry none. The pages ask here, once, instead of each comparing provider names.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.config import Settings

# What a pasted link looks like, by meeting provider: the placeholder of the "paste a link" field.
_GOOGLE_EXAMPLE = "https://meet.google.com/abc-defg-hij"


@dataclass(frozen=True)
class Sections:
    """The provider-specific parts of the pages that apply.

    ``google``: what comes from Google Calendar and Meet (the request budget, the calendar whose
    busy time counts, Meet attendance). ``gateway_payments``: payments made on a gateway's page
    (Midtrans), with their orders, checks and the list of those awaiting payment too long.
    ``invitations``: emails carry a calendar invitation (.ics). ``join_clicks``: Join clicks are
    counted (through the console's redirect). ``link_example``: a meeting link of the provider,
    as a placeholder.
    """

    google: bool
    gateway_payments: bool
    invitations: bool
    join_clicks: bool
    link_example: str


def sections_for(settings: Settings, pays_here: bool) -> Sections:
    """The parts that apply to ``settings``' providers; ``pays_here``: the payment gateway
    settles at once, without a payment page (the demo gateway)."""
    google = settings.meeting_provider == "google"
    jitsi = settings.jitsi_base_url.rstrip("/")
    return Sections(
        google=google,
        gateway_payments=not pays_here,
        invitations=settings.ics_enabled,
        join_clicks=bool(settings.public_base_url),
        link_example=_GOOGLE_EXAMPLE if google else f"{jitsi}/CallExpert-abc123",
    )
