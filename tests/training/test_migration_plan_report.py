"""The plan-coherence migration checks existing rows: it reports rows that break the new clean() rules and
leaves them alone, and it stops (changing nothing) on rows its new constraints would refuse, listing them."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from tests.support.utils import ON_POSTGRES
from training.models import MicroCycle, TrainingSession
from training.plan_report import plan_report

START = date(2026, 3, 2)
END = date(2026, 3, 29)
BEFORE = "0003_session_rpe_planned_load"


@pytest.mark.django_db
def test_clean_rules_broken_by_existing_rows_are_reported_not_fixed():
    program = TrainingProgramFactory(start_date=START, end_date=END)
    phase = ProgramPhaseFactory(program=program, start_date=START, end_date=date(2026, 3, 8))
    cycle = MicroCycleFactory(program=program, phase=phase, week_index=3)  # 16–22 March, outside the phase
    loose = MicroCycleFactory(program=program, week_index=1)
    stray = TrainingSessionFactory(program=program, micro_cycle=loose, scheduled_at=datetime(2026, 3, 12, tzinfo=UTC))
    early = TrainingSessionFactory(
        program=program, status="completed", completed_at=timezone.now() + timedelta(days=2), title="Early"
    )
    fine = TrainingSessionFactory(program=program, phase=phase)
    report = plan_report(apps)
    assert report.blocking == {}
    assert report.report["micro-cycle week outside its phase"] == [
        f"micro-cycle {cycle.pk}: week 3 (2026-03-16 – 2026-03-22), phase 2026-03-02 – 2026-03-08"
    ]
    assert report.report["session outside its program, phase or week"] == [
        f"session {stray.pk}: 2026-03-12, week 1 (2026-03-02 – 2026-03-08)"
    ]
    assert [row.split(":")[0] for row in report.report["completedAt in the future"]] == [f"session {early.pk}"]
    assert str(fine.pk) not in "\n".join(report.lines())
    stray.refresh_from_db()
    assert stray.scheduled_at == datetime(2026, 3, 12, tzinfo=UTC)  # reported, not changed


@pytest.mark.django_db
def test_a_coherent_plan_reports_nothing():
    program = TrainingProgramFactory(start_date=START, end_date=END)
    phase = ProgramPhaseFactory(program=program)
    cycle = MicroCycleFactory(program=program, phase=phase, week_index=2, status="current")
    TrainingSessionFactory(program=program, micro_cycle=cycle, status="completed", rpe=5)
    assert plan_report(apps).empty


@pytest.mark.skipif(ON_POSTGRES, reason="PostgreSQL's composite keys refuse these rows before a report could")
@pytest.mark.django_db
def test_rows_whose_parents_disagree_are_blocking():
    program, other = TrainingProgramFactory(), TrainingProgramFactory()
    phase = ProgramPhaseFactory(program=other)
    session = TrainingSessionFactory(program=program)
    TrainingSession.objects.filter(pk=session.pk).update(phase=phase)
    cycle = MicroCycleFactory(program=program)
    MicroCycle.objects.filter(pk=cycle.pk).update(phase=phase)
    report = plan_report(apps)
    assert report.blocking == {
        "micro-cycle whose phase is in another program": [f"micro-cycle {cycle.pk}"],
        "session whose phase is in another program": [f"session {session.pk}"],
    }


def _insert_as_before(built):
    """Insert a factory-built row with only the columns its table has at BEFORE: later migrations add columns
    that the current model would write and the old table does not have."""
    old_apps = MigrationExecutor(connection).loader.project_state(("training", BEFORE)).apps
    old_model = old_apps.get_model("training", type(built).__name__)
    columns = {field.attname for field in old_model._meta.concrete_fields}
    values = {f.attname: getattr(built, f.attname) for f in type(built)._meta.concrete_fields if f.attname in columns}
    return old_model.objects.create(**values)


@pytest.mark.django_db(transaction=True)
def test_migration_stops_on_rows_its_constraints_would_refuse_listing_them(capsys):
    call_command("migrate", "training", BEFORE, verbosity=0)
    try:
        program = TrainingProgramFactory()
        MicroCycleFactory(program=program, week_index=1, status="current")
        second = MicroCycleFactory(program=program, week_index=2, status="current")
        rated = _insert_as_before(TrainingSessionFactory.build(program=program, status="planned", rpe=4))
        with pytest.raises(RuntimeError, match="fix them"):
            call_command("migrate", "training", "0004_plan_coherence", verbosity=0)
        out = capsys.readouterr().out
        assert (
            f"two or more current micro-cycles in a program (1 rows, must be fixed first):\n  program {program.pk}"
            in out
        )
        assert f"RPE on a session that is not completed (1 rows, must be fixed first):\n  session {rated.pk}" in out
        names = set(MigrationRecorder(connection).applied_migrations())
        assert ("training", "0004_plan_coherence") not in names  # nothing was changed
        MicroCycle.objects.filter(pk=second.pk).update(status="planned")
        TrainingSession.objects.filter(pk=rated.pk).update(rpe=None)
        call_command("migrate", "training", "0004_plan_coherence", verbosity=0)
        assert ("training", "0004_plan_coherence") in set(MigrationRecorder(connection).applied_migrations())
    finally:
        # Rows that block the plan-coherence migration would stop this forward migration half way and leave
        # every later test on the old schema: empty the tables first (the test's teardown empties them anyway).
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)
