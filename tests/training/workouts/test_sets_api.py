"""GET/PUT /api/v1/sessions/{id}/sets/: a session's performed sets as one list, replaced whole, with an ETag."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import dialect
from tests.support.clients import anonymous_client, bearer_client
from tests.support.factories.athletes import CoachFactory, OperationsFactory, StaffFactory
from tests.support.factories.training import ExerciseFactory, PerformedSetFactory, TrainingSessionFactory
from tests.support.utils import postgres_only, status_codes_at_once
from training.workouts.models import PerformedSet
from training.workouts.performed_sets import MAX_SETS_PER_SESSION

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(athlete):
    return TrainingSessionFactory(program__athlete=athlete, status="completed")


@pytest.fixture
def squat(db):
    return ExerciseFactory(name="Test squat variant")


@pytest.fixture
def bench(db):
    return ExerciseFactory(name="Test bench variant")


def url(session) -> str:
    return f"/api/v1/sessions/{session.pk}/sets/"


def a_set(exercise, set_index=1, **fields) -> dict:
    body = {"exerciseId": str(exercise.pk), "setIndex": set_index, "reps": 5, "loadKg": 100, "rir": 2}
    body.update(fields)
    return body


def stored(session) -> list[tuple]:
    return list(
        PerformedSet.objects.filter(session=session)
        .order_by("id")
        .values_list("exercise_id", "set_index", "reps", "seconds", "load_kg", "rir", "athlete_id")
    )


# --- Happy path -------------------------------------------------------------------------------------------------


def test_a_session_without_sets_is_an_empty_array_with_an_etag(coach_client, session):
    response = coach_client.get(url(session))
    assert response.status_code == 200
    assert response.content == b"[]"
    assert response["ETag"].startswith('"') and len(response["ETag"]) > 10


def test_put_replaces_the_list_and_answers_it_in_the_order_given(coach_client, session, squat, bench):
    PerformedSetFactory(session=session, exercise=squat, set_index=1)  # replaced, not kept
    body = [
        a_set(bench, 1, loadKg=80.5, rir=None),
        a_set(squat, 1),
        a_set(bench, 2, reps=None, seconds=30, loadKg=None),
        a_set(squat, 2, reps=0),
    ]
    response = coach_client.put(url(session), body, format="json")
    assert response.status_code == 200, response.content
    expected = [
        {"exerciseId": str(bench.pk), "setIndex": 1, "reps": 5, "seconds": None, "loadKg": 80.5, "rir": None},
        {"exerciseId": str(squat.pk), "setIndex": 1, "reps": 5, "seconds": None, "loadKg": 100.0, "rir": 2},
        {"exerciseId": str(bench.pk), "setIndex": 2, "reps": None, "seconds": 30, "loadKg": None, "rir": 2},
        {"exerciseId": str(squat.pk), "setIndex": 2, "reps": 0, "seconds": None, "loadKg": 100.0, "rir": 2},
    ]
    assert response.json() == expected
    read = coach_client.get(url(session))
    assert read.json() == expected
    assert read["ETag"] == response["ETag"]
    rows = stored(session)
    assert len(rows) == 4 and {row[-1] for row in rows} == {session.athlete_id}


def test_an_empty_array_clears_the_sets(coach_client, session, squat):
    PerformedSetFactory.create_batch(3, session=session, exercise=squat)
    response = coach_client.put(url(session), [], format="json")
    assert response.status_code == 200 and response.json() == []
    assert stored(session) == []


def test_the_etag_changes_with_the_sets_and_not_with_an_identical_put(coach_client, session, squat):
    empty = coach_client.get(url(session))["ETag"]
    first = coach_client.put(url(session), [a_set(squat)], format="json")["ETag"]
    again = coach_client.put(url(session), [a_set(squat)], format="json", HTTP_IF_MATCH=first)
    assert again.status_code == 200 and again["ETag"] == first
    heavier = coach_client.put(url(session), [a_set(squat, loadKg=102.5)], format="json")["ETag"]
    assert len({empty, first, heavier}) == 3
    # The same sets on another session are another version.
    other = TrainingSessionFactory(program=session.program)
    assert coach_client.put(url(other), [a_set(squat)], format="json")["ETag"] != first


def test_an_archived_exercise_may_be_logged(coach_client, session):
    archived = ExerciseFactory(archived=True)
    response = coach_client.put(url(session), [a_set(archived)], format="json")
    assert response.status_code == 200, response.content


def test_route_answers_without_its_trailing_slash(coach_client, session, squat):
    response = coach_client.put(url(session).rstrip("/"), [a_set(squat)], format="json")
    assert response.status_code == 200, response.content


# --- Boundaries -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"reps": 0}, 200),
        ({"reps": 100}, 200),
        ({"reps": 101}, 400),
        ({"reps": -1}, 400),
        ({"reps": None, "seconds": 0}, 200),
        ({"reps": None, "seconds": 3600}, 200),
        ({"reps": None, "seconds": 3601}, 400),
        ({"loadKg": 0}, 200),
        ({"loadKg": 1000}, 200),
        ({"loadKg": "1000.00"}, 200),
        ({"loadKg": 1000.01}, 400),
        ({"loadKg": -0.5}, 400),
        ({"loadKg": 12.345}, 400),
        ({"loadKg": None}, 200),
        ({"rir": 0}, 200),
        ({"rir": 10}, 200),
        ({"rir": 11}, 400),
        ({"setIndex": 0}, 400),
        ({"setIndex": 100}, 200),
        ({"setIndex": 101}, 400),
    ],
)
def test_ranges(coach_client, session, squat, fields, status):
    before = stored(session)
    response = coach_client.put(url(session), [a_set(squat, **fields)], format="json")
    assert response.status_code == status, response.content
    if status == 400:
        errors = response.json()
        assert list(errors) == ["0"]  # the item, by its position
        assert set(errors["0"]) == {key for key, value in fields.items() if value is not None}  # named, camelCase
        assert stored(session) == before


def test_at_most_the_bound_of_sets(coach_client, session, squat, bench):
    full = [a_set(ex, i) for ex in (squat, bench) for i in range(1, 61)]
    assert len(full) == MAX_SETS_PER_SESSION
    assert coach_client.put(url(session), full, format="json").status_code == 200
    response = coach_client.put(url(session), [*full, a_set(ExerciseFactory())], format="json")
    assert response.status_code == 400
    assert "nonFieldErrors" in response.json() and str(MAX_SETS_PER_SESSION) in response.json()["nonFieldErrors"][0]
    assert len(stored(session)) == MAX_SETS_PER_SESSION


# --- Bad input: 400 naming the item, nothing written ----------------------------------------------------------


def test_a_duplicate_set_index_names_the_later_item(coach_client, session, squat, bench):
    PerformedSetFactory(session=session, exercise=squat, set_index=1)
    before = stored(session)
    body = [a_set(squat, 1), a_set(bench, 1), a_set(squat, 1, reps=3)]
    response = coach_client.put(url(session), body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["2"]
    assert list(errors["2"]) == ["setIndex"] and "item 0" in errors["2"]["setIndex"][0]
    assert stored(session) == before


def test_an_unknown_exercise_names_the_item(coach_client, session, squat):
    before = stored(session)
    body = [a_set(squat), {**a_set(squat, 2), "exerciseId": str(uuid.uuid4())}]
    response = coach_client.put(url(session), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"1": {"exerciseId": ["No exercise with this id."]}}
    assert stored(session) == before


@pytest.mark.parametrize(
    ("item", "key"),
    [
        ({"reps": None}, "reps"),  # neither reps nor seconds
        ({"seconds": 30}, "reps"),  # both
        ({"reps": "five"}, "reps"),
        ({"reps": 2.5}, "reps"),
        ({"reps": True}, "reps"),
        ({"loadKg": "heavy"}, "loadKg"),
        ({"loadKg": [100]}, "loadKg"),
        ({"setIndex": None}, "setIndex"),
        ({"exerciseId": "squat"}, "exerciseId"),
        ({"exerciseId": None}, "exerciseId"),
        ({"weightKg": 100}, "weightKg"),  # an unknown key
        ({"id": 7}, "id"),
    ],
)
def test_a_bad_item_is_a_400_naming_its_field(coach_client, session, squat, item, key):
    PerformedSetFactory(session=session, exercise=squat)
    before = stored(session)
    response = coach_client.put(url(session), [a_set(squat), {**a_set(squat, 2), **item}], format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert list(errors) == ["1"] and key in errors["1"], errors
    assert stored(session) == before


@pytest.mark.parametrize("body", [{"exerciseId": "x"}, "sets", 5, None, [1, 2], [[]], ["x" * 100_000]])
def test_a_body_that_is_not_an_array_of_objects_is_a_400(coach_client, session, body):
    response = coach_client.put(url(session), body, format="json")
    assert response.status_code == 400, response.content


def test_malformed_json_and_a_wrong_content_type_are_4xx(coach_client, session):
    assert coach_client.put(url(session), "[{", content_type="application/json").status_code == 400
    assert coach_client.put(url(session), "a=1", content_type="application/x-www-form-urlencoded").status_code == 415


def test_a_missing_session_and_a_malformed_id_are_404(coach_client):
    assert coach_client.get(f"/api/v1/sessions/{uuid.uuid4()}/sets/").status_code == 404
    assert coach_client.put(f"/api/v1/sessions/{uuid.uuid4()}/sets/", [], format="json").status_code == 404
    assert coach_client.get("/api/v1/sessions/not-a-uuid/sets/").status_code == 404


def test_delete_post_and_patch_are_405(coach_client, session):
    assert coach_client.delete(url(session)).status_code == 405
    assert coach_client.post(url(session), [], format="json").status_code == 405
    assert coach_client.patch(url(session), [], format="json").status_code == 405


# --- If-Match ---------------------------------------------------------------------------------------------------


def test_a_stale_if_match_is_412_and_changes_nothing(coach_client, session, squat):
    etag = coach_client.get(url(session))["ETag"]
    assert coach_client.put(url(session), [a_set(squat)], format="json", HTTP_IF_MATCH=etag).status_code == 200
    before = stored(session)
    response = coach_client.put(url(session), [a_set(squat, reps=8)], format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert stored(session) == before


def test_a_stale_if_match_is_412_before_the_body_is_judged(coach_client, session, squat):
    response = coach_client.put(url(session), {"not": "a list"}, format="json", HTTP_IF_MATCH='"stale"')
    assert response.status_code == 412


@pytest.mark.parametrize("header", ["*", "{etag}", "W/{etag}", '"other", {etag}'])
def test_if_match_forms_that_pass(coach_client, session, squat, header):
    etag = coach_client.get(url(session))["ETag"]
    response = coach_client.put(url(session), [a_set(squat)], format="json", HTTP_IF_MATCH=header.format(etag=etag))
    assert response.status_code == 200, response.content


def test_the_session_etag_is_not_the_sets_etag(coach_client, session):
    session_etag = coach_client.get(f"/api/v1/sessions/{session.pk}/")["ETag"]
    response = coach_client.put(url(session), [], format="json", HTTP_IF_MATCH=session_etag)
    assert response.status_code == 412


# --- Who --------------------------------------------------------------------------------------------------------


def test_the_athlete_reads_and_writes_their_own_sessions_sets(athlete_client, session, squat):
    response = athlete_client.put(url(session), [a_set(squat)], format="json")
    assert response.status_code == 200, response.content
    assert athlete_client.get(url(session)).json() == response.json()


def test_another_athletes_session_is_404_for_reads_and_writes(other_client, session, squat):
    PerformedSetFactory(session=session, exercise=squat)
    before = stored(session)
    assert other_client.get(url(session)).status_code == 404
    assert other_client.put(url(session), [], format="json").status_code == 404
    assert stored(session) == before


def test_an_assigned_coach_reads_and_writes_another_coachs_athlete_is_404(session, squat):
    assigned = CoachFactory()
    session.athlete.coaches.add(assigned)
    assert bearer_client(assigned).put(url(session), [a_set(squat)], format="json").status_code == 200
    stranger = bearer_client(CoachFactory())
    assert stranger.get(url(session)).status_code == 404
    assert stranger.put(url(session), [], format="json").status_code == 404
    assert len(stored(session)) == 1


@pytest.mark.parametrize("factory", [OperationsFactory, StaffFactory])
def test_operations_and_staff_without_a_role_get_403(session, factory):
    client = bearer_client(factory())
    assert client.get(url(session)).status_code == 403
    assert client.put(url(session), [], format="json").status_code == 403


def test_no_credentials_is_401(session):
    response = anonymous_client().get(url(session))
    assert response.status_code == 401 and response.has_header("WWW-Authenticate")


# --- Queries: constant in the number of sets --------------------------------------------------------------------


def _count(call) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    return len(ctx.captured_queries), response


# GET: the token with its user and permissions (SQLite reads the permissions in a query of its own), the session
# in the caller's scope, its sets.
GET_QUERIES = 4 if dialect.is_sqlite(connection) else 3
# PUT with If-Match: as GET, then the savepoint of the service's transaction, the program then the session locked,
# the sets read under the locks, the exercises, one DELETE, one INSERT, then the stored estimates of the
# exercises worked out again (PostgreSQL's advisory lock, the athlete's sets read, one upsert), the savepoint
# released.
PUT_QUERIES = GET_QUERIES + 8 + (2 if dialect.is_sqlite(connection) else 3)


@pytest.mark.parametrize("n", [1, MAX_SETS_PER_SESSION])
def test_get_and_put_cost_the_same_queries_for_any_number_of_sets(coach_client, session, n, django_assert_num_queries):
    exercises = ExerciseFactory.create_batch(2)
    body = [a_set(exercises[i % 2], i // 2 + 1) for i in range(n)]
    etag = coach_client.get(url(session))["ETag"]
    with django_assert_num_queries(PUT_QUERIES):
        response = coach_client.put(url(session), body, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    with django_assert_num_queries(GET_QUERIES):
        response = coach_client.get(url(session))
    assert len(response.json()) == n


# An athlete's: SQLite asks in a query of its own whether the caller is an athlete (PostgreSQL reads it with the token).
ATHLETE_GET_QUERIES = GET_QUERIES + 1 if dialect.is_sqlite(connection) else GET_QUERIES


def test_an_athletes_get_is_as_constant(athlete_client, session, squat, django_assert_num_queries):
    for i in range(1, 6):
        PerformedSetFactory(session=session, exercise=squat, set_index=i)
    with django_assert_num_queries(ATHLETE_GET_QUERIES):
        assert athlete_client.get(url(session)).status_code == 200


# --- Races (PostgreSQL) -----------------------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_puts_with_the_same_if_match_one_wins_one_412():
    session = TrainingSessionFactory(status="completed")
    squat = ExerciseFactory()
    client = bearer_client(session.athlete.user)
    etag = client.get(url(session))["ETag"]
    clients = [bearer_client(session.athlete.user) for _ in range(2)]
    codes = status_codes_at_once(
        [
            (lambda c=c, reps=reps: c.put(url(session), [a_set(squat, reps=reps)], format="json", HTTP_IF_MATCH=etag))
            for c, reps in zip(clients, [3, 8], strict=True)
        ]
    )
    assert sorted(codes) == [200, 412], codes
    assert [row[2] for row in stored(session)] in ([3], [8])


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_eight_puts_without_if_match_leave_exactly_one_list():
    session = TrainingSessionFactory(status="completed")
    squat = ExerciseFactory()
    clients = [bearer_client(session.athlete.user) for _ in range(8)]
    codes = status_codes_at_once(
        [
            (lambda c=c, i=i: c.put(url(session), [a_set(squat, j, reps=i) for j in (1, 2)], format="json"))
            for i, c in enumerate(clients)
        ]
    )
    assert Counter(codes) == {200: 8}, codes
    rows = stored(session)
    assert len(rows) == 2 and rows[0][2] == rows[1][2]
