"""The pages' one-call reads in the service (``my_sessions_view``, ``availability_view``,
``ops_view``) on the demo data: each shows what the separate service reads show, and each keeps
their permission checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lib.access import SYSTEM, Actor, Role, expert_actor
from lib.demo_data import seed_demo
from lib.domain import BookingStatus, EmailStatus
from lib.errors import PermissionDenied
from lib.service import BookingService

OPS = Actor(Role.OPS, email="ops@example.com")


@pytest.fixture
def demo(service: BookingService) -> BookingService:
    seed_demo(service)
    return service


def test_my_sessions_view_is_the_separate_reads(demo):
    monday = demo.today() - timedelta(days=demo.today().weekday())
    for expert in demo.experts(actor=SYSTEM):
        for actor in (OPS, expert_actor(expert)):
            view = demo.my_sessions_view(expert, monday, monday + timedelta(days=6), actor=actor)
            assert view.sessions == demo.sessions_between(expert.id, monday, monday + timedelta(days=6), actor=actor)
            assert view.availability == demo.availability(expert.id, actor=actor)
            assert view.upcoming == demo.upcoming_for_expert(expert.id, actor=actor)
    assert any(demo.my_sessions_view(e, monday - timedelta(days=7), monday, actor=OPS).sessions.bookings
               for e in demo.experts(actor=SYSTEM))  # the demo has sessions to compare


def test_availability_view_is_the_separate_reads(demo):
    for expert in demo.experts(actor=SYSTEM):
        view = demo.availability_view(expert, actor=expert_actor(expert))
        assert view.availability == demo.availability(expert.id, actor=OPS)
        assert view.problem == demo.availability_problem(expert.id, actor=OPS) is None
        assert view.session_types == demo.session_types(expert.id, actor=OPS) != []


def test_ops_view_is_the_separate_reads(demo):
    experts = demo.experts(actor=SYSTEM)
    for status in (None, BookingStatus.CONFIRMED, BookingStatus.PAID):
        recent = demo.recent_bookings(status=status, actor=OPS)
        for wanted in (None, recent[-1].id if recent else None):
            view = demo.ops_view(status, wanted, experts, actor=OPS)
            assert view.counts == demo.ops_counts(actor=OPS)
            assert view.missing == demo.missing_links(actor=OPS)
            assert view.failed_emails == [e for e in demo.emails(actor=OPS) if e.status is EmailStatus.FAILED]
            assert view.changes == demo.customer_changes(actor=OPS)
            assert view.job_runs == demo.job_runs(actor=OPS)
            assert view.recent == recent
            chosen = next((b for b in recent if b.id == wanted), recent[0] if recent else None)
            assert view.chosen == chosen
            if chosen is not None:
                assert view.history == demo.history(chosen.id, actor=OPS)
                assert view.expert is not None and view.expert.id == chosen.expert_id
                assert view.availability == demo.availability(chosen.expert_id, actor=OPS)


def test_the_views_keep_their_permission_checks(demo):
    sari, budi = demo.experts(actor=SYSTEM)[:2]
    as_sari = expert_actor(sari)
    with pytest.raises(PermissionDenied):
        demo.my_sessions_view(budi, demo.today(), demo.today(), actor=as_sari)
    with pytest.raises(PermissionDenied):
        demo.availability_view(budi, actor=as_sari)
    with pytest.raises(PermissionDenied):
        demo.ops_view(None, None, [sari, budi], actor=as_sari)
