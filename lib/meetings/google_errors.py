"""What Google's errors mean: the machine reasons of an ``HttpError`` in both body shapes, its
Retry-After, and one sentence ops can act on for every failure (``classify``), shared by the
Calendar provider and the Meet attendance reader.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any

import httplib2
from google.auth import exceptions as auth_errors
from googleapiclient.errors import HttpError

from lib.errors import MeetingFailed, MeetingProviderError, MeetingUnavailable, Transient

# Compared lower-case without underscores, so the classic `errors[].reason` ("rateLimitExceeded")
# and google.rpc ErrorInfo reasons ("RATE_LIMIT_EXCEEDED") match alike.
RATE_REASONS = frozenset({"ratelimitexceeded", "userratelimitexceeded", "quotaexceeded", "resourceexhausted"})
# A token without the scope a request needs (a 403 whatever calendar it names).
SCOPE_REASONS = frozenset({"insufficientpermissions", "accesstokenscopeinsufficient"})


def classify(exc: BaseException, *, calendar_id: str, subject: str, timeout_seconds: float,
             scope: str) -> MeetingProviderError:
    """Turn a client, transport or auth exception into a ``MeetingProviderError`` whose
    message says what to do: ``MeetingUnavailable`` (with Google's ``Retry-After`` hint) when
    trying again can help, else ``MeetingFailed``."""
    if isinstance(exc, MeetingProviderError):
        return exc
    cal = calendar_id
    if isinstance(exc, HttpError):
        status = int(getattr(exc.resp, "status", 0) or 0)
        reasons = http_reasons(exc)
        norm = norm_reasons(reasons)
        reason = next((r for r in reasons if norm_reasons([r]) & RATE_REASONS), reasons[0] if reasons else "")
        message = (getattr(exc, "reason", "") or "").strip()
        wait = retry_after(exc.resp)
        said = f"Google said: {message}" if message else f"HTTP {status}"
        if status == 429 or (status == 403 and bool(norm & RATE_REASONS)):
            return MeetingUnavailable(
                f"Google Calendar rate limit reached ({reason or status}); try again shortly.",
                retry_after=wait,
            )
        if status >= 500:
            return MeetingUnavailable(
                f"Google Calendar had a server error (HTTP {status}); try again shortly.",
                retry_after=wait,
            )
        if status == 400 and "conference type" in message.lower():
            return MeetingFailed(
                f"Calendar {cal!r} cannot create Google Meet conferences ({said}). The organizer account "
                "needs Meet enabled; a service account needs domain-wide delegation with `subject` set "
                "to a Workspace user.",
            )
        if status == 401:
            return MeetingFailed(
                "Google rejected the credentials (HTTP 401); check `credentials_file`/`credentials_json` "
                "under [google] and create a new key or token if it was revoked.",
            )
        if status == 403 and "forbiddenforserviceaccounts" in norm:
            now = f" (now {subject!r})" if subject else ""
            return MeetingFailed(
                "The service account needs domain-wide delegation (set `subject` under [google] to the "
                f"organizer's Workspace email{now}) to invite attendees and add Meet; {said}.",
            )
        if status == 403:
            who = f"Account {subject!r}" if subject else "The organizer account"
            return MeetingFailed(
                f"{who} has no write access to calendar {cal!r} ({said}); share the calendar with "
                "'Make changes to events' or use the organizer's own calendar.",
            )
        if status == 404:
            return MeetingFailed(
                f"Calendar {cal!r} (or its event) was not found for these credentials; check "
                "`calendar_id` under [google] (\"primary\" is the organizer's own calendar).",
            )
        return MeetingFailed(f"Google Calendar refused the request (HTTP {status}); {said}.")
    if isinstance(exc, auth_errors.RefreshError):
        text = str(exc.args[0]) if exc.args else ""
        if "invalid_grant" in text:
            return MeetingFailed(
                "Google refused the token refresh (invalid_grant): the refresh token was revoked or expired "
                "(OAuth apps in Testing status expire tokens after 7 days) - create a new token and put it "
                "in `credentials_file`/`credentials_json`. For a service account, check the key is not "
                "deleted and the machine clock is right.",
            )
        if "unauthorized_client" in text:
            return MeetingFailed(
                "Google refused the token refresh (unauthorized_client): domain-wide delegation is not "
                "granted for this client id/scope in the Workspace admin console (Security > API controls > "
                f"Domain-wide delegation, scope {scope}).",
            )
        # Google's answer is "error: description"; local failures are fixed sentences. Neither
        # holds a secret, but keep it short for the ops page.
        said = text if len(text) <= 200 else text[:197] + "..."
        # google-auth marks a refresh worth retrying (a 5xx or a timeout of its token endpoint).
        return (MeetingUnavailable if exc.retryable else MeetingFailed)(
            f"Google rejected the credentials: the access token could not be refreshed ({said}); "
            "check `credentials_file`/`credentials_json` under [google]."
        )
    if isinstance(exc, auth_errors.TransportError):
        return MeetingUnavailable(
            f"Google's token endpoint could not be reached within {timeout_seconds:g} s; try again shortly.",
        )
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return MeetingUnavailable(
            f"Google did not answer within {timeout_seconds:g} s; try again shortly."
        )
    if is_transport_error(exc):
        return MeetingUnavailable(
            f"Google did not answer: the connection failed ({type(exc).__name__}) before a reply "
            "came; try again shortly.",
        )
    return MeetingUnavailable(
        f"Unexpected error talking to Google Calendar ({type(exc).__name__}); "
        "try again, and report it if it repeats.",
    )


def http_reasons(exc: Any) -> list[str]:
    """Google's machine reasons of an HttpError, from both shapes of the error body.

    Calendar's classic body lists them in ``error.errors[].reason`` ("rateLimitExceeded");
    the google.rpc shape has ``error.details[]`` entries, the ErrorInfo among them with a
    ``reason`` ("RATE_LIMIT_EXCEEDED"), and ``error.status``. The client keeps only one of the
    lists (``error_details``), so the body is read here. Reasons come back as written,
    in body order, with ``status`` last; compare them through ``norm_reasons``.
    """
    found: list[Any] = []
    try:
        error = json.loads(exc.content.decode("utf-8")).get("error")
    except (AttributeError, UnicodeDecodeError, ValueError):
        error = None
    if isinstance(error, dict):
        for key in ("errors", "details"):
            entries = error.get(key)
            if isinstance(entries, list):
                found += [e.get("reason") for e in entries if isinstance(e, dict)]
        found.append(error.get("status"))
    else:
        details = getattr(exc, "error_details", None)
        if isinstance(details, list):
            found += [d.get("reason") for d in details if isinstance(d, dict)]
    return [str(r) for r in found if r]


def norm_reasons(reasons: list[str]) -> set[str]:
    """Reasons lower-case without underscores: "RATE_LIMIT_EXCEEDED" == "rateLimitExceeded"."""
    return {r.replace("_", "").lower() for r in reasons}


def retry_after(resp: Any) -> float | None:
    """Seconds from a Retry-After header (a number; HTTP dates are rare from Google)."""
    try:
        value = resp.get("retry-after") or resp.get("Retry-After")
    except AttributeError:
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def is_transport_error(exc: BaseException) -> bool:
    return isinstance(exc, (ConnectionError, OSError, httplib2.HttpLib2Error, http.client.HTTPException))


def health_summary(err: MeetingProviderError) -> str:
    text = str(err)
    if "invalid_grant" in text:
        return "Google token revoked or expired (invalid_grant): create a new token"
    if "unauthorized_client" in text:
        return "Domain-wide delegation not granted (unauthorized_client)"
    if "was not found" in text:
        return "Google calendar not found: check calendar_id"
    if "rejected the credentials" in text:
        return "Google credentials rejected"
    if "no write access" in text:
        return "No access to the Google calendar"
    if isinstance(err, Transient):
        return "Google Calendar not reachable right now"
    return "Google Calendar check failed"
