"""The benchmark's real-server figure: how it reads a session's messages, and a real ``streamlit
run`` server opened over its websocket as a browser's new session would. No timings are checked."""

from __future__ import annotations

import asyncio
import socket
from datetime import date

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.data import fill
from bench.server import FirstScreen, SessionError, Target, open_session, serve, targets

TITLE = "Ops"


def _msg(**fields) -> ForwardMsg:
    msg = ForwardMsg()
    for name, value in fields.items():
        if name == "script_finished":
            msg.script_finished = value
        elif name == "element":
            kind, body = value
            element = msg.delta.new_element
            if kind == "heading":
                element.heading.body = body
            elif kind == "alert":
                element.alert.body = body
            elif kind == "selectbox":
                element.selectbox.id, element.selectbox.label = "view-as-id", body
                element.selectbox.options.extend(["Ops", "Expert: Expert 00"])
            elif kind == "exception":
                element.exception.type, element.exception.message = "ValueError", body
        else:
            getattr(msg, name).SetInParent()
    return msg


def _run(*steps: ForwardMsg) -> FirstScreen:
    screen = FirstScreen(TITLE, started=0.0)
    for at, msg in enumerate(steps, start=1):
        screen.feed(msg, float(at))
    return screen


def _gate() -> list[ForwardMsg]:
    """What app.py sends before the page: a run's start, page config, "View as", the banner, the menu."""
    return [_msg(new_session=None), _msg(page_config_changed=None), _msg(element=("selectbox", "View as")),
            _msg(element=("alert", "Demo mode")), _msg(navigation=None)]


def test_first_paint_is_the_page_title_after_the_menu_and_the_screen_ends_at_script_finished():
    screen = _run(*_gate(), _msg(element=("heading", TITLE)), _msg(element=("alert", "Paid, awaiting a link")),
                  _msg(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY))
    assert screen.errors == [] and screen.done
    assert screen.first_paint == 6.0 and screen.finished == 8.0  # the gate's banner (4.0) is not the page
    assert screen.widgets["View as"].id == "view-as-id"
    assert "Paid, awaiting a link" in screen.texts


def test_a_switch_page_run_is_followed_to_the_page_it_leads_to():
    screen = _run(_msg(new_session=None), _msg(navigation=None),
                  _msg(script_finished=ForwardMsg.FINISHED_EARLY_FOR_RERUN), *_gate(),
                  _msg(element=("heading", TITLE)), _msg(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY))
    assert screen.errors == [] and screen.first_paint == 9.0 and screen.finished == 10.0


@pytest.mark.parametrize("steps, error", [
    ([*_gate(), _msg(element=("heading", "Book a session"))], "not the title 'Ops'"),
    ([*_gate(), _msg(element=("exception", "boom"))], "exception: ValueError: boom"),
    ([_msg(new_session=None), _msg(page_not_found=None)], "page not found"),
    ([*_gate(), _msg(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY)], "without drawing the page"),
    ([*_gate(), _msg(script_finished=ForwardMsg.FINISHED_WITH_COMPILE_ERROR)], "finished with status"),
])
def test_a_session_that_does_not_show_its_page_is_an_error(steps, error):
    screen = _run(*steps)
    assert screen.done and any(error in e for e in screen.errors), screen.errors


def test_a_real_server_serves_every_page_to_new_sessions_and_stops(tmp_path):
    filled = fill(tmp_path / "serve.db", 120, date.today())
    pages = {t.key: t for t in targets(filled)}
    assert set(pages) == {"book", "my_sessions", "availability", "confirmation", "ops", "overview", "emails"}

    async def visit(port: int) -> None:
        first, _ = await open_session(port, Target("start", "", "Book a session"))  # the server's first run
        ops, none = await open_session(port, pages["ops"])
        assert none is None and "Paid, awaiting a link" in ops.texts and "ops" in ops.nav_paths
        assert ops.started < ops.first_paint <= ops.finished
        mine, expert = await open_session(port, pages["my_sessions"], as_expert="Expert: Expert 00")
        assert mine.widgets["Expert"]  # ops choose whose sessions they see ...
        assert expert is not None and "Expert" not in expert.widgets  # ... an expert sees their own
        assert "ops" not in expert.nav_paths and "my-sessions" in expert.nav_paths
        assert expert.started < expert.first_paint <= expert.finished
        with pytest.raises(SessionError, match="not the title 'Emails'"):  # another page's title is an error
            await open_session(port, Target("ops", "ops", "Emails"))

    with pytest.raises(RuntimeError, match="stop here"), serve(filled.db) as port:
        asyncio.run(visit(port))
        raise RuntimeError("stop here")
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):  # the server is gone
        probe.connect(("127.0.0.1", port))
