"""Sign-in end to end, nothing faked: a real OpenID Connect provider, the console and Chromium.

The provider is `oidc-provider-mock` (a real OIDC server: discovery, authorization form, token
endpoint, signed ID tokens) on loopback, started from its command line with four users and their
claims. The console is `streamlit run app.py` with an `[auth]` table pointing at the provider's
discovery URL, exactly as production is configured; Streamlit's own st.login (Authlib) does the
code exchange. Chromium clicks "Sign in", fills the provider's form with the user and comes back:

* the ops address, verified        -> the whole console, Ops in the menu
* an expert's address, verified    -> My sessions (and Availability, Confirmation), their own session listed
* a stranger's address, verified   -> the "No access" screen
* the ops address, NOT verified    -> the "Email not verified" screen, no menu

and "Sign out" ends each session: the sign-in screen again, also after a reload. The server's very first
request is a signed-out deep link to `/ops`: the sign-in screen, nothing of the Ops page.

One provider and one console serve all four users. Chromium is Debian's /usr/bin/chromium (as
in tests/test_browser.py): without it the test skips, except under CI, where it fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path

import pytest

from lib.access import SYSTEM
from lib.config import Settings
from lib.domain import BookingRequest, NewCustomer
from lib.wiring import build_service
from tests.support.browser import ARTIFACTS, TIMEOUT_MS, serve_console, shot, stop, wait_for
from tests.support.env import clean_environ, free_port
from tests.support.hours import ALWAYS_OPEN_ENV, ALWAYS_OPEN_SETTING

OPS = "ops.lead@callexpert.id"
EXPERT = "sari@example.com"
# sub -> the claims the provider puts in that user's ID token
USERS: dict[str, dict[str, object]] = {
    "ops-lead": {"email": OPS, "email_verified": True, "name": "Ops Lead"},
    "sari": {"email": EXPERT, "email_verified": True, "name": "Sari Wulandari"},
    "curious": {"email": "curious@gmail.com", "email_verified": True, "name": "Curious Visitor"},
    "impostor": {"email": OPS, "email_verified": False, "name": "Not Ops"},
}


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The OIDC provider on a free loopback port, its users given on its command line; its base URL."""
    if importlib.util.find_spec("oidc_provider_mock") is None:
        pytest.fail("oidc-provider-mock is not installed: pip install -r requirements-dev.txt", pytrace=False)
    folder = tmp_path_factory.mktemp("oidc")
    port = free_port()
    users = [arg for sub, claims in USERS.items() for arg in ("--user-claims", json.dumps({"sub": sub, **claims}))]
    log = (folder / "provider.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port),
                                *users], env=clean_environ(folder), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/.well-known/openid-configuration", process, "the OIDC provider")
        yield url
    finally:
        stop(process)
        log.close()
        if os.environ.get("CI"):
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(folder / "provider.log", ARTIFACTS / "sign-in-provider.log")


@pytest.fixture(scope="module")
def console(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`streamlit run app.py` with sign-in through ``provider``: Streamlit reads [auth] from the
    same secrets file the console reads its settings from. One expert with one session; (url, log)."""
    folder = tmp_path_factory.mktemp("sign-in")
    db = folder / "console.db"
    svc = build_service(Settings(sqlite_path=str(db), seed_demo_data=False, default_availability=ALWAYS_OPEN_SETTING))
    sari = svc.store.add_expert("Sari Wulandari", EXPERT, 250_000, "Career")
    svc.book_and_pay(BookingRequest(
        expert_id=sari.id, session_type="Career mentoring", scheduled_date=svc.today() + timedelta(days=2),
        scheduled_time=time(10, 0), new_customer=NewCustomer("Andi Signin", "andi.signin@example.com")), actor=SYSTEM)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secrets = folder / "secrets.toml"
    secrets.write_text(f"""
ops_emails = ["{OPS}"]

[auth]
redirect_uri = "{url}/oauth2callback"
cookie_secret = "a-cookie-secret-for-this-test-run-only"
client_id = "callexpert-console"
client_secret = "callexpert-console-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""", encoding="utf-8")
    env = clean_environ(folder, CALLEXPERT_SECRETS_FILE=str(secrets), CALLEXPERT_SQLITE_PATH=str(db),
                        CALLEXPERT_SEED_DEMO_DATA="false", **ALWAYS_OPEN_ENV)
    with serve_console(folder, env, port=port, extra_args=("--secrets.files", str(secrets)),
                       keep_log_as="sign-in-streamlit.log") as served:
        assert served == url
        yield url, folder / "streamlit.log"


