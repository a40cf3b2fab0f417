"""Concurrent requests against PostgreSQL: one current program per athlete and If-Match hold under races."""

from collections import Counter

import pytest

from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, HeadCoachFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from tests.support.utils import postgres_only, status_codes_at_once
from training.models import TrainingProgram

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
N = 8


def test_eight_concurrent_patches_make_exactly_one_program_current():
    athlete = AthleteProfileFactory()
    programs = TrainingProgramFactory.create_batch(N, athlete=athlete)
    clients = [bearer_client(HeadCoachFactory()) for _ in range(N)]
    codes = status_codes_at_once(
        [
            (lambda c=c, p=p: c.patch(f"/api/v1/programs/{p.pk}/", {"status": "current"}, format="json"))
            for c, p in zip(clients, programs, strict=True)
        ]
    )
    assert Counter(codes) == {200: 1, 400: N - 1}, codes
    assert TrainingProgram.objects.filter(athlete=athlete, status="current").count() == 1


def test_eight_concurrent_creates_of_a_current_program_make_exactly_one():
    athlete = AthleteProfileFactory()
    clients = [bearer_client(HeadCoachFactory()) for _ in range(N)]
    body = {
        "athleteId": str(athlete.pk),
        "title": "Race",
        "startDate": "2030-01-01",
        "endDate": "2030-02-01",
        "status": "current",
    }
    codes = status_codes_at_once([(lambda c=c: c.post("/api/v1/programs/", body, format="json")) for c in clients])
    assert Counter(codes) == {201: 1, 400: N - 1}, codes
    assert TrainingProgram.objects.filter(athlete=athlete).count() == 1


def test_two_patches_with_the_same_etag_one_wins_one_412():
    program = TrainingProgramFactory(title="Start")
    coach = bearer_client(HeadCoachFactory())
    etag = coach.get(f"/api/v1/programs/{program.pk}/")["ETag"]
    clients = [bearer_client(HeadCoachFactory()) for _ in range(2)]
    codes = status_codes_at_once(
        [
            (
                lambda c=c, t=t: c.patch(
                    f"/api/v1/programs/{program.pk}/", {"title": t}, format="json", HTTP_IF_MATCH=etag
                )
            )
            for c, t in zip(clients, ["A", "B"], strict=True)
        ]
    )
    assert sorted(codes) == [200, 412], codes
    program.refresh_from_db()
    assert program.title in {"A", "B"} and program.version == 2


def test_eight_athlete_patches_with_one_etag_exactly_one_wins():
    session = TrainingSessionFactory()
    client = bearer_client(session.athlete.user)
    etag = client.get(f"/api/v1/sessions/{session.pk}/")["ETag"]
    clients = [bearer_client(session.athlete.user) for _ in range(N)]
    codes = status_codes_at_once(
        [
            (
                lambda c=c, i=i: c.patch(
                    f"/api/v1/sessions/{session.pk}/", {"load": i}, format="json", HTTP_IF_MATCH=etag
                )
            )
            for i, c in enumerate(clients)
        ]
    )
    assert Counter(codes) == {200: 1, 412: N - 1}, codes


def test_program_patches_and_session_creates_at_once_do_not_deadlock():
    program = TrainingProgramFactory()
    clients = [bearer_client(HeadCoachFactory()) for _ in range(N)]
    start = program.start_date
    calls = []
    for i, client in enumerate(clients):
        if i % 2:
            calls.append(
                lambda c=client, i=i: c.patch(f"/api/v1/programs/{program.pk}/", {"title": f"T{i}"}, format="json")
            )
        else:
            body = {
                "programId": str(program.pk),
                "title": f"S{i}",
                "scheduledAt": f"{start}T12:00:00Z",
                "durationMinutes": 30,
                "modality": "run",
            }
            calls.append(lambda c=client, body=body: c.post("/api/v1/sessions/", body, format="json"))
    codes = status_codes_at_once(calls)
    assert Counter(codes) == {200: N // 2, 201: N // 2}, codes


def test_eight_concurrent_athlete_creates_with_one_username_make_one_login():
    from django.contrib.auth import get_user_model

    from athletes.models import AthleteProfile

    clients = [bearer_client(HeadCoachFactory()) for _ in range(N)]
    body = {
        "user": {"username": "same-name", "email": "s@example.com"},
        "displayName": "Same",
        "timezone": "UTC",
        "primaryGoal": "strength",
    }
    codes = status_codes_at_once([(lambda c=c: c.post("/api/v1/athletes/", body, format="json")) for c in clients])
    assert codes.count(201) == 1 and set(codes) <= {201, 400, 409}, codes
    assert get_user_model().objects.filter(username="same-name").count() == 1
    assert AthleteProfile.objects.filter(display_name="Same").count() == 1
