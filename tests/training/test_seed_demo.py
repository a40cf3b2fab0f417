"""`manage.py seed_demo`: idempotent, deterministic demo data that keeps every model rule."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from athletes.models import AthleteProfile
from training.management.commands import seed_demo as seed_module
from training.management.commands.seed_demo import (
    DEBUG_PASSWORD,
    LOCAL_TIMES,
    PASSWORD_ENV,
    plan_athlete,
    seed_demo,
)
from training.models import (
    MicroCycle,
    PlanStatus,
    ProgramPhase,
    SessionStatus,
    TrainingProgram,
    TrainingSession,
)
from training.plan_report import plan_report

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MODELS = (AthleteProfile, TrainingProgram, ProgramPhase, MicroCycle, TrainingSession)


@pytest.fixture(autouse=True)
def _no_password_from_env(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def run(*args: str, debug: bool = False) -> str:
    out = StringIO()
    with override_settings(DEBUG=debug):
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Every seeded row's id, version and updated_at, plus the users' password hashes."""
    rows = {model.__name__: set(model.objects.values_list("id", "version", "updated_at")) for model in MODELS}
    rows["users"] = set(get_user_model().objects.values_list("id", "username", "password", "last_login"))
    return rows


# --- what the default run creates --------------------------------------------------------------------


def test_default_run_creates_a_staff_coach_and_a_few_athletes_each_with_a_user():
    run()
    coach = get_user_model().objects.get(username="coach")
    assert coach.is_staff and coach.is_active and not coach.is_superuser
    # the role groups give the coach the admin's training models and the operations pages
    assert set(coach.groups.values_list("name", flat=True)) == {"Head coaches", "Operations"}
    assert coach.has_perm("training.change_trainingsession") and coach.has_perm("health.view_connectionhealthevent")
    profiles = AthleteProfile.objects.select_related("user")
    assert 3 <= profiles.count() <= 10
    assert all(not p.user.is_staff for p in profiles)
    assert len({p.timezone for p in profiles}) > 1  # timezones vary, so "today" differs between athletes


def test_each_athlete_has_one_current_program_with_today_inside_and_a_past_completed_one():
    seed_demo(athletes=4, weeks=12, now=NOW)
    for profile in AthleteProfile.objects.all():
        today = NOW.astimezone(profile.tzinfo).date()
        programs = list(profile.programs.order_by("start_date"))
        assert [p.status for p in programs] == [PlanStatus.COMPLETED, PlanStatus.CURRENT]
        past, current = programs
        assert past.end_date < today
        assert current.start_date <= today <= current.end_date
        assert past.end_date + timedelta(days=1) == current.start_date


def test_phases_and_cycles_are_completed_current_or_planned_by_the_athletes_today():
    seed_demo(athletes=4, weeks=12, now=NOW)
    for program in TrainingProgram.objects.filter(status=PlanStatus.CURRENT).select_related("athlete"):
        today = NOW.astimezone(program.athlete.tzinfo).date()
        current = program.phases.get(status=PlanStatus.CURRENT)
        assert current.start_date <= today <= current.end_date
        assert not program.phases.filter(status=PlanStatus.COMPLETED, end_date__gte=today).exists()
        assert not program.phases.filter(status=PlanStatus.PLANNED, start_date__lte=today).exists()
        assert program.micro_cycles.filter(status=PlanStatus.CURRENT).count() == 1
        # readiness is reported for weeks that have begun, not for planned ones
        assert not program.micro_cycles.filter(status=PlanStatus.PLANNED, readiness_score__isnull=False).exists()
    for program in TrainingProgram.objects.filter(status=PlanStatus.COMPLETED):
        assert set(program.phases.values_list("status", flat=True)) == {PlanStatus.COMPLETED}
        assert set(program.micro_cycles.values_list("status", flat=True)) == {PlanStatus.COMPLETED}


