"""Sign-in and roles: who sees which pages, and what the service refuses whatever the page."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.access import (
    SYSTEM,
    Actor,
    Role,
    check_demo_mode_allowed,
    expert_actor,
    may_change_calendar_id,
    require_calendar_id_change,
    resolve_actor,
)
from lib.config import Settings, current_settings, load_settings
from lib.domain import BookingRequest, BookingStatus, Expert, NewCustomer
from lib.errors import ConfigError, PermissionDenied
from lib.service import BookingService
from pages.ui.registry import pages_for
from tests.support.apptest import AUTH

APP = str(Path(__file__).resolve().parent.parent / "app.py")
ALL_PAGES = {
    "book": "pages/views/book_view.py",
    "confirmation": "pages/views/confirmation_view.py",
    "my_sessions": "pages/views/my_sessions_view.py",
    "availability": "pages/views/availability_view.py",
    "ops": "pages/views/ops_view.py",
    "overview": "pages/views/overview_view.py",
    "emails": "pages/views/emails_view.py",
}
ALL_PAGES_IN_MENU_ORDER = ["book", "my_sessions", "availability", "confirmation", "ops", "overview", "emails"]
OPS_EMAIL = "ops.lead@callexpert.id"


# -- arranging ----------------------------------------------------------------------------------

@pytest.fixture
def two_experts(service: BookingService) -> tuple[Expert, Expert]:
    sari = service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    budi = service.store.add_expert("Budi Santoso", "budi@example.com", 400_000, "Business")
    return sari, budi


def confirmed(svc: BookingService, expert: Expert, days: int, name: str) -> str:
    request = BookingRequest(expert_id=expert.id, session_type="Career mentoring",
                             scheduled_date=svc.today() + timedelta(days=days), scheduled_time=time(10, 0),
                             new_customer=NewCustomer(name, f"{name.lower()}@example.com"))
    return svc.book_and_pay(request, actor=SYSTEM).booking.id


def allowed_pages(at: AppTest) -> set[str]:
    """The pages the navigation registered for this run: switching to any other one fails."""
    allowed = set()
    for key, page in ALL_PAGES.items():
        try:
            at.switch_page(page)
        except ValueError:
            continue
        allowed.add(key)
    return allowed


def texts(at: AppTest) -> str:
    return "\n".join(str(el.value) for kind in ("title", "markdown", "warning", "error", "info", "caption", "code")
                     for el in getattr(at, kind))


# -- roles below the UI ---------------------------------------------------------------------------

def test_roles_come_from_settings_and_expert_rows():
    experts = [Expert("e1", "Sari", "Sari@Example.com", 1)]
    assert resolve_actor("OPS.Lead@callexpert.id ", [OPS_EMAIL], experts, email_verified=True).role is Role.OPS
    sari = resolve_actor("sari@example.com", [OPS_EMAIL], experts, email_verified=True)
    assert sari.role is Role.EXPERT and sari.expert_id == "e1"
    stranger = resolve_actor("someone@gmail.com", [OPS_EMAIL], experts, email_verified=True)
    assert stranger.role is Role.NONE and stranger.email == "someone@gmail.com" and not stranger.unverified
    assert resolve_actor(None, [OPS_EMAIL], experts, email_verified=True).role is Role.NONE
    assert pages_for(sari) == ("my_sessions", "availability", "confirmation") and pages_for(stranger) == ()



def test_one_registry_lists_every_page_script_with_its_address_and_roles():
    """A page is one entry in pages/ui/registry.py beside its script in pages/views/."""
    from pages.ui.registry import PAGES

    root = Path(APP).parent
    assert {p.key: p.script for p in PAGES} == ALL_PAGES
    scripts = sorted(str(f.relative_to(root)) for f in (root / "pages" / "views").glob("*.py"))
    assert scripts == sorted(ALL_PAGES.values())
    assert len({p.url_path for p in PAGES}) == len(PAGES) and all(p.roles for p in PAGES)
    assert pages_for(Actor(Role.OPS)) == pages_for(Actor(Role.SYSTEM)) == tuple(ALL_PAGES_IN_MENU_ORDER)
    # Directly in pages/: the package's own file and one first-run entry per address, nothing else
    # (pages/__init__.py says why; test_pages.py checks that each entry only runs app.py).
    assert sorted(f.name for f in (root / "pages").glob("*.py")) == sorted(
        ["__init__.py", *(f"{p.url_path}.py" for p in PAGES)])


@pytest.mark.parametrize("claim", [False, "false", "False", 0, 1, "yes", ""])
@pytest.mark.parametrize("trust_missing", [False, True])
def test_an_unverified_email_gets_no_role(claim, trust_missing):
    """Anyone can put the ops address on an account at a provider that does not check it."""
    experts = [Expert("e1", "Sari", "sari@example.com", 1)]
    for address in (OPS_EMAIL, "sari@example.com", "someone@gmail.com"):
        actor = resolve_actor(address, [OPS_EMAIL], experts, email_verified=claim, trust_missing_claim=trust_missing)
        assert actor == Actor(Role.NONE, email=address, unverified=True)
        assert pages_for(actor) == ()


def test_a_missing_verified_claim_is_refused_unless_the_provider_is_trusted():
    experts = [Expert("e1", "Sari", "sari@example.com", 1)]
    assert resolve_actor(OPS_EMAIL, [OPS_EMAIL], experts, email_verified=None).unverified
    assert resolve_actor(OPS_EMAIL, [OPS_EMAIL], experts, email_verified=None,
                         trust_missing_claim=True).role is Role.OPS
    # Some providers (AWS Cognito) send the claim as a string.
    assert resolve_actor("Sari@Example.com", [OPS_EMAIL], experts, email_verified="true").expert_id == "e1"
    assert Settings().trust_email_without_verified_claim is False
    assert load_settings("/nonexistent.toml", environ={
        "CALLEXPERT_TRUST_EMAIL_WITHOUT_VERIFIED_CLAIM": "true"}).trust_email_without_verified_claim


@pytest.mark.usefixtures("always_open")
def test_an_expert_can_read_and_move_only_their_own_bookings(service, two_experts):
    sari, budi = two_experts
    own, other = confirmed(service, sari, 3, "Andi"), confirmed(service, budi, 3, "Dewi")
    as_sari = expert_actor(sari)
    assert service.get_booking(own, actor=as_sari).id == own
    with pytest.raises(PermissionDenied, match="another expert"):
        service.get_booking(other, actor=as_sari)
    with pytest.raises(PermissionDenied):
        service.reschedule(other, service.today() + timedelta(days=4), time(9, 0), actor=as_sari)
    moved = service.reschedule(own, service.today() + timedelta(days=4), time(9, 0), actor=as_sari)
    assert moved.scheduled_time == time(9, 0)
    assert ("rescheduled", "expert:sari@example.com") in [(h.event, h.actor)
                                                          for h in service.history(own, actor=SYSTEM)]
    with pytest.raises(PermissionDenied, match="Only ops"):
        service.cancel(own, "no", actor=as_sari)  # not even their own
    assert service.get_booking(own, actor=SYSTEM).status is BookingStatus.CONFIRMED
    with pytest.raises(PermissionDenied):
        service.upcoming_for_expert(budi.id, actor=as_sari)
    assert [b.id for b in service.upcoming_for_expert(sari.id, actor=as_sari)] == [own]


def test_every_public_service_call_names_its_actor():
    """No call falls back to a default actor: forgetting it is a TypeError, not the system's rights."""
    import inspect

    public = [name for name, fn in inspect.getmembers(BookingService, inspect.isfunction)
              if not name.startswith("_") and name not in ("now_local", "today")]
    assert len(public) >= 25
    for name in public:
        actor = inspect.signature(getattr(BookingService, name)).parameters.get("actor")
        assert actor is not None, f"{name} takes no actor"
        assert actor.kind is inspect.Parameter.KEYWORD_ONLY and actor.default is inspect.Parameter.empty, name


