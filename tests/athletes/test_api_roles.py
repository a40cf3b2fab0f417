"""Athletes and roles (docs/api.md, Roles): coach assignment (`coachIds`), creating the athlete's login with the
profile (`user`), the invitation link and its set-password page, and `/auth/me/` roles."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from athletes import services
from athletes.models import AthleteProfile
from athletes.services import invite_token_generator
from tests.support.clients import bearer_client
from tests.support.factories.athletes import (
    AthleteProfileFactory,
    CoachFactory,
    HeadCoachFactory,
    InvitableAthleteFactory,
    OperationsFactory,
    StaffFactory,
    UserFactory,
)
from tests.support.utils import grant_while, postgres_only

pytestmark = pytest.mark.django_db
URL = "/api/v1/athletes/"
User = get_user_model()


def new_athlete(**overrides):
    data = {
        "user": {"username": "ada", "email": "ada@example.com"},
        "displayName": "Ada",
        "timezone": "Europe/Oslo",
        "primaryGoal": "endurance",
    }
    data.update(overrides)
    return data


# --- coachIds ----------------------------------------------------------------------------------------


def test_a_coach_who_creates_an_athlete_is_assigned_and_then_sees_it():
    coach = CoachFactory()
    client = bearer_client(coach)
    response = client.post(URL, new_athlete(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["coachIds"] == [coach.pk]
    assert client.get(f"{URL}{response.json()['id']}/").status_code == 200
    # ... and another coach does not.
    assert bearer_client(CoachFactory()).get(f"{URL}{response.json()['id']}/").status_code == 404


def test_a_head_coach_creates_unassigned_or_assigns_coaches():
    head = HeadCoachFactory()
    coach, other = CoachFactory(), CoachFactory()
    client = bearer_client(head)
    assert client.post(URL, new_athlete(), format="json").json()["coachIds"] == []
    body = client.post(
        URL,
        new_athlete(user={"username": "bo", "email": "b@example.com"}, coachIds=[other.pk, coach.pk]),
        format="json",
    ).json()
    assert body["coachIds"] == sorted([coach.pk, other.pk])
    assert set(AthleteProfile.objects.get(pk=body["id"]).coaches.all()) == {coach, other}


def test_a_head_coach_reassigns_and_the_athlete_moves_between_coaches():
    head, coach, other = HeadCoachFactory(), CoachFactory(), CoachFactory()
    athlete = AthleteProfileFactory()
    athlete.coaches.set([coach])
    response = bearer_client(head).patch(f"{URL}{athlete.pk}/", {"coachIds": [other.pk]}, format="json")
    assert response.status_code == 200 and response.json()["coachIds"] == [other.pk]
    assert bearer_client(coach).get(f"{URL}{athlete.pk}/").status_code == 404
    assert bearer_client(other).get(f"{URL}{athlete.pk}/").status_code == 200
    # An empty list unassigns everyone.
    assert bearer_client(head).patch(f"{URL}{athlete.pk}/", {"coachIds": []}, format="json").json()["coachIds"] == []


@pytest.mark.parametrize("coach_ids", [lambda c, o: [o.pk], lambda c, o: [c.pk, o.pk], lambda c, o: []])
def test_a_coach_may_not_change_coach_ids(coach_ids):
    coach, other = CoachFactory(), CoachFactory()
    athlete = AthleteProfileFactory()
    athlete.coaches.set([coach])
    version = athlete.version
    response = bearer_client(coach).patch(
        f"{URL}{athlete.pk}/", {"coachIds": coach_ids(coach, other), "displayName": "X"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Only head coaches may change coachIds."}
    athlete.refresh_from_db()
    assert list(athlete.coaches.all()) == [coach] and athlete.version == version and athlete.display_name != "X"


def test_a_coach_may_repeat_the_current_coach_ids_as_a_put_of_what_they_read_does():
    coach = CoachFactory()
    athlete = AthleteProfileFactory()
    athlete.coaches.set([coach])
    client = bearer_client(coach)
    body = client.get(f"{URL}{athlete.pk}/").json()
    response = client.put(f"{URL}{athlete.pk}/", {**body, "displayName": "Renamed"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["coachIds"] == [coach.pk] and response.json()["displayName"] == "Renamed"


@pytest.mark.parametrize("writer", ["coach", "head coach"])
def test_the_same_coach_ids_again_change_nothing_and_keep_the_etag(writer):
    """A write that gives coachIds as they are, and nothing else new, leaves the version (ETag) and updatedAt
    as they were, so another client's pending If-Match still holds."""
    coach = CoachFactory()
    athlete = AthleteProfileFactory()
    athlete.coaches.set([coach])
    client = bearer_client(coach if writer == "coach" else HeadCoachFactory())
    read = client.get(f"{URL}{athlete.pk}/")
    response = client.patch(f"{URL}{athlete.pk}/", {"coachIds": [coach.pk]}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 200, response.content
    assert response["ETag"] == read["ETag"] and response.json()["updatedAt"] == read.json()["updatedAt"]
    put = client.put(f"{URL}{athlete.pk}/", read.json(), format="json", HTTP_IF_MATCH=read["ETag"])
    assert put.status_code == 200 and put["ETag"] == read["ETag"]


def test_a_new_set_of_coaches_moves_the_etag():
    """coachIds is part of the representation: a head coach's reassignment is a new version."""
    coach, other = CoachFactory(), CoachFactory()
    athlete = AthleteProfileFactory()
    athlete.coaches.set([coach])
    client = bearer_client(HeadCoachFactory())
    read = client.get(f"{URL}{athlete.pk}/")
    response = client.patch(f"{URL}{athlete.pk}/", {"coachIds": [other.pk]}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 200, response.content
    assert response.json()["coachIds"] == [other.pk] and response["ETag"] != read["ETag"]
    assert client.get(f"{URL}{athlete.pk}/")["ETag"] == response["ETag"]
    stale = client.patch(f"{URL}{athlete.pk}/", {"displayName": "X"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_coach_repeating_coach_ids_is_judged_against_a_reassignment_committed_while_they_waited():
    """The rule is judged under the athlete's lock, against the coaches as they are then: a coach's PUT of what
    they read, sent while a head coach's reassignment holds the lock, does not undo it."""
    head, coach, other = HeadCoachFactory(), CoachFactory(), CoachFactory()
    athlete = AthleteProfileFactory()
    athlete.coaches.set([coach])
    client = bearer_client(coach)
    body = client.get(f"{URL}{athlete.pk}/").json()

    def reassign(profile):
        services.athlete_write(instance=profile, changes={"coaches": [other]}, actor=head)

    response = grant_while(
        reassign, athlete, lambda: client.put(f"{URL}{athlete.pk}/", {**body, "displayName": "X"}, format="json")
    )
    assert response.status_code == 403, response.content
    assert response.json() == {"detail": "Only head coaches may change coachIds."}
    athlete.refresh_from_db()
    assert list(athlete.coaches.all()) == [other] and athlete.display_name != "X"


def test_a_coach_creating_may_name_only_themselves():
    coach, other = CoachFactory(), CoachFactory()
    client = bearer_client(coach)
    assert client.post(URL, new_athlete(coachIds=[coach.pk]), format="json").status_code == 201
    response = client.post(
        URL, new_athlete(user={"username": "x2", "email": "x@example.com"}, coachIds=[other.pk]), format="json"
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="x2").exists()


@pytest.mark.parametrize(
    "who",
    ["athlete user", "staff without groups", "operations", "inactive coach", "missing", "not a number"],
)
def test_coach_ids_must_name_coaches(who):
    head = HeadCoachFactory()
    athlete = AthleteProfileFactory()
    value = {
        "athlete user": lambda: AthleteProfileFactory().user_id,
        "staff without groups": lambda: StaffFactory().pk,
        "operations": lambda: OperationsFactory().pk,
        "inactive coach": lambda: CoachFactory(is_active=False).pk,
        "missing": lambda: 987_654,
        "not a number": lambda: "seven",
    }[who]()
    response = bearer_client(head).patch(f"{URL}{athlete.pk}/", {"coachIds": [value]}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["coachIds"]
    assert not athlete.coaches.exists()


def test_a_head_coach_and_a_superuser_may_be_assigned():
    head = HeadCoachFactory()
    other_head = HeadCoachFactory()
    athlete = AthleteProfileFactory()
    response = bearer_client(head).patch(f"{URL}{athlete.pk}/", {"coachIds": [other_head.pk]}, format="json")
    assert response.status_code == 200 and response.json()["coachIds"] == [other_head.pk]


def test_the_athlete_list_loads_coach_ids_in_one_query_for_the_page(django_assert_max_num_queries):
    head = HeadCoachFactory()
    coaches = CoachFactory.create_batch(3)
    for _ in range(30):
        AthleteProfileFactory().coaches.set(coaches)
    client = bearer_client(head)
    with django_assert_max_num_queries(6):
        response = client.get(URL, {"pageSize": 50})
    assert all(row["coachIds"] == sorted(c.pk for c in coaches) for row in response.json()["results"])


# --- Creating the login with the profile -------------------------------------------------------------


def test_user_creates_the_login_with_an_unusable_password_and_the_profile():
    response = bearer_client(HeadCoachFactory()).post(URL, new_athlete(), format="json")
    assert response.status_code == 201, response.content
    user = User.objects.get(username="ada")
    assert response.json()["userId"] == user.pk
    assert "user" not in response.json()  # write-only
    assert user.email == "ada@example.com"
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser and not user.groups.exists()
    assert bearer_client(user).get("/api/v1/auth/me/").json()["roles"] == ["athlete"]


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"userId": "EXISTING"}, "nonFieldErrors"),  # both
        ({"user": None}, "user"),
        ({"user": {"username": "ok"}}, "user"),  # no email
        ({"user": {"username": "ok", "email": "not-an-email"}}, "user"),
        ({"user": {"username": "bad name!", "email": "a@example.com"}}, "user"),
        ({"user": {"username": "u" * 151, "email": "a@example.com"}}, "user"),
        ({"user": "ada"}, "user"),
    ],
)
def test_bad_user_input_is_400_and_creates_nothing(extra, key):
    existing = UserFactory()
    payload = new_athlete()
    if "userId" in extra:
        payload["userId"] = existing.pk
    else:
        payload.update(extra)
    users = User.objects.count()
    response = bearer_client(HeadCoachFactory()).post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    assert key in response.json()
    assert User.objects.count() == users + 1  # only the head coach the test made
    assert not AthleteProfile.objects.exists()


def test_neither_user_id_nor_user_is_400():
    payload = new_athlete()
    del payload["user"]
    response = bearer_client(HeadCoachFactory()).post(URL, payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["userId"]


@pytest.mark.parametrize("username", ["taken", "TAKEN", "Taken"])
def test_a_username_taken_in_any_case_is_400(username):
    UserFactory(username="taken")
    response = bearer_client(HeadCoachFactory()).post(
        URL, new_athlete(user={"username": username, "email": "t@example.com"}), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"user": ["A user with that username already exists."]}
    assert User.objects.filter(username__iexact="taken").count() == 1
    assert not AthleteProfile.objects.exists()


def test_a_profile_that_fails_its_model_rules_leaves_no_login_behind():
    from django.core.exceptions import ValidationError

    with mock.patch(
        "athletes.services.full_clean_known", side_effect=ValidationError({"display_name": "Refused by the model."})
    ):
        response = bearer_client(HeadCoachFactory()).post(URL, new_athlete(), format="json")
    assert response.status_code == 400
    assert response.json() == {"displayName": ["Refused by the model."]}
    assert not User.objects.filter(username="ada").exists()


def test_user_is_refused_on_update():
    athlete = AthleteProfileFactory()
    response = bearer_client(HeadCoachFactory()).patch(
        f"{URL}{athlete.pk}/", {"user": {"username": "z", "email": "z@example.com"}}, format="json"
    )
    assert response.status_code == 400 and list(response.json()) == ["user"]
    assert not User.objects.filter(username="z").exists()


def test_creating_an_athlete_with_a_login_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    client = bearer_client(CoachFactory())
    # Token, permissions; username check, user, profile checks and insert, the assignment; the response's
    # re-read with coachIds; savepoints. The same for any athlete: nothing here grows.
    with django_assert_max_num_queries(23):
        assert client.post(URL, new_athlete(), format="json").status_code == 201


# --- Invitations and the set-password page -------------------------------------------------------------


def _invite(client, athlete):
    return client.post(f"{URL}{athlete.pk}/invite/")


def test_an_invitation_mails_a_one_time_link_valid_72_hours_that_sets_the_password(client):
    coach = CoachFactory()
    api = bearer_client(coach)
    created = api.post(URL, new_athlete(), format="json").json()
    athlete = AthleteProfile.objects.get(pk=created["id"])
    before = timezone.now()
    response = _invite(api, athlete)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"url", "expiresAt", "emailedTo"}
    assert body["emailedTo"] == "ada@example.com"
    expires = timezone.datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(hours=72) - timedelta(seconds=5) <= expires - before <= timedelta(hours=72, seconds=5)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    assert body["url"] in mail.outbox[0].body and "ada" in mail.outbox[0].body
    assert body["url"].startswith("http://testserver/account/set-password/")

    # The page: Django redirects the token away from the URL, then shows SetPasswordForm.
    page = client.get(body["url"], follow=True)
    assert page.status_code == 200 and b'name="new_password1"' in page.content
    form_url = page.redirect_chain[-1][0]
    done = client.post(form_url, {"new_password1": "a-Long-pass-2030", "new_password2": "a-Long-pass-2030"})
    assert done.status_code == 302 and done["Location"] == "/account/set-password/done/"
    assert client.get("/account/set-password/done/").status_code == 200
    user = User.objects.get(username="ada")
    assert user.check_password("a-Long-pass-2030")
    token = bearer_client(coach).post("/api/v1/auth/token/", {"username": "ada", "password": "a-Long-pass-2030"})
    assert token.status_code == 200

    # One time: the same link no longer works.
    client.logout()
    again = client.get(body["url"], follow=True)
    assert b'name="new_password1"' not in again.content
    assert not invite_token_generator.check_token(user, body["url"].rstrip("/").rsplit("/", 1)[1])


def test_an_invitation_expires_after_72_hours():
    athlete = InvitableAthleteFactory()
    head = bearer_client(HeadCoachFactory())
    token = _invite(head, athlete).json()["url"].rstrip("/").rsplit("/", 1)[1]
    now = invite_token_generator._now()
    with mock.patch.object(invite_token_generator, "_now", return_value=now + timedelta(hours=71, minutes=59)):
        assert invite_token_generator.check_token(athlete.user, token)
    with mock.patch.object(invite_token_generator, "_now", return_value=now + timedelta(hours=72, minutes=1)):
        assert not invite_token_generator.check_token(athlete.user, token)


def test_a_password_reset_token_is_not_an_invitation():
    from django.contrib.auth.tokens import default_token_generator

    athlete = AthleteProfileFactory()
    assert not invite_token_generator.check_token(athlete.user, default_token_generator.make_token(athlete.user))


def test_a_login_without_email_gets_the_link_but_no_mail():
    athlete = AthleteProfileFactory(user=UserFactory(email="", password=None))
    response = _invite(bearer_client(HeadCoachFactory()), athlete)
    assert response.status_code == 200
    assert response.json()["emailedTo"] is None and response.json()["url"]
    assert mail.outbox == []


def test_an_inactive_login_cannot_be_invited():
    athlete = AthleteProfileFactory(user=UserFactory(is_active=False))
    response = _invite(bearer_client(HeadCoachFactory()), athlete)
    assert response.status_code == 400
    assert mail.outbox == []


def test_invitations_of_another_coachs_athlete_are_404_and_of_an_athlete_403():
    coach = CoachFactory()
    mine, theirs = AthleteProfileFactory(), AthleteProfileFactory()
    mine.coaches.set([coach])
    assert _invite(bearer_client(coach), theirs).status_code == 404
    assert _invite(bearer_client(mine.user), mine).status_code == 403
    assert _invite(bearer_client(OperationsFactory()), mine).status_code == 403
    assert mail.outbox == []


def test_a_set_password_link_with_a_bad_token_shows_no_form(client):
    athlete = AthleteProfileFactory()
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(athlete.user.pk))
    for token in ("abc-def", "x", "1-2-3"):
        page = client.get(f"/account/set-password/{uid}/{token}/", follow=True)
        assert page.status_code == 200 and b'name="new_password1"' not in page.content
    page = client.get("/account/set-password/bm90LWEtdXNlcg/abc-def/", follow=True)
    assert page.status_code == 200 and b'name="new_password1"' not in page.content


