"""The customer's self-service pages on the public endpoint (docs/self-service.md), linked from
their emails when ``public_base_url`` is set:

- ``GET /r/<token>``: the booking and the expert's free times of the coming days (``?from=`` a
  later week); ``GET /r/<token>?at=YYYY-MM-DDTHH:MM``: confirm that time; ``POST /r/<token>``
  (``form``, ``at``) moves the booking;
- ``GET /c/<token>``: what cancelling means under the policy and an optional reason;
  ``POST /c/<token>`` (``form``, ``reason``) cancels it.

Server-rendered with the emails' Jinja environment (autoescaped: nothing typed becomes markup),
no JavaScript, in the language of the emails (``email_language``). Every answer is ``no-store``,
never framed and sends no referrer (the token is in the address); the access log writes
``/r/<token>`` and ``/c/<token>``. Each token gets ``TokenLimiter``'s requests per window in this
process; beyond, 429.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time as clock
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from lib.access import SELF_SERVICE
from lib.domain import Booking
from lib.errors import CallExpertError, log_unexpected
from lib.notify.messages import LOCALES
from lib.notify.page_words import PAGE_WORDS
from lib.notify.templates import render_page
from lib.scheduling import Slot
from lib.service import BookingService
from lib.service.self_service import PAGE_DAYS, SelfServiceRefused, Visit, Why, parse_slot
from lib.timefmt import long_date, rupiah, short_date, when, zone_abbreviation

log = logging.getLogger("lib.entrypoints.web.self_service")

RESCHEDULE_PATH = "/r/{token:path}"  # anything under /r/ gets the same page 404
CANCEL_PATH = "/c/{token:path}"
MAX_FORM_BYTES = 8 * 1024  # a form token, a time and a 400-character reason fit many times over
MAX_DAYS_AHEAD = 92  # how far "Later times" pages go
MAX_TIMES = 24  # a day with more free starts shows its whole and half hours first

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # No script at all; styles are the page's own; forms post only back here.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}

_STATUS = {Why.UNKNOWN: 404, Why.GONE: 410, Why.DEADLINE: 403, Why.LIMIT: 403, Why.FORM: 403, Why.CHANGED: 409,
           Why.TAKEN: 409, Why.NOT_FREE: 409, Why.BAD_TIME: 400, Why.BAD_REASON: 400}


class TokenLimiter:
    """At most ``limit`` requests per token in any ``window`` seconds, in this process (tokens
    are kept hashed, and at most ``max_tokens`` of them: the oldest are forgotten first)."""

    def __init__(self, limit: int = 40, window: float = 600.0, max_tokens: int = 10_000,
                 now: Callable[[], float] = clock.monotonic) -> None:
        self.limit, self.window, self.max_tokens, self.now = limit, window, max_tokens, now
        self._seen: OrderedDict[bytes, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, token: str) -> bool:
        """Count one request of ``token``; whether it is within the limit."""
        key = hashlib.sha256(token.encode()).digest()
        now = self.now()
        with self._lock:
            times = self._seen.pop(key, None) or deque()
            while times and times[0] <= now - self.window:
                times.popleft()
            allowed = len(times) < self.limit
            if allowed:
                times.append(now)
            self._seen[key] = times
            while len(self._seen) > self.max_tokens:
                self._seen.popitem(last=False)
        return allowed


class _Pages:
    """Renders the pages in the emails' language, from the service's answers."""

    def __init__(self, service: BookingService) -> None:
        self.service = service
        self.language = service.settings.email_language
        self.t = PAGE_WORDS[self.language]
        self.locale = LOCALES[self.language]
        self.tz = service.settings.tz

    def html(self, status: int, **context: Any) -> HTMLResponse:
        settings = self.service.settings
        support = settings.support_email
        context.setdefault("booking", None)
        base = {"language": self.language, "t": self.t, "page": "", "refusal": "", "nearest": [], "done": "",
                "reason": "", "policy": [], "new_when": "", "refusal_more": "", "cancel_href": "",
                "contact": self.t["contact"].format(support=support) if support else self.t["contact_reply"]}
        return HTMLResponse(render_page({**base, **context}), status_code=status, headers=HEADERS)

    def when(self, day: date, at: Any) -> str:
        return when(day, at, self.tz, self.locale)

    def booking(self, b: Booking) -> dict[str, str]:
        return {"session": b.type_name(self.language), "expert": b.expert_name, "id": b.id,
                "when": self.when(b.scheduled_date, b.scheduled_time),
                "duration": self.t["minutes"].format(minutes=b.duration)}

    def policy(self, visit: Visit, cancel: bool) -> list[str]:
        p, deadline = visit.policy, visit.deadline.astimezone(self.tz)
        lines = [self.t["policy_deadline"].format(when=self.when(deadline.date(), deadline.time()),
                                                  hours=p.deadline_hours)]
        if p.max_reschedules:
            lines.append(self.t["policy_limit"].format(times=self.times(p.max_reschedules),
                                                       left=visit.reschedules_left))
        else:
            lines.append(self.t["policy_no_moves"])
        if cancel:
            lines.append(self.t["refund_paid"].format(amount=rupiah(visit.booking.price, self.locale))
                         if visit.refund_on_cancel else self.t["no_refund"])
        return lines

    def why(self, why: Why) -> str:
        policy = self.service.settings
        return self.t[f"why.{why.value}"].format(hours=policy.self_service_deadline_hours,
                                                 times=self.times(policy.self_service_max_reschedules))

    def times(self, count: int) -> str:
        """``count`` times, in the page's words ("1 time", "2 times")."""
        return self.t["times_one" if count == 1 else "times_many"].format(count=count)

    def slot(self, token: str, slot: Slot, with_day: bool = False) -> dict[str, str]:
        local = slot.start.astimezone(self.tz)
        label = self.when(local.date(), local.time()) if with_day else f"{local:%H:%M}"
        return {"href": f"/r/{token}?{urlencode({'at': local.strftime('%Y-%m-%dT%H:%M')})}", "label": label}

    def closed(self, visit: Visit, why: Why, status: int = 200, first: str = "") -> HTMLResponse:
        """The booking and why it cannot be changed here now (after ``first``, what a refused
        change was told, when there was one)."""
        return self.html(status, title=self.t["closed_title"], booking=self.booking(visit.booking),
                         refusal=first or self.why(why), refusal_more=self.why(why) if first else "")

    def refused(self, exc: SelfServiceRefused) -> HTMLResponse:
        title = self.t["not_found_title"] if exc.why is Why.UNKNOWN else self.t["closed_title"]
        return self.html(_STATUS.get(exc.why, 400), title=title, refusal=self.why(exc.why))

    def pick(self, token: str, visit: Visit, first: date | None, status: int = 200, refusal: str = "",
             nearest: list[Slot] | None = None, chosen: date | None = None, every: bool = False) -> HTMLResponse:
        """The reschedule page: the coming ``PAGE_DAYS`` days from ``first`` as links with their
        number of free starts, then the times of ``chosen`` (else the first day with any)."""
        if not visit.open:
            return self.closed(visit, Why.DEADLINE, status, refusal)
        if visit.reschedules_left < 1:
            return self.html(status, title=self.t["closed_title"], booking=self.booking(visit.booking),
                             refusal=refusal or self.why(Why.LIMIT),
                             refusal_more=self.why(Why.LIMIT) if refusal else "",
                             policy=self.policy(visit, cancel=False), cancel_href=f"/c/{token}")
        today = self.service.today()
        first = min(max(first or today, today), today + timedelta(days=MAX_DAYS_AHEAD))
        by_day: dict[date, list[dict[str, str]]] = {}
        for slot in self.service.self_service_times(visit, first, actor=SELF_SERVICE):
            by_day.setdefault(slot.start.astimezone(self.tz).date(), []).append(self.slot(token, slot))
        if chosen not in by_day:
            chosen = min(by_day) if by_day else None
        zone = f"{zone_abbreviation(self.tz, today)} ({self.tz.key})"
        later = first + timedelta(days=PAGE_DAYS)
        times = by_day.get(chosen, []) if chosen else []
        # A day of many starts (a fine step over long hours) shows its whole and half hours first,
        # so a phone screen is not a wall of buttons; every start is one link away.
        coarse = [t for t in times if t["label"].endswith((":00", ":30"))]
        shown, more = times, ""
        if len(times) > MAX_TIMES and coarse and not every and chosen:
            shown = coarse
            more = f"/r/{token}?{urlencode({'from': first.isoformat(), 'day': chosen.isoformat(), 'every': '1'})}"
        return self.html(
            status, page="pick", title=self.t["reschedule_title"], booking=self.booking(visit.booking),
            policy=self.policy(visit, cancel=False), refusal=refusal,
            nearest=[self.slot(token, s, with_day=True) for s in nearest or []],
            days=[{"label": short_date(d, self.locale), "count": len(s), "current": d == chosen,
                   "href": f"/r/{token}?{urlencode({'from': first.isoformat(), 'day': d.isoformat()})}"}
                  for d, s in sorted(by_day.items())],
            day_label=long_date(chosen, self.locale) if chosen else "",
            times=shown, more=more,
            zone_note=self.t["times_in"].format(zone=zone),
            earlier=f"/r/{token}?from={max(first - timedelta(days=PAGE_DAYS), today)}" if first > today else "",
            later=f"/r/{token}?from={later}" if later <= today + timedelta(days=MAX_DAYS_AHEAD) else "",
            cancel_href=f"/c/{token}")

    def confirm(self, token: str, visit: Visit, picked: str) -> HTMLResponse:
        day, at = parse_slot(picked)
        return self.html(200, page="confirm", title=self.t["confirm_title"], booking=self.booking(visit.booking),
                         new_when=self.when(day, at), policy=self.policy(visit, cancel=False),
                         action=f"/r/{token}", form=visit.reschedule_form, at=picked, back=f"/r/{token}",
                         cancel_href=f"/c/{token}")

    def cancel(self, token: str, visit: Visit, status: int = 200, refusal: str = "") -> HTMLResponse:
        if not visit.open:
            return self.closed(visit, Why.DEADLINE, status, refusal)
        return self.html(status, page="cancel", title=self.t["cancel_title"], booking=self.booking(visit.booking),
                         policy=self.policy(visit, cancel=True), refusal=refusal, action=f"/c/{token}",
                         form=visit.cancel_form,
                         reschedule_href=f"/r/{token}" if visit.reschedules_left > 0 else "")


