"""training.local_time.LocalDate: the athlete-local date the database computes is the date Python computes
(`instant.astimezone(ZoneInfo(zone)).date()`), for every timezone name an athlete may have, on both databases."""

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from athletes.models import AthleteProfile, PrimaryGoal
from athletes.validators import iana_timezones
from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from training.load import queries
from training.local_time import LocalDate, local_today
from training.models import TrainingProgram

pytestmark = pytest.mark.django_db

# A summer and a winter day, every half hour: whatever a zone's offset, some of these instants fall on either
# side of its local midnight. Plus the hours around the EU and US clock changes of 2026.
INSTANTS = [
    *(datetime(2026, 7, 15, tzinfo=UTC) + timedelta(minutes=30 * i) for i in range(48)),
    *(datetime(2026, 1, 15, tzinfo=UTC) + timedelta(minutes=30 * i) for i in range(48)),
    *(datetime(2026, 3, 28, 21, tzinfo=UTC) + timedelta(hours=i) for i in range(6)),
    *(datetime(2026, 10, 24, 21, tzinfo=UTC) + timedelta(hours=i) for i in range(6)),
    *(datetime(2026, 3, 8, 3, tzinfo=UTC) + timedelta(hours=i) for i in range(6)),
]


def test_every_accepted_timezone_name_gives_pythons_date():
    """On PostgreSQL a few legacy names (CET, EET, MET, WET) are also abbreviations with a fixed offset: read as
    such, a CET athlete's summer evening after 22:00 UTC would still be "today" in SQL and "tomorrow" in Python."""
    names = sorted(iana_timezones())
    users = get_user_model().objects.bulk_create(get_user_model()(username=f"tz{i}") for i in range(len(names)))
    AthleteProfile.objects.bulk_create(
        AthleteProfile(user=user, display_name=name, timezone=name, primary_goal=PrimaryGoal.ENDURANCE)
        for user, name in zip(users, names, strict=True)
    )
    zones = {name: zoneinfo.ZoneInfo(name) for name in names}
    wrong = set()
    for instant in INSTANTS:
        rows = AthleteProfile.objects.annotate(day=local_today(instant, "timezone")).values_list("timezone", "day")
        wrong |= {(name, instant) for name, day in rows if day != instant.astimezone(zones[name]).date()}
    assert sorted(wrong) == []


@pytest.mark.parametrize("zone", ["CET", "Europe/Brussels", "WET", "Asia/Tokyo", "America/Los_Angeles"])
def test_a_session_counts_on_its_athletes_local_day(zone):
    # 22:30 UTC on a summer day: 00:30 the next day in CET and Brussels (summer time, +2), 23:30 the same day in
    # WET (summer time, +1); PostgreSQL's fixed-offset abbreviations would give 23:30 and 22:30.
    athlete = AthleteProfileFactory(timezone=zone)
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 7, 1), end_date=date(2026, 7, 31))
    when = datetime(2026, 7, 15, 22, 30, tzinfo=UTC)
    TrainingSessionFactory(program=program, scheduled_at=when, status="completed", load=100.0, completed_at=when)
    expected = when.astimezone(zoneinfo.ZoneInfo(zone)).date()

    _, daily = queries.athlete_daily_totals(athlete, date(2026, 7, 31))
    assert list(daily) == [expected]
    (summary,) = queries.summaries([athlete], on=expected)
    assert summary.load == 100.0
    grouped = program.sessions.annotate(day=LocalDate("scheduled_at", "athlete__timezone")).values_list(
        "day", flat=True
    )
    assert list(grouped) == [expected]


def test_the_program_metrics_take_today_in_the_athletes_zone():
    athlete = AthleteProfileFactory(timezone="CET")
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 7, 1), end_date=date(2026, 7, 31))
    now = datetime(2026, 7, 15, 22, 30, tzinfo=UTC)  # 00:30 on the 16th in CET (summer time)
    assert TrainingProgram.objects.with_metrics(now).get(pk=program.pk).local_today == date(2026, 7, 16)
