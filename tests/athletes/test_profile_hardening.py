"""AthleteProfile rules found in a fault and attack run: userId cannot be re-pointed, only real IANA zones,
invisible-only names are blank, a write that changes nothing keeps the version."""

import pytest

from athletes.models import AthleteProfile
from tests.support.factories.athletes import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/athletes/"


def _detail(profile):
    return f"{URL}{profile.pk}/"


# --- userId ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["user", "staff"])
def test_user_id_cannot_be_re_pointed_after_create(coach_client, athlete, target):
    other = UserFactory() if target == "user" else StaffFactory()
    for method in ("patch", "put"):
        body = {"userId": other.pk}
        if method == "put":
            body.update(displayName="Owner", timezone="Europe/Oslo", primaryGoal="endurance")
        response = getattr(coach_client, method)(_detail(athlete), body, format="json")
        assert response.status_code == 400
        assert response.json() == {"userId": ["Cannot be changed once the profile exists."]}
    athlete.refresh_from_db()
    assert athlete.user_id != other.pk
    assert athlete.version == 1


def test_user_id_unchanged_is_accepted(coach_client, athlete):
    response = coach_client.patch(_detail(athlete), {"userId": athlete.user_id, "displayName": "New"}, format="json")
    assert response.status_code == 200
    assert response.json()["userId"] == athlete.user_id


def test_user_id_is_still_required_and_free_on_create(coach_client):
    user = UserFactory()
    response = coach_client.post(
        URL, {"userId": user.pk, "displayName": "Ada", "timezone": "UTC", "primaryGoal": "endurance"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["userId"] == user.pk


# --- timezone -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone", ["localtime", "posixrules", "Factory", "posix/Europe/Oslo", "right/UTC", "Mars/Olympus"]
)
def test_timezone_must_be_a_real_iana_zone(coach_client, athlete, zone):
    response = coach_client.patch(_detail(athlete), {"timezone": zone}, format="json")
    assert response.status_code == 400
    assert "timezone" in response.json()


@pytest.mark.parametrize("zone", ["UTC", "Europe/Oslo", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "US/Pacific"])
def test_real_zones_including_links_are_accepted(coach_client, athlete, zone):
    assert coach_client.patch(_detail(athlete), {"timezone": zone}, format="json").status_code == 200


def test_model_validation_refuses_localtime_too(athlete):
    from django.core.exceptions import ValidationError

    athlete.timezone = "localtime"
    with pytest.raises(ValidationError) as caught:
        athlete.full_clean()
    assert "timezone" in caught.value.message_dict


# --- invisible-only names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["\u200b", "\ufeff", "\u200b\u200c\u200d\u2060", " \u00a0\u3000\u200b ", "\u00ad"])
def test_display_name_of_only_invisible_characters_is_blank(coach_client, name):
    body = {"userId": UserFactory().pk, "displayName": name, "timezone": "UTC", "primaryGoal": "endurance"}
    response = coach_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert "displayName" in response.json()
    assert not AthleteProfile.objects.exists()


def test_invisible_characters_are_trimmed_at_the_ends_only(coach_client):
    body = {
        "userId": UserFactory().pk,
        "displayName": "\ufeff Ada\u200bLovelace \u200b",
        "timezone": "UTC",
        "primaryGoal": "endurance",
    }
    response = coach_client.post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["displayName"] == "Ada\u200bLovelace"


def test_a_name_of_80_visible_characters_with_invisible_padding_fits(coach_client):
    body = {
        "userId": UserFactory().pk,
        "displayName": "\u200b" + "y" * 80 + "\ufeff",
        "timezone": "UTC",
        "primaryGoal": "endurance",
    }
    response = coach_client.post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["displayName"] == "y" * 80


# --- writes that change nothing ------------------------------------------------------------------------------


def test_an_athletes_empty_patch_keeps_the_version_so_a_coachs_if_match_still_holds(
    coach_client, athlete_client, athlete
):
    etag = coach_client.get(_detail(athlete))["ETag"]
    updated_at = coach_client.get(_detail(athlete)).json()["updatedAt"]
    response = athlete_client.patch(_detail(athlete), {}, format="json")
    assert response.status_code == 200
    assert response["ETag"] == etag
    assert response.json()["updatedAt"] == updated_at
    same = athlete_client.patch(_detail(athlete), {"displayName": "Owner", "timezone": "Europe/Oslo"}, format="json")
    assert same["ETag"] == etag
    response = coach_client.patch(_detail(athlete), {"coachNotes": "Deload"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_a_real_change_still_bumps_the_version(athlete_client, athlete):
    etag = athlete_client.get(_detail(athlete))["ETag"]
    response = athlete_client.patch(_detail(athlete), {"displayName": "Renamed"}, format="json")
    assert response["ETag"] != etag
    athlete.refresh_from_db()
    assert athlete.version == 2
