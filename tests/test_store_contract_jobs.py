"""The ``JobRunStore`` contract (the background workers' runs),
on both stores (the ``store`` fixture of tests/support/store_contract.py: SQLite, and Supabase over
PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from lib.store import JobRunStore
from tests.support.store_contract import (  # noqa: F401 - the fixtures among them
    NOW,
    confirmed,
    paid,
    pg_db,
    store,
)

CONTRACT = (JobRunStore,)  # the protocols whose every method this module exercises


def test_job_runs_keep_each_jobs_latest_and_drop_old_ones(store):
    from lib.domain import JobOutcome, JobRun

    assert store.last_job_runs() == []
    old = JobRun("send-emails", "old-host:1", NOW - timedelta(days=20, seconds=5), NOW - timedelta(days=20),
                 JobOutcome.OK, "", {"sent": 1})
    store.record_job_run(old, 14)
    first = JobRun("create-links", "host-a:10", NOW, NOW + timedelta(seconds=2), JobOutcome.FAILED,
                   "Supabase is busy or unavailable (503) while listing; try again in a moment.", {})
    later = JobRun("create-links", "host-b:20", NOW + timedelta(seconds=60), NOW + timedelta(seconds=61),
                   JobOutcome.LEFT_WORK, "1 paid booking(s) still without a link",
                   {"confirmed": 2, "failed": 1, "still waiting": 1})
    store.record_job_run(first, 14)
    assert [(r.job, r.worker) for r in store.last_job_runs()] == [("create-links", "host-a:10")]  # 20 days old: gone
    store.record_job_run(later, 14)
    emails = JobRun("send-emails", "host-a:10", NOW + timedelta(seconds=3), NOW + timedelta(seconds=4),
                    JobOutcome.OK, "", {"sent": 4, "failed": 0})
    store.record_job_run(emails, 14)
    assert store.last_job_runs() == [later, emails]  # the latest of each job, by name, exactly as recorded

