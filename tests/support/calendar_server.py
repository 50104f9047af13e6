"""A small local server that speaks enough of Google Calendar API v3 for the real client.

It serves events (insert, get, list, patch, delete), calendars.get, freebusy.query and an OAuth token endpoint, keeps
everything in memory and records every request. Faults are injected per request, so tests can
show what the provider does when Google is slow, rate-limits, errors or drops the connection::

    with CalendarServer() as server:
        server.faults.extend(["500", "429", "drop"])      # next API requests, in order
        server.method_faults["events.get"].append("503")  # only the next events.get
        server.pending_gets = 2                           # Meet link ready on the 2nd read (get or list)
        server.latency = 0.2                              # every API request takes 0.2 s
        server.fault_rate = 0.1                           # chaos: 10 % random faults (seeded)
        server.conference_failures = 1                    # the next conference ends in "failure"
        server.error_shape = "details"                    # error bodies as google.rpc ErrorInfo
        server.busy["expert@example.com"] = [("2025-03-04T09:00:00+07:00", "2025-03-04T10:00:00+07:00")]
        server.busy_errors["expert@example.com"] = "notFound"  # that calendar fails inside the 200
        server.granted_scopes = {"https://www.googleapis.com/auth/calendar.events"}  # tokens for others fail
        server.unlisted.add(event_id)                     # events.list leaves that event out (a get finds it)

Google's own shape, each off by default (the benchmark turns them all on)::

        server.latency_model = LogNormal(median=0.2, p99=1.5)  # each API request's latency, drawn (seeded)
        server.pending_reads = (1, 2)      # each new conference pending for k reads, k drawn from 1..2
        server.rate_limit_share = 0.02     # 2 % of API requests: 429 rateLimitExceeded, work not done
        server.rate_limit_retry_after = 1  # ... with this Retry-After (seconds)
        server.quota_per_minute = 600      # Google's per-user quota: a rolling 60 s window
        server.served_latency()            # the mean latency the API requests were served with

``latency_model`` replaces ``latency`` when set; what each request waited is in its
``RecordedRequest.latency`` (token requests wait nothing), with the event it was about
(``event_id``: inserts, gets, patches and deletes) and the Retry-After it was told
(``retry_after``); ``conference_reads()`` says how many reads each event's conference was made
pending for. The waits go through ``sleep``
(``time.sleep``), so a test can take the draws without waiting. ``pending_reads=(lo, hi)``:
the insert's own answer is read 1, so k=1 answers the insert pending and the next get with the
link, k=2 answers the first get pending too; it replaces ``pending_gets`` when set. The quota
counts the API requests of the whole server (one organizer, one project: Google counts per user
per project) in the last 60 s of ``clock`` (``time.monotonic``); a request beyond it answers 429
``rateLimitExceeded`` with Retry-After the whole seconds until a slot frees, does no work and
takes no slot. Requests the quota admits take a slot even when ``rate_limit_share`` then
answers them 429. Queued ``faults`` bypass all three.

Fault names are the keys of ``FAULTS`` plus ``"timeout"`` (wait ``timeout_delay`` seconds, then
do the work and answer), ``"late"`` (do the work, then hold the answer ``timeout_delay`` seconds,
past the client's timeout), ``"drop"`` (do the work, then close the connection without an answer)
and ``"500after"``/``"503after"`` (do the work, then answer 500/503 as if it had failed).

Conference data counts only on a write with ``conferenceDataVersion=1`` (without it Google ignores
it): ``createRequest`` asks for a new Meet conference; null removes the event's conference; anything
else must attach an existing Meet meeting as Google documents it (``conferenceSolution.key.type``
``hangoutsMeet``, ``conferenceId`` its ``aaa-bbbb-ccc`` code and one ``video`` entry point whose uri is
``https://meet.google.com/<that code>``), which sets ``hangoutLink``; any other shape is a 400 and
changes nothing. ``change_conference(event_id)`` gives an event another meeting, as a person could.

Where Google is strict, so is this server: an id once used (deleted events included) answers 409
on insert, and a conference ``requestId`` already used for an event is ignored, as Google
documents ("If an ID provided is the same as for the previous request, the request is ignored").
freebusy.query needs ``timeMin`` and ``timeMax`` (RFC 3339 with an offset, the end after the
start) and ``items``; a calendar it does not know is a ``notFound`` error for that calendar
inside the 200 answer, as Google does for a calendar the caller may not see.

events.list (``GET .../calendars/{id}/events``) takes ``updatedMin`` (RFC 3339 with an offset;
events modified at or after it, deleted ones included whatever ``showDeleted`` says, as Google
documents), ``showDeleted``, ``singleEvents`` (``true``/``false``), ``orderBy`` (``updated``, or
``startTime`` only with ``singleEvents=true``), ``maxResults`` (at least 1, capped at 2500, default
250) and ``pageToken`` (only a ``nextPageToken`` this server gave for the same query). Any other
value of these is a 400, and so is any other parameter (this stand-in does not implement it). The
default order is a stable one (the order events were inserted); each event a list returns counts
as one read of it for ``pending_gets``, so "reads" means gets and list results alike.
"""

from __future__ import annotations

import base64
import json
import math
import random
import re
import socket
import string
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from statistics import NormalDist
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

