"""First paint of a new session through a real ``streamlit run`` server, over its websocket.

A browser that opens ``/ops`` fetches the page's HTML and scripts, then opens the websocket
``/_stcore/stream`` and, once it is open, sends one ``BackMsg``: ``rerun_script`` with the
address's query string, the page name from its path (``ops``), no page hash yet and no widget
states. The server answers with ``new_session``, the gate's deltas (the demo banner, the
"View as" box), ``navigation`` (the menu, sent when ``st.navigation`` runs the page), then the
page's own deltas and ``script_finished``. This module speaks that protocol with the
``websockets`` client Streamlit itself depends on, one new session at a time. It writes and
reads the messages with the protobuf classes of Streamlit's wire protocol (``streamlit.proto``),
as a browser's bundle does: a tool acting as a browser, and the only place (with its test) that
names a Streamlit module besides ``streamlit`` and ``streamlit.testing``; the console itself uses
public API only.



* **first paint**: from opening the websocket to the first delta after ``navigation``, the first
  element the page script itself draws. Every page begins with ``st.title``, so that delta is
  the page's title, and a session whose first page element is anything else is an error. It is
  when the visitor first sees the page they asked for, rather than the console's frame.
* **first screen**: from opening the websocket to ``script_finished``, the whole first screen.

A session that shows an exception, Streamlit's "Page not found", or another page's title is an
error, not a figure.

Experts: demo mode starts every session as ops; an expert's view is the "View as" box's
choice. For the pages an expert may open, the same session then does what the visitor's
browser does on picking an expert there: a second ``rerun_script`` carrying that box's widget
id (read from the first run's delta) and the expert's option, with the page's hash. That
second run is the expert's figure, timed from sending it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time as clock
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config import APP, ROOT, ms
from bench.data import Filled
from bench.pages import page_env
from lib.access import Role
from pages.ui.registry import BY_KEY, PAGES

# Sessions per page and size. Before them, uncounted: one session at "/" (a freshly started
# server's first run goes through Streamlit's pages-folder mode once, see pages/__init__.py),
# then one per page (its first run in the process pays for its imports).
SESSIONS = 20
STARTUP_TIMEOUT_S = 60.0
SESSION_TIMEOUT_S = 60.0
VIEW_AS_LABEL = "View as"


class SessionError(RuntimeError):
    """A session that did not show the page it opened."""


@dataclass
class FirstScreen:
    """What one script run sent, fed message by message (``feed``), with the clock's reading.

    ``title`` is the page's own title, which must be the first element after ``navigation``.
    """

    title: str
    started: float
    first_paint: float | None = None
    finished: float | None = None
    navigated: bool = False
    page_hash: str = ""
    nav_paths: list[str] = field(default_factory=list)
    widgets: dict[str, Any] = field(default_factory=dict)  # label -> the widget's element (selectbox)
    texts: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.finished is not None or bool(self.errors)

    def feed(self, msg: Any, at: float) -> None:
        """Take one ``ForwardMsg`` received at ``at`` (``time.perf_counter()``)."""
        kind = msg.WhichOneof("type")
        if kind == "new_session":  # every script run starts with one (a switch_page is a new run)
            self.navigated = False
            self.page_hash = msg.new_session.page_script_hash or self.page_hash
        elif kind == "page_config_changed":  # app.py's st.set_page_config: the gate's run, not the page's
            self.navigated = False
        elif kind == "page_not_found":
            self.errors.append(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "navigation":
            self.navigated = True
            self.page_hash = msg.navigation.page_script_hash
            self.nav_paths = [p.url_pathname for p in msg.navigation.app_pages]
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element, at)
        elif kind == "script_finished":
            status = msg.script_finished
            if status == msg.FINISHED_SUCCESSFULLY:
                if self.first_paint is None:
                    self.errors.append(f"the run finished without drawing the page {self.title!r}")
                self.finished = at
            elif status != msg.FINISHED_EARLY_FOR_RERUN:  # a rerun goes on: wait for its end
                self.errors.append(f"the run finished with status {status}")

    def _element(self, element: Any, at: float) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.errors.append(f"exception: {element.exception.type}: {element.exception.message}")
            return
        if kind == "selectbox":
            self.widgets[element.selectbox.label] = element.selectbox
        body = getattr(getattr(element, kind), "body", None) if kind else None
        if isinstance(body, str):
            self.texts.append(body)
        if self.navigated and self.first_paint is None:
            if kind != "heading" or element.heading.body != self.title:
                self.errors.append(f"the page's first element is {kind} {body!r}, not the title {self.title!r}")
                return
            self.first_paint = at


@dataclass(frozen=True)
class Target:
    """One address to open: a page's url path, its title and the query string a visitor brings."""

    key: str
    path: str
    title: str
    query: str = ""


