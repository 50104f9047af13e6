"""The HTTP endpoint Midtrans posts payment notifications to: a small Starlette application,
served by uvicorn (``python -m lib serve-notifications``).

``POST /midtrans/notification`` applies one notification exactly as ``python -m lib
payment-notification`` does (signature, one status request, idempotent) and answers Midtrans
from the outcome: 200 applied or a harmless repeat, 400 refused, 503 when Midtrans or the store did
not answer (so Midtrans sends it again), 413 for a body over ``MAX_BODY_BYTES``. ``GET /healthz``
answers 200 when the store answers one read.

``GET /j/<token>`` is the Join link of emails when ``public_base_url`` is set: a known token
records one click and answers 302 to the booking's current meeting link (only ever a link stored
on the booking); an unknown or malformed token answers 404, a booking with no link to open now
(cancelled, expired) 410, each with a short fixed plain-text body. No user agent or address is
kept with the click.
A ``HEAD`` request (Starlette answers it on a ``GET`` route; mail scanners and link previews send
it) gets the same answer but records no click: only a ``GET`` is someone opening the link.

``/r/<token>`` and ``/c/<token>`` are the customer's Reschedule and Cancel pages
(``lib.entrypoints.web_self_service``, docs/self-service.md).

Answers are fixed, short JSON: nothing a caller sent is ever echoed back, and the log lines name
the outcome and the booking, never the body, a key or an error's text (which may quote the body).

The access log is the endpoint's own (``AccessLog``; uvicorn's, which writes the whole path and
the client's address, is off): one line per request with its method, its route, the status and
the time taken. A Join link's path is written ``/j/<token>``, a self-service page's
``/r/<token>`` or ``/c/<token>``, and any path that is not one of the routes ``<other path>``,
so no token (nor anything a caller put in a path or query) reaches a log. The client's address
is written only with the setting ``log_client_addresses``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lib.access import JOIN_REDIRECT, NOTIFICATION
from lib.entrypoints.web_self_service import TokenLimiter, self_service_routes
from lib.errors import CallExpertError, NotFound, Transient, log_unexpected
from lib.service import BookingService

log = logging.getLogger("lib.entrypoints.web")
access_log = logging.getLogger("lib.entrypoints.web.access")

# Midtrans's notification bodies are a few kilobytes; anything far bigger is not one.
MAX_BODY_BYTES = 64 * 1024

# The health check reads this booking id; no booking has it, so the store answers "none" quickly.
_NO_BOOKING = "00000000-0000-0000-0000-000000000000"

NOTIFICATION_PATH = "/midtrans/notification"
HEALTH_PATH = "/healthz"
JOIN_PATH = "/j/{token:path}"  # anything under /j/ gets the same fixed 404

# The Join redirect's answers are fixed text, and never cached: each open is a click.
_JOIN_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
_JOIN_UNKNOWN = "Not found.\n"
_JOIN_GONE = ("This session's meeting link is no longer available: the session was cancelled or did not "
              "take place. Reply to your booking email if you need help.\n")


class BodyTooLarge(Exception):
    """The request body is longer than ``MAX_BODY_BYTES``."""


def _answer(status: int, word: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A fixed answer: ``{"status": word}``, never anything from the request."""
    return JSONResponse({"status": word}, status_code=status, headers=headers)


