"""Every per-process cache of the list read path (core.lists) ignores the request.

The caches (listed in core.lists): the compiled representation per serializer class, the compiled SQL per query
and database alias (a list page's derived columns per model, the Bearer token with its user, the caller's
permissions) and the form class per FilterSet class. Requests that differ in caller (head coach, coach, athlete;
a Bearer token or a session), in the athlete's timezone (so in "today") and in filters are made in one process
with the caches warm, in both orders, and each answer must be the one the same request gets with every cache
emptied right before it. The last tests break one cache's key on purpose and show the comparison notices.
"""

import json
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core import dialect
from core.lists import representation
from core.lists.compiled_sql import CompiledQuery
from core.lists.filters import FilterSet
from core.lists.page_statement import ListReads, list_reads_of
from core.lists.views import FastListMixin
from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory, HeadCoachFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db

# UTC+14 and UTC-11: whatever the instant, the two athletes' "today" differ (by one or two days).
EARLY_ZONE = "Pacific/Kiritimati"
LATE_ZONE = "Pacific/Pago_Pago"
APPS = {"core", "athletes", "training", "health", "connections", "calendars", "config"}


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _compiled_queries() -> list[CompiledQuery]:
    """Every CompiledQuery of the process: the module-level ones (the token, the permissions) and the page queries
    the lists' ListReads keep."""
    queries = [
        value
        for name, module in list(sys.modules.items())
        if name.split(".")[0] in APPS and module is not None
        for value in list(vars(module).values())
        if isinstance(value, CompiledQuery)
    ]
    for view in _subclasses(FastListMixin):
        reads = list_reads_of(view)
        if reads is not None:
            queries.extend(reads._queries.values())
    return queries


def clear_list_caches() -> None:
    """Empty every per-process cache of the list read path, as a fresh process starts."""
    representation.compiled.cache_clear()
    for view in _subclasses(FastListMixin):
        reads = list_reads_of(view)
        if reads is not None:
            reads._queries.clear()
    for query in _compiled_queries():
        query._compiled.clear()
    for filterset in (FilterSet, *_subclasses(FilterSet)):
        if "_form_class_once" in filterset.__dict__:
            delattr(filterset, "_form_class_once")


def _plan(athlete, modality, now):
    """A program around the late athlete's today: phase 1 ends on it, phase 2 starts the day after, so the
    current phase (by date) is phase 2 for the early athlete and phase 1 for the late one."""
    late_today = now.astimezone(timezone.get_fixed_timezone(-11 * 60)).date()
    start = late_today - timedelta(days=20)
    program = TrainingProgramFactory(athlete=athlete, start_date=start, end_date=start + timedelta(days=83))
    first = ProgramPhaseFactory(program=program, phase_order=1, start_date=start, end_date=late_today)
    second = ProgramPhaseFactory(
        program=program, phase_order=2, start_date=late_today + timedelta(days=1), end_date=program.end_date
    )
    MicroCycleFactory(program=program, phase=first, week_index=1)
    cycle = MicroCycleFactory(program=program, phase=second, week_index=4)
    TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=3), status="completed", modality=modality)
    TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=2), status="skipped", modality=modality)
    TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=1), modality=modality)
    TrainingSessionFactory(program=program, micro_cycle=cycle, modality=modality)
    TrainingSessionFactory(program=program, scheduled_at=now + timedelta(days=2), modality="strength")
    return program, first, second