def targets(filled: Filled) -> list[Target]:
    """Every page ops may open, as a visitor would arrive: My sessions on the expert the other
    page figures open, Confirmation on a booking (it is reached from one), the rest bare."""
    booking = _a_current_booking(filled)
    query = {"my_sessions": f"expert={filled.expert_id}", "confirmation": f"booking={booking}"}
    return [Target(p.key, p.url_path, p.title, query.get(p.key, "")) for p in PAGES if Role.OPS in p.roles]


def _a_current_booking(filled: Filled) -> str:
    """An upcoming confirmed session of the expert, so that the expert may open it too."""
    with contextlib.closing(sqlite3.connect(filled.db)) as conn:
        row = conn.execute("SELECT id FROM bookings WHERE expert_id = ? AND status = 'confirmed'"
                           " AND scheduled_date > date('now') ORDER BY scheduled_date, scheduled_time, id LIMIT 1",
                           [filled.expert_id]).fetchone()
    if row is None:
        raise RuntimeError(f"{filled.db} holds no upcoming confirmed session of the expert to open Confirmation on")
    return str(row[0])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_env(db: Path) -> dict[str, str]:
    """The process's environment without any other console setting, plus the pages' settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLEXPERT_")}
    return {**env, **page_env(db)}


def command(app: Path, port: int) -> list[str]:
    """``streamlit run`` of ``app`` on ``port`` of this machine only, quiet, no file watcher."""
    return [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
               "--server.runOnSave", "false", "--browser.gatherUsageStats", "false", "--logger.level", "warning"]


def empty_app(folder: Path, pages: list[Target]) -> Path:
    """An empty Streamlit app in ``folder``: one page per target at the same url path, each drawing
    only its title, under ``st.navigation`` as the console's, served with the console's
    ``.streamlit/config.toml`` (the same server options). The floor of the server figures."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".streamlit").mkdir(exist_ok=True)
    shutil.copyfile(ROOT / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    listed = []
    for n, target in enumerate(pages):
        (folder / f"page_{n}.py").write_text(f"import streamlit as st\n\nst.title({target.title!r})\n",
                                            encoding="utf-8")
        listed.append(f"st.Page('page_{n}.py', title={target.title!r}, url_path={target.path!r})")
    # As the console's gate: Streamlit serves its default page at "/" only, so a hidden start page
    # there sends each visitor on to the first page.
    app = folder / "empty_app.py"
    app.write_text("import streamlit as st\n\npages = [" + ", ".join(listed) + "]\n"
                   "home = st.Page(lambda: st.switch_page(pages[0]), title='Start', url_path='start', default=True,"
                   " visibility='hidden')\nst.navigation([home, *pages]).run()\n", encoding="utf-8")
    return app


@contextlib.contextmanager
def serve(db: Path, app: Path = APP) -> Iterator[int]:
    """``streamlit run app.py`` (or ``app``) on a free local port over ``db``; yields the port once
    healthy, and stops the server (SIGTERM, then SIGKILL) however the block ends."""
    port = _free_port()
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as log:
        process = subprocess.Popen(command(app, port), cwd=app.parent if app != APP else ROOT, env=_server_env(db),
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_healthy(process, port, log)
            yield port
        finally:
            stop(process)


def wait_healthy(process: subprocess.Popen[Any], port: int, log: Any, timeout: float = STARTUP_TIMEOUT_S) -> None:
    """Return once the server on ``port`` answers its health check; raise with the end of its
    ``log`` if it exits first or takes longer than ``timeout``. It asks every 20 ms: a fresh
    start (``bench.fresh_start``) is timed through this wait."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with opener.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            clock.sleep(0.02)
    log.seek(0)
    raise RuntimeError(f"the streamlit server did not come up on port {port} "
                       f"(exit code {process.poll()}):\n{log.read()[-2000:]}")


def stop(process: subprocess.Popen[Any]) -> None:
    """Stop a server: SIGTERM, then SIGKILL if it has not exited within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _rerun(query: str, page_name: str = "", page_hash: str = "", widgets: list[Any] | None = None) -> bytes:
    """The ``rerun_script`` BackMsg a browser sends: on opening (page name from the path, no hash)
    and on a widget change (the page's hash and the widgets' states)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query
    state.page_name = page_name
    state.page_script_hash = page_hash
    state.widget_states.SetInParent()
    state.widget_states.widgets.extend(widgets or [])
    state.context_info.timezone = "Asia/Jakarta"
    state.context_info.locale = "en-US"
    state.context_info.url = f"http://127.0.0.1/{page_name}"
    return msg.SerializeToString()


async def _read_run(ws: Any, screen: FirstScreen) -> FirstScreen:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async with asyncio.timeout(SESSION_TIMEOUT_S):
        while not screen.done:
            data = await ws.recv()
            at = clock.perf_counter()
            msg = ForwardMsg()
            msg.ParseFromString(data)
            screen.feed(msg, at)
    if screen.errors:
        raise SessionError(f"{screen.title}: {'; '.join(screen.errors)}")
    return screen


async def open_session(port: int, target: Target, *, as_expert: str | None = None
                       ) -> tuple[FirstScreen, FirstScreen | None]:
    """One new session on ``target``: its first screen, and with ``as_expert`` (the "View as"
    option, e.g. "Expert: Expert 00") the run that follows picking it."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from websockets.asyncio.client import connect

    started = clock.perf_counter()
    async with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], proxy=None,
                       max_size=None, open_timeout=SESSION_TIMEOUT_S) as ws:
        await ws.send(_rerun(target.query, page_name=target.path))
        first = await _read_run(ws, FirstScreen(target.title, started))
        if target.path and target.path not in first.nav_paths:
            raise SessionError(f"{target.title}: the menu has no {target.path!r} ({first.nav_paths})")
        if as_expert is None:
            return first, None
        box = first.widgets.get(VIEW_AS_LABEL)
        if box is None or as_expert not in box.options:
            raise SessionError(f"{target.title}: no {VIEW_AS_LABEL!r} box offering {as_expert!r}")
        widget = WidgetState(id=box.id, string_value=as_expert)
        began = clock.perf_counter()
        await ws.send(_rerun(target.query, page_hash=first.page_hash, widgets=[widget]))
        expert = await _read_run(ws, FirstScreen(target.title, began))
        if "ops" in expert.nav_paths:
            raise SessionError(f"{target.title}: still ops after choosing {as_expert!r} ({expert.nav_paths})")
        return first, expert


