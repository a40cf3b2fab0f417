"""Program and session templates: what a template may hold, who sees and changes it, a program saved as a
template, and `templateId` on a new session.

The world (tests.support.world): "Template of A" is the coach's own, "Template of B" another coach's (not
shared)."""

from __future__ import annotations

import pytest

from tests.support.factories.training import ProgramTemplateFactory, SessionTemplateFactory, template_session
from training.library.models import ProgramTemplate, SessionTemplate
from training.models import TrainingSession

pytestmark = pytest.mark.django_db

PATH = "/api/v1/program-templates/"


def _body(**fields) -> dict:
    return {
        "title": "Base block",
        "weeks": 2,
        "phases": [{"name": "Base", "focus": "Aerobic", "startWeek": 1, "endWeek": 2}],
        "sessions": [template_session(1, 2, "18:00"), template_session(2, 5, "06:45", plannedLoad=None)],
        **fields,
    }


# --- What a template holds -------------------------------------------------------------------------------------


def test_a_coach_writes_a_template_whole_and_owns_it(world):
    response = world.client("coach").post(PATH, {**_body(), "ownerId": 999}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ownerId"] == world.coach.pk
    assert body["shared"] is False
    assert body["phases"] == _body()["phases"]
    assert body["sessions"] == [
        {**template_session(1, 2, "18:00")},
        {**template_session(2, 5, "06:45", plannedLoad=None)},
    ]
    assert list(body) == ["id", "title", "description", "weeks", "ownerId", "shared", "phases", "sessions", "updatedAt"]


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"title": "x" * 120}, None, 201),
        ({"title": "x" * 121}, "title", 400),
        ({"title": "  "}, "title", 400),
        ({"weeks": 0}, "weeks", 400),
        ({"weeks": 104}, None, 201),
        ({"weeks": 105}, "weeks", 400),
        ({"weeks": 1}, "phases", 400),  # the phase ends in week 2, and a session is in week 2
        ({"phases": [{"name": "A", "focus": "B", "startWeek": 2, "endWeek": 1}]}, "phases", 400),
        ({"phases": [{"name": "A", "focus": "B", "startWeek": 1, "endWeek": 3}]}, "phases", 400),
        (
            {
                "phases": [
                    {"name": "A", "focus": "B", "startWeek": 1, "endWeek": 1},
                    {"name": "C", "focus": "D", "startWeek": 1, "endWeek": 2},
                ]
            },
            "phases",
            400,
        ),
        ({"phases": [{"name": "", "focus": "B", "startWeek": 1, "endWeek": 1}]}, "phases", 400),
        ({"phases": [{"name": "A", "focus": "B", "startWeek": 1}]}, "phases", 400),
        ({"phases": []}, None, 201),
        ({"sessions": []}, None, 201),
        ({"sessions": [template_session(3, 1)]}, "sessions", 400),
        ({"sessions": [template_session(1, 0)]}, "sessions", 400),
        ({"sessions": [template_session(1, 8)]}, "sessions", 400),
        ({"sessions": [template_session(1, 7, "23:59")]}, None, 201),
        ({"sessions": [template_session(1, 7, "24:00")]}, "sessions", 400),
        ({"sessions": [template_session(1, 7, "7:30")]}, "sessions", 400),
        ({"sessions": [template_session(1, 7, "07:60")]}, "sessions", 400),
        ({"sessions": [template_session(1, 1, modality="rowing")]}, "sessions", 400),
        ({"sessions": [template_session(1, 1, durationMinutes=0)]}, "sessions", 400),
        ({"sessions": [template_session(1, 1, durationMinutes=1440)]}, None, 201),
        ({"sessions": [template_session(1, 1, plannedLoad=14400)]}, None, 201),
        ({"sessions": [template_session(1, 1, plannedLoad=14400.01)]}, "sessions", 400),
        ({"sessions": [template_session(1, 1, plannedLoad=-1)]}, "sessions", 400),
        ({"sessions": [template_session(1, 1, plannedLoad=0.125)]}, "sessions", 400),
        ({"sessions": [template_session(1, 1, extra=1)]}, None, 201),  # unknown keys are dropped
        ({"sessions": "none"}, "sessions", 400),
        ({"sessions": [template_session(1, 1) for _ in range(2001)]}, "sessions", 400),
        ({"phases": None}, "phases", 400),
    ],
)
def test_every_rule_of_a_template(world, change, field, status):
    response = world.client("coach").post(PATH, _body(**change), format="json")
    assert response.status_code == status, response.content
    if status == 400:
        assert field in response.json(), response.json()
        assert ProgramTemplate.objects.count() == 2


