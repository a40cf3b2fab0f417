"""The exercise catalogue in the admin: coaches add and change, archive and restore; nobody deletes; operations
see nothing of it; the changelist costs the same queries for any number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.support.factories.athletes import CoachFactory, HeadCoachFactory, OperationsFactory, UserFactory
from tests.support.factories.training import ExerciseFactory
from training.workouts.models import Exercise

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:training_exercise_changelist")
ADD = reverse("admin:training_exercise_add")


def _change(exercise) -> str:
    return reverse("admin:training_exercise_change", args=[exercise.pk])


def _delete(exercise) -> str:
    return reverse("admin:training_exercise_delete", args=[exercise.pk])


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def coach() -> Client:
    return _client(CoachFactory())


def _form(**overrides) -> dict:
    return {
        "name": "Zercher squat",
        "category": "squat",
        "equipment": ["barbell", "band"],
        "unilateral": "",
        "instructions": "Bar in the elbows.",
        **overrides,
    }


@pytest.mark.parametrize("make_user", [CoachFactory, HeadCoachFactory], ids=["coach", "head coach"])
def test_coaches_add_and_change_exercises(make_user):
    client = _client(make_user())
    response = client.post(ADD, _form())
    assert response.status_code == 302, response.content[:2000]
    exercise = Exercise.objects.get(name="Zercher squat")
    assert (exercise.category, exercise.equipment, exercise.unilateral) == ("squat", ["barbell", "band"], False)
    response = client.post(_change(exercise), _form(name="Zercher squat (pause)", unilateral="on", equipment=["band"]))
    assert response.status_code == 302
    exercise.refresh_from_db()
    assert (exercise.name, exercise.unilateral, exercise.equipment, exercise.version) == (
        "Zercher squat (pause)",
        True,
        ["band"],
        2,
    )
    page = client.get(_change(exercise))
    assert page.status_code == 200
    assert page.context["adminform"].form["equipment"].value() == ["band"]


def test_a_name_another_exercise_has_in_another_case_shows_on_the_name_field(coach):
    ExerciseFactory(name="Hack squat")
    response = coach.post(ADD, _form(name="HACK SQUAT"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["name"]
    assert "unique ignoring case" in errors["name"][0]
    assert Exercise.objects.filter(name__iexact="hack squat").count() == 1


def test_an_unknown_equipment_value_is_a_form_error(coach):
    response = coach.post(ADD, _form(equipment=["anvil"]))
    assert response.status_code == 200
    assert "equipment" in response.context["adminform"].form.errors
    assert not Exercise.objects.filter(name="Zercher squat").exists()


def test_nobody_deletes_an_exercise_here_not_even_a_superuser(coach):
    exercise = ExerciseFactory()
    superuser = _client(UserFactory(is_staff=True, is_superuser=True))
    for client in (coach, superuser):
        assert client.get(_delete(exercise)).status_code == 403
        assert client.post(_delete(exercise), {"post": "yes"}).status_code == 403
        actions = client.get(CHANGELIST).context["cl"].model_admin.get_actions(client.get(CHANGELIST).wsgi_request)
        assert "delete_selected" not in actions
        assert {"archive", "restore"} <= set(actions)
    assert Exercise.objects.filter(pk=exercise.pk).exists()


def test_archive_and_restore_actions(coach):
    kept, old = ExerciseFactory(name="Kept lift"), ExerciseFactory(name="Old lift", archived=True)
    response = coach.post(CHANGELIST, {"action": "archive", "_selected_action": [str(kept.pk), str(old.pk)]})
    assert response.status_code == 302
    kept.refresh_from_db()
    old.refresh_from_db()
    assert (kept.archived, kept.version) == (True, 2)
    assert (old.archived, old.version) == (True, 1)  # already archived: unchanged
    coach.post(CHANGELIST, {"action": "restore", "_selected_action": [str(kept.pk)]})
    kept.refresh_from_db()
    assert (kept.archived, kept.version) == (False, 3)


@pytest.mark.parametrize("path", ["changelist", "add", "change"])
def test_operations_get_403(path):
    client = _client(OperationsFactory())
    exercise = ExerciseFactory()
    url = {"changelist": CHANGELIST, "add": ADD, "change": _change(exercise)}[path]
    assert client.get(url).status_code == 403


def test_the_changelist_filters_and_searches(coach):
    ExerciseFactory(name="Zz carry", category="carry")
    ExerciseFactory(name="Zz archived carry", category="carry", archived=True)
    names = lambda response: [row.name for row in response.context["cl"].result_list]  # noqa: E731
    assert names(coach.get(CHANGELIST, {"category__exact": "carry", "q": "zz"})) == ["Zz archived carry", "Zz carry"]
    assert names(coach.get(CHANGELIST, {"archived__exact": "1", "q": "zz"})) == ["Zz archived carry"]
    page = coach.get(CHANGELIST, {"q": "zz carry"})
    assert b"Barbell" in page.content  # the equipment column's labels


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_changelist_costs_the_same_queries_for_any_number_of_rows(coach):
    ExerciseFactory.create_batch(3)
    few = _changelist_queries(coach)
    ExerciseFactory.create_batch(60)
    assert _changelist_queries(coach) == few
