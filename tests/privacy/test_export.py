"""GET /athletes/{id}/export/: a ZIP of JSON files in the API's shapes and a README.txt; the athlete or a head
coach; a constant number of queries per kind of data."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from privacy.export import KINDS
from tests.support.activity_files import gpx_activity, run_enqueued_jobs, upload
from tests.support.clients import bearer_client
from tests.support.factories.athletes import (
    AthleteProfileFactory,
    CoachFactory,
    HeadCoachFactory,
    OperationsFactory,
    StaffFactory,
    UserFactory,
)
from tests.support.factories.training import (
    ActivityFactory,
    MicroCycleFactory,
    PerformedSetFactory,
    ProgramPhaseFactory,
    SeasonEventFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
    structure_with,
)
from tests.support.factories.wellness import WellnessEntryFactory

pytestmark = pytest.mark.django_db

FILES = ["README.txt", "profile.json", "programs.json", "phases.json", "micro-cycles.json", "sessions.json",
         "wellness.json", "events.json", "activities.json"]  # fmt: skip


def give_data(athlete, n=1):
    for i in range(n):
        program = TrainingProgramFactory(
            athlete=athlete, start_date=timezone.now().date() - timedelta(days=200 * (i + 1)), status="completed"
        )
        phase = ProgramPhaseFactory(program=program)
        cycle = MicroCycleFactory(program=program, phase=phase, week_index=1)
        session = TrainingSessionFactory(
            program=program, phase=phase, micro_cycle=cycle, status="completed", structure=structure_with()
        )
        PerformedSetFactory(session=session, set_index=1)
        SeasonEventFactory(athlete=athlete)
        WellnessEntryFactory(athlete=athlete, notes=f"day {i}")
        ActivityFactory(athlete=athlete)  # its file is not in storage: the row is exported, no file


def archive(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_athlete_exports_their_data_in_the_apis_shapes():
    athlete = AthleteProfileFactory(display_name="Exporter")
    give_data(athlete, 2)
    client = bearer_client(athlete.user)
    zipped = archive(client.get(f"/api/v1/athletes/{athlete.pk}/export/"))
    assert sorted(zipped.namelist()) == sorted(FILES)
    readme = zipped.read("README.txt").decode()
    for kind in KINDS:
        assert f"{kind.name}.json" in readme
    data = {name: json.loads(zipped.read(name)) for name in FILES if name.endswith(".json")}
    assert data["profile.json"] == [client.get(f"/api/v1/athletes/{athlete.pk}/").json()]
    for prefix in ("programs", "phases", "micro-cycles", "events", "wellness", "activities"):
        listed = client.get(f"/api/v1/{prefix}/", {"pageSize": 200}).json()["results"]
        assert sorted(data[f"{prefix}.json"], key=lambda r: r["id"]) == sorted(listed, key=lambda r: r["id"]), prefix
    assert len(data["wellness.json"]) == 2 and data["wellness.json"][0]["notes"].startswith("day")
    for row in data["sessions.json"]:
        sets = row.pop("performedSets")
        assert row == client.get(f"/api/v1/sessions/{row['id']}/").json()
        assert sets == client.get(f"/api/v1/sessions/{row['id']}/sets/").json()
        assert row["structure"] is not None and len(sets) == 1


def test_a_head_coach_exports_any_athlete():
    athlete = AthleteProfileFactory()
    zipped = archive(bearer_client(HeadCoachFactory()).get(f"/api/v1/athletes/{athlete.pk}/export/"))
    assert json.loads(zipped.read("profile.json"))[0]["id"] == str(athlete.pk)


def test_who_may_not_export():
    athlete = AthleteProfileFactory()
    coach = CoachFactory()
    athlete.coaches.add(coach)
    path = f"/api/v1/athletes/{athlete.pk}/export/"
    assert bearer_client(coach).get(path).status_code == 403  # sees the athlete, but the data is not theirs
    assert bearer_client(CoachFactory()).get(path).status_code == 404
    assert bearer_client(AthleteProfileFactory().user).get(path).status_code == 404
    for user in (OperationsFactory(), StaffFactory(), UserFactory()):
        assert bearer_client(user).get(path).status_code == 403


def _export_queries(athlete) -> int:
    client = bearer_client(athlete.user)
    with CaptureQueriesContext(connection) as ctx:
        archive(client.get(f"/api/v1/athletes/{athlete.pk}/export/"))
    return len(ctx.captured_queries)


def test_the_export_costs_the_same_for_one_or_many_rows_of_each_kind():
    few, many = AthleteProfileFactory(), AthleteProfileFactory()
    give_data(few, 1)
    give_data(many, 4)
    assert _export_queries(few) == _export_queries(many)


def test_uploaded_activity_files_are_in_the_export_as_they_were_sent():
    athlete = AthleteProfileFactory(display_name="Uploader")
    client = bearer_client(athlete.user)
    sent = gpx_activity()
    response = upload(client, athlete.pk, "Morning run.gpx", sent)
    assert response.status_code == 202, response.content
    run_enqueued_jobs()
    activity_id = response.json()["id"]
    zipped = archive(client.get(f"/api/v1/athletes/{athlete.pk}/export/"))
    assert zipped.read(f"activities/{activity_id}/Morning run.gpx") == sent
    rows = json.loads(zipped.read("activities.json"))
    assert rows == [client.get(f"/api/v1/activities/{activity_id}/").json()]
    assert rows[0]["status"] == "done"
