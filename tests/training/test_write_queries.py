"""A session write judges the model's check constraints in one query (not one per constraint), with Django's
own messages. How many queries each write costs in all is pinned in tests/core/test_write_queries.py."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.models import TrainingSession

pytestmark = pytest.mark.django_db

SELECTS_OF_CHECK_CONSTRAINTS = 1


def _plan():
    program = TrainingProgramFactory()
    phase = ProgramPhaseFactory(program=program)
    cycle = MicroCycleFactory(program=program, phase=phase, week_index=1)
    start = datetime.combine(program.start_date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    return program, phase, cycle, start


def _checks(ctx) -> int:
    return sum('AS "_check' in q["sql"] for q in ctx.captured_queries)


def test_creating_a_session_judges_its_constraints_in_one_query(coach_client):
    program, phase, cycle, start = _plan()
    body = {
        "programId": str(program.pk),
        "phaseId": str(phase.pk),
        "microCycleId": str(cycle.pk),
        "title": "Run",
        "scheduledAt": start.isoformat(),
        "durationMinutes": 45,
        "modality": "run",
        "plannedLoad": 300,
    }
    with CaptureQueriesContext(connection) as ctx:
        response = coach_client.post("/api/v1/sessions/", body, format="json")
    assert response.status_code == 201, response.content
    assert _checks(ctx) == SELECTS_OF_CHECK_CONSTRAINTS


@pytest.mark.parametrize(
    "change",
    [{"status": "completed", "rpe": 6}, {"title": "Tempo"}, {"status": "skipped"}],
    ids=["complete", "rename", "skip"],
)
def test_patching_a_session_judges_its_constraints_in_one_query(change, coach_client):
    program, phase, cycle, start = _plan()
    session = TrainingSessionFactory(program=program, phase=phase, micro_cycle=cycle, scheduled_at=start)
    with CaptureQueriesContext(connection) as ctx:
        response = coach_client.patch(f"/api/v1/sessions/{session.pk}/", change, format="json")
    assert response.status_code == 200, response.content
    assert _checks(ctx) == SELECTS_OF_CHECK_CONSTRAINTS


def test_violated_check_constraints_are_all_reported_with_their_messages_from_one_query():
    program, _, _, start = _plan()
    session = TrainingSession(
        program=program, athlete=program.athlete, title="Run", scheduled_at=start, duration_minutes=45, modality="run"
    )
    # Past the field validators (excluded), only the constraints can object: the duration range and the
    # completedAt-iff-completed rule, both at once.
    session.duration_minutes, session.status = 0, "completed"
    with CaptureQueriesContext(connection) as ctx, pytest.raises(ValidationError) as exc:
        session.validate_constraints()
    assert _checks(ctx) == 1
    messages = exc.value.message_dict["__all__"]
    assert "completedAt is set exactly when the session is completed." in messages
    assert any("session_duration_1_1440" in m for m in messages), messages


def test_check_constraints_on_excluded_fields_are_skipped_like_django_does():
    program, _, _, start = _plan()
    session = TrainingSession(
        program=program, athlete=program.athlete, title="Run", scheduled_at=start, duration_minutes=0, modality="run"
    )
    session.validate_constraints(exclude={"duration_minutes"})  # the only violated one names it: no error
    with pytest.raises(ValidationError):
        session.validate_constraints()


def test_a_valid_row_passes_the_constraints():
    program, _, _, start = _plan()
    session = TrainingSession(
        program=program, athlete=program.athlete, title="Run", scheduled_at=start, duration_minutes=45, modality="run"
    )
    session.validate_constraints()
