"""`manage.py seed_demo`: deterministic, idempotent demo data for the admin, the API and load tests."""

from __future__ import annotations

import math
import os
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from athletes.models import AthleteProfile, PrimaryGoal, Squad, SquadAthlete, SquadCoach
from core import dialect
from core.db import maintenance_timeouts
from core.fields import compact_json
from training.library.models import ProgramTemplate, SessionTemplate
from training.management import demo_workouts
from training.models import (
    MicroCycle,
    Modality,
    PlanStatus,
    ProgramPhase,
    SessionStatus,
    TrainingProgram,
    TrainingSession,
)
from training.season.models import SeasonEvent
from training.workouts.estimates import one_rep_max_refresh
from training.workouts.models import Exercise, PerformedSet
from training.workouts.structure import validate_structure

COACH_USERNAME = "coach"
# The demo coach sees everyone and the operations pages; created by core's role migrations.
COACH_GROUPS = ["Head coaches", "Operations"]
# Coaches with their own athletes (athlete i goes to DEMO_COACHES[(i - 1) % 2]), in the "Coaches" group.
DEMO_COACHES = ["coach-anna", "coach-ben"]
# Two squads, one per demo coach, of (up to) their first SQUAD_SIZE athletes made in the run that makes the squad.
DEMO_SQUADS = ["Road runners", "Strength club"]
SQUAD_SIZE = 12
ATHLETE_USERNAME = "athlete{:04d}"
PASSWORD_ENV = "SEED_COACH_PASSWORD"  # noqa: S105 (the name of a variable, not a secret)
DEBUG_PASSWORD = "cadence-demo"  # noqa: S105 (a demo password, used only with DEBUG on)
DEFAULT_ATHLETES = 5
DEFAULT_WEEKS = 12
DEFAULT_SEED = 2026
MAX_WEEKS = 520
SESSIONS_PER_WEEK = 3

TIMEZONES = [
    "Europe/Oslo",
    "America/Los_Angeles",
    "Pacific/Auckland",
    "UTC",
    "America/New_York",
    "Asia/Tokyo",
    "Europe/London",
    "Australia/Sydney",
]
FIRST_NAMES = ["Ada", "Bjørn", "Chiara", "Dev", "Emeka", "Freya", "Guo", "Hana", "Ines", "Jonas", "Kai", "Lena"]
LAST_NAMES = ["Andersen", "Baker", "Costa", "Dahl", "Eze", "Fischer", "García", "Haddad", "Ito", "Johansson"]
PHASES = [("Base", "Aerobic base"), ("Build", "Threshold and strength"), ("Peak", "Race-specific intensity")]
WEEK_PATTERNS = [(0, 2, 4), (1, 3, 5), (0, 3, 5), (1, 2, 4)]
LOCAL_TIMES = [time(6, 30), time(7, 0), time(12, 0), time(17, 30), time(18, 0)]  # never in a DST gap
DURATIONS = [30, 45, 60, 75, 90]
# How often each modality comes up: an endurance athlete's week with two strength days in ten sessions or so.
MODALITY_WEIGHTS = {
    Modality.RUN: 30,
    Modality.BIKE: 20,
    Modality.STRENGTH: 20,
    Modality.SWIM: 10,
    Modality.CONDITIONING: 8,
    Modality.MOBILITY: 6,
    Modality.SPORT: 4,
    Modality.OTHER: 2,
}
_MODALITIES, _MODALITY_WEIGHTS = list(MODALITY_WEIGHTS), list(MODALITY_WEIGHTS.values())
# The share of past sessions that were done, skipped, or missed (left planned).
PAST_OUTCOMES = [(SessionStatus.COMPLETED, 0.75), (SessionStatus.SKIPPED, 0.10), (SessionStatus.PLANNED, 0.15)]
_OUTCOMES, _OUTCOME_WEIGHTS = [s for s, _ in PAST_OUTCOMES], [w for _, w in PAST_OUTCOMES]
_MODALITY_LABELS = dict(Modality.choices)


