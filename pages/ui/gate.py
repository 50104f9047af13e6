"""The sign-in gate app.py runs before any page: who is acting, and the pages they may open.

It takes the process's settings (read once, at the first run: ``lib.config.current_settings``) and
reads the experts list once for the run, and hands them, with the service and the acting person, to
the page (``pages.ui.run``).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lib import view_as
from lib.access import DEMO_OPS, SYSTEM, Actor, Role, check_demo_mode_allowed, expert_actor, resolve_actor
from lib.config import current_settings
from lib.domain import Expert
from lib.errors import CallExpertError
from lib.plaintext import escape_markdown
from lib.wiring import demo_bookings_coming
from pages.ui.registry import PAGES, pages_for
from pages.ui.run import RunContext, service_for

VIEW_AS = "view_as"  # the demo's "View as" widget key
OPS_VIEW = "__ops__"
_UNKNOWN = "_view_as_unknown"  # the address named nobody to view as: said until someone picks
_JUST_CHOSEN = "_view_as_chosen"


def sign_in_gate() -> tuple[RunContext | None, list[st.Page]]:
    """Sign-in (or the demo banner and "View as"), then the run's context and the pages this person
    may open; no context and one screen instead (sign in, no access, cannot start) for someone who
    may not go on. Always at least one page, so ``st.navigation`` always has a menu to show."""
    try:
        settings = current_settings()  # read once per process; a refused reading is tried again
        check_demo_mode_allowed(settings)
        svc = service_for(settings)
    except CallExpertError as exc:
        message = f"The console cannot start: {exc}"
        return None, [_screen(lambda: _message_screen(message), "Cannot start", ":material/error:", "cannot-start")]
    if settings.sign_in:
        if not st.user.get("is_logged_in", False):
            return None, [_screen(_sign_in_page, "Sign in", ":material/login:", "sign-in")]
        experts = tuple(svc.experts(actor=SYSTEM))
        actor = resolve_actor(st.user.get("email"), settings.ops_email_list, experts,
                              email_verified=st.user.get("email_verified"),
                              trust_missing_claim=settings.trust_email_without_verified_claim)
        st.sidebar.text(f"Signed in as {actor.email or st.user.get('email', '')}")  # text: never Markdown
        st.sidebar.button("Sign out", on_click=st.logout, key="sign-out")
        if actor.unverified:
            return None, [_screen(_unverified_page, "Email not verified", ":material/mark_email_unread:",
                                  "email-not-verified")]
        if actor.role is Role.NONE:
            return None, [_screen(_no_access_page, "No access", ":material/block:", "no-access")]
    else:
        experts = tuple(svc.experts(actor=SYSTEM))
        actor = _view_as(experts)
        if demo_bookings_coming(settings):
            st.info("The demo bookings are still being made: reload in a few seconds to see them all.",
                    icon=":material/hourglass_top:")
    allowed = pages_for(actor)
    pages = [st.Page(p.script, title=p.title, icon=p.icon, url_path=p.url_path) for p in PAGES if p.key in allowed]
    # Streamlit serves its default page at "/" only; a hidden start page there sends each visitor on
    # to the first page of their menu, so every page keeps its own address (/book too).
    home = st.Page(lambda: st.switch_page(pages[0]), title="Start", url_path="start", default=True,
                   visibility="hidden")
    return RunContext(svc, actor, settings, experts), [home, *pages]


def _view_as(experts: tuple[Expert, ...]) -> Actor:
    """Demo mode: the banner, and the "View as" switcher's choice as the acting person, kept in the
    address (``?as=``, ``lib.view_as``) so a reload or a shared link opens as the same person."""
    names = {OPS_VIEW: "Ops", **{e.id: f"Expert: {e.name}" for e in experts}}
    if VIEW_AS not in st.session_state:
        # A new browser session (a reload, a shared link): the address says whom to view as.
        wanted = st.query_params.get(view_as.PARAM)
        expert = view_as.expert_for(wanted, experts)
        st.session_state[VIEW_AS] = expert.id if expert else OPS_VIEW
        if not view_as.names_someone(wanted, experts):
            st.session_state[_UNKNOWN] = wanted
    elif st.session_state[VIEW_AS] in names:
        # Streamlit names a widget after the page it is drawn on as well as its key; the gate is drawn
        # on the page a fresh server's first-run entry opened (pages/__init__.py), later on app.py's
        # own. Handing the choice over by its key keeps it when that name changes (Streamlit's
        # documented way of keeping a widget's value across pages).
        st.session_state[VIEW_AS] = st.session_state[VIEW_AS]
    choice = st.sidebar.selectbox("View as", list(names), key=VIEW_AS, format_func=names.__getitem__,
                                  on_change=_chosen)
    if _UNKNOWN in st.session_state:
        st.sidebar.caption(f"The address asks to view as “{escape_markdown(st.session_state[_UNKNOWN])}”, "
                           "who is not an expert here; viewing as Ops.")
    if st.session_state.pop(_JUST_CHOSEN, False):
        _close_sidebar_on_a_phone()
    st.warning("Demo mode — no sign-in. Anyone with this address can use the console; "
               "switch roles with “View as” in the sidebar.", icon=":material/science:")
    expert = next((e for e in experts if e.id == choice), None)
    # Written again on every run: Streamlit drops the query parameters when the page changes.
    # Ops, the default, needs none.
    if expert is not None:
        st.query_params[view_as.PARAM] = view_as.value_for(expert, experts)
    elif view_as.PARAM in st.query_params:
        del st.query_params[view_as.PARAM]
    return expert_actor(expert) if expert else DEMO_OPS


def _chosen() -> None:
    """Someone picked in "View as": the address's unknown name no longer matters, and on a phone
    the sidebar, which covers the page there, is closed on the run that follows."""
    st.session_state.pop(_UNKNOWN, None)
    st.session_state[_JUST_CHOSEN] = True


# Streamlit closes its sidebar on a narrow screen when someone taps the page beside it, and has no
# call to close it from Python (st.set_page_config's initial_sidebar_state yields to the reader's own
# last toggle, kept in the browser). This tap on the page, sent by the browser itself, does the
# same; on a wide screen Streamlit ignores it. A constant script: nothing typed goes in.
_CLOSE_SIDEBAR = """<script>
(() => {
  const main = document.querySelector('[data-testid="stMain"]');
  if (main) main.dispatchEvent(new MouseEvent("mousedown", {bubbles: true}));
})();
</script>"""


def _close_sidebar_on_a_phone() -> None:
    st.sidebar.html(_CLOSE_SIDEBAR, unsafe_allow_javascript=True)


def _screen(draw: Callable[[], None], title: str, icon: str, url_path: str) -> st.Page:
    """What someone who may not go on sees instead of the console, at every address."""
    return st.Page(draw, title=title, icon=icon, url_path=url_path)


def _sign_in_page() -> None:
    st.title("CallExpert Console")
    st.write("Sign in with your work account to see your sessions.")
    st.button("Sign in", on_click=st.login, type="primary", key="sign-in")


def _no_access_page() -> None:
    st.title("No access")
    st.write("You are signed in as the address below, which is neither an ops account nor an expert's "
             "email. Ask ops to add it, or sign out and use another account.")
    st.code(st.user.get("email") or "(no email in your sign-in)", language=None)


def _unverified_page() -> None:
    st.title("Email not verified")
    if st.user.get("email_verified") is None:
        reason = ("Your identity provider did not say whether it has verified the address below, so the "
                  "console cannot tell that it is really yours.")
    else:
        reason = "Your identity provider says it has not verified the address below."
    st.write(f"{reason} Only a verified address can open the console as ops or as an expert.")
    st.write("Verify the address with your identity provider (follow the link in its verification email, "
             "or ask its administrator), then sign out and sign in again.")
    st.code(st.user.get("email") or "(no email in your sign-in)", language=None)


def _message_screen(message: str) -> None:
    st.title("Cannot start")
    st.error(message)
