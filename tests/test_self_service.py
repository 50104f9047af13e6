"""Customer self-service over real HTTP (uvicorn on loopback): the links in the customer's emails,
the Reschedule and Cancel pages, and each rule (deadline, limit, tokens, forms, races, typed text,
rate limit, the access log), then what ops see and do (refund due, started or recorded)."""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from lib.access import SYSTEM, Actor, Role
from lib.config import Settings, validate
from lib.domain import Booking, BookingStatus
from lib.entrypoints.web_self_service import TokenLimiter
from lib.errors import ConfigError, PermissionDenied, Refused
from lib.self_service_policy import Claim, Refund
from lib.service.self_service import CLAIM_STALE
from tests.support.endpoint import serving
from tests.support.world import DAY, START, World, book, build

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

BASE = "https://console.example.com/notify"
LINK = re.compile(r"/([rc])/([A-Za-z0-9_-]{43})")
FIELD = re.compile(r'name="(form|at)" value="([^"]*)"')
CUSTOMER = "customer:andi@example.com"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build(tmp_path, public_base_url=BASE, email_language="en")


@pytest.fixture
def http(world: World) -> Iterator[httpx.Client]:
    with serving(world.svc, timeout=30) as client:
        yield client


def token(world: World, booking: Booking) -> str:
    """The token of the Reschedule and Cancel links of the customer's confirmation."""
    email = next(e for e in world.svc.emails(booking_id=booking.id, actor=SYSTEM) if e.kind == "confirmed.customer")
    found = set(LINK.findall(email.body_text))
    assert found == set(LINK.findall(email.body_html)) and {p for p, _ in found} == {"r", "c"}, found
    assert len({t for _, t in found}) == 1
    return found.pop()[1]


def fields(page: httpx.Response) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in FIELD.findall(page.text)}


def text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text)))


def offered(page: httpx.Response) -> list[str]:
    return [unquote(html.unescape(v)) for v in re.findall(r'\?at=([0-9T%A-F:-]+)"', page.text)]


def confirm_form(http: httpx.Client, tok: str, at: str) -> dict[str, str]:
    page = http.get(f"/r/{tok}", params={"at": at})
    assert page.status_code == 200, text(page)
    return fields(page)


def history(world: World, booking: Booking) -> list[tuple[str, str, str]]:
    return [(h.event, h.detail, h.actor) for h in world.svc.history(booking.id, actor=SYSTEM)]


def current(world: World, booking: Booking) -> Booking:
    return world.svc.get_booking(booking.id, actor=SYSTEM)


# -- the emails ----------------------------------------------------------------------------------

def test_only_the_customers_emails_carry_the_links_and_only_with_a_public_address(tmp_path, world):
    booking = book(world)
    tok = token(world, booking)
    world.svc.reschedule(booking.id, DAY, time(16, 0), actor=SYSTEM)
    by_kind = {e.kind: e for e in world.svc.emails(booking_id=booking.id, actor=SYSTEM)}
    assert set(LINK.findall(by_kind["rescheduled.customer"].body_text)) == {("r", tok), ("c", tok)}
    assert "Reschedule" in by_kind["rescheduled.customer"].body_html
    for kind in ("confirmed.expert", "rescheduled.expert"):
        assert LINK.findall(by_kind[kind].body_text) == []
    world.clock.now = START + timedelta(hours=2) - timedelta(hours=24)  # 24 hours before 16:00
    assert world.svc.queue_reminders(actor=SYSTEM) == 2  # the 24-hour reminders of the moved session
    by_kind = {e.kind: e for e in world.svc.emails(booking_id=booking.id, actor=SYSTEM)}
    assert set(LINK.findall(by_kind["reminder_1440.customer"].body_text)) == {("r", tok), ("c", tok)}
    assert LINK.findall(by_kind["reminder_1440.expert"].body_text) == []
    world.svc.cancel(booking.id, actor=SYSTEM)
    cancelled = [e for e in world.svc.emails(booking_id=booking.id, actor=SYSTEM) if e.kind.startswith("cancelled")]
    assert cancelled and all(LINK.findall(e.body_text) == [] for e in cancelled)

    plain = build(tmp_path / "plain", email_language="en")
    other = book(plain)
    for email in plain.svc.emails(booking_id=other.id, actor=SYSTEM):
        assert LINK.findall(email.body_text) == [] and "reply to this email" in email.body_text


