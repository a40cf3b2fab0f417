"""An invitation is only for a login that has never had a password. Its link sets a password without knowing the
old one and goes through the coach, so for a login with a password (one the athlete chose, or a plain login
attached through `userId` that came with one) it would let the coach take the account over. The API's invite and
the admin's invitation action refuse such a login; the set-password page refuses it too, including links issued
before the rule and a password or right that arrives while the form is being sent (judged under the row lock)."""

from unittest import mock

import pytest
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from athletes.models import AthleteProfile
from athletes.services import LOGIN_PRIVILEGED, LOGIN_SIGNS_IN_ALREADY, InviteTokenGenerator, invite_token_generator
from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory, InvitableAthleteFactory, UserFactory
from tests.support.utils import grant_while, postgres_only

User = get_user_model()
URL = "/api/v1/athletes/"
CHANGELIST = reverse("admin:athletes_athleteprofile_changelist")
ATHLETES_OWN = "athletes-Own-pass-1"
COACHS_PICK = "Coach-Owns-It-99"


def _set_own_password(user):
    user.set_password(ATHLETES_OWN)
    user.save(update_fields=["password"])


def _signed_in_once(user):
    # A login without a usable password that has signed in (a session opened by other means, e.g. single sign-on).
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])


HAS_HAD_A_PASSWORD = {
    "the athlete set a password": _set_own_password,
    "signed in once, no usable password": _signed_in_once,
}


def _coachs_athlete(coach, display_name="Mine"):
    athlete = InvitableAthleteFactory(display_name=display_name)
    athlete.coaches.set([coach])
    return athlete


def _invite(client, athlete):
    return client.post(f"{URL}{athlete.pk}/invite/")


def _follow(client, url: str, password: str = COACHS_PICK):
    """Open the link and send the form; return the final page."""
    form_url = client.get(url, follow=True).redirect_chain[-1][0]
    return client.post(form_url, {"new_password1": password, "new_password2": password}, follow=True)


def _can_sign_in(username: str, password: str) -> bool:
    response = bearer_client(UserFactory()).post("/api/v1/auth/token/", {"username": username, "password": password})
    return response.status_code == 200


# --- Refused at the source: the API and the admin's action ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", HAS_HAD_A_PASSWORD)
def test_the_api_refuses_to_invite_a_login_that_has_had_a_password(kind):
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    HAS_HAD_A_PASSWORD[kind](athlete.user)
    response = _invite(bearer_client(coach), athlete)
    assert response.status_code == 400, response.content
    assert response.json() == {"nonFieldErrors": [LOGIN_SIGNS_IN_ALREADY]}
    assert "set-password" not in response.content.decode() and mail.outbox == []


@pytest.mark.django_db
def test_the_reviewers_takeover_no_longer_works():
    """A coach invites their athlete who already signs in with a password, to set a password of their own."""
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    _set_own_password(athlete.user)
    assert _invite(bearer_client(coach), athlete).status_code == 400
    assert not _can_sign_in(athlete.user.username, COACHS_PICK)
    assert _can_sign_in(athlete.user.username, ATHLETES_OWN)


@pytest.mark.django_db
def test_a_plain_login_with_a_password_may_become_an_athlete_but_is_not_invited():
    coach = CoachFactory()
    client = bearer_client(coach)
    login = UserFactory(username="plain-with-password")  # UserFactory gives it a usable password
    created = client.post(
        URL, {"userId": login.pk, "displayName": "P", "timezone": "UTC", "primaryGoal": "endurance"}, format="json"
    )
    assert created.status_code == 201, created.content
    response = client.post(f"{URL}{created.json()['id']}/invite/")
    assert response.status_code == 400
    assert response.json() == {"nonFieldErrors": [LOGIN_SIGNS_IN_ALREADY]}


@pytest.mark.django_db
def test_privileged_is_reported_before_has_a_password():
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    _set_own_password(athlete.user)
    User.objects.filter(pk=athlete.user_id).update(is_staff=True)
    assert _invite(bearer_client(coach), athlete).json() == {"nonFieldErrors": [LOGIN_PRIVILEGED]}


@pytest.mark.django_db
def test_a_login_that_never_had_a_password_is_still_invited_and_sets_one(client):
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    response = _invite(bearer_client(coach), athlete)
    assert response.status_code == 200
    page = _follow(client, response.json()["url"], ATHLETES_OWN)
    assert page.redirect_chain[-1][0] == "/account/set-password/done/"
    assert _can_sign_in(athlete.user.username, ATHLETES_OWN)
    # Once it is set, a second invitation is refused: the athlete signs in with their password.
    assert _invite(bearer_client(coach), athlete).json() == {"nonFieldErrors": [LOGIN_SIGNS_IN_ALREADY]}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", HAS_HAD_A_PASSWORD)
def test_the_admin_invitation_action_refuses_a_login_that_has_had_a_password(client, kind):
    coach = CoachFactory()
    athlete = _coachs_athlete(coach)
    fresh = _coachs_athlete(coach, display_name="Fresh")
    HAS_HAD_A_PASSWORD[kind](athlete.user)
    client.force_login(coach)
    response = client.post(
        CHANGELIST, {"action": "send_invitation", "_selected_action": [str(athlete.pk), str(fresh.pk)]}, follow=True
    )
    shown = sorted((m.level_tag, str(m)) for m in response.context["messages"])
    assert shown == [
        ("error", f"Mine: {LOGIN_SIGNS_IN_ALREADY}"),
        ("info", f"Fresh: invitation e-mailed to {fresh.user.email}."),
    ]
    assert [m.to for m in mail.outbox] == [[fresh.user.email]]


