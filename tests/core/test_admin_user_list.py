"""The admin's users for those who may only view them (coaches and head coaches hold `auth.view_user` to pick an
athlete's login): they see their own login, their athletes' logins and the logins that may become an athlete's,
never the superusers, operations or other coaches (nor their e-mail addresses), and no password hash summary.
Whoever may change users sees them all."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.support.factories.athletes import (
    AthleteProfileFactory,
    CoachFactory,
    HeadCoachFactory,
    OperationsFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
User = get_user_model()
CHANGELIST = reverse("admin:auth_user_changelist")


@pytest.fixture
def people():
    coach, other_coach = CoachFactory(username="coach-a"), CoachFactory(username="coach-b")
    mine, theirs = AthleteProfileFactory(), AthleteProfileFactory()
    mine.coaches.set([coach])
    theirs.coaches.set([other_coach])
    return {
        "coach": coach,
        "other coach": other_coach,
        "head coach": HeadCoachFactory(username="head"),
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True, email="root@example.com"),
        "operations": OperationsFactory(username="ops"),
        "my athlete": mine.user,
        "their athlete": theirs.user,
        "free login": UserFactory(username="free-login"),
    }


def _listed(client, **params) -> set[str]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return {user.username for user in response.context["cl"].result_list}


def _names(people, *keys) -> set[str]:
    return {people[key].username for key in keys}


def test_a_coach_lists_only_themself_their_athletes_and_free_logins(client, people):
    client.force_login(people["coach"])
    assert _listed(client) == _names(people, "coach", "my athlete", "free login")
    # A search does not reach beyond the list either.
    assert _listed(client, q="root") == set()
    page = client.get(CHANGELIST).content.decode()
    assert "root@example.com" not in page and "ops" not in _listed(client, q="ops")


def test_a_head_coach_without_change_user_lists_every_athlete_but_no_other_staff(client, people):
    client.force_login(people["head coach"])
    assert _listed(client) == _names(people, "head coach", "my athlete", "their athlete", "free login")


STAFF = ["superuser", "operations", "other coach", "head coach", "coach"]


@pytest.mark.parametrize(
    ("requester", "target"),
    [(requester, target) for requester in ("coach", "head coach") for target in STAFF if target != requester],
)
def test_a_view_only_users_change_page_of_other_staff_is_not_found(client, people, requester, target):
    client.force_login(people[requester])
    victim = people[target]
    response = client.get(reverse("admin:auth_user_change", args=[victim.pk]))
    # Not found: the admin's answer for an object outside the queryset (as for another coach's athlete).
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:auth_user_history", args=[victim.pk])).status_code in (302, 404)
    assert client.get(reverse("admin:auth_user_password_change", args=[victim.pk])).status_code in (403, 404)
    # The autocomplete of the athlete form's login does not offer them either.
    params = {"app_label": "athletes", "model_name": "athleteprofile", "field_name": "user", "term": victim.username}
    assert json.loads(client.get(reverse("admin:autocomplete"), params).content)["results"] == []


def test_a_coach_sees_their_athletes_login_without_the_password_hash_summary(client, people):
    client.force_login(people["coach"])
    response = client.get(reverse("admin:auth_user_change", args=[people["my athlete"].pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert people["my athlete"].username in page
    assert "algorithm" not in page and "md5" not in page.lower() and "pbkdf2" not in page
    assert "password" not in {f for fs in response.context["adminform"].fieldsets for f in fs[1]["fields"]}
    # Their own page neither: a view-only user sees no hash summary.
    own = client.get(reverse("admin:auth_user_change", args=[people["coach"].pk]))
    assert own.status_code == 200 and "algorithm" not in own.content.decode()


def test_another_coachs_athletes_login_is_not_found_for_a_coach(client, people):
    client.force_login(people["coach"])
    response = client.get(reverse("admin:auth_user_change", args=[people["their athlete"].pk]))
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_a_superuser_sees_every_user_and_the_hash_summary(client, people):
    client.force_login(people["superuser"])
    assert _listed(client) == {user.username for user in people.values()}
    page = client.get(reverse("admin:auth_user_change", args=[people["coach"].pk])).content.decode()
    assert "algorithm" in page


def test_whoever_may_change_users_sees_them_all(client, people):
    head = people["head coach"]
    head.user_permissions.add(Permission.objects.get(content_type__app_label="auth", codename="change_user"))
    client.force_login(User.objects.get(pk=head.pk))
    assert _listed(client) == {user.username for user in people.values()}
    assert client.get(reverse("admin:auth_user_change", args=[people["superuser"].pk])).status_code == 200


def test_the_user_list_costs_the_same_for_many_logins(client, people, django_assert_max_num_queries):
    client.force_login(people["coach"])
    client.get(CHANGELIST)  # warm the session and the permission cache
    for _ in range(20):
        athlete = AthleteProfileFactory()
        athlete.coaches.add(people["coach"])
        UserFactory()
    with django_assert_max_num_queries(12):
        assert client.get(CHANGELIST).status_code == 200