def sign_in(page: object, console_url: str, sub: str) -> None:
    """From the console's sign-in screen through the provider's form and back."""
    page.goto(console_url)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Authorize Client").wait_for()  # type: ignore[attr-defined]
    page.get_by_placeholder("sub").fill(sub)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Authorize", exact=True).click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{console_url}/**")  # type: ignore[attr-defined]
    page.get_by_text(f"Signed in as {USERS[sub]['email']}").wait_for()  # type: ignore[attr-defined]


def sign_out(page: object, console_url: str) -> None:
    """"Sign out", through the provider's end-session page when it offers one, to the sign-in screen."""
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    sign_in_button = page.get_by_role("button", name="Sign in")  # type: ignore[attr-defined]
    end_session = page.get_by_role("button", name="End session")  # type: ignore[attr-defined]
    sign_in_button.or_(end_session).wait_for()
    if end_session.count():
        end_session.click()
    sign_in_button.wait_for()
    page.goto(console_url)  # type: ignore[attr-defined]  # a reload keeps nobody signed in
    sign_in_button.wait_for()
    assert page.get_by_text("Signed in as").count() == 0  # type: ignore[attr-defined]


def menu(page: object) -> list[str]:
    """The page links of the sidebar's navigation (none when only one screen is allowed)."""
    links = page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()  # type: ignore[attr-defined]
    return [text.strip().splitlines()[-1] for text in links]  # each link reads "<icon name>\n\n<title>"


def test_sign_in_through_a_real_oidc_provider_lands_each_role_where_it_belongs(chromium, console):
    console, server_log = console
    context = chromium.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        # The server's very first request, signed out, straight to a deep link: the gate still
        # decides (the first run goes through the first-run entry pages/ops.py, see pages/__init__.py).
        page.goto(f"{console}/ops")
        page.get_by_role("heading", name="CallExpert Console").wait_for()
        page.get_by_role("button", name="Sign in").wait_for()
        assert menu(page) == [] and page.get_by_role("heading", name="Ops", exact=True).count() == 0
        assert page.get_by_text("Andi Signin").count() == 0 and page.get_by_text("Paid, awaiting").count() == 0
        # Signed out, /ops is no page of theirs: Streamlit says so (as on any later visit); close that.
        page.get_by_text("Page not found").wait_for()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Sign in").click()  # the button that first run drew works
        page.get_by_role("heading", name="Authorize Client").wait_for()
        page.goto(console)
        page.get_by_role("heading", name="CallExpert Console").wait_for()
        assert menu(page) == [] and page.get_by_text("Demo mode").count() == 0

        # -- ops: the whole console ------------------------------------------------------------------
        sign_in(page, console, "ops-lead")
        page.locator('[data-testid="stSidebarNavLink"]').first.wait_for()
        assert menu(page) == ["Book a session", "My sessions", "Availability", "Confirmation", "Ops", "Overview",
                              "Emails"]
        page.locator('[data-testid="stSidebarNavLink"]', has_text="Ops").click()
        page.get_by_role("heading", name="Ops", exact=True).wait_for()
        shot(page, "sign-in-1-ops")
        sign_out(page, console)

        # -- an expert: their own sessions ------------------------------------------------------------
        sign_in(page, console, "sari")
        page.get_by_text("Andi Signin").first.wait_for()
        assert menu(page) == ["My sessions", "Availability", "Confirmation"]
        shot(page, "sign-in-2-expert")
        sign_out(page, console)

        # -- a stranger: signed in, no role ----------------------------------------------------------
        sign_in(page, console, "curious")
        page.get_by_role("heading", name="No access").wait_for()
        page.get_by_text("curious@gmail.com").first.wait_for()
        assert menu(page) == [] and page.get_by_text("Andi Signin").count() == 0
        shot(page, "sign-in-3-stranger")
        sign_out(page, console)

        # -- the ops address, not verified by the provider: refused ----------------------------------
        sign_in(page, console, "impostor")
        page.get_by_role("heading", name="Email not verified").wait_for()
        page.get_by_text("Verify the address with your identity provider").wait_for()
        assert menu(page) == [] and page.get_by_role("heading", name="Ops", exact=True).count() == 0
        shot(page, "sign-in-4-unverified")
        page.goto(f"{console}/ops")  # a deep link does not get past the refusal either
        page.get_by_role("heading", name="Email not verified").wait_for()
        assert page.get_by_text("Andi Signin").count() == 0
        page.goto(console)
        page.get_by_role("heading", name="Email not verified").wait_for()
        sign_out(page, console)
    except Exception as exc:
        shot(page, "sign-in-failure")
        # The page shows Streamlit's redacted error at best; the reason is in the server's log.
        tail = "\n".join(server_log.read_text(errors="replace").splitlines()[-15:])
        raise AssertionError(f"{exc}\n-- the console's log ends with:\n{tail}") from exc
    finally:
        context.close()