def test_a_structure_error_names_its_item_and_path(world):
    bad = template_session(1, 1, structure={"steps": [{"kind": "work", "duration": {"seconds": 0}}]})
    response = world.client("coach").post(PATH, _body(sessions=[template_session(1, 2), bad]), format="json")
    assert response.status_code == 400
    errors = response.json()["sessions"]  # keyed by the item's position
    assert list(errors) == ["1"]
    assert errors["1"]["structure"][0].startswith("steps[0].duration.seconds")


def test_two_thousand_sessions_are_accepted(world):
    sessions = [template_session(1 + i % 2, 1 + i % 7, "07:00") for i in range(2000)]
    response = world.client("coach").post(PATH, _body(sessions=sessions), format="json")
    assert response.status_code == 201
    assert len(response.json()["sessions"]) == 2000


def test_a_week_shortened_under_its_sessions_is_refused_with_their_items(world):
    template = world.A["program-templates"]  # four weeks, sessions every week
    response = world.client("coach").patch(f"{PATH}{template.pk}/", {"weeks": 3}, format="json")
    assert response.status_code == 400
    assert response.json()["sessions"] == ["Items 6, 7: week after the template's last week (3)."]
    assert "Item 1: endWeek 4" in response.json()["phases"][0]


# --- Who sees and changes a template -----------------------------------------------------------------------