# --- Refused where the link is followed ------------------------------------------------------------------------


class _TokenBeforeTheRule(PasswordResetTokenGenerator):
    """The invitation token as it was made before the rule: bound to the privilege, not to having no password."""

    key_salt = InviteTokenGenerator.key_salt

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}|privileged=0"


def _link(user, generator) -> str:
    return f"/account/set-password/{urlsafe_base64_encode(force_bytes(user.pk))}/{generator.make_token(user)}/"


@pytest.mark.django_db
def test_a_link_issued_before_the_rule_to_a_login_with_a_password_no_longer_works(client):
    athlete = AthleteProfileFactory()  # a usable password, as the reviewer's athlete had
    _set_own_password(athlete.user)
    old_link = _link(athlete.user, _TokenBeforeTheRule())
    # The old token still matches what it was bound to; the rule is what refuses it.
    assert _TokenBeforeTheRule().check_token(athlete.user, old_link.rstrip("/").rsplit("/", 1)[1])
    page = client.get(old_link, follow=True)
    assert page.status_code == 200 and b'name="new_password1"' not in page.content
    assert b"Ask your coach to send you a new invitation" in page.content
    assert User.objects.get(pk=athlete.user_id).check_password(ATHLETES_OWN)


@pytest.mark.django_db
def test_a_link_to_a_login_that_never_had_a_password_still_works_after_the_rule(client):
    athlete = InvitableAthleteFactory()
    link = _link(athlete.user, _TokenBeforeTheRule())  # issued before the rule: keeps working, it hurts no one
    page = _follow(client, link, ATHLETES_OWN)
    assert page.redirect_chain[-1][0] == "/account/set-password/done/"
    assert User.objects.get(pk=athlete.user_id).check_password(ATHLETES_OWN)


def _hashed(raw):
    from django.contrib.auth.hashers import make_password

    return make_password(raw)


MEANWHILE = {
    "the athlete sets a password": lambda user: User.objects.filter(pk=user.pk).update(password=_hashed(ATHLETES_OWN)),
    "the login becomes staff": lambda user: User.objects.filter(pk=user.pk).update(is_staff=True),
    "the login is deactivated": lambda user: User.objects.filter(pk=user.pk).update(is_active=False),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", MEANWHILE)
def test_a_change_after_the_link_was_judged_is_seen_when_the_password_is_saved(client, kind):
    """The link is judged when the POST arrives, then the form is validated; a change committed in between (made
    here by the password validators, which run in between) is seen by the save's re-check under the row lock."""
    athlete = InvitableAthleteFactory()
    url = _invite(bearer_client(CoachFactory(_groups=["Head coaches"])), athlete).json()["url"]
    form_url = client.get(url, follow=True).redirect_chain[-1][0]
    validate = password_validation.validate_password

    def validate_then_change(password, user=None, password_validators=None):
        validate(password, user, password_validators)
        MEANWHILE[kind](athlete.user)

    data = {"new_password1": COACHS_PICK, "new_password2": COACHS_PICK}
    with mock.patch("django.contrib.auth.forms.password_validation.validate_password", validate_then_change):
        page = client.post(form_url, data, follow=True)
    assert page.status_code == 200 and page.redirect_chain == []
    assert b'name="new_password1"' not in page.content
    assert b"Ask your coach to send you a new invitation" in page.content
    login = User.objects.get(pk=athlete.user_id)
    assert not login.check_password(COACHS_PICK)
    if kind == "the athlete sets a password":
        assert login.check_password(ATHLETES_OWN)
    if kind == "the login becomes staff":
        assert login.is_staff
    # The link is spent for this browser: sending the form again shows the same page.
    again = client.post(form_url, data, follow=True)
    assert b'name="new_password1"' not in again.content
    assert not User.objects.get(pk=athlete.user_id).check_password(COACHS_PICK)


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["password", "staff"])
def test_a_change_in_flight_is_waited_for_and_seen_by_the_set_password_save(kind):
    """A concurrent transaction sets the athlete's password (or makes the login staff) and commits only after the
    set-password POST has judged the link: the save waits for its row lock, sees the change and refuses."""
    from django.test import Client

    athlete = InvitableAthleteFactory()
    coach = CoachFactory(_groups=["Head coaches"])
    url = _invite(bearer_client(coach), athlete).json()["url"]
    browser = Client()
    form_url = browser.get(url, follow=True).redirect_chain[-1][0]

    def change(user):
        if kind == "password":
            User.objects.filter(pk=user.pk).update(password=_hashed(ATHLETES_OWN))
        else:
            User.objects.filter(pk=user.pk).update(is_staff=True)

    data = {"new_password1": COACHS_PICK, "new_password2": COACHS_PICK}
    page = grant_while(change, athlete.user, lambda: browser.post(form_url, data))
    assert page.status_code == 200, page
    assert b"Ask your coach to send you a new invitation" in page.content
    login = User.objects.get(pk=athlete.user_id)
    assert not login.check_password(COACHS_PICK)
    assert login.check_password(ATHLETES_OWN) if kind == "password" else login.is_staff
    assert AthleteProfile.objects.filter(pk=athlete.pk).exists()


@pytest.mark.django_db
def test_the_token_generator_never_accepts_a_login_with_a_password():
    athlete = InvitableAthleteFactory()
    token = invite_token_generator.make_token(athlete.user)
    assert invite_token_generator.check_token(athlete.user, token)
    _signed_in_once(athlete.user)
    assert not invite_token_generator.check_token(User.objects.get(pk=athlete.user_id), token)
