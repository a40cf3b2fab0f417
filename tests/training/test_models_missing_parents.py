"""An id that names no row is a validation error on its field, never a crash inside clean()."""

import uuid
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from tests.support.factories.training import TrainingProgramFactory
from training.models import MicroCycle, ProgramPhase, TrainingSession

pytestmark = pytest.mark.django_db

MISSING = uuid.UUID("00000000-0000-7000-8000-000000000000")


def session(**kwargs) -> TrainingSession:
    base = {"title": "x", "scheduled_at": datetime(2026, 1, 1, tzinfo=UTC), "duration_minutes": 5, "modality": "run"}
    return TrainingSession(**{**base, **kwargs})


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (
            lambda: ProgramPhase(
                program_id=MISSING,
                name="a",
                focus="b",
                phase_order=1,
                start_date=date(2026, 1, 1),
                end_date=date(2026, 1, 2),
            ),
            "program",
        ),
        (lambda: MicroCycle(program_id=MISSING, week_index=1), "program"),
        (lambda: MicroCycle(program=TrainingProgramFactory(), phase_id=MISSING, week_index=1), "phase"),
        (lambda: session(program_id=MISSING), "program"),
        (lambda: session(program=TrainingProgramFactory(), phase_id=MISSING), "phase"),
        (lambda: session(program=TrainingProgramFactory(), micro_cycle_id=MISSING), "micro_cycle"),
        (lambda: session(program=TrainingProgramFactory(), athlete_id=MISSING), "athlete"),
    ],
    ids=[
        "phase.program",
        "cycle.program",
        "cycle.phase",
        "session.program",
        "session.phase",
        "session.cycle",
        "session.athlete",
    ],
)
def test_missing_parent_is_a_field_error(make, field):
    with pytest.raises(ValidationError) as exc:
        make().full_clean()
    assert field in exc.value.message_dict


def test_program_moved_to_a_missing_athlete_is_a_field_error():
    program = TrainingProgramFactory()
    program.athlete_id = MISSING
    with pytest.raises(ValidationError) as exc:
        program.full_clean()
    assert "athlete" in exc.value.message_dict
