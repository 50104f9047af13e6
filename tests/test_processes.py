"""The three production processes as the Procfile and the systemd units in docs/systemd start them:
each Procfile line starts, and each unit's ExecStart names a command that exists."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lib.cli import parser
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


def _not_built_yet(argv: list[str]) -> bool:
    args = _lib_args(argv)
    return bool(args) and args[0] not in _commands()


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLEXPERT_")}
    env.update({"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "PORT": str(port),
                "CALLEXPERT_SQLITE_PATH": str(tmp_path / "procfile.db"),
                "CALLEXPERT_SECRETS_FILE": str(tmp_path / "no-secrets.toml"), "PYTHONUNBUFFERED": "1"})
    return env


def test_the_procfile_has_the_three_processes():
    assert sorted(_procfile()) == ["notifications", "web", "worker"]


def test_procfile_web_starts_the_console_and_answers_its_health_check(tmp_path):
    port = free_port()
    command = _procfile()["web"]
    proc = subprocess.Popen(["sh", "-c", f"exec {command}"], cwd=ROOT, env=_env(tmp_path, port),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, answered = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None and answered is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                    answered = reply.status
            except OSError:
                time.sleep(0.3)
        assert answered == 200, proc.poll()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode in (0, -15), out


def test_procfile_worker_starts_runs_and_stops_on_sigterm(tmp_path):
    command = _procfile()["worker"]
    proc = subprocess.Popen(["sh", "-c", f"exec {command}"], cwd=ROOT, env=_env(tmp_path, free_port()),
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()  # the "started" line, then one line per job run
        run = proc.stderr.readline()
        proc.terminate()
        rest = proc.communicate(timeout=20)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert '"event": "started"' in first and '"event": "job run"' in run, first + run + rest
    assert proc.returncode == 0, rest


def test_procfile_notifications_names_the_endpoint_command():
    argv = shlex.split(_procfile()["notifications"])
    if _not_built_yet(argv):
        pytest.xfail("the notification endpoint's command is not in this build yet")
    done = subprocess.run([sys.executable, *argv[1:], "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr


def _exec_start(unit: Path) -> list[str]:
    [line] = re.findall(r"^ExecStart=(.+)$", unit.read_text(encoding="utf-8"), flags=re.M)
    return shlex.split(line)


def test_there_is_a_unit_per_process():
    assert [u.name for u in UNITS] == ["callexpert-console.service", "callexpert-notifications.service",
                                       "callexpert-worker.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.stem)
def test_each_units_exec_start_names_a_command_that_exists(unit, tmp_path):
    argv = _exec_start(unit)
    assert argv[0].startswith("/srv/callexpert/.venv/bin/"), argv  # the virtualenv `make run` makes
    assert "WorkingDirectory=/srv/callexpert" in unit.read_text(encoding="utf-8")
    program = ROOT / ".venv" / "bin" / Path(argv[0]).name
    assert program.exists(), f"{argv[0]}: no such program in the virtualenv"
    args = _lib_args(argv)
    if args is not None:
        if _not_built_yet(argv):
            pytest.xfail(f"`python -m lib {args[0]}` is not in this build yet")
        parser().parse_args(args)  # the command and its options exist (argparse exits 2 otherwise)
    else:
        assert argv[1:3] == ["run", "app.py"] and (ROOT / "app.py").is_file()
    if shutil.which("systemd-analyze"):  # systemd's own check: syntax, and that ExecStart is executable
        copy = tmp_path / unit.name
        text = unit.read_text(encoding="utf-8").replace("/srv/callexpert", str(ROOT))
        copy.write_text(re.sub(r"^User=.*$", "", text, flags=re.M), encoding="utf-8")  # no such user here
        done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
