"""How a session's structure is stored and read back: the compact text it was written as (a `json` column on
PostgreSQL), its totals kept beside it, and lists that send both on without decoding them."""

import orjson
import pytest
from django.db import connection

from core import dialect
from core.fields import StoredJSONField, compact_json
from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    ExerciseFactory,
    PerformedSetFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
    structure_with,
)
from tests.support.utils import postgres_only
from training.models import TrainingSession
from training.workouts.structure import summary

pytestmark = pytest.mark.django_db

NOTES = 'Say "percent1rm" twice: \u2028 é 😀 \\ / \x1f'


def _raw(session, column="structure"):
    with connection.cursor() as cursor:
        cast = "::text" if dialect.is_postgresql(connection) else ""
        pk = TrainingSession._meta.pk.get_db_prep_value(session.pk, connection)
        cursor.execute(f"SELECT {column}{cast} FROM training_trainingsession WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def _structure(exercise=None, **set_fields):
    structure = structure_with(exercise, **set_fields)
    structure["steps"][0]["notes"] = NOTES
    return structure


def test_the_column_keeps_the_compact_text_in_the_order_written(athlete):
    session = TrainingSessionFactory(program=TrainingProgramFactory(athlete=athlete), structure=_structure())
    text = _raw(session)
    assert text == compact_json(session.structure)
    assert text.startswith('{"steps":[{"kind":"warmup","duration":')  # not re-ordered, not re-spaced
    session.refresh_from_db()
    assert session.structure == _structure()
    if dialect.is_postgresql(connection):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_typeof(structure)::text FROM training_trainingsession WHERE id = %s", [session.pk]
            )
            assert cursor.fetchone()[0] == "json"


def test_no_structure_is_sql_null_and_reads_back_as_none(athlete):
    session = TrainingSessionFactory(program=TrainingProgramFactory(athlete=athlete), structure=None)
    assert _raw(session) is None and _raw(session, "structure_totals") is None
    assert TrainingSession.objects.filter(pk=session.pk, structure__isnull=True).exists()
    session.refresh_from_db()
    assert session.structure is None and session.structure_totals is None


def test_save_keeps_the_totals_with_the_structure_also_with_update_fields(athlete):
    squat = ExerciseFactory(name="Squat")
    session = TrainingSessionFactory(program=TrainingProgramFactory(athlete=athlete), structure=_structure(squat))
    assert session.structure_totals == summary(session.structure)
    assert orjson.loads(_raw(session, "structure_totals")) == {
        "seconds": 600 + 5 * 120 + 3 * 120,
        "meters": 5000,
        "sets": 3,
        "volumeKg": 1500.0,
    }
    session.structure = _structure(squat, percent1rm=80)
    session.save(update_fields=["structure"])
    session.refresh_from_db()
    assert session.structure_totals["volumeKg"] == 0.0  # a %1RM set's load is the athlete's, known at read time
    session.structure = None
    session.save(update_fields=["structure"])
    assert _raw(session, "structure_totals") is None


def test_a_value_that_is_not_json_text_reads_back_as_it_is():
    field = StoredJSONField()
    assert field.from_db_value("not json", None, connection) == "not json"
    assert field.from_db_value(None, None, connection) is None
    assert field.from_db_value('{"a":[1,2.5,"é"]}', None, connection) == {"a": [1, 2.5, "é"]}


def _list_and_details(client, athlete):
    listed = client.get("/api/v1/sessions/", {"athleteId": str(athlete.pk), "pageSize": 50})
    assert listed.status_code == 200
    rows = listed.json()["results"]
    details = {row["id"]: client.get(f"/api/v1/sessions/{row['id']}/").json() for row in rows}
    return listed, rows, details


def test_list_and_detail_show_the_same_structures_and_summaries(coach_client):
    athlete = AthleteProfileFactory()
    program = TrainingProgramFactory(athlete=athlete)
    squat, press = ExerciseFactory(name="Squat"), ExerciseFactory(name="Press")
    done = TrainingSessionFactory(program=program, status="completed", structure=_structure(squat))
    PerformedSetFactory(session=done, exercise=squat, reps=5, load_kg=100)
    TrainingSessionFactory(program=program, structure=_structure(squat, percent1rm=80))  # resolves
    TrainingSessionFactory(program=program, structure=_structure(press, percent1rm=70))  # no estimate
    TrainingSessionFactory(program=program, structure=None)
    listed, rows, details = _list_and_details(coach_client, athlete)
    assert len(rows) == 4
    for row in rows:
        assert row["structure"] == details[row["id"]]["structure"]
        assert row["structureSummary"] == details[row["id"]]["structureSummary"]
    resolved = [one.get("resolvedLoadKg") for row in rows if row["structure"] for one in _sets(row["structure"])]
    assert 93.5 in resolved and None in resolved  # 80 % of Epley's 116.67 kg, to the 0.5 kg; no estimate
    # The notes reach the client as written, U+2028 escaped as every response of the API escapes it.
    assert b"\\u2028" in listed.content and "\u2028".encode() not in listed.content
    assert any(row["structure"] and row["structure"]["steps"][0]["notes"] == NOTES for row in rows)


def _sets(structure):
    return [one for step in structure["steps"] if step["kind"] == "exercise" for one in step["sets"]]


@postgres_only
def test_a_postgresql_list_sends_stored_structures_without_decoding_them(coach_client, monkeypatch):
    athlete = AthleteProfileFactory()
    program = TrainingProgramFactory(athlete=athlete)
    plain = TrainingSessionFactory(program=program, structure=_structure(ExerciseFactory(name="Row")))

    def refuse(*args, **kwargs):
        raise AssertionError("the list decoded a stored structure")

    monkeypatch.setattr(StoredJSONField, "from_db_value", refuse)
    response = coach_client.get("/api/v1/sessions/", {"athleteId": str(athlete.pk)})
    assert response.status_code == 200
    assert compact_json(plain.structure).encode().replace("\u2028".encode(), b"\\u2028") in response.content
    # The summary is the stored one, sent as it is: a row whose stored totals were changed behind the model's
    # back shows them (which is why every writer keeps them with the structure).
    monkeypatch.undo()
    TrainingSession.objects.filter(pk=plain.pk).update(
        structure_totals={"seconds": 1, "meters": 2, "sets": 3, "volumeKg": 4.0}
    )
    row = coach_client.get("/api/v1/sessions/", {"athleteId": str(athlete.pk)}).json()["results"][0]
    assert row["structureSummary"] == {"seconds": 1, "meters": 2, "sets": 3, "volumeKg": 4.0}


def test_a_structure_without_stored_totals_still_gets_its_summary(coach_client):
    athlete = AthleteProfileFactory()
    session = TrainingSessionFactory(program=TrainingProgramFactory(athlete=athlete), structure=_structure())
    TrainingSession.objects.filter(pk=session.pk).update(structure_totals=None)  # a bulk writer that forgot them
    row = coach_client.get("/api/v1/sessions/", {"athleteId": str(athlete.pk)}).json()["results"][0]
    assert row["structureSummary"] == summary(session.structure)


def test_the_browsable_api_renders_a_list_with_structures(coach_client):
    athlete = AthleteProfileFactory()
    TrainingSessionFactory(program=TrainingProgramFactory(athlete=athlete), structure=_structure())
    response = coach_client.get("/api/v1/sessions/", {"athleteId": str(athlete.pk)}, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"structureSummary" in response.content and b"heartRateZone" in response.content
