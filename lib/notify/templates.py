"""Render the emails a booking causes, with Jinja2: an autoescaped HTML part, a plain-text part
and, when asked, a calendar invitation (.ics)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_environment, select_autoescape
from jinja2.filters import do_wordwrap

from lib.domain import Booking, EmailDraft
from lib.notify import LINK_PENDING, SIDES, reminder_kind, reminder_offset
from lib.notify.ics import IcsOptions, IcsText, invitation
from lib.notify.messages import DEFAULT_LANGUAGE, KINDS, LOCALES, REMINDER, WORDS
from lib.timefmt import rupiah, when, zone_abbreviation

_env = Environment(
    loader=PackageLoader("lib.notify", "jinja"),
    # Match "email.html.j2" too: names and session types are typed by people and must never
    # become markup. The plain-text part is not escaped ("&" stays "&").
    autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # The templates are files of the package: read and compiled once, not checked on every email.
    auto_reload=False,
)


@lru_cache(maxsize=2048, typed=True)
def _wrapped(newline: str, text: str, width: int, break_long_words: bool, wrapstring: str | None,
             break_on_hyphens: bool) -> str:
    return do_wordwrap(_NEWLINE_ONLY[newline], text, width, break_long_words, wrapstring, break_on_hyphens)


class _Newline:
    """What ``do_wordwrap`` reads of its environment: the newline sequence, nothing else."""

    def __init__(self, newline_sequence: str) -> None:
        self.newline_sequence = newline_sequence


_NEWLINE_ONLY = {n: _Newline(n) for n in ("\n", "\r\n", "\r")}


@pass_environment
def wordwrap(environment: Environment, s: Any, width: int = 79, break_long_words: bool = True,
             wrapstring: str | None = None, break_on_hyphens: bool = True) -> str:
    """Jinja's ``wordwrap`` filter, remembered per text: most wrapped paragraphs are the same
    words of a language in every email, and wrapping them (textwrap) was a fifth of an email's
    rendering. The same function with the same arguments, so the same text; anything but a plain
    ``str`` (markup, a number) goes to the filter itself, uncached."""
    if type(s) is str and type(wrapstring) in (str, type(None)) and environment.newline_sequence in _NEWLINE_ONLY:
        return _wrapped(environment.newline_sequence, s, width, break_long_words, wrapstring, break_on_hyphens)
    return do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)


_env.filters["wordwrap"] = wordwrap

# The events that change the calendar event, and so carry an invitation.
_ICS_EVENTS = ("confirmed", "rescheduled", "cancelled")


def _wall_clock(booking: Booking, tz: ZoneInfo, zone: ZoneInfo) -> tuple[date, time]:
    """The booking's start (a wall clock in the app zone ``tz``) as a wall clock in ``zone``."""
    if zone is tz or getattr(zone, "key", None) == getattr(tz, "key", object()):
        return booking.scheduled_date, booking.scheduled_time
    local = datetime.combine(booking.scheduled_date, booking.scheduled_time, tz).astimezone(zone)
    return local.date(), local.time()


