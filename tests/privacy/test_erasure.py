"""POST /athletes/{id}/erase/: everything about the athlete goes, in one transaction; an ErasureRecord without
personal data remains; a wrong confirmation or password changes nothing. After an erasure no table of the
database holds the athlete's name, username or e-mail (every table, found by introspection)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken

from athletes.models import AthleteProfile
from calendars.models import CalendarFeed
from core.models import IdempotencyRecord
from privacy.models import ErasureRecord
from tests.support.clients import bearer_client
from tests.support.factories.athletes import (
    AthleteProfileFactory,
    CoachFactory,
    HeadCoachFactory,
    OperationsFactory,
    SquadFactory,
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
)
from tests.support.factories.wellness import WellnessEntryFactory
from tests.support.webhooks import endpoint_make
from training.models import TrainingProgram, TrainingSession
from webhooks.models import WebhookDelivery
from wellness.models import WellnessEntry

pytestmark = pytest.mark.django_db

NAME, USERNAME, EMAIL = "Quintessa Erasewell", "quintessa-erasewell", "quintessa@erase.example"
PASSWORD = "pass-word-123"  # UserFactory's


def rich_athlete(head):
    """An athlete made through the API (an Idempotency-Key answer quotes them), with a plan, sets, an event,
    wellness, an activity, a squad, a calendar feed, tokens, admin log entries about them and their rows, and the
    webhook deliveries of their writes (an endpoint listening to everything; nothing is sent: no worker runs)."""
    endpoint_make(head, url="https://hooks.example.invalid/all", events=["*"])
    client = bearer_client(head)
    body = {"user": {"username": USERNAME, "email": EMAIL}, "displayName": NAME, "timezone": "UTC",
            "primaryGoal": "endurance"}  # fmt: skip
    created = client.post(
        "/api/v1/athletes/", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="make-q"
    )
    assert created.status_code == 201, created.content
    athlete = AthleteProfile.objects.get(pk=created.json()["id"])
    athlete.user.set_password(PASSWORD)
    athlete.user.save()
    program = TrainingProgramFactory(athlete=athlete, title=f"Plan of {NAME}")
    phase = ProgramPhaseFactory(program=program, name=f"Base of {NAME}")
    cycle = MicroCycleFactory(program=program, phase=phase, week_index=1)
    session = TrainingSessionFactory(program=program, micro_cycle=cycle, title=f"Run of {NAME}", status="completed")
    PerformedSetFactory(session=session)
    SeasonEventFactory(athlete=athlete, name=f"Race of {NAME}")
    WellnessEntryFactory(athlete=athlete, notes=f"{NAME} slept badly")
    ActivityFactory(athlete=athlete, file_name=f"{USERNAME}-morning-run.fit")
    SquadFactory(athletes=[athlete])
    assert bearer_client(athlete.user).post(f"/api/v1/athletes/{athlete.pk}/calendar-feed/").status_code == 201
    for obj in (athlete, program):
        LogEntry.objects.create(
            user=head,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj) if obj is program else NAME,
            action_flag=CHANGE,
            change_message=json.dumps([{"changed": {"fields": ["Display name"]}}]),
        )
    return athlete


def tables_holding(*needles: str) -> list[str]:
    """Every (table, column) of the database whose value holds one of `needles` (any case): each table found by
    introspection, each row read whole, bytes decoded."""
    found = []
    needles = [n.lower() for n in needles]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - a quoted table name
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    text = value.decode("utf-8", "ignore") if isinstance(value, bytes) else str(value)
                    if any(n in text.lower() for n in needles):
                        found.append(f"{table}.{column}")
    return found


def erase(client, athlete, **body):
    return client.post(f"/api/v1/athletes/{athlete.pk}/erase/", body, format="json")


def test_after_erasure_no_table_holds_the_athletes_name_username_or_email():
    head = HeadCoachFactory()
    athlete = rich_athlete(head)
    assert set(tables_holding(NAME, USERNAME, EMAIL)) >= {
        "athletes_athleteprofile.display_name",
        "auth_user.username",
        "auth_user.email",
        "django_admin_log.object_repr",
        "core_idempotencyrecord.response_body",
        "training_trainingprogram.title",
        "wellness_wellnessentry.notes",
        "training_activity.file_name",
        "webhooks_webhookdelivery.body",
    }
    user_id, athlete_id = athlete.user_id, athlete.pk
    assert erase(bearer_client(head), athlete, confirm=NAME).status_code == 204
    assert tables_holding(NAME, USERNAME, EMAIL) == []
    assert not get_user_model().objects.filter(pk=user_id).exists()
    assert not AuthToken.objects.filter(user_id=user_id).exists()
    assert not CalendarFeed.objects.filter(athlete_id=athlete_id).exists()
    assert not LogEntry.objects.filter(object_id=str(athlete_id)).exists()
    record = ErasureRecord.objects.get()
    assert record.athlete_id == athlete_id and record.erased_by == head and record.erased_by_role == "head_coach"
    assert record.counts["athletes.AthleteProfile"] == 1
    assert record.counts["training.TrainingSession"] == 1
    assert record.counts["wellness.WellnessEntry"] == 1
    assert record.counts["auth.User"] == 1
    assert record.counts["admin.LogEntry"] == 2
    assert record.counts["core.IdempotencyRecord"] == 1
    assert record.counts["webhooks.WebhookDelivery"] >= 1
    assert IdempotencyRecord.objects.filter(user=head).count() == 0


def test_other_athletes_keep_everything():
    head = HeadCoachFactory()
    athlete, other = AthleteProfileFactory(), AthleteProfileFactory()
    for a in (athlete, other):
        TrainingSessionFactory(program=TrainingProgramFactory(athlete=a))
        WellnessEntryFactory(athlete=a)
    assert erase(bearer_client(head), athlete, confirm=athlete.display_name).status_code == 204
    assert AthleteProfile.objects.filter(pk=other.pk).exists()
    assert TrainingSession.objects.filter(athlete=other).count() == 1
    assert WellnessEntry.objects.filter(athlete=other).count() == 1


def _snapshot():
    return (
        AthleteProfile.objects.count(),
        get_user_model().objects.count(),
        TrainingProgram.objects.count(),
        WellnessEntry.objects.count(),
        ErasureRecord.objects.count(),
    )


@pytest.mark.parametrize("confirm", ["wrong", "", "quintessa erasewell", f" {NAME}"])
def test_a_wrong_confirmation_is_400_and_changes_nothing(confirm):
    head = HeadCoachFactory()
    athlete = rich_athlete(head)
    before = _snapshot()
    response = erase(bearer_client(head), athlete, confirm=confirm)
    assert response.status_code == 400
    assert "confirm" in response.json()
    assert _snapshot() == before


def test_the_athlete_erases_themself_with_their_password():
    athlete = AthleteProfileFactory(display_name="Self Eraser")
    client = bearer_client(athlete.user)
    before = _snapshot()
    assert erase(client, athlete, confirm="Self Eraser").status_code == 400  # no password
    assert erase(client, athlete, confirm="Self Eraser", password="nope").json() == {
        "password": ["The password is not right."]
    }
    assert _snapshot() == before
    assert erase(client, athlete, confirm="Self Eraser", password=PASSWORD).status_code == 204
    record = ErasureRecord.objects.get()
    assert record.erased_by is None and record.erased_by_role == "athlete"
    assert not AthleteProfile.objects.filter(pk=athlete.pk).exists()
    # Their token went with them: the next request is unauthenticated.
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_who_may_erase():
    athlete = AthleteProfileFactory()
    coach = CoachFactory()
    athlete.coaches.add(coach)
    body = {"confirm": athlete.display_name}
    assert erase(bearer_client(coach), athlete, **body).status_code == 403
    assert erase(bearer_client(CoachFactory()), athlete, **body).status_code == 404
    assert erase(bearer_client(AthleteProfileFactory().user), athlete, **body, password=PASSWORD).status_code == 404
    for user in (OperationsFactory(), UserFactory()):
        assert erase(bearer_client(user), athlete, **body).status_code == 403
    assert AthleteProfile.objects.filter(pk=athlete.pk).exists()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert erase(bearer_client(superuser), athlete, **body).status_code == 204
    assert ErasureRecord.objects.get().erased_by_role == "superuser"


def test_a_repeat_is_404():
    head = HeadCoachFactory()
    athlete = AthleteProfileFactory()
    client = bearer_client(head)
    assert erase(client, athlete, confirm=athlete.display_name).status_code == 204
    assert erase(client, athlete, confirm=athlete.display_name).status_code == 404


def test_the_record_holds_no_personal_data():
    head = HeadCoachFactory()
    athlete = rich_athlete(head)
    erase(bearer_client(head), athlete, confirm=NAME)
    record = ErasureRecord.objects.values().get()
    text = json.dumps(record, default=str).lower()
    assert not any(n.lower() in text for n in (NAME, USERNAME, EMAIL))
    assert timezone.now() - record["erased_at"] < timedelta(minutes=1)


def test_a_login_that_owns_templates_is_a_409_and_nothing_changes():
    from tests.support.factories.training import ProgramTemplateFactory

    athlete = AthleteProfileFactory()
    ProgramTemplateFactory(owner=athlete.user)  # a login that once coached
    client = bearer_client(HeadCoachFactory())
    before = _snapshot()
    response = erase(client, athlete, confirm=athlete.display_name)
    assert response.status_code == 409
    assert _snapshot() == before


def test_a_short_name_does_not_erase_unrelated_idempotency_answers():
    head = HeadCoachFactory()
    client = bearer_client(head)
    body = {"name": "Al pack"}
    made = client.post("/api/v1/squads/", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert made.status_code == 201
    athlete = AthleteProfileFactory(display_name="Al")
    assert erase(client, athlete, confirm="Al").status_code == 204
    assert IdempotencyRecord.objects.filter(key="k1").exists()


def test_a_name_inside_a_longer_one_does_not_erase_the_others_answers_or_deliveries():
    head = HeadCoachFactory()
    client = bearer_client(head)
    endpoint_make(head, url="https://hooks.example.invalid/all", events=["*"])
    body = {"user": {"username": "martina-long", "email": "martina@erase.example"}, "displayName": "Martina Rossi",
            "timezone": "UTC", "primaryGoal": "endurance"}  # fmt: skip
    made = client.post("/api/v1/athletes/", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="m")
    assert made.status_code == 201, made.content
    deliveries = WebhookDelivery.objects.count()
    assert deliveries >= 1
    athlete = AthleteProfileFactory(display_name="Martina Ross")  # a prefix of the other's name
    assert erase(client, athlete, confirm="Martina Ross").status_code == 204
    assert IdempotencyRecord.objects.filter(key="m").exists()
    assert WebhookDelivery.objects.count() == deliveries


def test_a_file_the_storage_cannot_delete_leaves_the_erasure_done(monkeypatch, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    head = HeadCoachFactory()
    athlete = AthleteProfileFactory(display_name="Stored Files")
    ActivityFactory(athlete=athlete, file="activities/a.fit")
    ActivityFactory(athlete=athlete, file="activities/b.fit")
    deleted = []

    def delete(name):
        deleted.append(name)
        if name.endswith("a.fit"):
            raise OSError("the bucket is down")

    monkeypatch.setattr(default_storage, "delete", delete)
    with django_capture_on_commit_callbacks(execute=True):
        assert erase(bearer_client(head), athlete, confirm="Stored Files").status_code == 204
    assert sorted(deleted) == ["activities/a.fit", "activities/b.fit"]
    assert not AthleteProfile.objects.filter(pk=athlete.pk).exists()
