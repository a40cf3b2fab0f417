"""Compliance: the bands and their edges, a session's compliance (and the missed judged on the athlete's local
date), `actualDurationMinutes`, a micro-cycle's and a load-summary row's week."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import MicroCycleFactory, TrainingProgramFactory, TrainingSessionFactory
from training.compliance import rules

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("done", "colour"),
    [
        ("80", "green"),
        ("79.99", "yellow"),
        ("100", "green"),
        ("120", "green"),
        ("120.01", "yellow"),
        ("50", "yellow"),
        ("49.99", "orange"),
        ("150", "yellow"),
        ("150.01", "orange"),
        ("0", "orange"),
        ("400", "orange"),
    ],
)
def test_every_band_edge_is_exact(done, colour):
    assert rules.colour(Decimal(done), Decimal("100")) == colour


def test_the_colour_is_judged_on_the_unrounded_ratio():
    # 239.99 / 300 = 0.79997: shown as 0.80, judged yellow.
    assert rules.ratio(Decimal("239.99"), Decimal("300")) == 0.8
    assert rules.colour(Decimal("239.99"), Decimal("300")) == "yellow"
    assert rules.ratio(Decimal("1"), Decimal("3")) == 0.33 and rules.ratio(Decimal("2"), Decimal("3")) == 0.67


def _client_session(client, session):
    response = client.get(f"/api/v1/sessions/{session.pk}/")
    assert response.status_code == 200
    listed = {row["id"]: row for row in client.get("/api/v1/sessions/", {"pageSize": 200}).json()["results"]}
    assert listed[str(session.pk)]["compliance"] == response.json()["compliance"]  # the list's derived column
    return response.json()


def _program(athlete, days_before=20, days_after=20):
    today = datetime.now(athlete.tzinfo).date()
    return TrainingProgramFactory(
        athlete=athlete, start_date=today - timedelta(days=days_before), end_date=today + timedelta(days=days_after)
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"load": Decimal("330"), "planned_load": Decimal("300")}, {"basis": "load", "ratio": 1.1, "colour": "green"}),
        (
            {"load": Decimal("100"), "planned_load": Decimal("300")},
            {"basis": "load", "ratio": 0.33, "colour": "orange"},
        ),
        (
            {"load": Decimal("0"), "planned_load": Decimal("300"), "actual_duration_minutes": 30},
            {"basis": "duration", "ratio": 0.5, "colour": "yellow"},
        ),
        ({"load": None, "planned_load": None}, {"basis": "duration", "ratio": 1.0, "colour": "green"}),
        (
            {"load": Decimal("420"), "planned_load": None, "actual_duration_minutes": 75},
            {"basis": "duration", "ratio": 1.25, "colour": "yellow"},
        ),
    ],
)
def test_a_completed_sessions_compliance(coach_client, athlete, fields, expected):
    program = _program(athlete)
    at = datetime.now(UTC) - timedelta(days=3)
    session = TrainingSessionFactory(
        program=program, scheduled_at=at, status="completed", completed_at=at, duration_minutes=60, **fields
    )
    assert _client_session(coach_client, session)["compliance"] == expected


def test_skipped_is_red_and_planned_is_red_only_before_the_athletes_local_today(coach_client):
    # Kiritimati is UTC+14: its local midnight is far from UTC's, so a UTC date would judge these wrongly.
    athlete = AthleteProfileFactory(timezone="Pacific/Kiritimati")
    program = _program(athlete)
    tz = ZoneInfo("Pacific/Kiritimati")
    midnight = datetime.combine(datetime.now(tz).date(), time.min, tzinfo=tz)
    yesterday_late = TrainingSessionFactory(program=program, scheduled_at=midnight - timedelta(minutes=1))
    today_early = TrainingSessionFactory(program=program, scheduled_at=midnight + timedelta(minutes=1))
    skipped = TrainingSessionFactory(program=program, scheduled_at=midnight + timedelta(days=2), status="skipped")
    red = {"basis": None, "ratio": None, "colour": "red"}
    assert _client_session(coach_client, yesterday_late)["compliance"] == red
    assert _client_session(coach_client, today_early)["compliance"] == {"basis": None, "ratio": None, "colour": None}
    assert _client_session(coach_client, skipped)["compliance"] == red


def test_a_write_answers_with_the_same_compliance(coach_client, athlete):
    program = _program(athlete)
    tz = athlete.tzinfo
    midnight = datetime.combine(datetime.now(tz).date(), time.min, tzinfo=tz)
    session = TrainingSessionFactory(program=program, scheduled_at=midnight - timedelta(minutes=1))
    answer = coach_client.patch(f"/api/v1/sessions/{session.pk}/", {"title": "Late"}, format="json").json()
    assert answer["compliance"]["colour"] == "red"


@pytest.mark.parametrize(("minutes", "status"), [(1, 200), (1440, 200), (0, 400), (1441, 400), (None, 200)])
def test_actual_duration_is_1_to_1440(athlete_client, athlete, minutes, status):
    session = TrainingSessionFactory(program=_program(athlete), scheduled_at=datetime.now(UTC) - timedelta(days=1))
    response = athlete_client.patch(
        f"/api/v1/sessions/{session.pk}/",
        {"status": "completed", "actualDurationMinutes": minutes},
        format="json",
    )
    assert response.status_code == status, response.content
    if status == 400:
        assert "actualDurationMinutes" in response.json()


def test_actual_duration_only_with_completed_and_dropped_when_leaving_it(coach_client, athlete):
    session = TrainingSessionFactory(program=_program(athlete), scheduled_at=datetime.now(UTC) - timedelta(days=1))
    url = f"/api/v1/sessions/{session.pk}/"
    refused = coach_client.patch(url, {"actualDurationMinutes": 30}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "actualDurationMinutes": ["An actual duration can only be given for a completed session."]
    }
    done = coach_client.patch(url, {"status": "completed", "actualDurationMinutes": 30}, format="json").json()
    assert done["actualDurationMinutes"] == 30 and done["compliance"]["ratio"] == 0.5
    again = coach_client.patch(url, {"status": "skipped"}, format="json").json()
    assert again["actualDurationMinutes"] is None and again["compliance"]["colour"] == "red"


def test_a_micro_cycles_compliance_is_its_sessions_load_over_their_plan(coach_client, athlete):
    program = _program(athlete, days_before=3, days_after=30)
    cycle = MicroCycleFactory(program=program, week_index=1)
    empty = MicroCycleFactory(program=program, week_index=2)
    start = datetime.combine(program.start_date, time(9), tzinfo=athlete.tzinfo)
    TrainingSessionFactory(program=program, micro_cycle=cycle, scheduled_at=start, status="completed",
                           completed_at=start, load=Decimal("450"), planned_load=Decimal("400"))  # fmt: skip
    TrainingSessionFactory(program=program, micro_cycle=cycle, scheduled_at=start + timedelta(days=1),
                           status="skipped", planned_load=Decimal("200"))  # fmt: skip
    rows = {
        r["weekIndex"]: r
        for r in coach_client.get("/api/v1/micro-cycles/", {"programId": str(program.pk)}).json()["results"]
    }
    assert rows[1]["compliance"] == {"plannedLoad": 600.0, "load": 450.0, "ratio": 0.75, "colour": "yellow"}
    assert rows[2]["compliance"] is None
    detail = coach_client.get(f"/api/v1/micro-cycles/{cycle.pk}/").json()
    assert detail["compliance"] == rows[1]["compliance"]
    assert empty.pk


def test_a_load_summary_row_has_its_iso_weeks_compliance(coach_client, athlete):
    tz = athlete.tzinfo
    monday = datetime.now(tz).date() - timedelta(days=datetime.now(tz).weekday() + 7)  # last week's Monday
    program = TrainingProgramFactory(athlete=athlete, start_date=monday, end_date=monday + timedelta(days=27))
    for offset, load, planned in [(0, "300", "300"), (2, "330", "300"), (4, None, "400")]:
        at = datetime.combine(monday + timedelta(days=offset), time(8), tzinfo=tz)
        status = "completed" if load else "skipped"
        TrainingSessionFactory(program=program, scheduled_at=at, status=status, completed_at=at if load else None,
                               load=Decimal(load) if load else None, planned_load=Decimal(planned))  # fmt: skip
    body = coach_client.get("/api/v1/load-summary/", {"date": str(monday + timedelta(days=3))}).json()
    row = next(r for r in body["results"] if r["athleteId"] == str(athlete.pk))
    assert row["weekCompliance"] == {"plannedLoad": 1000.0, "load": 630.0, "ratio": 0.63, "colour": "yellow"}
