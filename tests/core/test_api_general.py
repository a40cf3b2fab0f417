"""Behaviour every resource shares: envelope and page size, 405 on DELETE, JSON errors for malformed input,
JSON 404s, UTC timestamps, ETag / If-Match."""

import uuid
from datetime import date, timedelta

import pytest

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import MicroCycleFactory, TrainingProgramFactory, TrainingSessionFactory

pytestmark = pytest.mark.django_db

RESOURCES = [
    "athletes",
    "programs",
    "phases",
    "micro-cycles",
    "sessions",
    "connection-profiles",
    "health-events",
]


@pytest.mark.parametrize("resource", RESOURCES)
def test_delete_is_405_on_list_and_detail(coach_client, resource):
    assert coach_client.delete(f"/api/v1/{resource}/").status_code == 405
    response = coach_client.delete(f"/api/v1/{resource}/0190d7a0-0000-7000-8000-000000000000/")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}


def test_delete_is_405_for_athletes_too_and_deletes_nothing(athlete_client, athlete):
    assert athlete_client.delete(f"/api/v1/athletes/{athlete.pk}/").status_code == 405
    assert type(athlete).objects.filter(pk=athlete.pk).exists()


def test_list_envelope_default_page_size_and_next_link(coach_client):
    AthleteProfileFactory.create_batch(51)
    body = coach_client.get("/api/v1/athletes/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 51 and len(body["results"]) == 50
    assert body["previous"] is None and "page=2" in body["next"]
    page2 = coach_client.get(body["next"]).json()
    assert len(page2["results"]) == 1 and page2["next"] is None


def test_page_size_from_1_to_200(coach_client):
    AthleteProfileFactory.create_batch(201)
    assert len(coach_client.get("/api/v1/athletes/?pageSize=200").json()["results"]) == 200
    assert len(coach_client.get("/api/v1/athletes/?pageSize=3").json()["results"]) == 3
    assert len(coach_client.get("/api/v1/athletes/?pageSize=1").json()["results"]) == 1
    assert len(coach_client.get("/api/v1/athletes/?pageSize=0003").json()["results"]) == 3  # leading zeros


@pytest.mark.parametrize("resource", ["athletes", "programs", "phases", "micro-cycles", "sessions"])
@pytest.mark.parametrize(
    "page",
    ["0", "2", "999", "abc", "1000000001", "99999999999999999999999", pytest.param("9" * 5000, id="5000-digits")],
)
def test_out_of_range_page_is_a_json_404(coach_client, page, resource):
    MicroCycleFactory()  # an athlete, a program and a cycle: one row in each list
    response = coach_client.get(f"/api/v1/{resource}/", {"page": page})
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("resource", ["programs", "micro-cycles"])
def test_pages_of_a_list_with_derived_columns_count_and_cut_alike(coach_client, resource):
    """Paginated page first (the ids, then their annotated rows): a full page, the last partial page, an empty
    list and `page=last` give the same count and rows as the list read whole."""
    program = TrainingProgramFactory(end_date=date.today() + timedelta(weeks=10))
    for week in range(1, 6):
        MicroCycleFactory(program=program, week_index=week)
    for _ in range(4):
        TrainingProgramFactory()
    whole = coach_client.get(f"/api/v1/{resource}/", {"pageSize": 200}).json()
    ids = [row["id"] for row in whole["results"]]
    assert whole["count"] == len(ids) == 5
    for page, expected in (("1", ids[:2]), ("2", ids[2:4]), ("3", ids[4:]), ("last", ids[4:])):
        body = coach_client.get(f"/api/v1/{resource}/", {"pageSize": 2, "page": page}).json()
        assert (body["count"], [row["id"] for row in body["results"]]) == (5, expected), page
    empty = coach_client.get(
        f"/api/v1/{resource}/",
        {"athleteId": str(uuid.uuid4())} if resource == "programs" else {"programId": str(uuid.uuid4())},
    ).json()
    assert (empty["count"], empty["results"]) == (0, [])


BAD_PAGE_SIZES = [
    "0",
    "-1",
    "abc",
    "201",
    "500",
    "",
    " 5",
    "1.5",
    "\u0665",
    "99999999999999999999",
    pytest.param("9" * 5000, id="5000-digits"),
]


@pytest.mark.parametrize("page_size", BAD_PAGE_SIZES)
@pytest.mark.parametrize("resource", ["athletes", "programs", "sessions"])
def test_bad_page_size_is_a_400_naming_it(coach_client, resource, page_size):
    AthleteProfileFactory.create_batch(3)
    response = coach_client.get(f"/api/v1/{resource}/", {"pageSize": page_size})
    assert response.status_code == 400
    assert response.json() == {"pageSize": ["Must be a whole number from 1 to 200."]}


@pytest.mark.parametrize("resource", ["athletes", "programs", "phases", "micro-cycles", "sessions"])
def test_malformed_json_is_400(coach_client, resource):
    response = coach_client.generic("POST", f"/api/v1/{resource}/", '{"title": "x",', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_wrong_content_type_is_415(coach_client, content_type):
    response = coach_client.generic("POST", "/api/v1/programs/", "title=x", content_type=content_type)
    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]


def test_json_body_that_is_not_an_object_is_400(coach_client):
    response = coach_client.generic("POST", "/api/v1/programs/", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"nonFieldErrors": ["Invalid data. Expected a dictionary, but got list."]}


def test_nan_and_infinity_literals_are_rejected(coach_client, athlete):
    session = TrainingSessionFactory(program__athlete=athlete)
    for literal in ("NaN", "Infinity"):
        response = coach_client.generic(
            "PATCH", f"/api/v1/sessions/{session.pk}/", f'{{"load": {literal}}}', content_type="application/json"
        )
        assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing-here/", "/api/v1/programs/not-a-uuid/", "/api/unknown", "/api/v1/programs/a/b/c/"],
)
def test_unmatched_paths_are_json_404(coach_client, path):
    response = coach_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_malformed_uuid_in_path_is_404_not_500(coach_client):
    assert coach_client.get("/api/v1/programs/1234/").status_code == 404
    assert coach_client.patch("/api/v1/sessions/zzz/", {"status": "completed"}, format="json").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"athleteId": "not-a-uuid"},
        {"programId": "123"},
        {"status": "bogus"},
        {"scheduledAfter": "yesterday"},
        {"scheduledBefore": "2026-13-45T00:00:00Z"},
        {"modality": "x\x00y"},
        {"athleteId": "\x00"},
        {"scheduledAfter": "\x00"},
    ],
)
def test_malformed_filters_are_400_not_an_empty_list(coach_client, query):
    response = coach_client.get("/api/v1/sessions/", query)
    assert response.status_code == 400
    assert set(response.json()) <= {"athleteId", "programId", "status", "scheduledAfter", "scheduledBefore", "modality"}


