"""Demo mode's "View as" kept in the address (``?as=``): the value itself, and the pages through
AppTest. A reload is a new session, so an AppTest started with the address's parameter is one; a
change of page is ``switch_page``, after which Streamlit has dropped the parameters.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.domain import Expert
from lib.service import BookingService
from lib.view_as import expert_for, names_someone, slug, value_for
from tests.support.apptest import APP, AUTH, no_exception

pytestmark = pytest.mark.usefixtures("always_open")  # experts without stored hours: open around the clock

MY_SESSIONS = "pages/views/my_sessions_view.py"
OPS_PAGE = "pages/views/ops_view.py"
OPS_EMAIL = "ops@callexpert.id"


@pytest.fixture
def experts(service: BookingService) -> tuple[Expert, Expert]:
    sari = service.store.add_expert("Sari Wulandari", "sari@example.com", 250_000, "Career")
    budi = service.store.add_expert("Budi Santoso", "budi@example.com", 400_000, "Business")
    return sari, budi


def opened(page: str | None = None, **query: str) -> AppTest:
    """A new browser session (a reload, or a shared link) at ``page`` with the address's ``query``."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page)
        at.query_params.update(query)
        at.run()
    no_exception(at)
    return at


def viewing_as(at: AppTest) -> str:
    return at.sidebar.selectbox(key="view_as").value


def may_open(at: AppTest, page: str) -> bool:
    try:
        at.switch_page(page)
    except ValueError:  # not in this run's menu
        return False
    return True


# -- the value ----------------------------------------------------------------------------------

def make(name: str, id_: str) -> Expert:
    return Expert(id=id_, name=name, email=f"{id_}@example.com", hourly_rate=100_000)


def test_the_value_is_the_name_as_a_slug_or_the_id_when_names_collide():
    sari, budi, other_budi, ops = (make("Sari Wulandari", "e1"), make("Budi Santoso", "e2"),
                                   make("Budi  santoso!", "e3"), make("Ops", "e4"))
    everyone = [sari, budi, other_budi, ops]
    assert slug("  Dédé  O'Brien ") == "dede-o-brien" and slug("李") == ""
    assert value_for(None, everyone) == "ops"
    assert value_for(sari, everyone) == "sari-wulandari"
    assert value_for(budi, everyone) == "e2" and value_for(other_budi, everyone) == "e3"  # same slug: the id
    assert value_for(ops, everyone) == "e4"  # "ops" means ops
    assert value_for(make("李", "e5"), [make("李", "e5")]) == "e5"  # no slug: the id
    assert expert_for("sari-wulandari", everyone) == sari and expert_for("Sari Wulandari", everyone) == sari
    assert expert_for("e3", everyone) == other_budi and expert_for("budi-santoso", everyone) is None
    for ops_value in (None, "", "ops", "OPS"):
        assert expert_for(ops_value, everyone) is None and names_someone(ops_value, everyone)
    assert expert_for("nobody", everyone) is None and not names_someone("nobody", everyone)


# -- the pages ----------------------------------------------------------------------------------

def test_a_link_with_as_opens_as_that_expert_and_keeps_it_across_pages(service, experts):
    sari, _ = experts
    at = opened(MY_SESSIONS, **{"as": "sari-wulandari"})
    assert viewing_as(at) == sari.id
    assert not may_open(at, OPS_PAGE)  # an expert's menu
    at.switch_page(MY_SESSIONS).run()  # a change of page: Streamlit clears the address's parameters
    no_exception(at)
    assert viewing_as(at) == sari.id and at.query_params["as"] == "sari-wulandari"  # written again
    # Opened again from that address (a reload): still Sari.
    again = opened(MY_SESSIONS, **{"as": at.query_params["as"]})
    assert viewing_as(again) == sari.id
    # The expert's id works too, written back as the readable value.
    by_id = opened(MY_SESSIONS, **{"as": sari.id})
    assert viewing_as(by_id) == sari.id and by_id.query_params["as"] == "sari-wulandari"


def test_picking_in_view_as_writes_the_address_and_ops_leaves_it_clean(service, experts):
    _, budi = experts
    at = opened(MY_SESSIONS)
    assert viewing_as(at) == "__ops__" and "as" not in at.query_params
    at.sidebar.selectbox(key="view_as").set_value(budi.id).run()
    no_exception(at)
    assert at.query_params["as"] == "budi-santoso"
    at.sidebar.selectbox(key="view_as").set_value("__ops__").run()
    no_exception(at)
    assert "as" not in at.query_params and may_open(at, OPS_PAGE)


def test_an_address_naming_nobody_opens_as_ops_and_says_so(service, experts):
    at = opened(MY_SESSIONS, **{"as": "*nobody*"})
    assert viewing_as(at) == "__ops__" and may_open(at, OPS_PAGE)
    assert "as" not in at.query_params
    [note] = [c.value for c in at.sidebar.caption if "asks to view as" in c.value]
    assert "\\*nobody\\*" in note and "viewing as Ops" in note  # the typed name as text, not Markdown
    at.switch_page(MY_SESSIONS).run()
    at.sidebar.selectbox(key="view_as").set_value(experts[0].id).run()  # a pick ends the note
    assert not [c for c in at.sidebar.caption if "asks to view as" in c.value]


def test_with_sign_in_configured_as_does_nothing(app_env: Path, monkeypatch, service, experts):
    sari, _ = experts
    secrets = app_env.parent / "secrets.toml"
    secrets.write_text(f'ops_emails = "{OPS_EMAIL}"\n' + AUTH)
    monkeypatch.setenv("CALLEXPERT_SECRETS_FILE", str(secrets))
    for user, pages in (({"is_logged_in": False}, "sign-in"),
                        ({"is_logged_in": True, "email": OPS_EMAIL, "email_verified": True}, "ops")):
        at = AppTest.from_file(APP, default_timeout=30)
        at.user = user
        at.query_params["as"] = "sari-wulandari"
        at.run()
        no_exception(at)
        assert not [s for s in at.sidebar.selectbox if s.key == "view_as"]  # no switcher
        assert may_open(at, OPS_PAGE) is (pages == "ops")  # ops stays ops; signed out stays at the sign-in
        if pages == "ops":
            at.query_params["as"] = "sari-wulandari"
            at.run()
            no_exception(at)
            assert at.query_params["as"] == "sari-wulandari"  # neither read nor rewritten
            assert [t.value for t in at.title] == ["Ops"] and not at.error  # the Ops page, as ops
        else:
            assert [b.label for b in at.button] == ["Sign in"]