# -- reschedule ----------------------------------------------------------------------------------

def test_the_customer_moves_the_booking_to_a_free_time_and_everyone_sees_it(world, http):
    booking = book(world)
    tok = token(world, booking)
    first = http.get(f"/r/{tok}")
    assert 'aria-current="date"' in first.text and "Wednesday, 25 November 2026" in text(first)  # the first day
    assert f"day={DAY}" in html.unescape(first.text)  # the booking's day among the days offered
    page = http.get(f"/r/{tok}", params={"day": str(DAY)})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer" and "script-src" not in page.headers[
        "content-security-policy"] and "<script" not in page.text
    assert "Sari" in text(page) and "until" in text(page)
    times = offered(page)
    wanted = "2026-11-26T16:00"
    assert wanted in times and "2026-11-26T14:00" not in times  # the booking's own time is not offered
    # this expert's day has hundreds of starts (a 5-minute step): whole and half hours first, the rest a link away
    assert "2026-11-26T16:05" not in times and "every=1" in page.text
    assert "2026-11-26T16:05" in offered(http.get(f"/r/{tok}", params={"day": str(DAY), "every": "1"}))

    done = http.post(f"/r/{tok}", data=confirm_form(http, tok, wanted))
    assert done.status_code == 200, text(done)
    assert "Thursday, 26 November 2026, 16:00 WIB" in text(done)
    moved = current(world, booking)
    assert (moved.scheduled_time, moved.meeting_link, moved.revision) == (time(16, 0), booking.meeting_link, 1)
    lines = history(world, booking)
    assert [h[0::2] for h in lines if h[0] == "rescheduled"] == [("rescheduled", CUSTOMER)]
    assert lines[-1][0] == "calendar event moved"  # the move's calendar work, done right away
    emails = {e.kind: e for e in world.svc.emails(booking_id=booking.id, actor=SYSTEM)}
    for side in ("customer", "expert"):
        assert "16:00" in emails[f"rescheduled.{side}"].body_text
        # the same invitation, one SEQUENCE higher, so calendars replace the old time
        sequence = {kind: re.findall(r"^(UID|SEQUENCE):(.*?)\r?$", emails[f"{kind}.{side}"].ics or "", re.M)
                    for kind in ("confirmed", "rescheduled")}
        assert sequence["confirmed"][0] == sequence["rescheduled"][0]
        assert (sequence["confirmed"][1], sequence["rescheduled"][1]) == (("SEQUENCE", "0"), ("SEQUENCE", "1"))
    change = world.svc.customer_changes(actor=SYSTEM)
    assert [(c.booking.id, c.record.last_change, c.record.reschedules) for c in change] == [
        (booking.id, "rescheduled", 1)]


def test_past_the_deadline_the_pages_say_so_and_nothing_changes(world, http):
    booking = book(world)
    tok = token(world, booking)
    form = confirm_form(http, tok, "2026-11-26T16:00")
    cancel_form = fields(http.get(f"/c/{tok}"))
    world.clock.now = START - timedelta(hours=24)  # the deadline itself: too late
    page = http.get(f"/r/{tok}")
    assert page.status_code == 200 and "less than 24 hours before the start" in text(page)
    assert offered(page) == [] and 'method="post"' not in page.text
    refused = http.post(f"/r/{tok}", data=form)
    assert refused.status_code == 403 and "less than 24 hours" in text(refused)
    assert http.post(f"/c/{tok}", data={**cancel_form, "reason": "late"}).status_code == 403
    assert current(world, booking) == booking


