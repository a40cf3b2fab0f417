"""A password change revokes every API token of that user, however it is changed (model, admin form)."""

import pytest
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.test import Client
from knox.models import AuthToken

from tests.support.clients import bearer_client
from tests.support.factories.athletes import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_set_password_and_save_revokes_all_tokens_of_that_user_only():
    user, bystander = UserFactory(), UserFactory()
    client, second = bearer_client(user), bearer_client(user)
    other = bearer_client(bystander)
    user.set_password("a-new-pass-phrase-9")
    user.save()
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert second.get("/api/v1/auth/me/").status_code == 401
    assert other.get("/api/v1/auth/me/").status_code == 200
    assert not AuthToken.objects.filter(user=user).exists()


def test_saving_without_a_password_change_keeps_tokens():
    user = UserFactory()
    client = bearer_client(user)
    user.first_name = "Ada"
    user.save()
    user.save(update_fields=["last_login"])
    assert client.get("/api/v1/auth/me/").status_code == 200


def test_a_new_login_after_the_change_works():
    user = UserFactory(username="ada")
    bearer_client(user)
    user.set_password("a-new-pass-phrase-9")
    user.save()
    response = Client().post(
        "/api/v1/auth/token/", {"username": "ada", "password": "a-new-pass-phrase-9"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert AuthToken.objects.filter(user=user).count() == 1


def test_admin_password_change_form_revokes_tokens():
    user = UserFactory()
    client = bearer_client(user)
    form = AdminPasswordChangeForm(user, {"password1": "Another-pass-42!", "password2": "Another-pass-42!"})
    assert form.is_valid(), form.errors
    form.save()
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_admin_password_change_page_revokes_tokens():
    admin = StaffFactory(is_superuser=True)
    user = UserFactory()
    client = bearer_client(user)
    browser = Client()
    browser.force_login(admin)
    response = browser.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": "Another-pass-42!", "password2": "Another-pass-42!", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:500]
    assert client.get("/api/v1/auth/me/").status_code == 401