def test_a_person_without_a_role_cannot_even_list_experts(service, two_experts):
    with pytest.raises(PermissionDenied, match="no role"):
        service.experts(actor=Actor(Role.NONE, email="x@gmail.com"))
    assert len(service.experts(actor=expert_actor(two_experts[0]))) == 2


@pytest.mark.parametrize("call", [
    lambda s, a: s.create_missing_links(actor=a),
    lambda s, a: s.create_link(s.missing_links(actor=SYSTEM)[0].id if s.missing_links(actor=SYSTEM) else "x", actor=a),
    lambda s, a: s.set_link_manually("x", "https://meet.google.com/abc-defg-hij", actor=a),
    lambda s, a: s.ops_counts(actor=a),
    lambda s, a: s.missing_links(actor=a),
    lambda s, a: s.recent_bookings(actor=a),
    lambda s, a: s.emails(actor=a),
    lambda s, a: s.resend_email(1, actor=a),
    lambda s, a: s.book(BookingRequest(expert_id="x", session_type="x", scheduled_date=s.today(),
                                       scheduled_time=time(9, 0)), actor=a),
    lambda s, a: s.customers(actor=a),
    lambda s, a: s.quote("x", 60, actor=a),
    lambda s, a: s.meeting_health(actor=a),
    lambda s, a: s.dispatch_emails(actor=a),
    lambda s, a: s.complete_finished(actor=a),
    lambda s, a: s.stuck_pending(actor=a),
    lambda s, a: s.overview(s.today(), s.today(), actor=a),
])
@pytest.mark.parametrize("who", ["expert", "nobody"])
def test_ops_only_calls_are_refused_to_others(service, two_experts, call, who):
    actor = expert_actor(two_experts[0]) if who == "expert" else Actor(Role.NONE, email="x@gmail.com")
    before = len(service.recent_bookings(actor=SYSTEM))
    with pytest.raises(PermissionDenied, match="Only ops"):
        call(service, actor)
    assert len(service.recent_bookings(actor=SYSTEM)) == before


