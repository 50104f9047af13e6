"""The time arithmetic of a calendar's rolling request budget, shared by both stores.

Requests are counted in per-second buckets. A request taken at any moment of a second may have
gone out at its very end, so a bucket is counted until its second *ended* 60 s ago: the
buckets from ``oldest_counted(now)`` on (61 of them). Any 60-second span then holds at most the
limit, including one that starts late in a bucket's second.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

WINDOW = timedelta(seconds=60)
BUCKET = timedelta(seconds=1)


def bucket_start(now: datetime) -> datetime:
    """The start (UTC, whole second) of the bucket a request taken at ``now`` is counted in."""
    return now.astimezone(UTC).replace(microsecond=0)


def oldest_counted(now: datetime) -> datetime:
    """The oldest bucket still counted at ``now``; older buckets can be deleted."""
    return bucket_start(now) - WINDOW


def seconds_until_free(buckets: Iterable[tuple[datetime, int]], limit: int, now: datetime) -> float:
    """Seconds from ``now`` until the counted ``buckets`` (start, used; oldest first) sum to less
    than ``limit``, i.e. until enough of the oldest have left the window. Never zero, so a full
    window is always waited out; 0.0 only when there is room now."""
    rows = list(buckets)
    excess = sum(used for _, used in rows) - limit + 1
    if excess <= 0:
        return 0.0
    for start, used in rows:
        excess -= used
        if excess <= 0:
            return max((start + BUCKET + WINDOW - now).total_seconds(), 0.001)
    raise AssertionError("unreachable: the buckets' sum exceeds the limit")
