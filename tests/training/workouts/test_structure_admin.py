"""A session's workout in the admin: the structure editor posts the editor's JSON and the normalized structure is
stored; the model's messages are shown at the input they name; the exercise picker; the logged sets panel;
constant query counts."""

import html
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.support.factories.training import (
    ExerciseFactory,
    PerformedSetFactory,
    TrainingSessionFactory,
    structure_with,
)
from training.admin.local_times import to_local_wall_clock
from training.admin.structure_editor import (
    NO_TARGET,
    error_map,
    exercise_choices,
    from_editor,
    summary_text,
    to_editor,
)
from training.models import TrainingSession

pytestmark = pytest.mark.django_db


def change_url(session) -> str:
    return reverse("admin:training_trainingsession_change", args=[session.pk])


def session_post(session, editor_data, **extra) -> dict:
    """The change form's POST data for `session` as it is, with `editor_data` as the editor's textarea."""
    scheduled = to_local_wall_clock(session.scheduled_at, session.athlete.timezone)
    data = {
        "program": str(session.program_id),
        "phase": "",
        "micro_cycle": "",
        "title": session.title,
        "scheduled_at": scheduled.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": str(session.duration_minutes),
        "modality": session.modality,
        "status": session.status,
        "rpe": "",
        "planned_load": "",
        "load": "",
        "completed_at": "",
        "structure": editor_data if isinstance(editor_data, str) else json.dumps(editor_data),
        "_save": "Save",
    }
    data.update(extra)
    return data


def widget_config(response) -> dict:
    """The editor's configuration as rendered (its data, schema and error map)."""
    found = re.search(r'data-django-jsonform="([^"]*)"', response.content.decode())
    config = json.loads(html.unescape(found.group(1)))
    config["data"] = json.loads(config["data"])
    return config


def picker(config) -> dict:
    """The exercise picker's choices: id -> label."""
    exercise = config["schema"]["keys"]["steps"]["items"]["oneOf"][2]
    return {choice["value"]: choice["title"] for choice in exercise["keys"]["exerciseId"]["choices"]}


@pytest.fixture
def exercise():
    return ExerciseFactory(name="Zercher squat (test)")


# --- Editing ------------------------------------------------------------------------------------------------


def test_the_page_shows_the_stored_structure_in_the_editor_and_its_summary(admin_client, exercise):
    session = TrainingSessionFactory(structure=structure_with(exercise))
    response = admin_client.get(change_url(session))
    assert response.status_code == 200
    config = widget_config(response)
    assert config["data"] == to_editor(session.structure)
    steps = config["data"]["steps"]
    assert steps[0]["duration"] == {"seconds": 600, "meters": None}  # every key present: the editor needs them
    assert steps[1]["steps"][1]["target"] == {"type": NO_TARGET, "low": None, "high": None}
    assert steps[2]["sets"][0] == {
        "reps": 5,
        "seconds": None,
        "loadKg": 100,
        "percent1rm": None,
        "rir": 2,
        "restSeconds": 120,
    }
    assert config["errorMap"] == {}
    # 600 s + 5 × 120 s + 3 × 120 s rest; 5 × 1 km; 3 sets of 5 × 100 kg.
    assert "Time 0:26:00 · Distance 5.00 km · Sets 3 · Volume 1500 kg" in response.content.decode()
    # Served by the app, never by a CDN.
    page = response.content.decode()
    assert "/static/django_jsonform/react-json-form.js" in page and "/static/cadence/workout-editor.js" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_saving_the_editors_json_stores_the_normalized_structure(admin_client, exercise):
    session = TrainingSessionFactory()
    editor = to_editor(structure_with(exercise))
    editor["steps"][2]["sets"][1]["restSeconds"] = None  # left blank: the default, 0
    editor["steps"][0]["notes"] = "  Easy.  "
    editor["steps"][0]["target"] = {"type": NO_TARGET, "low": None, "high": None}
    response = admin_client.post(change_url(session), session_post(session, editor))
    assert response.status_code == 302, response.context["adminform"].form.errors
    session.refresh_from_db()
    stored = session.structure
    assert stored["steps"][0] == {"kind": "warmup", "duration": {"seconds": 600}, "notes": "  Easy.  "}
    assert stored["steps"][2]["sets"][1] == {"reps": 5, "loadKg": 100, "rir": 2, "restSeconds": 0}
    assert stored["steps"][1] == structure_with(exercise)["steps"][1]


