"""One entry per resource the API's routers register under /api/v1/ (by router basename), holding what the
resource-wide tests need: its paths, how to build n of its rows, the serializer the lists' fast path must equal
and the queryset the list shows, the access matrix's facts about it, and what its list may cost in queries.

Driven by it: tests/core/test_representation.py, tests/core/test_api_query_counts.py,
tests/core/test_access_matrix.py; tests/core/test_resource_registry.py fails on a routed resource missing here
(and on an entry nothing routes). Adding a resource: one entry here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from athletes.models import AthleteProfile, Squad
from athletes.serializers import AthleteProfileSerializer, SquadSerializer
from connections.models import DatabaseConnectionProfile
from connections.serializers import DatabaseConnectionProfileSerializer
from health.models import ConnectionHealthEvent
from health.serializers import ConnectionHealthEventSerializer
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory, SquadFactory
from tests.support.factories.connections import DatabaseConnectionProfileFactory
from tests.support.factories.health import ConnectionHealthEventFactory
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
)
from tests.support.factories.wellness import WellnessEntryFactory
from tests.support.webhooks import endpoint_make
from training.activities.api import ActivitySerializer
from training.activities.models import Activity
from training.library.api import ProgramTemplateSerializer, SessionTemplateSerializer
from training.library.models import ProgramTemplate, SessionTemplate
from training.models import MicroCycle, ProgramPhase, TrainingProgram, TrainingSession
from training.season.api import SeasonEventSerializer
from training.season.models import SeasonEvent
from training.serializers import (
    MicroCycleSerializer,
    ProgramPhaseSerializer,
    TrainingProgramSerializer,
    TrainingSessionSerializer,
)
from training.workouts.exercise_api import ExerciseSerializer
from training.workouts.models import Exercise
from webhooks.api import WebhookEndpointSerializer
from webhooks.models import WebhookEndpoint
from wellness.api import WellnessEntrySerializer
from wellness.models import WellnessEntry

TRAINING = "training"  # an athlete's plan: coaches write their athletes' rows, athletes read their own
OPERATIONS = "operations"  # operators (and superusers) only
CATALOGUE = "catalogue"  # shared reference data: every training reader reads all of it, coaches write
# Coaches' own rows (squads they coach, templates they own): a coach reads and writes theirs, head coaches all,
# athletes and operations none. (A shared template is read by every coach: tests/training/library.)
TEAM = "team"
# Health data (wellness): written by the athlete only, through PUT /athletes/{id}/wellness/{date}/; read by the
# athlete and the staff who see them (coaches, head coaches, superusers); operations and staff without a role 403.
HEALTH = "health"
# A user's own rows (webhook endpoints): coaches and operations read and write theirs, head coaches every one,
# athletes none.
OWN = "own"


@dataclass(frozen=True)
class Resource:
    basename: str  # the router's basename
    prefix: str  # the router's prefix: /api/v1/<prefix>/
    model: type
    serializer: type  # the list's fast path renders exactly what this serializer renders
    listed: Callable  # () -> the queryset the list shows (the view's ordering is applied on top)
    make_rows: Callable  # (n, athlete) -> None: n rows, visible to `athlete` where rows belong to athletes
    # Access matrix (tests/core/test_access_matrix.py, docs/api.md's roles table).
    access: str  # TRAINING, TEAM, CATALOGUE or OPERATIONS
    create: Callable  # (plan, role) -> a valid POST body; plan is a world's "A"/"B" (tests.support.world)
    coach_patch: dict  # a PATCH only a writer may make
    parent: str | None = None  # the resource a created row hangs under (its POST names it), if any
    athlete_patch: dict | None = None  # a PATCH the owning athlete may make, if any
    # The detail actions (POST /api/v1/<prefix>/{id}/<name>/) the access matrix runs on A and B: name -> (the body,
    # from the world and the row's side: (world, "A" or "B") -> dict or None; the status when it is allowed).
    detail_actions: dict = field(default_factory=dict)
    athlete_actions: tuple = ()  # the detail actions the owning athlete may run on their own row

    read_only: bool = False  # POST/PUT/PATCH answer 405 for everyone signed in (rows are made elsewhere)
    # A catalogue or operations resource's row in a world: its attribute ("exercise", "profile", "event").
    world_row: str | None = None
    # Queries a list of any length costs for a coach (core.lists: no per-row queries), and the roles whose lists
    # are counted (an athlete's list adds one: is the caller an athlete?).
    list_queries: int = 4
    # On PostgreSQL, when fewer: a numbered page with its derived columns is one statement there.
    list_queries_on_postgresql: int | None = None
    counted_roles: tuple = ("coach",)
    # The detail path of a list row (its JSON), where a row is not at /api/v1/<prefix>/{id}/.
    detail_of: Callable | None = None

    def detail_path_of(self, row: dict) -> str:
        return self.detail_of(row) if self.detail_of else self.detail_path(row["id"])

    @property
    def list_path(self) -> str:
        return f"/api/v1/{self.prefix}/"

    def detail_path(self, pk) -> str:
        return f"/api/v1/{self.prefix}/{pk}/"


# --- Rows ------------------------------------------------------------------------------------------------


def _athletes(n, athlete):
    AthleteProfileFactory.create_batch(n)


def _programs(n, athlete):
    for _ in range(n):
        program = TrainingProgramFactory(athlete=athlete)
        ProgramPhaseFactory(program=program)
        TrainingSessionFactory(program=program, status="completed")
        TrainingSessionFactory(program=program, scheduled_at=datetime.now(UTC) + timedelta(days=1))


def _phases(n, athlete):
    program = TrainingProgramFactory(athlete=athlete, end_date=datetime.now(UTC).date() + timedelta(days=3 * n))
    for i in range(n):
        start = program.start_date + timedelta(days=i * 2)
        ProgramPhaseFactory(program=program, phase_order=i + 1, start_date=start, end_date=start)


def _micro_cycles(n, athlete):
    program = TrainingProgramFactory(athlete=athlete, end_date=datetime.now(UTC).date() + timedelta(weeks=n))
    for i in range(n):
        cycle = MicroCycleFactory(program=program, week_index=i + 1)
        TrainingSessionFactory(program=program, micro_cycle=cycle, status="completed")


def _sessions(n, athlete):
    program = TrainingProgramFactory(athlete=athlete)
    phase = ProgramPhaseFactory(program=program)
    cycle = MicroCycleFactory(program=program, phase=phase)
    TrainingSessionFactory.create_batch(n, program=program, phase=phase, micro_cycle=cycle)


def _squads(n, athlete):
    for _ in range(n):
        SquadFactory(coaches=list(athlete.coaches.all()), athletes=[athlete])


def _events(n, athlete):
    SeasonEventFactory.create_batch(n, athlete=athlete)


def _wellness(n, athlete):
    earliest = WellnessEntry.objects.filter(athlete=athlete).order_by("date").values_list("date", flat=True).first()
    before = earliest or datetime.now(UTC).date()
    for i in range(n):
        WellnessEntryFactory(athlete=athlete, date=before - timedelta(days=i + 1))


def _activities(n, athlete):
    program = TrainingProgramFactory(athlete=athlete)
    for i, activity in enumerate(ActivityFactory.create_batch(n, athlete=athlete)):
        if i % 2 == 0:  # every other one completed a session: sessionId both set and null
            TrainingSessionFactory(program=program, activity=activity, status="completed")


def _program_templates(n, athlete):
    ProgramTemplateFactory.create_batch(n)


def _session_templates(n, athlete):
    SessionTemplateFactory.create_batch(n)


def _exercises(n, athlete):
    ExerciseFactory.create_batch(n)


def _connection_profiles(n, athlete):
    DatabaseConnectionProfileFactory.create_batch(n)


def _health_events(n, athlete):
    ConnectionHealthEventFactory.create_batch(n)


def activity_rows():
    from training.activities.selectors import with_session_id

    return with_session_id(Activity.objects.all())


def _webhook_endpoints(n, athlete):
    owner = CoachFactory()
    for i in range(n):
        endpoint_make(owner, url=f"https://hooks.example.invalid/{i}", events=["activity.imported"])


# --- Create bodies -----------------------------------------------------------------------------------------


def _program_of(plan) -> str:
    return str(plan["programs"].pk)


RESOURCES: dict[str, Resource] = {
    resource.basename: resource
    for resource in [
        Resource(
            basename="athlete",
            prefix="athletes",
            model=AthleteProfile,
            serializer=AthleteProfileSerializer,
            listed=lambda: AthleteProfile.objects.order_by("display_name", "id"),
            make_rows=_athletes,
            access=TRAINING,
            create=lambda plan, role: {
                "user": {"username": f"new-{role.replace(' ', '-')}", "email": "new@example.com"},
                "displayName": "New",
                "timezone": "UTC",
                "primaryGoal": "strength",
            },
            coach_patch={"coachNotes": "Mine now"},
            athlete_patch={"displayName": "Me", "timezone": "Asia/Tokyo"},
            detail_actions={"invite": (lambda world, which: None, 200)},
            list_queries=5,  # + the athletes' coachIds (one prefetch for the page)
        ),
        Resource(
            basename="program",
            prefix="programs",
            model=TrainingProgram,
            serializer=TrainingProgramSerializer,
            listed=lambda: TrainingProgram.objects.with_metrics().order_by("start_date", "id"),
            make_rows=_programs,
            access=TRAINING,
            parent="athletes",
            create=lambda plan, role: {
                "athleteId": str(plan["athletes"].pk),
                "title": "Next",
                "startDate": "2030-01-01",
                "endDate": "2030-02-01",
                "status": "planned",
            },
            coach_patch={"title": "Renamed"},
            detail_actions={"save-as-template": (lambda world, which: {"shared": True}, 201)},
            list_queries=5,  # derived columns: the page is its ids, then their annotated rows
            counted_roles=("coach", "athlete"),
        ),
        Resource(
            basename="phase",
            prefix="phases",
            model=ProgramPhase,
            serializer=ProgramPhaseSerializer,
            listed=lambda: ProgramPhase.objects.order_by("phase_order", "start_date", "id"),
            make_rows=_phases,
            access=TRAINING,
            parent="programs",
            create=lambda plan, role: {
                "programId": _program_of(plan),
                "name": "Build",
                "focus": "Threshold",
                "phaseOrder": 2,
                "startDate": str(plan["programs"].start_date + timedelta(days=28)),
                "endDate": str(plan["programs"].start_date + timedelta(days=41)),
            },
            coach_patch={"name": "Renamed"},
            counted_roles=("coach", "athlete"),
        ),
        Resource(
            basename="micro-cycle",
            prefix="micro-cycles",
            model=MicroCycle,
            serializer=MicroCycleSerializer,
            listed=lambda: MicroCycle.objects.with_session_counts().order_by("week_index", "id"),
            make_rows=_micro_cycles,
            access=TRAINING,
            parent="programs",
            create=lambda plan, role: {"programId": _program_of(plan), "weekIndex": 2},
            coach_patch={"readinessScore": 10},
            list_queries=5,  # derived columns: the page is its ids, then their annotated rows
            counted_roles=("coach", "athlete"),
        ),
        Resource(
            basename="session",
            prefix="sessions",
            model=TrainingSession,
            serializer=TrainingSessionSerializer,
            listed=lambda: TrainingSession.objects.order_by("scheduled_at", "id"),
            make_rows=_sessions,
            access=TRAINING,
            parent="programs",
            create=lambda plan, role: {
                "programId": _program_of(plan),
                "title": "Intervals",
                "scheduledAt": f"{plan['programs'].start_date + timedelta(days=2)}T10:00:00Z",
                "durationMinutes": 45,
                "modality": "bike",
            },
            coach_patch={"title": "Renamed"},
            athlete_patch={"status": "completed", "rpe": 6, "load": 300},
            # The derived column `before_today` (compliance): the page's ids, then their rows with it; one
            # statement on PostgreSQL, as before it.
            list_queries=5,
            list_queries_on_postgresql=4,
            counted_roles=("coach", "athlete"),
        ),
        Resource(
            basename="event",
            prefix="events",
            model=SeasonEvent,
            serializer=SeasonEventSerializer,
            listed=lambda: SeasonEvent.objects.order_by("date", "id"),
            make_rows=_events,
            access=TRAINING,
            parent="athletes",
            create=lambda plan, role: {
                "athleteId": str(plan["athletes"].pk),
                "date": "2030-06-01",
                "name": "City 10k",
                "priority": "A",
                "kind": "race",
            },
            coach_patch={"name": "City 10k (moved)"},
            counted_roles=("coach", "athlete"),
        ),
        Resource(
            basename="wellness",
            prefix="wellness",
            model=WellnessEntry,
            serializer=WellnessEntrySerializer,
            listed=lambda: WellnessEntry.objects.order_by("date", "id"),
            make_rows=_wellness,
            access=HEALTH,
            parent="athletes",
            create=lambda plan, role: {"sleepQuality": 2, "fatigue": 2, "soreness": 2, "stress": 2, "mood": 2},
            coach_patch={"mood": 1},
            list_queries=5,
            list_queries_on_postgresql=4,
            counted_roles=("coach", "athlete"),
            detail_of=lambda row: f"/api/v1/athletes/{row['athleteId']}/wellness/{row['date']}/",
        ),
        Resource(
            basename="activity",
            prefix="activities",
            model=Activity,
            serializer=ActivitySerializer,
            listed=lambda: activity_rows().order_by("-created_at", "-id"),
            make_rows=_activities,
            access=TRAINING,
            parent="athletes",  # uploaded under /athletes/{id}/activities/ (tests/training/activities)
            read_only=True,
            create=lambda plan, role: {"athleteId": str(plan["athletes"].pk)},
            coach_patch={"sport": "running"},
            detail_actions={"link": (lambda world, which: {"sessionId": str(world[which]["sessions"].pk)}, 200)},
            athlete_actions=("link",),
            counted_roles=("coach", "athlete"),
        ),
        Resource(
            basename="squad",
            prefix="squads",
            model=Squad,
            serializer=SquadSerializer,
            listed=lambda: Squad.objects.order_by("name", "id"),
            make_rows=_squads,
            access=TEAM,
            create=lambda plan, role: {"name": f"Squad of {role}"},
            coach_patch={"athleteIds": []},
            list_queries=6,  # + the squads' coachIds and athleteIds (a prefetch each for the page)
        ),
        Resource(
            basename="program-template",
            prefix="program-templates",
            model=ProgramTemplate,
            serializer=ProgramTemplateSerializer,
            listed=lambda: ProgramTemplate.objects.order_by("title", "id"),
            make_rows=_program_templates,
            access=TEAM,
            create=lambda plan, role: {
                "title": "Base block",
                "weeks": 2,
                "phases": [{"name": "Base", "focus": "Aerobic", "startWeek": 1, "endWeek": 2}],
                "sessions": [
                    {"week": 1, "day": 2, "time": "18:00", "title": "Easy", "modality": "run", "durationMinutes": 40}
                ],
            },
            coach_patch={"description": "Two easy weeks."},
            # Athlete A, whom every caller that may apply a template sees.
            detail_actions={
                "apply": (
                    lambda world, which: {"athleteIds": [str(world.A["athletes"].pk)], "startDate": "2030-01-07"},
                    201,
                )
            },
        ),
        Resource(
            basename="session-template",
            prefix="session-templates",
            model=SessionTemplate,
            serializer=SessionTemplateSerializer,
            listed=lambda: SessionTemplate.objects.order_by("title", "id"),
            make_rows=_session_templates,
            access=TEAM,
            create=lambda plan, role: {"title": "Tempo", "modality": "run", "durationMinutes": 50},
            coach_patch={"plannedLoad": 400},
        ),
        Resource(
            basename="webhook-endpoint",
            prefix="webhook-endpoints",
            model=WebhookEndpoint,
            serializer=WebhookEndpointSerializer,
            listed=lambda: WebhookEndpoint.objects.order_by("created_at", "id"),
            make_rows=_webhook_endpoints,
            access=OWN,
            create=lambda plan, role: {"url": "https://hooks.example.invalid/new", "events": ["*"]},
            coach_patch={"description": "CRM sync"},
            detail_actions={
                "test": (lambda world, which: None, 202),
                "rotate-secret": (lambda world, which: None, 200),
            },
        ),
        Resource(
            basename="exercise",
            prefix="exercises",
            model=Exercise,
            serializer=ExerciseSerializer,
            listed=lambda: Exercise.objects.order_by("name", "id"),
            make_rows=_exercises,
            access=CATALOGUE,
            create=lambda plan, role: {"name": "Matrix press", "category": "push", "equipment": ["barbell"]},
            coach_patch={"instructions": "Slow on the way down."},
            world_row="exercise",
            counted_roles=("coach", "athlete"),
        ),
        Resource(
            basename="connection-profile",
            prefix="connection-profiles",
            model=DatabaseConnectionProfile,
            serializer=DatabaseConnectionProfileSerializer,
            listed=lambda: DatabaseConnectionProfile.objects.all(),
            make_rows=_connection_profiles,
            access=OPERATIONS,
            create=lambda plan, role: {
                "environment": "staging",
                "host": "db",
                "port": 5432,
                "database": "c",
                "schema": "public",
                "credentialRef": "env:DATABASE_URL",
                "rotationIntervalDays": 30,
            },
            coach_patch={"host": "db2"},
            world_row="profile",
        ),
        Resource(
            basename="health-event",
            prefix="health-events",
            model=ConnectionHealthEvent,
            serializer=ConnectionHealthEventSerializer,
            listed=lambda: ConnectionHealthEvent.objects.all(),
            make_rows=_health_events,
            access=OPERATIONS,
            create=lambda plan, role: {"environment": "x", "status": "pass"},
            coach_patch={"message": "x"},
            read_only=True,
            world_row="event",
        ),
    ]
}

# By URL prefix ("athletes", "micro-cycles" ...), the name the tests and docs/api.md use.
BY_PREFIX: dict[str, Resource] = {resource.prefix: resource for resource in RESOURCES.values()}


def prefixes(access: str | None = None) -> list[str]:
    """The resources' prefixes in registry order (docs/api.md's roles table order), of one access kind or all."""
    return [r.prefix for r in RESOURCES.values() if access is None or r.access == access]