SUPABASE = dict(backend="supabase", supabase_url="https://x.supabase.co", supabase_service_role_key="k")


@pytest.mark.parametrize("adapter, named", [
    (SUPABASE, "the Supabase backend"),
    (dict(payment_gateway="midtrans"), "the Midtrans payment gateway"),
    (dict(email_backend="smtp"), "SMTP email"),
    (dict(meeting_provider="google"), "Google meetings"),
])
def test_demo_mode_with_any_production_adapter_is_refused_unless_allowed(adapter, named):
    with pytest.raises(ConfigError, match=r"Demo mode .* refused .*\[auth\]") as refused:
        check_demo_mode_allowed(Settings(**adapter))
    assert named in str(refused.value)
    check_demo_mode_allowed(Settings(**adapter, allow_demo_mode=True))
    check_demo_mode_allowed(Settings(**adapter, sign_in=True))


def test_demo_mode_refusal_names_every_production_adapter(tmp_path):
    with pytest.raises(ConfigError) as refused:
        check_demo_mode_allowed(Settings(payment_gateway="midtrans", email_backend="smtp", meeting_provider="google"))
    assert "with the Midtrans payment gateway, SMTP email and Google meetings:" in str(refused.value)
    assert "Supabase" not in str(refused.value)
    check_demo_mode_allowed(Settings())  # the embedded defaults are a demo by design
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('ops_emails = ["A@x.id", "b@x.id"]\n' + AUTH)
    settings = load_settings(secrets, environ={})
    assert settings.sign_in and settings.ops_email_list == ("a@x.id", "b@x.id")
    check_demo_mode_allowed(Settings(**{**settings.__dict__, **SUPABASE, "payment_gateway": "midtrans"}))


# -- the pages -------------------------------------------------------------------------------------