def _percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank): a value that was measured."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def _summary(paint: list[float], screen: list[float]) -> dict[str, Any]:
    return {"sessions": len(paint),
            "first_paint_p50_ms": ms(statistics.median(paint)), "first_paint_p95_ms": ms(_percentile(paint, 95)),
            "first_screen_p50_ms": ms(statistics.median(screen)),
            "first_screen_p95_ms": ms(_percentile(screen, 95))}


def measure_size(filled: Filled, sessions: int = SESSIONS) -> dict[str, Any]:
    """Start a server over ``filled`` and open every page ``sessions`` times as a new session
    (the pages take turns), then stop it. Pages an expert may open are also timed as the
    expert (``filled.expert_id``'s "View as" option) in the same sessions."""
    return asyncio.run(_measure_size(filled, sessions))


async def _measure_size(filled: Filled, sessions: int) -> dict[str, Any]:
    pages = targets(filled)
    expert = f"Expert: {_expert_name(filled)}"
    times: dict[str, tuple[list[float], list[float]]] = {}
    with serve(filled.db) as port:
        # Not counted (see SESSIONS): the server's first run, at "/", which sends a visitor on to
        # the first page of the menu, then each page's first visit, kept apart as "cold".
        await open_session(port, Target("start", "", PAGES[0].title))
        cold = {}
        for target in pages:
            first, _ = await open_session(port, target)
            cold[target.title] = {"first_paint_ms": ms(first.first_paint - first.started),  # type: ignore[operator]
                                  "first_screen_ms": ms(first.finished - first.started)}  # type: ignore[operator]
        for _ in range(sessions):
            for target in pages:
                as_expert = expert if Role.EXPERT in BY_KEY[target.key].roles else None
                first, second = await open_session(port, target, as_expert=as_expert)
                for role, screen in (("ops", first), ("expert", second)):
                    if screen is not None:
                        paint, whole = times.setdefault(f"{target.title} as {role}", ([], []))
                        paint.append(screen.first_paint - screen.started)  # type: ignore[operator]
                        whole.append(screen.finished - screen.started)  # type: ignore[operator]
    new = [values for name, values in times.items() if name.endswith(" as ops")]  # the experts' are second runs
    return {"pages": {name: _summary(*values) for name, values in times.items()},
            "new_sessions": _summary([t for v in new for t in v[0]], [t for v in new for t in v[1]]),
            "cold": cold}