def test_an_editor_without_a_step_is_no_structure(admin_client, exercise):
    session = TrainingSessionFactory(structure=structure_with(exercise))
    response = admin_client.post(change_url(session), session_post(session, {"steps": []}))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.structure is None
    assert "No structure" in admin_client.get(change_url(session)).content.decode()


def test_the_largest_set_is_accepted(admin_client, exercise):
    session = TrainingSessionFactory()
    editor = to_editor(structure_with(exercise))
    editor["steps"][2]["sets"][0].update(reps=100, loadKg=1000, rir=10, restSeconds=1800)
    assert admin_client.post(change_url(session), session_post(session, editor)).status_code == 302
    session.refresh_from_db()
    assert session.structure["steps"][2]["sets"][0] == {"reps": 100, "loadKg": 1000, "rir": 10, "restSeconds": 1800}


# --- Errors at the step -------------------------------------------------------------------------------------


def test_a_bad_value_re_renders_with_its_error_at_that_input(admin_client, exercise):
    session = TrainingSessionFactory(structure=structure_with(exercise))
    editor = to_editor(structure_with(exercise))
    editor["steps"][2]["sets"][0]["reps"] = 101
    editor["steps"][1]["steps"][0]["target"]["low"] = 300  # above high: low must not be greater than high
    response = admin_client.post(change_url(session), session_post(session, editor))
    assert response.status_code == 200
    messages = response.context["adminform"].form.errors["structure"]
    assert "steps[2].sets[0].reps: Input should be less than or equal to 100" in messages
    config = widget_config(response)
    assert config["errorMap"]["steps§2§sets§0§reps"] == ["Input should be less than or equal to 100"]
    assert config["errorMap"]["steps§1§steps§0§target"] == ["low must not be greater than high"]
    assert config["data"] == editor  # what the coach typed, kept
    session.refresh_from_db()
    assert session.structure == structure_with(exercise)  # nothing saved


def test_a_step_without_its_exercise_or_duration_is_an_error_at_the_step_not_a_500(admin_client, exercise):
    session = TrainingSessionFactory()
    editor = to_editor(structure_with(exercise))
    editor["steps"][2]["exerciseId"] = ""
    editor["steps"][0]["duration"] = {"seconds": None, "meters": None}
    editor["steps"][2]["sets"][1].update(reps=None, seconds=None)
    response = admin_client.post(change_url(session), session_post(session, editor))
    assert response.status_code == 200
    errors = widget_config(response)["errorMap"]
    assert errors["steps§2§exerciseId"] == ["Field required"]
    assert errors["steps§0§duration"] == ["give exactly one of seconds or meters"]
    assert errors["steps§2§sets§1"] == ["give exactly one of reps or seconds"]


@pytest.mark.parametrize("posted", ["{not json", '"text"', "[1, 2]", '{"steps": "x"}', '{"steps": [{"kind": "swim"}]}'])
def test_malformed_input_is_an_error_on_the_field_and_never_a_500(admin_client, posted):
    session = TrainingSessionFactory()
    response = admin_client.post(change_url(session), session_post(session, posted))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["structure"]
    widget_config(response)  # the editor still renders
    session.refresh_from_db()
    assert session.structure is None


