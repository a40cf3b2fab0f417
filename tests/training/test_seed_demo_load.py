"""seed_demo's training load: RPE on completed sessions, load = RPE × minutes, planned load on every session."""

from datetime import UTC, datetime

import pytest
from django.db.models import F, Q

from athletes.models import AthleteProfile
from training.load import queries
from training.management.commands.seed_demo import BLOCK_RPE, plan_athlete, seed_demo
from training.models import SessionStatus, TrainingSession

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_completed_sessions_have_rpe_and_load_rpe_times_minutes():
    seed_demo(athletes=3, weeks=12, now=NOW)
    completed = TrainingSession.objects.filter(status=SessionStatus.COMPLETED)
    assert completed.exists()
    assert not completed.filter(Q(rpe__isnull=True) | Q(load__isnull=True)).exists()
    assert completed.filter(rpe__gte=1, rpe__lte=10).count() == completed.count()
    assert completed.exclude(load=F("rpe") * F("duration_minutes")).count() == 0
    others = TrainingSession.objects.exclude(status=SessionStatus.COMPLETED)
    assert not others.filter(Q(rpe__isnull=False) | Q(load__isnull=False)).exists()
    assert not TrainingSession.objects.filter(planned_load__isnull=True).exists()


def test_planned_load_follows_a_three_up_one_down_block():
    plan = plan_athlete(index=3, weeks=12, seed=2026, now=NOW, password_hash="x")
    for session in plan.sessions:
        rpe = BLOCK_RPE[(session.micro_cycle.week_index - 1) % 4]
        assert session.planned_load == round(rpe * session.duration_minutes)
    deload = [s for s in plan.sessions if s.micro_cycle.week_index % 4 == 0]
    assert deload and all(s.planned_load < 4 * s.duration_minutes for s in deload)


def test_the_load_is_deterministic_per_seed():
    def loads(seed):
        plan = plan_athlete(index=5, weeks=12, seed=seed, now=NOW, password_hash="x")
        return [(s.rpe, s.load, s.planned_load) for s in plan.sessions]

    assert loads(1) == loads(1) and loads(1) != loads(2)


def test_seeded_athletes_have_a_live_load_summary():
    seed_demo(athletes=2, weeks=12, now=NOW)
    rows = queries.summaries(AthleteProfile.objects.order_by("display_name"), now=NOW)
    assert len(rows) == 2
    assert all(r.fitness > 0 and r.chronic > 0 and r.acwr is not None for r in rows)
