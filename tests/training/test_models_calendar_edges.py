"""Dates at the calendar's edges (years 1 and 9999) are judged, not crashed on (OverflowError)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from athletes.models import local_day_bounds, outside_local_days
from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from training.models import TrainingSession

pytestmark = pytest.mark.django_db

KIRITIMATI = "Pacific/Kiritimati"  # UTC+14
PAGO_PAGO = "Pacific/Pago_Pago"  # UTC-11


def test_bounds_beyond_the_datetime_range_are_none():
    # Tokyo's year-1 offset is its local mean time, +9:18:59: its first midnight is before datetime.min in UTC.
    assert local_day_bounds(date.min, date.max, ZoneInfo("Asia/Tokyo")) == (None, None)
    # Los Angeles is behind UTC in both years (local mean time -7:52:58 in year 1, PST in 9999).
    first, after_last = local_day_bounds(date.min, date(9999, 12, 30), ZoneInfo("America/Los_Angeles"))
    assert first == datetime(1, 1, 1, 7, 52, 58, tzinfo=UTC)
    assert after_last == datetime(9999, 12, 31, 8, tzinfo=UTC)
    assert outside_local_days(date.min, date.max, ZoneInfo("Asia/Tokyo")) is None


@pytest.mark.parametrize("tz", [KIRITIMATI, PAGO_PAGO, "UTC"])
def test_program_ending_on_the_last_calendar_day_with_sessions_is_judged(tz):
    program = TrainingProgramFactory(athlete=AthleteProfileFactory(timezone=tz))
    TrainingSessionFactory(program=program)
    program.end_date = date.max
    program.full_clean()
    program.start_date = date.min
    program.full_clean()
    program.start_date = program.end_date = date.max
    with pytest.raises(ValidationError) as exc:
        program.full_clean()
    assert "end_date" in exc.value.message_dict  # the session is now before the program


def test_session_at_the_end_of_time_in_a_timezone_ahead_of_utc_is_refused_not_crashed():
    program = TrainingProgramFactory(
        athlete=AthleteProfileFactory(timezone=KIRITIMATI), start_date=date(9999, 12, 1), end_date=date.max
    )
    session = TrainingSession(
        program=program, title="x", duration_minutes=5, modality="run", scheduled_at=datetime.max.replace(tzinfo=UTC)
    )
    with pytest.raises(ValidationError) as exc:
        session.full_clean()
    assert "scheduled_at" in exc.value.message_dict


def test_session_at_the_end_of_time_in_a_timezone_behind_utc_is_accepted():
    program = TrainingProgramFactory(
        athlete=AthleteProfileFactory(timezone=PAGO_PAGO), start_date=date(9999, 12, 1), end_date=date.max
    )
    TrainingSession(
        program=program,
        title="x",
        duration_minutes=5,
        modality="run",
        scheduled_at=datetime.max.replace(tzinfo=UTC) - timedelta(hours=1),
    ).full_clean()


def test_timezone_change_with_programs_at_the_calendar_edges_moves_sessions_not_crashes():
    athlete = AthleteProfileFactory(timezone="UTC")
    program = TrainingProgramFactory(athlete=athlete, start_date=date.min, end_date=date.max)
    ordinary = TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 3, 10, tzinfo=UTC))
    # 00:30 on the first day: the same wall-clock time in Tokyo (+9:18:59 in year 1) is before datetime.min.
    first = TrainingSessionFactory(program=program, scheduled_at=datetime(1, 1, 1, 0, 30, tzinfo=UTC))
    last = TrainingSessionFactory(program=program, scheduled_at=datetime(9999, 12, 31, 23, 30, tzinfo=UTC))
    athlete.timezone = "Asia/Tokyo"
    athlete.full_clean()
    athlete.save()
    for session in (ordinary, first, last):
        session.refresh_from_db()
    assert first.scheduled_at == datetime(1, 1, 1, 0, 30, tzinfo=UTC)  # cannot be represented: the instant stays
    assert last.scheduled_at == datetime(9999, 12, 31, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
    # 23:30 on the last day in Pago Pago (UTC-11) is past datetime.max: that session stays where it is too.
    athlete.timezone = PAGO_PAGO
    athlete.full_clean()
    athlete.save()
    for session in (ordinary, first, last):
        session.refresh_from_db()
    assert ordinary.scheduled_at.astimezone(ZoneInfo(PAGO_PAGO)).replace(tzinfo=None) == datetime(2026, 3, 10)
    assert first.scheduled_at == datetime(1, 1, 1, 0, 30, tzinfo=UTC)
    assert last.scheduled_at == datetime(9999, 12, 31, 14, 30, tzinfo=UTC)
