"""Runs of the background worker's jobs: recorded by each worker, read by the ops page."""

from __future__ import annotations

from lib.access import Actor, require_staff
from lib.domain import JobRun
from lib.service.ports import Ports
from lib.store import JobRunStore

# Runs older than this are dropped as new ones are recorded: the ops page wants the latest, and a
# worker records a few thousand runs a day.
KEEP_DAYS = 14


class JobRuns:
    """The job-run log in the store, shared by every worker of the deployment."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    @property
    def store(self) -> JobRunStore:
        """The store, as the protocols this part uses (see ``lib.service.ports``)."""
        return self.ports.store

    def record(self, run: JobRun, *, actor: Actor) -> None:
        """Store one finished run (the worker, as the system)."""
        require_staff(actor, "record job runs")
        self.store.record_job_run(run, KEEP_DAYS)

    def latest(self, *, actor: Actor) -> list[JobRun]:
        """Each job's latest run, by job name (staff)."""
        require_staff(actor, "see the background jobs")
        return self.store.last_job_runs()