def test_sessions_in_the_past_are_completed_skipped_or_missed_and_future_ones_planned():
    run()
    sessions = TrainingSession.objects
    now = datetime.now(UTC)
    assert sessions.filter(status=SessionStatus.COMPLETED, scheduled_at__lt=now).exists()
    assert sessions.filter(status=SessionStatus.SKIPPED, scheduled_at__lt=now).exists()
    assert sessions.filter(status=SessionStatus.PLANNED, scheduled_at__lt=now).exists()  # missed
    assert sessions.filter(status=SessionStatus.PLANNED, scheduled_at__gte=now).exists()
    assert not sessions.filter(scheduled_at__gte=now).exclude(status=SessionStatus.PLANNED).exists()
    assert not sessions.filter(status=SessionStatus.COMPLETED, completed_at__isnull=True).exists()
    assert not sessions.exclude(status=SessionStatus.COMPLETED).filter(completed_at__isnull=False).exists()
    assert not sessions.filter(status=SessionStatus.COMPLETED, completed_at__gt=now).exists()


def test_sessions_are_at_a_daytime_hour_in_the_athletes_timezone():
    seed_demo(athletes=6, weeks=4, now=NOW)
    for session in TrainingSession.objects.select_related("athlete"):
        assert session.scheduled_at.astimezone(session.athlete.tzinfo).time() in LOCAL_TIMES


def test_seeded_programs_have_every_derived_metric():
    seed_demo(athletes=3, weeks=12, now=NOW)
    for program in TrainingProgram.objects.filter(status=PlanStatus.CURRENT).with_metrics(now=NOW):
        assert program.current_phase_id == program.phases.get(status=PlanStatus.CURRENT).pk
        assert program.next_session_id is not None
        assert program.adherence_rate is not None and 0 < program.adherence_rate < 1
        assert 0 < program.completed_weeks < program.total_weeks == 9


# --- the rules hold ---------------------------------------------------------------------------------


def test_every_seeded_row_passes_full_clean():
    seed_demo(athletes=2, weeks=6, now=NOW)
    checked = 0
    for model in MODELS:
        for row in model.objects.all():
            row.full_clean()
            checked += 1
    assert checked == 2 + 4 + 2 * (1 + 3) + 2 * 6 + 2 * 6 * 3
    assert_plan_coherent()


def assert_plan_coherent():
    """Every session in its phase's dates and its cycle's week, every cycle's week in its phase, and the
    rest of the plan-coherence rules (full_clean does not judge a loaded session's placement again)."""
    report = plan_report(django_apps)
    assert report.empty, report.lines()


