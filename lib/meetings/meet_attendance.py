"""Who joined a Google Meet session: the Meet REST API v2 conference records of a meeting code,
and the People API for the email behind a signed-in participant's Google user id.

One call is one attempt. Errors come back as ``MeetingUnavailable`` (transient: rate limits,
5xx, timeouts, an unreachable token endpoint) or ``MeetingFailed`` (permanent: missing scope,
no access), under the same rules as the Calendar provider; the attendance service decides
when to ask again. Each of the two APIs is asked with credentials of its own (see
``from_settings``), so a grant made before these scopes existed keeps creating Meet links.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth import exceptions as auth_errors
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from lib.config import GoogleSettings
from lib.errors import MeetingFailed, MeetingProviderError, MeetingUnavailable
from lib.meetings.google_auth import load_credentials
from lib.meetings.google_errors import RATE_REASONS, http_reasons, is_transport_error, norm_reasons, retry_after
from lib.meetings.meet_records import MeetReading, Participant

MEET_SCOPE = "https://www.googleapis.com/auth/meetings.space.readonly"
DIRECTORY_SCOPE = "https://www.googleapis.com/auth/directory.readonly"
# One meeting code has a handful of records (people leaving and coming back) and a 1:1 session a
# handful of participants; these bound a runaway paging loop, far above both.
_MAX_PAGES = 20


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value))  # RFC 3339 with "Z" and fractions (Python 3.11)


class GoogleMeetAttendance:
    """Reads conference records (``meet`` v2) and, when allowed, participants' emails (``people`` v1).

    ``meet`` and ``people`` are built resources; ``http_factory``/``people_http_factory`` make
    each thread's http objects (httplib2 connections are not thread-safe). ``people`` None means
    emails are not resolved: participants are matched by display name.
    """

    def __init__(self, meet: Any, people: Any = None, *, http_factory: Callable[[], Any] | None = None,
                 people_http_factory: Callable[[], Any] | None = None, timeout_seconds: float = 15.0) -> None:
        self.meet = meet
        self.people = people
        self.timeout_seconds = timeout_seconds
        self._http_factory = http_factory
        self._people_http_factory = people_http_factory
        self._local = threading.local()

    @property
    def resolves_emails(self) -> bool:
        """Whether signed-in participants are looked up in the People API."""
        return self.people is not None

    @classmethod
    def from_settings(cls, google: GoogleSettings) -> GoogleMeetAttendance:
        """Build both clients from the ``[google]`` settings (discovery shipped with the client).

        The Meet API gets credentials asking only for ``MEET_SCOPE``, the People API (when
        ``resolve_participant_emails`` is on) credentials asking only for ``DIRECTORY_SCOPE``,
        each separate from the Calendar ones.
        """
        meet_creds = load_credentials(google, scopes=(MEET_SCOPE,))

        def new_http(creds: Any) -> Any:
            # proxy_info=None: requests go straight to the endpoint, whatever http_proxy says.
            return google_auth_httplib2.AuthorizedHttp(
                creds, http=httplib2.Http(timeout=google.timeout_seconds, proxy_info=None))

        meet = build("meet", "v2", http=new_http(meet_creds), static_discovery=True, cache_discovery=False,
                     client_options={"api_endpoint": google.meet_api_endpoint})
        people = people_factory = None
        if google.resolve_participant_emails:
            people_creds = load_credentials(google, scopes=(DIRECTORY_SCOPE,))
            people = build("people", "v1", http=new_http(people_creds), static_discovery=True,
                           cache_discovery=False, client_options={"api_endpoint": google.people_api_endpoint})
            people_factory = lambda: new_http(people_creds)  # noqa: E731
        return cls(meet, people, http_factory=lambda: new_http(meet_creds), people_http_factory=people_factory,
                   timeout_seconds=google.timeout_seconds)

    def read(self, code: str) -> MeetReading:
        """Every conference record of meeting ``code`` and all their participants (all pages)."""
        records: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(_MAX_PAGES):
            page = self._call(self.meet.conferenceRecords().list(
                filter=f'space.meeting_code = "{code}"', pageSize=100, pageToken=token), "meet")
            records += page.get("conferenceRecords") or []
            token = page.get("nextPageToken")
            if not token:
                break
        people: list[Participant] = []
        live = False
        for record in records:
            end = _time(record.get("endTime"))
            live = live or end is None
            token = None
            for _ in range(_MAX_PAGES):
                page = self._call(self.meet.conferenceRecords().participants().list(
                    parent=record["name"], pageSize=100, pageToken=token), "meet")
                people += [_participant(p, end) for p in page.get("participants") or []]
                token = page.get("nextPageToken")
                if not token:
                    break
        return MeetReading(records=len(records), live=live, participants=tuple(people))

    def email_of(self, user: str) -> str | None:
        """The primary email of Google user ``users/{id}`` in the People API, or None when Google
        has none for these credentials (not in the Workspace directory: 403 or 404).
        Transient failures raise ``MeetingUnavailable``; other refusals ``MeetingFailed``."""
        if self.people is None or not user.startswith("users/"):
            return None
        request = self.people.people().get(resourceName="people/" + user.removeprefix("users/"),
                                           personFields="emailAddresses")
        try:
            person = self._call(request, "people", missing_ok=True)
        except _Missing:
            return None
        addresses = person.get("emailAddresses") or []
        primary = [a for a in addresses if (a.get("metadata") or {}).get("primary")] or addresses
        value = str(primary[0].get("value") or "").strip().lower() if primary else ""
        return value or None

    # -- internals -----------------------------------------------------------------------

    def _http(self, api: str) -> Any:
        factory = self._people_http_factory if api == "people" else self._http_factory
        if factory is None:
            return None
        own = getattr(self._local, api, None)
        if own is None:
            own = factory()
            setattr(self._local, api, own)
        return own

    def _call(self, request: Any, api: str, *, missing_ok: bool = False) -> Any:
        try:
            return request.execute(http=self._http(api), num_retries=0)
        except HttpError as exc:
            status = int(getattr(exc.resp, "status", 0) or 0)
            if missing_ok and status in (403, 404) and not norm_reasons(http_reasons(exc)) & RATE_REASONS:
                raise _Missing() from exc
            raise self.classify(exc, api) from exc
        except Exception as exc:  # noqa: BLE001 - everything leaves as MeetingProviderError
            raise self.classify(exc, api) from exc

    def classify(self, exc: BaseException, api: str = "meet") -> MeetingProviderError:
        """``MeetingUnavailable`` when asking again later can help, else ``MeetingFailed``; the
        message says what to do and holds no secret."""
        if isinstance(exc, MeetingProviderError):
            return exc
        name, scope = ("Google Meet", MEET_SCOPE) if api == "meet" else ("The Google People API", DIRECTORY_SCOPE)
        if isinstance(exc, HttpError):
            status = int(getattr(exc.resp, "status", 0) or 0)
            norm = norm_reasons(http_reasons(exc))
            wait = retry_after(exc.resp)
            if status == 429 or (status == 403 and norm & RATE_REASONS):
                return MeetingUnavailable(f"{name} rate limit reached (HTTP {status}); asked again later.",
                                          retry_after=wait)
            if status >= 500:
                return MeetingUnavailable(f"{name} had a server error (HTTP {status}); asked again later.",
                                          retry_after=wait)
            if status == 401:
                return MeetingFailed(f"{name} rejected the credentials (HTTP 401); check `credentials_file`/"
                                     "`credentials_json` under [google].")
            if status == 403:
                return MeetingFailed(
                    f"{name} refused access (HTTP 403): the credentials need the scope {scope}, and the account "
                    "must own or have joined the meeting; see docs/google.md.")
            return MeetingFailed(f"{name} refused the request (HTTP {status}).")
        if isinstance(exc, auth_errors.RefreshError):
            text = str(exc.args[0]) if exc.args else ""
            if "invalid_scope" in text or "unauthorized_client" in text or "access_denied" in text:
                return MeetingFailed(
                    f"{name}: the Google credentials are not allowed the scope {scope}. Add it to the domain-wide "
                    "delegation of the service account, or create the OAuth token again with it (docs/google.md).")
            if "invalid_grant" in text:
                return MeetingFailed("Google refused the token refresh (invalid_grant): create a new token.")
            return (MeetingUnavailable if exc.retryable else MeetingFailed)(
                f"{name}: the access token could not be refreshed; check the [google] credentials.")
        if isinstance(exc, auth_errors.TransportError):
            return MeetingUnavailable("Google's token endpoint could not be reached; asked again later.")
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return MeetingUnavailable(f"{name} did not answer within {self.timeout_seconds:g} s; asked again later.")
        if is_transport_error(exc):
            return MeetingUnavailable(f"{name} could not be reached ({type(exc).__name__}); asked again later.")
        return MeetingUnavailable(f"Unexpected error reading {name} ({type(exc).__name__}); asked again later.")


class _Missing(Exception):
    """The People API has no such person for these credentials."""


def _participant(raw: dict[str, Any], record_end: datetime | None) -> Participant:
    joined = _time(raw.get("earliestStartTime"))
    left = _time(raw.get("latestEndTime")) or record_end
    if "signedinUser" in raw:
        user = raw["signedinUser"] or {}
        return Participant("signed in", str(user.get("displayName") or ""), joined, left, str(user.get("user") or ""))
    if "anonymousUser" in raw:
        return Participant("anonymous", str((raw["anonymousUser"] or {}).get("displayName") or ""), joined, left)
    return Participant("phone", str((raw.get("phoneUser") or {}).get("displayName") or ""), joined, left)
