"""Athletes in the admin: IANA timezone from the list (errors on the field), current program on the list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from athletes.admin import AthleteProfileAdminForm, timezone_choices
from athletes.models import AthleteProfile
from tests.support.factories.athletes import AthleteProfileFactory, UserFactory
from tests.support.factories.training import TrainingProgramFactory
from training.models import PlanStatus

pytestmark = pytest.mark.django_db

ADD = reverse("admin:athletes_athleteprofile_add")
CHANGELIST = reverse("admin:athletes_athleteprofile_changelist")


def athlete_form(user, **overrides):
    data = {
        "user": str(user.pk),
        "display_name": "Ada Runner",
        "timezone": "Europe/Oslo",
        "primary_goal": "endurance",
        "coach_notes": "",
    }
    data.update(overrides)
    return data


def test_timezone_choices_are_the_sorted_iana_list():
    names = [name for name, _ in timezone_choices()]
    assert names == sorted(names)
    assert "Europe/Oslo" in names and "UTC" in names and "Mars/Olympus_Mons" not in names


def test_timezone_widget_suggests_the_iana_list():
    html = str(AthleteProfileAdminForm()["timezone"])
    assert 'list="id_timezone_options"' in html
    assert '<datalist id="id_timezone_options">' in html and '<option value="Europe/Oslo">' in html


def test_athlete_is_created_with_a_valid_timezone(admin_client):
    user = UserFactory()
    response = admin_client.post(ADD, athlete_form(user))
    assert response.status_code == 302
    assert AthleteProfile.objects.get(user=user).timezone == "Europe/Oslo"


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "europe/oslo", "", "Europe/Oslo "])
def test_invalid_timezone_is_an_error_on_the_timezone_field(admin_client, bad):
    response = admin_client.post(ADD, athlete_form(UserFactory(), timezone=bad))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == ["timezone"]
    assert not AthleteProfile.objects.exists()


def test_second_profile_for_a_user_is_an_error_on_user(admin_client):
    athlete = AthleteProfileFactory()
    response = admin_client.post(ADD, athlete_form(athlete.user))
    assert "user" in response.context["adminform"].form.errors


def test_blank_display_name_is_an_error_on_the_field(admin_client):
    response = admin_client.post(ADD, athlete_form(UserFactory(), display_name="   "))
    assert "display_name" in response.context["adminform"].form.errors


def test_user_is_picked_with_an_autocomplete(admin_client):
    html = admin_client.get(ADD).content.decode()
    assert 'class="admin-autocomplete' in html
    assert "<option value=" not in html.split('name="user"')[1].split("</select>")[0]


def test_changelist_shows_the_current_program_with_a_link(admin_client):
    athlete = AthleteProfileFactory()
    TrainingProgramFactory(athlete=athlete, title="Old block", status=PlanStatus.COMPLETED)
    current = TrainingProgramFactory(athlete=athlete, title="Spring block", status=PlanStatus.CURRENT)
    AthleteProfileFactory(display_name="No program")
    html = admin_client.get(CHANGELIST).content.decode()
    link = reverse("admin:training_trainingprogram_change", args=[current.pk])
    assert f'<a href="{link}">Spring block</a>' in html
    assert "Old block" not in html


def test_athlete_changelist_costs_the_same_with_5_and_50_rows(admin_client):
    counts = []
    for target in (5, 50):
        while AthleteProfile.objects.count() < target:
            TrainingProgramFactory(status=PlanStatus.CURRENT)
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(CHANGELIST)
        assert response.context["cl"].result_count == target
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