def test_over_the_limit_moving_is_refused_but_cancelling_is_not(tmp_path):
    world = build(tmp_path, public_base_url=BASE, email_language="en", self_service_max_reschedules=1)
    booking = book(world)
    tok = token(world, booking)
    with serving(world.svc, timeout=30) as http:
        assert http.post(f"/r/{tok}", data=confirm_form(http, tok, "2026-11-26T16:00")).status_code == 200
        page = http.get(f"/r/{tok}")
        assert "has been moved 1 time, which" in text(page) and offered(page) == []
        assert "moved here 1 time; 0 left" in text(page) and "1 times" not in text(page)
        again = http.get(f"/r/{tok}", params={"at": "2026-11-26T10:00"})
        assert 'method="post"' not in again.text  # no confirm form past the limit
        forged_old = http.post(f"/r/{tok}", data={"form": fields(http.get(f"/c/{tok}"))["form"],
                                                  "at": "2026-11-26T10:00"})
        assert forged_old.status_code == 403  # a cancel form is not a reschedule form
        assert current(world, booking).scheduled_time == time(16, 0)
        cancel = http.post(f"/c/{tok}", data=fields(http.get(f"/c/{tok}")))
        assert cancel.status_code == 200 and current(world, booking).status is BookingStatus.CANCELLED


@pytest.mark.parametrize("path", ["/r/" + "A" * 43, "/c/" + "A" * 43, "/r/short", "/c/" + "é" * 43,
                                  "/r/%2e%2e%2fhealthz"])
def test_an_unknown_or_malformed_token_is_not_found(world, http, path):
    book(world)
    for answer in (http.get(path), http.post(path, data={"form": "x", "at": "2026-11-26T16:00"})):
        assert answer.status_code == 404 and "not known" in text(answer)


def test_a_cancelled_or_started_booking_has_no_pages(world, http):
    booking = book(world)
    tok = token(world, booking)
    move, cancel = confirm_form(http, tok, "2026-11-26T16:00"), fields(http.get(f"/c/{tok}"))
    world.clock.now = START  # the session started
    assert http.get(f"/r/{tok}").status_code == 410
    assert http.post(f"/r/{tok}", data=move).status_code == 410  # a form opened before is no use either
    world.clock.now = START - timedelta(days=1, hours=12)
    assert http.get(f"/r/{tok}").status_code == 200
    world.svc.cancel(booking.id, actor=SYSTEM)
    for path in (f"/r/{tok}", f"/c/{tok}"):
        gone = http.get(path)
        assert gone.status_code == 410 and "can no longer be changed here" in text(gone)
    for path, form in ((f"/r/{tok}", move), (f"/c/{tok}", cancel)):
        assert http.post(path, data=form).status_code == 410
    after = current(world, booking)
    assert (after.status, after.scheduled_time) == (BookingStatus.CANCELLED, time(14, 0))


def test_a_forged_or_outdated_form_changes_nothing(world, http):
    booking = book(world)
    tok = token(world, booking)
    good = confirm_form(http, tok, "2026-11-26T16:00")
    for form in ("", "A" * 43, good["form"][:-1] + ("A" if good["form"][-1] != "A" else "B")):
        refused = http.post(f"/r/{tok}", data={"form": form, "at": "2026-11-26T16:00"})
        assert refused.status_code == 403 and "did not come from this page" in text(refused)
    assert current(world, booking) == booking
    world.svc.reschedule(booking.id, DAY, time(10, 0), actor=SYSTEM)  # ops moved it meanwhile
    stale = http.post(f"/r/{tok}", data=good)
    assert stale.status_code == 409 and "was changed a moment ago" in text(stale)
    assert current(world, booking).scheduled_time == time(10, 0)


def test_a_double_submit_makes_one_change(world, http):
    booking = book(world)
    tok = token(world, booking)
    form = confirm_form(http, tok, "2026-11-26T16:00")
    answers: list[int] = []
    gate = threading.Barrier(2)

    def submit() -> None:
        with httpx.Client(base_url=http.base_url, trust_env=False, timeout=30) as own:
            gate.wait()
            answers.append(own.post(f"/r/{tok}", data=form).status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 409]
    assert [h for h in history(world, booking) if h[0] == "rescheduled"] != []
    assert len([h for h in history(world, booking) if h[0] == "rescheduled"]) == 1
    assert world.store.self_service_of(booking.id).reschedules == 1


