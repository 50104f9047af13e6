"""A test's surroundings: environment variables without proxies or stray settings, and free ports."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
              "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def drop_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset every proxy variable: the tests' servers are on the loopback address."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


# Settings a test chose for every process it runs (tests/support/hours.py), kept for its subprocesses.
KEPT_SETTINGS = ("CALLEXPERT_DEFAULT_AVAILABILITY",)


def clean_environ(tmp: Path, **env: str) -> dict[str, str]:
    """This process's environment without proxies or other ``CALLEXPERT_*`` settings (but those of
    ``KEPT_SETTINGS``), plus ``env``; no secrets file, so only what the test sets counts."""
    out = {k: v for k, v in os.environ.items()
           if (not k.startswith("CALLEXPERT_") or k in KEPT_SETTINGS) and k not in PROXY_VARS}
    out["CALLEXPERT_SECRETS_FILE"] = str(tmp / "no-secrets.toml")
    out.update(env)
    return out


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
