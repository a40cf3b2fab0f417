"""A session's `structure` through the API: validation with the path of every error, the summary, the %1RM loads,
archived exercises, what the lists cost, and the exports (FIT read back by Garmin's SDK, ZWO, calendar text)."""

from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
from garmin_fit_sdk import Decoder, Stream

from tests.support.factories.training import (
    ExerciseFactory,
    PerformedSetFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
    structure_with,
)
from training.models import TrainingSession
from training.workouts.estimates import one_rep_max_refresh

pytestmark = pytest.mark.django_db
URL = "/api/v1/sessions/"
START = date(2030, 1, 7)


@pytest.fixture
def program(athlete):
    return TrainingProgramFactory(athlete=athlete, start_date=START, end_date=START + timedelta(days=27))


@pytest.fixture
def squat(db):
    return ExerciseFactory(name="Test back squat")


def body(program, structure, **overrides):
    return {
        "programId": str(program.pk),
        "title": "Intervals",
        "scheduledAt": "2030-01-08T07:00:00Z",
        "durationMinutes": 60,
        "modality": "run",
        "structure": structure,
        **overrides,
    }


def timed(kind="work", **duration):
    return {"kind": kind, "duration": duration or {"seconds": 60}}


# --- Writing a structure ---------------------------------------------------------------------------------


def test_a_structure_is_stored_as_written_and_shown_with_its_summary(coach_client, program, squat):
    structure = structure_with(squat)
    response = coach_client.post(URL, body(program, structure), format="json")
    assert response.status_code == 201, response.content
    shown = response.json()
    assert shown["structure"] == structure  # camelCase keys kept inside, nothing added for loadKg sets
    # 600 s warmup + 5 × 120 s recovery + 3 sets × 120 s rest; 5 × 1000 m; 3 sets × 5 reps × 100 kg.
    assert shown["structureSummary"] == {"seconds": 1560, "meters": 5000, "sets": 3, "volumeKg": 1500.0}
    stored = TrainingSession.objects.get(pk=shown["id"])
    assert stored.structure == structure
    again = coach_client.get(f"{URL}{shown['id']}/").json()
    assert again["structure"] == structure and again["structureSummary"] == shown["structureSummary"]


def test_without_a_structure_both_fields_are_null(coach_client, program):
    shown = coach_client.post(URL, body(program, None), format="json").json()
    assert shown["structure"] is None and shown["structureSummary"] is None
    omitted = {key: value for key, value in body(program, None).items() if key != "structure"}
    shown = coach_client.post(URL, omitted, format="json").json()
    assert shown["structure"] is None


def test_normalized_on_write_rest_seconds_defaults_and_resolved_load_is_ignored(coach_client, program, squat):
    structure = {
        "steps": [{"kind": "exercise", "exerciseId": str(squat.pk), "sets": [{"reps": 3, "resolvedLoadKg": 999}]}]
    }
    shown = coach_client.post(URL, body(program, structure), format="json").json()
    assert shown["structure"]["steps"][0]["sets"] == [{"reps": 3, "restSeconds": 0}]


def test_patch_replaces_the_structure_and_null_clears_it(coach_client, program, squat):
    session = TrainingSessionFactory(program=program, scheduled_at="2030-01-08T07:00:00Z")
    url = f"{URL}{session.pk}/"
    response = coach_client.patch(url, {"structure": structure_with()}, format="json")
    assert response.status_code == 200 and response.json()["structureSummary"]["meters"] == 5000
    response = coach_client.patch(url, {"structure": None}, format="json")
    assert response.status_code == 200 and response.json()["structure"] is None
    assert TrainingSession.objects.get(pk=session.pk).structure is None


