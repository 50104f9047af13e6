"""A small local server that speaks enough of the Google Meet REST API v2 and the People API v1
for the real google-api-python-client::

    with MeetServer() as server:
        name = server.add_record("abc-mnop-xyz", "2030-03-11T07:00:00Z", "2030-03-11T08:00:00Z", [
            signed_in("111", "Budi Santoso", "2030-03-11T07:01:00Z", "2030-03-11T07:58:00Z"),
            anonymous("Guest", "2030-03-11T07:05:00Z", "2030-03-11T07:06:00Z"),
        ])
        server.people["111"] = "budi@example.com"   # people/111 -> its email (else 404)
        server.faults.extend(["503", "429"])        # the next API requests fail, in order
        server.op_faults["people.get"].append("503")  # only the next people.get fails
        server.page_size = 1                        # force paging

As strict as Google where the client can get it wrong: ``conferenceRecords.list`` accepts only a
``space.meeting_code = "xxx-yyyy-zzz"`` filter (else 400 INVALID_ARGUMENT), ``pageSize`` at most
100 and only page tokens it issued; participants of an unknown record answer 404; ``people.get``
needs ``personFields`` and answers 404 for someone it does not know; every request needs a
bearer token. Records are listed newest first, as Google does.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_FILTER_RE = re.compile(r'^\s*space\.meeting_code\s*=\s*"([a-z]{3}-[a-z]{4}-[a-z]{3})"\s*$')
FAULTS: dict[str, tuple[int, str, str]] = {
    "500": (500, "INTERNAL", "Internal error encountered."),
    "503": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "429": (429, "RESOURCE_EXHAUSTED", "Quota exceeded."),
    "403": (403, "PERMISSION_DENIED", "The caller does not have permission."),
}


def signed_in(user_id: str, name: str, start: str, end: str | None) -> dict[str, Any]:
    """A signed-in participant as the Meet API returns it."""
    return _times({"signedinUser": {"user": f"users/{user_id}", "displayName": name}}, start, end)


def anonymous(name: str, start: str, end: str | None) -> dict[str, Any]:
    """A participant who joined without signing in (a name typed in the lobby)."""
    return _times({"anonymousUser": {"displayName": name}}, start, end)


def phone(start: str, end: str | None) -> dict[str, Any]:
    """A participant who dialled in (Google shows part of the number)."""
    return _times({"phoneUser": {"displayName": "+62 ***-***-12"}}, start, end)


def _times(body: dict[str, Any], start: str, end: str | None) -> dict[str, Any]:
    body["earliestStartTime"] = start
    if end:
        body["latestEndTime"] = end
    return body


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class MeetServer:
    """Meet API v2 and People API v1 look-alike on 127.0.0.1 (port 0) in a background thread.

    ``base_url`` is what the client takes as ``api_endpoint`` for both.
    """

    page_size: int = 25  # Google's default page when the client names none
    records: list[dict[str, Any]] = field(default_factory=list)
    participants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)
    faults: deque[str] = field(default_factory=deque)
    op_faults: defaultdict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (op, path, query)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, int] = {}
        self._httpd: ThreadingHTTPServer | None = None

    # -- setting up --------------------------------------------------------------------------
    def add_record(self, code: str, start: str, end: str | None, participants: list[dict[str, Any]]) -> str:
        """Add a conference record of meeting ``code`` (``end`` None: still live); its name."""
        name = f"conferenceRecords/{uuid.uuid4().hex[:12]}"
        record = {"name": name, "startTime": start, "space": f"spaces/{code.replace('-', '')}", "_code": code}
        if end:
            record["endTime"] = end
        with self._lock:
            self.records.append(record)
            self.participants[name] = [dict(p, name=f"{name}/participants/{i}") for i, p in enumerate(participants)]
        return name

    def ops(self) -> list[str]:
        with self._lock:
            return [op for op, _, _ in self.requests]

    # -- serving -----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def __enter__(self) -> MeetServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                try:
                    status, body = server._answer(parts.path, query, self.headers.get("Authorization", ""))
                except _ApiError as exc:
                    status, body = exc.status, {"error": {"code": exc.status, "message": exc.message,
                                                          "status": exc.code}}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self, path: str, query: dict[str, str], auth: str) -> tuple[int, dict[str, Any]]:
        if path == "/v2/conferenceRecords":
            op = "conferenceRecords.list"
        elif re.fullmatch(r"/v2/conferenceRecords/[^/]+/participants", path):
            op = "participants.list"
        elif re.fullmatch(r"/v1/people/[^/]+", path):
            op = "people.get"
        else:
            raise _ApiError(404, "NOT_FOUND", f"No such method: {path}")
        with self._lock:
            self.requests.append((op, path, query))
            own = self.op_faults[op]
            fault = own.popleft() if own else self.faults.popleft() if self.faults else None
        if not auth.startswith("Bearer "):
            raise _ApiError(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        if fault:
            raise _ApiError(*FAULTS[fault])
        if op == "people.get":
            if query.get("personFields") != "emailAddresses":
                raise _ApiError(400, "INVALID_ARGUMENT", "personFields mask is required.")
            person = path.rsplit("/", 1)[1]
            email = self.people.get(person)
            if email is None:
                raise _ApiError(404, "NOT_FOUND", "Requested entity was not found.")
            return 200, {"resourceName": f"people/{person}",
                         "emailAddresses": [{"metadata": {"primary": True}, "value": email}]}
        if op == "conferenceRecords.list":
            found = _FILTER_RE.match(query.get("filter", ""))
            if not found:
                raise _ApiError(400, "INVALID_ARGUMENT", f"Invalid filter: {query.get('filter', '')!r}")
            with self._lock:
                items = sorted((r for r in self.records if r["_code"] == found.group(1)),
                               key=lambda r: r["startTime"], reverse=True)
                items = [{k: v for k, v in r.items() if not k.startswith("_")} for r in items]
            return 200, self._page(items, query, "conferenceRecords", f"records:{found.group(1)}")
        parent = path.removeprefix("/v2/").rsplit("/", 1)[0]
        with self._lock:
            items = list(self.participants.get(parent, [])) if parent in self.participants else None
        if items is None:
            raise _ApiError(404, "NOT_FOUND", f"Requested entity was not found: {parent}")
        return 200, self._page(items, query, "participants", f"participants:{parent}")

    def _page(self, items: list[dict[str, Any]], query: dict[str, str], key: str, what: str) -> dict[str, Any]:
        size = int(query.get("pageSize") or self.page_size)
        if not 0 < size <= 100 and "pageSize" in query:
            raise _ApiError(400, "INVALID_ARGUMENT", "pageSize must be between 1 and 100.")
        size = min(size, self.page_size)
        start = 0
        if query.get("pageToken"):
            with self._lock:
                token = self._tokens.get(f"{what}|{query['pageToken']}")
            if token is None:
                raise _ApiError(400, "INVALID_ARGUMENT", "Invalid page token.")
            start = token
        body: dict[str, Any] = {key: items[start:start + size]}
        if start + size < len(items):
            token = uuid.uuid4().hex
            with self._lock:
                self._tokens[f"{what}|{token}"] = start + size
            body["nextPageToken"] = token
        return body
