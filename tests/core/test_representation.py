"""The lists' fast read path (core.lists.representation + core.lists.renderers) gives exactly what the serializers
give."""

import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from djangorestframework_camel_case.render import CamelCaseJSONRenderer

from core.lists.renderers import JSONRenderer
from core.lists.representation import CamelCased
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory, SquadFactory
from tests.support.factories.connections import DatabaseConnectionProfileFactory
from tests.support.factories.health import ConnectionHealthEventFactory
from tests.support.factories.training import (
    ActivityFactory,
    ExerciseFactory,
    MicroCycleFactory,
    PerformedSetFactory,
    ProgramPhaseFactory,
    ProgramTemplateFactory,
    SeasonEventFactory,
    SessionTemplateFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
    structure_with,
    template_session,
)
from tests.support.factories.wellness import WellnessEntryFactory
from tests.support.resources import BY_PREFIX
from tests.support.resources import RESOURCES as REGISTRY
from tests.support.webhooks import endpoint_make
from training.models import TrainingSession
from training.serializers import TrainingSessionSerializer

pytestmark = pytest.mark.django_db

# Characters JSON encoders disagree on if any do: quotes, backslash, control characters, non-ASCII, an
# emoji, and U+2028/U+2029 (DRF escapes those two).
AWKWARD = 'Intervals "6×800" \\ ✓ é 🏃 \t tab \u2028 ls \u2029 ps \x01 end'


