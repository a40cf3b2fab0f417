"""core.lists.compiled_sql on the queries every API request runs: the Bearer token with its user and the caller's
permissions are compiled once per process on PostgreSQL, and still answer each request from the database as
it is now (a revoked token, a removed group, a deactivated user take effect on the next request)."""

from datetime import UTC, datetime

import psycopg
import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from core import auth, dialect, roles
from core.lists.compiled_sql import CompiledQuery, _binary_safe
from tests.support.clients import bearer_client
from tests.support.factories.athletes import CoachFactory, ensure_role_groups

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.skipif(not dialect.is_postgresql(connection), reason="the compiled queries are PostgreSQL's"),
]
URL = "/api/v1/programs/"


def test_the_token_query_is_compiled_once_reads_the_permissions_and_runs_per_request():
    first, second = bearer_client(CoachFactory()), bearer_client(CoachFactory())
    assert first.get(URL).status_code == 200
    tokens = auth._TOKENS_WITH_USER.compiled("default")
    with CaptureQueriesContext(connection) as ctx:
        assert second.get(URL).status_code == 200
    assert auth._TOKENS_WITH_USER.compiled("default") is tokens
    sqls = [q["sql"] for q in ctx.captured_queries]
    # One query reads the token, its user and the user's permissions; no separate permission query follows.
    [token_sql] = [sql for sql in sqls if 'FROM "knox_authtoken"' in sql]
    assert [sql for sql in sqls if 'FROM "auth_permission"' in sql] == [token_sql]
    assert "cadence:token-key-marker" not in " ".join(sqls)


def test_the_permissions_read_with_the_token_are_djangos():
    """The permissions the token query reads are ModelBackend's for every kind of user: through groups,
    direct, both, none; a superuser's and an inactive user's are not cached (has_perm does not look at them)."""
    from django.contrib.auth.backends import ModelBackend

    ensure_role_groups()
    direct = Permission.objects.get(codename="view_connectionhealthevent")
    grouped, both, bare = CoachFactory(), CoachFactory(), CoachFactory()
    both.user_permissions.add(direct)
    bare.groups.clear()
    bare.user_permissions.add(direct)
    nothing = CoachFactory()
    nothing.groups.clear()
    for user in (grouped, both, bare, nothing):
        bearer_client(user)
        [token] = auth.tokens_with_key(user.auth_token_set.get().token_key)
        expected = ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
        assert token.user._perm_cache == expected
    assert "health.view_connectionhealthevent" in both.__class__.objects.get(pk=both.pk).get_all_permissions()
    assert len(grouped.get_all_permissions()) > 1 and len(bare.get_all_permissions()) == 1
    superuser = CoachFactory(is_superuser=True)
    bearer_client(superuser)
    [token] = auth.tokens_with_key(superuser.auth_token_set.get().token_key)
    assert not hasattr(token.user, "_perm_cache") and token.user.has_perm("training.view_trainingprogram")
    inactive = CoachFactory(is_active=False)
    bearer_client(inactive)
    [token] = auth.tokens_with_key(inactive.auth_token_set.get().token_key)
    assert not hasattr(token.user, "_perm_cache") and not token.user.has_perm("training.view_trainingprogram")


def test_a_role_removed_or_a_token_revoked_counts_at_the_next_request():
    ensure_role_groups()
    coach = CoachFactory()
    client = bearer_client(coach)
    assert client.get(URL).status_code == 200
    coach.groups.remove(Group.objects.get(name="Coaches"))
    assert client.get(URL).status_code == 403
    coach.user_permissions.add(Permission.objects.get(codename="view_trainingprogram"))
    assert client.get(URL).status_code == 200
    coach.is_active = False
    coach.save()
    assert client.get(URL).status_code == 401
    coach.is_active = True
    coach.save()
    coach.auth_token_set.all().delete()
    assert client.get(URL).status_code == 401