def test_the_set_password_form_applies_the_password_validators(client):
    athlete = InvitableAthleteFactory()
    url = _invite(bearer_client(HeadCoachFactory()), athlete).json()["url"]
    form_url = client.get(url, follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200 and b"errorlist" in response.content
    athlete.user.refresh_from_db()
    assert not athlete.user.check_password("123")


def test_an_invitation_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    athlete = InvitableAthleteFactory()
    client = bearer_client(HeadCoachFactory())
    # Token, permissions, the athlete (and its coaches); in a savepoint: the login's row lock, its re-read with
    # what may keep it from an athlete, the token's privilege check.
    with django_assert_max_num_queries(9):
        assert _invite(client, athlete).status_code == 200


# --- /auth/me/ roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "roles"),
    [
        (lambda: UserFactory(is_staff=True, is_superuser=True), ["superuser"]),
        (lambda: HeadCoachFactory(), ["head_coach"]),
        (lambda: CoachFactory(), ["coach"]),
        (lambda: OperationsFactory(), ["operations"]),
        (lambda: CoachFactory(_groups=["Coaches", "Operations"]), ["coach", "operations"]),
        (lambda: StaffFactory(), []),
        (lambda: AthleteProfileFactory().user, ["athlete"]),
        (lambda: UserFactory(), []),
    ],
)
def test_me_lists_the_roles(make, roles):
    assert bearer_client(make()).get("/api/v1/auth/me/").json()["roles"] == roles


