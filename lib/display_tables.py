"""Shapes for display: bookings and days as small tables the pages can draw.

Pure Python and pandas, no Streamlit, so the pages stay a script of the screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from lib.calendar_work import CalendarWork
from lib.domain import Attendance, Booking, Email, HistoryEntry, JobRun, JoinClicks
from lib.notify import LINK_PENDING, reminder_offset
from lib.notify.ics import read_invitation
from lib.timefmt import local_medium_span, medium_when, rupiah, short_date
from lib.timefmt import local_medium_when as local_medium_when  # re-exported: the pages take display shapes here
from lib.timefmt import local_when as local_when


def booking_label(booking: Booking) -> str:
    """One line to pick a booking from a list:
    ``Andi · Career mentoring with Sari · Tue 24/11 14:00 · Confirmed``."""
    return (f"{booking.customer_name} · {booking.session_type} with {booking.expert_name} · "
            f"{short_date(booking.scheduled_date)} {booking.scheduled_time:%H:%M} · {booking.status.label}")


def bookings_frame(bookings: Iterable[Booking], tz: ZoneInfo) -> pd.DataFrame:
    """Bookings as a table: when (in ``tz``), what, who, minutes, price, status, link, id.

    Few and short columns, so the table fits the ops page of a laptop without scrolling sideways
    (the link attempts are in the "awaiting a link" list, where they matter)."""
    rows = [
        {
            "When": medium_when(b.scheduled_date, b.scheduled_time, tz),
            "Session": b.type_name("en"),  # the console's language
            "Expert": b.expert_name,
            "Customer": b.customer_name,
            "Minutes": b.duration,
            "Price": rupiah(b.price),
            "Status": b.status.label,
            "Meeting link": b.meeting_link or "",
            "Booking id": b.id,
        }
        for b in bookings
    ]
    columns = ["When", "Session", "Expert", "Customer", "Minutes", "Price", "Status", "Meeting link", "Booking id"]
    return pd.DataFrame(rows, columns=columns)


def calendar_work_text(work: CalendarWork, tz: ZoneInfo) -> str:
    """One waiting calendar change as the Ops page lists it: why, since when, tries, last error."""
    why = {"cancel": "withdraw the cancelled booking's invitation", "reschedule": "move the event to the new time",
           "link cleanup": "remove an event a link attempt made", "reconcile": "repair what reconciliation found"}
    text = (f"To {why.get(work.reason, work.reason)} · Waiting since {local_medium_when(work.queued_at, tz)}"
            f" · Attempts: {work.attempts}")
    return text + (f" · Last error: {work.last_error}" if work.last_error else "")


def job_runs_frame(runs: Iterable[JobRun], tz: ZoneInfo) -> pd.DataFrame:
    """Each background job's latest run: job, when it finished (in ``tz``), how it ended, what it did."""
    rows = [{"Job": r.job, "Last run": local_medium_when(r.finished_at, tz), "Outcome": r.outcome.label,
             "Did": ", ".join(f"{k} {v}" for k, v in r.counts.items()), "Detail": r.message, "Worker": r.worker}
            for r in runs]
    return pd.DataFrame(rows, columns=["Job", "Last run", "Outcome", "Did", "Detail", "Worker"])


def join_clicks_line(clicks: Iterable[JoinClicks], tz: ZoneInfo) -> str:
    """``Join clicks: customer 2 (last Thu 26 Nov 2026, 14:02 WIB), expert 1 (last …)``, or that
    nobody clicked yet."""
    parts = [f"{c.person} {c.clicks}" + (f" (last {local_medium_when(c.last_at, tz)})" if c.last_at else "")
             for c in clicks]
    return "Join clicks: " + (", ".join(parts) if parts else "none yet")


def attendance_text(attendance: Attendance | None, tz: ZoneInfo) -> str:
    """One booking's Google Meet attendance in plain words, for the ops page's booking detail."""
    if attendance is None:
        return "Attendance: not read yet (read from Google Meet after the session ends)."
    if attendance.status == "no data":
        why = f" ({attendance.last_error})" if attendance.last_error else ""
        return f"Attendance: no data - Google Meet had no record of the session{why}."
    if attendance.status == "waiting":
        when = local_medium_when(attendance.next_check_at, tz) if attendance.next_check_at else "soon"
        why = f"; last error: {attendance.last_error}" if attendance.last_error else ""
        return (f"Attendance: waiting for Google Meet's records ({attendance.attempts} attempt(s), "
                f"next {when}{why}).")

    def side(who: str, joined: bool, start: datetime | None, end: datetime | None, match: str) -> str:
        if not joined:
            return f"{who}: did not join (no-show)"
        span = f"{local_medium_when(start, tz)} to {local_medium_when(end, tz)}" if start and end else "times unknown"
        return f"{who}: joined {span}, recognised by {match}"

    a = attendance
    return "\n".join([
        "Attendance (Google Meet):",
        side("Expert", a.expert_joined, a.expert_joined_at, a.expert_left_at, a.expert_match),
        side("Customer", a.customer_joined, a.customer_joined_at, a.customer_left_at, a.customer_match),
        f"Together: {a.together_minutes} minute(s)",
    ])


