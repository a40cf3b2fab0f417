"""Bearer tokens (knox), hardened against malformed headers."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's Bearer authentication; a token that is not plain ASCII letters and digits (knox issues hex) is a
    401 before knox decodes it: `Bearer \\xff` made knox's UTF-8 decode raise (a 500 on every path)."""

    def authenticate_credentials(self, token):
        if not (isinstance(token, bytes) and token.isascii() and token.isalnum()):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)


class TokenScheme(KnoxTokenScheme):
    """OpenAPI: the same `knoxApiToken` bearer scheme drf-spectacular gives knox's own class."""

    target_class = "core.auth.TokenAuthentication"