@pytest.fixture
def world(monkeypatch):
    """Two coaches with one athlete each, on both sides of the date line, and a head coach; "now" held still
    so that the cold and the warm answers are read at the same instant."""
    now = datetime.now(UTC).replace(microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    coach_early, coach_late = CoachFactory(), CoachFactory()
    early = AthleteProfileFactory(display_name="Kiri Early", timezone=EARLY_ZONE)
    late = AthleteProfileFactory(display_name="Pago Late", timezone=LATE_ZONE)
    early.coaches.add(coach_early)
    late.coaches.add(coach_late)
    early_program, _, early_second = _plan(early, "run", now)
    late_program, late_first, _ = _plan(late, "bike", now)
    head_coach_session = APIClient()
    head_coach_session.force_login(HeadCoachFactory())  # a session: its permissions are read on their own
    callers = {
        "head coach (session)": head_coach_session,
        "coach of the early athlete": bearer_client(coach_early),
        "coach of the late athlete": bearer_client(coach_late),
        "early athlete": bearer_client(early.user),
        "late athlete": bearer_client(late.user),
    }
    requests = [
        ("head coach (session)", "/api/v1/programs/"),
        ("coach of the early athlete", "/api/v1/programs/"),
        ("late athlete", "/api/v1/programs/"),
        ("early athlete", "/api/v1/programs/?pagination=cursor&pageSize=1"),
        ("head coach (session)", f"/api/v1/programs/?athleteId={late.pk}&pageSize=1"),
        ("coach of the late athlete", "/api/v1/sessions/?modality=bike"),
        ("head coach (session)", "/api/v1/sessions/?modality=run&pageSize=2&page=2"),
        ("early athlete", "/api/v1/sessions/?status=planned&ordering=-scheduledAt"),
        ("late athlete", f"/api/v1/sessions/?scheduledAfter={now:%Y-%m-%dT%H:%M:%SZ}"),
        ("head coach (session)", f"/api/v1/micro-cycles/?phaseId={early_second.pk}"),
        ("late athlete", "/api/v1/micro-cycles/"),
        ("coach of the early athlete", "/api/v1/phases/?status=planned"),
        ("coach of the late athlete", f"/api/v1/phases/?programId={late_program.pk}&pagination=cursor"),
        ("head coach (session)", "/api/v1/athletes/?search=Kiri"),
        ("coach of the late athlete", "/api/v1/athletes/"),
        ("early athlete", "/api/v1/athletes/?primaryGoal=endurance"),
    ]
    plan = {
        "early": (early_program, early_second),
        "late": (late_program, late_first),
    }
    return callers, requests, plan


def _answer(callers, request):
    """The status and body the caller gets; an exception the request raised, as an answer of its own."""
    caller, url = request
    try:
        response = callers[caller].get(url)
    except Exception as exc:  # a cache keyed wrongly may break the request itself
        return "raised", repr(exc)
    return response.status_code, response.content


def _cold_answers(callers, requests, clear=clear_list_caches):
    answers = {}
    for request in requests:
        clear()
        answers[request] = _answer(callers, request)
        assert answers[request][0] == 200, (request, answers[request])
    return answers


def _warm_mismatches(callers, requests, cold, clear=clear_list_caches) -> list:
    """The requests whose answer, with the caches warm, differs from the cold one: every request once in the
    given order, then once in the reverse order, without emptying any cache in between."""
    clear()
    mismatches = []
    for request in [*requests, *reversed(requests)]:
        if _answer(callers, request) != cold[request]:
            mismatches.append(request)
    return mismatches


def test_every_list_cache_ignores_the_caller_the_timezone_and_the_filters(world):
    callers, requests, plan = world
    cold = _cold_answers(callers, requests)
    assert _warm_mismatches(callers, requests, cold) == []

    # The warm requests did use the caches ...
    assert representation.compiled.cache_info().hits > 0
    assert any("_form_class_once" in filterset.__dict__ for filterset in _subclasses(FilterSet))
    if dialect.is_postgresql("default"):
        compiled = [query for query in _compiled_queries() if query._compiled]
        assert len(compiled) >= 4  # the token, the permissions, the programs' and the micro-cycles' page rows
    # ... and the answers compared are each caller's own: the head coach sees both programs, each with the
    # current phase of its athlete's today; a coach sees only their athlete's.
    programs = {row["id"]: row for row in json.loads(cold[("head coach (session)", "/api/v1/programs/")][1])["results"]}
    for program, current_phase in plan.values():
        assert programs[str(program.pk)]["currentPhaseId"] == str(current_phase.pk)
    coach_programs = json.loads(cold[("coach of the early athlete", "/api/v1/programs/")][1])["results"]
    assert [row["id"] for row in coach_programs] == [str(plan["early"][0].pk)]


# --- The comparison notices a cache keyed wrongly ----------------------------------------------------------


def _representation_of_the_first_class(monkeypatch, kept):
    """The compiled representation kept for whichever serializer class asked first."""
    original = representation.compiled

    def compiled(serializer_class):
        return kept.setdefault("represent", original(serializer_class))

    compiled.cache_clear = original.cache_clear
    monkeypatch.setattr(representation, "compiled", compiled)


def _form_class_of_the_first_filterset(monkeypatch, kept):
    """The form class kept for whichever FilterSet class asked first, shared by every resource's FilterSet."""
    build = FilterSet.__mro__[1].get_form_class  # django-filter's own, which builds a new class

    def get_form_class(self):
        return kept.setdefault("form_class", build(self))

    monkeypatch.setattr(FilterSet, "get_form_class", get_form_class)


def _page_sql_of_the_first_list(monkeypatch, kept):
    """The compiled page query kept for whichever list asked first, whatever its model and derived columns."""
    build = ListReads.compiled

    def compiled(self, model):
        return kept.setdefault("query", build(self, model))

    monkeypatch.setattr(ListReads, "compiled", compiled)


def _rows_of_the_first_values(monkeypatch, kept):
    """A compiled query's rows kept per query and alias, whatever values the request gives (the token's key, a
    page's ids and instant)."""
    run = CompiledQuery.rows

    def rows(self, using, **values):
        return kept.setdefault((self, using), run(self, using, **values))

    monkeypatch.setattr(CompiledQuery, "rows", rows)


@pytest.mark.parametrize(
    "break_cache",
    [
        _representation_of_the_first_class,
        _form_class_of_the_first_filterset,
        pytest.param(_page_sql_of_the_first_list, marks=pytest.mark.postgres),
        pytest.param(_rows_of_the_first_values, marks=pytest.mark.postgres),
    ],
)
def test_the_comparison_notices_a_cache_that_ignores_its_key(world, monkeypatch, break_cache):
    callers, requests, _ = world
    kept = {}
    break_cache(monkeypatch, kept)

    def clear():
        clear_list_caches()
        kept.clear()

    cold = _cold_answers(callers, requests, clear)
    assert _warm_mismatches(callers, requests, cold, clear) != []
