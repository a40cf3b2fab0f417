"""The admin is scoped like the API (docs/api.md, Roles): a coach's changelists, change pages, autocompletes,
filters and bulk actions never show or touch another coach's athletes; head coaches see everyone and assign
coaches; operations reach connection profiles, health events and "Run check now", nothing of training."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from athletes.models import AthleteProfile
from health.models import ConnectionHealthEvent
from tests.support.factories.athletes import (
    AthleteProfileFactory,
    CoachFactory,
    HeadCoachFactory,
    OperationsFactory,
    StaffFactory,
    UserFactory,
)
from tests.support.factories.training import (
    TrainingSessionFactory,
)
from tests.support.profiles import live_profile, run_check
from tests.support.world import plan
from training.models import TrainingProgram, TrainingSession

pytestmark = pytest.mark.django_db
User = get_user_model()

ADMINS = {
    "athletes": ("athletes", "athleteprofile"),
    "programs": ("training", "trainingprogram"),
    "phases": ("training", "programphase"),
    "micro-cycles": ("training", "microcycle"),
    "sessions": ("training", "trainingsession"),
}


@pytest.fixture
def world_options():
    """The search below looks for "Theirs": only B's rows carry it. No operations rows."""
    return {"names": ("Mine Athlete", "Theirs Athlete"), "operations_rows": False}


def _login(client, user):
    client.force_login(user)
    return client


def _changelist_ids(client, resource, **params):
    app, model = ADMINS[resource]
    response = client.get(reverse(f"admin:{app}_{model}_changelist"), params)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize("resource", list(ADMINS))
def test_a_coachs_changelists_hold_only_their_athletes_rows(client, world, resource):
    _login(client, world["coach"])
    assert _changelist_ids(client, resource) == {world["A"][resource].pk}
    # Searching for the other athlete's name finds nothing.
    assert _changelist_ids(client, resource, q="Theirs") == set()


@pytest.mark.parametrize("resource", list(ADMINS))
def test_a_head_coach_sees_every_row(client, world, resource):
    _login(client, HeadCoachFactory())
    assert _changelist_ids(client, resource) == {world["A"][resource].pk, world["B"][resource].pk}


def test_a_coach_without_athletes_sees_empty_changelists(client, world):
    _login(client, CoachFactory())
    for resource in ADMINS:
        assert _changelist_ids(client, resource) == set()


