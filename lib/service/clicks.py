"""Join links through the click-counting redirect (``public_base_url``): the tokens put in emails,
following one (``GET /j/<token>`` on the notification endpoint), and the clicks per booking."""

from __future__ import annotations

import re
import secrets
from typing import Protocol

from lib.access import Actor, require_can_see, require_staff
from lib.domain import Booking, BookingStatus, JoinClicks
from lib.errors import NotFound
from lib.notify import SIDES
from lib.service.ports import Ports
from lib.store import AttendanceStore, BookingRecordStore, SelfServiceStore

# secrets.token_urlsafe(32): 256 random bits, 43 URL-safe characters.
_TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
# A booking's Join link opens the meeting only while the session is on (or just over).
_JOINABLE = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)


# The customer's Reschedule and Cancel links (lib.service.self_service) go in emails only while
# the booking may still change; the keys they take in ``for_emails``'s mapping.
_CHANGEABLE = (BookingStatus.PAID, BookingStatus.CONFIRMED)
RESCHEDULE_LINK = "customer.reschedule"
CANCEL_LINK = "customer.cancel"


def redirect_url(base: str, token: str) -> str:
    """The redirect address of ``token`` under ``public_base_url``."""
    return f"{base.rstrip('/')}/j/{token}"


def self_service_url(base: str, page: str, token: str) -> str:
    """The address of the customer's self-service ``page`` (``r``: reschedule, ``c``: cancel)."""
    return f"{base.rstrip('/')}/{page}/{token}"


class JoinLinksStore(AttendanceStore, SelfServiceStore, BookingRecordStore, Protocol):
    """What ``JoinLinks`` reads and writes in the store."""


class JoinLinks:
    """Issues each person's token once per booking and follows tokens back to the meeting."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    @property
    def store(self) -> JoinLinksStore:
        """The store, as the protocols this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def for_emails(self, booking: Booking) -> dict[str, str] | None:
        """Each person's Join link (person -> redirect URL) for the booking's emails and, while
        the booking may change, the customer's Reschedule and Cancel links (``RESCHEDULE_LINK``,
        ``CANCEL_LINK``); ``None`` when ``public_base_url`` is empty (the emails then carry the
        meeting link itself, and no self-service links). A booking with no meeting link has no
        Join links. The tokens are made the first time and reused after, so a reschedule's and
        a reminder's emails carry the same links as the confirmation."""
        base = self.ports.settings.public_base_url
        if not base:
            return None
        links: dict[str, str] = {}
        if booking.meeting_link:
            fresh = {side: secrets.token_urlsafe(_TOKEN_BYTES) for side in SIDES}
            tokens = self.store.issue_join_tokens(booking.id, fresh, self.ports.clock())
            links = {side: redirect_url(base, tokens[side]) for side in SIDES if side in tokens}
        if booking.status in _CHANGEABLE:
            record = self.store.issue_self_service(booking.id, secrets.token_urlsafe(_TOKEN_BYTES),
                                                         secrets.token_urlsafe(_TOKEN_BYTES), self.ports.clock())
            links[RESCHEDULE_LINK] = self_service_url(base, "r", record.token)
            links[CANCEL_LINK] = self_service_url(base, "c", record.token)
        return links or None

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
        found = self.store.join_token(token)
        if found is None:
            raise NotFound("No such Join link.")
        booking_id, person = found
        booking = self.store.get_booking(booking_id)
        if booking is None or booking.status not in _JOINABLE or not booking.meeting_link:
            return None
        if click:
            self.store.record_join_click(booking_id, person, self.ports.clock())
        return booking.meeting_link

    def clicks(self, booking_id: str, *, actor: Actor) -> list[JoinClicks]:
        """Each person's clicks on the booking's Join link, for whoever may see the booking."""
        booking = self.ports.load(booking_id)
        require_can_see(actor, booking)
        return self.store.join_clicks(booking.id)
