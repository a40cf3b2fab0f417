"""Squads (/api/v1/squads/) and the `squadId` filter of the athletes, programs, sessions and load-summary lists.

The world (tests.support.world): "Squad of A" is coached by the coach and holds athlete A; "Squad of B" is another
coach's and holds athlete B."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from athletes.models import Squad, SquadAthlete, SquadCoach
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory, SquadFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory

pytestmark = pytest.mark.django_db

LISTS = ["athletes", "programs", "sessions", "load-summary"]
UNKNOWN = "0190d7a0-0000-7000-8000-000000000000"


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row.get("athleteId") or row["id"] for row in response.json()["results"]}


# --- Writing a squad -------------------------------------------------------------------------------------------


def test_a_coach_creates_a_squad_of_their_athletes_and_is_added_to_its_coaches(world):
    a = world.A["athletes"]
    response = world.client("coach").post("/api/v1/squads/", {"name": "  Juniors ", "athleteIds": [str(a.pk)]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Juniors"
    assert body["coachIds"] == [world.coach.pk]
    assert body["athleteIds"] == [str(a.pk)]
    assert list(body) == ["id", "name", "coachIds", "athleteIds", "updatedAt"]


def test_a_head_coach_names_coaches_and_a_superuser_is_not_added(world):
    head = world.users["head coach"]
    body = world.client("head coach").post("/api/v1/squads/", {"name": "Seniors", "coachIds": [world.coach.pk]}).json()
    assert body["coachIds"] == sorted([world.coach.pk, head.pk])
    body = world.client("superuser").post("/api/v1/squads/", {"name": "Masters", "coachIds": []}).json()
    assert body["coachIds"] == []


@pytest.mark.parametrize(
    ("name", "status"),
    [("x" * 80, 201), ("x" * 81, 400), ("", 400), ("   ", 400), ("squad OF a", 400), (" Squad of A ", 400)],
)
def test_names_are_1_to_80_characters_and_unique_ignoring_case(world, name, status):
    response = world.client("coach").post("/api/v1/squads/", {"name": name})
    assert response.status_code == status, response.content
    if status == 400:
        assert list(response.json()) == ["name"]


def test_a_name_another_coach_uses_is_taken_too(world):
    # Unique over every squad: a head coach sees them all and must tell them apart.
    response = world.client("coach").post("/api/v1/squads/", {"name": "SQUAD OF B"})
    assert response.status_code == 400
    assert "exists" in response.json()["name"][0]


def test_coach_ids_must_be_coaches(world):
    athlete_user = world.A["athletes"].user
    response = world.client("coach").post(
        "/api/v1/squads/", {"name": "X", "coachIds": [athlete_user.pk, 10**9, world.other_coach.pk]}
    )
    assert response.status_code == 400
    assert response.json() == {
        "coachIds": [
            f'User "{pk}" is not a coach (not in "Coaches" or "Head coaches").'
            for pk in sorted([athlete_user.pk, 10**9])
        ]
    }
    assert not Squad.objects.filter(name="X").exists()


def test_an_athlete_the_writer_may_not_see_is_the_same_400_as_one_that_does_not_exist(world):
    client = world.client("coach")
    hidden = client.post("/api/v1/squads/", {"name": "X", "athleteIds": [str(world.B["athletes"].pk)]})
    missing = client.post("/api/v1/squads/", {"name": "X", "athleteIds": [UNKNOWN]})
    assert hidden.status_code == missing.status_code == 400
    text = lambda r, pk: r.json()["athleteIds"][0].replace(pk, "<id>")  # noqa: E731
    assert text(hidden, str(world.B["athletes"].pk)) == text(missing, UNKNOWN)
    assert "does not exist" in text(missing, UNKNOWN)
    assert Squad.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "athleteIds": ["not-a-uuid"]}, "athleteIds"),
        ({"name": "X", "athleteIds": "0190d7a0-0000-7000-8000-000000000000"}, "athleteIds"),
        ({"name": "X", "coachIds": ["three"]}, "coachIds"),
        ({"name": "X", "coachIds": [0]}, "coachIds"),
        ({"name": "X", "coachIds": [2**63]}, "coachIds"),
        ({"name": "X", "coachIds": list(range(1, 102))}, "coachIds"),
        ({"name": "X", "athleteIds": [str(uuid.uuid4()) for _ in range(1001)]}, "athleteIds"),
        ({"name": None}, "name"),
        ({}, "name"),
    ],
)
def test_malformed_bodies_are_400_on_the_field(world, body, field):
    response = world.client("coach").post("/api/v1/squads/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Squad.objects.count() == 2


def test_repeated_ids_count_once(world):
    a = str(world.A["athletes"].pk)
    body = world.client("coach").post("/api/v1/squads/", {"name": "X", "athleteIds": [a, a]}, format="json").json()
    assert body["athleteIds"] == [a]


def test_members_the_writer_may_not_see_are_neither_shown_nor_removed(world):
    squad = world.A["squads"]
    squad.athletes.add(world.B["athletes"])  # a head coach added another coach's athlete
    client = world.client("coach")
    read = client.get(f"/api/v1/squads/{squad.pk}/")
    assert read.json()["athleteIds"] == [str(world.A["athletes"].pk)]
    mine = AthleteProfileFactory()
    mine.coaches.add(world.coach)
    response = client.patch(
        f"/api/v1/squads/{squad.pk}/", {"athleteIds": [str(mine.pk)]}, HTTP_IF_MATCH=read["ETag"], format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["athleteIds"] == [str(mine.pk)]
    assert set(squad.athletes.values_list("pk", flat=True)) == {mine.pk, world.B["athletes"].pk}
    head = world.client("head coach").get(f"/api/v1/squads/{squad.pk}/").json()
    assert sorted(head["athleteIds"]) == sorted([str(mine.pk), str(world.B["athletes"].pk)])


def test_a_put_of_what_was_read_changes_nothing(world):
    squad = world.A["squads"]
    client = world.client("coach")
    read = client.get(f"/api/v1/squads/{squad.pk}/")
    body = {k: v for k, v in read.json().items() if k not in ("id", "updatedAt")}
    again = client.put(f"/api/v1/squads/{squad.pk}/", body, format="json")
    assert again.status_code == 200
    assert again["ETag"] == read["ETag"]
    assert again.json()["updatedAt"] == read.json()["updatedAt"]


def test_a_stale_if_match_is_412_and_changes_nothing(world):
    squad = world.A["squads"]
    client = world.client("coach")
    etag = client.get(f"/api/v1/squads/{squad.pk}/")["ETag"]
    assert client.patch(f"/api/v1/squads/{squad.pk}/", {"name": "First"}, HTTP_IF_MATCH=etag).status_code == 200
    late = client.patch(f"/api/v1/squads/{squad.pk}/", {"athleteIds": []}, HTTP_IF_MATCH=etag, format="json")
    assert late.status_code == 412
    assert list(squad.athletes.all()) == [world.A["athletes"]]


def test_membership_changes_are_a_new_version(world):
    squad = world.A["squads"]
    client = world.client("coach")
    before = client.get(f"/api/v1/squads/{squad.pk}/")["ETag"]
    after = client.patch(f"/api/v1/squads/{squad.pk}/", {"athleteIds": []}, format="json")
    assert after.status_code == 200
    assert after["ETag"] != before
    assert not SquadAthlete.objects.filter(squad=squad).exists()


def test_a_coach_who_leaves_a_squad_gets_the_answer_and_then_no_longer_sees_it(world):
    squad = world.A["squads"]
    client = world.client("coach")
    response = client.patch(f"/api/v1/squads/{squad.pk}/", {"coachIds": []}, format="json")
    assert response.status_code == 200
    assert response.json()["coachIds"] == []
    assert client.get(f"/api/v1/squads/{squad.pk}/").status_code == 404
    assert not SquadCoach.objects.filter(squad=squad).exists()


def test_delete_is_405_and_the_admin_deletes_without_touching_athletes(world):
    squad = world.A["squads"]
    assert world.client("coach").delete(f"/api/v1/squads/{squad.pk}/").status_code == 405
    squad.delete()
    assert world.A["athletes"].__class__.objects.filter(pk=world.A["athletes"].pk).exists()


def test_search_filters_by_name(world):
    client = world.client("head coach")
    assert [r["name"] for r in client.get("/api/v1/squads/", {"search": "of b"}).json()["results"]] == ["Squad of B"]
    assert client.get("/api/v1/squads/", {"search": "x" * 81}).status_code == 400


# --- The squadId filter ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", LISTS)
def test_squad_id_keeps_the_squads_athletes(world, resource):
    client = world.client("head coach")
    a, b = world.A["athletes"], world.B["athletes"]
    every = _ids(client.get(f"/api/v1/{resource}/"))
    of_a = _ids(client.get(f"/api/v1/{resource}/", {"squadId": str(world.A["squads"].pk)}))
    of_b = _ids(client.get(f"/api/v1/{resource}/", {"squadId": str(world.B["squads"].pk)}))
    assert of_a and of_b and of_a | of_b == every and not of_a & of_b
    if resource in ("athletes", "load-summary"):
        assert (of_a, of_b) == ({str(a.pk)}, {str(b.pk)})


@pytest.mark.parametrize("resource", LISTS)
@pytest.mark.parametrize(
    ("role", "squad"),
    [("coach", "B"), ("coach without athletes", "A"), ("athlete", "A"), ("coach", None)],
)
def test_a_squad_the_caller_may_not_see_is_404(world, resource, role, squad):
    squad_id = str(world[squad]["squads"].pk) if squad else UNKNOWN
    response = world.client(role).get(f"/api/v1/{resource}/", {"squadId": squad_id})
    assert response.status_code == 404
    assert response.json() == {"detail": "No squad with this id that you may see."}


@pytest.mark.parametrize("resource", LISTS)
@pytest.mark.parametrize("value", ["nope", "0190d7a0-0000-7000-8000", "\x00"])
def test_a_malformed_squad_id_is_400(world, resource, value):
    response = world.client("coach").get(f"/api/v1/{resource}/", {"squadId": value})
    assert response.status_code == 400
    assert "squadId" in response.json()


@pytest.mark.parametrize("resource", LISTS)
def test_a_squad_shows_a_coach_only_the_athletes_they_may_see(world, resource):
    # The coach coaches the squad, but athlete B in it is another coach's: B's rows stay hidden.
    world.A["squads"].athletes.add(world.B["athletes"])
    rows = _ids(world.client("coach").get(f"/api/v1/{resource}/", {"squadId": str(world.A["squads"].pk)}))
    assert rows
    everything_of_b = _ids(
        world.client("head coach").get(f"/api/v1/{resource}/", {"squadId": str(world.B["squads"].pk)})
    )
    assert not rows & everything_of_b


@pytest.mark.parametrize("resource", LISTS)
def test_squad_id_costs_one_query_whatever_the_squads_size(world, resource):
    coach = world.coach
    squad = world.A["squads"]
    client = world.client("coach")

    def count():
        with CaptureQueriesContext(connection) as plain:
            assert client.get(f"/api/v1/{resource}/").status_code == 200
        with CaptureQueriesContext(connection) as filtered:
            response = client.get(f"/api/v1/{resource}/", {"squadId": str(squad.pk)})
        assert response.status_code == 200
        return len(plain), len(filtered), response.json()["count"]

    plain, filtered, few = count()
    for _ in range(5):
        athlete = AthleteProfileFactory()
        athlete.coaches.add(coach)
        squad.athletes.add(athlete)
        program = TrainingProgramFactory(athlete=athlete)
        TrainingSessionFactory(program=program)
    plain_many, filtered_many, many = count()
    assert many > few
    assert filtered == filtered_many == plain + 1 == plain_many + 1


def test_a_coach_of_two_squads_sees_each_apart(world):
    other = SquadFactory(name="Other", coaches=[world.coach, CoachFactory()])
    client = world.client("coach")
    assert {r["name"] for r in client.get("/api/v1/squads/").json()["results"]} == {"Squad of A", "Other"}
    assert client.get("/api/v1/athletes/", {"squadId": str(other.pk)}).json()["count"] == 0


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_squad_write_costs_the_same_for_3_or_30_athletes(world, method):
    coach = world.coach
    client = world.client("coach")

    def write(n: int, name: str) -> int:
        athletes = [AthleteProfileFactory() for _ in range(n)]
        for athlete in athletes:
            athlete.coaches.add(coach)
        ids = [str(a.pk) for a in athletes]
        if method == "post":
            path, body, status = "/api/v1/squads/", {"name": name, "athleteIds": ids}, 201
        else:
            squad = SquadFactory(name=name, coaches=[coach], athletes=[world.A["athletes"]])
            path, body, status = f"/api/v1/squads/{squad.pk}/", {"athleteIds": ids}, 200
        with CaptureQueriesContext(connection) as ctx:
            response = getattr(client, method)(path, body, format="json")
        assert response.status_code == status, response.content
        assert len(response.json()["athleteIds"]) == n
        return len(ctx.captured_queries)

    assert write(3, "Three") == write(30, "Thirty")
