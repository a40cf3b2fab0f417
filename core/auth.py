"""Bearer tokens (knox), hardened against malformed headers, without knox's per-request cleanup query."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired
from rest_framework import exceptions


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's Bearer authentication in one query (the token with its user).

    A token that is not plain ASCII letters and digits (knox issues hex) is a 401 before knox decodes it:
    `Bearer \\xff` made knox's UTF-8 decode raise (a 500 on every path).

    knox also reads every other token of the user on every request, to delete the expired ones: a second
    query per request, and a write on a GET. Expired tokens are pruned instead when their user logs in and by
    `manage.py prunetokens` (core.services.tokens_prune_expired); an expired token is still refused here."""

    def authenticate_credentials(self, token):
        if not (isinstance(token, bytes) and token.isascii() and token.isalnum()):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """OpenAPI: the same `knoxApiToken` bearer scheme drf-spectacular gives knox's own class."""

    target_class = "core.auth.TokenAuthentication"