@dataclass
class AthletePlan:
    """Everything seeded for one athlete, as unsaved model instances.

    Their ids are already set (the UUIDv7 default runs when an instance is built), so children can point at
    parents before anything is inserted. Nothing here calls save(), so `_insert` sets the timestamps."""

    user: object
    profile: AthleteProfile
    programs: list[TrainingProgram] = field(default_factory=list)
    phases: list[ProgramPhase] = field(default_factory=list)
    micro_cycles: list[MicroCycle] = field(default_factory=list)
    sessions: list[TrainingSession] = field(default_factory=list)
    performed_sets: list[PerformedSet] = field(default_factory=list)
    events: list[SeasonEvent] = field(default_factory=list)


@dataclass
class SeedResult:
    coach_username: str
    coach_created: bool
    coach_password: str | None  # only when the coach was created in this run
    coaches_created: list[str] = field(default_factory=list)  # DEMO_COACHES made in this run
    coaches_password: str | None = None  # theirs, when made in this run
    athletes_created: int = 0
    athletes_existing: int = 0
    programs: int = 0
    phases: int = 0
    micro_cycles: int = 0
    sessions: int = 0
    structured_sessions: int = 0
    performed_sets: int = 0
    events: int = 0
    extras: dict = field(default_factory=dict)  # rows other apps seeded beside the plans (demo_extras), by kind
    extra_tables: list = field(default_factory=list)  # their tables (ANALYZEd after the load)
    squads_created: int = 0
    templates_created: int = 0


def _split_weeks(total_weeks: int) -> list[tuple[int, int]]:
    """Up to three phases over the weeks 1..total, as even as possible: [(first_week, last_week), ...]."""
    count = min(len(PHASES), total_weeks)
    bounds, first = [], 1
    for index in range(count):
        size = math.ceil((total_weeks - first + 1) / (count - index))
        bounds.append((first, first + size - 1))
        first += size
    return bounds


def _plan_program(
    plan: AthletePlan, rng: random.Random, *, start: date, weeks: int, current: bool, today: date, now: datetime, tz
) -> None:
    end = start + timedelta(days=7 * weeks - 1)
    program = TrainingProgram(
        athlete=plan.profile,
        title=f"{'Current' if current else 'Previous'} block: {weeks} weeks",
        start_date=start,
        end_date=end,
        macro_cycle=rng.choice(["Base season", "Build season", "Race season", "Off season"]),
        status=PlanStatus.CURRENT if current else PlanStatus.COMPLETED,
    )
    plan.programs.append(program)

    def status_of(first: date, last: date) -> str:
        if last < today or not current:
            return PlanStatus.COMPLETED
        return PlanStatus.CURRENT if first <= today else PlanStatus.PLANNED

    for order, (first_week, last_week) in enumerate(_split_weeks(weeks), start=1):
        name, focus = PHASES[order - 1]
        phase_start = start + timedelta(days=7 * (first_week - 1))
        phase_end = start + timedelta(days=7 * last_week - 1)
        phase = ProgramPhase(
            program=program,
            name=name,
            focus=focus,
            phase_order=order,
            start_date=phase_start,
            end_date=phase_end,
            status=status_of(phase_start, phase_end),
        )
        plan.phases.append(phase)
        for week in range(first_week, last_week + 1):
            week_start = start + timedelta(days=7 * (week - 1))
            cycle_status = status_of(week_start, week_start + timedelta(days=6))
            cycle = MicroCycle(
                program=program,
                phase=phase,
                week_index=week,
                readiness_score=None if cycle_status == PlanStatus.PLANNED else rng.randint(55, 95),
                status=cycle_status,
            )
            plan.micro_cycles.append(cycle)
            for day in rng.choice(WEEK_PATTERNS)[:SESSIONS_PER_WEEK]:
                local = datetime.combine(week_start + timedelta(days=day), rng.choice(LOCAL_TIMES), tzinfo=tz)
                scheduled_at = local.astimezone(UTC)
                modality = rng.choices(_MODALITIES, weights=_MODALITY_WEIGHTS)[0]
                duration = rng.choice(DURATIONS)
                status, completed_at, load = SessionStatus.PLANNED, None, None
                if scheduled_at < now:
                    status = rng.choices(_OUTCOMES, weights=_OUTCOME_WEIGHTS)[0]
                if status == SessionStatus.COMPLETED:
                    completed_at = min(scheduled_at + timedelta(minutes=duration), now)
                    load = rng.randint(3, 9) * duration  # session RPE × minutes
                plan.sessions.append(
                    TrainingSession(
                        program=program,
                        phase=phase,
                        micro_cycle=cycle,
                        athlete=plan.profile,
                        title=f"{_MODALITY_LABELS[modality]}, week {week}",
                        scheduled_at=scheduled_at,
                        duration_minutes=duration,
                        modality=modality,
                        status=status,
                        load=load,
                        completed_at=completed_at,
                    )
                )


