"""A write judges its row against its parents as they are under the program's lock, never against the copies
the request's body parser read before it (a lock only protects what is read after it).

The race this guards: request A PUTs a session (its phase unchanged, a new date) while request B shrinks that
phase; A's parser read the phase before B committed. A must be judged against the shrunk phase. The race is
played here without threads: the "parser's copy" is read, then the phase changes, then the service runs."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training import services
from training.models import ProgramPhase

pytestmark = pytest.mark.django_db

START = date(2027, 1, 4)  # a Monday
END = START + timedelta(weeks=8) - timedelta(days=1)


def _plan():
    athlete = AthleteProfileFactory(timezone="UTC")
    program = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
    phase = ProgramPhaseFactory(program=program, phase_order=1, start_date=START, end_date=END)
    return program, phase


def _shrink(phase, *, weeks: int) -> ProgramPhase:
    """The phase as the parser read it, then shrunk to `weeks` weeks by another writer."""
    stale = ProgramPhase.objects.get(pk=phase.pk)
    ProgramPhase.objects.filter(pk=phase.pk).update(end_date=START + timedelta(weeks=weeks) - timedelta(days=1))
    return stale


def test_a_session_is_judged_against_its_phase_as_locked_not_as_parsed():
    program, phase = _plan()
    session = TrainingSessionFactory(
        program=program, phase=phase, scheduled_at=datetime.combine(START, datetime.min.time(), tzinfo=UTC)
    )
    stale = _shrink(phase, weeks=2)
    late = datetime.combine(START + timedelta(weeks=5), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    with pytest.raises(ValidationError) as refused:
        services.session_write(instance=session, changes={"phase": stale, "scheduled_at": late})
    assert "scheduled_at" in refused.value.message_dict
    session.refresh_from_db()
    assert session.scheduled_at.date() == START


def test_a_micro_cycle_is_judged_against_its_phase_as_locked_not_as_parsed():
    program, phase = _plan()
    cycle = MicroCycleFactory(program=program, phase=phase, week_index=1)
    stale = _shrink(phase, weeks=2)
    with pytest.raises(ValidationError) as refused:
        services.micro_cycle_write(instance=cycle, changes={"phase": stale, "week_index": 6})
    assert "week_index" in refused.value.message_dict
    cycle.refresh_from_db()
    assert cycle.week_index == 1


def test_logging_a_session_still_reads_no_parent():
    """The fix costs a read only where a rule judges against the parent: logging a session judges none."""
    program, phase = _plan()
    session = TrainingSessionFactory(
        program=program, phase=phase, scheduled_at=datetime.combine(START, datetime.min.time(), tzinfo=UTC)
    )
    stale = _shrink(phase, weeks=2)
    with CaptureQueriesContext(connection) as ctx:
        written = services.session_write(instance=session, changes={"phase": stale, "status": "skipped"})
    assert written.status == "skipped"
    assert not [q["sql"] for q in ctx.captured_queries if 'FROM "training_programphase"' in q["sql"]]