@pytest.mark.usefixtures("always_open")
def test_demo_mode_shows_the_banner_and_a_role_switcher(service, two_experts):
    sari, budi = two_experts
    mine, theirs = confirmed(service, sari, 2, "Andi"), confirmed(service, budi, 2, "Dewi")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert any("Demo mode — no sign-in" in w.value for w in at.warning)
    assert allowed_pages(at) == set(ALL_PAGES)  # the demo starts as ops

    at.switch_page(ALL_PAGES["my_sessions"]).run()
    at.sidebar.selectbox(key="view_as").set_value(sari.id).run()
    assert not at.exception
    assert allowed_pages(at) == {"my_sessions", "availability", "confirmation"}
    at.switch_page(ALL_PAGES["my_sessions"]).run()
    assert not at.main.selectbox  # no expert picker for an expert
    page = texts(at)
    assert "Andi" in page and "Dewi" not in page

    at.switch_page(ALL_PAGES["confirmation"])
    at.query_params["booking"] = theirs
    at.run()
    assert any("another expert" in e.value for e in at.error)
    assert "Dewi" not in texts(at)
    at.query_params["booking"] = mine
    at.run()
    assert not at.error and "Andi" in texts(at)
    assert not [b for b in at.button if b.key and b.key.startswith("cancel-submit")]  # experts do not cancel
    assert [b for b in at.button if b.key == f"reschedule-submit-{mine}"]


