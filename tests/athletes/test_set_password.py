"""The set-password pages an invitation leads to: worded for an athlete, and ending with the way to the app
(a link to FRONTEND_URL when it is set, otherwise where to sign in) and the username to sign in with."""

import secrets
import subprocess
import sys

import pytest
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from athletes.services import invite_token_generator
from tests.support.checkout import REPO, clean_environment
from tests.support.factories.athletes import AthleteProfileFactory, UserFactory

DONE = "/account/set-password/done/"
PASSWORD = "a-Long-pass-2030"
FALLBACK = "Sign in to the app you use with Cadence"


def invitation_url(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/account/set-password/{uid}/{invite_token_generator.make_token(user)}/"


def set_password(client, user):
    """Follow the invitation, set the password, and return the page the form leads to."""
    form_url = client.get(invitation_url(user), follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD}, follow=True)
    assert response.redirect_chain == [(DONE, 302)], response.content
    return response


@pytest.fixture
def athlete_login(db):
    return AthleteProfileFactory(user=UserFactory(username="ada.lovelace", password=None)).user  # never had one


def test_the_done_page_links_to_the_frontend_with_the_username(client, athlete_login, settings):
    settings.FRONTEND_URL = "https://app.example.com/welcome?from=invite"
    page = set_password(client, athlete_login).content.decode()
    assert 'id="frontend-link" href="https://app.example.com/welcome?from=invite"' in page
    assert "<strong>ada.lovelace</strong>" in page
    assert FALLBACK not in page
    athlete_login.refresh_from_db()
    assert athlete_login.check_password(PASSWORD)


def test_without_frontend_url_the_done_page_says_where_to_sign_in(client, athlete_login, settings):
    settings.FRONTEND_URL = None
    page = set_password(client, athlete_login).content.decode()
    assert f"{FALLBACK}: your username is <strong>ada.lovelace</strong>" in page
    assert "frontend-link" not in page


def test_the_username_is_shown_once_and_never_to_another_browser(client, athlete_login, settings):
    settings.FRONTEND_URL = "https://app.example.com/"
    set_password(client, athlete_login)
    again = client.get(DONE)
    assert again.status_code == 200 and b"ada.lovelace" not in again.content
    assert b'href="https://app.example.com/"' in again.content


def test_the_done_page_opened_directly_has_no_username_and_no_error(client, db, settings):
    settings.FRONTEND_URL = None
    page = client.get(DONE)
    assert page.status_code == 200
    assert f"{FALLBACK} with your username" in page.content.decode()


def test_the_frontend_url_is_escaped_in_the_page(client, db, settings):
    settings.FRONTEND_URL = 'https://app.example.com/?a=1&b="2"'
    page = client.get(DONE).content.decode()
    assert 'href="https://app.example.com/?a=1&amp;b=&quot;2&quot;"' in page


def test_the_invitation_pages_do_not_send_athletes_to_the_admin(client, athlete_login):
    form = client.get(invitation_url(athlete_login), follow=True).content.decode()
    assert "ada.lovelace" in form and 'name="new_password1"' in form
    assert 'href="/admin/' not in form
    done = client.get(DONE).content.decode()
    assert 'href="/admin/' not in done


def test_a_used_or_forged_link_tells_the_athlete_to_ask_for_a_new_invitation(client, athlete_login):
    used = invitation_url(athlete_login)
    set_password(client, athlete_login)
    uid = urlsafe_base64_encode(force_bytes(athlete_login.pk))
    for url in (used, f"/account/set-password/{uid}/abc-def/"):
        page = client.get(url, follow=True)
        assert page.status_code == 200 and b'name="new_password1"' not in page.content
        assert b"Ask your coach to send you a new invitation" in page.content


# --- FRONTEND_URL is validated at start-up ----------------------------------------------------------------


def settings_import(**variables):
    env = clean_environment(SECRET_KEY=secrets.token_urlsafe(50), **variables)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.FRONTEND_URL)"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("value", ["app.example.com", "ftp://app.example.com/", "javascript:alert(1)", "https://"])
def test_a_frontend_url_that_is_not_http_refuses_start(value):
    result = settings_import(FRONTEND_URL=value)
    assert result.returncode != 0
    assert "FRONTEND_URL must be an http(s) URL" in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://app.example.com/", "https://app.example.com/"),
        ("  http://localhost:3000  ", "http://localhost:3000"),
        ("", "None"),
    ],
)
def test_a_frontend_url_that_is_http_or_unset_starts(value, expected):
    result = settings_import(FRONTEND_URL=value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
