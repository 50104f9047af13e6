"""The bound of the link figure (``bench.links``) on hand-made request records: the rounds at C
requests at once, the per-minute budget, and the critical path of the slowest link's own
requests. Nothing here runs a server or takes time."""

from __future__ import annotations

import pytest

from bench.backlog import budget_bound
from bench.links import critical_path, link_bound, most_per_minute
from tests.support.calendar_server import RecordedRequest


def req(op: str, latency: float, event_id: str | None = None, fault: str | None = None,
        retry_after: float | None = None, at: float = 0.0) -> RecordedRequest:
    return RecordedRequest(op, "GET", "/", {}, None, {}, fault, latency, event_id, retry_after, at)


def test_a_links_chain_is_its_own_requests_the_retry_after_it_was_told_and_its_reads_at_the_least_latency():
    records = [
        req("token", 0.0),
        # Link a: a 429 on its insert (waited 0.2 s, told 1 s), then the insert; its conference needs 2 reads.
        req("events.insert", 0.2, "a", "rate_limit", 1.0),
        req("events.insert", 0.3, "a"),
        # Link b: a slow insert (the tail); 1 read, its own get (served: counted at the least read latency).
        req("events.insert", 0.9, "b"),
        req("events.get", 0.4, "b"),
        # Shared reads: the least served read latency is 0.1 s; a refused read does not set it.
        req("events.list", 0.1),
        req("events.list", 0.5),
        req("events.get", 0.05, "b", "rate_limit", 1.0),
    ]
    # a: 0.2 + 1 + 0.3 + 2 x 0.1 = 1.7; b: 0.9 + (0.05 + 1, the refused read) + 1 x 0.1 = 2.05
    took, slowest = critical_path(records, {"a": 2, "b": 1})
    assert slowest == "b" and took == pytest.approx(2.05)
    took, slowest = critical_path(records[:-1], {"a": 2, "b": 1})
    assert slowest == "a" and took == pytest.approx(1.7)


def test_a_shared_list_counts_once_for_each_link_that_waited_for_it():
    records = [req("events.insert", 0.2, "a"), req("events.insert", 0.2, "b"), req("events.list", 0.3)]
    assert critical_path(records, {"a": 1, "b": 1})[0] == pytest.approx(0.5)  # not 0.2 + 0.3 / 2
    assert critical_path([], {}) == (0.0, None)


def test_the_bound_is_the_largest_of_the_rounds_the_budget_and_the_critical_path():
    # 220 requests of 0.3 s, 24 at once: 10 rounds = 3.0 s; within one minute's budget of 500.
    assert link_bound(200, 220, 0.3, 24, 500) == pytest.approx(3.0)
    assert link_bound(200, 220, 0.3, 24, 500, critical=4.2) == pytest.approx(4.2)  # the slowest link's chain
    assert link_bound(200, 220, 0.3, 5, 500, critical=4.2) == pytest.approx(13.2)  # 44 rounds
    # 520 requests under 500 a minute: the last may not go before 60 s.
    assert link_bound(200, 520, 0.3, 24, 500, critical=4.2) == pytest.approx(60.0)
    assert link_bound(0, 0, 0.3, 24, 500, critical=0.0) == 0.0


def test_most_per_minute_counts_the_api_requests_of_the_busiest_rolling_minute():
    records = [req("events.insert", 0.1, at=t) for t in (0, 10, 59.9, 60, 61, 130)] + [req("token", 0, at=30)]
    assert most_per_minute(records) == 4  # 10, 59.9, 60, 61 (0 left the window at 60)
    assert most_per_minute([]) == 0


def test_the_backlog_bound_is_the_minute_the_budget_lets_the_last_requests_go():
    assert budget_bound(200, 200) == 0.0  # all within the first minute
    assert budget_bound(201, 200) == 60.0 and budget_bound(331, 200) == 60.0
    assert budget_bound(401, 200) == 120.0 and budget_bound(0, 200) == 0.0