def _expert_name(filled: Filled) -> str:
    with contextlib.closing(sqlite3.connect(filled.db)) as conn:
        row = conn.execute("SELECT name FROM experts WHERE id = ?", [filled.expert_id]).fetchone()
    return str(row[0])


# The pages a session moves between for the page-switch figure, in this order, round and round.
SWITCH_PAGES = ("book", "my_sessions", "ops", "overview")


async def page_switches(port: int, pages: Sequence[Target], rounds: int) -> list[float]:
    """One session opens ``pages[0]`` then moves through ``pages`` ``rounds`` times, as a visitor's
    clicks in the menu do (a ``rerun_script`` naming the page); the seconds of each switch, from
    sending it to the page's ``script_finished``. The first round is not counted (each page's
    first run in the process pays for its imports)."""
    from websockets.asyncio.client import connect

    times: list[float] = []
    async with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], proxy=None,
                       max_size=None, open_timeout=SESSION_TIMEOUT_S) as ws:
        await ws.send(_rerun(pages[0].query, page_name=pages[0].path))
        await _read_run(ws, FirstScreen(pages[0].title, clock.perf_counter()))
        for n in range(rounds + 1):
            for target in (*pages[1:], pages[0]):
                began = clock.perf_counter()
                await ws.send(_rerun(target.query, page_name=target.path))
                screen = await _read_run(ws, FirstScreen(target.title, began))
                if n:
                    times.append(screen.finished - began)  # type: ignore[operator]
    return times


def _switch_summary(times: list[float]) -> dict[str, Any]:
    return {"switches": len(times), "p50_ms": ms(statistics.median(times)), "p95_ms": ms(_percentile(times, 95))}


async def _measure_empty(pages: list[Target], sessions: int, folder: Path) -> dict[str, Any]:
    """The empty app (``empty_app``) served the same way: new sessions on every page, and switches."""
    app = empty_app(folder, pages)
    paint: list[float] = []
    screen: list[float] = []
    with serve(folder / "unused.db", app) as port:
        await open_session(port, Target("start", "", pages[0].title))
        for target in pages:
            await open_session(port, target)
        for _ in range(sessions):
            for target in pages:
                first, _ = await open_session(port, target)
                paint.append(first.first_paint - first.started)  # type: ignore[operator]
                screen.append(first.finished - first.started)  # type: ignore[operator]
        switch = [t for t in pages if t.key in SWITCH_PAGES]
        switches = await page_switches(port, sorted(switch, key=lambda t: SWITCH_PAGES.index(t.key)), sessions)
    return {"new_sessions": _summary(paint, screen), "page_switches": _switch_summary(switches)}


def measure_server(filled: list[Filled], sessions: int = SESSIONS) -> dict[str, Any]:
    """Every size: one server each, in turn. Per size: ``pages`` ("<page> as <role>": p50 and
    p95 of first paint and first screen), ``new_sessions`` (the same over every page's new
    sessions) and ``cold`` (each page's uncounted first visit after the server started). Then,
    on the largest size, ``page_switches`` of one session moving between ``SWITCH_PAGES``
    ``sessions`` times round; and ``empty``: the same figures of an empty app (``empty_app``)."""
    out: dict[str, Any] = {str(f.bookings): measure_size(f, sessions) for f in filled}
    largest = max(filled, key=lambda f: f.bookings)
    pages = targets(largest)
    switch = sorted((t for t in pages if t.key in SWITCH_PAGES), key=lambda t: SWITCH_PAGES.index(t.key))
    with serve(largest.db) as port:
        asyncio.run(open_session(port, Target("start", "", PAGES[0].title)))
        out["page_switches"] = {"bookings": largest.bookings, "pages": list(SWITCH_PAGES),
                                **_switch_summary(asyncio.run(page_switches(port, switch, sessions)))}
    with tempfile.TemporaryDirectory(prefix="callexpert-empty-app-") as tmp:
        out["empty"] = asyncio.run(_measure_empty(pages, sessions, Path(tmp)))
    return out

