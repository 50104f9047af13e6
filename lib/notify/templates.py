"""Render the emails a booking causes, with Jinja2 (autoescaped HTML and a plain-text part)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from lib.domain import Booking, EmailDraft
from lib.timefmt import rupiah, when

_env = Environment(
    loader=PackageLoader("lib.notify", "jinja"),
    autoescape=select_autoescape(["html"]),
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
}


def render(booking: Booking, kind: str, tz: ZoneInfo, version: int) -> EmailDraft:
    """One email of ``kind`` (e.g. ``confirmed.customer``) about ``booking``."""
    spec = KINDS[kind]
    to_customer = kind.endswith(".customer")
    other = booking.expert_name if to_customer else booking.customer_name
    words = {"session": booking.session_type, "other": other}
    context = {
        "heading": spec.heading,
        "intro": spec.intro.format(**words),
        "greeting_name": booking.customer_name if to_customer else booking.expert_name,
        "booking": booking,
        "other": other,
        "when": when(booking.scheduled_date, booking.scheduled_time, tz),
        "price": rupiah(booking.price),
        "cancelled": kind.startswith("cancelled"),
        "to_customer": to_customer,
    }
    return EmailDraft(
        booking_id=booking.id,
        kind=kind,
        version=version,
        recipient=booking.customer_email if to_customer else booking.expert_email,
        subject=spec.subject.format(**words),
        body_text=_env.get_template("email.txt.j2").render(context),
        body_html=_env.get_template("email.html.j2").render(context),
    )


def emails_for(booking: Booking, event: str, tz: ZoneInfo) -> list[EmailDraft]:
    """The customer's and the expert's email for ``event`` (confirmed, rescheduled, cancelled)."""
    return [render(booking, f"{event}.{side}", tz, booking.revision) for side in ("customer", "expert")]
