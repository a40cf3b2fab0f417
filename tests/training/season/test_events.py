"""Season events (/api/v1/events/): what an event holds, who reads and writes it (the access matrix covers the
roles), and the filters."""

from __future__ import annotations

import pytest

from tests.support.factories.training import SeasonEventFactory
from training.season.models import SeasonEvent

pytestmark = pytest.mark.django_db

PATH = "/api/v1/events/"


def _body(world, **fields):
    return {"athleteId": str(world.A["athletes"].pk), "date": "2030-06-01", "name": "City 10k", "priority": "A",
            "kind": "race", **fields}  # fmt: skip


def test_a_coach_adds_an_event_for_their_athlete(world):
    response = world.client("coach").post(PATH, _body(world, notes="Goal: sub 40"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert list(body) == ["id", "athleteId", "date", "name", "priority", "kind", "notes", "updatedAt"]
    assert (body["date"], body["priority"], body["kind"], body["notes"]) == ("2030-06-01", "A", "race", "Goal: sub 40")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"priority": "D"}, "priority"),
        ({"priority": "a"}, "priority"),
        ({"kind": "party"}, "kind"),
        ({"date": "2030-02-30"}, "date"),
        ({"date": None}, "date"),
        ({"athleteId": "nope"}, "athleteId"),
        ({"notes": "x" * 10_001}, "notes"),
    ],
)
def test_bad_events_are_400_on_the_field(world, change, field):
    before = SeasonEvent.objects.count()
    response = world.client("coach").post(PATH, _body(world, **change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert SeasonEvent.objects.count() == before


@pytest.mark.parametrize(("change", "status"), [({"name": "x" * 120}, 201), ({"kind": "camp", "priority": "C"}, 201)])
def test_the_boundaries_are_accepted(world, change, status):
    assert world.client("coach").post(PATH, _body(world, **change), format="json").status_code == status


def test_an_athlete_reads_their_events_and_writes_none(world):
    client = world.client("athlete")
    assert {row["id"] for row in client.get(PATH).json()["results"]} == {str(world.A["events"].pk)}
    assert client.patch(f"{PATH}{world.A['events'].pk}/", {"name": "Mine"}, format="json").status_code == 403
    assert client.post(PATH, _body(world), format="json").status_code == 403


def test_filters_by_athlete_priority_and_dates_both_inclusive(world):
    athlete = world.A["athletes"]
    for day, priority in [("2030-05-31", "C"), ("2030-06-01", "B"), ("2030-06-30", "A"), ("2030-07-01", "A")]:
        SeasonEventFactory(athlete=athlete, date=day, priority=priority, name=f"{priority} {day}")
    client = world.client("coach")

    def names(**params):
        response = client.get(PATH, {"athleteId": str(athlete.pk), **params})
        assert response.status_code == 200, response.content
        return [row["name"] for row in response.json()["results"]]

    assert names(dateAfter="2030-06-01", dateBefore="2030-06-30") == ["B 2030-06-01", "A 2030-06-30"]
    assert names(priority="A", dateAfter="2030-06-01") == ["A 2030-06-30", "A 2030-07-01"]
    assert names(dateBefore="2030-05-31")[-1] == "C 2030-05-31"
    for bad in ({"priority": "Z"}, {"dateAfter": "June"}, {"dateBefore": "2030-13-01"}):
        assert client.get(PATH, bad).status_code == 400


def test_the_list_is_in_date_order(world):
    SeasonEventFactory(athlete=world.A["athletes"], date="2020-01-01", name="Early")
    dates = [row["date"] for row in world.client("head coach").get(PATH).json()["results"]]
    assert dates == sorted(dates) and dates[0] == "2020-01-01"


def test_moving_an_event_to_an_athlete_the_coach_may_not_see_is_400(world):
    event = world.A["events"]
    response = world.client("coach").patch(
        f"{PATH}{event.pk}/", {"athleteId": str(world.B["athletes"].pk)}, format="json"
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["athleteId"][0]
    assert SeasonEvent.objects.get(pk=event.pk).athlete_id == world.A["athletes"].pk
