"""The background job runs, shared by every worker on one store.

One of the protocols ``lib.store.BookingStore`` is made of; see ``lib/store/__init__.py``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from lib.domain import JobRun


@runtime_checkable
class JobRunStore(Protocol):
    """Each worker records its job runs; the ops page reads the latest."""

    def record_job_run(self, run: JobRun, keep_days: int) -> None:
        """Store one finished run, and drop runs of any job that finished more than ``keep_days``
        days before it."""
        ...

    def last_job_runs(self) -> list[JobRun]:
        """The latest run of each job (by the order runs were recorded), by job name."""
        ...
