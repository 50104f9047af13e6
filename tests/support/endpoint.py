"""The notification endpoint (``lib.entrypoints.web``) served for real by uvicorn in a thread on a
free loopback port, with an HTTP client for it."""

from __future__ import annotations

import threading
import time as systime
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from lib.entrypoints.web import create_app, uvicorn_config
from lib.entrypoints.web_self_service import TokenLimiter
from lib.service import BookingService
from tests.support.env import free_port


@contextmanager
def serving(service: BookingService, limiter: TokenLimiter | None = None, *,
            timeout: float = 10.0) -> Iterator[httpx.Client]:
    """The endpoint over ``service`` (``limiter``: the self-service pages' per-token limit, the
    default's otherwise) and a client for it that waits ``timeout`` seconds for each answer.
    The server is stopped, and its thread gone, when the block ends."""
    port = free_port()
    server = uvicorn.Server(uvicorn_config(create_app(service, limiter), "127.0.0.1", port))
    thread = threading.Thread(target=server.run, name="endpoint", daemon=True)
    thread.start()
    deadline = systime.monotonic() + 15
    while not server.started:  # waiting for the socket to listen, not asserting on time
        assert thread.is_alive() and systime.monotonic() < deadline, "uvicorn did not start"
        systime.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=timeout) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(15)
        assert not thread.is_alive()