@pytest.mark.parametrize("query", [{"search": "a\x00b"}, {"primaryGoal": "\x00"}, {"search": "x" * 81}])
def test_nul_bytes_and_huge_values_in_athlete_filters_are_400(coach_client, query):
    assert coach_client.get("/api/v1/athletes/", query).status_code == 400


def test_nul_byte_in_health_event_environment_filter_is_400(coach_client):
    assert coach_client.get("/api/v1/health-events/", {"environment": "prod\x00"}).status_code == 400


def test_nul_byte_or_unknown_field_in_ordering_is_ignored(coach_client):
    AthleteProfileFactory.create_batch(2)
    assert coach_client.get("/api/v1/athletes/", {"ordering": "display\x00Name"}).status_code == 200
    assert coach_client.get("/api/v1/athletes/", {"ordering": "coachNotes"}).status_code == 200


def test_long_strings_are_400_with_a_message(coach_client, athlete):
    response = coach_client.patch(f"/api/v1/athletes/{athlete.pk}/", {"displayName": "x" * 100_000}, format="json")
    assert response.status_code == 400
    assert response.json() == {"displayName": ["Ensure this field has no more than 80 characters."]}
    response = coach_client.patch(f"/api/v1/athletes/{athlete.pk}/", {"coachNotes": "x" * 10_001}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["coachNotes"]
    assert coach_client.patch(f"/api/v1/athletes/{athlete.pk}/", {"coachNotes": "x" * 10_000}).status_code == 200


def test_a_10_mb_body_is_413_and_writes_nothing(coach_client, athlete):
    response = coach_client.patch(f"/api/v1/athletes/{athlete.pk}/", {"displayName": "x" * 10_000_000}, format="json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    athlete.refresh_from_db()
    assert athlete.version == 1


def test_nul_byte_in_body_string_is_400(coach_client, athlete):
    response = coach_client.patch(f"/api/v1/athletes/{athlete.pk}/", {"displayName": "a\x00b"}, format="json")
    assert response.status_code == 400
    assert "displayName" in response.json()


# --- ETag / If-Match ----------------------------------------------------------------------------------


def test_detail_responses_carry_the_version_etag(coach_client, athlete):
    program = TrainingProgramFactory(athlete=athlete)
    url = f"/api/v1/programs/{program.pk}/"
    response = coach_client.get(url)
    assert response["ETag"] == f'"{program.version}"'
    patched = coach_client.patch(url, {"title": "New"}, format="json")
    assert patched["ETag"] == f'"{program.version + 1}"' != response["ETag"]
    assert coach_client.put(url, {**response.json(), "title": "Newer"}, format="json")["ETag"] == (
        f'"{program.version + 2}"'
    )


def test_stale_if_match_is_412_and_changes_nothing(coach_client, athlete):
    program = TrainingProgramFactory(athlete=athlete, title="Original")
    url = f"/api/v1/programs/{program.pk}/"
    etag = coach_client.get(url)["ETag"]
    assert coach_client.patch(url, {"title": "First"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    response = coach_client.patch(url, {"title": "Second"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert "If-Match" in response.json()["detail"]
    response = coach_client.put(
        url, {**coach_client.get(url).json(), "title": "Third"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 412
    program.refresh_from_db()
    assert program.title == "First"


@pytest.mark.parametrize("resource", ["programs", "sessions", "athletes"])
def test_a_stale_if_match_is_412_before_the_body_is_judged(coach_client, athlete, resource):
    """A precondition comes before the request's content: a client holding an old version hears 412 ("fetch
    it again"), not a 400 about a body it would rewrite anyway, whatever the body holds."""
    session = TrainingSessionFactory(program__athlete=athlete)
    row = {"programs": session.program, "sessions": session, "athletes": athlete}[resource]
    url = f"/api/v1/{resource}/{row.pk}/"
    stale = coach_client.get(url)["ETag"]
    type(row).objects.filter(pk=row.pk).update(version=row.version + 1)  # someone else wrote meanwhile
    invalid = {"programs": {"endDate": "not a date"}, "sessions": {"rpe": 99}, "athletes": {"timezone": "Mars/Base"}}
    response = coach_client.patch(url, invalid[resource], format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412, response.content
    # with the current version the same body is judged, and refused on its own merits
    current = coach_client.get(url)["ETag"]
    assert coach_client.patch(url, invalid[resource], format="json", HTTP_IF_MATCH=current).status_code == 400


@pytest.mark.parametrize("header", ['W/"{v}"', '"{v}"', '"999", "{v}"', "*"])
def test_matching_if_match_forms_are_accepted(coach_client, athlete, header):
    program = TrainingProgramFactory(athlete=athlete)
    response = coach_client.patch(
        f"/api/v1/programs/{program.pk}/",
        {"title": "ok"},
        format="json",
        HTTP_IF_MATCH=header.format(v=program.version),
    )
    assert response.status_code == 200


@pytest.mark.parametrize("header", ['"0"', "garbage", "", 'W/"x"'])
def test_non_matching_if_match_is_412(coach_client, athlete, header):
    program = TrainingProgramFactory(athlete=athlete)
    response = coach_client.patch(
        f"/api/v1/programs/{program.pk}/", {"title": "no"}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 412


def test_if_match_applies_to_athletes_own_patch(athlete_client, athlete):
    session = TrainingSessionFactory(program__athlete=athlete)
    url = f"/api/v1/sessions/{session.pk}/"
    etag = athlete_client.get(url)["ETag"]
    assert athlete_client.patch(url, {"status": "skipped"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert athlete_client.patch(url, {"status": "completed"}, format="json", HTTP_IF_MATCH=etag).status_code == 412


def test_failed_validation_writes_nothing(coach_client, athlete):
    program = TrainingProgramFactory(athlete=athlete, title="Keep")
    response = coach_client.patch(
        f"/api/v1/programs/{program.pk}/", {"title": "Changed", "endDate": "1999-01-01"}, format="json"
    )
    assert response.status_code == 400
    program.refresh_from_db()
    assert program.title == "Keep" and program.version == 1


@pytest.mark.parametrize("value", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+01:00"])
@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/sessions/", "scheduledAfter"),
        ("/api/v1/sessions/", "scheduledBefore"),
        ("/api/v1/health-events/", "checkedAfter"),
        ("/api/v1/health-events/", "checkedBefore"),
    ],
)
def test_timestamps_out_of_range_in_utc_are_400_in_filters(coach_client, url, param, value):
    response = coach_client.get(url, {param: value})
    assert response.status_code == 400
    assert response.json() == {param: ["Datetime value out of range."]}


def test_extreme_but_valid_timestamps_in_filters_are_fine(coach_client):
    for value in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"):  # a date alone: tests/core/test_timestamps.py
        assert coach_client.get("/api/v1/sessions/", {"scheduledAfter": value}).status_code == 200


@pytest.mark.parametrize("value", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+01:00"])
def test_timestamps_out_of_range_in_utc_are_400_in_bodies(coach_client, athlete, value):
    session = TrainingSessionFactory(program__athlete=athlete)
    response = coach_client.patch(
        f"/api/v1/sessions/{session.pk}/", {"scheduledAt": value, "completedAt": value}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"scheduledAt", "completedAt"}


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        ("1900-01-01", "2999-12-31", True),
        ("1899-12-31", "2000-01-01", False),
        ("2000-01-01", "3000-01-01", False),
        ("0001-01-01", "9999-12-31", False),
    ],
)
def test_dates_are_bounded_to_1900_through_2999(coach_client, athlete, start, end, ok):
    body = {"athleteId": str(athlete.pk), "title": "Long", "startDate": start, "endDate": end}
    response = coach_client.post("/api/v1/programs/", body, format="json")
    assert response.status_code == (201 if ok else 400), response.content
    if not ok:
        assert "Must be between 1900-01-01 and 2999-12-31." in str(response.json())


def test_extreme_end_date_on_update_is_400_not_500(coach_client, athlete):
    program = TrainingProgramFactory(athlete=athlete)
    response = coach_client.patch(f"/api/v1/programs/{program.pk}/", {"endDate": "9999-12-31"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["endDate"]


@pytest.mark.parametrize("value", ["3000-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "0001-01-01T00:00:00Z"])
def test_timestamps_are_bounded_too(coach_client, athlete, value):
    session = TrainingSessionFactory(program__athlete=athlete)
    response = coach_client.patch(f"/api/v1/sessions/{session.pk}/", {"scheduledAt": value}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["scheduledAt"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_browsable_api_renders_for_a_logged_in_coach(client, coach, resource):
    TrainingSessionFactory()
    client.force_login(coach)
    response = client.get(f"/api/v1/{resource}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"<html" in response.content


def test_a_deadlock_reported_by_the_database_is_409_not_500(coach_client, athlete, monkeypatch):
    from django.db import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    def deadlocked(*args, **kwargs):
        raise OperationalError("deadlock detected") from Deadlock()

    monkeypatch.setattr("training.views.TrainingProgramViewSet.write_service", staticmethod(deadlocked))
    program = TrainingProgramFactory(athlete=athlete)
    response = coach_client.patch(f"/api/v1/programs/{program.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 409
    assert "conflicts" in response.json()["detail"]
