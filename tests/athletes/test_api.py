"""/api/v1/athletes/: fields, validation, filters and ordering (docs/api.md, Athletes)."""

import pytest

from athletes.models import AthleteProfile, PrimaryGoal
from tests.support.factories.athletes import AthleteProfileFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/athletes/"


def payload(**overrides):
    data = {"userId": UserFactory().pk, "displayName": "Ada", "timezone": "Europe/Oslo", "primaryGoal": "endurance"}
    data.update(overrides)
    return data


def test_create_returns_every_field_in_camel_case(coach_client):
    response = coach_client.post(URL, payload(coachNotes="Base first"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "userId",
        "coachIds",
        "displayName",
        "timezone",
        "primaryGoal",
        "coachNotes",
        "maxHeartRate",
        "createdAt",
        "updatedAt",
    }
    assert body["displayName"] == "Ada" and body["coachNotes"] == "Base first"
    assert body["createdAt"].endswith("Z") and body["updatedAt"].endswith("Z")
    assert response["ETag"] == '"1"'
    assert AthleteProfile.objects.get(pk=body["id"]).display_name == "Ada"


def test_read_only_fields_are_ignored_on_input(coach_client):
    response = coach_client.post(
        URL, payload(id="0190d7a0-0000-7000-8000-000000000000", createdAt="2000-01-01T00:00:00Z"), format="json"
    )
    assert response.status_code == 201
    assert response.json()["id"] != "0190d7a0-0000-7000-8000-000000000000"
    assert not response.json()["createdAt"].startswith("2000")


@pytest.mark.parametrize(
    ("name", "stored"), [("A", "A"), ("x" * 80, "x" * 80), ("  Ada  ", "Ada"), (" " + "y" * 80 + " ", "y" * 80)]
)
def test_display_name_boundaries_accepted_and_trimmed(coach_client, name, stored):
    response = coach_client.post(URL, payload(displayName=name), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["displayName"] == stored


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, None, 12])
def test_display_name_bad_values_are_400(coach_client, name):
    response = coach_client.post(URL, payload(displayName=name), format="json")
    if name == 12:  # DRF's CharField accepts numbers as strings
        assert response.status_code == 201
        return
    assert response.status_code == 400
    assert list(response.json()) == ["displayName"]


@pytest.mark.parametrize("tz", ["UTC", "Europe/Oslo", "America/Argentina/Buenos_Aires"])
def test_valid_iana_timezones(coach_client, tz):
    assert coach_client.post(URL, payload(timezone=tz), format="json").status_code == 201


@pytest.mark.parametrize("tz", ["Mars/Olympus", "utc+2", "", "europe/oslo", "x" * 65])
def test_invalid_timezones_are_400(coach_client, tz):
    response = coach_client.post(URL, payload(timezone=tz), format="json")
    assert response.status_code == 400
    assert "timezone" in response.json()


@pytest.mark.parametrize("goal", PrimaryGoal.values)
def test_every_primary_goal_is_accepted(coach_client, goal):
    assert coach_client.post(URL, payload(primaryGoal=goal), format="json").status_code == 201


@pytest.mark.parametrize("goal", ["flexibility", "", "ENDURANCE", None])
def test_unknown_primary_goal_is_400(coach_client, goal):
    response = coach_client.post(URL, payload(primaryGoal=goal), format="json")
    assert response.status_code == 400
    assert "primaryGoal" in response.json()


def test_user_id_is_required_and_must_exist(coach_client):
    data = payload()
    del data["userId"]
    assert coach_client.post(URL, data, format="json").json() == {
        "userId": ["This field is required (or give user: {username, email} to create the athlete's login)."]
    }
    for bad in (999_999, "abc", 2**70, -1, True, 0):
        response = coach_client.post(URL, payload(userId=bad), format="json")
        assert response.status_code == 400, bad
        assert list(response.json()) == ["userId"]


def test_second_profile_for_a_user_is_400(coach_client):
    existing = AthleteProfileFactory()
    response = coach_client.post(URL, payload(userId=existing.user_id), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["userId"]
    assert AthleteProfile.objects.filter(user=existing.user).count() == 1


def test_coach_notes_may_be_empty_and_athletes_read_them(coach_client, athlete, athlete_client):
    assert coach_client.patch(f"{URL}{athlete.pk}/", {"coachNotes": ""}, format="json").status_code == 200
    coach_client.patch(f"{URL}{athlete.pk}/", {"coachNotes": "Sleep more"}, format="json")
    assert athlete_client.get(f"{URL}{athlete.pk}/").json()["coachNotes"] == "Sleep more"
    assert athlete_client.patch(f"{URL}{athlete.pk}/", {"coachNotes": ""}, format="json").status_code == 403


def test_athlete_patch_validates_too(athlete_client, athlete):
    response = athlete_client.patch(f"{URL}{athlete.pk}/", {"timezone": "Nowhere/City"}, format="json")
    assert response.status_code == 400
    athlete.refresh_from_db()
    assert athlete.timezone == "Europe/Oslo"


def test_put_requires_the_full_object(coach_client, athlete):
    response = coach_client.put(f"{URL}{athlete.pk}/", {"displayName": "Only"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"userId", "primaryGoal"}


def test_filter_by_primary_goal_and_search(coach_client):
    AthleteProfileFactory(display_name="Ada Lovelace", primary_goal="strength")
    AthleteProfileFactory(display_name="Grace Hopper", primary_goal="endurance")
    AthleteProfileFactory(display_name="Adam Smith", primary_goal="endurance")
    names = lambda q: [r["displayName"] for r in coach_client.get(URL, q).json()["results"]]  # noqa: E731
    assert names({"primaryGoal": "strength"}) == ["Ada Lovelace"]
    assert names({"search": "ada"}) == ["Ada Lovelace", "Adam Smith"]
    assert names({"search": "ada", "primaryGoal": "endurance"}) == ["Adam Smith"]
    assert names({"search": "zzz"}) == []
    assert coach_client.get(URL, {"primaryGoal": "bogus"}).status_code == 400


def test_ordering_by_display_name_and_updated_at(coach_client):
    b = AthleteProfileFactory(display_name="B")
    a = AthleteProfileFactory(display_name="A")
    c = AthleteProfileFactory(display_name="C")
    b.save()  # newest update
    ids = lambda q: [r["id"] for r in coach_client.get(URL, q).json()["results"]]  # noqa: E731
    assert ids({}) == [str(a.pk), str(b.pk), str(c.pk)]  # default: displayName
    assert ids({"ordering": "-displayName"}) == [str(c.pk), str(b.pk), str(a.pk)]
    assert ids({"ordering": "updatedAt"}) == [str(a.pk), str(c.pk), str(b.pk)]
    assert ids({"ordering": "-updatedAt"})[0] == str(b.pk)
    assert ids({"ordering": "-display_name"}) == [str(c.pk), str(b.pk), str(a.pk)]