def test_a_sample_of_a_larger_run_passes_full_clean():
    seed_demo(athletes=12, weeks=20, now=NOW)
    for model in MODELS:
        rows = list(model.objects.order_by("pk"))
        for row in rows[:: max(1, len(rows) // 15)]:  # an even spread over the run, the same every time
            row.full_clean()
    assert_plan_coherent()


def test_rows_have_time_ordered_uuid7_ids_timestamps_and_version_1():
    before = datetime.now(UTC)
    seed_demo(athletes=2, weeks=4, now=NOW)
    after = datetime.now(UTC)
    for model in MODELS:
        rows = list(model.objects.all())
        assert rows
        for row in rows:
            assert row.pk.version == 7
            assert before <= row.created_at <= row.updated_at <= after
            assert row.version == 1
    # built parents first, so a parent's id sorts before its children's
    for session in TrainingSession.objects.select_related("program", "micro_cycle"):
        assert session.program.pk < session.micro_cycle.pk < session.pk


# --- idempotent, deterministic, scalable ------------------------------------------------------------


def test_second_run_changes_nothing():
    run()
    before = snapshot()
    output = run()
    assert snapshot() == before
    assert "0 created" in output


def test_second_run_with_more_athletes_adds_only_the_missing_ones():
    run("--athletes", "2", "--weeks", "4")
    before = snapshot()
    run("--athletes", "5", "--weeks", "4")
    after = snapshot()
    assert AthleteProfile.objects.count() == 5
    assert get_user_model().objects.filter(username__startswith="athlete").count() == 5
    for key, rows in before.items():
        assert rows <= after[key]  # nothing that existed was changed or removed


def test_small_run_creates_the_expected_counts():
    output = run("--athletes", "3", "--weeks", "4")
    # 4 weeks: a 1-week completed program (1 phase) and a 3-week current one (3 phases); 3 sessions a week
    assert AthleteProfile.objects.count() == 3
    assert TrainingProgram.objects.count() == 6
    assert ProgramPhase.objects.count() == 3 * (1 + 3)
    assert MicroCycle.objects.count() == 3 * 4
    assert TrainingSession.objects.count() == 3 * 4 * 3
    assert "3 created" in output and "36 sessions" in output


def test_weeks_scale_the_sessions_per_athlete():
    seed_demo(athletes=2, weeks=52, now=NOW)
    assert TrainingSession.objects.count() == 2 * 52 * 3
    assert MicroCycle.objects.count() == 2 * 52
    for profile in AthleteProfile.objects.all():
        weeks = [p.total_weeks for p in profile.programs.order_by("start_date")]
        assert weeks == [13, 39]


def test_same_seed_gives_the_same_data_and_another_seed_differs():
    def fields(plan):
        return (
            plan.user.username,
            plan.profile.display_name,
            plan.profile.timezone,
            plan.profile.primary_goal,
            [(p.title, p.start_date, p.end_date, p.macro_cycle) for p in plan.programs],
            [(s.scheduled_at, s.status, s.modality, s.duration_minutes, s.load) for s in plan.sessions],
        )

    def plan(seed):
        return plan_athlete(index=7, weeks=12, seed=seed, now=NOW, password_hash="x")

    assert fields(plan(1)) == fields(plan(1))
    assert fields(plan(1)) != fields(plan(2))


def test_bulk_inserts_keep_the_query_count_independent_of_the_athletes(django_assert_max_num_queries):
    # The first run also makes the three coach logins, two squads and the demo templates.
    with django_assert_max_num_queries(37):
        seed_demo(athletes=2, weeks=4, now=NOW)
    AthleteProfile.objects.all().delete()  # cascades to the training rows; the users stay
    get_user_model().objects.filter(username__startswith="athlete").delete()
    # + the demo coaches' look-up, the assignments' one INSERT, the exercises' look-up and the performed sets'
    # INSERTs (SQLite's bulk_create cuts every model's rows into statements of at most 999 parameters), and
    # whether the squads and the templates exist, and the events' INSERT, and the wellness entries' INSERTs (a
    # thousand daily check-ins, 14 columns each: on SQLite, 71 rows a statement; on PostgreSQL one COPY; the
    # sessions' rows, with their activity column, take one statement more of SQLite's 999 parameters), and the
    # stored one-rep-max estimates (the sets' read, one DELETE, one INSERT; PostgreSQL's advisory locks first)
    with django_assert_max_num_queries(35 if connection.vendor == "postgresql" else 56):
        seed_demo(athletes=40, weeks=4, now=NOW)
    assert TrainingSession.objects.count() == 40 * 4 * 3


def test_a_failure_leaves_nothing_behind(monkeypatch):
    real_insert = seed_module._insert

    def insert_then_fail(model, rows, **kwargs):
        real_insert(model, rows, **kwargs)
        if model is TrainingSession:  # the last step: everything else has been written by now
            raise RuntimeError("disk full")

    monkeypatch.setattr(seed_module, "_insert", insert_then_fail)
    with pytest.raises(RuntimeError):
        seed_demo(athletes=2, weeks=4, now=NOW)
    assert not get_user_model().objects.exists()
    for model in MODELS:
        assert not model.objects.exists()


# --- credentials --------------------------------------------------------------------------------------


def test_with_debug_the_credentials_are_printed_and_work():
    output = run(debug=True)
    assert "coach" in output and DEBUG_PASSWORD in output
    assert get_user_model().objects.get(username="coach").check_password(DEBUG_PASSWORD)
    assert get_user_model().objects.get(username="athlete0001").check_password(DEBUG_PASSWORD)


def test_without_debug_no_password_is_printed_and_the_default_is_not_used():
    output = run(debug=False)
    coach = get_user_model().objects.get(username="coach")
    assert coach.has_usable_password()
    assert not coach.check_password(DEBUG_PASSWORD)  # random, not the well-known demo password
    assert DEBUG_PASSWORD not in output
    assert "password" not in output.lower()


def test_without_debug_the_password_is_random_per_database(monkeypatch):
    passwords = []
    monkeypatch.setattr(seed_module.secrets, "token_urlsafe", lambda n: passwords.append(n) or f"random-{n}-pw")
    output = run(debug=False)
    assert passwords and "random-" not in output
    assert get_user_model().objects.get(username="coach").check_password(f"random-{passwords[0]}-pw")


def test_password_from_the_environment_is_used_and_not_printed_without_debug(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "from-the-vault-42")
    output = run(debug=False)
    assert "from-the-vault-42" not in output
    assert get_user_model().objects.get(username="coach").check_password("from-the-vault-42")


def test_second_run_with_debug_does_not_reset_or_reveal_a_changed_password():
    run(debug=True)
    coach = get_user_model().objects.get(username="coach")
    coach.set_password("changed-by-the-coach")
    coach.save()
    output = run(debug=True)
    coach.refresh_from_db()
    assert coach.check_password("changed-by-the-coach")
    assert DEBUG_PASSWORD not in output and "changed-by-the-coach" not in output


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--weeks", "1"],
        ["--weeks", "0"],
        ["--weeks", "521"],
        ["--athletes", "-1"],
        ["--batch-size", "0"],
    ],
)
def test_out_of_range_arguments_are_refused_and_nothing_is_written(args):
    with pytest.raises(CommandError):
        run(*args)
    assert not get_user_model().objects.exists()