API_PREFIX = "/calendar/v3/"
TOKEN_PATH = "/token"
EVENT_ID_RE = re.compile(r"^[0-9a-v]{5,1024}$")
MEET_CODE_RE = re.compile(r"[a-z]{3}-[a-z]{4}-[a-z]{3}")  # a Meet meeting code, e.g. abc-defg-hij
ENTRY_POINT_TYPES = ("video", "phone", "sip", "more")
MEET_ICON = ("https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/"
             "logo_meet_2020q4_color_2x_web_512dp.png")

# name -> (status, reason, message, extra headers)
FAULTS: dict[str, tuple[int, str, str, dict[str, str]]] = {
    "500": (500, "backendError", "Backend Error", {}),
    "503": (503, "backendError", "The service is currently unavailable.", {}),
    "429": (429, "rateLimitExceeded", "Rate Limit Exceeded", {"Retry-After": "1"}),
    "403rate": (403, "rateLimitExceeded", "Rate Limit Exceeded", {}),
    "403userrate": (403, "userRateLimitExceeded", "User Rate Limit Exceeded", {}),
    "403forbidden": (403, "forbidden", "Forbidden", {}),
    "403scope": (403, "insufficientPermissions", "Request had insufficient authentication scopes.", {}),
    "403serviceaccount": (
        403,
        "forbiddenForServiceAccounts",
        "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.",
        {},
    ),
    "400conference": (400, "invalid", "Invalid conference type value.", {}),
    "401": (401, "authError", "Invalid Credentials", {}),
    "404": (404, "notFound", "Not Found", {}),
}
# The google.rpc shape of the same errors (newer Google front ends answer with `status` and
# `details[]` of ErrorInfo): fault name -> (status text, ErrorInfo reason).
RPC_SHAPES: dict[str, tuple[str, str]] = {
    "429": ("RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED"),
    "403rate": ("PERMISSION_DENIED", "RATE_LIMIT_EXCEEDED"),
    "403userrate": ("PERMISSION_DENIED", "RATE_LIMIT_EXCEEDED"),
}
# Faults that do the work before answering: "late" holds the answer for ``timeout_delay`` (past
# the client's timeout), these answer with the 5xx they name although the change was applied.
AFTER_WORK: dict[str, str] = {"500after": "500", "503after": "503"}
DEFAULT_RANDOM_FAULTS: tuple[str, ...] = ("500", "503", "429", "403rate", "timeout", "drop")


QUOTA_WINDOW = 60.0  # seconds: Google's per-minute quotas count a rolling minute
_Z99 = NormalDist().inv_cdf(0.99)


@dataclass(frozen=True)
class LogNormal:
    """A latency distribution given by its median and 99th percentile (seconds), as measured
    latencies are usually described: ``exp(N(ln median, sigma))`` with sigma from the p99."""

    median: float
    p99: float

    def __post_init__(self) -> None:
        if not 0 < self.median <= self.p99:
            raise ValueError("need 0 < median <= p99")

    @property
    def sigma(self) -> float:
        return math.log(self.p99 / self.median) / _Z99

    @property
    def mean(self) -> float:
        """The expected latency: median * exp(sigma^2 / 2), above the median for any tail."""
        return self.median * math.exp(self.sigma ** 2 / 2)

    def draw(self, rng: random.Random) -> float:
        return rng.lognormvariate(math.log(self.median), self.sigma)


