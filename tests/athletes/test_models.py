"""AthleteProfile rules: display name, timezone, primary goal, one profile per user."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError

from athletes.models import AthleteProfile, PrimaryGoal
from tests.support.factories.athletes import AthleteProfileFactory, UserFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory

pytestmark = pytest.mark.django_db


def build(**kwargs) -> AthleteProfile:
    defaults = {"display_name": "Ada", "timezone": "UTC", "primary_goal": PrimaryGoal.STRENGTH}
    return AthleteProfile(user=kwargs.pop("user", None) or UserFactory(), **{**defaults, **kwargs})


def errors_of(instance) -> dict:
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
    return exc.value.message_dict


# --- displayName: 1–80 characters after trimming ---------------------------------------------------


@pytest.mark.parametrize("name", ["A", "x" * 80, "  " + "x" * 80 + "  ", "Ølaf Ås", "名前"])
def test_display_name_of_1_to_80_characters_is_accepted(name):
    profile = build(display_name=name)
    profile.full_clean()
    profile.save()
    assert profile.display_name == name.strip()


@pytest.mark.parametrize("name", ["x" * 81, " " + "x" * 81])
def test_display_name_of_81_characters_is_refused(name):
    assert "display_name" in errors_of(build(display_name=name))


@pytest.mark.parametrize("name", ["", " ", "   \t\n "])
def test_blank_or_whitespace_display_name_is_refused(name):
    assert "display_name" in errors_of(build(display_name=name))


@pytest.mark.parametrize("name", ["", "   "])
def test_database_refuses_blank_display_name_without_clean(name):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(display_name=name).save()


def test_database_refuses_blank_display_name_through_update():
    profile = AthleteProfileFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AthleteProfile.objects.filter(pk=profile.pk).update(display_name="  ")


def test_database_refuses_blank_display_name_through_bulk_create():
    with pytest.raises(IntegrityError), transaction.atomic():
        AthleteProfile.objects.bulk_create([build(display_name=" ")])


# --- timezone: a valid IANA name --------------------------------------------------------------------


@pytest.mark.parametrize("tz", ["Europe/Oslo", "UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Kolkata"])
def test_valid_iana_timezone_is_accepted(tz):
    profile = build(timezone=tz)
    profile.full_clean()
    profile.save()
    assert profile.tzinfo.key == tz


@pytest.mark.parametrize("tz", ["Mars/Olympus", "", "utc ", "Europe/oslo", "GMT+25", "../etc/passwd", "x" * 64])
def test_invalid_timezone_is_refused(tz):
    assert "timezone" in errors_of(build(timezone=tz))


def test_timezone_defaults_to_utc():
    profile = AthleteProfile(user=UserFactory(), display_name="A", primary_goal=PrimaryGoal.POWER)
    profile.full_clean()
    assert profile.timezone == "UTC"


# --- primaryGoal: one of the enumerated focus areas -----------------------------------------------


@pytest.mark.parametrize("goal", PrimaryGoal.values)
def test_every_listed_primary_goal_is_accepted(goal):
    build(primary_goal=goal).full_clean()


def test_primary_goal_values_are_the_documented_ones():
    assert set(PrimaryGoal.values) == {
        "endurance",
        "strength",
        "hypertrophy",
        "power",
        "speed",
        "mobility",
        "body_composition",
        "general_fitness",
        "sport_performance",
        "rehabilitation",
    }


@pytest.mark.parametrize("goal", ["flexibility", "", "Endurance", "strength "])
def test_unknown_primary_goal_is_refused(goal):
    assert "primary_goal" in errors_of(build(primary_goal=goal))


def test_database_refuses_unknown_primary_goal_without_clean():
    with pytest.raises(IntegrityError), transaction.atomic():
        build(primary_goal="flexibility").save()


# --- one profile per user; a user with a profile is protected -------------------------------------


def test_second_profile_for_a_user_is_refused_by_full_clean():
    first = AthleteProfileFactory()
    assert "user" in errors_of(build(user=first.user))


def test_database_refuses_second_profile_for_a_user():
    first = AthleteProfileFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        build(user=first.user).save()


def test_profiles_of_different_users_are_accepted():
    AthleteProfileFactory()
    build().full_clean()


def test_deleting_a_user_with_a_profile_is_refused():
    profile = AthleteProfileFactory()
    with pytest.raises(ProtectedError):
        profile.user.delete()
    assert AthleteProfile.objects.filter(pk=profile.pk).exists()


def test_coach_notes_may_be_empty():
    profile = build(coach_notes="")
    profile.full_clean()
    profile.save()
    assert AthleteProfile.objects.get(pk=profile.pk).coach_notes == ""


# --- a timezone change moves the sessions with it (athletes.travel; more in test_travel.py) ------------


def program_with_session(tz: str, scheduled_at: datetime):
    athlete = AthleteProfileFactory(timezone=tz)
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 3, 2), end_date=date(2026, 3, 29))
    TrainingSessionFactory(program=program, scheduled_at=scheduled_at, title="Late run")
    return athlete


@pytest.mark.parametrize(
    ("scheduled_at", "zone"),
    [
        # 29 Mar 23:30 UTC is the program's last day in UTC, but 30 Mar in Oslo (UTC+2 after 29 Mar 01:00 UTC).
        (datetime(2026, 3, 29, 23, 30, tzinfo=UTC), "Europe/Oslo"),
        # 2 Mar 03:00 UTC is the first day in UTC but still 1 Mar in Los Angeles.
        (datetime(2026, 3, 2, 3, 0, tzinfo=UTC), "America/Los_Angeles"),
    ],
)
def test_timezone_change_that_once_stranded_a_session_keeps_it_on_its_day(scheduled_at, zone):
    athlete = program_with_session("UTC", scheduled_at)
    athlete.timezone = zone
    athlete.full_clean()
    athlete.save()
    session = athlete.sessions.get()
    local = session.scheduled_at.astimezone(athlete.tzinfo)
    assert (local.date(), local.time()) == (scheduled_at.date(), scheduled_at.time())
    assert session.program.start_date <= local.date() <= session.program.end_date


def test_timezone_change_that_keeps_sessions_inside_is_accepted():
    athlete = program_with_session("UTC", datetime(2026, 3, 29, 12, 0, tzinfo=UTC))
    athlete.timezone = "Europe/Oslo"
    athlete.full_clean()
    athlete.timezone = "America/Los_Angeles"
    athlete.full_clean()


def test_other_fields_can_change_without_a_timezone_check():
    athlete = program_with_session("UTC", datetime(2026, 3, 29, 23, 30, tzinfo=UTC))
    athlete.display_name = "Renamed"
    athlete.full_clean()
