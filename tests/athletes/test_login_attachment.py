"""Who may become an athlete: every way a login can be attached to an athlete profile (API create with `userId`
or with a new `user`, PUT and PATCH, the admin's add and change forms and its user picker) and every way its
set-password link is issued (the API's invite, the admin's invitation action) refuses a login that holds any
right (staff, superuser, a group, a permission of its own), an inactive one and one that already has a profile.
A coach who could attach such a login would receive a link that sets its password: an account takeover."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from athletes import services
from athletes.admin import LOGIN_NOT_ELIGIBLE
from athletes.models import AthleteProfile
from athletes.selectors import eligible_athlete_logins
from athletes.services import LOGIN_HAS_PROFILE, LOGIN_INACTIVE, LOGIN_PRIVILEGED, invite_token_generator
from tests.support.clients import bearer_client
from tests.support.factories.athletes import (
    AthleteProfileFactory,
    CoachFactory,
    HeadCoachFactory,
    InvitableAthleteFactory,
    UserFactory,
    add_groups,
)
from tests.support.utils import grant_while, postgres_only

User = get_user_model()
URL = "/api/v1/athletes/"
ADD = reverse("admin:athletes_athleteprofile_add")
CHANGELIST = reverse("admin:athletes_athleteprofile_changelist")
PASSWORD = "pass-word-123"  # what UserFactory sets


def _flags(**flags):
    def grant(user):
        for name, value in flags.items():
            setattr(user, name, value)
        user.save(update_fields=list(flags))

    return grant


def _role(*groups):
    def grant(user):
        _flags(is_staff=True)(user)
        add_groups(user, list(groups))

    return grant


def _own_permission(user):
    user.user_permissions.add(Permission.objects.get(content_type__app_label="auth", codename="view_group"))


def _arbitrary_group(user):
    user.groups.add(Group.objects.get_or_create(name="Book club")[0])


# What makes a login privileged, applied to a plain login (UserFactory: active, no flag, group or permission).
PRIVILEGES = {
    "superuser": _flags(is_superuser=True, is_staff=True),
    "superuser without the staff flag": _flags(is_superuser=True),
    "staff without groups": _flags(is_staff=True),
    "head coach": _role("Head coaches"),
    "coach": _role("Coaches"),
    "operations": _role("Operations"),
    "one permission of its own": _own_permission,
    "an arbitrary group without permissions": _arbitrary_group,
}
# A new athlete may not take any of these logins either.
REFUSED = {
    **PRIVILEGES,
    "already another athlete's": lambda user: AthleteProfileFactory(user=user),
    "inactive": _flags(is_active=False),
}
REASONS = dict.fromkeys(PRIVILEGES, LOGIN_PRIVILEGED) | {
    "already another athlete's": LOGIN_HAS_PROFILE,
    "inactive": LOGIN_INACTIVE,
}


def refused_login(kind: str):
    user = UserFactory(username=f"victim-{kind.replace(' ', '-').replace(chr(39), '')}")
    REFUSED[kind](user)
    user.had_profile = kind == "already another athlete's"  # read by assert_untouched
    return user


def body(**overrides):
    data = {"displayName": "Ada", "timezone": "Europe/Oslo", "primaryGoal": "endurance"}
    data.update(overrides)
    return data


def assert_untouched(login):
    """The refused login is as it was: no new profile on it, its password still the one it had."""
    fresh = User.objects.get(pk=login.pk)
    assert fresh.check_password(PASSWORD)
    assert AthleteProfile.objects.filter(user=fresh).count() == (1 if login.had_profile else 0)


def admin_form(user_id="", **overrides):
    data = {
        "user": str(user_id),
        "display_name": "Ada Runner",
        "timezone": "Europe/Oslo",
        "primary_goal": "endurance",
        "coach_notes": "",
    }
    data.update(overrides)
    return data


def _coachs_athlete(coach):
    athlete = InvitableAthleteFactory(display_name="Mine")  # its login never had a password: it may be invited
    athlete.coaches.set([coach])
    return athlete


# --- The API: create with userId ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", REFUSED)
def test_creating_an_athlete_on_a_refused_login_is_400_on_user_id(kind):
    coach = CoachFactory()
    login = refused_login(kind)
    profiles = AthleteProfile.objects.count()
    response = bearer_client(coach).post(URL, body(userId=login.pk), format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {"userId": [REASONS[kind]]}
    assert AthleteProfile.objects.count() == profiles
    assert_untouched(login)


@pytest.mark.django_db
@pytest.mark.parametrize("requester", ["coach", "head coach"])
def test_a_plain_login_becomes_an_athlete_and_can_be_invited(requester):
    client = bearer_client(CoachFactory() if requester == "coach" else HeadCoachFactory())
    login = UserFactory(username="plain", password=None)  # never had a password, like a login made with `user`
    response = client.post(URL, body(userId=login.pk), format="json")
    assert response.status_code == 201, response.content
    athlete = AthleteProfile.objects.get(pk=response.json()["id"])
    assert athlete.user_id == login.pk
    invite = client.post(f"{URL}{athlete.pk}/invite/")
    assert invite.status_code == 200 and invite.json()["url"]


# --- The API: create with a new login ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", REFUSED)
@pytest.mark.parametrize("case", [str.upper, str.lower, str.title])
def test_a_new_login_named_like_a_refused_one_is_400_and_attaches_to_nothing(kind, case):
    login = refused_login(kind)
    users = User.objects.count() + 1  # the coach below
    response = bearer_client(CoachFactory()).post(
        URL, body(user={"username": case(login.username), "email": "x@example.com"}), format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"user": ["A user with that username already exists."]}
    assert User.objects.count() == users
    assert_untouched(login)


# --- The API: PUT and PATCH cannot re-point userId ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", REFUSED)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_put_and_patch_cannot_point_user_id_at_a_refused_login(kind, method):
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    login = refused_login(kind)
    data = body(userId=login.pk) if method == "put" else {"userId": login.pk}
    response = getattr(bearer_client(coach), method)(f"{URL}{athlete.pk}/", data, format="json")
    assert response.status_code == 400
    assert response.json() == {"userId": ["Cannot be changed once the profile exists."]}
    athlete.refresh_from_db()
    assert athlete.user_id != login.pk and athlete.version == 1
    assert_untouched(login)


# --- The admin: add form, change form, picker ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", REFUSED)
def test_the_admin_add_form_refuses_a_refused_login_on_the_user_field(client, kind):
    client.force_login(CoachFactory())
    login = refused_login(kind)
    profiles = AthleteProfile.objects.count()
    response = client.post(ADD, admin_form(login.pk))  # a forged POST: the picker never offers it
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"] == [LOGIN_NOT_ELIGIBLE]
    assert AthleteProfile.objects.count() == profiles
    assert_untouched(login)


@pytest.mark.django_db
def test_the_admin_add_form_accepts_a_plain_login(client):
    coach = CoachFactory()
    client.force_login(coach)
    login = UserFactory()
    response = client.post(ADD, admin_form(login.pk))
    assert response.status_code == 302
    athlete = AthleteProfile.objects.get(user=login)
    assert list(athlete.coaches.all()) == [coach]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", REFUSED)
def test_the_admin_service_judges_the_login_again_when_saving(kind):
    """The last line behind the form (a login made privileged between the form's check and the save)."""
    login = refused_login(kind)
    profile = AthleteProfile(user=login, display_name="Ada", timezone="UTC", primary_goal="endurance")
    with pytest.raises(ValidationError) as caught:
        services.athlete_create(profile=profile, new_user=None, coaches=[], creator=HeadCoachFactory())
    assert caught.value.message_dict == {"user": [REASONS[kind]]}
    assert_untouched(login)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", REFUSED)
def test_the_admin_change_form_cannot_re_point_the_user(client, kind):
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    owner = athlete.user_id
    login = refused_login(kind)
    client.force_login(coach)
    url = reverse("admin:athletes_athleteprofile_change", args=[athlete.pk])
    page = client.get(url)
    assert "user" not in page.context["adminform"].form.fields  # shown read-only
    response = client.post(url, admin_form(login.pk, display_name="Renamed"))
    assert response.status_code == 302
    athlete.refresh_from_db()
    assert athlete.user_id == owner and athlete.display_name == "Renamed"
    assert_untouched(login)


def _picker_ids(client, term=""):
    params = {"app_label": "athletes", "model_name": "athleteprofile", "field_name": "user", "term": term}
    response = client.get(reverse("admin:autocomplete"), params)
    assert response.status_code == 200, response.content
    return {int(row["id"]) for row in json.loads(response.content)["results"]}


@pytest.mark.django_db
@pytest.mark.parametrize("requester", ["coach", "head coach", "superuser"])
def test_the_admin_user_picker_offers_only_logins_that_may_become_athletes(client, requester):
    refused = [refused_login(kind) for kind in REFUSED]
    plain = UserFactory(username="victim-plain")
    who = {
        "coach": CoachFactory,
        "head coach": HeadCoachFactory,
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
    }[requester]()
    client.force_login(who)
    assert _picker_ids(client) == {plain.pk}
    assert _picker_ids(client, term="victim") == {plain.pk}
    offered = client.get(ADD).context["adminform"].form.fields["user"].queryset
    assert list(offered) == [plain]
    assert set(eligible_athlete_logins()) == {plain}
    assert not {u.pk for u in refused} & {u.pk for u in offered}


# --- Invitations: the API and the admin's action ------------------------------------------------------

INVITE_REFUSED = {kind: grant for kind, grant in REFUSED.items() if kind != "already another athlete's"}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", INVITE_REFUSED)
def test_invite_refuses_a_login_that_has_become_privileged(kind):
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    INVITE_REFUSED[kind](athlete.user)
    response = bearer_client(coach).post(f"{URL}{athlete.pk}/invite/")
    assert response.status_code == 400
    assert response.json() == {"nonFieldErrors": [REASONS[kind]]}
    assert "url" not in response.content.decode() and mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("kind", INVITE_REFUSED)
def test_the_admin_invitation_action_refuses_a_login_that_has_become_privileged(client, kind):
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    INVITE_REFUSED[kind](athlete.user)
    client.force_login(coach)
    response = client.post(
        CHANGELIST, {"action": "send_invitation", "_selected_action": [str(athlete.pk)]}, follow=True
    )
    assert response.status_code == 200
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert shown == [("error", f"Mine: {REASONS[kind]}")]
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_admin_invitation_action_invites_a_plain_login(client):
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    client.force_login(coach)
    response = client.post(
        CHANGELIST, {"action": "send_invitation", "_selected_action": [str(athlete.pk)]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [f"Mine: invitation e-mailed to {athlete.user.email}."]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("kind", PRIVILEGES)
def test_a_link_issued_before_the_login_became_privileged_no_longer_works(client, kind):
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    url = bearer_client(coach).post(f"{URL}{athlete.pk}/invite/").json()["url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert invite_token_generator.check_token(athlete.user, token)
    PRIVILEGES[kind](athlete.user)
    assert not invite_token_generator.check_token(User.objects.get(pk=athlete.user_id), token)
    page = client.get(url, follow=True)
    assert page.status_code == 200 and b'name="new_password1"' not in page.content
    assert not User.objects.get(pk=athlete.user_id).has_usable_password()


# --- Races (PostgreSQL: row locks) ---------------------------------------------------------------------


# Grants that write the login's row, as the admin's user form does (it saves the row, then the groups).
ROW_GRANTS = {
    "superuser": PRIVILEGES["superuser"],
    "coach": PRIVILEGES["coach"],
    "an arbitrary group through the user form": lambda user: (user.save(), _arbitrary_group(user)),
    "deactivated": _flags(is_active=False),
}


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ROW_GRANTS)
def test_a_grant_in_flight_is_seen_by_a_concurrent_create(kind):
    coach, login = CoachFactory(), UserFactory()
    client = bearer_client(coach)
    response = grant_while(ROW_GRANTS[kind], login, lambda: client.post(URL, body(userId=login.pk), format="json"))
    assert response.status_code == 400, response.content
    assert response.json() == {"userId": [LOGIN_INACTIVE if kind == "deactivated" else LOGIN_PRIVILEGED]}
    assert not AthleteProfile.objects.filter(user_id=login.pk).exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ROW_GRANTS)
def test_a_grant_in_flight_is_seen_by_a_concurrent_invite(kind):
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    client = bearer_client(coach)
    response = grant_while(ROW_GRANTS[kind], athlete.user, lambda: client.post(f"{URL}{athlete.pk}/invite/"))
    assert response.status_code == 400, response.content
    assert response.json() == {"nonFieldErrors": [LOGIN_INACTIVE if kind == "deactivated" else LOGIN_PRIVILEGED]}
    assert mail.outbox == []