class _ApiError(Exception):
    def __init__(self, status: int, reason: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; ``op`` is e.g. ``"events.insert"`` or ``"token"``."""

    op: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    fault: str | None = None
    latency: float = 0.0  # seconds this request was made to wait before its answer
    event_id: str | None = None  # the event an insert, get, patch or delete was about
    retry_after: float | None = None  # the Retry-After (seconds) a 429 or other error answer told
    at: float = 0.0  # when it came (the server's ``clock``)


@dataclass
class _Conference:
    request_id: str
    pending_left: int
    outcome: str
    code: str
    reads: int = 0  # the reads it was made pending for (``pending_left`` when it was requested)


@dataclass
class CalendarServer:
    """Calendar API v3 look-alike on 127.0.0.1 (port 0), run in a background thread.

    Use as a context manager, or call ``start()`` and ``stop()``. ``base_url`` is what the
    client takes as ``api_endpoint``; ``token_url`` is an OAuth token endpoint.
    """

    seed: int = 0
    # Reads (events.get, or an events.list that returns the event) a new conference needs to be
    # ready: the insert answers "pending" while this is above 0, and each read counts one down.
    pending_gets: int = 0
    conference_outcome: str = "success"  # what a pending conference turns into: success | failure
    latency: float = 0.0  # seconds added to every API request
    timeout_delay: float = 2.0  # how long a "timeout" fault waits before answering
    fault_rate: float = 0.0  # chance of a random fault on an API request
    random_faults: tuple[str, ...] = DEFAULT_RANDOM_FAULTS
    token_error: str | None = None  # e.g. "invalid_grant": the token endpoint answers 400
    require_auth: bool = False  # API requests need a token issued by /token (or "x")
    # What a get of a deleted event answers: "410" (gone) or "cancelled" (200, status cancelled);
    # Google does both, depending on how long ago the event was deleted.
    deleted_get: str = "410"
    # How many of the next conference requests end in "failure" (before conference_outcome applies).
    conference_failures: int = 0
    # Error body shape: "errors" (Calendar's classic errors[]), "details" (google.rpc ErrorInfo in
    # details[], no errors[]) or "both" (details[] first, with a Help entry before the ErrorInfo).
    error_shape: str = "errors"
    # Google's shape (see the module docstring); None / 0 is off.
    latency_model: LogNormal | None = None
    pending_reads: tuple[int, int] | None = None
    rate_limit_share: float = 0.0
    rate_limit_retry_after: int = 1
    quota_per_minute: int | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    faults: deque[str] = field(default_factory=deque)
    method_faults: defaultdict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    requests: list[RecordedRequest] = field(default_factory=list)
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    calendars: dict[str, dict[str, Any]] = field(default_factory=dict)
    issued_tokens: list[str] = field(default_factory=list)
    # freebusy.query: busy ranges per calendar id, as RFC 3339 strings (answered as written when
    # inside the asked window); the calendar's live events are busy too (unless "transparent").
    busy: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # freebusy.query: calendar id -> reason of the error Google gives for that calendar in a 200.
    busy_errors: dict[str, str] = field(default_factory=dict)
    # Scopes a token may be issued for; None: any. Others get invalid_scope (refresh token) or
    # unauthorized_client (a delegated service account), as Google answers.
    granted_scopes: set[str] | None = None
    # Event ids events.list leaves out although they match (Google's lists may lag behind its
    # gets); a get still returns them.
    unlisted: set[str] = field(default_factory=set)
    # Per operation ("events.insert"): a request of it waits for the gate to open before doing its
    # work, and sets ``arrived[op]`` first, so a test can act while that request is in flight.
    gates: dict[str, threading.Event] = field(default_factory=dict)
    arrived: defaultdict[str, threading.Event] = field(default_factory=lambda: defaultdict(threading.Event))

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._lock = threading.RLock()
        self._conferences: dict[tuple[str, str], _Conference] = {}
        self._request_ids: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._in_flight = 0
        self.most_in_flight = 0  # the most requests (token ones included) this server answered at once
        self._idle = threading.Condition(self._lock)
        self._quota_sent: deque[float] = deque()  # when the admitted API requests came, oldest first
        if not self.calendars:
            self.add_calendar("primary")

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> CalendarServer:
        """Listen on a free loopback port and serve in a daemon thread."""
        handler = type("Handler", (_Handler,), {"state": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> CalendarServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The ``api_endpoint`` for the client: ends in ``/calendar/v3/``."""
        return f"{self.root_url}{API_PREFIX}"

    @property
    def token_url(self) -> str:
        return f"{self.root_url}{TOKEN_PATH}"

    # -- test helpers ----------------------------------------------------------------------

    def add_calendar(self, calendar_id: str, *, meet: bool = True, time_zone: str = "Asia/Jakarta") -> None:
        """Add a calendar; ``meet=False`` makes one whose conference types exclude hangoutsMeet."""
        allowed = ["hangoutsMeet"] if meet else ["eventHangout"]
        with self._lock:
            self.calendars[calendar_id] = {
                "kind": "calendar#calendar",
                "etag": f'"{uuid.uuid4().hex}"',
                "id": calendar_id,
                "summary": calendar_id,
                "timeZone": time_zone,
                "conferenceProperties": {"allowedConferenceSolutionTypes": allowed},
            }
            self.events.setdefault(calendar_id, {})

    def count(self, op: str | None = None) -> int:
        """Requests received, all of them or those of one operation (``"events.get"`` ...)."""
        with self._lock:
            return sum(1 for r in self.requests if op is None or r.op == op)

    def ops(self) -> list[str]:
        """The operations received so far, in order."""
        with self._lock:
            return [r.op for r in self.requests]

    def live_events(self, calendar_id: str = "primary") -> list[dict[str, Any]]:
        """Events of a calendar that are not deleted."""
        with self._lock:
            return [e for e in self.events.get(calendar_id, {}).values() if e.get("status") != "cancelled"]

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being handled (e.g. a "timeout" fault finishing its work)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def remove_conference(self, event_id: str, calendar_id: str = "primary") -> None:
        """Take the Meet conference off an event, as someone editing it in Google Calendar would;
        the request ids it was made with stay used."""
        with self._lock:
            event = self.events[calendar_id][event_id]
            event.pop("conferenceData", None)
            event.pop("hangoutLink", None)
            self._conferences.pop((calendar_id, event_id), None)

    def change_conference(self, event_id: str, calendar_id: str = "primary") -> str:
        """Give an event another Meet conference, as someone in Google Calendar would (removing its
        conference and adding a new one); returns the new Meet link."""
        with self._lock:
            event = self.events[calendar_id][event_id]
            code = self._meet_code()
            self._attach_conference(calendar_id, event, {
                "conferenceId": code, "conferenceSolution": {"key": {"type": "hangoutsMeet"}},
                "entryPoints": [{"entryPointType": "video", "uri": f"https://meet.google.com/{code}"}]})
            event["updated"] = _now()
            return str(event["hangoutLink"])

    def conference_reads(self, calendar_id: str = "primary") -> dict[str, int]:
        """Event id -> the reads its (latest) conference was made pending for, after the insert
        or patch that requested it."""
        with self._lock:
            return {event_id: conf.reads for (cal, event_id), conf in self._conferences.items()
                    if cal == calendar_id}

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def served_latency(self) -> float:
        """The mean latency the recorded API requests were served with (token requests excluded)."""
        with self._lock:
            waits = [r.latency for r in self.requests if r.op != "token"]
        return sum(waits) / len(waits) if waits else 0.0

    def rate_limited(self) -> int:
        """API requests answered 429 by ``rate_limit_share`` or the quota (not queued faults)."""
        with self._lock:
            return sum(1 for r in self.requests if r.fault in ("rate_limit", "quota"))

    # -- request handling (called from handler threads) ------------------------------------

    def _next_fault(self, op: str) -> str | None:
        with self._lock:
            queue = self.method_faults.get(op)
            if queue:
                return queue.popleft()
            if op == "token":  # the global queue and chaos are for API requests only
                return None
            if self.faults:
                return self.faults.popleft()
            if self.fault_rate and self.rng.random() < self.fault_rate:
                return self.rng.choice(self.random_faults)
        return None

    def _latency_for(self, op: str) -> float:
        """How long this request waits: none for tokens, else drawn from ``latency_model`` or ``latency``."""
        if op == "token":
            return 0.0
        with self._lock:
            return self.latency_model.draw(self.rng) if self.latency_model else self.latency

    def _rate_limit(self, op: str) -> tuple[_ApiError | None, str | None]:
        """The 429 an API request gets from the quota or the rate-limit share, if any, with the
        fault name recorded for it ("quota" or "rate_limit")."""
        if op == "token":
            return None, None
        with self._lock:
            if self.quota_per_minute:
                now = self.clock()
                sent = self._quota_sent
                while sent and now - sent[0] >= QUOTA_WINDOW:
                    sent.popleft()
                if len(sent) >= self.quota_per_minute:
                    free_in = max(1, math.ceil(QUOTA_WINDOW - (now - sent[0])))
                    return _ApiError(429, "rateLimitExceeded", "Rate Limit Exceeded",
                                     {"Retry-After": str(free_in)}), "quota"
                sent.append(now)
            if self.rate_limit_share and self.rng.random() < self.rate_limit_share:
                return _ApiError(429, "rateLimitExceeded", "Rate Limit Exceeded",
                                 {"Retry-After": str(self.rate_limit_retry_after)}), "rate_limit"
        return None, None

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def _meet_code(self) -> str:
        letters = string.ascii_lowercase
        parts = ("".join(self.rng.choice(letters) for _ in range(n)) for n in (3, 4, 3))
        return "-".join(parts)

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.token_error:
            descriptions = {
                "invalid_grant": "Token has been expired or revoked.",
                "unauthorized_client": "Client is unauthorized to retrieve access tokens using this method.",
            }
            return 400, {"error": self.token_error,
                         "error_description": descriptions.get(self.token_error, self.token_error)}
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"):
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."}
        wanted = set(_token_scope(form).split())
        if self.granted_scopes is not None and not wanted <= self.granted_scopes:
            if grant == "refresh_token":
                return 400, {"error": "invalid_scope", "error_description": "Some requested scopes were invalid."}
            return 401, {"error": "unauthorized_client",
                         "error_description": "Client is unauthorized to retrieve access tokens using this method, "
                                              "or client not authorized for any of the scopes requested."}
        with self._lock:
            token = f"ya29.local-{len(self.issued_tokens) + 1}"
            self.issued_tokens.append(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer", "scope": form.get("scope", "")}

    def _check_auth(self, headers: dict[str, str]) -> None:
        if not self.require_auth:
            return
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        if token != "x" and token not in self.issued_tokens:
            raise _ApiError(401, "authError", "Invalid Credentials")

    def _calendar(self, calendar_id: str) -> dict[str, Any]:
        cal = self.calendars.get(calendar_id)
        if cal is None:
            raise _ApiError(404, "notFound", "Not Found")
        return cal

    def _api(self, op: str, method: str, parts: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        with self._lock:
            if op == "freebusy.query":
                return 200, self._freebusy(body)
            if op == "calendars.get":
                return 200, dict(self._calendar(parts[0]))
            calendar_id = parts[0]
            self._calendar(calendar_id)
            events = self.events.setdefault(calendar_id, {})
            conference_on = query.get("conferenceDataVersion") == "1"
            if op == "events.insert":
                return 200, self._insert(calendar_id, events, body, conference_on)
            if op == "events.list":
                return 200, self._list(calendar_id, events, query)
            event_id = parts[2]
            event = events.get(event_id)
            if event is None:
                raise _ApiError(404, "notFound", "Not Found")
            if event.get("status") == "cancelled":
                if op == "events.get" and self.deleted_get == "cancelled":
                    return 200, _public(event)
                raise _ApiError(410, "deleted", "Resource has been deleted")
            if op == "events.get":
                self._advance_conference(calendar_id, event)
                return 200, _public(event)
            if op == "events.patch":
                return 200, self._patch(calendar_id, event, body, conference_on)
            if op == "events.delete":
                event["status"] = "cancelled"
                event["updated"] = _now()
                return 204, None
        raise _ApiError(404, "notFound", "Not Found")

    def _list(self, calendar_id: str, events: dict[str, dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        """Answer events.list as strictly as Google checks the parameters this server knows."""
        for name in query:
            if name in _LIST_UNSUPPORTED:
                raise _ApiError(400, "invalid", f"events.list parameter {name} is not implemented by this stand-in")
            if name not in _LIST_PARAMS:
                raise _ApiError(400, "invalid", f"Unknown parameter: {name}")
        show_deleted = _flag(query, "showDeleted")
        single = _flag(query, "singleEvents")
        updated_min = _rfc3339(query["updatedMin"], "updatedMin") if "updatedMin" in query else None
        # Google: timeMin bounds an event's end (exclusive), timeMax its start (exclusive).
        time_min = _rfc3339(query["timeMin"], "timeMin") if "timeMin" in query else None
        time_max = _rfc3339(query["timeMax"], "timeMax") if "timeMax" in query else None
        if time_min is not None and time_max is not None and time_max <= time_min:
            raise _ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        raw_max = query.get("maxResults", "250")
        if not re.fullmatch(r"-?[0-9]{1,10}", raw_max) or int(raw_max) < 1:
            raise _ApiError(400, "invalid", "Invalid value for: maxResults")
        page_size = min(int(raw_max), 2500)  # "The page size can never be larger than 2500 events."
        order = query.get("orderBy")
        if order not in (None, "updated", "startTime"):
            raise _ApiError(400, "invalid", "Invalid value for: orderBy")
        if order == "startTime" and not single:
            raise _ApiError(400, "badRequest", "The requested ordering is not available for the particular query.")

        chosen = []
        for event in events.values():
            if event["id"] in self.unlisted:
                continue
            stamp = _stamp(event.get("updated"))
            if updated_min is not None and (stamp is None or stamp < updated_min):
                continue
            # updatedMin: "entries deleted since this time will always be included regardless of showDeleted"
            if event.get("status") == "cancelled" and not show_deleted and updated_min is None:
                continue
            if time_min is not None or time_max is not None:
                begin, finish = _event_range(event)
                if (time_min is not None and finish <= time_min) or (time_max is not None and begin >= time_max):
                    continue
            chosen.append(event)
        if order == "updated":
            chosen.sort(key=lambda e: (_stamp(e.get("updated")) or datetime.min.replace(tzinfo=UTC), e["id"]))
        elif order == "startTime":
            chosen.sort(key=lambda e: (datetime.fromisoformat(e["start"]["dateTime"]), e["id"]))

        # A page token names the query it belongs to and the last event given, so a page never
        # skips an event that was there when the listing began (changes between pages may repeat one).
        shape = json.dumps({k: v for k, v in sorted(query.items()) if k not in ("pageToken", "alt")})
        start = 0
        if "pageToken" in query:
            try:
                token = json.loads(base64.urlsafe_b64decode(query["pageToken"].encode("ascii")))
                if token["q"] != shape:
                    raise ValueError("another query")
                ids = [e["id"] for e in chosen]
                start = ids.index(token["after"]) + 1 if token["after"] in ids else int(token["n"])
            except (ValueError, KeyError, TypeError, UnicodeError):
                raise _ApiError(400, "invalid", "Invalid value for: pageToken") from None
        page = chosen[start:start + page_size]
        items = []
        for event in page:
            self._advance_conference(calendar_id, event)  # a list result is a read of the event
            items.append(_public(event))
        cal = self.calendars[calendar_id]
        answer: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"{uuid.uuid4().int % 10**16}"',
            "summary": cal["summary"],
            "updated": _now(),
            "timeZone": cal["timeZone"],
            "accessRole": "owner",
            "defaultReminders": [],
            "items": items,
        }
        if start + page_size < len(chosen):
            token = {"q": shape, "after": page[-1]["id"], "n": start + page_size}
            answer["nextPageToken"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode("ascii")
        return answer

    def _freebusy(self, body: Any) -> dict[str, Any]:
        """Answer freebusy.query as strictly as Google checks the request."""
        if not isinstance(body, dict):
            raise _ApiError(400, "parseError", "Parse Error")
        begin = _rfc3339(body.get("timeMin"), "timeMin")
        finish = _rfc3339(body.get("timeMax"), "timeMax")
        if finish <= begin:
            raise _ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        zone_name = body.get("timeZone")
        if zone_name is not None:
            try:
                ZoneInfo(str(zone_name))
            except (ZoneInfoNotFoundError, ValueError):
                raise _ApiError(400, "invalid", "Invalid value for: timeZone") from None
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise _ApiError(400, "required", "Required: items")
        calendars: dict[str, Any] = {}
        for item in items:
            calendar_id = item.get("id") if isinstance(item, dict) else None
            if not calendar_id:
                raise _ApiError(400, "required", "Required: items.id")
            reason = self.busy_errors.get(calendar_id)
            if reason is None and calendar_id not in self.calendars and calendar_id not in self.busy:
                reason = "notFound"
            if reason is not None:
                calendars[calendar_id] = {"errors": [{"domain": "global", "reason": reason}], "busy": []}
                continue
            calendars[calendar_id] = {"busy": self._busy_in(calendar_id, begin, finish)}
        return {"kind": "calendar#freeBusy", "timeMin": _utc(begin), "timeMax": _utc(finish), "calendars": calendars}

    def _busy_in(self, calendar_id: str, begin: datetime, finish: datetime) -> list[dict[str, str]]:
        """The calendar's busy ranges that overlap [begin, finish): set ranges as written, those
        cut by the window and events' ranges in UTC ("Z"), as Google writes times by default."""
        ranges: list[tuple[datetime, datetime, str, str]] = []
        for start_text, end_text in self.busy.get(calendar_id, []):
            start, end = datetime.fromisoformat(start_text), datetime.fromisoformat(end_text)
            ranges.append((start, end, start_text, end_text))
        for event in self.events.get(calendar_id, {}).values():
            if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
                continue
            start = datetime.fromisoformat(event["start"]["dateTime"])
            end = datetime.fromisoformat(event["end"]["dateTime"])
            ranges.append((start, end, _utc(start), _utc(end)))
        out: list[tuple[datetime, dict[str, str]]] = []
        for start, end, start_text, end_text in ranges:
            if end <= begin or start >= finish:
                continue
            shown_start = start_text if start >= begin else _utc(begin)
            shown_end = end_text if end <= finish else _utc(finish)
            out.append((max(start, begin), {"start": shown_start, "end": shown_end}))
        return [entry for _, entry in sorted(out, key=lambda pair: pair[0])]

    def _insert(self, calendar_id: str, events: dict[str, dict[str, Any]], body: Any,
                conference_on: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _ApiError(400, "parseError", "Parse Error")
        event_id = body.get("id") or uuid.uuid4().hex
        if not EVENT_ID_RE.match(event_id):
            raise _ApiError(400, "invalid", "Invalid resource id value.")
        if event_id in events:  # deleted events keep their id too
            raise _ApiError(409, "duplicate", "The requested identifier already exists.")
        start, end = _check_times(body.get("start"), body.get("end"))
        now = _now()
        event: dict[str, Any] = {
            "kind": "calendar#event",
            "etag": f'"{uuid.uuid4().int % 10**16}"',
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            "created": now,
            "updated": now,
            "summary": body.get("summary", ""),
            "description": body.get("description", ""),
            **({"location": body["location"]} if body.get("location") else {}),
            "creator": {"email": "organizer@example.com", "self": True},
            "organizer": {"email": "organizer@example.com", "self": True},
            "start": start,
            "end": end,
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "attendees": [{"responseStatus": "needsAction", **a} for a in body.get("attendees", [])],
            "reminders": body.get("reminders", {"useDefault": True}),
            "eventType": "default",
        }
        if conference_on and "conferenceData" in body:
            self._request_conference(calendar_id, event, body["conferenceData"])
        events[event_id] = event
        return _public(event)

    def _patch(self, calendar_id: str, event: dict[str, Any], body: Any, conference_on: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _ApiError(400, "parseError", "Parse Error")
        times = (_check_times(body.get("start", event["start"]), body.get("end", event["end"]))
                 if "start" in body or "end" in body else None)
        if conference_on and "conferenceData" in body:  # before any change: a refused patch changes nothing
            self._request_conference(calendar_id, event, body["conferenceData"])
        if times is not None:
            event["start"], event["end"] = times
            event["sequence"] += 1
        for key in ("summary", "description", "attendees", "reminders", "location"):
            if key in body:
                event[key] = body[key]
        if not event.get("location"):
            event.pop("location", None)  # Google leaves an emptied location out of the event
        event["updated"] = _now()
        return _public(event)

    def _request_conference(self, calendar_id: str, event: dict[str, Any], data: Any) -> None:
        """``conferenceData`` of a write with ``conferenceDataVersion=1``: null removes the event's
        conference, a ``createRequest`` asks for a new one, else it must name an existing one."""
        if data is None:
            event.pop("conferenceData", None)
            event.pop("hangoutLink", None)
            self._conferences.pop((calendar_id, event["id"]), None)
            return
        if not isinstance(data, dict):
            raise _ApiError(400, "invalid", "Invalid value for: conferenceData")
        request = data.get("createRequest")
        if not request:
            self._attach_conference(calendar_id, event, data)
            return
        kind = (request.get("conferenceSolutionKey") or {}).get("type")
        allowed = self.calendars[calendar_id]["conferenceProperties"]["allowedConferenceSolutionTypes"]
        if kind not in allowed:
            raise _ApiError(400, "invalid", "Invalid conference type value.")
        request_id = request.get("requestId") or ""
        used = self._request_ids[(calendar_id, event["id"])]
        if request_id in used:
            return  # Google ignores a repeated requestId for the same event
        used.add(request_id)
        outcome = self.conference_outcome
        if self.conference_failures > 0:
            self.conference_failures -= 1
            outcome = "failure"
        pending = self.rng.randint(*self.pending_reads) if self.pending_reads else self.pending_gets
        conf = _Conference(request_id, pending, outcome, self._meet_code(), reads=pending)
        self._conferences[(calendar_id, event["id"])] = conf
        event["conferenceData"] = {
            "createRequest": {
                "requestId": request_id,
                "conferenceSolutionKey": {"type": kind},
                "status": {"statusCode": "pending"},
            }
        }
        self._settle(event, conf)

    def _attach_conference(self, calendar_id: str, event: dict[str, Any], data: dict[str, Any]) -> None:
        """Copy an existing Meet conference onto the event, as strictly as Google documents it:
        ``conferenceSolution`` and at least one entry point are required, the solution a type the
        calendar allows (only ``hangoutsMeet`` here), and the video entry point the Meet link of
        ``conferenceId`` (the ``aaa-bbbb-ccc`` meeting code). The event's ``hangoutLink`` is then that link."""
        solution = data.get("conferenceSolution")
        entries = data.get("entryPoints")
        if not isinstance(solution, dict) or not isinstance(entries, list) or not entries:
            raise _ApiError(400, "invalid", "Either conferenceSolution and at least one entryPoint, "
                                            "or createRequest is required.")
        kind = (solution.get("key") or {}).get("type") if isinstance(solution.get("key"), dict) else None
        allowed = self.calendars[calendar_id]["conferenceProperties"]["allowedConferenceSolutionTypes"]
        if kind != "hangoutsMeet" or kind not in allowed:
            raise _ApiError(400, "invalid", "Invalid conference type value.")
        code = data.get("conferenceId")
        if not isinstance(code, str) or not MEET_CODE_RE.fullmatch(code):
            raise _ApiError(400, "invalid", "Invalid value for: conferenceData.conferenceId")
        videos = [e for e in entries if isinstance(e, dict) and e.get("entryPointType") == "video"]
        if any(not isinstance(e, dict) or e.get("entryPointType") not in ENTRY_POINT_TYPES for e in entries):
            raise _ApiError(400, "invalid", "Invalid value for: conferenceData.entryPoints.entryPointType")
        uri = f"https://meet.google.com/{code}"
        if len(videos) != 1 or videos[0].get("uri") != uri:
            raise _ApiError(400, "invalid", "Invalid conference data: the video entry point must be the "
                                            "meeting's link.")
        self._conferences.pop((calendar_id, event["id"]), None)
        event["hangoutLink"] = uri
        event["conferenceData"] = {
            "entryPoints": [{"entryPointType": "video", "uri": uri, "label": f"meet.google.com/{code}"}],
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet", "iconUri": MEET_ICON},
            "conferenceId": code,
        }

    def _advance_conference(self, calendar_id: str, event: dict[str, Any]) -> None:
        conf = self._conferences.get((calendar_id, event["id"]))
        if conf is not None and conf.pending_left > 0:
            conf.pending_left -= 1
            self._settle(event, conf)

    @staticmethod
    def _settle(event: dict[str, Any], conf: _Conference) -> None:
        """Turn a pending conference into its outcome once no pending reads are left."""
        data = event["conferenceData"]
        if conf.pending_left > 0 or data["createRequest"]["status"]["statusCode"] != "pending":
            return
        data["createRequest"]["status"]["statusCode"] = conf.outcome
        if conf.outcome != "success":
            return
        uri = f"https://meet.google.com/{conf.code}"
        event["hangoutLink"] = uri
        data.update(
            {
                "entryPoints": [{"entryPointType": "video", "uri": uri, "label": f"meet.google.com/{conf.code}"}],
                "conferenceSolution": {
                    "key": {"type": "hangoutsMeet"},
                    "name": "Google Meet",
                    "iconUri": MEET_ICON,
                },
                "conferenceId": conf.code,
            }
        )


_STATUS_TEXT = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                409: "ALREADY_EXISTS", 410: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                503: "UNAVAILABLE"}


# events.list parameters this server implements, and those Google has that it does not.
_LIST_PARAMS = frozenset({"updatedMin", "showDeleted", "singleEvents", "orderBy", "maxResults", "pageToken", "alt",
                          "timeMin", "timeMax"})
_LIST_UNSUPPORTED = frozenset({"q", "iCalUID", "syncToken", "timeZone", "maxAttendees",
                               "privateExtendedProperty", "sharedExtendedProperty", "eventTypes",
                               "showHiddenInvitations", "alwaysIncludeEmail", "fields"})


def _event_range(event: dict[str, Any]) -> tuple[datetime, datetime]:
    """An event's start and end as aware instants (its ``timeZone`` for a wall-clock time)."""
    def one(when: dict[str, Any]) -> datetime:
        moment = datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(when.get("timeZone") or "UTC"))
    return one(event["start"]), one(event["end"])


def _flag(query: dict[str, str], name: str) -> bool:
    """A boolean query parameter as Google reads it: absent is false, else true or false."""
    value = query.get(name, "false").lower()
    if value not in ("true", "false"):
        raise _ApiError(400, "invalid", f"Invalid value for: {name}")
    return value == "true"


def _stamp(value: Any) -> datetime | None:
    """An event's ``updated`` as an aware datetime (None when the event has none)."""
    if not value:
        return None
    return datetime.fromisoformat(str(value))


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc3339(value: Any, name: str) -> datetime:
    """A freebusy time: required, RFC 3339 with a date, a time and an offset (or "Z")."""
    if value in (None, ""):
        raise _ApiError(400, "required", f"Required: {name}")
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _ApiError(400, "invalid", f"Invalid value for: {name}") from None
    if "T" not in str(value) or moment.tzinfo is None:
        raise _ApiError(400, "invalid", f"Invalid value for: {name}")
    return moment


def _token_scope(form: dict[str, str]) -> str:
    """The scope a token request asks for: the form's (refresh token) or the signed assertion's."""
    if "assertion" not in form:
        return form.get("scope", "")
    try:
        payload = form["assertion"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    return str(claims.get("scope", ""))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _public(event: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(event))  # a deep copy, so later changes don't leak into answers


def _parse_when(value: Any, label: str) -> tuple[datetime, dict[str, Any]]:
    """Parse a start/end like Google: dateTime with an offset, or wall clock plus timeZone."""
    if not isinstance(value, dict) or "dateTime" not in value:
        raise _ApiError(400, "required", f"Missing {label} time.")
    try:
        moment = datetime.fromisoformat(value["dateTime"])
    except (TypeError, ValueError):
        raise _ApiError(400, "invalid", f"Invalid {label} time.") from None
    tz_name = value.get("timeZone")
    if moment.tzinfo is None:
        if not tz_name:
            raise _ApiError(400, "timeRangeEmpty", f"Missing time zone definition for {label} time.")
        try:
            moment = moment.replace(tzinfo=ZoneInfo(tz_name))
        except (ZoneInfoNotFoundError, ValueError):
            raise _ApiError(400, "timeZoneInvalid", f"Invalid time zone definition for {label} time.") from None
    shown: dict[str, Any] = {"dateTime": moment.isoformat()}
    if tz_name:
        shown["timeZone"] = tz_name
    return moment, shown


def _check_times(start: Any, end: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    begin, start_out = _parse_when(start, "start")
    finish, end_out = _parse_when(end, "end")
    if finish <= begin:
        raise _ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
    return start_out, end_out


def _route(method: str, path: str) -> tuple[str, list[str]] | None:
    """Map a request to (operation, path parts after /calendar/v3/calendars/)."""
    if path == TOKEN_PATH and method == "POST":
        return "token", []
    if path == API_PREFIX + "freeBusy" and method == "POST":
        return "freebusy.query", []
    prefix = API_PREFIX + "calendars/"
    if not path.startswith(prefix):
        return None
    parts = [unquote(p) for p in path[len(prefix) :].split("/")]
    if len(parts) == 1 and method == "GET":
        return "calendars.get", parts
    if len(parts) == 2 and parts[1] == "events" and method == "POST":
        return "events.insert", parts
    if len(parts) == 2 and parts[1] == "events" and method == "GET":
        return "events.list", parts
    if len(parts) == 3 and parts[1] == "events":
        op = {"GET": "events.get", "PATCH": "events.patch", "PUT": "events.patch",
              "DELETE": "events.delete"}.get(method)
        if op:
            return op, parts
    return None


class _Handler(BaseHTTPRequestHandler):
    state: CalendarServer
    protocol_version = "HTTP/1.1"  # keep-alive, as Google does; httplib2 reuses connections

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle plus the client's
        # delayed ACK add about 40 ms to many answers.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        state = self.state
        with state._idle:
            state._in_flight += 1
            state.most_in_flight = max(state.most_in_flight, state._in_flight)
        self._counted = True
        try:
            self._serve(method)
        finally:
            self._leave()

    def _leave(self) -> None:
        """No longer in flight: called before the answer is written (once the client has it, its
        next request may come before this thread would otherwise get to count this one done)."""
        if getattr(self, "_counted", False):
            self._counted = False
            with self.state._idle:
                self.state._in_flight -= 1
                self.state._idle.notify_all()

    def _serve(self, method: str) -> None:
        state = self.state
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        route = _route(method, url.path)
        op = route[0] if route else "unknown"
        if op == "token":
            body: Any = dict(parse_qsl(raw.decode("utf-8")))
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
        fault = state._next_fault(op)
        shaped: _ApiError | None = None
        if fault is None:
            shaped, fault = state._rate_limit(op)
        wait = state._latency_for(op)
        event_id = None
        if op == "events.insert" and isinstance(body, dict) and isinstance(body.get("id"), str):
            event_id = body["id"]
        elif op in ("events.get", "events.patch", "events.delete") and route:
            event_id = route[1][2]
        told = shaped.headers.get("Retry-After") if shaped is not None else \
            FAULTS[fault][3].get("Retry-After") if fault in FAULTS else None
        state._record(RecordedRequest(op, method, url.path, query, body, headers, fault, wait, event_id,
                                      float(told) if told is not None else None, state.clock()))

        gate = state.gates.get(op)
        if gate is not None:
            state.arrived[op].set()
            gate.wait(60)
        if wait:
            state.sleep(wait)
        if shaped is not None:
            self._send_error(shaped)
            return
        if fault in FAULTS:
            status, reason, message, extra = FAULTS[fault]
            self._send_error(_ApiError(status, reason, message, extra))
            return
        if fault == "timeout":
            time.sleep(state.timeout_delay)  # the client gives up first; the work still happens

        try:
            if route is None:
                raise _ApiError(404, "notFound", "Not Found")
            if op == "token":
                status, payload = state._token(body)
            else:
                state._check_auth(headers)
                status, payload = state._api(op, method, route[1], query, body)
        except _ApiError as exc:
            status, payload, error = exc.status, None, exc
        else:
            error = None

        if fault == "drop":  # the work is done, the answer is lost
            self.close_connection = True
            return
        if fault == "late":  # the work is done, the answer comes after the client gave up
            time.sleep(state.timeout_delay)
        elif fault in AFTER_WORK:  # the work is done, yet the answer is a 5xx
            status_code, reason, message, extra = FAULTS[AFTER_WORK[fault]]
            error = _ApiError(status_code, reason, message, extra)
        try:
            if error is not None:
                self._send_error(error)
            else:
                self._send_json(status, payload)
        except OSError:
            pass  # the client timed out and went away

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self._leave()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _send_error(self, error: _ApiError) -> None:
        shape = self.state.error_shape
        body: dict[str, Any] = {"code": error.status, "message": error.message}
        if shape in ("errors", "both"):
            body["errors"] = [{"domain": "global", "reason": error.reason, "message": error.message}]
        if shape in ("details", "both"):
            fault = next((k for k, v in FAULTS.items() if v[:3] == (error.status, error.reason, error.message)), "")
            status_text, rpc_reason = RPC_SHAPES.get(fault, (_STATUS_TEXT.get(error.status, "UNKNOWN"), error.reason))
            body["status"] = status_text
            info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": rpc_reason,
                    "domain": "googleapis.com", "metadata": {"service": "calendar-json.googleapis.com"}}
            help_link = {"@type": "type.googleapis.com/google.rpc.Help",
                         "links": [{"description": "Calendar API usage limits",
                                    "url": "https://developers.google.com/calendar/api/guides/quota"}]}
            # "both" puts a Help entry first, so a reader that looks only at details[0] finds no reason.
            body["details"] = [help_link, info] if shape == "both" else [info]
        payload = {"error": body}
        try:
            self._send_json(error.status, payload, error.headers)
        except OSError:
            pass