@pytest.mark.parametrize(
    ("structure", "message"),
    [
        (
            {"steps": [timed(), timed(seconds=0)]},
            "steps[1].duration.seconds: Input should be greater than or equal to 1",
        ),
        ({"steps": [timed(seconds=86401)]}, "steps[0].duration.seconds: Input should be less than or equal to 86400"),
        ({"steps": [timed(meters=500001)]}, "steps[0].duration.meters: Input should be less than or equal to 500000"),
        ({"steps": [timed(seconds=5, meters=5)]}, "steps[0].duration: give exactly one of seconds or meters"),
        ({"steps": [{"kind": "work", "duration": {}}]}, "steps[0].duration: give exactly one of seconds or meters"),
        ({"steps": [{**timed(), "pace": 3}]}, "steps[0].pace: Extra inputs are not permitted"),
        ({"steps": [{"kind": "sprint", "duration": {"seconds": 5}}]}, "steps[0]: kind must be one of"),
        ({"steps": [{"duration": {"seconds": 5}}]}, "steps[0]: kind is required"),
        ({"steps": [timed(seconds="60")]}, "steps[0].duration.seconds: Input should be a valid integer"),
        ({"steps": [timed(seconds=True)]}, "steps[0].duration.seconds: Input should be a valid integer"),
        ({"steps": [{**timed(), "notes": "x" * 501}]}, "steps[0].notes: String should have at most 500 characters"),
        ({"steps": []}, "steps: List should have at least 1 item"),
        ({"laps": []}, "steps: Field required"),
        ([], "must be an object"),
        ("5 x 1 km", "must be an object"),
        (
            {"steps": [{**timed(), "target": {"type": "heartRateZone", "low": 2, "high": 6}}]},
            "steps[0].target.high: a heartRateZone target is between 1 and 5",
        ),
        (
            {"steps": [{**timed(), "target": {"type": "pace", "low": 240, "high": 230}}]},
            "steps[0].target: low must not be greater than high",
        ),
        (
            {"steps": [{**timed(), "target": {"type": "powerPercentFtp", "low": 19, "high": 50}}]},
            "steps[0].target.low: a powerPercentFtp target is between 20 and 300",
        ),
        (
            {"steps": [{"kind": "repeat", "times": 100, "steps": [timed()]}]},
            "steps[0].times: Input should be less than or equal to 99",
        ),
        (
            {"steps": [{"kind": "repeat", "times": 2, "steps": [{"kind": "repeat", "times": 2, "steps": []}]}]},
            "steps[0].steps[0].kind: Input should be 'warmup', 'work', 'recovery', 'rest' or 'cooldown'",
        ),
        (
            {"steps": [{"kind": "repeat", "times": 2, "steps": [timed()] * 21}]},
            "steps[0].steps: List should have at most 20 items",
        ),
        ({"steps": [timed()] * 201}, "at most 200 timed and exercise steps once repeats are expanded, not 201"),
        (
            {"steps": [{"kind": "repeat", "times": 99, "steps": [timed(), timed(), timed()]}]},
            "at most 200 timed and exercise steps once repeats are expanded, not 297",
        ),
    ],
)
def test_a_bad_structure_is_a_400_naming_its_path(coach_client, program, structure, message):
    response = coach_client.post(URL, body(program, structure), format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["structure"]
    assert any(error.startswith(message) for error in errors), errors
    assert not TrainingSession.objects.exists()


def test_the_limits_themselves_are_accepted(coach_client, program):
    structure = {
        "steps": [
            timed(seconds=86400),
            timed(meters=500000),
            {"kind": "repeat", "times": 99, "steps": [timed()]},
            *[timed()] * 100,
            {**timed(), "notes": "x" * 500, "target": {"type": "heartRateZone", "low": 5, "high": 5}},
        ]
    }  # 2 + 99 + 100 + 1 = 202 > 200: drop two plain steps to reach exactly 200
    structure["steps"] = structure["steps"][:-3] + structure["steps"][-1:]
    response = coach_client.post(URL, body(program, structure), format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("one_set", "message"),
    [
        ({"reps": 0}, "reps: Input should be greater than or equal to 1"),
        ({"reps": 101}, "reps: Input should be less than or equal to 100"),
        ({"seconds": 3601}, "seconds: Input should be less than or equal to 3600"),
        ({"reps": 5, "seconds": 5}, "give exactly one of reps or seconds"),
        ({"loadKg": 50}, "give exactly one of reps or seconds"),
        ({"reps": 5, "loadKg": 50, "percent1rm": 70}, "give at most one of loadKg or percent1rm"),
        ({"reps": 5, "loadKg": 1000.5}, "loadKg: Input should be less than or equal to 1000"),
        ({"reps": 5, "percent1rm": 121}, "percent1rm: Input should be less than or equal to 120"),
        ({"reps": 5, "rir": 11}, "rir: Input should be less than or equal to 10"),
        ({"reps": 5, "restSeconds": 1801}, "restSeconds: Input should be less than or equal to 1800"),
        ({"reps": 5, "rest_seconds": 60}, "rest_seconds: Extra inputs are not permitted"),
    ],
)
def test_a_bad_set_names_its_step_and_set(coach_client, program, squat, one_set, message):
    structure = {"steps": [timed(), {"kind": "exercise", "exerciseId": str(squat.pk), "sets": [{"reps": 5}, one_set]}]}
    response = coach_client.post(URL, body(program, structure), format="json")
    assert response.status_code == 400
    assert f"steps[1].sets[1].{message}" in response.json()["structure"] or any(
        error.startswith(f"steps[1].sets[1]: {message}") for error in response.json()["structure"]
    ), response.json()


def test_exercise_limits_and_unknown_exercise(coach_client, program, squat):
    twenty = {"kind": "exercise", "exerciseId": str(squat.pk), "sets": [{"reps": 100, "loadKg": 1000}] * 20}
    assert coach_client.post(URL, body(program, {"steps": [twenty]}), format="json").status_code == 201
    response = coach_client.post(URL, body(program, {"steps": [{**twenty, "sets": twenty["sets"] * 2}]}), format="json")
    assert response.json()["structure"] == ["steps[0].sets: List should have at most 20 items after validation, not 40"]
    missing = {"kind": "exercise", "exerciseId": "00000000-0000-7000-8000-000000000000", "sets": [{"reps": 1}]}
    response = coach_client.post(URL, body(program, {"steps": [timed(), missing]}), format="json")
    assert response.status_code == 400
    assert response.json() == {"structure": ["steps[1].exerciseId: no exercise with this id."]}
    response = coach_client.post(URL, body(program, {"steps": [{**missing, "exerciseId": "squat"}]}), format="json")
    assert response.status_code == 400 and response.json()["structure"][0].startswith("steps[0].exerciseId: ")


def test_an_archived_exercise_is_refused_in_a_new_structure_but_kept_in_an_old_one(coach_client, program, squat):
    session = TrainingSessionFactory(
        program=program, scheduled_at="2030-01-08T07:00:00Z", structure=structure_with(squat)
    )
    squat.archived = True
    squat.save()
    url = f"{URL}{session.pk}/"
    # The old session stays valid and editable, its archived exercise included.
    assert coach_client.patch(url, {"title": "Renamed"}, format="json").status_code == 200
    changed = structure_with(squat, reps=3)
    assert coach_client.patch(url, {"structure": changed}, format="json").status_code == 200
    # A new structure may not name it.
    response = coach_client.post(URL, body(program, structure_with(squat)), format="json")
    assert response.status_code == 400
    assert response.json() == {"structure": ["steps[2].exerciseId: this exercise is archived."]}


def test_an_athlete_may_not_write_a_structure(athlete_client, program):
    session = TrainingSessionFactory(program=program, scheduled_at="2030-01-08T07:00:00Z")
    response = athlete_client.patch(f"{URL}{session.pk}/", {"structure": structure_with()}, format="json")
    assert response.status_code == 403
    assert TrainingSession.objects.get(pk=session.pk).structure is None


def test_structure_and_other_field_errors_come_together(coach_client, program):
    response = coach_client.post(
        URL, body(program, {"steps": [timed(seconds=0)]}, durationMinutes=0, title=""), format="json"
    )
    assert response.status_code == 400
    assert {"structure", "durationMinutes", "title"} <= set(response.json())


# --- %1RM loads ---------------------------------------------------------------------------------------------


def test_percent_sets_resolve_from_the_athletes_estimate(coach_client, athlete, squat):
    program = TrainingProgramFactory(athlete=athlete)  # from two weeks ago
    done = TrainingSessionFactory(program=program, status="completed")  # the program's second day
    PerformedSetFactory(session=done, exercise=squat, reps=5, load_kg=100)  # Epley: 100 × (1 + 5/30) = 116.67 kg
    session = TrainingSessionFactory(
        program=program,
        scheduled_at=done.scheduled_at + timedelta(days=1),
        structure=structure_with(squat, percent1rm=80),
    )
    shown = coach_client.get(f"{URL}{session.pk}/").json()
    sets = shown["structure"]["steps"][2]["sets"]
    assert [one_set["resolvedLoadKg"] for one_set in sets] == [93.5] * 3  # 116.67 × 0.8 = 93.33 → 93.5
    assert shown["structureSummary"]["volumeKg"] == 3 * 5 * 93.5
    listed = coach_client.get(f"{URL}?programId={program.pk}").json()["results"]
    assert [row["structure"] for row in listed if row["id"] == str(session.pk)] == [shown["structure"]]


def test_a_percent_set_without_an_estimate_resolves_to_null_and_counts_no_volume(coach_client, program, squat):
    session = TrainingSessionFactory(
        program=program, scheduled_at="2030-01-09T07:00:00Z", structure=structure_with(squat, percent1rm=80)
    )
    shown = coach_client.get(f"{URL}{session.pk}/").json()
    assert [one_set["resolvedLoadKg"] for one_set in shown["structure"]["steps"][2]["sets"]] == [None] * 3
    assert shown["structureSummary"]["volumeKg"] == 0.0


def _page_queries(client, django_assert_max_num_queries, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.json()


def test_structures_add_no_query_to_the_list_and_percent_sets_one_whatever_the_rows(
    coach_client, program, squat, django_assert_max_num_queries
):
    url = f"{URL}?programId={program.pk}&pageSize=50"
    TrainingSessionFactory.create_batch(3, program=program, scheduled_at="2030-01-08T07:00:00Z")
    plain, _ = _page_queries(coach_client, django_assert_max_num_queries, url)
    TrainingSession.objects.update(structure=structure_with(squat))
    structured, page = _page_queries(coach_client, django_assert_max_num_queries, url)
    assert structured == plain and all(row["structure"] for row in page["results"])
    TrainingSession.objects.update(structure=structure_with(squat, percent1rm=75))
    # Without a stored estimate: one query that finds none stored, one that works it out from the sets.
    unstored, _ = _page_queries(coach_client, django_assert_max_num_queries, url)
    one_rep_max_refresh(athlete_ids={program.athlete_id}, exercise_ids={squat.pk})
    with_percent, _ = _page_queries(coach_client, django_assert_max_num_queries, url)
    TrainingSessionFactory.create_batch(
        20, program=program, scheduled_at="2030-01-09T07:00:00Z", structure=structure_with(squat, percent1rm=75)
    )
    more, page = _page_queries(coach_client, django_assert_max_num_queries, url)
    assert with_percent == more == plain + 1
    assert unstored == plain + 2
    assert len(page["results"]) == 23


# --- Exports -------------------------------------------------------------------------------------------------


def _decode(data: bytes):
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    assert decoder.is_fit() and decoder.check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return messages


def test_workout_fit_is_a_valid_fit_workout_of_the_structure(coach_client, program, squat):
    session = TrainingSessionFactory(
        program=program, scheduled_at="2030-01-08T07:00:00Z", title="Track <5 × 1 km>", structure=structure_with(squat)
    )
    response = coach_client.get(f"{URL}{session.pk}/workout.fit")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.ant.fit"
    assert response["Content-Disposition"] == 'attachment; filename="Track-5-1-km.fit"'
    messages = _decode(response.content)
    assert messages["file_id_mesgs"][0]["type"] == "workout"
    workout = messages["workout_mesgs"][0]
    assert workout["wkt_name"] == "Track <5 × 1 km>" and workout["sport"] == "running"
    steps = messages["workout_step_mesgs"]
    # warmup, work, recovery, repeat, then 3 × (set, rest).
    assert len(steps) == 4 + 6 and workout["num_valid_steps"] == 10
    assert steps[3]["duration_type"] == "repeat_until_steps_cmplt"
    assert steps[4]["wkt_step_name"] == "Test back squat" and steps[4]["duration_type"] == "reps"


def test_workout_fit_without_a_structure_is_one_open_step(coach_client, program):
    session = TrainingSessionFactory(program=program, scheduled_at="2030-01-08T07:00:00Z", duration_minutes=45)
    steps = _decode(coach_client.get(f"{URL}{session.pk}/workout.fit").content)["workout_step_mesgs"]
    assert len(steps) == 1 and steps[0]["duration_time"] == 45 * 60 and steps[0]["target_type"] == "open"


def test_workout_zwo_for_bike_and_run_409_otherwise(coach_client, program):
    session = TrainingSessionFactory(
        program=program,
        scheduled_at="2030-01-08T07:00:00Z",
        modality="bike",
        structure={"steps": [{**timed(seconds=600), "target": {"type": "powerPercentFtp", "low": 88, "high": 92}}]},
    )
    response = coach_client.get(f"{URL}{session.pk}/workout.zwo")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own output)
    assert root.tag == "workout_file" and root.findtext("sportType") == "bike"
    steady = root.find("workout/SteadyState")
    assert steady.get("Duration") == "600" and float(steady.get("Power")) == pytest.approx(0.9)
    strength = TrainingSessionFactory(program=program, scheduled_at="2030-01-08T09:00:00Z", modality="strength")
    response = coach_client.get(f"{URL}{strength.pk}/workout.zwo")
    assert response.status_code == 409
    assert response.json() == {"detail": "A Zwift workout exists for bike and run sessions only."}


def test_exports_follow_who_may_read_the_session(
    coach_client, athlete_client, other_client, anon_client, program, squat
):
    session = TrainingSessionFactory(program=program, scheduled_at="2030-01-08T07:00:00Z", modality="run")
    for suffix in ("workout.fit", "workout.zwo"):
        url = f"{URL}{session.pk}/{suffix}"
        assert athlete_client.get(url).status_code == 200
        assert coach_client.get(url).status_code == 200
        assert other_client.get(url).status_code == 404
        assert anon_client.get(url).status_code == 401
        response = other_client.get(url, HTTP_ACCEPT="application/vnd.ant.fit")
        assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_an_export_is_read_in_a_constant_number_of_queries(coach_client, program, squat, django_assert_num_queries):
    session = TrainingSessionFactory(
        program=program, scheduled_at="2030-01-08T07:00:00Z", structure=structure_with(squat, percent1rm=70)
    )
    coach_client.get(f"{URL}{session.pk}/workout.fit")  # warm: the caller's permissions are read once
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        assert coach_client.get(f"{URL}{session.pk}/workout.fit").status_code == 200
    TrainingSession.objects.filter(pk=session.pk).update(
        structure={"steps": [structure_with(squat, percent1rm=70)["steps"][2]] * 50}
    )
    with CaptureQueriesContext(connection) as second:
        assert coach_client.get(f"{URL}{session.pk}/workout.fit").status_code == 200
    assert len(first) == len(second)


# --- Calendar feed -------------------------------------------------------------------------------------------


def test_the_calendar_feed_describes_the_structure(coach_client, athlete, squat):
    from django.utils import timezone

    today = timezone.now().date()
    program = TrainingProgramFactory(athlete=athlete, start_date=today, end_date=today + timedelta(days=20))
    TrainingSessionFactory(program=program, structure=structure_with(squat))
    feed_url = coach_client.post(f"/api/v1/athletes/{athlete.pk}/calendar-feed/").json()["url"]
    from icalendar import Calendar

    calendar = Calendar.from_ical(coach_client.get(feed_url).content)
    (event,) = calendar.walk("VEVENT")
    description = str(event["DESCRIPTION"])
    assert "5 × (1.00 km @ 3:45–3:55 /km, 2:00 recovery)" in description
    assert "Test back squat" in description


def test_writing_the_same_structure_again_changes_nothing(coach_client, program, squat):
    session = TrainingSessionFactory(
        program=program, scheduled_at="2030-01-08T07:00:00Z", structure=structure_with(squat)
    )
    url = f"{URL}{session.pk}/"
    etag = coach_client.get(url)["ETag"]
    response = coach_client.patch(url, {"structure": structure_with(squat)}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] == etag
    response = coach_client.patch(url, {"structure": structure_with(squat, reps=3)}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag
    stale = coach_client.patch(url, {"structure": None}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert TrainingSession.objects.get(pk=session.pk).structure["steps"][2]["sets"][0]["reps"] == 3


def test_full_clean_reports_a_bad_structure_without_reading_it_in_clean(program):
    from django.core.exceptions import ValidationError

    session = TrainingSession(
        program=program,
        athlete=program.athlete,
        title="Raw",
        scheduled_at="2030-01-08T07:00:00Z",
        duration_minutes=30,
        modality="run",
        structure={"steps": [{"kind": "exercise", "sets": [{"reps": 5}]}]},  # no exerciseId
    )
    with pytest.raises(ValidationError) as caught:
        session.full_clean()
    assert caught.value.message_dict["structure"] == ["steps[0].exerciseId: Field required"]