@pytest.mark.parametrize("resource", list(ADMINS))
def test_another_coachs_change_page_is_not_found_and_a_post_changes_nothing(client, world, resource):
    _login(client, world["coach"])
    app, model = ADMINS[resource]
    obj = world["B"][resource]
    url = reverse(f"admin:{app}_{model}_change", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    version = type(obj).objects.get(pk=obj.pk).version
    assert client.post(url, {"display_name": "Hijacked", "title": "Hijacked"}).status_code == 302
    assert type(obj).objects.get(pk=obj.pk).version == version
    # ... and its history and delete pages too.
    assert client.get(reverse(f"admin:{app}_{model}_history", args=[obj.pk])).status_code in (302, 404)
    # The coach's own row opens.
    assert client.get(reverse(f"admin:{app}_{model}_change", args=[world["A"][resource].pk])).status_code == 200


def _autocomplete(client, app, model, field, term=""):
    url = reverse("admin:autocomplete")
    response = client.get(url, {"app_label": app, "model_name": model, "field_name": field, "term": term})
    assert response.status_code == 200, response.content
    return {row["id"] for row in json.loads(response.content)["results"]}


@pytest.mark.parametrize(
    ("source", "field", "target"),
    [
        (("training", "trainingprogram"), "athlete", "athletes"),
        (("training", "programphase"), "program", "programs"),
        (("training", "microcycle"), "program", "programs"),
        (("training", "microcycle"), "phase", "phases"),
        (("training", "trainingsession"), "program", "programs"),
        (("training", "trainingsession"), "phase", "phases"),
        (("training", "trainingsession"), "micro_cycle", "micro-cycles"),
    ],
)
def test_autocompletes_offer_only_the_coachs_rows(client, world, source, field, target):
    _login(client, world["coach"])
    assert _autocomplete(client, *source, field) == {str(world["A"][target].pk)}
    _login(client, HeadCoachFactory())
    assert _autocomplete(client, *source, field) == {str(world["A"][target].pk), str(world["B"][target].pk)}


def test_the_login_autocomplete_hides_other_coaches_athletes(client, world):
    free = UserFactory(username="free-login")
    _login(client, world["coach"])
    ids = _autocomplete(client, "athletes", "athleteprofile", "user")
    assert str(free.pk) in ids
    # A login that already has a profile cannot become another athlete's: not offered, the coach's own or not.
    assert str(world["A"]["athletes"].user_id) not in ids
    assert str(world["B"]["athletes"].user_id) not in ids
    # The user changelist hides other coaches' athletes.
    response = client.get(reverse("admin:auth_user_changelist"))
    shown = {u.pk for u in response.context["cl"].result_list}
    assert world["B"]["athletes"].user_id not in shown and free.pk in shown


def test_a_program_form_naming_another_coachs_athlete_is_refused(client, world):
    _login(client, world["coach"])
    before = TrainingProgram.objects.count()
    response = client.post(
        reverse("admin:training_trainingprogram_add"),
        {
            "athlete": str(world["B"]["athletes"].pk),
            "title": "Sneaky",
            "start_date": "2030-01-01",
            "end_date": "2030-02-01",
            "macro_cycle": "",
            "status": "planned",
            "phases-TOTAL_FORMS": "0",
            "phases-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "athlete" in response.context["adminform"].form.errors
    assert TrainingProgram.objects.count() == before


def test_the_sessions_athlete_filter_lists_only_the_coachs_athletes(client, world):
    # The athlete filter is an autocomplete: its suggestions come from the admin's autocomplete view for the
    # sessions' athlete field, which starts from the athlete admin's (scoped) queryset.
    second = AthleteProfileFactory(display_name="Second Mine")
    second.coaches.set([world["coach"]])
    plan(second, world.start)
    _login(client, world["coach"])
    response = client.get(reverse("admin:training_trainingsession_changelist"))
    assert any(getattr(f, "field_path", "") == "athlete" for f in response.context["cl"].filter_specs)
    assert "Theirs Athlete" not in response.content.decode()
    suggestions = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "training", "model_name": "trainingsession", "field_name": "athlete", "term": ""},
    ).json()["results"]
    assert {row["id"] for row in suggestions} == {str(world["A"]["athletes"].pk), str(second.pk)}


def test_the_program_filter_does_not_name_another_coachs_program(client, world):
    _login(client, world["coach"])
    theirs = world["B"]["programs"]
    response = client.get(reverse("admin:training_trainingsession_changelist"), {"program__id__exact": str(theirs.pk)})
    assert response.status_code == 200
    assert theirs.title not in response.content.decode()
    assert world["B"]["sessions"] not in list(response.context["cl"].result_list)


def test_a_bulk_action_never_touches_another_coachs_sessions(client, world):
    _login(client, world["coach"])
    mine, theirs = world["A"]["sessions"], world["B"]["sessions"]
    client.post(
        reverse("admin:training_trainingsession_changelist"),
        {"action": "mark_skipped", "_selected_action": [str(mine.pk), str(theirs.pk)]},
        follow=True,
    )
    assert TrainingSession.objects.get(pk=mine.pk).status == "skipped"
    assert TrainingSession.objects.get(pk=theirs.pk).status == "planned"


def test_a_coach_adds_an_athlete_with_a_new_login_and_is_assigned(client, world):
    _login(client, world["coach"])
    response = client.post(
        reverse("admin:athletes_athleteprofile_add"),
        {
            "new_username": "newbie",
            "new_email": "newbie@example.com",
            "display_name": "Newbie",
            "timezone": "Europe/Oslo",
            "primary_goal": "strength",
            "coach_notes": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    profile = AthleteProfile.objects.get(display_name="Newbie")
    assert profile.user.username == "newbie" and not profile.user.has_usable_password()
    assert list(profile.coaches.all()) == [world["coach"]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "user"),  # neither
        ({"new_username": "x"}, "new_email"),
        ({"new_username": "bad name!", "new_email": "x@example.com"}, "new_username"),
        ({"new_username": "TAKEN", "new_email": "x@example.com"}, "new_username"),
    ],
)
def test_a_bad_new_login_in_the_admin_is_an_error_and_creates_nothing(client, world, data, field):
    UserFactory(username="taken")
    _login(client, world["coach"])
    users = User.objects.count()
    response = client.post(
        reverse("admin:athletes_athleteprofile_add"),
        {"display_name": "N", "timezone": "UTC", "primary_goal": "strength", "coach_notes": "", **data},
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert User.objects.count() == users and not AthleteProfile.objects.filter(display_name="N").exists()


def test_picking_a_user_and_a_new_login_together_is_an_error(client, world):
    _login(client, world["coach"])
    response = client.post(
        reverse("admin:athletes_athleteprofile_add"),
        {
            "user": str(UserFactory().pk),
            "new_username": "both",
            "new_email": "b@example.com",
            "display_name": "N",
            "timezone": "UTC",
            "primary_goal": "strength",
        },
    )
    assert response.status_code == 200 and response.context["adminform"].form.non_field_errors()
    assert not User.objects.filter(username="both").exists()


def test_coaches_are_read_only_for_a_coach_and_editable_for_a_head_coach(client, world):
    athlete = world["A"]["athletes"]
    url = reverse("admin:athletes_athleteprofile_change", args=[athlete.pk])
    _login(client, world["coach"])
    form = client.get(url).context["adminform"].form
    assert "coaches" not in form.fields
    head = HeadCoachFactory()
    _login(client, head)
    form = client.get(url).context["adminform"].form
    assert "coaches" in form.fields
    offered = {u.pk for u in form.fields["coaches"].queryset}
    assert {world["coach"].pk, world["other_coach"].pk, head.pk} <= offered
    assert StaffFactory().pk not in offered
    response = client.post(
        url,
        {
            "user": str(athlete.user_id),
            "coaches": [str(world["other_coach"].pk)],
            "display_name": athlete.display_name,
            "timezone": athlete.timezone,
            "primary_goal": athlete.primary_goal,
            "coach_notes": "",
        },
    )
    assert response.status_code == 302
    assert list(athlete.coaches.all()) == [world["other_coach"]]


def test_a_coachs_session_changelist_costs_the_same_for_5_and_30_sessions(client, world):
    _login(client, world["coach"])
    program = world["A"]["programs"]

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("admin:training_trainingsession_changelist")).status_code == 200
        return len(ctx.captured_queries)

    TrainingSessionFactory.create_batch(4, program=program, scheduled_at=world["A"]["sessions"].scheduled_at)
    few = count()
    TrainingSessionFactory.create_batch(25, program=program, scheduled_at=world["A"]["sessions"].scheduled_at)
    assert count() == few


# --- Operations and staff without a role ---------------------------------------------------------------


def test_operations_run_a_check_now_and_see_nothing_of_training(client, world):
    _login(client, OperationsFactory())
    profile = live_profile()
    response = run_check(client, profile)
    assert response.status_code == 200
    assert "Check of development: PASS" in response.content.decode()
    assert ConnectionHealthEvent.objects.filter(environment="development").count() == 1
    for app, model in ADMINS.values():
        assert client.get(reverse(f"admin:{app}_{model}_changelist")).status_code == 403
    assert _autocomplete_status(client, "training", "trainingprogram", "athlete") == 403


def _autocomplete_status(client, app, model, field):
    url = reverse("admin:autocomplete")
    return client.get(url, {"app_label": app, "model_name": model, "field_name": field}).status_code


def test_coaches_cannot_run_checks_or_see_operations(client, world):
    _login(client, world["coach"])
    assert client.get(reverse("admin:connections_databaseconnectionprofile_changelist")).status_code == 403
    assert client.get(reverse("admin:health_connectionhealthevent_changelist")).status_code == 403
    assert 'id="health-verdicts"' not in client.get(reverse("admin:index")).content.decode()


def test_staff_without_groups_reach_nothing(client, world):
    _login(client, StaffFactory())
    assert client.get(reverse("admin:index")).status_code == 200
    for app, model in [*ADMINS.values(), ("connections", "databaseconnectionprofile")]:
        assert client.get(reverse(f"admin:{app}_{model}_changelist")).status_code == 403


def test_the_invitation_action_mails_the_coachs_own_athletes_only(client, world):
    from django.core import mail

    _login(client, world["coach"])
    mine, theirs = world["A"]["athletes"], world["B"]["athletes"]
    response = client.post(
        reverse("admin:athletes_athleteprofile_changelist"),
        {"action": "send_invitation", "_selected_action": [str(mine.pk), str(theirs.pk)]},
        follow=True,
    )
    assert f"invitation e-mailed to {mine.user.email}" in response.content.decode()
    assert [m.to for m in mail.outbox] == [[mine.user.email]]
    assert "/account/set-password/" in mail.outbox[0].body


def test_the_invitation_action_shows_the_link_for_a_login_without_email(client, world):
    from django.core import mail

    mine = world["A"]["athletes"]
    mine.user.email = ""
    mine.user.save()
    _login(client, world["coach"])
    response = client.post(
        reverse("admin:athletes_athleteprofile_changelist"),
        {"action": "send_invitation", "_selected_action": [str(mine.pk)]},
        follow=True,
    )
    assert "hand over this link: http://testserver/account/set-password/" in response.content.decode()
    assert mail.outbox == []


def test_a_login_taken_between_the_form_check_and_the_save_is_a_message_not_a_500(client, world, monkeypatch):
    from django.core.exceptions import ValidationError

    from athletes import services

    def taken(**kwargs):
        raise ValidationError({"username": "A user with that username already exists."})

    monkeypatch.setattr(services, "athlete_user_create", taken)
    _login(client, world["coach"])
    response = client.post(
        reverse("admin:athletes_athleteprofile_add"),
        {
            "new_username": "racer",
            "new_email": "r@example.com",
            "display_name": "Racer",
            "timezone": "UTC",
            "primary_goal": "strength",
            "coach_notes": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Nothing was saved: A user with that username already exists." in response.content.decode()
    assert not AthleteProfile.objects.filter(display_name="Racer").exists()
