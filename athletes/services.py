"""Writes that touch more than the profile row: an athlete together with their login, coach assignment,
and the invitation that lets the athlete set a password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core import roles

from .models import AthleteProfile


class InviteTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset tokens under a salt of their own (a reset token is not an invitation, nor the
    reverse). Valid for PASSWORD_RESET_TIMEOUT (72 hours); one-time, because the token is bound to the
    password hash and last login, which setting the password changes."""

    key_salt = "cadence.athletes.InviteTokenGenerator"


invite_token_generator = InviteTokenGenerator()


def athlete_user_create(*, username: str, email: str):
    """A login for a new athlete: no staff flag, no groups, an unusable password (set through an invitation)."""
    user_model = get_user_model()
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "A user with that username already exists."}, code="unique")
    user = user_model(username=username, email=email)
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def athlete_create(*, profile: AthleteProfile, new_user: dict | None, coaches, creator) -> AthleteProfile:
    """Save a new profile, creating its login first when `new_user` ({"username", "email"}) is given, and
    assign `coaches` (None: the creator when they are a coach without the head coach's view of everyone).

    One transaction: a profile that fails validation leaves no login behind."""
    if new_user is not None:
        profile.user = athlete_user_create(**new_user)
    profile.full_clean()
    profile.save()
    if coaches is None:
        coaches = [creator] if roles.is_coach(creator) and not roles.is_head_coach(creator) else []
    if coaches:
        profile.coaches.add(*coaches)
    return profile


@dataclass(frozen=True)
class Invitation:
    url: str
    expires_at: datetime
    emailed_to: str | None


def athlete_invite(*, athlete: AthleteProfile, build_absolute_uri, now: datetime) -> Invitation:
    """A one-time link to the set-password page for the athlete's login, e-mailed (EMAIL_URL) when the login
    has an address. Raises ValidationError for an inactive login."""
    user = athlete.user
    if not user.is_active:
        raise ValidationError("The athlete's login is inactive; activate it before inviting.", code="inactive")
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = invite_token_generator.make_token(user)
    url = build_absolute_uri(reverse("set-password", kwargs={"uidb64": uidb64, "token": token}))
    expires_at = now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    emailed_to = user.email or None
    if emailed_to:
        send_mail(
            subject="Set your Cadence password",
            message=(
                f"Hello {athlete.display_name},\n\nyour coach invited you to Cadence. Choose your password here "
                f"(the link works once, until {expires_at:%Y-%m-%d %H:%M} UTC):\n\n{url}\n\n"
                f"Your username is: {user.get_username()}\n"
            ),
            from_email=None,
            recipient_list=[emailed_to],
        )
    return Invitation(url=url, expires_at=expires_at, emailed_to=emailed_to)
