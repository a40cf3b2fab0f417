"""The one access world the role tests share (a pytest plugin; tests/conftest.py registers it).

Two athletes, each with a plan (program, phase, micro-cycle, session, season event) and an imported activity (not
linked to the session) and a squad of their coach's: "A",
assigned to the coach (and the athlete role's own profile), and "B", another coach's. Users for every role are
made when first asked for (`world.users[role]`, `world.client(role)`). Operations rows (a production connection
profile, a health event) come with it unless a module says otherwise, and an exercise of the catalogue ("World
exercise").

A module shapes its world by overriding the `world_options` fixture with keyword arguments of `build_world`:

    @pytest.fixture
    def world_options():
        return {"names": ("Mine Athlete", "Theirs Athlete"), "operations_rows": False}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.support.clients import anonymous_client, bearer_client
from tests.support.factories.athletes import (
    CoachFactory,
    HeadCoachFactory,
    InvitableAthleteFactory,
    OperationsFactory,
    SquadFactory,
    StaffFactory,
    UserFactory,
)
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

# The roles a world has users for; "anonymous" is world.client("anonymous"), no user.
ROLE_USERS: dict[str, Callable] = {
    "superuser": lambda world: UserFactory(is_staff=True, is_superuser=True),
    "head coach": lambda world: HeadCoachFactory(),
    "coach": lambda world: world.coach,
    "other coach": lambda world: world.other_coach,
    "coach without athletes": lambda world: CoachFactory(),
    "operations": lambda world: OperationsFactory(),
    "staff without groups": lambda world: StaffFactory(),
    "athlete": lambda world: world.A["athletes"].user,
    "other athlete": lambda world: world.B["athletes"].user,
    "no profile": lambda world: UserFactory(),
}


class _Users(dict):
    """role -> user, each made on first use (a test pays only for the roles it asks for)."""

    def __init__(self, world: World):
        super().__init__()
        self._world = world

    def __missing__(self, role: str):
        user = self[role] = ROLE_USERS[role](self._world)
        return user


def plan(athlete, start: date) -> dict:
    """A program of eight weeks from `start` with a phase, a micro-cycle and a session, keyed by resource."""
    program = TrainingProgramFactory(
        athlete=athlete, title=f"Plan of {athlete.display_name}", start_date=start, end_date=start + timedelta(55)
    )
    phase = ProgramPhaseFactory(program=program, start_date=start, end_date=start + timedelta(days=27))
    cycle = MicroCycleFactory(program=program, phase=phase, week_index=1)
    session = TrainingSessionFactory(
        program=program,
        phase=phase,
        micro_cycle=cycle,
        title=f"Session of {athlete.display_name}",
        scheduled_at=datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12),
    )
    event = SeasonEventFactory(athlete=athlete, name=f"Race of {athlete.display_name}", date=start + timedelta(days=50))
    activity = ActivityFactory(athlete=athlete, started_at=session.scheduled_at, sport="running")
    return {
        "athletes": athlete,
        "programs": program,
        "phases": phase,
        "micro-cycles": cycle,
        "sessions": session,
        "events": event,
        "activities": activity,
    }


@dataclass
class World:
    coach: object
    other_coach: object
    A: dict
    B: dict
    start: date
    profile: object = None
    event: object = None
    exercise: object = None  # a row of the catalogue, which every training reader reads
    users: _Users = field(init=False)

    def __post_init__(self):
        self.users = _Users(self)

    def client(self, role: str):
        """A Bearer client for `role`'s user; no credentials for "anonymous"."""
        return anonymous_client() if role == "anonymous" else bearer_client(self.users[role])

    def __getitem__(self, key: str):
        """world["A"], world["users"], world["coach"] ... as the attributes."""
        return getattr(self, key)


def build_world(
    *,
    names: tuple[str, str] = ("A", "B"),
    athletes: tuple | None = None,
    timezone: str = "Europe/Oslo",
    start: date | None = None,
    operations_rows: bool = True,
) -> World:
    """The world: `names` for new athletes (logins that never had a password, as the API makes them, so an
    invitation is theirs to receive), or `athletes` already made; A in `timezone`; plans from `start` (a week
    ago unless given); with a production connection profile and a health event unless `operations_rows` is off."""
    coach, other_coach = CoachFactory(), CoachFactory()
    if athletes is None:
        athletes = (
            InvitableAthleteFactory(display_name=names[0], timezone=timezone),
            InvitableAthleteFactory(display_name=names[1]),
        )
    a, b = athletes
    a.coaches.set([coach])
    b.coaches.set([other_coach])
    start = start or date.today() - timedelta(days=7)
    world = World(coach=coach, other_coach=other_coach, A=plan(a, start), B=plan(b, start), start=start)
    world.A["squads"] = SquadFactory(name="Squad of A", coaches=[coach], athletes=[a])
    world.B["squads"] = SquadFactory(name="Squad of B", coaches=[other_coach], athletes=[b])
    # Templates are their owner's (B's not shared: another coach's shared ones are read by every coach).
    world.A["program-templates"] = ProgramTemplateFactory(owner=coach, title="Template of A")
    world.B["program-templates"] = ProgramTemplateFactory(owner=other_coach, title="Template of B")
    world.A["session-templates"] = SessionTemplateFactory(owner=coach, title="Session template of A")
    world.B["session-templates"] = SessionTemplateFactory(owner=other_coach, title="Session template of B")
    # Each athlete's wellness entry of the plan's first day (health data: tests.support.resources HEALTH).
    world.A["wellness"] = WellnessEntryFactory(athlete=a, date=start)
    world.B["wellness"] = WellnessEntryFactory(athlete=b, date=start)
    # Endpoints are their owner's; they listen for nothing the world's writes announce.
    world.A["webhook-endpoints"] = endpoint_make(
        coach, url="https://a.example.invalid/hook", events=["activity.imported"]
    )
    world.B["webhook-endpoints"] = endpoint_make(
        other_coach, url="https://b.example.invalid/hook", events=["activity.imported"]
    )
    world.exercise = ExerciseFactory(name="World exercise")
    if operations_rows:
        world.profile = DatabaseConnectionProfileFactory(environment="production")
        world.event = ConnectionHealthEventFactory()
    return world


@pytest.fixture
def world_options() -> dict:
    """Keyword arguments for build_world; override in a module to shape its world."""
    return {}


@pytest.fixture
def world(db, world_options) -> World:
    return build_world(**world_options)