def test_the_user_loaded_with_the_token_is_the_whole_row():
    coach = CoachFactory(first_name="Ada", email="ada@example.com")
    client = bearer_client(coach)
    body = client.get("/api/v1/auth/me/").json()
    assert body["username"] == coach.username
    [token] = auth.tokens_with_key(coach.auth_token_set.get().token_key)
    assert token.user.pk == coach.pk and token.user.email == "ada@example.com" and token.user.first_name == "Ada"
    assert token.user.password == coach.password and token.user._state.db == "default"
    assert auth.tokens_with_key("no-such-key") == []


def test_the_athlete_profile_is_read_with_the_token():
    """The caller's athlete profile comes with the token (a LEFT JOIN): the role and scope checks read it
    without a query; a user without one is known to have none; a profile created later counts at the next
    request."""
    from athletes.models import AthleteProfile
    from tests.support.factories.athletes import AthleteProfileFactory, UserFactory

    profile = AthleteProfileFactory(display_name="Ada", timezone="Asia/Tokyo", coach_notes="notes")
    bearer_client(profile.user)
    [token] = auth.tokens_with_key(profile.user.auth_token_set.get().token_key)
    with CaptureQueriesContext(connection) as ctx:
        loaded = token.user.athlete_profile
        assert loaded.user is token.user
    assert ctx.captured_queries == []
    expected = AthleteProfile.objects.get(pk=profile.pk)
    assert {f.attname: getattr(loaded, f.attname) for f in AthleteProfile._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in AthleteProfile._meta.concrete_fields
    }
    assert loaded._state.db == "default" and not loaded._state.adding

    user = UserFactory()
    client = bearer_client(user)
    [token] = auth.tokens_with_key(user.auth_token_set.get().token_key)
    with CaptureQueriesContext(connection) as ctx:
        assert not roles.has_athlete_profile(token.user)
    assert ctx.captured_queries == []
    assert client.get("/api/v1/auth/me/").json()["athleteId"] is None
    AthleteProfileFactory(user=user)
    assert client.get("/api/v1/auth/me/").json()["athleteId"] == str(user.athlete_profile.pk)


def test_a_marker_the_query_does_not_use_is_refused():
    unused = CompiledQuery(lambda user_id: Permission.objects.values_list("codename"), {"user_id": -1})
    with pytest.raises(RuntimeError, match="marker 'user_id' not found"):
        unused.rows("default", user_id=5)
    optional = CompiledQuery(
        lambda user_id: Permission.objects.values_list("codename"), {"user_id": -1}, optional=frozenset({"user_id"})
    )
    assert len(optional.rows("default", user_id=5)) == Permission.objects.count()


def test_with_client_side_binding_the_compiled_queries_read_text_results(monkeypatch):
    """DB_SERVER_SIDE_BINDING off: Django's client-side cursor refuses binary results, so the compiled queries
    (token, permissions, a page's rows) read text ones and every request still works."""
    from django.db.backends.postgresql.base import Cursor as ClientBindingCursor

    client = bearer_client(CoachFactory())
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "cursor_factory", ClientBindingCursor)
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, psycopg.ClientCursor)
    response = client.get(URL)
    assert response.status_code == 200, response.content
    assert client.get("/api/v1/auth/me/").status_code == 200


def test_a_parameter_derived_from_a_marker_is_refused():
    """`now.date()` is a parameter computed from the stand-in: re-running the SQL would keep the stand-in's date
    for ever, so compiling refuses it."""
    derived = CompiledQuery(
        lambda now: Permission.objects.filter(id__gte=now.toordinal()).values_list("codename"),
        {"now": datetime(1901, 2, 3, tzinfo=UTC)},
        optional=frozenset({"now"}),
    )
    with pytest.raises(RuntimeError, match="depend on the markers but are not markers"):
        derived.rows("default", now=datetime.now(UTC))


def test_only_plain_column_types_are_read_in_binary():
    assert _binary_safe(Value("x", output_field=models.CharField()))
    assert _binary_safe(Value(1, output_field=models.IntegerField()))
    assert not _binary_safe(Value({}, output_field=models.JSONField()))  # Django loads jsonb from text only
    assert roles._PERMISSIONS_OF_USER.compiled("default").binary
    assert auth._TOKENS_WITH_USER.compiled("default").binary  # the permissions' text[] too
    assert not _binary_safe(Value([{}], output_field=ArrayField(models.JSONField())))
