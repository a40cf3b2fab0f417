"""/api/v1/exercises/: the catalogue every training reader reads and coaches write; its name rules, equipment,
filters, ordering, ETags, the catalogue the migration ships, and what its reads and writes cost in queries."""

from __future__ import annotations

import importlib
from collections import Counter
from unittest import mock

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import dialect
from tests.support.clients import anonymous_client, bearer_client
from tests.support.factories.athletes import (
    AthleteProfileFactory,
    CoachFactory,
    HeadCoachFactory,
    OperationsFactory,
    StaffFactory,
)
from tests.support.factories.training import ExerciseFactory
from tests.support.utils import postgres_only, status_codes_at_once
from training.workouts.models import Equipment, Exercise

pytestmark = pytest.mark.django_db

URL = "/api/v1/exercises/"


def _detail(exercise) -> str:
    return f"{URL}{exercise.pk}/"


def _body(**overrides) -> dict:
    return {
        "name": "Zercher squat",
        "category": "squat",
        "equipment": ["barbell"],
        "unilateral": False,
        "instructions": "Bar in the crook of the elbows.",
        **overrides,
    }


@pytest.fixture
def coach():
    return bearer_client(CoachFactory())


@pytest.fixture
def head_coach():
    return bearer_client(HeadCoachFactory())