def test_error_map_places_a_message_at_the_deepest_input_the_editor_has():
    data = {"steps": [{"kind": "exercise", "exerciseId": "x", "sets": [{"reps": 5, "loadKg": "heavy"}]}]}
    assert error_map(
        [
            "steps[0].sets[0].loadKg.int: Input should be a valid integer",  # a union's branch: not an input
            "steps[0].sets[3].reps: Input should be a valid integer",  # no such set in the editor
            "at most 200 timed and exercise steps once repeats are expanded, not 201",
        ],
        data,
    ) == {
        "steps§0§sets§0§loadKg": ["int: Input should be a valid integer"],
        "steps§0§sets": ["[3].reps: Input should be a valid integer"],
        "": ["at most 200 timed and exercise steps once repeats are expanded, not 201"],
    }


# --- The exercise picker --------------------------------------------------------------------------------------


def test_the_picker_offers_the_catalogue_as_it_is_now_without_archived_exercises(admin_client, exercise):
    archived = ExerciseFactory(name="Retired lift (test)", archived=True)
    session = TrainingSessionFactory()
    offered = picker(widget_config(admin_client.get(change_url(session))))
    assert offered[str(exercise.pk)] == exercise.name
    assert str(archived.pk) not in offered
    added = ExerciseFactory(name="Brand-new lift (test)")
    assert str(added.pk) in picker(widget_config(admin_client.get(change_url(session))))


def test_an_archived_exercise_cannot_be_picked_for_a_new_prescription(admin_client, exercise):
    archived = ExerciseFactory(name="Retired lift (test)", archived=True)
    session = TrainingSessionFactory()
    response = admin_client.post(change_url(session), session_post(session, to_editor(structure_with(archived))))
    assert response.status_code == 200
    assert widget_config(response)["errorMap"]["steps§2§exerciseId"] == ["this exercise is archived."]
    session.refresh_from_db()
    assert session.structure is None


def test_an_archived_exercise_already_prescribed_stays_selectable_and_saves(admin_client, exercise):
    session = TrainingSessionFactory(structure=structure_with(exercise))
    exercise.archived = True
    exercise.save()
    config = widget_config(admin_client.get(change_url(session)))
    assert picker(config)[str(exercise.pk)] == f"{exercise.name} (archived)"
    assert config["data"]["steps"][2]["exerciseId"] == str(exercise.pk)
    editor = to_editor(structure_with(exercise))
    editor["steps"][2]["sets"][0]["reps"] = 6
    response = admin_client.post(change_url(session), session_post(session, editor))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.structure["steps"][2]["sets"][0]["reps"] == 6


def test_a_missing_exercise_in_the_stored_structure_is_shown_by_its_id():
    structure = {"steps": [{"kind": "exercise", "exerciseId": "not-a-uuid", "sets": [{"reps": 1}]}]}
    assert ("not-a-uuid", "Unknown exercise not-a-uuid") in exercise_choices(structure)


# --- The summary and the logged sets ----------------------------------------------------------------------


def test_summary_counts_percent_sets_apart():
    structure = {
        "steps": [
            {"kind": "work", "duration": {"seconds": 3725}},
            {
                "kind": "exercise",
                "exerciseId": "x",
                "sets": [{"reps": 3, "percent1rm": 80, "restSeconds": 60}, {"reps": 5, "loadKg": 62.5}],
            },
        ]
    }
    assert summary_text(structure) == "Time 1:03:05 · Distance 0.00 km · Sets 2 · Volume 312.5 kg + 1 set at %1RM"
    assert summary_text(None) == "No structure: the session is unstructured."


