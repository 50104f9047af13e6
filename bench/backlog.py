"""A backlog at Google's quota, two processes: paid bookings without links (as after a long Google
outage) linked at once by the console's "Create all missing links" (``create_missing_links``) and
by the worker's link job (``lib.entrypoints.worker.create_links``, run again until nothing waits),
each in its own OS process, over one SQLite file, against the Calendar stand-in at Google's shape
with a per-minute quota.

Both processes take their request slots from the console's shared budget
(``google.requests_per_minute``, counted in the store), set to the stand-in's quota. The stand-in
records every request, so the busiest rolling minute across both processes and the requests it
refused for quota are read from its records, not from the console's own counting.

The bound is the minute the budget lets the last requests go: N requests under B a minute cannot
all have gone before ``60 s * floor((N - 1) / B)``; a run within 1.1x of it lost no time beyond
the last requests' own latency.

``python -m bench.backlog --process console|worker ...`` is one of the two processes (started by
``measure_backlog``): it builds the service, prints ``ready``, waits for a line on stdin, links,
and prints what it did as JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time as clock
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.config import BENCH, ROOT, BenchConfig

BACKLOG = 300  # paid bookings without links
QUOTA = 200  # the stand-in's per-minute quota and the console's shared budget
DEADLINE_S = 300.0  # a process that has not finished by then has failed


def budget_bound(requests: int, per_minute: int) -> float:
    """The earliest moment (s) the last of ``requests`` may go under ``per_minute`` a rolling minute."""
    return 60.0 * ((requests - 1) // per_minute) if requests > 0 else 0.0


def _service(db: Path, api: str, token: str, per_minute: int) -> Any:
    from lib.config import GoogleSettings, Settings
    from lib.wiring import build_service

    google = GoogleSettings(credentials_json=token, api_endpoint=api, requests_per_minute=per_minute)
    return build_service(Settings(sqlite_path=str(db), seed_demo_data=False, meeting_provider="google", google=google))


def _console(service: Any) -> dict[str, Any]:
    result = service.create_missing_links(actor=BENCH)
    return {"confirmed": len(result.confirmed), "skipped": len(result.skipped), "failed": len(result.failed)}


def _worker(service: Any) -> dict[str, Any]:
    """The worker's link job, run again while bookings wait (those another process holds come back
    to it if that process lets them go), a second apart as a short job interval would."""
    from lib.entrypoints.worker import WORKER, create_links

    stop, runs, confirmed = threading.Event(), 0, 0
    deadline = clock.monotonic() + DEADLINE_S
    while clock.monotonic() < deadline:
        done = create_links(service, stop)
        runs, confirmed = runs + 1, confirmed + done.counts.get("confirmed", 0)
        if not service.missing_links(actor=WORKER):
            break
        clock.sleep(1.0)
    return {"confirmed": confirmed, "runs": runs}


def child(argv: list[str]) -> int:
    """One of the two processes: build, say ready, wait for the go, link, report."""
    p = argparse.ArgumentParser(prog="python -m bench.backlog")
    p.add_argument("--process", choices=("console", "worker"), required=True)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--api", required=True)
    p.add_argument("--token", required=True, help="the authorized-user credentials, as JSON")
    p.add_argument("--per-minute", type=int, default=QUOTA)
    args = p.parse_args(argv)
    import google.oauth2.credentials as user_credentials

    # An authorized-user token always refreshes at Google's fixed URL; point it at the stand-in.
    user_credentials._GOOGLE_OAUTH2_TOKEN_ENDPOINT = json.loads(args.token)["token_uri"]
    service = _service(args.db, args.api, args.token, args.per_minute)
    print("ready", flush=True)
    sys.stdin.readline()
    began = clock.perf_counter()
    did = _console(service) if args.process == "console" else _worker(service)
    print(json.dumps({"process": args.process, "time_s": round(clock.perf_counter() - began, 3), **did}), flush=True)
    return 0


def _spawn(kind: str, db: Path, server: Any, token: str, per_minute: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bench.backlog", "--process", kind, "--db", str(db),
                             "--api", server.base_url, "--token", token, "--per-minute", str(per_minute)],
                            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _line(process: subprocess.Popen[str], kind: str) -> str:
    line = process.stdout.readline() if process.stdout else ""
    if not line:
        process.wait(10)
        raise RuntimeError(f"the {kind} process of the backlog figure ended without a word (exit {process.returncode})")
    return line.strip()


def measure_backlog(config: BenchConfig, folder: Path, links: int = BACKLOG, quota: int = QUOTA) -> dict[str, Any]:
    """Link ``links`` paid bookings from two processes at once under ``quota`` a minute (stand-in
    and shared budget); what the stand-in recorded, the goals' figures, and each process's report."""
    from bench.links import _calendar, _check_links, _paid_bookings, _shape, _token, most_per_minute

    db = folder / "backlog.db"
    with _calendar(config.seed) as server:
        ids = _paid_bookings(db, links)
        token = _token(server)
        processes = {kind: _spawn(kind, db, server, token, quota) for kind in ("console", "worker")}
        try:
            for kind, process in processes.items():
                if _line(process, kind) != "ready":
                    raise RuntimeError(f"the {kind} process of the backlog figure did not start")
            _shape(server, replace(config, quota_per_minute=quota))
            began = clock.perf_counter()
            for process in processes.values():
                assert process.stdin is not None
                process.stdin.write("go\n")
                process.stdin.flush()
            reports = {kind: json.loads(_line(process, kind)) for kind, process in processes.items()}
            took = clock.perf_counter() - began
        finally:
            for process in processes.values():
                if process.poll() is None:
                    try:
                        process.wait(DEADLINE_S)
                    except subprocess.TimeoutExpired:
                        process.kill()
        server.wait_idle(10)
        with server._lock:
            recorded = [r for r in server.requests if r.op != "token"]
        service = _service(db, server.base_url, token, quota)
        try:
            _check_links(service, server, ids)
            wrong = 0
        except RuntimeError as exc:
            wrong = int(str(exc).split(" of ", 1)[0])
        requests = len(recorded)
        bound = budget_bound(requests, quota)
        return {"bookings": links, "quota_per_minute": quota, "requests_per_minute": quota,
                "time_s": round(took, 3), "requests": requests, "requests_per_link": round(requests / links, 3),
                "bound_s": bound, "vs_bound": round(took / bound, 3) if bound else None,
                "most_per_minute": most_per_minute(recorded),
                "quota_refused": sum(1 for r in recorded if r.fault == "quota"),
                "rate_limited": sum(1 for r in recorded if r.fault == "rate_limit"),
                "not_linked": wrong, "processes": reports}


if __name__ == "__main__":
    sys.exit(child(sys.argv[1:]))