async def read_limited(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, read chunk by chunk and refused as soon as it passes ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before reading; a body that lies about
    its length (or is chunked) is still cut off at the limit, never buffered whole.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def loggable_path(path: str) -> str:
    """``path`` as the access log may write it: the endpoint's fixed routes as they are, a Join
    link as ``/j/<token>``, a self-service page as ``/r/<token>`` or ``/c/<token>``, anything
    else as ``<other path>`` (it may hold a token sent to the wrong place). The query string is
    never part of it."""
    if path in (NOTIFICATION_PATH, HEALTH_PATH):
        return path
    for page in ("/j", "/r", "/c"):  # Join links and the self-service pages: the token is never written
        if path == page or path.startswith(f"{page}/"):
            return f"{page}/<token>"
    return "<other path>"


class AccessLog:
    """One ``lib.entrypoints.web.access`` line per HTTP request, written when its answer is sent:
    ``GET /j/<token> 302 3 ms`` (with ``with_address``: ``203.0.113.7 GET /j/<token> 302 3 ms``)."""

    def __init__(self, app: ASGIApp, with_address: bool = False) -> None:
        self.app = app
        self.with_address = with_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the application fails before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method = scope.get("method", "")
            line = (f"{method if method in _METHODS else '<other method>'} {loggable_path(scope.get('path', ''))} "
                    f"{status} {round((time.perf_counter() - started) * 1000)} ms")
            if self.with_address:
                # Behind the reverse proxy, uvicorn has already put the forwarded address here.
                host = (scope.get("client") or ("-", 0))[0]
                line = f"{host} {line}"
            access_log.info("%s", line)


def create_app(service: BookingService, self_service_limiter: TokenLimiter | None = None) -> Starlette:
    """The endpoint's ASGI application over one booking service (built once per process);
    ``self_service_limiter``: the self-service pages' per-token limit (the default's otherwise)."""

    async def notification(request: Request) -> JSONResponse:
        try:
            body = await read_limited(request)
        except BodyTooLarge:
            log.warning("notification refused: body over %d bytes", MAX_BODY_BYTES)
            return _answer(413, "too large")
        except ClientDisconnect:
            return _answer(400, "refused")
        try:
            payload: Any = json.loads(body)
        except (ValueError, RecursionError):  # ValueError covers bad UTF-8 and bad JSON
            log.warning("notification refused: not JSON")
            return _answer(400, "refused")
        try:
            # The service is synchronous (requests, sqlite3, supabase-py): keep it off the event loop.
            result = await run_in_threadpool(service.apply_payment_notification, payload, actor=NOTIFICATION)
        except Transient as exc:
            # The error's class says which side did not answer; its text is not logged (it may quote input).
            log.warning("notification not applied, asking Midtrans to send it again: %s", type(exc).__name__)
            return _answer(503, "try again", {"Retry-After": "60"})
        except CallExpertError as exc:
            log.warning("notification refused: %s", type(exc).__name__)
            return _answer(400, "refused")
        except Exception as exc:  # noqa: BLE001 - answered and logged without its message
            log_unexpected(log, "notification failed", exc)
            return _answer(500, "error")
        log.info("notification applied: booking %s is %s", result.booking.id, result.booking.status.value)
        return _answer(200, "ok")

    async def health(request: Request) -> JSONResponse:
        try:
            await run_in_threadpool(service.get_booking, _NO_BOOKING, actor=NOTIFICATION)
        except NotFound:
            pass  # the store answered
        except CallExpertError as exc:
            log.warning("health check: the store did not answer: %s", type(exc).__name__)
            return _answer(503, "store unavailable")
        except Exception as exc:  # noqa: BLE001
            log_unexpected(log, "health check failed", exc)
            return _answer(503, "store unavailable")
        return _answer(200, "ok")

    async def join(request: Request) -> Response:
        token = str(request.path_params.get("token", ""))
        try:
            link = await run_in_threadpool(service.follow_join_link, token, actor=JOIN_REDIRECT,
                                           click=request.method == "GET")
        except NotFound:
            return PlainTextResponse(_JOIN_UNKNOWN, status_code=404, headers=_JOIN_HEADERS)
        except CallExpertError as exc:
            log.warning("join link not followed: %s", type(exc).__name__)
            return PlainTextResponse("Please try again in a minute.\n", status_code=503,
                                     headers={**_JOIN_HEADERS, "Retry-After": "30"})
        except Exception as exc:  # noqa: BLE001
            log_unexpected(log, "join link failed", exc)
            return PlainTextResponse("Please try again in a minute.\n", status_code=500, headers=_JOIN_HEADERS)
        if link is None:
            return PlainTextResponse(_JOIN_GONE, status_code=410, headers=_JOIN_HEADERS)
        return RedirectResponse(link, status_code=302, headers=_JOIN_HEADERS)

    return Starlette(routes=[Route(NOTIFICATION_PATH, notification, methods=["POST"]),
                             Route(HEALTH_PATH, health, methods=["GET"]),
                             Route(JOIN_PATH, join, methods=["GET"]),
                             *self_service_routes(service, self_service_limiter)],
                     middleware=[Middleware(AccessLog, with_address=service.settings.log_client_addresses)])


def uvicorn_config(app: Starlette, host: str, port: int) -> Any:  # a uvicorn.Config
    """How uvicorn serves the endpoint: plain HTTP on ``host:port`` (TLS is the reverse proxy's)."""
    import uvicorn

    return uvicorn.Config(
        # access_log off: uvicorn's line holds the whole path (a Join token) and the client's
        # address; AccessLog writes the endpoint's own.
        app, host=host, port=port, log_config=None, access_log=False,
        # Notifications come one at a time; beyond this many open requests uvicorn answers 503 itself.
        limit_concurrency=64,
        # X-Forwarded-For from the reverse proxy on the same machine names the real client (logged
        # only with the setting log_client_addresses).
        proxy_headers=True, forwarded_allow_ips="127.0.0.1",
    )


def serve(service: BookingService, host: str, port: int) -> None:
    """Serve the endpoint until SIGINT or SIGTERM (uvicorn stops cleanly on either)."""
    import uvicorn

    uvicorn.Server(uvicorn_config(create_app(service), host, port)).run()
