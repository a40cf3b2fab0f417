"""Writes of the core app: API tokens (issued at login, revoked at logout, expired ones pruned), and the batched
DELETE the retention commands share."""

from __future__ import annotations

from django.contrib.auth import logout, user_logged_in, user_logged_out
from django.utils import timezone
from knox.models import AuthToken


def tokens_prune_expired(*, user=None) -> int:
    """Delete expired API tokens (of `user` only, when given); returns how many were deleted."""
    expired = AuthToken.objects.filter(expiry__lt=timezone.now())
    if user is not None:
        expired = expired.filter(user=user)
    deleted, _ = expired.delete()
    return deleted


def token_issue(*, user, request) -> tuple[AuthToken, str]:
    """A new API token for `user`, who has just proved their password: their expired tokens are pruned (requests
    no longer clean them up, core.auth; logins do), the token stored hashed, and `user_logged_in` sent (it
    stamps last_login). Returns the stored token and the secret to hand out once. No transaction: each step
    stands on its own (a token without its last_login stamp is still a valid login)."""
    tokens_prune_expired(user=user)
    instance, token = AuthToken.objects.create(user=user)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return instance, token


def token_revoke(*, request, token: AuthToken | None) -> None:
    """Log out: delete the API token the request carries (and send `user_logged_out`), or end its session."""
    if token is not None:
        token.delete()
        user_logged_out.send(sender=request.user.__class__, request=request, user=request.user)
    else:
        logout(request)


def delete_in_batches(queryset, *, order_by: str, batch_size: int) -> int:
    """Delete the rows of `queryset`, oldest (`order_by`) first, `batch_size` ids per DELETE: short transactions
    beside the processes that keep writing the table. Returns how many were deleted."""
    deleted = 0
    while True:
        ids = list(queryset.order_by(order_by).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        count, _ = queryset.model._default_manager.filter(pk__in=ids).delete()
        deleted += count