def test_a_shared_template_is_read_by_every_coach_and_changed_only_by_its_owner_or_a_head_coach(world):
    theirs = world.B["program-templates"]
    coach = world.client("coach")
    assert coach.get(f"{PATH}{theirs.pk}/").status_code == 404
    theirs.shared = True
    theirs.save()
    read = coach.get(f"{PATH}{theirs.pk}/")
    assert read.status_code == 200
    refused = coach.patch(f"{PATH}{theirs.pk}/", {"title": "Mine now"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only the template's owner or a head coach may change it."}
    assert ProgramTemplate.objects.get(pk=theirs.pk).title == "Template of B"
    assert world.client("head coach").patch(f"{PATH}{theirs.pk}/", {"title": "Club base"}).status_code == 200
    listed = {row["title"] for row in coach.get(PATH).json()["results"]}
    assert listed == {"Template of A", "Club base"}


def test_a_head_coach_sees_every_template_and_athletes_and_operations_none(world):
    assert world.client("head coach").get(PATH).json()["count"] == 2
    for role in ("athlete", "operations", "staff without groups"):
        assert world.client(role).get(PATH).status_code == 403
        assert world.client(role).get("/api/v1/session-templates/").status_code == 403


def test_session_templates_follow_the_same_rules(world):
    theirs = world.B["session-templates"]
    coach = world.client("coach")
    assert coach.get(f"/api/v1/session-templates/{theirs.pk}/").status_code == 404
    SessionTemplate.objects.filter(pk=theirs.pk).update(shared=True)
    assert coach.get(f"/api/v1/session-templates/{theirs.pk}/").status_code == 200
    assert coach.patch(f"/api/v1/session-templates/{theirs.pk}/", {"title": "X"}).status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"durationMinutes": 0}, "durationMinutes"),
        ({"durationMinutes": 1441}, "durationMinutes"),
        ({"modality": "rowing"}, "modality"),
        ({"plannedLoad": 14400.5}, "plannedLoad"),
        ({"title": ""}, "title"),
        ({"structure": {"steps": []}}, "structure"),
        ({"structure": "x"}, "structure"),
    ],
)
def test_session_template_rules(world, change, field):
    body = {"title": "Tempo", "modality": "run", "durationMinutes": 50, **change}
    response = world.client("coach").post("/api/v1/session-templates/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


# --- templateId on a new session ----------------------------------------------------------------------------


def _new_session(world, **fields):
    program = world.A["programs"]
    return {"programId": str(program.pk), "scheduledAt": f"{program.start_date}T10:00:00Z", **fields}


def test_a_session_from_a_template_takes_its_fields_unless_the_request_gives_them(world):
    lifts = {"steps": [{"kind": "work", "duration": {"seconds": 600}}]}
    template = SessionTemplateFactory(owner=world.coach, title="Hills", modality="run", duration_minutes=60)
    SessionTemplate.objects.filter(pk=template.pk).update(structure=lifts)
    client = world.client("coach")
    body = client.post("/api/v1/sessions/", _new_session(world, templateId=str(template.pk)), format="json").json()
    assert (body["title"], body["modality"], body["durationMinutes"], body["plannedLoad"]) == (
        "Hills",
        "run",
        60,
        350.0,
    )
    assert body["structure"] == lifts
    assert "templateId" not in body
    own = _new_session(world, templateId=str(template.pk), title="Short hills", durationMinutes=30, structure=None)
    body = client.post("/api/v1/sessions/", own, format="json").json()
    assert (body["title"], body["durationMinutes"], body["structure"]) == ("Short hills", 30, None)


def test_another_coachs_unshared_template_is_the_same_400_as_none(world):
    client = world.client("coach")
    before = TrainingSession.objects.count()
    for template_id in (str(world.B["session-templates"].pk), "0190d7a0-0000-7000-8000-000000000000"):
        body = _new_session(world, templateId=template_id, title="T", modality="run", durationMinutes=30)
        response = client.post("/api/v1/sessions/", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"templateId": [f'Invalid pk "{template_id}" - object does not exist.']}
    assert TrainingSession.objects.count() == before
    assert client.post("/api/v1/sessions/", _new_session(world, templateId="nope"), format="json").status_code == 400


def test_template_id_is_only_for_a_new_session(world):
    session = world.A["sessions"]
    response = world.client("coach").patch(
        f"/api/v1/sessions/{session.pk}/", {"templateId": str(world.A["session-templates"].pk)}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"templateId": ["Only when a session is created."]}


# --- Listing ---------------------------------------------------------------------------------------------------


def test_templates_list_in_title_order_and_search(world):
    ProgramTemplateFactory(owner=world.coach, title="Alpha")
    titles = [row["title"] for row in world.client("coach").get(PATH).json()["results"]]
    assert titles == ["Alpha", "Template of A"]


@pytest.mark.parametrize("path", [PATH, "/api/v1/session-templates/"])
def test_templates_filter_by_search_shared_and_owner(world, path):
    model = ProgramTemplate if path == PATH else SessionTemplate
    model.objects.filter(pk=world.B[path.split("/")[3]].pk).update(shared=True)
    client = world.client("head coach")

    def ids(**params):
        response = client.get(path, params)
        assert response.status_code == 200, response.content
        return {row["title"] for row in response.json()["results"]}

    a, b = (world[w][path.split("/")[3]].title for w in "AB")
    assert ids(shared="true") == {b}
    assert ids(shared="false") == {a}
    assert ids(ownerId=world.coach.pk) == {a}
    assert ids(search=" of b") == {b}
    for bad in ({"shared": "maybe"}, {"ownerId": "x"}, {"ownerId": 0}, {"search": "x" * 121}):
        assert client.get(path, bad).status_code == 400