def test_zero_athletes_creates_only_the_coaches():
    run("--athletes", "0")
    assert set(get_user_model().objects.values_list("username", flat=True)) == {"coach", "coach-anna", "coach-ben"}
    assert not AthleteProfile.objects.exists()


@pytest.mark.parametrize("weeks", [2, 3, 7])
def test_short_seasons_still_keep_every_rule(weeks):
    seed_demo(athletes=2, weeks=weeks, now=NOW)
    assert MicroCycle.objects.count() == 2 * weeks
    for model in MODELS:
        for row in model.objects.all():
            row.full_clean()
    assert_plan_coherent()


# --- coaches with their own athletes --------------------------------------------------------------------


def test_two_coaches_share_the_athletes_and_the_head_coach_sees_them_all():
    from athletes.selectors import athlete_list
    from core import roles

    seed_demo(athletes=5, weeks=4, now=NOW)
    users = get_user_model().objects
    anna, ben, head = (users.get(username=name) for name in ("coach-anna", "coach-ben", "coach"))
    assert roles.user_roles(anna) == ["coach"] and roles.user_roles(ben) == ["coach"]
    assert roles.user_roles(head) == ["head_coach", "operations"]
    by = {c.username: set(athlete_list(user=c).values_list("user__username", flat=True)) for c in (anna, ben, head)}
    assert by["coach-anna"] == {"athlete0001", "athlete0003", "athlete0005"}
    assert by["coach-ben"] == {"athlete0002", "athlete0004"}
    assert by["coach"] == by["coach-anna"] | by["coach-ben"]
    # Each coach sees the training rows of their own athletes only.
    anna_sessions = TrainingSession.objects.filter(athlete__coaches=anna)
    assert anna_sessions.exists()
    assert not anna_sessions.filter(athlete__user__username="athlete0002").exists()


def test_a_second_run_leaves_the_coaches_and_assignments_as_they_were():
    seed_demo(athletes=3, weeks=4, now=NOW)
    through = AthleteProfile.coaches.through
    before = set(through.objects.values_list("athleteprofile_id", "user_id")), snapshot()
    result = seed_demo(athletes=3, weeks=4, now=NOW)
    assert result.coaches_created == []
    assert (set(through.objects.values_list("athleteprofile_id", "user_id")), snapshot()) == before
    # More athletes later: the new ones are assigned too, the old ones keep their coach.
    seed_demo(athletes=4, weeks=4, now=NOW)
    assert through.objects.filter(user__username="coach-ben").count() == 2