# Planned session RPE by the week's place in a 3-up, 1-down block (the fourth week a deload).
BLOCK_RPE = [5.0, 5.5, 6.0, 3.5]


RACE_NAMES = ["City 10k", "Spring half marathon", "Lakeside triathlon", "Hill climb", "Track 5k", "Gran fondo"]


def add_events(plan: AthletePlan, rng: random.Random, *, today: date, season_end: date) -> None:
    """The season's events: an A race on the current program's last day (ahead, so the load series projects to
    it), a B race a few weeks ahead when the season reaches it, and a C test a few weeks ago."""
    athlete = plan.profile
    names = rng.sample(RACE_NAMES, 2)
    plan.events.append(SeasonEvent(athlete=athlete, date=season_end, name=names[0], priority="A", kind="race"))
    b_day = today + timedelta(days=rng.randint(21, 42))
    if b_day < season_end:
        plan.events.append(SeasonEvent(athlete=athlete, date=b_day, name=names[1], priority="B", kind="race"))
    test_day = today - timedelta(days=rng.randint(14, 28))
    plan.events.append(SeasonEvent(athlete=athlete, date=test_day, name="Field test", priority="C", kind="test"))


def add_training_load(plan: AthletePlan, rng: random.Random) -> None:
    """Give the plan's sessions a plannedLoad (planned session RPE × minutes, following a 3:1 loading block) and
    its completed ones an RPE near the plan with load = RPE × minutes (Foster 2001), so the load charts and the
    load endpoints have something real to show. Its own random stream: the rest of the plan does not change."""
    for session in plan.sessions:
        week = session.micro_cycle.week_index if session.micro_cycle is not None else 1
        planned_rpe = BLOCK_RPE[(week - 1) % len(BLOCK_RPE)]
        session.planned_load = round(planned_rpe * session.duration_minutes)
        if session.status == SessionStatus.COMPLETED:
            session.rpe = max(1, min(10, round(planned_rpe + rng.gauss(0, 1.3))))
            session.load = session.rpe * session.duration_minutes
        else:
            session.rpe, session.load = None, None


def add_workouts(plan: AthletePlan, rng: random.Random, exercises: dict[str, str]) -> None:
    """Give some of the plan's sessions a structure (training.management.demo_workouts) and its completed ones
    with exercise steps the sets the athlete did. `exercises` maps the catalogue's names to ids (as strings); a
    workout that needs an exercise it lacks is left out. Its own random stream: the rest of the plan does not
    change."""
    tz = plan.profile.tzinfo
    athlete = demo_workouts.athlete_workouts(rng, season_start=plan.programs[0].start_date)
    names = {exercise_id: name for name, exercise_id in exercises.items()}
    for session in plan.sessions:
        local_day = session.scheduled_at.astimezone(tz).date()
        session.structure = demo_workouts.session_structure(session, rng, exercises, athlete, local_day)
        session.with_structure_totals()
        plan.performed_sets.extend(demo_workouts.performed_sets(session, rng, names, athlete, local_day))


