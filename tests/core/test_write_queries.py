"""Every write through the API costs a pinned number of queries, on SQLite and on PostgreSQL.

A change that adds a query to a write fails here with the statements listed, numbered; a new write route
(POST, PUT or PATCH under /api/) fails `test_every_write_route_has_a_pinned_count` until it is pinned below.

The counts are what a test sees: inside the test's transaction, so each transaction.atomic a write opens
appears as a SAVEPOINT / RELEASE SAVEPOINT pair (in production the outermost one is the transaction itself,
whose BEGIN and COMMIT Django does not log). SQLite reads the caller's permissions in a query of its own
(PostgreSQL reads them with the token, core.auth)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core import dialect
from tests.support.clients import bearer_client
from tests.support.factories.athletes import HeadCoachFactory, InvitableAthleteFactory, SquadFactory, UserFactory
from tests.support.factories.connections import DatabaseConnectionProfileFactory
from tests.support.factories.training import (
    ActivityFactory,
    ExerciseFactory,
    MicroCycleFactory,
    ProgramPhaseFactory,
    ProgramTemplateFactory,
    SeasonEventFactory,
    SessionTemplateFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
    template_session,
)
from tests.support.utils import api_patterns

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch")


@dataclass(frozen=True)
class Write:
    sqlite: int
    postgresql: int

    def expected(self) -> int:
        return self.postgresql if dialect.is_postgresql(connection) else self.sqlite


# (route as tests.support.utils.api_patterns names it, method) -> its pinned count.
PINNED = {
    ("api/v1/auth/token/", "post"): Write(sqlite=4, postgresql=4),
    ("api/v1/auth/logout/", "post"): Write(sqlite=2, postgresql=2),
    ("api/v1/athletes/", "post"): Write(sqlite=12, postgresql=11),
    ("api/v1/athletes/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=13, postgresql=12),
    ("api/v1/athletes/(?P<pk>[^/.]+)/", "put"): Write(sqlite=15, postgresql=14),
    ("api/v1/athletes/(?P<pk>[^/.]+)/invite/", "post"): Write(sqlite=9, postgresql=8),
    ("api/v1/athletes/<uuid:pk>/calendar-feed/", "post"): Write(sqlite=12, postgresql=11),
    ("api/v1/athletes/<uuid:pk>/calendar-feed/revoke/", "post"): Write(sqlite=6, postgresql=5),
    ("api/v1/programs/", "post"): Write(sqlite=15, postgresql=14),
    ("api/v1/programs/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=18, postgresql=17),
    ("api/v1/programs/(?P<pk>[^/.]+)/", "put"): Write(sqlite=19, postgresql=18),
    ("api/v1/programs/(?P<pk>[^/.]+)/clone/", "post"): Write(sqlite=32, postgresql=31),
    ("api/v1/phases/", "post"): Write(sqlite=15, postgresql=14),
    ("api/v1/phases/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=18, postgresql=17),
    ("api/v1/phases/(?P<pk>[^/.]+)/", "put"): Write(sqlite=19, postgresql=18),
    ("api/v1/micro-cycles/", "post"): Write(sqlite=15, postgresql=14),
    ("api/v1/micro-cycles/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=20, postgresql=19),
    ("api/v1/micro-cycles/(?P<pk>[^/.]+)/", "put"): Write(sqlite=22, postgresql=21),
    ("api/v1/sessions/", "post"): Write(sqlite=16, postgresql=15),
    ("api/v1/sessions/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=12, postgresql=11),
    ("api/v1/sessions/(?P<pk>[^/.]+)/", "put"): Write(sqlite=16, postgresql=15),
    ("api/v1/sessions/<uuid:pk>/sets/", "put"): Write(sqlite=13, postgresql=13),
    ("api/v1/exercises/", "post"): Write(sqlite=9, postgresql=8),
    ("api/v1/exercises/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=11, postgresql=10),
    ("api/v1/exercises/(?P<pk>[^/.]+)/", "put"): Write(sqlite=11, postgresql=10),
    ("api/v1/programs/(?P<pk>[^/.]+)/save-as-template/", "post"): Write(sqlite=13, postgresql=12),
    ("api/v1/program-templates/", "post"): Write(sqlite=9, postgresql=8),
    ("api/v1/program-templates/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=11, postgresql=10),
    ("api/v1/program-templates/(?P<pk>[^/.]+)/", "put"): Write(sqlite=11, postgresql=10),
    ("api/v1/program-templates/(?P<pk>[^/.]+)/apply/", "post"): Write(sqlite=15, postgresql=14),
    ("api/v1/session-templates/", "post"): Write(sqlite=9, postgresql=8),
    ("api/v1/session-templates/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=11, postgresql=10),
    ("api/v1/session-templates/(?P<pk>[^/.]+)/", "put"): Write(sqlite=11, postgresql=10),
    ("api/v1/events/", "post"): Write(sqlite=10, postgresql=9),
    ("api/v1/events/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=11, postgresql=10),
    ("api/v1/events/(?P<pk>[^/.]+)/", "put"): Write(sqlite=12, postgresql=11),
    ("api/v1/athletes/<uuid:pk>/activities/", "post"): Write(sqlite=11, postgresql=10),
    ("api/v1/activities/(?P<pk>[^/.]+)/link/", "post"): Write(sqlite=14, postgresql=13),
    ("api/v1/squads/", "post"): Write(sqlite=16, postgresql=15),
    ("api/v1/squads/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=19, postgresql=18),
    ("api/v1/squads/(?P<pk>[^/.]+)/", "put"): Write(sqlite=18, postgresql=17),
    ("api/v1/connection-profiles/", "post"): Write(sqlite=11, postgresql=10),
    ("api/v1/connection-profiles/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=12, postgresql=11),
    ("api/v1/connection-profiles/(?P<pk>[^/.]+)/", "put"): Write(sqlite=13, postgresql=12),
    ("api/v1/athletes/<uuid:pk>/wellness/<str:day>/", "put"): Write(sqlite=13, postgresql=11),
    # Erasure: a fixed number per kind of row (its cascade, its history, its admin log entries), not per row.
    ("api/v1/athletes/<uuid:pk>/erase/", "post"): Write(sqlite=86, postgresql=84),
    ("api/v1/webhook-endpoints/", "post"): Write(sqlite=5, postgresql=4),
    ("api/v1/webhook-endpoints/(?P<pk>[^/.]+)/", "patch"): Write(sqlite=7, postgresql=6),
    ("api/v1/webhook-endpoints/(?P<pk>[^/.]+)/", "put"): Write(sqlite=7, postgresql=6),
    ("api/v1/webhook-endpoints/(?P<pk>[^/.]+)/rotate-secret/", "post"): Write(sqlite=7, postgresql=6),
    ("api/v1/webhook-endpoints/(?P<pk>[^/.]+)/test/", "post"): Write(sqlite=8, postgresql=7),
    ("api/v1/webhook-endpoints/deliveries/<uuid:pk>/retry/", "post"): Write(sqlite=8, postgresql=7),
}

# The session writes a client makes most (logging a session): the same count whatever they change.
SESSION_PATCHES = {
    "complete": {"status": "completed", "rpe": 6},
    "rename": {"title": "Tempo"},
    "skip": {"status": "skipped"},
}


def _routed_writes() -> set[tuple[str, str]]:
    found = set()
    for route, pattern in api_patterns():
        actions = getattr(pattern.callback, "actions", None)
        view_class = getattr(pattern.callback, "cls", None)
        if actions:
            methods = [m for m in actions if m in WRITE_METHODS]
        elif view_class is not None:
            methods = [m for m in WRITE_METHODS if hasattr(view_class, m)]
        else:
            methods = []
        found |= {(route, method) for method in methods}
    return found


def test_every_write_route_has_a_pinned_count():
    routed = _routed_writes()
    assert routed, "no write route found: the walk is broken"
    missing = sorted(routed - PINNED.keys())
    assert not missing, f"write routes without a pinned query count (add them to PINNED and CASES): {missing}"
    stale = sorted(PINNED.keys() - routed)
    assert not stale, f"pinned counts for routes nothing serves any more: {stale}"


def _plan(athlete=None):
    program = TrainingProgramFactory(**({"athlete": athlete} if athlete else {}))
    phase = ProgramPhaseFactory(program=program)
    cycle = MicroCycleFactory(program=program, phase=phase, week_index=1)
    start = datetime.combine(program.start_date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    return program, phase, cycle, start


def _put_body(client, url, **changes):
    body = client.get(url).json()
    body.update(changes)
    return body


# Each case: (coach_client) -> (client, method, path, body or None, expected status). Built before counting.


def _token(coach_client):
    UserFactory(username="runner")
    return APIClient(), "post", "/api/v1/auth/token/", {"username": "runner", "password": "pass-word-123"}, 200


def _logout(coach_client):
    return coach_client, "post", "/api/v1/auth/logout/", None, 204


def _athlete_post(coach_client):
    body = {
        "user": {"username": "ada", "email": "ada@example.com"},
        "displayName": "Ada",
        "timezone": "Europe/Oslo",
        "primaryGoal": "endurance",
    }
    return coach_client, "post", "/api/v1/athletes/", body, 201


def _athlete_patch(coach_client):
    athlete = InvitableAthleteFactory()
    return coach_client, "patch", f"/api/v1/athletes/{athlete.pk}/", {"displayName": "Renamed"}, 200


def _athlete_put(coach_client):
    url = f"/api/v1/athletes/{InvitableAthleteFactory().pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, displayName="Renamed"), 200


def _invite(coach_client):
    return coach_client, "post", f"/api/v1/athletes/{InvitableAthleteFactory().pk}/invite/", None, 200


def _feed(coach_client):
    return coach_client, "post", f"/api/v1/athletes/{InvitableAthleteFactory().pk}/calendar-feed/", None, 201


def _feed_revoke(coach_client):
    athlete = InvitableAthleteFactory()
    coach_client.post(f"/api/v1/athletes/{athlete.pk}/calendar-feed/")
    return coach_client, "post", f"/api/v1/athletes/{athlete.pk}/calendar-feed/revoke/", None, 204


def _program_post(coach_client):
    athlete = InvitableAthleteFactory()
    body = {"athleteId": str(athlete.pk), "title": "Base", "startDate": "2030-01-07", "endDate": "2030-03-31"}
    return coach_client, "post", "/api/v1/programs/", body, 201


def _program_patch(coach_client):
    program, *_ = _plan()
    return coach_client, "patch", f"/api/v1/programs/{program.pk}/", {"title": "Build"}, 200


def _program_put(coach_client):
    program, *_ = _plan()
    url = f"/api/v1/programs/{program.pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, title="Build"), 200


def _clone(coach_client):
    program, phase, cycle, start = _plan()
    TrainingSessionFactory(program=program, phase=phase, micro_cycle=cycle, scheduled_at=start)
    body = {"athleteId": str(InvitableAthleteFactory().pk), "startDate": "2031-01-06"}
    return coach_client, "post", f"/api/v1/programs/{program.pk}/clone/", body, 201


def _phase_post(coach_client):
    program = TrainingProgramFactory()
    body = {
        "programId": str(program.pk),
        "name": "Base",
        "phaseOrder": 1,
        "startDate": str(program.start_date),
        "endDate": str(program.start_date + timedelta(days=6)),
        "focus": "Aerobic base",
    }
    return coach_client, "post", "/api/v1/phases/", body, 201


def _phase_patch(coach_client):
    _, phase, *_ = _plan()
    return coach_client, "patch", f"/api/v1/phases/{phase.pk}/", {"name": "Build"}, 200


def _phase_put(coach_client):
    _, phase, *_ = _plan()
    url = f"/api/v1/phases/{phase.pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, name="Build"), 200


def _cycle_post(coach_client):
    program = TrainingProgramFactory()
    body = {"programId": str(program.pk), "weekIndex": 1}
    return coach_client, "post", "/api/v1/micro-cycles/", body, 201


def _cycle_patch(coach_client):
    *_, cycle, _ = _plan()
    return coach_client, "patch", f"/api/v1/micro-cycles/{cycle.pk}/", {"readinessScore": 80}, 200


def _cycle_put(coach_client):
    *_, cycle, _ = _plan()
    url = f"/api/v1/micro-cycles/{cycle.pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, readinessScore=80), 200


def _session_post(coach_client):
    program, phase, cycle, start = _plan()
    body = {
        "programId": str(program.pk),
        "phaseId": str(phase.pk),
        "microCycleId": str(cycle.pk),
        "title": "Run",
        "scheduledAt": start.isoformat(),
        "durationMinutes": 45,
        "modality": "run",
        "plannedLoad": 300,
    }
    return coach_client, "post", "/api/v1/sessions/", body, 201


def _session(**kwargs):
    program, phase, cycle, start = _plan()
    return TrainingSessionFactory(program=program, phase=phase, micro_cycle=cycle, scheduled_at=start, **kwargs)


def _session_patch(coach_client):
    return coach_client, "patch", f"/api/v1/sessions/{_session().pk}/", SESSION_PATCHES["complete"], 200


def _session_put(coach_client):
    url = f"/api/v1/sessions/{_session().pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, title="Tempo"), 200


def _exercise_post(coach_client):
    body = {
        "name": "Zercher squat",
        "category": "squat",
        "equipment": ["barbell"],
        "instructions": "Bar in the elbows.",
    }
    return coach_client, "post", "/api/v1/exercises/", body, 201


def _exercise_patch(coach_client):
    exercise = ExerciseFactory()
    return coach_client, "patch", f"/api/v1/exercises/{exercise.pk}/", {"name": "Zercher squat"}, 200


def _exercise_put(coach_client):
    url = f"/api/v1/exercises/{ExerciseFactory().pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, name="Zercher squat"), 200


def _sets_put(coach_client):
    exercise = ExerciseFactory()
    body = [{"exerciseId": str(exercise.pk), "setIndex": i, "reps": 5, "loadKg": 100} for i in (1, 2, 3)]
    return coach_client, "put", f"/api/v1/sessions/{_session().pk}/sets/", body, 200


def _squad_post(coach_client):
    athletes = [str(InvitableAthleteFactory().pk) for _ in range(3)]
    return coach_client, "post", "/api/v1/squads/", {"name": "Juniors", "athleteIds": athletes}, 201


def _squad_patch(coach_client):
    squad = SquadFactory(athletes=[InvitableAthleteFactory()])
    athletes = [str(InvitableAthleteFactory().pk) for _ in range(3)]
    return coach_client, "patch", f"/api/v1/squads/{squad.pk}/", {"athleteIds": athletes}, 200


def _squad_put(coach_client):
    url = f"/api/v1/squads/{SquadFactory(athletes=[InvitableAthleteFactory()]).pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, name="Seniors"), 200


def _template_body():
    sessions = [template_session(week, day) for week in (1, 2) for day in (1, 4)]
    phases = [{"name": "Base", "focus": "Aerobic", "startWeek": 1, "endWeek": 2}]
    return {"title": "Base block", "weeks": 2, "phases": phases, "sessions": sessions}


def _program_template_post(coach_client):
    return coach_client, "post", "/api/v1/program-templates/", _template_body(), 201


def _program_template_patch(coach_client):
    template = ProgramTemplateFactory()
    return coach_client, "patch", f"/api/v1/program-templates/{template.pk}/", {"title": "Build block"}, 200


def _program_template_put(coach_client):
    url = f"/api/v1/program-templates/{ProgramTemplateFactory().pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, title="Build block"), 200


def _apply(coach_client):
    template = ProgramTemplateFactory()
    body = {"athleteIds": [str(InvitableAthleteFactory().pk) for _ in range(3)], "startDate": "2030-01-07"}
    return coach_client, "post", f"/api/v1/program-templates/{template.pk}/apply/", body, 201


def _save_as_template(coach_client):
    program, phase, cycle, start = _plan()
    TrainingSessionFactory(program=program, phase=phase, micro_cycle=cycle, scheduled_at=start)
    return coach_client, "post", f"/api/v1/programs/{program.pk}/save-as-template/", {"shared": True}, 201


def _session_template_post(coach_client):
    body = {"title": "Tempo", "modality": "run", "durationMinutes": 50, "plannedLoad": 350}
    return coach_client, "post", "/api/v1/session-templates/", body, 201


def _session_template_patch(coach_client):
    template = SessionTemplateFactory()
    return coach_client, "patch", f"/api/v1/session-templates/{template.pk}/", {"title": "Hills"}, 200


def _session_template_put(coach_client):
    url = f"/api/v1/session-templates/{SessionTemplateFactory().pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, title="Hills"), 200


def _session_post_from_template(coach_client):
    program, _phase, _cycle, start = _plan()
    body = {
        "programId": str(program.pk),
        "scheduledAt": start.isoformat(),
        "templateId": str(SessionTemplateFactory().pk),
    }
    return coach_client, "post", "/api/v1/sessions/", body, 201


def _event_post(coach_client):
    athlete = InvitableAthleteFactory()
    body = {"athleteId": str(athlete.pk), "date": "2030-06-01", "name": "City 10k", "priority": "A", "kind": "race"}
    return coach_client, "post", "/api/v1/events/", body, 201


def _event_patch(coach_client):
    return coach_client, "patch", f"/api/v1/events/{SeasonEventFactory().pk}/", {"priority": "B"}, 200


def _event_put(coach_client):
    url = f"/api/v1/events/{SeasonEventFactory().pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, name="Moved"), 200


def _activity_upload(coach_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = f"/api/v1/athletes/{InvitableAthleteFactory().pk}/activities/"
    return coach_client, "post", path, {"file": SimpleUploadedFile("a.gpx", b"<gpx/>")}, 202, "multipart"


def _activity_link(coach_client):
    session = TrainingSessionFactory()
    activity = ActivityFactory(athlete=session.athlete)
    return coach_client, "post", f"/api/v1/activities/{activity.pk}/link/", {"sessionId": str(session.pk)}, 200


def _profile_body(**overrides):
    return {
        "environment": "staging",
        "host": "db.internal",
        "port": 5432,
        "database": "cadence",
        "schema": "public",
        "credentialRef": "vault:secret/data/db/staging",
        "rotationIntervalDays": 90,
        **overrides,
    }


def _profile_post(coach_client):
    return coach_client, "post", "/api/v1/connection-profiles/", _profile_body(), 201


def _profile_patch(coach_client):
    profile = DatabaseConnectionProfileFactory()
    return coach_client, "patch", f"/api/v1/connection-profiles/{profile.pk}/", {"port": 6432}, 200


def _profile_put(coach_client):
    url = f"/api/v1/connection-profiles/{DatabaseConnectionProfileFactory().pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, port=6432), 200


def _wellness_put(coach_client):
    athlete = InvitableAthleteFactory(timezone="UTC")
    body = {"sleepQuality": 4, "fatigue": 3, "soreness": 4, "stress": 3, "mood": 4, "notes": "fine"}
    url = f"/api/v1/athletes/{athlete.pk}/wellness/{datetime.now(UTC).date()}/"
    return bearer_client(athlete.user), "put", url, body, 201


def _erase(coach_client):
    # A head coach erases an athlete with a small plan: the count grows with the kinds of rows, not their number.
    athlete = InvitableAthleteFactory()
    _plan(athlete)
    return (
        bearer_client(HeadCoachFactory()),
        "post",
        f"/api/v1/athletes/{athlete.pk}/erase/",
        {"confirm": athlete.display_name},
        204,
    )


def _endpoint(coach_client):
    from tests.support.webhooks import endpoint_make

    return endpoint_make(coach_client.user, url="https://hooks.example.invalid/cadence", events=["activity.imported"])


def _endpoint_post(coach_client):
    body = {"url": "https://hooks.example.invalid/cadence", "events": ["*"], "description": "CRM"}
    return coach_client, "post", "/api/v1/webhook-endpoints/", body, 201


def _endpoint_patch(coach_client):
    url = f"/api/v1/webhook-endpoints/{_endpoint(coach_client).pk}/"
    return coach_client, "patch", url, {"description": "CRM sync"}, 200


def _endpoint_put(coach_client):
    url = f"/api/v1/webhook-endpoints/{_endpoint(coach_client).pk}/"
    return coach_client, "put", url, _put_body(coach_client, url, description="CRM sync"), 200


def _endpoint_rotate(coach_client):
    return coach_client, "post", f"/api/v1/webhook-endpoints/{_endpoint(coach_client).pk}/rotate-secret/", None, 200


def _endpoint_test(coach_client):
    return coach_client, "post", f"/api/v1/webhook-endpoints/{_endpoint(coach_client).pk}/test/", None, 202


def _delivery_retry(coach_client):
    from webhooks.models import WebhookDelivery

    delivery = WebhookDelivery.objects.create(
        endpoint=_endpoint(coach_client), event_id=uuid.uuid4(), type="ping", body="{}", status="failed", attempts=8
    )
    return coach_client, "post", f"/api/v1/webhook-endpoints/deliveries/{delivery.pk}/retry/", None, 202


CASES = {
    ("api/v1/auth/token/", "post"): _token,
    ("api/v1/auth/logout/", "post"): _logout,
    ("api/v1/athletes/", "post"): _athlete_post,
    ("api/v1/athletes/(?P<pk>[^/.]+)/", "patch"): _athlete_patch,
    ("api/v1/athletes/(?P<pk>[^/.]+)/", "put"): _athlete_put,
    ("api/v1/athletes/(?P<pk>[^/.]+)/invite/", "post"): _invite,
    ("api/v1/athletes/<uuid:pk>/calendar-feed/", "post"): _feed,
    ("api/v1/athletes/<uuid:pk>/calendar-feed/revoke/", "post"): _feed_revoke,
    ("api/v1/programs/", "post"): _program_post,
    ("api/v1/programs/(?P<pk>[^/.]+)/", "patch"): _program_patch,
    ("api/v1/programs/(?P<pk>[^/.]+)/", "put"): _program_put,
    ("api/v1/programs/(?P<pk>[^/.]+)/clone/", "post"): _clone,
    ("api/v1/phases/", "post"): _phase_post,
    ("api/v1/phases/(?P<pk>[^/.]+)/", "patch"): _phase_patch,
    ("api/v1/phases/(?P<pk>[^/.]+)/", "put"): _phase_put,
    ("api/v1/micro-cycles/", "post"): _cycle_post,
    ("api/v1/micro-cycles/(?P<pk>[^/.]+)/", "patch"): _cycle_patch,
    ("api/v1/micro-cycles/(?P<pk>[^/.]+)/", "put"): _cycle_put,
    ("api/v1/sessions/", "post"): _session_post,
    ("api/v1/sessions/(?P<pk>[^/.]+)/", "patch"): _session_patch,
    ("api/v1/sessions/(?P<pk>[^/.]+)/", "put"): _session_put,
    ("api/v1/sessions/<uuid:pk>/sets/", "put"): _sets_put,
    ("api/v1/exercises/", "post"): _exercise_post,
    ("api/v1/exercises/(?P<pk>[^/.]+)/", "patch"): _exercise_patch,
    ("api/v1/exercises/(?P<pk>[^/.]+)/", "put"): _exercise_put,
    ("api/v1/programs/(?P<pk>[^/.]+)/save-as-template/", "post"): _save_as_template,
    ("api/v1/program-templates/", "post"): _program_template_post,
    ("api/v1/program-templates/(?P<pk>[^/.]+)/", "patch"): _program_template_patch,
    ("api/v1/program-templates/(?P<pk>[^/.]+)/", "put"): _program_template_put,
    ("api/v1/program-templates/(?P<pk>[^/.]+)/apply/", "post"): _apply,
    ("api/v1/session-templates/", "post"): _session_template_post,
    ("api/v1/session-templates/(?P<pk>[^/.]+)/", "patch"): _session_template_patch,
    ("api/v1/session-templates/(?P<pk>[^/.]+)/", "put"): _session_template_put,
    ("api/v1/events/", "post"): _event_post,
    ("api/v1/events/(?P<pk>[^/.]+)/", "patch"): _event_patch,
    ("api/v1/events/(?P<pk>[^/.]+)/", "put"): _event_put,
    ("api/v1/athletes/<uuid:pk>/activities/", "post"): _activity_upload,
    ("api/v1/activities/(?P<pk>[^/.]+)/link/", "post"): _activity_link,
    ("api/v1/squads/", "post"): _squad_post,
    ("api/v1/squads/(?P<pk>[^/.]+)/", "patch"): _squad_patch,
    ("api/v1/squads/(?P<pk>[^/.]+)/", "put"): _squad_put,
    ("api/v1/connection-profiles/", "post"): _profile_post,
    ("api/v1/connection-profiles/(?P<pk>[^/.]+)/", "patch"): _profile_patch,
    ("api/v1/connection-profiles/(?P<pk>[^/.]+)/", "put"): _profile_put,
    ("api/v1/athletes/<uuid:pk>/wellness/<str:day>/", "put"): _wellness_put,
    ("api/v1/athletes/<uuid:pk>/erase/", "post"): _erase,
    ("api/v1/webhook-endpoints/", "post"): _endpoint_post,
    ("api/v1/webhook-endpoints/(?P<pk>[^/.]+)/", "patch"): _endpoint_patch,
    ("api/v1/webhook-endpoints/(?P<pk>[^/.]+)/", "put"): _endpoint_put,
    ("api/v1/webhook-endpoints/(?P<pk>[^/.]+)/rotate-secret/", "post"): _endpoint_rotate,
    ("api/v1/webhook-endpoints/(?P<pk>[^/.]+)/test/", "post"): _endpoint_test,
    ("api/v1/webhook-endpoints/deliveries/<uuid:pk>/retry/", "post"): _delivery_retry,
}


def test_every_pinned_write_has_a_case():
    assert CASES.keys() == PINNED.keys()


def _statements(ctx) -> str:
    return "\n".join(f"{i:3}. {query['sql']}" for i, query in enumerate(ctx.captured_queries, 1))


def _assert_count(ctx, expected: int, what: str) -> None:
    count = len(ctx.captured_queries)
    assert count == expected, f"{what}: {count} queries, pinned {expected}:\n{_statements(ctx)}"


@pytest.mark.parametrize("key", list(CASES), ids=[f"{method.upper()} {route}" for route, method in CASES])
def test_a_write_costs_its_pinned_number_of_queries(key, coach_client):
    client, method, path, body, status, *body_format = CASES[key](coach_client)
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(path, body, format=(body_format or ["json"])[0])
    assert response.status_code == status, response.content
    _assert_count(ctx, PINNED[key].expected(), f"{key[1].upper()} {key[0]}")


def test_a_session_from_a_template_costs_one_query_more_than_one_written_out(coach_client):
    client, _method, path, body, status = _session_post_from_template(coach_client)
    written_out = {k: v for k, v in body.items() if k != "templateId"} | {
        "title": "Tempo",
        "modality": "run",
        "durationMinutes": 50,
        "plannedLoad": 350,
    }
    counts = []
    for each in (written_out, body):
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(path, each, format="json")
        assert response.status_code == status, response.content
        counts.append(len(ctx.captured_queries))
    assert counts[1] == counts[0] + 1, counts


@pytest.mark.parametrize("change", list(SESSION_PATCHES.values()), ids=list(SESSION_PATCHES))
def test_every_kind_of_session_patch_costs_the_same(change, coach_client):
    session = _session()
    with CaptureQueriesContext(connection) as ctx:
        response = coach_client.patch(f"/api/v1/sessions/{session.pk}/", change, format="json")
    assert response.status_code == 200, response.content
    _assert_count(ctx, PINNED[("api/v1/sessions/(?P<pk>[^/.]+)/", "patch")].expected(), f"PATCH session {change}")