def test_the_logged_sets_are_shown_grouped_by_exercise(admin_client, exercise):
    other = ExerciseFactory(name="Another lift (test)")
    session = TrainingSessionFactory(status="completed", structure=structure_with(exercise))
    PerformedSetFactory(session=session, exercise=exercise, set_index=2, reps=4, load_kg=102.5, rir=1)
    PerformedSetFactory(session=session, exercise=exercise, set_index=1, reps=5, load_kg=100)
    PerformedSetFactory(session=session, exercise=other, set_index=1, reps=None, seconds=45, load_kg=None)
    page = admin_client.get(change_url(session)).content.decode()
    panel = page[page.index('<table class="logged-sets">') :]
    panel = panel[: panel.index("</table>")]
    assert panel.index("Another lift (test)") < panel.index("Zercher squat (test)")  # by name
    assert "Zercher squat (test) <small>(2 sets)</small>" in panel
    assert re.search(
        r"<td>1</td><td>5 reps</td><td>100 kg</td><td>—</td>.*<td>2</td><td>4 reps</td>"
        r"<td>102.5 kg</td><td>1</td>",
        panel,
    )
    assert "<td>45 s</td>" in panel


def test_a_session_without_logged_sets_says_so(admin_client):
    session = TrainingSessionFactory()
    assert "The athlete has logged no set yet." in admin_client.get(change_url(session)).content.decode()


# --- Query counts -----------------------------------------------------------------------------------------------


def _bigger(exercise, sets: int, steps: int) -> dict:
    structure = structure_with(exercise)
    structure["steps"][2]["sets"] = [{"reps": 5, "loadKg": 100} for _ in range(sets)]
    structure["steps"].extend({"kind": "work", "duration": {"seconds": 60}} for _ in range(steps))
    return structure


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code in (200, 302)
    return len(captured)


def test_the_change_page_costs_the_same_for_few_and_many_sets_and_steps(admin_client, exercise):
    small = TrainingSessionFactory(status="completed", structure=_bigger(exercise, sets=1, steps=0))
    PerformedSetFactory(session=small, exercise=exercise, set_index=1)
    big = TrainingSessionFactory(status="completed", structure=_bigger(exercise, sets=20, steps=40))
    others = [ExerciseFactory() for _ in range(3)]
    for one in [exercise, *others]:
        for index in range(1, 6):
            PerformedSetFactory(session=big, exercise=one, set_index=index)
    admin_client.get(change_url(small))  # session and permissions warmed alike for both
    assert _queries(lambda: admin_client.get(change_url(small))) == _queries(lambda: admin_client.get(change_url(big)))


def test_the_change_page_query_count(admin_client, exercise, django_assert_num_queries):
    session = TrainingSessionFactory(status="completed", structure=structure_with(exercise))
    PerformedSetFactory(session=session, exercise=exercise, set_index=1)
    admin_client.get(change_url(session))
    # Login session, user, the session, its athlete, its program, the status history; the editor adds one
    # query (the exercise picker) and the logged sets panel one (the sets with their exercises).
    with django_assert_num_queries(8):
        admin_client.get(change_url(session))


def test_saving_costs_the_same_for_few_and_many_steps(admin_client, exercise):
    small = TrainingSessionFactory()
    big = TrainingSessionFactory()
    admin_client.get(change_url(small))
    few = _queries(
        lambda: admin_client.post(change_url(small), session_post(small, to_editor(_bigger(exercise, 1, 0))))
    )
    many = _queries(lambda: admin_client.post(change_url(big), session_post(big, to_editor(_bigger(exercise, 20, 40)))))
    assert few == many
    assert TrainingSession.objects.get(pk=big.pk).structure == _bigger(exercise, 20, 40) | {
        "steps": [
            *structure_with(exercise)["steps"][:2],
            {
                "kind": "exercise",
                "exerciseId": str(exercise.pk),
                "sets": [{"reps": 5, "loadKg": 100, "restSeconds": 0}] * 20,
            },
            *[{"kind": "work", "duration": {"seconds": 60}}] * 40,
        ]
    }


def test_round_trip_between_the_stored_and_the_editors_shape(exercise):
    structure = structure_with(exercise, percent1rm=80)
    editor = to_editor(structure)
    assert to_editor(editor) == editor
    assert from_editor(editor) == structure
    assert from_editor({"steps": []}) is None and to_editor(None) == {"steps": []}
