"""Render the emails a booking causes, with Jinja2: an autoescaped HTML part, a plain-text part
and, when asked, a calendar invitation (.ics)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from lib.domain import Booking, EmailDraft
from lib.notify import LINK_PENDING
from lib.notify.ics import IcsOptions, invitation
from lib.timefmt import rupiah, when

_env = Environment(
    loader=PackageLoader("lib.notify", "jinja"),
    # Match "email.html.j2" too: names and session types are typed by people and must never
    # become markup. The plain-text part is not escaped ("&" stays "&").
    autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class _Kind:
    subject: str
    heading: str
    intro: str


# {other} is the other side's name, so each person reads who they meet.
KINDS: dict[str, _Kind] = {
    "confirmed.customer": _Kind("Booking confirmed: {session} with {other}", "Your session is confirmed",
                                "Your {session} with {other} is booked and paid."),
    "confirmed.expert": _Kind("New booking: {session} with {other}", "You have a new session",
                              "{other} booked a {session} with you."),
    "rescheduled.customer": _Kind("Rescheduled: {session} with {other}", "Your session has a new time",
                                  "Your {session} with {other} moved to a new time. The meeting link stays the same."),
    "rescheduled.expert": _Kind("Rescheduled: {session} with {other}", "A session has a new time",
                                "Your {session} with {other} moved to a new time. The meeting link stays the same."),
    "cancelled.customer": _Kind("Cancelled: {session} with {other}", "Your session is cancelled",
                                "Your {session} with {other} has been cancelled."),
    "cancelled.expert": _Kind("Cancelled: {session} with {other}", "A session is cancelled",
                              "The {session} with {other} has been cancelled."),
    LINK_PENDING: _Kind("Payment received: {session} with {other}, link coming soon",
                        "Your meeting link is on its way",
                        "We received your payment for the {session} with {other}. The meeting link is still "
                        "being prepared; we will email it to you as soon as it is ready."),
}
# The events that change the calendar event, and so carry an invitation.
_ICS_EVENTS = ("confirmed", "rescheduled", "cancelled")


def render(booking: Booking, kind: str, tz: ZoneInfo, version: int, ics: IcsOptions | None = None) -> EmailDraft:
    """One email of ``kind`` (e.g. ``confirmed.customer``) about ``booking``.

    With ``ics``, confirmed and rescheduled emails carry a METHOD:REQUEST invitation and
    cancelled ones (of a booking that had a link, so people got an invitation) a METHOD:CANCEL.
    """
    spec = KINDS[kind]
    event, _, side = kind.partition(".")
    to_customer = side == "customer"
    other = booking.expert_name if to_customer else booking.customer_name
    words = {"session": booking.session_type, "other": other}
    cancelled = event == "cancelled"
    context = {
        "heading": spec.heading,
        "intro": spec.intro.format(**words),
        "greeting_name": booking.customer_name if to_customer else booking.expert_name,
        "booking": booking,
        "other": other,
        "other_label": "Expert" if to_customer else "Customer",
        "when": when(booking.scheduled_date, booking.scheduled_time, tz),
        "price": rupiah(booking.price),
        "cancelled": cancelled,
        "to_customer": to_customer,
        "link": None if cancelled else booking.meeting_link,
    }
    subject = spec.subject.format(**words)
    attachment = None
    if ics is not None and event in _ICS_EVENTS and booking.meeting_link:
        attachment = invitation(booking, tz, cancel=cancelled, summary=f"{booking.session_type} with {other}",
                                options=ics)
    return EmailDraft(
        booking_id=booking.id,
        kind=kind,
        version=version,
        recipient=booking.customer_email if to_customer else booking.expert_email,
        subject=subject,
        body_text=_env.get_template("email.txt.j2").render(context),
        body_html=_env.get_template("email.html.j2").render(context),
        ics=attachment,
    )


def emails_for(booking: Booking, event: str, tz: ZoneInfo, ics: IcsOptions | None = None) -> list[EmailDraft]:
    """The customer's and the expert's email for ``event`` (confirmed, rescheduled, cancelled).

    Keyed by the booking's revision, so each event is queued once per version of the booking.
    """
    return [render(booking, f"{event}.{side}", tz, booking.revision, ics) for side in ("customer", "expert")]


def link_pending_email(booking: Booking, tz: ZoneInfo) -> EmailDraft:
    """The customer's "payment received, link still being prepared" notice."""
    return render(booking, LINK_PENDING, tz, booking.revision)