def test_a_coach_with_an_athlete_profile_is_a_coach_not_an_athlete():
    coach = CoachFactory()
    AthleteProfileFactory(user=coach)
    assert bearer_client(coach).get("/api/v1/auth/me/").json()["roles"] == ["coach"]


def test_me_costs_no_more_than_before(django_assert_max_num_queries):
    client = bearer_client(AthleteProfileFactory().user)
    with django_assert_max_num_queries(5):
        client.get("/api/v1/auth/me/")


def test_permissions_are_read_in_one_query():
    from core import roles

    coach = CoachFactory(_groups=["Coaches", "Operations"])
    user = User.objects.get(pk=coach.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert roles.user_roles(user) == ["coach", "operations"]
        assert user.has_perm("training.change_trainingsession") and not user.has_perm("athletes.view_all_athletes")
    assert len(ctx.captured_queries) == 1


def test_the_set_password_page_needs_its_csrf_token():
    from django.test import Client

    athlete = InvitableAthleteFactory()
    url = _invite(bearer_client(HeadCoachFactory()), athlete).json()["url"]
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(url, follow=True)
    form_url = page.redirect_chain[-1][0]
    data = {"new_password1": "a-Long-pass-2030", "new_password2": "a-Long-pass-2030"}
    assert browser.post(form_url, data).status_code == 403
    athlete.user.refresh_from_db()
    assert not athlete.user.check_password("a-Long-pass-2030")
    token = page.context["csrf_token"]
    assert browser.post(form_url, {**data, "csrfmiddlewaretoken": str(token)}).status_code == 302
    athlete.user.refresh_from_db()
    assert athlete.user.check_password("a-Long-pass-2030")