def test_two_customers_racing_for_one_free_time_make_one_move(world, http):
    first, second = book(world), book(world, DAY, time(10, 0))
    wanted = "2026-11-26T16:00"
    forms = {b.id: (token(world, b), confirm_form(http, token(world, b), wanted)) for b in (first, second)}
    answers: dict[str, httpx.Response] = {}
    gate = threading.Barrier(2)

    def submit(booking_id: str) -> None:
        tok, form = forms[booking_id]
        with httpx.Client(base_url=http.base_url, trust_env=False, timeout=30) as own:
            gate.wait()
            answers[booking_id] = own.post(f"/r/{tok}", data=form)

    threads = [threading.Thread(target=submit, args=(b.id,)) for b in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers.values()) == [200, 409]
    [winner] = [b for b in (first, second) if answers[b.id].status_code == 200]
    [loser] = [b for b in (first, second) if b is not winner]
    assert current(world, winner).scheduled_time == time(16, 0) and current(world, loser) == loser
    refused = answers[loser.id]
    assert "just booked by someone else" in text(refused) and wanted not in offered(refused)
    assert world.store.self_service_of(loser.id).reschedules == 0


def test_a_change_under_way_in_another_tab_refuses_the_second(world, http):
    """The store's claim decides, whatever the timing: another request holds this revision."""
    booking = book(world)
    tok = token(world, booking)
    form = confirm_form(http, tok, "2026-11-26T16:00")
    now = world.clock()
    assert world.store.claim_self_service(booking.id, 0, now, now - CLAIM_STALE, None) is Claim.CLAIMED
    refused = http.post(f"/r/{tok}", data=form)
    assert refused.status_code == 409 and "was changed a moment ago" in text(refused)
    assert current(world, booking) == booking


def test_a_time_booked_meanwhile_is_refused_with_the_nearest_free_times(world, http):
    booking = book(world)
    tok = token(world, booking)
    form = confirm_form(http, tok, "2026-11-26T16:00")
    book(world, DAY, time(16, 0))  # someone else took 16:00 meanwhile
    taken = http.post(f"/r/{tok}", data=form)
    assert taken.status_code == 409 and "just booked by someone else" in text(taken)
    nearest = offered(taken)[:3]
    assert nearest and "2026-11-26T16:00" not in offered(taken)
    assert current(world, booking) == booking
    assert world.store.self_service_of(booking.id).reschedules == 0  # the refused move is not counted
    assert http.post(f"/r/{tok}", data=confirm_form(http, tok, nearest[0])).status_code == 200


def test_a_time_the_page_never_offered_is_refused(world, http):
    booking = book(world)
    tok = token(world, booking)
    form = confirm_form(http, tok, "2026-11-26T16:00")
    for at, status, words in (("tomorrow", 400, "not one this page offered"),
                              ("2026-11-20T10:00", 400, "not one this page offered"),  # in the past
                              ("2026-11-26T16:03", 409, "not free by the expert's hours")):  # off the step
        answer = http.post(f"/r/{tok}", data={**form, "at": at})
        assert (answer.status_code, words in text(answer)) == (status, True), (at, text(answer))
    assert current(world, booking) == booking
    assert world.store.self_service_of(booking.id).reschedules == 0


# -- cancel --------------------------------------------------------------------------------------

def test_html_in_the_reason_is_text_everywhere(world, http):
    booking = book(world)
    tok = token(world, booking)
    page = http.get(f"/c/{tok}")
    assert "Rp" in text(page) and "refunds it" in text(page)
    assert "email" not in text(page).split("refunds it")[1].split(".")[0]  # no refund email is sent: none promised
    typed = '<script>alert(1)</script><img src=x onerror="alert(2)"> **bold**'
    done = http.post(f"/c/{tok}", data={**fields(page), "reason": typed})
    assert done.status_code == 200
    assert "<script>" not in done.text and "<img" not in done.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in done.text
    lines = history(world, booking)
    assert [h for h in lines if h[0] == "cancelled"] == [("cancelled", f"Cancelled by the customer: {typed}", CUSTOMER)]
    assert lines[-1][0] == "calendar invitation withdrawn"  # the cancel's calendar work, done right away
    gone = current(world, booking)
    assert gone.status is BookingStatus.CANCELLED
    record = world.store.self_service_of(booking.id)
    assert (record.refund, record.refund_amount) == (Refund.DUE, booking.price)
    emails = [e.kind for e in world.svc.emails(booking_id=booking.id, actor=SYSTEM)]
    assert "cancelled.customer" in emails and "cancelled.expert" in emails