def history_frame(entries: Iterable[HistoryEntry], tz: ZoneInfo) -> pd.DataFrame:
    """A booking's history, oldest first, with times in ``tz``."""
    rows = [{"At": local_medium_when(e.at, tz), "Event": e.event, "Detail": e.detail, "By": e.actor} for e in entries]
    return pd.DataFrame(rows, columns=["At", "Event", "Detail", "By"])


# What an email is about, by the event part of its kind ("confirmed" of "confirmed.expert").
_EMAIL_EVENTS = {"confirmed": "Booking confirmed", "rescheduled": "Rescheduled", "cancelled": "Cancelled",
                 LINK_PENDING.partition(".")[0]: "Meeting link not ready yet"}


def email_kind_text(kind: str) -> str:
    """What an outbox email is, in words: ``confirmed.expert`` -> ``Booking confirmed, to the
    expert``; ``reminder_1440.customer`` -> ``Reminder 24 hours before, to the customer``."""
    event, _, side = kind.partition(".")
    offset = reminder_offset(kind)
    if offset is not None:
        ahead = f"{offset // 60} hour{'s' if offset != 60 else ''}" if offset % 60 == 0 else f"{offset} minutes"
        what = f"Reminder {ahead} before"
    else:
        what = _EMAIL_EVENTS.get(event, event.replace("_", " ").capitalize())
    return f"{what}, to the {side}" if side else what


# The languages an email can be written in (``email_language``), named in the console's words.
EMAIL_LANGUAGE_NAMES = {"id": "Indonesian", "en": "English"}
_HTML_LANG = re.compile(r"<html\b[^>]*\blang=\"([A-Za-z-]+)\"")


def email_language(email: Email) -> str | None:
    """The language ``email`` is written in, in the console's words ("Indonesian"), read from
    its HTML part (``<html lang="id">``): the one it was sent in, whatever the setting says now.
    None when the part does not say."""
    found = _HTML_LANG.search(email.body_html)
    if found is None:
        return None
    code = found.group(1)
    return EMAIL_LANGUAGE_NAMES.get(code.split("-")[0].lower(), code)


def email_title(email: Email, tz: ZoneInfo) -> str:
    """An email's one-line title on the Emails page, wholly in the console's words: what it is,
    to which address, its status and when it was queued. The subject, in the email's own
    language, is shown inside it, apart (see ``email_language``)."""
    return (f"{email_kind_text(email.kind)}: {email.recipient} · {email.status.value} · "
            f"{local_medium_when(email.created_at, tz)}")


# What a calendar does with an invitation, by its METHOD (RFC 5546).
METHOD_WORDS = {
    "REQUEST": "REQUEST: adds the session to the recipient's calendar, or updates the one there",
    "CANCEL": "CANCEL: removes the session from the recipient's calendar",
}


@dataclass(frozen=True)
class InvitationView:
    """The calendar invitation an email carried, as the Emails page shows it.

    ``rows``: (label, text) pairs (what, when, method, sequence); the title holds names people
    typed, so every text is shown as text. ``ics`` is the attachment as sent and ``file_name``
    what to download it as. ``problem`` says why the invitation could not be read (then
    ``rows`` is empty; the file can still be downloaded and looked at).
    """

    rows: tuple[tuple[str, str], ...]
    ics: str
    file_name: str
    problem: str | None = None


def invitation_view(email: Email, tz: ZoneInfo) -> InvitationView | None:
    """The invitation ``email`` carried, with its times in ``tz``; None for an email without one."""
    if not email.ics:
        return None
    file_name = f"invitation-{email.booking_id[:8]}-{email.kind.replace('.', '-')}-{email.version}.ics"
    try:
        invitation = read_invitation(email.ics)
    except ValueError as exc:
        return InvitationView((), email.ics, file_name, f"The invitation attached to this email could not be read: "
                                                        f"{exc}.")
    minutes = round((invitation.end - invitation.start) / timedelta(minutes=1))
    rows = (
        ("What", invitation.summary),
        ("When", f"{local_medium_span(invitation.start, invitation.end, tz)} ({minutes} minutes)"),
        ("Method", METHOD_WORDS.get(invitation.method, invitation.method)),
        ("Sequence", f"{invitation.sequence} (each change of the booking raises it; calendars keep the highest)"),
    )
    return InvitationView(rows, email.ics, file_name)