def plan_athlete(
    *, index: int, weeks: int, seed: int, now: datetime, password_hash: str, exercises: dict[str, str] | None = None
) -> AthletePlan:
    """The demo data of athlete number `index`: the same for the same (index, weeks, seed, day, exercises).

    Two programs fill `weeks` weeks: a completed one (the first quarter) and a current one that today's
    date, in the athlete's timezone, falls in the middle of. Three sessions a week; past ones are completed,
    skipped or missed (still planned), future ones planned. With `exercises` (the catalogue's names to ids), some
    sessions get a workout and completed strength sessions their sets (`add_workouts`)."""
    rng = random.Random(f"{seed}:{index}")
    user_model = get_user_model()
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    username = ATHLETE_USERNAME.format(index)
    user = user_model(
        username=username,
        email=f"{username}@example.com",
        first_name=first,
        last_name=last,
        password=password_hash,
        date_joined=now,
    )
    tz_name = rng.choice(TIMEZONES)
    profile = AthleteProfile(
        user=user,
        display_name=f"{first} {last}",
        timezone=tz_name,
        primary_goal=rng.choice(PrimaryGoal.values),
        coach_notes=rng.choice(["", "Prefers morning sessions.", "Returning from a calf strain."]),
    )
    plan = AthletePlan(user=user, profile=profile)
    tz = profile.tzinfo
    today = now.astimezone(tz).date()
    past_weeks = max(1, weeks // 4)
    current_weeks = weeks - past_weeks
    current_start = today - timedelta(days=7 * (current_weeks // 2) + rng.randint(0, 6))
    _plan_program(
        plan,
        rng,
        start=current_start - timedelta(days=7 * past_weeks),
        weeks=past_weeks,
        current=False,
        today=today,
        now=now,
        tz=tz,
    )
    _plan_program(plan, rng, start=current_start, weeks=current_weeks, current=True, today=today, now=now, tz=tz)
    add_events(plan, random.Random(f"{seed}:{index}:events"), today=today, season_end=plan.programs[-1].end_date)
    add_training_load(plan, random.Random(f"{seed}:{index}:load"))
    if exercises is not None:
        add_workouts(plan, random.Random(f"{seed}:{index}:workouts"), exercises)
    return plan


def _resolve_password(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    # Without DEBUG nobody may learn a default: a random password nobody sees (reset it with changepassword).
    return DEBUG_PASSWORD if settings.DEBUG else secrets.token_urlsafe(18)


def _insert(model: type[models.Model], rows: list[models.Model], *, batch_size: int, stamp: datetime) -> None:
    """Insert `rows` as they are: COPY on PostgreSQL (one stream instead of a statement per batch),
    bulk_create elsewhere. Neither calls save(), so the timestamps save() would keep are set here (for a model
    that has them). A model whose id the database numbers (an AutoField) leaves it to the database."""
    if not rows:
        return
    if hasattr(rows[0], "created_at"):
        for row in rows:
            row.created_at = row.updated_at = stamp
    if not dialect.is_postgresql(connection):
        model.objects.bulk_create(rows, batch_size=batch_size)
        return
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    attnames = [f.attname for f in fields]
    # COPY's text format takes JSON as its text (psycopg does not adapt a dict by itself): the compact text the
    # fields themselves write (core.fields.compact_json), which a `json` column keeps as it is.
    json_positions = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            values = [getattr(row, name) for name in attnames]
            for i in json_positions:
                if values[i] is not None:
                    values[i] = compact_json(values[i])
            copy.write_row(values)


def demo_extras() -> list:
    """The demo data other apps add beside the plans: each app config's `seed_demo_extra` (e.g. wellness's daily
    entries), called as `extra(athletes=[(index, profile)], weeks=, seed=, now=)` -> {model: unsaved rows}. The
    apps above training plug in here; training imports none of them."""
    return [config.seed_demo_extra for config in apps.get_app_configs() if hasattr(config, "seed_demo_extra")]


@transaction.atomic
def seed_demo(
    *,
    athletes: int = DEFAULT_ATHLETES,
    weeks: int = DEFAULT_WEEKS,
    seed: int = DEFAULT_SEED,
    password: str | None = None,
    batch_size: int = 2000,
    now: datetime | None = None,
) -> SeedResult:
    """Create the coach and athletes 1..`athletes` that do not exist yet; existing ones are left untouched.

    One transaction: a failure leaves nothing behind."""
    if athletes < 0:
        raise ValueError("athletes must be 0 or more")
    if not 2 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 2 and {MAX_WEEKS}")
    now = now or timezone.now()
    user_model = get_user_model()
    resolved_password = _resolve_password(password)

    coach = user_model.objects.filter(username=COACH_USERNAME).first()
    result = SeedResult(coach_username=COACH_USERNAME, coach_created=coach is None, coach_password=None)
    if coach is None:
        # A staff user in the role groups (core's migration), like a real coach: not a superuser.
        coach = user_model.objects.create_user(
            username=COACH_USERNAME, email="coach@example.com", password=resolved_password, is_staff=True
        )
        coach.groups.set(Group.objects.filter(name__in=COACH_GROUPS))
        result.coach_password = resolved_password
    coaches = _seed_demo_coaches(resolved_password, result)

    wanted = {ATHLETE_USERNAME.format(i): i for i in range(1, athletes + 1)}
    existing = set(
        user_model.objects.filter(username__startswith="athlete").values_list("username", flat=True).iterator()
    )
    missing = [index for username, index in wanted.items() if username not in existing]
    result.athletes_existing = athletes - len(missing)
    if not missing:
        return result

    password_hash = make_password(resolved_password)  # hashed once: PBKDF2 per athlete would dominate the run
    # The catalogue's exercises the demo workouts name (shipped by a migration; an installation may have
    # archived or renamed some: the workouts that need them are left out).
    exercises = {
        name: str(pk)
        for name, pk in Exercise.objects.filter(name__in=demo_workouts.EXERCISE_NAMES, archived=False).values_list(
            "name", "pk"
        )
    }
    plans = [
        plan_athlete(index=i, weeks=weeks, seed=seed, now=now, password_hash=password_hash, exercises=exercises)
        for i in missing
    ]
    users = user_model.objects.bulk_create([p.user for p in plans], batch_size=batch_size)
    for plan, user in zip(plans, users, strict=True):
        plan.profile.user = user  # re-assign so the profile picks up the id the database gave the user
    stamp = timezone.now()
    _insert(AthleteProfile, [p.profile for p in plans], batch_size=batch_size, stamp=stamp)
    for model, attr in (
        (TrainingProgram, "programs"),
        (ProgramPhase, "phases"),
        (MicroCycle, "micro_cycles"),
        (TrainingSession, "sessions"),
    ):
        rows = [row for plan in plans for row in getattr(plan, attr)]
        _insert(model, rows, batch_size=batch_size, stamp=stamp)
        setattr(result, attr, len(rows))
    result.structured_sessions = sum(1 for plan in plans for s in plan.sessions if s.structure is not None)
    sets = [row for plan in plans for row in plan.performed_sets]
    _insert(PerformedSet, sets, batch_size=batch_size, stamp=stamp)
    result.performed_sets = len(sets)
    one_rep_max_refresh(athlete_ids={row.athlete_id for row in sets})
    events = [row for plan in plans for row in plan.events]
    _insert(SeasonEvent, events, batch_size=batch_size, stamp=stamp)
    result.events = len(events)
    for extra in demo_extras():
        for model, rows in extra(athletes=[(i, p.profile) for i, p in zip(missing, plans, strict=True)],
                                 weeks=weeks, seed=seed, now=now).items():  # fmt: skip
            _insert(model, rows, batch_size=batch_size, stamp=stamp)
            result.extras[model._meta.verbose_name_plural] = len(rows)
            result.extra_tables.append(model._meta.db_table)
    _assign_demo_coaches(plans, missing, coaches, batch_size=batch_size)
    result.squads_created = _seed_demo_squads(plans, missing, coaches)
    result.templates_created = _seed_demo_templates([coach, *coaches], exercises)
    result.athletes_created = len(plans)
    return result


def _seed_demo_squads(plans, indexes, coaches) -> int:
    """DEMO_SQUADS[k] coached by coaches[k], with the first SQUAD_SIZE of that coach's athletes of this run; a
    squad that exists (by name) is left untouched. A fixed number of queries. Returns how many were made."""
    taken = {name.lower() for name in Squad.objects.filter(name__in=DEMO_SQUADS).values_list("name", flat=True)}
    wanted = [(k, name) for k, name in enumerate(DEMO_SQUADS) if name.lower() not in taken]
    if not wanted:
        return 0
    squads = Squad.objects.bulk_create([Squad(name=name) for _, name in wanted])
    SquadCoach.objects.bulk_create(
        [SquadCoach(squad=squad, coach=coaches[k]) for (k, _), squad in zip(wanted, squads, strict=True)]
    )
    members = []
    for (k, _), squad in zip(wanted, squads, strict=True):
        own = [plan.profile for plan, index in zip(plans, indexes, strict=True) if (index - 1) % len(coaches) == k]
        members += [SquadAthlete(squad=squad, athlete=athlete) for athlete in own[:SQUAD_SIZE]]
    SquadAthlete.objects.bulk_create(members)
    return len(squads)


def _intervals(reps: int, meters: int, pace: tuple[int, int]) -> dict:
    return {
        "steps": [
            {"kind": "warmup", "duration": {"seconds": 900}},
            {
                "kind": "repeat",
                "times": reps,
                "steps": [
                    {
                        "kind": "work",
                        "duration": {"meters": meters},
                        "target": {"type": "pace", "low": pace[0], "high": pace[1]},
                    },
                    {"kind": "recovery", "duration": {"seconds": 120}},
                ],
            },
            {"kind": "cooldown", "duration": {"seconds": 600}},
        ]
    }


def _lifts(exercises: dict[str, str], names: list[str], percent: int) -> dict | None:
    """Exercise steps of 4 × 5 at `percent` %1RM (None when the catalogue lacks one of `names`)."""
    if any(name not in exercises for name in names):
        return None
    sets = [{"reps": 5, "percent1rm": percent, "rir": 2, "restSeconds": 150} for _ in range(4)]
    return {"steps": [{"kind": "exercise", "exerciseId": exercises[name], "sets": sets} for name in names]}


def _demo_session(week, day, at, title, modality, minutes, load, structure=None) -> dict:
    """A template session item as the API stores it (its workout validated and normalized as the API would)."""
    return {
        "week": week,
        "day": day,
        "time": at,
        "title": title,
        "modality": modality,
        "durationMinutes": minutes,
        "plannedLoad": float(load),
        "structure": validate_structure(structure) if structure else None,
    }


def demo_templates(exercises: dict[str, str]) -> list[dict]:
    """The demo's shared program templates: a 5k plan, a strength base and a ride block."""
    five_k = [
        session
        for week in range(1, 9)
        for session in (
            _demo_session(week, 2, "18:00", "Easy run", "run", 40, 200),
            _demo_session(week, 4, "06:30", "Intervals", "run", 55, 385, _intervals(4 + week // 2, 800, (225, 240))),
            _demo_session(week, 6, "09:30", "Long run", "run", 60 + 5 * week, 60 + 5 * week),
        )
    ]
    strength = [
        session
        for week in range(1, 7)
        for session in (
            _demo_session(
                week,
                1,
                "17:30",
                "Squat and press",
                "strength",
                60,
                420,
                _lifts(exercises, ["Back squat", "Bench press"], (72, 76, 80)[(week - 1) % 3]),
            ),
            _demo_session(
                week,
                4,
                "17:30",
                "Hinge and pull",
                "strength",
                60,
                420,
                _lifts(exercises, ["Deadlift", "Barbell row"], (72, 76, 80)[(week - 1) % 3]),
            ),
        )
    ]
    ride = [
        session
        for week in range(1, 5)
        for session in (
            _demo_session(week, 3, "19:00", "Sweet spot", "bike", 75, 450),
            _demo_session(week, 7, "08:00", "Endurance ride", "bike", 120 + 15 * week, 480),
        )
    ]
    return [
        {
            "title": "5k in 8 weeks",
            "description": "Three runs a week: easy, intervals at 5k pace, a long run that grows.",
            "weeks": 8,
            "phases": [
                {"name": "Base", "focus": "Aerobic", "startWeek": 1, "endWeek": 4},
                {"name": "Build", "focus": "5k pace", "startWeek": 5, "endWeek": 7},
                {"name": "Taper", "focus": "Freshness", "startWeek": 8, "endWeek": 8},
            ],
            "sessions": five_k,
        },
        {
            "title": "Strength base, 6 weeks",
            "description": "Two full-body days a week at 72–80 % 1RM, three-week waves.",
            "weeks": 6,
            "phases": [{"name": "Accumulation", "focus": "Volume", "startWeek": 1, "endWeek": 6}],
            "sessions": strength,
        },
        {
            "title": "Cycling build, 4 weeks",
            "description": "A sweet-spot ride midweek and a long weekend ride.",
            "weeks": 4,
            "phases": [{"name": "Build", "focus": "Sweet spot", "startWeek": 1, "endWeek": 4}],
            "sessions": ride,
        },
    ]


def _seed_demo_templates(owners: list, exercises: dict[str, str]) -> int:
    """The demo templates (shared, owned in turn by the head coach and the demo coaches) and two session templates;
    those whose title exists are left untouched. A fixed number of queries. Returns how many program templates
    were made."""
    existing = set(ProgramTemplate.objects.filter(shared=True).values_list("title", flat=True))
    templates = []
    for index, fields in enumerate(demo_templates(exercises)):
        if fields["title"] not in existing:
            template = ProgramTemplate(owner=owners[index % len(owners)], shared=True, **fields)
            # The fields' and the template's own rules, in memory (the database holds its constraints at the insert).
            template.clean_fields(exclude=["owner"])
            template.clean()
            templates.append(template)
    ProgramTemplate.objects.bulk_create(templates)
    existing = set(SessionTemplate.objects.filter(shared=True).values_list("title", flat=True))
    sessions = [
        SessionTemplate(
            owner=owners[0],
            title=title,
            modality=modality,
            duration_minutes=minutes,
            planned_load=load,
            structure=validate_structure(structure) if structure else None,
            shared=True,
        )
        for title, modality, minutes, load, structure in [
            ("Hill repeats", "run", 60, 420, _intervals(8, 200, (210, 230))),
            ("Recovery spin", "bike", 45, 150, None),
        ]
        if title not in existing
    ]
    SessionTemplate.objects.bulk_create(sessions)
    return len(templates)


def _seed_demo_coaches(password: str, result: SeedResult) -> list:
    """The coaches of DEMO_COACHES (group "Coaches"), made when missing; existing ones are left untouched."""
    user_model = get_user_model()
    existing = {u.username: u for u in user_model.objects.filter(username__in=DEMO_COACHES)}
    group = Group.objects.filter(name="Coaches").first()
    coaches = []
    for username in DEMO_COACHES:
        coach = existing.get(username)
        if coach is None:
            coach = user_model.objects.create_user(
                username=username, email=f"{username}@example.com", password=password, is_staff=True
            )
            if group is not None:
                coach.groups.add(group)
            result.coaches_created.append(username)
            result.coaches_password = password
        coaches.append(coach)
    return coaches


def _assign_demo_coaches(plans, indexes, coaches, *, batch_size: int) -> None:
    """Athlete number i to coaches[(i - 1) % len(coaches)]: each demo coach has their own athletes."""
    through = AthleteProfile.coaches.through
    rows = [
        through(athleteprofile_id=plan.profile.pk, user_id=coaches[(index - 1) % len(coaches)].pk)
        for plan, index in zip(plans, indexes, strict=True)
    ]
    through.objects.bulk_create(rows, batch_size=batch_size)


# --- A green demo: a connection profile for this database and a first check through checkdb -------------

DEMO_CREDENTIAL_REF = "env:DATABASE_URL"


@dataclass
class DemoCheck:
    environment: str
    profile_created: bool
    status: str
    error_code: str | None = None
    message: str | None = None


def seed_demo_connection_check(*, database: str = "default") -> DemoCheck:
    """Give `APP_ENVIRONMENT` a connection profile describing the database the demo runs on (unless it has
    one: an existing profile is never changed) and record a check of it through `checkdb_run`, the path
    `manage.py checkdb` takes, so /health/db and the admin index show a verdict right away.

    Runs after the seed's transaction has committed: the check reads the database over a connection of its own."""
    # Imported here: the demo data above does not need the ops code.
    from connections.models import DatabaseConnectionProfile
    from connections.services import ProfileProvisionError, checkdb_run, connection_profile_from_database

    environment = settings.APP_ENVIRONMENT
    created = False
    if not DatabaseConnectionProfile.objects.filter(environment=environment).exists():
        try:
            provision = connection_profile_from_database(
                credential_ref=DEMO_CREDENTIAL_REF, database=database, environment=environment
            )
        except ProfileProvisionError:
            pass  # unreachable or unmigrated: no profile, and the check below records why
        else:
            created = provision.action == "created"
    event = checkdb_run(environment=environment, database=database).event
    return DemoCheck(environment, created, event.status, event.error_code, event.message)


class Command(BaseCommand):
    help = (
        "Load demo data: a head coach login 'coach' (staff, in the Head coaches and Operations groups), two "
        f"coaches ({', '.join(DEMO_COACHES)}, group Coaches) who share the athletes between them, and athletes with a "
        "completed and a current program, phases, weekly "
        "micro-cycles and sessions (completed, skipped, missed and upcoming), many with a workout (run intervals at a "
        "pace or heart rate, rides at a power, swims, strength days of the exercise catalogue) and the sets done in "
        "the completed strength sessions, at loads that grow week by week; then a connection profile for this "
        "database (if APP_ENVIRONMENT has none) and a first check of it through checkdb. Idempotent: the coach "
        "and athletes that already exist (by username: coach, athlete0001, ...) are left untouched, so a second "
        "run changes no demo row. Deterministic for a given --seed and day. "
        "The coach's password (shared by the demo athletes) "
        f"comes from the {PASSWORD_ENV} environment variable; without it, it is '{DEBUG_PASSWORD}' when DEBUG is "
        "on and a random password that is never shown when DEBUG is off (set one later with "
        "`manage.py changepassword coach`). Credentials are printed only when DEBUG is on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--athletes", type=int, default=DEFAULT_ATHLETES, help="athletes to have (default 5)")
        parser.add_argument(
            "--weeks", type=int, default=DEFAULT_WEEKS, help=f"weeks of sessions per athlete, 2-{MAX_WEEKS}"
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 2026)")
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="rows per INSERT where COPY is not used (default 2000)"
        )

    def handle(self, *args, **options):
        with maintenance_timeouts():  # a bulk load and its ANALYZE run far longer than a request may
            self._seed(**options)

    def _seed(self, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            result = seed_demo(
                athletes=options["athletes"],
                weeks=options["weeks"],
                seed=options["seed"],
                batch_size=options["batch_size"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        check = seed_demo_connection_check()
        if result.athletes_created and dialect.is_postgresql(connection):
            # Fresh statistics after a bulk load: with the planner's stale estimates (empty tables) the first
            # metric queries choose nested loops over tens of thousands of rows.
            tables = [
                m._meta.db_table
                for m in (
                    AthleteProfile,
                    TrainingProgram,
                    ProgramPhase,
                    MicroCycle,
                    TrainingSession,
                    PerformedSet,
                    SeasonEvent,
                )
            ]
            tables += result.extra_tables
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        self.stdout.write(
            f"Athletes: {result.athletes_created} created, {result.athletes_existing} already there. "
            f"Created {result.programs} programs, {result.phases} phases, {result.micro_cycles} micro-cycles, "
            f"{result.sessions} sessions ({result.structured_sessions} with a workout), "
            f"{result.performed_sets} performed sets, {result.events} season events, "
            + "".join(f"{n} {kind}, " for kind, n in result.extras.items())
            + f"{result.squads_created} squads, "
            f"{result.templates_created} templates."
        )
        profile = "created" if check.profile_created else "already there"
        verdict = check.status.upper() + (
            f" [{check.error_code}] {(check.message or '').rstrip('.')}" if check.error_code else ""
        )
        self.stdout.write(f"Connection profile for '{check.environment}': {profile}; first check: {verdict}.")
        if not settings.DEBUG:
            self.stdout.write(
                f"Coach login '{result.coach_username}' {'created' if result.coach_created else 'exists'}"
                "; credentials are shown only with DEBUG on."
            )
        elif result.coach_password is not None:
            self.stdout.write(
                f"Demo login (DEBUG only): username {result.coach_username}, password {result.coach_password} "
                f"(athletes: {ATHLETE_USERNAME.format(1)} ... with the same password). Admin: /admin/"
            )
        else:
            self.stdout.write(
                f"Demo login (DEBUG only): username {result.coach_username}; its password was set when it was "
                "created and is unchanged."
            )
        if settings.DEBUG and result.coaches_created:
            for offset, name in enumerate(DEMO_COACHES):
                if name in result.coaches_created:
                    first, second = (ATHLETE_USERNAME.format(i) for i in (offset + 1, offset + 3))
                    self.stdout.write(
                        f"Coach login (DEBUG only): username {name}, password {result.coaches_password} "
                        f"(a coach: sees only their own athletes, {first}, {second}, ...)"
                    )
            self.stdout.write(f"Head coach: {result.coach_username} (sees every athlete; also operations).")