async def _form(request: Request) -> dict[str, str]:
    """The posted form's fields (``application/x-www-form-urlencoded``), first value each; a body
    over ``MAX_FORM_BYTES`` or not text reads as empty (and is refused as a forged form)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        return {}
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return {}
    except ClientDisconnect:
        return {}
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in fields.items() if v}


def self_service_routes(service: BookingService, limiter: TokenLimiter | None = None) -> list[Route]:
    """The routes of the pages, over one booking service (see the module docstring)."""
    pages = _Pages(service)
    limiter = limiter or TokenLimiter()

    async def answer(request: Request, work: Callable[[str], Response]) -> Response:
        token = str(request.path_params.get("token", ""))
        if not limiter.allow(token):
            return _with_retry(pages.html(429, title=pages.t["refused_title"], refusal=pages.t["why.busy"]))
        try:
            return await run_in_threadpool(work, token)
        except SelfServiceRefused as exc:
            return pages.refused(exc)
        except CallExpertError as exc:
            log.warning("self-service page not served: %s", type(exc).__name__)
            return pages.html(503, title=pages.t["refused_title"], refusal=pages.t["why.down"])
        except Exception as exc:  # noqa: BLE001 - answered and logged without its message
            log_unexpected(log, "self-service page failed", exc)
            return pages.html(500, title=pages.t["refused_title"], refusal=pages.t["why.down"])

    def visit(token: str) -> Visit:
        return service.self_service_visit(token, actor=SELF_SERVICE)

    async def reschedule_page(request: Request) -> Response:
        picked, since, chosen, every = (request.query_params.get(k) for k in ("at", "from", "day", "every"))

        def work(token: str) -> Response:
            v = visit(token)
            if picked and v.open and v.reschedules_left > 0:
                try:
                    return pages.confirm(token, v, picked)
                except SelfServiceRefused as exc:
                    return pages.pick(token, v, None, 400, pages.why(exc.why))
            return pages.pick(token, v, _day(since), chosen=_day(chosen), every=every == "1")
        return await answer(request, work)

    async def reschedule_post(request: Request) -> Response:
        fields = await _form(request)

        def work(token: str) -> Response:
            try:
                moved = service.self_service_reschedule(token, fields.get("form", ""), fields.get("at", ""),
                                                        actor=SELF_SERVICE)
            except SelfServiceRefused as exc:
                if exc.why in (Why.UNKNOWN, Why.GONE):
                    raise
                v = visit(token)
                if exc.why is Why.TAKEN:
                    text = pages.t["why.taken"] if exc.nearest else pages.t["why.taken_none"]
                    return pages.pick(token, v, None, 409, text, exc.nearest)
                if exc.why is Why.NOT_FREE:
                    return pages.pick(token, v, None, 409, pages.why(exc.why), exc.nearest)
                return pages.pick(token, v, None, _STATUS[exc.why], pages.why(exc.why))
            return pages.html(200, title=pages.t["rescheduled_title"], booking=pages.booking(moved),
                              done=pages.t["rescheduled_text"].format(
                                  when=pages.when(moved.scheduled_date, moved.scheduled_time)))
        return await answer(request, work)

    async def cancel_page(request: Request) -> Response:
        return await answer(request, lambda token: pages.cancel(token, visit(token)))

    async def cancel_post(request: Request) -> Response:
        fields = await _form(request)

        def work(token: str) -> Response:
            reason = fields.get("reason", "")
            try:
                gone = service.self_service_cancel(token, fields.get("form", ""), reason, actor=SELF_SERVICE)
            except SelfServiceRefused as exc:
                if exc.why in (Why.UNKNOWN, Why.GONE):
                    raise
                return pages.cancel(token, visit(token), _STATUS[exc.why], pages.why(exc.why))
            return pages.html(200, title=pages.t["cancelled_title"], booking=pages.booking(gone),
                              done=pages.t["cancelled_text"], reason=" ".join(reason.split()))
        return await answer(request, work)

    return [Route(RESCHEDULE_PATH, reschedule_page, methods=["GET"]),
            Route(RESCHEDULE_PATH, reschedule_post, methods=["POST"]),
            Route(CANCEL_PATH, cancel_page, methods=["GET"]),
            Route(CANCEL_PATH, cancel_post, methods=["POST"])]


def _with_retry(response: Response) -> Response:
    response.headers["Retry-After"] = "60"
    return response


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None

