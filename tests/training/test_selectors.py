"""The selectors: one definition of "who sees what", reused by every endpoint and admin page."""

import pytest

from athletes.selectors import athlete_filter, athlete_list, coach_users
from tests.support.factories.athletes import (
    AthleteProfileFactory,
    CoachFactory,
    HeadCoachFactory,
    OperationsFactory,
    StaffFactory,
    UserFactory,
)
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from training import selectors
from training.models import TrainingProgram, TrainingSession

pytestmark = pytest.mark.django_db


def test_an_athlete_with_two_coaches_is_listed_once_with_its_metrics_intact():
    coach, other = CoachFactory(), CoachFactory()
    athlete = AthleteProfileFactory()
    athlete.coaches.set([coach, other])
    program = TrainingProgramFactory(athlete=athlete)
    TrainingSessionFactory.create_batch(3, program=program)
    assert list(athlete_list(user=coach)) == [athlete]
    programs = list(selectors.program_list(user=coach, queryset=TrainingProgram.objects.with_metrics()))
    assert programs == [program]
    assert selectors.session_list(user=coach).count() == 3
    assert list(athlete_list(user=HeadCoachFactory())) == [athlete]


@pytest.mark.parametrize(
    ("make", "sees"),
    [
        (lambda mine: CoachFactory(), "nothing"),
        (lambda mine: OperationsFactory(), "nothing"),
        (lambda mine: StaffFactory(), "nothing"),
        (lambda mine: UserFactory(), "nothing"),
        (lambda mine: UserFactory(is_active=False, is_superuser=True), "nothing"),
        (lambda mine: mine.user, "own"),
        (lambda mine: UserFactory(is_superuser=True), "all"),
        (lambda mine: HeadCoachFactory(), "all"),
    ],
)
def test_every_selector_follows_the_athlete_rule(make, sees):
    mine, other = AthleteProfileFactory(), AthleteProfileFactory()
    for athlete in (mine, other):
        TrainingSessionFactory(program=TrainingProgramFactory(athlete=athlete))
    user = make(mine)
    expected = {"nothing": set(), "own": {mine.pk}, "all": {mine.pk, other.pk}}[sees]
    assert set(athlete_list(user=user).values_list("pk", flat=True)) == expected
    for selector in (selectors.program_list, selectors.session_list):
        assert set(selector(user=user).values_list("athlete_id", flat=True)) == expected
    for selector in (selectors.phase_list, selectors.micro_cycle_list):
        assert set(selector(user=user).values_list("program__athlete_id", flat=True)) <= expected


def test_athlete_filter_scopes_any_row_that_names_an_athlete():
    coach = CoachFactory()
    mine, other = AthleteProfileFactory(), AthleteProfileFactory()
    mine.coaches.set([coach])
    TrainingSessionFactory(program=TrainingProgramFactory(athlete=mine))
    TrainingSessionFactory(program=TrainingProgramFactory(athlete=other))
    rows = TrainingSession.objects.filter(athlete_filter(user=coach, field="program__athlete_id"))
    assert set(rows.values_list("athlete_id", flat=True)) == {mine.pk}


def test_coach_users_are_active_holders_of_the_coach_permission():
    coach, head = CoachFactory(), HeadCoachFactory()
    CoachFactory(is_active=False)
    OperationsFactory()
    StaffFactory()
    AthleteProfileFactory()
    assert set(coach_users()) == {coach, head}
