"""Google Meet links through Google Calendar: one calendar event per booking, with a Meet conference.

The event id is derived from the booking id and its event version, so a retried create finds the
event an earlier attempt made (409 duplicate) instead of making a second one, and brings it up to
date with the booking. Versions are used in order from the booking's stored version (a version is
tried only once the one before it turned out deleted), so the provider can find every event it
may have made for a booking. One call is one attempt: errors come back as ``MeetingUnavailable``
(transient) or ``MeetingFailed`` (permanent), and the booking service decides whether and when
to try again. At most ``requests_at_once`` of a provider's requests are on their way at once,
whatever the number of threads that use it, and each takes a slot of the per-minute request budget
(``quota``) once it may go, right before it is sent.
Threads of one provider that wait for pending Meet conferences share their reads: one
``events.list`` of the recently modified events per round instead of one ``events.get`` each
(``lib.meetings.pending_reads``). What Google's errors mean is in ``lib.meetings.google_errors``,
the read-only requests (health check, events of a range, free/busy) in ``lib.meetings.google_reads``,
how a free/busy answer reads in ``lib.meetings.google_freebusy``, what an event and its
conference look like in ``lib.meetings.google_events``, and the credentials in
``lib.meetings.google_auth``. See docs/google.md for what each operation costs in requests.

Longer than 400 lines on purpose: create, move and cancel with their idempotency rules (ids,
versions, adoption of an earlier attempt's event) and the requests they make belong together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import google_auth_httplib2
import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from lib.config import GoogleSettings
from lib.domain import Booking, BookingStatus, Meeting
from lib.errors import CallExpertError, MeetingFailed, MeetingProviderError, MeetingUnavailable, Transient
from lib.meetings.google_auth import FREEBUSY_SCOPE, SCOPE, kind_of_credentials, load_credentials
from lib.meetings.google_errors import classify, http_reasons, norm_reasons
from lib.meetings.google_events import (
    conference_request,
    conference_status,
    event_body,
    event_id_for,
    event_times,
    link_changes,
    link_said,
    meet_link,
    updated_of,
)
from lib.meetings.google_reads import CalendarReads
from lib.meetings.pending_reads import EventDeleted, PendingReads, again
from lib.meetings.quota import MinuteQuota, RequestBudget

# A deleted event keeps its id forever, so a booking whose event was deleted gets a new version;
# this bounds how many cancelled versions one create call steps over.
MAX_VERSION_BUMPS = 5
_POLL_FIRST = 0.2
_POLL_MAX = 2.0
# Shared reads of pending conferences: rounds go out at most this often while several threads
# wait (a fast answer must not turn into a loop of lists), one page holds this many events, and
# updatedMin lies this far before the oldest waited-for event's own ``updated`` (Google's clock,
# so the machine's clock does not matter; the slack covers second-rounded stamps).
_LIST_PAGE = 250
_UPDATED_SLACK = timedelta(seconds=2)


class GoogleCalendarProvider(CalendarReads):
    """Meetings as Google Calendar events with a Google Meet conference.

    ``service`` is a built ``calendar`` v3 resource (see ``from_settings``). httplib2
    connections must not be shared between threads, so with ``http_factory`` each thread
    sends its requests on an http object of its own (the booking service creates links
    concurrently). ``sleep`` and ``clock`` are injectable so tests can wait for a pending
    conference without waiting. ``credentials_kind`` ("service_account" or
    "authorized_user") lets the connection check spot a service account without ``subject``.
    ``busy_http_factory`` makes the http objects of free/busy requests (credentials asking for
    ``FREEBUSY_SCOPE``); without it they go like every other request.
    """

    name = "google"
    creates_in_process = False

    def __init__(
        self,
        service: Any,
        *,
        calendar_id: str = "primary",
        timezone: str = "Asia/Jakarta",
        conference_wait_seconds: float = 20.0,
        reminder_minutes: int = 30,
        timeout_seconds: float = 15.0,
        subject: str = "",
        credentials_kind: str = "",
        http_factory: Callable[[], Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        requests_per_minute: int = 500,
        requests_at_once: int = 8,
        budget: RequestBudget | None = None,
        busy_http_factory: Callable[[], Any] | None = None,
        language: str = "en",
    ) -> None:
        self.service = service
        self.language = language  # the emails' language: the event's title and description are in it
        self.calendar_id = calendar_id
        self.timezone = timezone
        self.conference_wait_seconds = conference_wait_seconds
        self.reminder_minutes = reminder_minutes
        self.timeout_seconds = timeout_seconds
        self.subject = subject
        self.credentials_kind = credentials_kind
        self._http_factory = http_factory
        self._busy_http_factory = busy_http_factory
        self._local = threading.local()
        self._sleep = sleep
        self._clock = clock
        # Google allows 600 requests a minute per user; every request of this provider waits its
        # turn. ``budget`` is the deployment-wide one (shared through the store); without it the
        # count is this process's own.
        self.quota: RequestBudget = budget or MinuteQuota(requests_per_minute, clock=clock, sleep=sleep)
        self._reads = PendingReads(
            get=lambda event_id, slot_taken: self._get_pending(event_id, slot_taken=slot_taken),
            list_recent=self._list_recent, take_slot=self._take_slot, classify=self.classify,
            settled=lambda event: event.get("status") == "cancelled" or conference_status(event) != "pending",
            # Read at each call: tests swap the provider's clock and sleep after building it.
            clock=lambda: self._clock(), sleep=lambda seconds: self._sleep(seconds))
        # Requests on their way at once, whatever the number of threads: a bulk run's threads
        # that wait for a conference hold none, so the next links' inserts go out meanwhile.
        self._on_the_way = threading.BoundedSemaphore(requests_at_once)

    def __repr__(self) -> str:
        return f"GoogleCalendarProvider(calendar_id={self.calendar_id!r}, timezone={self.timezone!r})"

    @classmethod
    def from_settings(
        cls,
        google: GoogleSettings,
        timezone: str = "Asia/Jakarta",
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        budget: RequestBudget | None = None,
        language: str = "en",
    ) -> GoogleCalendarProvider:
        """Build credentials and the Calendar client from the ``[google]`` settings.

        Discovery is the copy shipped with the client (no network) and every request, token
        refreshes included, has ``timeout_seconds``. ``budget`` is the shared per-minute request
        budget (see ``lib.meetings.quota.SharedMinuteBudget``); None counts per process.
        """
        creds = load_credentials(google)
        # Free/busy gets credentials of its own: a token or delegation granted before the
        # free/busy scope was added keeps creating links, and only the busy times report it.
        busy_creds = load_credentials(google, scopes=(FREEBUSY_SCOPE,))

        def new_http(with_creds: Any = creds) -> Any:
            # proxy_info=None: requests go straight to api_endpoint, whatever http_proxy says.
            http = httplib2.Http(timeout=google.timeout_seconds, proxy_info=None)
            return google_auth_httplib2.AuthorizedHttp(with_creds, http=http)

        service = build(
            "calendar",
            "v3",
            http=new_http(),
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": google.api_endpoint},
        )
        return cls(
            service,
            calendar_id=google.calendar_id,
            timezone=timezone,
            conference_wait_seconds=google.conference_wait_seconds,
            reminder_minutes=google.reminder_minutes,
            timeout_seconds=google.timeout_seconds,
            subject=google.subject,
            credentials_kind=kind_of_credentials(creds),
            http_factory=new_http,
            sleep=sleep,
            clock=clock,
            requests_per_minute=google.requests_per_minute,
            requests_at_once=google.requests_at_once,
            budget=budget,
            busy_http_factory=lambda: new_http(busy_creds),
            language=language,
        )

    # -- MeetingProvider -----------------------------------------------------------------

    def create(self, booking: Booking) -> Meeting:
        """Insert the booking's event with a Meet conference, or adopt the one an earlier
        attempt made; wait (up to ``conference_wait_seconds``) for the Meet link.

        An adopted event is brought to the booking's current start, end, summary and attendees
        (and given a conference if it has none) in one patch. A conference that ends in
        ``failure`` gets its event deleted (the invitation withdrawn) and a retryable error: the
        next attempt steps over the deleted id to the next version, a new event.
        ``booking.link_attempts`` numbers the attempt, which keeps a re-requested conference's
        ``requestId`` new (Google ignores a repeated one) and deterministic.
        """
        version = booking.event_version
        for _ in range(MAX_VERSION_BUMPS + 1):
            event_id = event_id_for(booking.id, version)
            try:
                event = self._call(
                    self.service.events().insert(
                        calendarId=self.calendar_id,
                        body=event_body(booking, event_id, self.timezone, self.reminder_minutes, self.language),
                        conferenceDataVersion=1,
                        sendUpdates="all",
                    ),
                    duplicate_ok=True,
                )
            except _Duplicate:
                # An earlier attempt (whose answer was lost) or a deleted event holds this id.
                event = self._existing(event_id)
                if event is None or event.get("status") == "cancelled":
                    version += 1
                    continue
                event = self._adopt(booking, event, event_id)
            try:
                url = self._await_link(event, event_id)
            except EventDeleted:
                raise MeetingUnavailable(
                    f"Event {event_id} was deleted in Google Calendar while Google prepared its Meet link; the "
                    f"next attempt makes a new event (version {version + 1}).",
                ) from None
            except _ConferenceFailed:
                self._delete(event_id)
                raise MeetingUnavailable(
                    f"Google could not create the Meet conference of event {event_id} (conference status "
                    "'failure'), so that event was deleted and its invitation withdrawn; the next attempt "
                    f"makes a new event (version {version + 1}). If it repeats, check that Google Meet is "
                    "enabled for the organizer account.",
                ) from None
            return Meeting(url=url, event_id=event_id, event_version=version)
        raise MeetingFailed(
            f"Booking {booking.id}: the Google events of versions {booking.event_version} to {version - 1} "
            "were all deleted; check who is deleting events in the organizer's calendar, then try again.",
        )

    def reschedule(self, booking: Booking) -> None:
        """Move the event to the booking's date and time; its id and Meet link stay."""
        if not booking.google_event_id:
            raise MeetingFailed(
                f"Booking {booking.id} has no Google event to move; create its meeting link first."
            )
        start, end = event_times(booking, self.timezone)
        self._call(
            self.service.events().patch(
                calendarId=self.calendar_id,
                eventId=booking.google_event_id,
                body={"start": start, "end": end},
                sendUpdates="all",
                conferenceDataVersion=1,
            )
        )

    def cancel(self, booking: Booking) -> list[str]:
        """Delete the booking's event and tell the attendees; returns the ids it deleted
        (an already deleted event counts as done and is not listed).

        Without a stored event id, every event a link attempt may have made is removed: the ids
        are ``event_id_for(booking.id, v)``, and versions are used in order, each only once the
        one before it existed and was deleted. So versions are deleted from 0 up; the first
        version at or above the booking's stored ``event_version`` that Google never saw (404)
        ends the walk, and no attempt can have gone beyond ``event_version + MAX_VERSION_BUMPS``
        (every attempt starts from the stored version). Cost: one request per version used,
        plus one; for a booking no attempt reached Google, one request.
        """
        if booking.google_event_id:
            return [booking.google_event_id] if self._delete(booking.google_event_id) else []
        removed: list[str] = []
        for version in range(booking.event_version + MAX_VERSION_BUMPS + 1):
            event_id = event_id_for(booking.id, version)
            status = self._delete(event_id)
            if status is None:
                removed.append(event_id)
            elif status == 404 and version >= booking.event_version:
                break  # never used, so no later version was either
        return removed

    def converge(self, booking: Booking) -> list[str]:
        """Bring the calendar to the booking as stored (see ``MeetingProvider.converge``).

        A booking with its event: one ``events.get``, and one patch (``sendUpdates=all``) only where
        start, end, summary, attendees or its link (``google_events.link_changes``) differ; a patch
        whose answer was lost is found applied by the next run's get. A booking that should hold no
        event: the version walk of ``cancel`` (deleted and never-made ids count as done). Paid and
        pending bookings are left to their link attempts.
        """
        live = booking.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
        if live and booking.google_event_id:
            return self._match(booking, booking.google_event_id)
        if booking.status in (BookingStatus.PAID, BookingStatus.PENDING):
            return []
        removed = self.cancel(replace(booking, google_event_id=None))
        return [f"Google event {', '.join(removed)} deleted and its invitation withdrawn"] if removed else []

    def _match(self, booking: Booking, event_id: str) -> list[str]:
        event = self._existing(event_id)
        if event is None or event.get("status") == "cancelled":
            raise MeetingFailed(
                f"Google event {event_id} of this confirmed booking was deleted in Google Calendar, so its people "
                "have no invitation; paste a new link on the booking or cancel it.",
            )
        body = self._changes(booking, event, event_id)
        if not body:
            return []
        patched = self._patch(event_id, body)
        start = event_times(booking, self.timezone)[0]["dateTime"].replace("T", " ")[:16]
        said = [f"now at {start} ({self.timezone})"] if {"start", "end", "summary", "attendees"} & set(body) else []
        said.extend(link_said(event, patched, body, booking.meeting_link or ""))
        return [f"Google event {event_id} " + "; ".join(said)]

    # -- errors --------------------------------------------------------------------------

    def classify(self, exc: BaseException) -> MeetingProviderError:
        """Turn a client, transport or auth exception into a ``MeetingProviderError`` whose
        message says what to do (``lib.meetings.google_errors.classify``)."""
        return classify(exc, calendar_id=self.calendar_id, subject=self.subject,
                        timeout_seconds=self.timeout_seconds, scope=SCOPE)

    # -- internals -----------------------------------------------------------------------

    def _take_slot(self) -> None:
        """Owe a slot of the per-minute request budget for the next request this thread sends:
        ``_execute`` takes it once the request may go out. A thread owes one slot at most (an
        error between the two leaves nothing more to pay)."""
        self._local.owed_slot = True

    def _pay_slot(self) -> None:
        """Take the slot this thread owes, if any: wait for a free one of the budget."""
        if not getattr(self._local, "owed_slot", False):
            return
        try:
            self.quota.acquire()
        except CallExpertError as exc:  # the shared budget lives in the store, which may be down
            raise MeetingUnavailable(
                f"The shared Google request budget could not be read ({exc}); try again shortly."
            ) from exc
        self._local.owed_slot = False

    def _execute(self, request: Any, http: Any) -> Any:
        """Send one request, once (retries belong to the booking service), when fewer than
        ``requests_at_once`` of this provider's requests are on their way.

        The budget's slot is taken here, inside that limit, right before the request goes: a slot
        taken earlier would be counted from a moment before the request reached Google, and a
        burst held back by the limit for seconds would then reach Google in the same rolling
        minute as the next minute's slots (Google refuses the excess for quota)."""
        with self._on_the_way:
            self._pay_slot()
            return request.execute(http=http, num_retries=0)

    def _call(self, request: Any, *, duplicate_ok: bool = False, gone_ok: bool = False, slot: bool = True) -> Any:
        """Execute a request once (retries belong to the booking service); raise ``_Duplicate``
        or ``_Gone`` when asked to, else a classified ``MeetingProviderError``. ``slot=False``:
        the caller has taken this request's budget slot already."""
        if slot:
            self._take_slot()
        try:
            return self._execute(request, self._http())
        except HttpError as exc:
            status = int(getattr(exc.resp, "status", 0) or 0)
            norm = norm_reasons(http_reasons(exc))
            # 409 on insert is the id being taken ("duplicate"; google.rpc bodies may say only ALREADY_EXISTS).
            if duplicate_ok and status == 409 and ("duplicate" in norm or not norm - {"alreadyexists"}):
                raise _Duplicate() from exc
            if gone_ok and status in (404, 410):
                raise _Gone(status) from exc
            raise self.classify(exc) from exc
        except Exception as exc:  # noqa: BLE001 - everything leaves as MeetingProviderError
            raise self.classify(exc) from exc

    def _delete(self, event_id: str) -> int | None:
        """Delete an event and tell its attendees: None when this call deleted it, else the
        status (404 never existed, 410 deleted before) that says it is gone already."""
        try:
            self._call(
                self.service.events().delete(calendarId=self.calendar_id, eventId=event_id, sendUpdates="all"),
                gone_ok=True,
            )
        except _Gone as gone:
            return gone.status
        return None

    def _adopt(self, booking: Booking, event: dict[str, Any], event_id: str) -> dict[str, Any]:
        """Bring an event to the booking in one patch of what differs (``_changes``), if anything."""
        body = self._changes(booking, event, event_id)
        return self._patch(event_id, body) if body else event

    def _changes(self, booking: Booking, event: dict[str, Any], event_id: str) -> dict[str, Any]:
        """The patch that brings ``event`` to the booking as it is now; empty when all of it matches.

        The booking may have been rescheduled (or its names corrected) since the event was made,
        and the people were invited with the event as it was: start, end, summary and attendees are
        set where they differ (attendees who stay keep their answers). A booking with its link
        (confirmed) has the event carry that link (``link_changes``); one still waiting for it has
        an event without a conference ask for one with a new ``requestId``, and a failed
        conference is left as it is (that event is deleted instead).
        """
        link = booking.meeting_link
        if not link and conference_status(event) == "failure":
            return {}
        want = event_body(booking, event_id, self.timezone, self.reminder_minutes, self.language)
        body: dict[str, Any] = {}
        if not (self._same_moment(event.get("start"), want["start"])
                and self._same_moment(event.get("end"), want["end"])):
            body["start"], body["end"] = want["start"], want["end"]
        if (event.get("summary") or "") != want["summary"]:
            body["summary"] = want["summary"]
        have = {str(a.get("email", "")).lower(): a for a in event.get("attendees") or []}
        if set(have) != {a["email"].lower() for a in want["attendees"]}:
            body["attendees"] = [have.get(a["email"].lower(), a) for a in want["attendees"]]
        if link:
            body.update(link_changes(event, link, want["description"], self.language))
        elif "conferenceData" not in event and not event.get("hangoutLink"):
            body["conferenceData"] = conference_request(event_id, booking.link_attempts + 1)
        return body

    def _patch(self, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """One patch of the event (``conferenceDataVersion=1``, so its conference can change); the
        people are told (``sendUpdates=all``) unless it only asks Google for a conference."""
        people_see_it = set(body) != {"conferenceData"} or not (body["conferenceData"] or {}).get("createRequest")
        return self._call(
            self.service.events().patch(
                calendarId=self.calendar_id,
                eventId=event_id,
                body=body,
                conferenceDataVersion=1,
                sendUpdates="all" if people_see_it else "none",
            )
        )

    def _same_moment(self, have: Any, want: Mapping[str, str]) -> bool:
        """Whether an event's start (or end) as Google returns it is the wanted instant."""
        if not isinstance(have, Mapping) or not have.get("dateTime"):
            return False
        try:
            moment = datetime.fromisoformat(str(have["dateTime"]).replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo(str(have.get("timeZone") or self.timezone)))
        except (ValueError, KeyError):
            return False
        wanted = datetime.fromisoformat(want["dateTime"]).replace(tzinfo=ZoneInfo(want["timeZone"]))
        return moment == wanted

    def _existing(self, event_id: str) -> dict[str, Any] | None:
        """The event holding ``event_id``, or None if Google says it is deleted (410)."""
        self._take_slot()
        try:
            return self._execute(self.service.events().get(calendarId=self.calendar_id, eventId=event_id),
                                 self._http())
        except HttpError as exc:
            status = int(getattr(exc.resp, "status", 0) or 0)
            if status == 410:
                return None
            if status == 404:
                # Insert said the id exists; a 404 right after is Google catching up.
                raise MeetingUnavailable(
                    f"Google says event {event_id} exists but cannot return it yet; try again shortly.",
                ) from exc
            raise self.classify(exc) from exc
        except Exception as exc:  # noqa: BLE001
            raise self.classify(exc) from exc

    def _await_link(self, event: dict[str, Any], event_id: str) -> str:
        """Return the Meet link, reading the event again while the conference is pending.

        Reads are spaced 0.2 s, 0.4 s, ... up to 2 s apart. Each read goes through the shared
        rounds (``PendingReads.read``): alone it is one ``events.get``; with other threads waiting,
        one ``events.list`` answers them all. A read that fails for a reason that passes is
        waited out (at least its Retry-After) until the deadline; a permanent one ends the wait.
        """
        seen_at = self._clock()  # when Google's latest answer about the event arrived
        deadline = seen_at + self.conference_wait_seconds
        delay = _POLL_FIRST
        reads = self._reads
        counted = False
        last_error: Transient | None = None
        try:
            while True:
                if event.get("status") == "cancelled":
                    raise EventDeleted()
                status = conference_status(event)
                if status == "failure":
                    raise _ConferenceFailed()
                link = meet_link(event)
                if link and status in ("success", None):
                    return link
                remaining = deadline - self._clock()
                if remaining <= 0:
                    said = f" (the last read failed: {last_error})" if last_error is not None else ""
                    raise MeetingUnavailable(
                        f"Google is still preparing the Meet link of event {event_id} after "
                        f"{self.conference_wait_seconds:g} s{said}; try again shortly (the event is kept).",
                    )
                if not counted:
                    with reads.cond:
                        reads.waiting += 1
                    counted = True
                self._sleep(min(delay, remaining))
                delay = min(delay * 2, _POLL_MAX)
                try:
                    event = self._reads.read(event_id, updated_of(event), seen_at)
                except Transient as exc:
                    # The event exists and reading it again is harmless: a read that failed for a
                    # reason that passes (429, 5xx, a dropped connection) is waited out here, not
                    # turned into a new attempt that would insert, adopt and read all over again.
                    last_error = exc
                    delay = max(delay, exc.retry_after or 0.0)
                    if self._clock() + delay >= deadline:
                        raise again(exc) from exc
                    continue
                seen_at = self._clock()
        finally:
            if counted:
                with reads.cond:
                    reads.waiting -= 1

    def _list_recent(self, members: Mapping[str, datetime]
                     ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """The members' events as one ``events.list`` returns them, and every event it returned,
        by id (the round's slot is taken). Filter: modified since a little before the oldest
        member's ``updated``, deleted events included; further pages only while a member is still
        missing. An event the list does not return is simply absent (its thread reads it with a get)."""
        updated_min = (min(members.values()) - _UPDATED_SLACK).astimezone(UTC)
        found: dict[str, dict[str, Any]] = {}
        listed: dict[str, dict[str, Any]] = {}
        token: str | None = None
        first = True
        while True:
            request = self.service.events().list(
                calendarId=self.calendar_id,
                updatedMin=updated_min.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                showDeleted=True,
                maxResults=_LIST_PAGE,
                pageToken=token,
            )
            try:
                page = self._call(request, slot=not first, gone_ok=True)
            except _Gone as gone:
                if gone.status != 410:
                    raise self.classify(gone.__cause__ or gone) from gone.__cause__
                return found, listed  # updatedMin too long ago for Google: the members read their own
            first = False
            for item in page.get("items") or []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    listed[item["id"]] = item
                    if item["id"] in members:
                        found[item["id"]] = item
            token = page.get("nextPageToken")
            if not token or len(found) == len(members):
                return found, listed

    def _get_pending(self, event_id: str, *, slot_taken: bool = False) -> dict[str, Any]:
        """One ``events.get`` of an event whose conference is pending; ``EventDeleted`` if Google
        says it is deleted (410)."""
        if not slot_taken:
            self._take_slot()
        try:
            return self._execute(self.service.events().get(calendarId=self.calendar_id, eventId=event_id),
                                 self._http())
        except HttpError as exc:
            if int(getattr(exc.resp, "status", 0) or 0) == 410:
                raise EventDeleted() from exc
            raise self.classify(exc) from exc
        except Exception as exc:  # noqa: BLE001
            raise self.classify(exc) from exc

    def _http(self) -> Any:
        """This thread's http object, or None for the service's own (single-threaded use)."""
        if self._http_factory is None:
            return None
        own = getattr(self._local, "http", None)
        if own is None:
            own = self._local.http = self._http_factory()
        return own

class _Duplicate(Exception):
    """409: the event id is taken."""


class _Gone(Exception):
    """404/410 where that means the work is already done."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _ConferenceFailed(Exception):
    """The event's Meet conference ended in ``failure``."""
