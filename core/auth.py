"""Bearer tokens (knox), hardened against malformed headers, without knox's per-request cleanup query; and the
password check of every login (API and admin), bounded in how many passwords each process hashes at once."""

import binascii
import contextlib
import threading
from hmac import compare_digest

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import router
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from . import dialect, roles
from .lists.compiled_sql import CompiledQuery


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's Bearer authentication in one query (the token with its user).

    A token that is not plain ASCII letters and digits (knox issues hex) is a 401 before knox decodes it:
    `Bearer \\xff` made knox's UTF-8 decode raise (a 500 on every path).

    knox also reads every other token of the user on every request, to delete the expired ones: a second
    query per request, and a write on a GET. Expired tokens are pruned instead when their user logs in and by
    `manage.py prunetokens` (core.services.tokens_prune_expired); an expired token is still refused here."""

    def authenticate_credentials(self, token):
        """knox's own steps (django-rest-knox 5.1.0), reading the candidate tokens with their users through
        `tokens_with_key()`."""
        msg = _("Invalid token.")
        if not (isinstance(token, bytes) and token.isascii() and token.isalnum()):
            raise exceptions.AuthenticationFailed(msg)
        token = token.decode()
        for auth_token in tokens_with_key(token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(msg) from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


_TOKEN_FIELDS = tuple(f.attname for f in AuthToken._meta.concrete_fields)
_USER_FIELDS = tuple(f.attname for f in get_user_model()._meta.concrete_fields)
# The user's athlete profile (athletes.AthleteProfile, the reverse one-to-one `user.athlete_profile`), which
# the role checks read on every request (core.roles.has_athlete_profile): loaded with the user.
_PROFILE = get_user_model()._meta.get_field(roles.ATHLETE_PROFILE)
_PROFILE_FIELDS = tuple(f.attname for f in _PROFILE.related_model._meta.concrete_fields)


def _tokens_with_user(key):
    return AuthToken.objects.filter(token_key=key).values_list(
        *_TOKEN_FIELDS,
        *(f"user__{name}" for name in _USER_FIELDS),
        *(f"user__{roles.ATHLETE_PROFILE}__{name}" for name in _PROFILE_FIELDS),
        roles.permissions_subquery(OuterRef("user_id")),
    )


# On PostgreSQL the token-with-user query is compiled once per process (core.lists.compiled_sql): it runs on every
# request, and building it cost more CPU than PostgreSQL spends answering it. It reads who the caller is in
# full, what every API request's permission and scope checks need: the user, their athlete profile (a LEFT
# JOIN) and their permissions. One round trip instead of three.
_TOKENS_WITH_USER = CompiledQuery(_tokens_with_user, {"key": "cadence:token-key-marker"})


def tokens_with_key(key: str) -> list[AuthToken]:
    """The tokens whose key is `key` (knox's lookup), each with its user loaded, as knox's
    `filter(token_key=…).select_related("user")` gives them. On PostgreSQL the user also carries its athlete
    profile (or the knowledge that it has none) and its permissions (core.roles.cache_permissions), read in
    the same query."""
    using = router.db_for_read(AuthToken)
    if not dialect.is_postgresql(using):
        return list(AuthToken.objects.using(using).filter(token_key=key).select_related("user"))
    user_model = get_user_model()
    profile_model = _PROFILE.related_model
    user_end = len(_TOKEN_FIELDS) + len(_USER_FIELDS)
    profile_pk = _PROFILE_FIELDS.index(profile_model._meta.pk.attname)
    tokens = []
    for row in _TOKENS_WITH_USER.rows(using, key=key):
        auth_token = AuthToken.from_db(using, _TOKEN_FIELDS, row[: len(_TOKEN_FIELDS)])
        user = user_model.from_db(using, _USER_FIELDS, row[len(_TOKEN_FIELDS) : user_end])
        profile_values = row[user_end:-1]
        if profile_values[profile_pk] is None:
            _PROFILE.set_cached_value(user, None)  # `user.athlete_profile` raises DoesNotExist, no query
        else:
            profile = profile_model.from_db(using, _PROFILE_FIELDS, profile_values)
            _PROFILE.set_cached_value(user, profile)
            _PROFILE.remote_field.set_cached_value(profile, user)
        roles.cache_permissions(user, row[-1])
        AuthToken.user.field.set_cached_value(auth_token, user)
        tokens.append(auth_token)
    return tokens


class TokenScheme(KnoxTokenScheme):
    """OpenAPI: the same `knoxApiToken` bearer scheme drf-spectacular gives knox's own class."""

    target_class = "core.auth.TokenAuthentication"


# --- Logins: the password check ---------------------------------------------------------------------------


class LoginsBusy(exceptions.APIException):
    """The login was refused before its password was hashed: this process is already hashing as many as it may."""

    status_code = 503
    default_detail = _("Too many logins are being checked at once; retry in a moment.")
    default_code = "logins_busy"
    wait = 1  # seconds, sent as Retry-After


class HashGate:
    """At most `slots` password hashes at once in this process; at most `slots` more logins wait for one, each
    for at most `wait` seconds. Any other login is refused at once (LoginsBusy), without hashing.

    A PBKDF2 hash keeps a core busy for 0.1 s or more and releases the GIL, so nothing else bounds how many run
    at once: a burst of logins (from many addresses, which the per-address allowance does not stop) would take
    every worker thread and every core, and every other request would queue behind it. Refusing at once rather
    than queueing keeps the threads free."""

    def __init__(self, slots: int, wait: float = 1.0):
        self.slots = slots
        self.wait = wait
        self._hashing = threading.BoundedSemaphore(slots)
        self._admitted = threading.BoundedSemaphore(2 * slots)  # hashing + waiting

    @contextlib.contextmanager
    def slot(self):
        if not self._admitted.acquire(blocking=False):
            raise LoginsBusy()
        try:
            if not self._hashing.acquire(timeout=self.wait):
                raise LoginsBusy()
            try:
                yield
            finally:
                self._hashing.release()
        finally:
            self._admitted.release()


_gates: dict[int, HashGate] = {}
_gates_lock = threading.Lock()


def hash_gate() -> HashGate:
    """This process's gate for `LOGIN_HASH_CONCURRENCY` (one per value, so tests may override the setting)."""
    slots = settings.LOGIN_HASH_CONCURRENCY
    with _gates_lock:
        if slots not in _gates:
            _gates[slots] = HashGate(slots)
        return _gates[slots]


class LoginBackend(ModelBackend):
    """Django's ModelBackend, hashing through this process's HashGate.

    As in Django's, a username that does not exist still costs one hash (of the given password), so the
    answer's timing does not tell which usernames exist; it passes through the same gate. The user is read
    before a slot is taken: a slow database does not hold a hashing slot."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user_model = get_user_model()
        if username is None:
            username = kwargs.get(user_model.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            with hash_gate().slot():
                user_model().set_password(password)
            return None
        with hash_gate().slot():
            matches = user.check_password(password)
        return user if matches and self.user_can_authenticate(user) else None

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        # Django's async version hashes on its own: route it through the same gate.
        return await sync_to_async(self.authenticate)(request, username, password, **kwargs)