def test_with_debug_every_demo_login_is_printed():
    output = run("--athletes", "2", "--weeks", "2", debug=True)
    assert "username coach-anna, password " + DEBUG_PASSWORD in output
    assert "username coach-ben, password " + DEBUG_PASSWORD in output
    assert "Head coach: coach" in output
    assert get_user_model().objects.get(username="coach-anna").check_password(DEBUG_PASSWORD)
    assert "coach-anna" not in run("--athletes", "2", "--weeks", "2", debug=True)  # not made again


def test_without_debug_no_coach_password_is_printed():
    output = run("--athletes", "1", "--weeks", "2", debug=False)
    assert "coach-anna" not in output and "password" not in output.lower()


def test_two_squads_each_of_one_coachs_athletes_seen_by_that_coach():
    from athletes.models import Squad
    from athletes.selectors import squad_list

    result = seed_demo(athletes=5, weeks=4, now=NOW)
    assert result.squads_created == 2
    users = get_user_model().objects
    anna, ben = users.get(username="coach-anna"), users.get(username="coach-ben")
    runners, club = Squad.objects.get(name="Road runners"), Squad.objects.get(name="Strength club")
    assert list(squad_list(user=anna)) == [runners] and list(squad_list(user=ben)) == [club]
    assert set(runners.athletes.values_list("user__username", flat=True)) == {
        "athlete0001",
        "athlete0003",
        "athlete0005",
    }
    assert set(club.athletes.values_list("user__username", flat=True)) == {"athlete0002", "athlete0004"}
    # A second run leaves them as they are.
    runners.athletes.clear()
    assert seed_demo(athletes=6, weeks=4, now=NOW).squads_created == 0
    assert not runners.athletes.exists()


def test_shared_demo_templates_apply_cleanly_and_a_second_run_adds_none():
    from athletes.models import AthleteProfile as Athlete
    from training.library.api import ProgramTemplateSerializer
    from training.library.models import ProgramTemplate, SessionTemplate
    from training.library.services import template_apply

    result = seed_demo(athletes=4, weeks=4, now=NOW)
    assert result.templates_created == 3
    assert set(ProgramTemplate.objects.values_list("title", flat=True)) == {
        "5k in 8 weeks",
        "Strength base, 6 weeks",
        "Cycling build, 4 weeks",
    }
    assert all(ProgramTemplate.objects.values_list("shared", flat=True))
    assert SessionTemplate.objects.filter(shared=True).count() == 2
    head = get_user_model().objects.get(username="coach")
    for template in ProgramTemplate.objects.all():
        # Each is what the API would accept as it is, and applies to the demo athletes.
        body = ProgramTemplateSerializer(template).data
        again = ProgramTemplateSerializer(data={k: body[k] for k in ("title", "weeks", "phases", "sessions")})
        assert again.is_valid(), again.errors
        template.full_clean()
        ids = list(Athlete.objects.values_list("pk", flat=True)[:2])
        assert len(template_apply(template=template, athlete_ids=ids, start_date=NOW.date(), actor=head)) == 2
    strength = ProgramTemplate.objects.get(title="Strength base, 6 weeks")
    assert all(s["structure"] for s in strength.sessions)  # the catalogue's lifts are there
    assert seed_demo(athletes=5, weeks=4, now=NOW).templates_created == 0


def test_every_athlete_has_an_a_race_ahead_on_their_seasons_last_day_and_a_test_behind():
    from training.season.models import SeasonEvent

    result = seed_demo(athletes=6, weeks=12, now=NOW)
    assert result.events == SeasonEvent.objects.count() >= 12
    for athlete in AthleteProfile.objects.all():
        today = NOW.astimezone(athlete.tzinfo).date()
        current = athlete.programs.get(status="current")
        races = list(SeasonEvent.objects.filter(athlete=athlete, priority="A"))
        assert [r.date for r in races] == [current.end_date] and current.end_date > today
        tests = SeasonEvent.objects.filter(athlete=athlete, priority="C", kind="test")
        assert tests.count() == 1 and tests.get().date < today
        for event in SeasonEvent.objects.filter(athlete=athlete):
            event.full_clean()