def test_a_reason_too_long_is_refused_and_nothing_changes(world, http):
    booking = book(world)
    tok = token(world, booking)
    refused = http.post(f"/c/{tok}", data={**fields(http.get(f"/c/{tok}")), "reason": "x" * 401})
    assert refused.status_code == 400 and "too long" in text(refused)
    assert current(world, booking).status is BookingStatus.CONFIRMED


# -- limits and logs -----------------------------------------------------------------------------

def test_each_token_gets_its_own_rate_limit(world):
    first, second = book(world), book(world, DAY, time(10, 0))
    tok, other = token(world, first), token(world, second)
    with serving(world.svc, TokenLimiter(limit=3, window=600), timeout=30) as http:
        assert [http.get(f"/r/{tok}").status_code for _ in range(4)] == [200, 200, 200, 429]
        busy = http.get(f"/c/{tok}")
        assert busy.status_code == 429 and busy.headers["retry-after"] == "60"
        assert http.get(f"/r/{other}").status_code == 200


def test_the_access_log_holds_no_self_service_token(world, http, caplog):
    booking = book(world)
    tok = token(world, booking)
    with caplog.at_level(logging.INFO, logger="lib.entrypoints.web"):
        http.get(f"/r/{tok}", params={"at": "2026-11-26T16:00"})
        http.post(f"/c/{tok}", data={"form": "forged", "reason": "secret words"})
        http.get(f"/c/{tok}/extra")
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("lib.")]  # the endpoint's, not httpx's
    assert any(line.startswith("GET /r/<token> 200") for line in lines), lines
    assert any(line.startswith("POST /c/<token> 403") for line in lines), lines
    assert not any(tok in line or "secret" in line or "2026-11-26" in line for line in lines)


# -- ops -----------------------------------------------------------------------------------------

def test_ops_record_a_refund_paid_by_hand_once(world, http):
    booking = book(world)
    tok = token(world, booking)
    http.post(f"/c/{tok}", data=fields(http.get(f"/c/{tok}")))
    assert not world.svc.gateway_refunds  # the demo gateway pays nothing back itself
    with pytest.raises(Refused, match="cannot be refunded from the console"):
        world.svc.start_refund(booking.id, actor=SYSTEM)
    with pytest.raises(PermissionDenied):
        world.svc.record_refund(booking.id, "bank transfer", actor=Actor(Role.EXPERT, "sari@example.com"))
    record = world.svc.record_refund(booking.id, "bank transfer 12/11", actor=SYSTEM)
    assert (record.refund, record.refund_ref) == (Refund.STARTED, "bank transfer 12/11")
    assert history(world, booking)[-1][:2] == ("refund recorded", "Rp 250.000: bank transfer 12/11")
    with pytest.raises(Refused, match="no refund due"):
        world.svc.record_refund(booking.id, "again", actor=SYSTEM)


def test_the_policy_settings_are_checked():
    for bad in ({"self_service_deadline_hours": -1}, {"self_service_max_reschedules": -1},
                {"support_email": "not an address"}):
        with pytest.raises(ConfigError):
            validate(Settings(**bad))
    validate(Settings(self_service_deadline_hours=0, self_service_max_reschedules=0,
                      support_email="help@callexpert.id"))


def test_the_pages_speak_the_emails_language_and_name_the_support_address(tmp_path):
    world = build(tmp_path, public_base_url=BASE, support_email="help@callexpert.id")
    booking = book(world)
    tok = token(world, booking)
    with serving(world.svc, timeout=30) as http:
        page = http.get(f"/r/{tok}")
        assert 'lang="id"' in page.text and "Ubah jadwal sesi Anda" in text(page)
        assert "help@callexpert.id" in text(page) and "Kamis, 26 November 2026" in text(page)


def test_the_docs_name_as_many_days_as_the_reschedule_page_offers():
    from lib.service.self_service import PAGE_DAYS

    doc = (Path(__file__).resolve().parents[1] / "docs" / "self-service.md").read_text()
    assert f"free times for the next {PAGE_DAYS} days" in doc and f"pages on by {PAGE_DAYS} days" in doc