def _rows():
    """Rows of every resource (a resource with none here fails `the test needs rows` below)."""
    now = datetime.now(UTC)
    athlete = AthleteProfileFactory(display_name=AWKWARD, timezone="Pacific/Kiritimati", coach_notes="")
    plain = AthleteProfileFactory(display_name="Plain", coach_notes="Notes\nwith a newline")
    SquadFactory(name=AWKWARD, coaches=[CoachFactory(), CoachFactory()], athletes=[athlete, plain])
    SquadFactory(name="Empty")
    SeasonEventFactory(athlete=athlete, name=AWKWARD, notes=AWKWARD, priority="B", kind="camp")
    SeasonEventFactory(athlete=athlete, notes="")
    endpoint = endpoint_make(CoachFactory(), url=f"https://hooks.example.com/{AWKWARD}", events=["*"])
    endpoint.description = AWKWARD
    endpoint.save()
    endpoint_make(CoachFactory(), url="https://hooks.example.com/", events=["session.completed"], active=False)
    exercise = ExerciseFactory(name="Template squat")
    lifts = {"steps": [{"kind": "exercise", "exerciseId": str(exercise.pk), "sets": [{"reps": 5, "percent1rm": 80}]}]}
    ProgramTemplateFactory(
        title=AWKWARD,
        description=AWKWARD,
        shared=True,
        sessions=[
            template_session(1, 3, "23:59", title=AWKWARD, plannedLoad=12.25, structure=lifts),
            template_session(2, 7, "00:00", plannedLoad=None),
        ],
    )
    ProgramTemplateFactory(phases=[], sessions=[], weeks=1)
    SessionTemplateFactory(title=AWKWARD, planned_load=Decimal("0.50"), structure=lifts, shared=True)
    SessionTemplateFactory(planned_load=None)
    program = TrainingProgramFactory(athlete=athlete, title=AWKWARD, status="current", macro_cycle="")
    TrainingProgramFactory(athlete=athlete, start_date=program.start_date - timedelta(days=200), status="completed")
    TrainingProgramFactory()  # nothing due: adherenceRate null
    phase = ProgramPhaseFactory(program=program, name=AWKWARD, status="current")
    cycle = MicroCycleFactory(program=program, phase=phase, week_index=1, readiness_score=87)
    MicroCycleFactory(program=program, week_index=2, readiness_score=None)
    start = datetime.combine(program.start_date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    # Loads with cents, whole numbers, zero and null; rpe 0 and null; completedAt with and without microseconds.
    TrainingSessionFactory(
        program=program,
        phase=phase,
        micro_cycle=cycle,
        title=AWKWARD,
        scheduled_at=start,
        status="completed",
        completed_at=start.replace(microsecond=123456),
        rpe=7,
        load=Decimal("315.50"),
        planned_load=Decimal("300.00"),
    )
    TrainingSessionFactory(
        program=program, scheduled_at=start + timedelta(days=1), status="completed", completed_at=start, rpe=0, load=0
    )
    TrainingSessionFactory(program=program, scheduled_at=start + timedelta(days=2), status="skipped")
    TrainingSessionFactory(program=program, scheduled_at=now + timedelta(days=1), planned_load=Decimal("14400"))
    exercise = ExerciseFactory(
        name=AWKWARD, equipment=["barbell", "band"], unilateral=True, instructions=AWKWARD, archived=True
    )
    # Structures: notes with awkward text, loads with and without decimals, %1RM sets resolved (the athlete has
    # an estimate from the completed session's sets) and unresolved (another exercise, none).
    unlogged = ExerciseFactory(name="Unlogged")
    PerformedSetFactory(
        session=TrainingSession.objects.filter(program=program, status="completed").first(),
        exercise=exercise,
        reps=3,
        load_kg=Decimal("97.25"),
    )
    structure = structure_with(exercise, percent1rm=72.5)
    structure["steps"][0]["notes"] = AWKWARD
    structure["steps"].append(
        {"kind": "exercise", "exerciseId": str(unlogged.pk), "sets": [{"seconds": 45, "percent1rm": 50}]}
    )
    # Both ahead, beside the planned one, so the program's adherence stays two of three.
    TrainingSessionFactory(program=program, scheduled_at=now + timedelta(days=1, hours=1), structure=structure)
    TrainingSessionFactory(
        program=program,
        scheduled_at=now + timedelta(days=1, hours=2),
        structure=structure_with(unlogged, loadKg=62.5),
    )
    # Wellness: notes with awkward text, nulls, quarter hours, a decimal rMSSD.
    WellnessEntryFactory(athlete=athlete, date=program.start_date, notes=AWKWARD, sleep_hours=7.25, hrv_rmssd=55.5)
    WellnessEntryFactory(
        athlete=athlete, date=program.start_date + timedelta(days=1), sleep_hours=None, hrv_rmssd=None, illness=True
    )
    # Activities: done with every figure (one completing a session), failed with an awkward error, pending.
    done = ActivityFactory(athlete=athlete, file_name=AWKWARD, trimp=0.1, distance_meters=12345.6)
    TrainingSession.objects.filter(program=program, status="skipped").update(activity=done)
    ActivityFactory(athlete=athlete, status="failed", error=AWKWARD, sport="", started_at=None, trimp=None)
    ActivityFactory(athlete=plain, status="pending", sport="", started_at=None, duration_seconds=None, trimp=None)
    DatabaseConnectionProfileFactory()
    ConnectionHealthEventFactory(message=AWKWARD, latency_ms=1.25, checked_at=now.replace(microsecond=0))
    ConnectionHealthEventFactory(status="fail", error_code="DB_TIMEOUT", latency_ms=None)


# Every routed resource (tests.support.resources): its serializer, and the queryset its list shows.
RESOURCES = {resource.prefix: (resource.serializer, resource.listed) for resource in REGISTRY.values()}


@pytest.mark.parametrize("zone", [None, "Asia/Tokyo"])
@pytest.mark.parametrize("resource", RESOURCES)
def test_list_body_is_byte_for_byte_the_serializers(resource, zone, coach_client):
    """In UTC (the API never activates another zone) datetimes reach orjson as they are; with another current
    timezone they are converted as DRF's field converts them."""
    if zone is not None:
        with timezone.override(zone):
            test_list_body_is_byte_for_byte_the_serializers(resource, None, coach_client)
        return
    _rows()
    serializer_class, queryset = RESOURCES[resource]
    # One page holds every row (the exercise catalogue a migration ships is longer than the default page).
    response = coach_client.get(f"/api/v1/{resource}/", {"pageSize": 200})
    assert response.status_code == 200
    rows = list(queryset().order_by(*response.renderer_context["view"].ordering))
    assert rows, "the test needs rows"
    body = OrderedDict(
        count=len(rows), next=None, previous=None, results=serializer_class(rows, many=True).data
    )  # what DRF's ListModelMixin and PageNumberPagination built before the fast path
    assert response.content == CamelCaseJSONRenderer().render(body)


@pytest.mark.parametrize("resource", RESOURCES)
def test_each_list_row_equals_the_detail_field_by_field(resource, coach_client):
    """Every field of every row, value and JSON type, against the detail (which the serializer renders)."""
    _rows()
    results = coach_client.get(f"/api/v1/{resource}/").json()["results"]
    for row in results:
        detail = coach_client.get(BY_PREFIX[resource].detail_path_of(row)).json()
        assert list(row) == list(detail)
        for key, value in detail.items():
            assert row[key] == value and type(row[key]) is type(value), (resource, key, row[key], value)


def test_session_rows_carry_rpe_load_and_planned_load(coach_client):
    _rows()
    results = coach_client.get("/api/v1/sessions/").json()["results"]
    done = next(r for r in results if r["rpe"] == 7)
    assert (done["load"], done["plannedLoad"], done["completedAt"][-8:]) == (315.5, 300.0, ".123456Z")
    assert {r["plannedLoad"] for r in results} >= {14400.0, None}
    assert next(r for r in results if r["rpe"] == 0)["load"] == 0.0


def test_program_rows_carry_the_metrics(coach_client):
    _rows()
    results = coach_client.get("/api/v1/programs/").json()["results"]
    current = next(r for r in results if r["status"] == "current")
    assert current["adherenceRate"] == round(2 / 3, 4)
    assert current["currentPhaseId"] is not None and current["nextSessionId"] is not None
    assert None in {r["adherenceRate"] for r in results}


def test_renderer_escapes_line_and_paragraph_separators_like_drf():
    rows = CamelCased([{"title": AWKWARD, "n": 1, "x": 0.1, "none": None, "yes": True}])
    assert JSONRenderer().render(rows) == CamelCaseJSONRenderer().render(list(rows))
    assert b"\\u2028" in JSONRenderer().render(rows)


def test_renderer_leaves_other_data_to_the_camel_case_renderer():
    data = {"non_field_errors": ["No."], "nested_value": {"inner_key": 1}}
    assert JSONRenderer().render(data) == b'{"nonFieldErrors":["No."],"nestedValue":{"innerKey":1}}'


def test_browsable_api_still_renders_a_list(coach, client):
    client.force_login(coach)
    TrainingProgramFactory()
    response = client.get("/api/v1/programs/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"totalWeeks" in response.content


def test_a_list_without_filter_parameters_builds_no_filterset(coach_client, monkeypatch):
    from training.filters import TrainingProgramFilter

    built = []
    original = TrainingProgramFilter.__init__
    monkeypatch.setattr(
        TrainingProgramFilter, "__init__", lambda self, *a, **k: built.append(1) or original(self, *a, **k)
    )
    TrainingProgramFactory(status="current")
    assert coach_client.get("/api/v1/programs/", {"page": 1, "pageSize": 5}).status_code == 200
    assert built == []
    assert coach_client.get("/api/v1/programs/", {"status": "current"}).json()["count"] == 1
    assert built == [1]
    assert coach_client.get("/api/v1/programs/", {"athleteId": "not-a-uuid"}).status_code == 400


def test_rows_that_are_dicts_are_read_like_the_serializer_reads_them():
    from rest_framework import serializers

    from core.lists.representation import compiled

    class Summary(serializers.Serializer):
        athlete_id = serializers.UUIDField()
        display_name = serializers.CharField()
        week_load = serializers.FloatField(allow_null=True)

    row = {"athlete_id": uuid.UUID(int=7), "display_name": AWKWARD, "week_load": None}
    assert compiled(Summary)(row) == {
        "athleteId": "00000000-0000-0000-0000-000000000007",
        "displayName": AWKWARD,
        "weekLoad": None,
    }


def test_timestamps_follow_an_activated_timezone_like_the_serializer(coach_client):
    """Should a request ever activate another timezone, the fast path shows what the serializer would."""
    import zoneinfo

    from django.utils import timezone as dj_timezone

    from core.lists.representation import compiled

    _rows()
    session = TrainingSession.objects.exclude(completed_at=None).first()
    with dj_timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        fast = compiled(TrainingSessionSerializer)(session)
        slow = TrainingSessionSerializer(session).data
    assert fast["completedAt"] == slow["completed_at"]
    assert fast["completedAt"].endswith("+09:00")
