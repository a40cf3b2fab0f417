"""What the activities announce (an imported activity, the session it completes, a hand link), and what is never
sent: an athlete's wellness, whatever else their writes announce. Every delivery goes to a receiver the test runs
on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import override_settings

from tests.support.activity_files import fit_activity, upload
from tests.support.clients import bearer_client
from tests.support.factories.athletes import CoachFactory, InvitableAthleteFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from tests.support.webhooks import Receiver, endpoint_make, run_queue
from training.activities.models import Activity
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

LOCAL = override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=["127.0.0.1"], WEBHOOK_RETRY_SCHEDULE=[0, 0])
AT_7 = datetime(2030, 1, 7, 7, 0, tzinfo=UTC)
MARKER = "wellness-marker-7f3a9c"


@pytest.fixture
def coach(db):
    return CoachFactory()


@pytest.fixture
def athlete(coach):
    athlete = InvitableAthleteFactory(timezone="UTC", display_name="Importer")
    athlete.coaches.add(coach)
    return athlete


def _bodies(receiver) -> list[dict]:
    return [json.loads(body) for _, body, _ in receiver.requests]


def test_an_imported_activity_announces_itself_and_the_session_it_completes(coach, athlete):
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2030, 1, 1), end_date=date(2030, 1, 31))
    session = TrainingSessionFactory(program=program, scheduled_at=AT_7, modality="run")
    with LOCAL, Receiver() as receiver:
        endpoint_make(coach, url=receiver.url, events=["activity.imported", "session.completed"])
        response = upload(bearer_client(coach), athlete.pk, "morning.fit", fit_activity(start=AT_7, seconds=1800))
        assert response.status_code == 202, response.content
        assert run_queue() >= 3  # the import, then one delivery per event
    activity = Activity.objects.get(pk=response.json()["id"])
    by_type = {body["type"]: body["data"] for body in _bodies(receiver)}
    assert set(by_type) == {"activity.imported", "session.completed"}
    assert by_type["activity.imported"]["id"] == str(activity.pk)
    assert by_type["activity.imported"]["status"] == "done"
    assert by_type["activity.imported"]["sessionId"] == str(session.pk)
    assert by_type["session.completed"]["id"] == str(session.pk)
    assert by_type["session.completed"]["activityId"] == str(activity.pk)
    assert by_type["session.completed"]["actualDurationMinutes"] == 30


def test_a_failed_import_announces_nothing(coach, athlete):
    with LOCAL, Receiver() as receiver:
        endpoint_make(coach, url=receiver.url, events=["*"])
        response = upload(bearer_client(coach), athlete.pk, "broken.fit", b".FIT not really a fit file")
        assert response.status_code == 202, response.content
        run_queue()
    assert Activity.objects.get(pk=response.json()["id"]).status == "failed"
    assert receiver.requests == []


def test_a_hand_link_announces_the_completed_session(coach, athlete):
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2030, 1, 1), end_date=date(2030, 1, 31))
    client = bearer_client(coach)
    response = upload(client, athlete.pk, "ride.fit", fit_activity(start=AT_7, sport="cycling"))
    run_queue()  # no session that day: done, unmatched (and nobody listens yet)
    session = TrainingSessionFactory(program=program, scheduled_at=AT_7 + timedelta(days=1), modality="bike")
    with LOCAL, Receiver() as receiver:
        endpoint_make(coach, url=receiver.url, events=["session.completed"])
        linked = client.post(
            f"/api/v1/activities/{response.json()['id']}/link/", {"sessionId": str(session.pk)}, format="json"
        )
        assert linked.status_code == 200, linked.content
        run_queue()
    assert [(b["type"], b["data"]["id"]) for b in _bodies(receiver)] == [("session.completed", str(session.pk))]


def test_wellness_is_never_sent_whatever_the_athletes_writes_announce(coach, athlete):
    """An endpoint listening to everything; the athlete writes wellness (notes holding a marker) and updates their
    profile and a session: no outgoing body, and no stored delivery, holds the marker or any wellness field."""
    now = datetime.now(UTC)
    today = now.date()
    program = TrainingProgramFactory(athlete=athlete, start_date=today - timedelta(days=7), end_date=today)
    session = TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=1))
    mine = bearer_client(athlete.user)
    with LOCAL, Receiver() as receiver:
        endpoint_make(coach, url=receiver.url, events=["*"])
        body = {"sleepQuality": 2, "fatigue": 2, "soreness": 2, "stress": 2, "mood": 2, "notes": f"{MARKER} tired"}
        assert mine.put(f"/api/v1/athletes/{athlete.pk}/wellness/{today}/", body, format="json").status_code == 201
        profile = mine.patch(f"/api/v1/athletes/{athlete.pk}/", {"displayName": "Importer Two"}, format="json")
        assert profile.status_code == 200, profile.content
        finished = (now - timedelta(hours=20)).isoformat().replace("+00:00", "Z")
        done = {"status": "completed", "completedAt": finished, "rpe": 6}
        completed = mine.patch(f"/api/v1/sessions/{session.pk}/", done, format="json")
        assert completed.status_code == 200, completed.content
        run_queue()
    types = [b["type"] for b in _bodies(receiver)]
    assert {"athlete.updated", "session.updated", "session.completed"} <= set(types)
    for _, raw, _ in receiver.requests:
        assert MARKER.encode() not in raw
        assert b"sleepQuality" not in raw and b"wellness" not in raw.lower()
    assert not WebhookDelivery.objects.filter(body__contains=MARKER).exists()
