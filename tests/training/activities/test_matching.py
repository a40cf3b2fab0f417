"""Matching a processed activity to the session it completes, linking by hand, and what the activity and the
session show afterwards (`sessionId`, `activityId`, the completed session's figures)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.support.activity_files import fit_activity, run_enqueued_jobs, upload
from tests.support.clients import bearer_client
from tests.support.factories.athletes import CoachFactory, InvitableAthleteFactory
from tests.support.factories.training import ActivityFactory, TrainingProgramFactory, TrainingSessionFactory
from training.activities.models import Activity
from training.models import TrainingSession

pytestmark = pytest.mark.django_db

DAY = date(2030, 1, 7)
AT_7 = datetime(2030, 1, 7, 7, 0, tzinfo=UTC)


@pytest.fixture
def coach():
    return CoachFactory()


@pytest.fixture
def client(coach):
    return bearer_client(coach)


def _athlete(coach, timezone="UTC", max_heart_rate=None):
    athlete = InvitableAthleteFactory(timezone=timezone, max_heart_rate=max_heart_rate)
    athlete.coaches.add(coach)
    return athlete


def _program(athlete):
    return TrainingProgramFactory(athlete=athlete, start_date=DAY - timedelta(days=14), end_date=DAY + timedelta(14))


def _session(program, at: datetime, modality="run", **fields):
    return TrainingSessionFactory(program=program, scheduled_at=at, modality=modality, **fields)


def _import(client, athlete, *, start=AT_7, seconds=3600, sport="running", **fit) -> Activity:
    response = upload(client, athlete.pk, "a.fit", fit_activity(start=start, seconds=seconds, sport=sport, **fit))
    assert response.status_code == 202, response.content
    run_enqueued_jobs()
    return Activity.objects.get(pk=response.json()["id"])


def _matched(activity) -> TrainingSession | None:
    return TrainingSession.objects.filter(activity=activity).first()


def test_the_session_nearest_the_start_is_completed_by_the_activity(client, coach):
    athlete = _athlete(coach)
    program = _program(athlete)
    far = _session(program, AT_7 - timedelta(hours=6))
    near = _session(program, AT_7 + timedelta(minutes=30))
    activity = _import(client, athlete, seconds=3629)
    near.refresh_from_db()
    assert near.activity_id == activity.pk
    assert near.status == "completed"
    assert near.completed_at == AT_7 + timedelta(seconds=3629)
    assert near.actual_duration_minutes == 60
    assert TrainingSession.objects.get(pk=far.pk).status == "planned"
    body = client.get(f"/api/v1/activities/{activity.pk}/").json()
    assert body["sessionId"] == str(near.pk)
    assert client.get(f"/api/v1/sessions/{near.pk}/").json()["activityId"] == str(activity.pk)


@pytest.mark.parametrize(("seconds", "minutes"), [(29, 1), (89, 1), (90, 2), (5430, 91), (200_000, 1440)])
def test_actual_duration_is_the_minutes_rounded_half_up_within_1_to_1440(client, coach, seconds, minutes):
    athlete = _athlete(coach)
    session = _session(_program(athlete), AT_7)
    _import(client, athlete, seconds=seconds, step=1 if seconds < 100 else 600)
    session.refresh_from_db()
    assert session.actual_duration_minutes == minutes


def test_equally_near_sessions_are_decided_by_id(client, coach):
    athlete = _athlete(coach)
    program = _program(athlete)
    sessions = [_session(program, AT_7 - timedelta(hours=1)), _session(program, AT_7 + timedelta(hours=1))]
    activity = _import(client, athlete)
    assert _matched(activity).pk == min(s.pk for s in sessions)


@pytest.mark.parametrize(
    ("sport", "fits", "misfits"),
    [
        ("running", "run", "bike"),
        ("cycling", "bike", "run"),
        ("swimming", "swim", "strength"),
        ("training", "strength", "swim"),
    ],
)
def test_the_sessions_modality_must_fit_the_sport(client, coach, sport, fits, misfits):
    athlete = _athlete(coach)
    program = _program(athlete)
    nearer = _session(program, AT_7, modality=misfits)
    fitting = _session(program, AT_7 + timedelta(hours=3), modality=fits)
    activity = _import(client, athlete, sport=sport)
    assert _matched(activity).pk == fitting.pk
    assert TrainingSession.objects.get(pk=nearer.pk).activity_id is None


def test_another_sport_fits_any_modality(client, coach):
    athlete = _athlete(coach)
    session = _session(_program(athlete), AT_7 + timedelta(hours=2), modality="mobility")
    activity = _import(client, athlete, sport="walking")
    assert activity.sport == "walking"
    assert _matched(activity).pk == session.pk


def test_no_fitting_session_leaves_the_activity_unmatched(client, coach):
    athlete = _athlete(coach)
    session = _session(_program(athlete), AT_7, modality="bike")
    activity = _import(client, athlete, sport="running")
    assert (activity.status, _matched(activity)) == ("done", None)
    assert TrainingSession.objects.get(pk=session.pk).status == "planned"


def test_the_date_is_the_athletes_local_start_date(client, coach):
    # 23:30 UTC on the 7th is 12:30 on the 8th in Auckland (UTC+13 in January).
    athlete = _athlete(coach, timezone="Pacific/Auckland")
    program = _program(athlete)
    start = datetime(2030, 1, 7, 23, 30, tzinfo=UTC)
    same_utc_day = _session(program, datetime(2030, 1, 7, 20, 0, tzinfo=UTC))  # the 8th, 09:00 local
    earlier_local_day = _session(program, datetime(2030, 1, 7, 10, 0, tzinfo=UTC))  # the 7th, 23:00 local
    activity = _import(client, athlete, start=start)
    assert _matched(activity).pk == same_utc_day.pk
    assert TrainingSession.objects.get(pk=earlier_local_day.pk).activity_id is None


def test_a_session_on_the_next_local_day_is_not_matched(client, coach):
    athlete = _athlete(coach, timezone="Europe/Oslo")
    _session(_program(athlete), datetime(2030, 1, 7, 23, 30, tzinfo=UTC))  # 00:30 on the 8th in Oslo
    assert _matched(_import(client, athlete, start=datetime(2030, 1, 7, 22, 0, tzinfo=UTC))) is None


def test_a_session_that_has_an_activity_is_not_matched_again(client, coach):
    athlete = _athlete(coach)
    program = _program(athlete)
    taken = _session(program, AT_7)
    free = _session(program, AT_7 + timedelta(hours=4))
    first = _import(client, athlete)
    second = _import(client, athlete, serial=2)
    assert (_matched(first).pk, _matched(second).pk) == (taken.pk, free.pk)
    third = _import(client, athlete, serial=3)
    assert _matched(third) is None


def test_trimp_needs_the_athletes_max_heart_rate(client, coach):
    with_max = _athlete(coach, max_heart_rate=190)
    without = _athlete(coach)
    assert _import(client, with_max, seconds=600, heart_rate=171).trimp == 50.0  # 10 min ≥ 90 %: 10 × 5
    assert _import(client, without, seconds=600, heart_rate=171).trimp is None
    assert _import(client, with_max, seconds=600, heart_rate=None, serial=9).trimp is None


# --- Linking by hand ------------------------------------------------------------------------------------------


def _link(client, activity, session):
    return client.post(f"/api/v1/activities/{activity.pk}/link/", {"sessionId": str(session.pk)}, format="json")


def test_a_coach_links_an_activity_to_a_session_which_becomes_completed(client, coach):
    athlete = _athlete(coach)
    session = _session(_program(athlete), AT_7 + timedelta(days=2))
    activity = ActivityFactory(athlete=athlete, started_at=AT_7, duration_seconds=2700)
    response = _link(client, activity, session)
    assert response.status_code == 200, response.content
    assert response.json()["sessionId"] == str(session.pk)
    session.refresh_from_db()
    assert (session.status, session.completed_at, session.actual_duration_minutes, session.activity_id) == (
        "completed",
        AT_7 + timedelta(seconds=2700),
        45,
        activity.pk,
    )


def test_a_session_that_has_an_activity_is_409(client, coach):
    athlete = _athlete(coach)
    session = _session(_program(athlete), AT_7)
    assert _link(client, ActivityFactory(athlete=athlete), session).status_code == 200
    response = _link(client, ActivityFactory(athlete=athlete), session)
    assert response.status_code == 409
    assert "already has an activity" in response.json()["detail"]


def test_an_activity_that_completes_a_session_is_409(client, coach):
    athlete = _athlete(coach)
    program = _program(athlete)
    activity = ActivityFactory(athlete=athlete)
    assert _link(client, activity, _session(program, AT_7)).status_code == 200
    assert _link(client, activity, _session(program, AT_7 + timedelta(hours=1))).status_code == 409


def test_another_athletes_session_is_400_and_changes_nothing(coach):
    client = bearer_client(coach)
    mine, theirs = _athlete(coach), _athlete(coach)
    session = _session(_program(theirs), AT_7)
    response = _link(client, ActivityFactory(athlete=mine), session)
    assert response.status_code == 400
    assert "sessionId" in response.json()
    assert TrainingSession.objects.get(pk=session.pk).activity_id is None


def test_a_session_the_caller_cannot_see_is_the_same_400(client, coach):
    hidden = _session(_program(InvitableAthleteFactory()), AT_7)
    response = _link(client, ActivityFactory(athlete=_athlete(coach)), hidden)
    assert response.status_code == 400 and "sessionId" in response.json()


def test_a_pending_activity_is_409_and_a_failed_one_400(client, coach):
    athlete = _athlete(coach)
    session = _session(_program(athlete), AT_7)
    assert _link(client, ActivityFactory(athlete=athlete, status="pending"), session).status_code == 409
    assert _link(client, ActivityFactory(athlete=athlete, status="failed"), session).status_code == 400
    assert TrainingSession.objects.get(pk=session.pk).status == "planned"


def test_a_bad_session_id_is_400(client, coach):
    activity = ActivityFactory(athlete=_athlete(coach))
    for body in ({}, {"sessionId": "nope"}, {"sessionId": None}):
        assert client.post(f"/api/v1/activities/{activity.pk}/link/", body, format="json").status_code == 400


def test_an_athlete_links_their_own_activity(coach):
    athlete = _athlete(coach)
    session = _session(_program(athlete), AT_7)
    activity = ActivityFactory(athlete=athlete)
    assert _link(bearer_client(athlete.user), activity, session).status_code == 200


def test_a_failure_while_recording_the_figures_fails_the_activity_and_leaves_no_half(client, coach, monkeypatch):
    from training.activities import services

    athlete = _athlete(coach)
    session = _session(_program(athlete), AT_7)

    def broken_match(**kwargs):
        raise RuntimeError("the matcher broke")

    monkeypatch.setattr(services, "match_session", broken_match)
    activity = _import(client, athlete)
    assert activity.status == "failed"
    assert activity.error == "The figures could not be recorded (RuntimeError)."
    assert activity.started_at is None  # the figures' write was rolled back with the rest
    assert TrainingSession.objects.get(pk=session.pk).status == "planned"