# --- Roles --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coach", "head coach"])
def test_coaches_create_read_and_change_exercises(role):
    client = bearer_client(CoachFactory() if role == "coach" else HeadCoachFactory())
    created = client.post(URL, _body(), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {"id", "name", "category", "equipment", "unilateral", "instructions", "archived", "updatedAt"}
    assert (body["name"], body["equipment"], body["archived"]) == ("Zercher squat", ["barbell"], False)
    assert created["ETag"] == '"1"'
    url = f"{URL}{body['id']}/"
    assert client.get(url).json() == body
    patched = client.patch(url, {"archived": True, "unilateral": True}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["archived"], patched.json()["unilateral"], patched["ETag"]) == (True, True, '"2"')
    put = client.put(url, _body(name="Zercher squat (pause)", category="olympic"), format="json")
    assert put.status_code == 200, put.content
    assert Exercise.objects.get(pk=body["id"]).category == "olympic"


def test_an_athlete_reads_the_whole_catalogue_and_writes_nothing():
    athlete = AthleteProfileFactory()
    client = bearer_client(athlete.user)
    exercise = ExerciseFactory(name="Curl")
    listed = client.get(URL, {"pageSize": 200})
    assert listed.status_code == 200
    assert listed.json()["count"] == Exercise.objects.count()
    assert client.get(_detail(exercise)).status_code == 200
    assert client.post(URL, _body(), format="json").status_code == 403
    for method in ("patch", "put"):
        response = getattr(client, method)(_detail(exercise), _body(name="Mine"), format="json")
        assert response.status_code == 403, method
    assert client.patch(_detail(exercise), {"archived": True}, format="json").status_code == 403
    exercise.refresh_from_db()
    assert (exercise.name, exercise.archived, exercise.version) == ("Curl", False, 1)


@pytest.mark.parametrize("make_user", [OperationsFactory, StaffFactory], ids=["operations", "staff without groups"])
def test_operations_and_staff_without_a_role_get_403(make_user):
    client = bearer_client(make_user())
    exercise = ExerciseFactory()
    assert client.get(URL).status_code == 403
    assert client.get(_detail(exercise)).status_code == 403
    assert client.post(URL, _body(), format="json").status_code == 403
    assert client.patch(_detail(exercise), {"name": "X"}, format="json").status_code == 403


def test_anonymous_gets_401_with_a_challenge():
    client = anonymous_client()
    response = client.get(URL)
    assert response.status_code == 401 and response.has_header("WWW-Authenticate")
    assert client.post(URL, _body(), format="json").status_code == 401


def test_delete_is_405_for_everyone_and_deletes_nothing(coach, head_coach):
    exercise = ExerciseFactory()
    for client in (coach, head_coach, bearer_client(AthleteProfileFactory().user)):
        assert client.delete(_detail(exercise)).status_code == 405
    assert Exercise.objects.filter(pk=exercise.pk).exists()


# --- Name -------------------------------------------------------------------------------------------------


def test_a_name_of_80_characters_is_accepted_and_81_is_400(coach):
    assert coach.post(URL, _body(name="n" * 80), format="json").status_code == 201
    response = coach.post(URL, _body(name="m" * 81), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["name"] and "80" in response.json()["name"][0]


@pytest.mark.parametrize("name", ["", "   ", "\u200b"])
def test_a_blank_name_is_400(coach, name):
    response = coach.post(URL, _body(name=name), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["name"]


def test_a_missing_name_or_category_is_400(coach):
    response = coach.post(URL, {"equipment": []}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "category"}


def test_the_name_is_trimmed(coach):
    response = coach.post(URL, _body(name="  Zercher squat  "), format="json")
    assert response.json()["name"] == "Zercher squat"


@pytest.mark.parametrize("taken", ["back squat", "BACK SQUAT", "  Back Squat "])
def test_a_name_another_exercise_has_in_any_case_is_400_on_name(coach, taken):
    if not Exercise.objects.filter(name="Back squat").exists():  # the migration's, unless a flush removed it
        ExerciseFactory(name="Back squat")
    before = Exercise.objects.count()
    response = coach.post(URL, _body(name=taken), format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["An exercise with this name exists (names are unique ignoring case)."]}
    assert Exercise.objects.count() == before


def test_renaming_to_another_exercises_name_is_400_and_changes_nothing(coach):
    ExerciseFactory(name="Alpha lift")
    exercise = ExerciseFactory(name="Beta lift")
    response = coach.patch(_detail(exercise), {"name": "ALPHA LIFT"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["name"]
    exercise.refresh_from_db()
    assert (exercise.name, exercise.version) == ("Beta lift", 1)


def test_an_exercise_may_change_the_case_of_its_own_name(coach):
    exercise = ExerciseFactory(name="beta lift")
    response = coach.patch(_detail(exercise), {"name": "Beta Lift"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Beta Lift"


def test_a_name_taken_between_the_check_and_the_insert_is_400_on_name_not_500(coach):
    """A concurrent writer that commits the name after this request's check: the database's constraint refuses
    the insert, and the answer is the same 400 on `name`."""
    ExerciseFactory(name="Raced lift")
    before = Exercise.objects.count()
    with mock.patch.object(Exercise, "validate_constraints", lambda self, exclude=None: None):
        response = coach.post(URL, _body(name="raced LIFT"), format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {"name": ["An exercise with this name exists (names are unique ignoring case)."]}
    assert Exercise.objects.count() == before
    # The request's transaction was rolled back cleanly: the next write works.
    assert coach.post(URL, _body(name="Next lift"), format="json").status_code == 201


# --- Category and equipment -------------------------------------------------------------------------------


def test_an_unknown_category_is_400(coach):
    response = coach.post(URL, _body(category="legs"), format="json")
    assert response.status_code == 400 and list(response.json()) == ["category"]
    assert "legs" in response.json()["category"][0]


def test_equipment_duplicates_collapse_in_the_catalogues_order(coach):
    response = coach.post(URL, _body(equipment=["band", "barbell", "band", "barbell"]), format="json")
    assert response.status_code == 201
    assert response.json()["equipment"] == ["barbell", "band"]
    assert Exercise.objects.get(pk=response.json()["id"]).equipment == ["barbell", "band"]


def test_every_equipment_value_is_accepted_and_an_empty_list_too(coach):
    every = coach.post(URL, _body(equipment=list(reversed(Equipment.values))), format="json")
    assert every.status_code == 201 and every.json()["equipment"] == Equipment.values
    assert coach.post(URL, _body(name="No kit", equipment=[]), format="json").json()["equipment"] == []
    omitted = {k: v for k, v in _body(name="Omitted kit").items() if k != "equipment"}
    assert coach.post(URL, omitted, format="json").json()["equipment"] == []


def test_unknown_equipment_is_400_naming_it(coach):
    response = coach.post(URL, _body(equipment=["barbell", "sandbag", "anvil"]), format="json")
    assert response.status_code == 400
    message = response.json()["equipment"][0]
    assert "anvil, sandbag" in message and "barbell" in message.split("Use any of:")[1]


@pytest.mark.parametrize("equipment", ["barbell", None, {"barbell": True}, [1], [["barbell"]], ["x" * 100]])
def test_equipment_that_is_not_a_list_of_names_is_400(coach, equipment):
    response = coach.post(URL, _body(equipment=equipment), format="json")
    assert response.status_code == 400 and list(response.json()) == ["equipment"]


def test_a_patch_that_repeats_the_stored_equipment_changes_nothing(coach):
    exercise = ExerciseFactory(equipment=["barbell", "band"])
    response = coach.patch(_detail(exercise), {"equipment": ["band", "barbell", "band"]}, format="json")
    assert response.status_code == 200 and response["ETag"] == '"1"'


# --- Filters and ordering ---------------------------------------------------------------------------------


@pytest.fixture
def three():
    Exercise.objects.all().delete()
    return [
        ExerciseFactory(name="Cable row", category="pull", equipment=["cable"]),
        ExerciseFactory(name="Arm circle", category="mobility", equipment=[], archived=True),
        ExerciseFactory(name="Barbell row", category="pull"),
    ]


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_the_list_is_ordered_by_name(coach, three):
    assert _names(coach.get(URL)) == ["Arm circle", "Barbell row", "Cable row"]
    assert _names(coach.get(URL, {"ordering": "-name"})) == ["Cable row", "Barbell row", "Arm circle"]


def test_ordering_by_updated_at(coach, three):
    coach.patch(_detail(three[0]), {"instructions": "Pull to the navel."}, format="json")
    assert _names(coach.get(URL, {"ordering": "-updatedAt"}))[0] == "Cable row"


def test_filter_by_category(coach, three):
    assert _names(coach.get(URL, {"category": "pull"})) == ["Barbell row", "Cable row"]
    assert _names(coach.get(URL, {"category": "carry"})) == []


def test_an_unknown_category_filter_is_400(coach, three):
    response = coach.get(URL, {"category": "legs"})
    assert response.status_code == 400 and "category" in response.json()


def test_search_is_in_the_name_ignoring_case(coach, three):
    assert _names(coach.get(URL, {"search": "ROW"})) == ["Barbell row", "Cable row"]
    assert _names(coach.get(URL, {"search": "circ"})) == ["Arm circle"]
    assert coach.get(URL, {"search": "x" * 81}).status_code == 400


@pytest.mark.parametrize(("value", "names"), [("true", ["Arm circle"]), ("false", ["Barbell row", "Cable row"])])
def test_filter_by_archived(coach, three, value, names):
    assert _names(coach.get(URL, {"archived": value})) == names
    assert _names(coach.get(URL, {"archived": value.upper()})) == names


@pytest.mark.parametrize("value", ["maybe", "yes", "2"])
def test_an_archived_filter_that_is_not_a_boolean_is_400(coach, three, value):
    response = coach.get(URL, {"archived": value})
    assert response.status_code == 400 and "archived" in response.json()


def test_filters_combine(coach, three):
    assert _names(coach.get(URL, {"category": "pull", "archived": "false", "search": "cable"})) == ["Cable row"]


def test_updated_after(coach, three):
    stamp = coach.get(_detail(three[2])).json()["updatedAt"]
    coach.patch(_detail(three[0]), {"instructions": "Later."}, format="json")
    assert "Cable row" in _names(coach.get(URL, {"updatedAfter": stamp}))
    assert coach.get(URL, {"updatedAfter": "2030-01-01T00:00:00"}).status_code == 400  # no offset


# --- ETags ------------------------------------------------------------------------------------------------


def test_a_patch_with_a_stale_if_match_is_412_and_changes_nothing(coach):
    exercise = ExerciseFactory(name="Etag lift")
    etag = coach.get(_detail(exercise))["ETag"]
    assert coach.patch(_detail(exercise), {"name": "First"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    stale = coach.patch(_detail(exercise), {"name": "Second"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    exercise.refresh_from_db()
    assert (exercise.name, exercise.version) == ("First", 2)


def test_a_patch_with_the_current_if_match_goes_through(coach):
    exercise = ExerciseFactory()
    response = coach.patch(_detail(exercise), {"archived": True}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response["ETag"] == '"2"'


# --- The catalogue the migration ships --------------------------------------------------------------------

catalogue = importlib.import_module("training.migrations.0010_exercise_catalogue")


class _SchemaEditor:
    connection = connection


def test_the_migration_ships_at_least_50_common_exercises_the_api_lists(coach):
    # Run again here (it is idempotent): a transactional test elsewhere in the run may have flushed the rows.
    catalogue.add_catalogue(apps, _SchemaEditor())
    names = {row[0] for row in catalogue.CATALOGUE}
    assert len(names) == len(catalogue.CATALOGUE) >= 50
    assert {"Back squat", "Deadlift", "Bench press", "Pull-up"} <= names
    page = coach.get(URL, {"pageSize": 200}).json()
    listed = {row["name"] for row in page["results"]}
    assert names <= listed
    for exercise in Exercise.objects.filter(name__in=names):
        exercise.full_clean()  # every shipped row keeps the model's rules (name, category, equipment)


def test_the_migration_is_idempotent():
    catalogue.add_catalogue(apps, _SchemaEditor())
    before = Exercise.objects.count()
    catalogue.add_catalogue(apps, _SchemaEditor())
    assert Exercise.objects.count() == before


# --- Queries ----------------------------------------------------------------------------------------------


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, {"pageSize": 200, "category": "squat"})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["coach", "athlete"])
def test_the_list_costs_the_same_queries_for_any_number_of_rows(role, coach):
    client = coach if role == "coach" else bearer_client(AthleteProfileFactory().user)
    ExerciseFactory.create_batch(3)
    few = _list_queries(client)
    ExerciseFactory.create_batch(60)
    assert _list_queries(client) == few


def _write_queries(pinned_sqlite: int, pinned_postgresql: int) -> int:
    return pinned_postgresql if dialect.is_postgresql(connection) else pinned_sqlite


def test_a_create_costs_its_pinned_queries(coach, django_assert_num_queries):
    # token (+ permissions on SQLite), savepoint, the name check, the category check (savepoint, select,
    # release), insert, release
    with django_assert_num_queries(_write_queries(9, 8)):
        assert coach.post(URL, _body(), format="json").status_code == 201


def test_a_patch_costs_its_pinned_queries(coach, django_assert_num_queries):
    exercise = ExerciseFactory()
    # + the lookup and the locked re-read; the same with If-Match
    with django_assert_num_queries(_write_queries(11, 10)):
        response = coach.patch(_detail(exercise), {"name": "Renamed"}, format="json", HTTP_IF_MATCH='"1"')
        assert response.status_code == 200


def test_a_patch_that_changes_nothing_costs_no_write(coach, django_assert_num_queries):
    exercise = ExerciseFactory(name="Same")
    with django_assert_num_queries(_write_queries(6, 5)):
        assert coach.patch(_detail(exercise), {"name": "Same"}, format="json").status_code == 200


# --- Races (PostgreSQL) -----------------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_creates_of_one_name_in_different_cases_make_exactly_one():
    names = ["Race lift", "RACE LIFT", "race lift", "Race Lift", "rAce lift", "race LIFT", "RACE lift", "Race lifT"]
    clients = [bearer_client(CoachFactory()) for _ in names]
    codes = status_codes_at_once(
        [(lambda c=c, n=n: c.post(URL, _body(name=n), format="json")) for c, n in zip(clients, names, strict=True)]
    )
    assert Counter(codes) == {201: 1, 400: len(names) - 1}, codes
    assert Exercise.objects.filter(name__iexact="race lift").count() == 1