@pytest.fixture
def signed_in_env(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    secrets = app_env.parent / "secrets.toml"
    secrets.write_text(f'ops_emails = "{OPS_EMAIL}"\n' + AUTH)
    monkeypatch.setenv("CALLEXPERT_SECRETS_FILE", str(secrets))
    return secrets


def run_as(user: dict | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.user = {"is_logged_in": False} if user is None else {"is_logged_in": True, **user}
    return at.run()


def test_signed_out_visitors_see_only_the_sign_in_button(signed_in_env, service, two_experts):
    at = run_as(None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert allowed_pages(at) == set()
    assert "Demo mode" not in texts(at)


@pytest.mark.usefixtures("always_open")
def test_signed_in_roles_see_exactly_their_pages(signed_in_env, service, two_experts):
    sari, budi = two_experts
    theirs = confirmed(service, budi, 2, "Dewi")
    assert allowed_pages(run_as({"email": OPS_EMAIL, "email_verified": True, "name": "Ops"})) == set(ALL_PAGES)

    at = run_as({"email": "sari@example.com", "email_verified": True, "name": "Sari"})
    assert allowed_pages(at) == {"my_sessions", "availability", "confirmation"}
    at.switch_page(ALL_PAGES["confirmation"])
    at.query_params["booking"] = theirs
    at.run()
    assert any("another expert" in e.value for e in at.error) and "Dewi" not in texts(at)

    stranger = run_as({"email": "curious@gmail.com", "email_verified": True, "name": "C"})
    assert allowed_pages(stranger) == set()
    assert "No access" in texts(stranger) and "curious@gmail.com" in texts(stranger)
    assert [b.label for b in stranger.sidebar.button] == ["Sign out"]


@pytest.mark.usefixtures("always_open")
@pytest.mark.parametrize("claim", [False, None])
def test_an_unverified_ops_address_sees_the_refusal_screen_only(signed_in_env, service, two_experts, claim):
    confirmed(service, two_experts[0], 2, "Andi")
    for address in (OPS_EMAIL, "sari@example.com"):
        user = {"email": address, "name": "Someone"} | ({} if claim is None else {"email_verified": claim})
        at = run_as(user)
        assert not at.exception
        assert allowed_pages(at) == set()
        page = texts(at)
        assert "Email not verified" in page and "Verify the address with your identity provider" in page
        assert address in page and "Andi" not in page and "No access" not in page
        assert [b.label for b in at.sidebar.button] == ["Sign out"]


def test_sqlite_with_smtp_and_no_sign_in_refuses_to_start(app_env, monkeypatch):
    monkeypatch.setenv("CALLEXPERT_EMAIL_BACKEND", "smtp")
    monkeypatch.setenv("CALLEXPERT_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("CALLEXPERT_SMTP_FROM_ADDRESS", "bookings@example.com")
    monkeypatch.setenv("CALLEXPERT_SMTP_PASSWORD", "smtp-secret-value")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert any("Demo mode (no sign-in) is refused with SMTP email" in e.value for e in at.error)
    assert "smtp-secret-value" not in texts(at) and "Demo mode — no sign-in" not in texts(at)
    assert allowed_pages(at) == set()
    monkeypatch.setenv("CALLEXPERT_ALLOW_DEMO_MODE", "true")
    current_settings.cache_clear()  # the console started again with the new setting
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.error and allowed_pages(at) == set(ALL_PAGES)


def test_supabase_without_sign_in_refuses_to_start(app_env, monkeypatch):
    monkeypatch.setenv("CALLEXPERT_BACKEND", "supabase")
    monkeypatch.setenv("CALLEXPERT_SUPABASE_URL", "https://project.supabase.co")
    monkeypatch.setenv("CALLEXPERT_SUPABASE_SERVICE_ROLE_KEY", "service-role-secret-value")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert any("Demo mode (no sign-in) is refused" in e.value for e in at.error)
    assert "service-role-secret-value" not in texts(at)
    assert allowed_pages(at) == set()


def test_the_runtime_requirements_ship_what_sign_in_needs():
    """st.login needs Authlib, which only streamlit's `auth` extra installs; without it clicking
    "Sign in" ends on StreamlitMissingAuthlibError. (The test requirements pull Authlib in on
    their own, so only this test notices if requirements.txt drops the extra.)"""
    from packaging.requirements import Requirement

    lines = (Path(APP).parent / "requirements.txt").read_text().splitlines()
    requirements = [Requirement(line.split(" #")[0]) for line in lines if line.strip() and not line.startswith("#")]
    [streamlit] = [r for r in requirements if r.name == "streamlit"]
    assert "auth" in streamlit.extras


def test_xsrf_protection_stays_on_and_no_secrets_file_is_tracked():
    import subprocess
    import tomllib

    root = Path(APP).parent
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.split()
    assert ".streamlit/secrets.toml" not in tracked


@pytest.mark.usefixtures("always_open")
@pytest.mark.parametrize("page", ["ops", "overview", "book", "emails", "my_sessions", "availability", "confirmation"])
def test_a_page_script_run_without_app_py_shows_nothing_but_a_message(signed_in_env, service, two_experts, page):
    """Only app.py's gate hands a page its service and acting person: a page script run any other
    way fails closed, whoever the visitor is, and shows no data."""
    confirmed(service, two_experts[0], 2, "Andi")
    direct = str(Path(APP).parent / ALL_PAGES[page])
    for user in ({"is_logged_in": False},
                 {"is_logged_in": True, "email": "curious@gmail.com", "email_verified": True},
                 {"is_logged_in": True, "email": "sari@example.com", "email_verified": True},
                 {"is_logged_in": True, "email": OPS_EMAIL, "email_verified": True}):
        at = AppTest.from_file(direct, default_timeout=30)
        at.user = user
        at.run()
        assert not at.exception
        assert [e.value for e in at.error] == [
            "This page opens only through the console's own address, which signs you in first."]
        assert not at.title and not at.metric and not at.button and not at.text_input and not at.selectbox
        assert "Andi" not in texts(at)


@pytest.mark.usefixtures("always_open")
def test_a_visitor_stopped_at_the_gate_leaves_no_context_from_an_earlier_run(signed_in_env, service, two_experts):
    """Every run of app.py hands the page what this run's gate decided: after signing out, nothing
    of the ops session that came before is left for a page to use."""
    at = run_as({"email": OPS_EMAIL, "email_verified": True, "name": "Ops"})
    at.switch_page(ALL_PAGES["ops"]).run()
    assert not at.exception and [t.value for t in at.title] == ["Ops"]
    assert at.session_state["_run_context"].actor.role is Role.OPS
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in"] and not at.metric
    assert at.session_state["_run_context"] is None


def test_only_staff_may_change_a_calendar_id():
    ops, expert = Actor(Role.OPS, email="ops@example.com"), Actor(Role.EXPERT, email="sari@example.com", expert_id="1")
    assert [may_change_calendar_id(a) for a in (ops, SYSTEM, expert, Actor(Role.NONE))] == [True, True, False, False]
    require_calendar_id_change(ops)
    with pytest.raises(PermissionDenied, match="ask them to change yours"):
        require_calendar_id_change(expert)