def render(booking: Booking, kind: str, tz: ZoneInfo, version: int, ics: IcsOptions | None = None,
           language: str = DEFAULT_LANGUAGE, join_link: str | None = None,
           zone: ZoneInfo | None = None, manage: Mapping[str, str] | None = None) -> EmailDraft:
    """One email of ``kind`` (e.g. ``confirmed.customer``) about ``booking``, wholly in ``language``
    (``id`` or ``en``, see ``lib.notify.messages``): subject, text, dates, numbers and invitation.

    ``tz`` is the app zone, in which the booking's date and time are stored; ``zone`` the
    recipient's (the app zone when ``None``): every date and time the email shows, the
    invitation's text included, is in ``zone``. The invitation's DTSTART stays in ``tz`` with
    its VTIMEZONE; calendar clients show it in their own zone.

    With ``ics``, confirmed and rescheduled emails carry a METHOD:REQUEST invitation and
    cancelled ones (of a booking that had a link, so people got an invitation) a METHOD:CANCEL.

    ``join_link`` (the click-counting redirect of this person, see ``public_base_url``) replaces
    the meeting link in the Join button and text; the invitation keeps the meeting link itself,
    which calendar clients open directly.

    ``manage`` (the customer's self-service links, ``{"reschedule": url, "cancel": url}``) puts
    "Reschedule" and "Cancel" in place of "reply to this email" in a customer's email about a
    booking that is not cancelled.
    """
    event, _, side = kind.partition(".")
    if reminder_offset(kind) is not None:  # every offset reads alike: the date and time say when
        event = REMINDER
    spec, t, locale = KINDS[language][f"{event}.{side}"], WORDS[language], LOCALES[language]
    to_customer = side == "customer"
    other = booking.expert_name if to_customer else booking.customer_name
    zone = tz if zone is None else zone
    day, at = _wall_clock(booking, tz, zone)
    start = f"{at:%H:%M} {zone_abbreviation(zone, day)}"
    session = booking.type_name(language)  # the type's name in the email's language, as booked
    words = {"session": session, "other": other, "start": start}
    cancelled = event == "cancelled"
    rows = [(t["session"], session),
            (t["expert"] if to_customer else t["customer"], other),
            (t["when"], when(day, at, zone, locale)),
            (t["duration"], t["minutes"].format(minutes=booking.duration))]
    if to_customer:
        rows.append((t["price"], rupiah(booking.price, locale)))
    rows.append((t["booking"], booking.id))
    context = {
        "language": language,
        "t": t,
        "heading": spec.heading,
        "greeting": t["greeting"].format(name=booking.customer_name if to_customer else booking.expert_name),
        "intro": spec.intro.format(**words),
        "rows": rows,
        "label_width": max(len(label) for label, _ in rows) + 1,
        "change": (t["change_customer"] if to_customer else t["change_expert"]).format(**words),
        "again": t["again_customer"] if to_customer else t["again_expert"],
        "cancelled": cancelled,
        "link": None if cancelled or not booking.meeting_link else (join_link or booking.meeting_link),
        "manage": dict(manage) if manage and to_customer and not cancelled else None,
    }
    subject = spec.subject.format(**words)
    attachment = None
    if ics is not None and event in _ICS_EVENTS and booking.meeting_link:
        text = IcsText(
            summary=t["ics_summary"].format(**words),
            who=t["ics_who"].format(session=session, customer=booking.customer_name,
                                    expert=booking.expert_name),
            when=f"{when(day, at, zone, locale)}, "
                 f"{t['minutes'].format(minutes=booking.duration)}",
            join=t["ics_join"].format(link=booking.meeting_link),
            booking=t["ics_booking"].format(id=booking.id),
            language=language,
        )
        attachment = invitation(booking, tz, cancel=cancelled, text=text, options=ics)
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


def emails_for(booking: Booking, event: str, tz: ZoneInfo, ics: IcsOptions | None = None,
               language: str = DEFAULT_LANGUAGE, join_links: Mapping[str, str] | None = None,
               zones: Mapping[str, ZoneInfo] | None = None) -> list[EmailDraft]:
    """The customer's and the expert's email for ``event`` (confirmed, rescheduled, cancelled),
    each with its person's Join link from ``join_links`` (person -> URL) when given, and its
    dates and times in its person's zone from ``zones`` (person -> zone; the app zone ``tz``
    for a person not in it).

    Keyed by the booking's revision, so each event is queued once per version of the booking.
    """
    links, zoned = join_links or {}, zones or {}
    return [render(booking, f"{event}.{side}", tz, booking.revision, ics, language, links.get(side),
                   zoned.get(side), _manage(links, side))
            for side in SIDES]


def _manage(links: Mapping[str, str], side: str) -> dict[str, str] | None:
    """The self-service links of ``side`` in a ``join_links`` mapping (see ``JoinLinks.for_emails``)."""
    found = {page: links[f"{side}.{page}"] for page in ("reschedule", "cancel") if f"{side}.{page}" in links}
    return found or None


def reminder_emails(booking: Booking, minutes: int, tz: ZoneInfo, language: str = DEFAULT_LANGUAGE,
                    join_links: Mapping[str, str] | None = None,
                    zones: Mapping[str, ZoneInfo] | None = None) -> list[EmailDraft]:
    """The customer's and the expert's reminder ``minutes`` before the session, keyed by the
    booking's revision: a moved booking's reminders are new emails, each queued once. Each
    carries its person's Join link from ``join_links`` when given, and its time in its person's
    zone from ``zones`` (the app zone ``tz`` for a person not in it)."""
    links, zoned = join_links or {}, zones or {}
    return [render(booking, reminder_kind(minutes, side), tz, booking.revision, language=language,
                   join_link=links.get(side), zone=zoned.get(side), manage=_manage(links, side))
            for side in SIDES]


def link_pending_email(booking: Booking, tz: ZoneInfo, language: str = DEFAULT_LANGUAGE) -> EmailDraft:
    """The customer's "payment received, link still being prepared" notice (in the app zone:
    no zone is stored per customer)."""
    return render(booking, LINK_PENDING, tz, booking.revision, language=language)


def render_page(context: Mapping[str, Any]) -> str:
    """A customer's self-service page (``self_service.html.j2``), autoescaped like the emails'
    HTML: nothing anyone typed becomes markup."""
    return _env.get_template("self_service.html.j2").render(context)
