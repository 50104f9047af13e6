"""What the Calendar provider reads without changing anything: the organizer's calendar (the health
check), the events of a range (the daily reconciliation) and an expert's busy times (free/busy).

A part of ``GoogleCalendarProvider`` (``lib.meetings.google``), kept apart from the writes and their
idempotency rules; it uses the provider's request path (``_call``, ``_execute``, the request budget).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.auth import exceptions as auth_errors
from googleapiclient.errors import HttpError

from lib.errors import MeetingProviderError
from lib.meetings import BusyTimes, CalendarEvent, HealthCheck
from lib.meetings.google_auth import FREEBUSY_SCOPE, SCOPE
from lib.meetings.google_errors import RATE_REASONS, SCOPE_REASONS, health_summary, http_reasons, norm_reasons
from lib.meetings.google_events import MEET, join_link
from lib.meetings.google_freebusy import NOT_VISIBLE, busy_from_answer, unreadable

LIST_PAGE = 250  # events per page of events.list (one page per request; Google allows up to 2,500)


class CalendarReads:
    """The read-only requests of ``GoogleCalendarProvider`` (which supplies ``service``,
    ``calendar_id``, ``timezone``, ``credentials_kind``, ``subject``, ``classify`` and the request path)."""

    service: Any
    calendar_id: str
    timezone: str
    credentials_kind: str
    subject: str

    def calendar_events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        """The live events overlapping ``[start, end)``: ``events.list`` with ``timeMin`` and
        ``timeMax``, page by page (one request per 250 events)."""
        found: list[CalendarEvent] = []
        token: str | None = None
        while True:
            page = self._call(self.service.events().list(
                calendarId=self.calendar_id, timeMin=start.astimezone(UTC).isoformat(),
                timeMax=end.astimezone(UTC).isoformat(), maxResults=LIST_PAGE, pageToken=token))
            for item in page.get("items") or []:
                if isinstance(item, dict) and isinstance(item.get("id"), str) and item.get("status") != "cancelled":
                    found.append(CalendarEvent(item["id"], _instant(item.get("start")), _instant(item.get("end")),
                                               join_link(item)))
            token = page.get("nextPageToken")
            if not token:
                return found

    def check_connection(self) -> HealthCheck:
        """Read the calendar and check it can host Google Meet. Never raises."""
        if self.credentials_kind == "service_account" and not self.subject:
            return HealthCheck(
                ok=False,
                summary="Service account without domain-wide delegation: it cannot add Meet or invite attendees",
                detail=(
                    "Google refuses both for a service account acting as itself (403 forbiddenForServiceAccounts, "
                    "400 \"Invalid conference type value\"). Grant the service account's client id domain-wide "
                    f"delegation for {SCOPE} in the Workspace admin console and set `subject` under [google] to "
                    "the organizer's email, or use an OAuth authorized-user token instead."
                ),
            )
        try:
            calendar = self._call(self.service.calendars().get(calendarId=self.calendar_id))
        except MeetingProviderError as exc:
            return HealthCheck(ok=False, summary=health_summary(exc), detail=str(exc))
        except Exception as exc:  # noqa: BLE001 - a health check reports, it does not crash the page
            err = self.classify(exc)
            return HealthCheck(ok=False, summary=health_summary(err), detail=str(err))
        allowed = (calendar.get("conferenceProperties") or {}).get("allowedConferenceSolutionTypes") or []
        name = calendar.get("summary") or self.calendar_id
        if MEET not in allowed:
            return HealthCheck(
                ok=False,
                summary=f"Calendar {name!r} cannot host Google Meet",
                detail=(
                    f"Calendar {self.calendar_id!r} allows {', '.join(allowed) or 'no conference types'}, "
                    "not hangoutsMeet. "
                    "Use a calendar of a Google account or Workspace user with Meet enabled (Workspace admins: "
                    "Apps > Google Workspace > Google Meet), or a service account with domain-wide delegation "
                    "and `subject` set to that user."
                ),
            )
        tz = calendar.get("timeZone", "")
        return HealthCheck(
            ok=True,
            summary=f"Google Calendar {name!r} reachable; Meet links can be created",
            detail=(f"Calendar id {self.calendar_id!r}" + (f", calendar time zone {tz}" if tz else "")
                    + f"; events use {self.timezone}."),
        )

    def busy(self, calendar_id: str, start: datetime, end: datetime) -> BusyTimes:
        """What ``calendar_id`` (the expert's own calendar) has busy between two aware instants.

        One ``freebusy.query`` request, taking a slot of the request budget like every other.
        Busy ranges come back as aware instants (Google's RFC 3339 times carry their offset),
        sorted, end exclusive. Never raises: a calendar Google could not read (an error for that
        calendar inside the 200, e.g. ``notFound`` when it is not shared with the organizer), a
        failed request or an answer that makes no sense give ``BusyTimes(read=True, error=...)``
        with a sentence saying what to do.
        """
        if start.tzinfo is None or end.tzinfo is None or start.utcoffset() is None or end.utcoffset() is None:
            return BusyTimes(read=True, error=(
                f"The busy times of calendar {calendar_id!r} were not read: the console asked without a time "
                "zone; report this as a bug."
            ))
        body = {
            "timeMin": start.isoformat(),
            "timeMax": end.isoformat(),
            "timeZone": self.timezone,
            "items": [{"id": calendar_id}],
        }
        try:
            self._take_slot()
            answer = self._execute(self.service.freebusy().query(body=body), self._busy_http())
        except Exception as exc:  # noqa: BLE001 - a failed read is reported, never raised
            return BusyTimes(read=True, error=self._busy_failure(calendar_id, exc))
        return busy_from_answer(answer, calendar_id, ZoneInfo(self.timezone))

    def _busy_failure(self, calendar_id: str, exc: BaseException) -> str:
        """The sentence for a free/busy request that failed as a whole (no secrets in it)."""
        lead = f"Google Calendar could not say when calendar {calendar_id!r} is busy"
        no_scope = (f"{lead}: the Google credentials are not allowed to read free/busy ({FREEBUSY_SCOPE}). "
                    "Add that scope to the domain-wide delegation of the service account, or create the "
                    "OAuth token again with it (see docs/google.md). Meet links are not affected.")
        if isinstance(exc, auth_errors.RefreshError):
            text = str(exc.args[0]) if exc.args else ""
            if "invalid_scope" in text or "unauthorized_client" in text or "access_denied" in text:
                return no_scope
        if isinstance(exc, HttpError):
            status = int(getattr(exc.resp, "status", 0) or 0)
            norm = norm_reasons(http_reasons(exc))
            if status == 403 and norm & SCOPE_REASONS:  # the same for every calendar
                return no_scope
            # classify() words a 403 or 404 for the organizer's calendar; here it is the expert's,
            # worded as a per-calendar notFound is, so the answer never tells whether it exists.
            if status == 404 or (status == 403 and not norm & RATE_REASONS):
                return unreadable(calendar_id, NOT_VISIBLE)
        return f"{lead}: {self.classify(exc)}"

    def _busy_http(self) -> Any:
        """This thread's http object for free/busy requests (their own credentials), if any."""
        if self._busy_http_factory is None:
            return self._http()
        own = getattr(self._local, "busy_http", None)
        if own is None:
            own = self._local.busy_http = self._busy_http_factory()
        return own


def _instant(when: Any) -> datetime | None:
    """An event's start or end (``dateTime`` with its offset, or ``timeZone``) as an aware instant."""
    if not isinstance(when, Mapping) or not when.get("dateTime"):
        return None
    try:
        moment = datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(str(when.get("timeZone") or "UTC")))
    except (ValueError, KeyError):
        return None
    return moment
