"""Join links through the click-counting redirect (``public_base_url``): the tokens put in emails,
following one (``GET /j/<token>`` on the notification endpoint), and the clicks per booking."""

from __future__ import annotations

import re
import secrets

from lib.access import Actor, require_can_see, require_staff
from lib.domain import Booking, BookingStatus, JoinClicks
from lib.errors import NotFound
from lib.notify import SIDES
from lib.service.ports import Ports

# secrets.token_urlsafe(32): 256 random bits, 43 URL-safe characters.
_TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
# A booking's Join link opens the meeting only while the session is on (or just over).
_JOINABLE = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)


def redirect_url(base: str, token: str) -> str:
    """The redirect address of ``token`` under ``public_base_url``."""
    return f"{base.rstrip('/')}/j/{token}"


class JoinLinks:
    """Issues each person's token once per booking and follows tokens back to the meeting."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    def for_emails(self, booking: Booking) -> dict[str, str] | None:
        """Each person's Join link (person -> redirect URL) for the booking's emails, or ``None``
        when ``public_base_url`` is empty or the booking has no meeting link (the emails then
        carry the link itself, or none). The tokens are made the first time and reused after,
        so a reschedule's and a reminder's emails carry the same links as the confirmation."""
        base = self.ports.settings.public_base_url
        if not base or not booking.meeting_link:
            return None
        fresh = {side: secrets.token_urlsafe(_TOKEN_BYTES) for side in SIDES}
        tokens = self.ports.store.issue_join_tokens(booking.id, fresh, self.ports.clock())
        return {side: redirect_url(base, tokens[side]) for side in SIDES if side in tokens}

    def follow(self, token: str, *, actor: Actor, click: bool = True) -> str | None:
        """The booking's CURRENT meeting link for a token, after recording one click of its person
        (none when ``click`` is false: a ``HEAD`` request, as link scanners and previews send, is
        answered alike but is nobody opening the meeting); ``None`` (no click recorded) when the
        booking has no link to open now (cancelled, expired).

        Raises ``NotFound`` for a malformed or unknown token. The answer is only ever a link
        stored on the booking (made by the provider, or pasted and checked against the allowed
        hosts), never anything from the request.
        """
        require_staff(actor, "follow Join links")
        if not TOKEN_PATTERN.fullmatch(token or ""):
            raise NotFound("No such Join link.")
        found = self.ports.store.join_token(token)
        if found is None:
            raise NotFound("No such Join link.")
        booking_id, person = found
        booking = self.ports.store.get_booking(booking_id)
        if booking is None or booking.status not in _JOINABLE or not booking.meeting_link:
            return None
        if click:
            self.ports.store.record_join_click(booking_id, person, self.ports.clock())
        return booking.meeting_link

    def clicks(self, booking_id: str, *, actor: Actor) -> list[JoinClicks]:
        """Each person's clicks on the booking's Join link, for whoever may see the booking."""
        booking = self.ports.load(booking_id)
        require_can_see(actor, booking)
        return self.ports.store.join_clicks(booking.id)
