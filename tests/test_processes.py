"""The three production processes as the Procfile and the systemd units in docs/systemd start them:
each Procfile line and each unit's ExecStart (pointed at this checkout and its virtualenv) starts,
answers its health check or runs its jobs, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lib.entrypoints.cli import parser
from tests.support.env import free_port

ROOT = Path(__file__).resolve().parents[1]
UNITS = sorted((ROOT / "docs" / "systemd").glob("*.service"))
BIN = Path(sys.executable).parent


def _commands() -> set[str]:
    sub = next(a for a in parser()._actions if a.dest == "command")
    return set(sub.choices)  # type: ignore[arg-type]


def _lib_args(argv: list[str]) -> list[str] | None:
    """What follows ``python -m lib`` in a command line, or None when it is another program."""
    for i in range(len(argv) - 2):
        if Path(argv[i]).name.startswith("python") and argv[i + 1:i + 3] == ["-m", "lib"]:
            return argv[i + 3:]
    return None


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def _env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLEXPERT_")}
    env.update({"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "PORT": str(port),
                "CALLEXPERT_SQLITE_PATH": str(tmp_path / "procfile.db"),
                "CALLEXPERT_SECRETS_FILE": str(tmp_path / "no-secrets.toml"), "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def _answers(proc: subprocess.Popen[str], url: str) -> int | None:
    """The status ``url`` answers once ``proc`` listens (None when it never did, or ended first)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                return reply.status
        except OSError:
            time.sleep(0.2)
    return None


def _terminate(proc: subprocess.Popen[str]) -> str:
    """SIGTERM, then everything it wrote (killed, and the test failed, when it does not stop)."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=20)[0] or ""
    except subprocess.TimeoutExpired:
        proc.kill()
        out = proc.communicate()[0] or ""
        pytest.fail(f"did not stop within 20 s of SIGTERM: {out}")


def _serves_health_and_stops(argv: list[str], env: dict[str, str], url: str) -> str:
    """Start ``argv``, expect 200 from ``url``, SIGTERM it, expect a clean stop; what it wrote."""
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        answered = _answers(proc, url)
    finally:
        out = _terminate(proc) if proc.poll() is None else proc.communicate()[0]
    assert answered == 200, out
    # Streamlit exits 0; uvicorn shuts down, then ends by the signal it got (as systemd expects).
    assert proc.returncode in (0, -signal.SIGTERM), out
    return out


def _notifications_stopped_cleanly(out: str) -> None:
    assert "Application startup complete" in out and "Application shutdown complete" in out, out


def _runs_and_stops(argv: list[str], env: dict[str, str]) -> None:
    """Start the worker ``argv``: it logs its start and a job run, then stops on SIGTERM with 0."""
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()  # the "started" line, then one line per job run
        run = proc.stderr.readline()
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=20)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert '"event": "started"' in first and '"event": "job run"' in run, first + run + rest
    assert '"event": "stopped"' in rest and proc.returncode == 0, rest


def test_the_procfile_has_the_three_processes():
    assert sorted(_procfile()) == ["notifications", "web", "worker"]


def test_procfile_web_starts_the_console_and_answers_its_health_check(tmp_path):
    port = free_port()
    _serves_health_and_stops(["sh", "-c", f"exec {_procfile()['web']}"], _env(tmp_path, port),
                             f"http://127.0.0.1:{port}/_stcore/health")


def test_procfile_worker_starts_runs_and_stops_on_sigterm(tmp_path):
    _runs_and_stops(["sh", "-c", f"exec {_procfile()['worker']}"], _env(tmp_path, free_port()))


def test_procfile_notifications_serves_its_health_check_and_stops_on_sigterm(tmp_path):
    # The line ignores $PORT: its port is the setting (docs/operations.md says what that means
    # on a platform that routes only $PORT).
    port = free_port()
    env = _env(tmp_path, free_port(), CALLEXPERT_NOTIFICATIONS_PORT=str(port))
    out = _serves_health_and_stops(["sh", "-c", f"exec {_procfile()['notifications']}"], env,
                                   f"http://127.0.0.1:{port}/healthz")
    _notifications_stopped_cleanly(out)


def _exec_start(unit: Path) -> list[str]:
    [line] = re.findall(r"^ExecStart=(.+)$", unit.read_text(encoding="utf-8"), flags=re.M)
    return shlex.split(line)


def test_there_is_a_unit_per_process():
    assert [u.name for u in UNITS] == ["callexpert-console.service", "callexpert-notifications.service",
                                       "callexpert-worker.service"]


def _here(argv: list[str]) -> list[str]:
    """A unit's ExecStart run from this checkout: its program from this virtualenv."""
    return [str(BIN / Path(argv[0]).name), *(a.replace("/srv/callexpert", str(ROOT)) for a in argv[1:])]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.stem)
def test_each_units_exec_start_starts_and_stops_on_sigterm(unit, tmp_path):
    argv = _here(_exec_start(unit))
    env = _env(tmp_path, free_port())
    if unit.stem == "callexpert-console":
        at = argv.index("--server.port") + 1
        argv[at] = str(free_port())  # 8501 may be taken on this machine
        _serves_health_and_stops(argv, env, f"http://127.0.0.1:{argv[at]}/_stcore/health")
    elif unit.stem == "callexpert-worker":
        _runs_and_stops(argv, env)
    else:
        port = free_port()
        env["CALLEXPERT_NOTIFICATIONS_PORT"] = str(port)
        _notifications_stopped_cleanly(_serves_health_and_stops(argv, env, f"http://127.0.0.1:{port}/healthz"))


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.stem)
def test_each_units_exec_start_names_a_command_that_exists(unit, tmp_path):
    argv = _exec_start(unit)
    assert argv[0].startswith("/srv/callexpert/.venv/bin/"), argv  # the virtualenv `make run` makes
    assert "WorkingDirectory=/srv/callexpert" in unit.read_text(encoding="utf-8")
    program = ROOT / ".venv" / "bin" / Path(argv[0]).name
    assert program.exists(), f"{argv[0]}: no such program in the virtualenv"
    args = _lib_args(argv)
    if args is not None:
        assert args and args[0] in _commands(), args
        parser().parse_args(args)  # the command and its options exist (argparse exits 2 otherwise)
    else:
        assert argv[1:3] == ["run", "app.py"] and (ROOT / "app.py").is_file()
    if shutil.which("systemd-analyze"):  # systemd's own check: syntax, and that ExecStart is executable
        copy = tmp_path / unit.name
        text = unit.read_text(encoding="utf-8").replace("/srv/callexpert", str(ROOT))
        copy.write_text(re.sub(r"^User=.*$", "", text, flags=re.M), encoding="utf-8")  # no such user here
        done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
