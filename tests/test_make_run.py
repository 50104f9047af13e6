"""`make run` serves the console on this machine only: the command the Makefile runs listens on
the loopback address and nowhere else, unless `ADDRESS=` says otherwise."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.env import clean_environ, free_port

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent.parent  # the virtualenv running the tests stands in for .venv
LISTEN = "0A"  # the TCP state LISTEN in /proc/net/tcp


def run_command(*assignments: str) -> list[str]:
    """The `streamlit run` command `make run` would start (``make -n`` prints without running)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed (apt-get install make)")
    printed = subprocess.run(["make", "-n", "run", f"VENV={VENV}", *assignments], cwd=ROOT, capture_output=True,
                             text=True, check=True, env={**os.environ, "MAKEFLAGS": ""}).stdout
    (line,) = [line for line in printed.splitlines() if " run app.py " in line]
    return shlex.split(line)


def _address(hex_address: str) -> str:
    """``0100007F:1F90`` (/proc/net/tcp's little-endian words) -> ``127.0.0.1``; IPv6 likewise."""
    raw = bytes.fromhex(hex_address.split(":")[0])
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return ".".join(str(b) for b in words)
    import ipaddress

    return str(ipaddress.IPv6Address(words))


def listening_on(port: int) -> set[str]:
    """The addresses a socket listens on at ``port`` (IPv4 and IPv6), from /proc/net."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            if state == LISTEN and int(local.split(":")[1], 16) == port:
                found.add(_address(local))
    return found


def test_make_run_passes_the_loopback_address_and_address_overrides_it():
    assert run_command("PORT=8600")[-4:] == ["--server.port", "8600", "--server.address", "127.0.0.1"]
    assert run_command("ADDRESS=0.0.0.0")[-2:] == ["--server.address", "0.0.0.0"]


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="no /proc/net/tcp (Linux only)")
def test_the_console_started_as_make_run_starts_it_listens_on_loopback_only(tmp_path):
    port = free_port()
    argv = run_command(f"PORT={port}")
    env = clean_environ(tmp_path, CALLEXPERT_SQLITE_PATH=str(tmp_path / "run.db"), CALLEXPERT_SEED_DEMO_DATA="false")
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not listening_on(port):  # waiting for the server to listen, not asserting on time
            assert proc.poll() is None and time.monotonic() < deadline, "the console did not start"
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as reply:
            assert reply.status == 200
        addresses = listening_on(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=20)[0]
    assert addresses == {"127.0.0.1"}, (addresses, out)
    assert "Network URL" not in out, out
