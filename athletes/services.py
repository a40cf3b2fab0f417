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
from rest_framework import exceptions

from core import events, roles
from core.writes import apply_changes, full_clean_known, if_match_check, lock_row, save_checked

from .models import AthleteProfile, Squad, SquadAthlete, SquadCoach
from .selectors import athlete_list, athlete_logins_checked, coach_users, privileged_login_filter


class InviteTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset tokens under a salt of their own (a reset token is not an invitation, nor the
    reverse). Valid for PASSWORD_RESET_TIMEOUT (72 hours); one-time, because the token is bound to the
    password hash and last login, which setting the password changes. Also bound to the login holding no
    staff rights: a link stops working once the login is given any (staff status, a group, a permission).
    Never valid for a login that has a usable password or has signed in (see athlete_invitee_check)."""

    key_salt = "cadence.athletes.InviteTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        # The link is handed to a coach: were the login made privileged after the invitation, following the
        # link would hand those rights to whoever holds it.
        privileged = get_user_model().objects.filter(pk=user.pk).filter(privileged_login_filter()).exists()
        value = f"{super()._make_hash_value(user, timestamp)}|privileged={int(privileged)}"
        if _has_had_password(user):
            # No link is issued for such a login (athlete_invitee_check); this also kills the links issued
            # before that rule, which would let the coach replace a password the athlete chose.
            value += "|has-password"
        return value


invite_token_generator = InviteTokenGenerator()


LOGIN_INACTIVE = "This login is inactive; an athlete's login must be active."
LOGIN_PRIVILEGED = (
    "This login has staff rights (staff status, superuser, a group or a permission of its own); "
    "an athlete's login must have none."
)
LOGIN_HAS_PROFILE = "This login already belongs to an athlete profile."
LOGIN_SIGNS_IN_ALREADY = (
    "This athlete has already set a password; they sign in with it (an invitation would replace it)."
)


def _has_had_password(user) -> bool:
    """The login has a password someone chose (usable) or has signed in at least once."""
    return user.has_usable_password() or user.last_login is not None


def _login_locked(*, user_id: int):
    """Lock the login `user_id` (FOR UPDATE, see athlete_login_check) and return it fresh, annotated by
    athletes.selectors.athlete_logins_checked, if it exists, is active and holds no staff rights; otherwise
    raise ValidationError with the reason."""
    user_model = get_user_model()
    # Lock, then read in a statement of its own: a statement's subqueries see the snapshot taken when it
    # started, so a group committed while this one waited for the lock would stay invisible to it.
    list(user_model.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True))
    login = athlete_logins_checked().filter(pk=user_id).first()
    if login is None:
        raise ValidationError("This login does not exist.", code="login_missing")
    if not login.is_active:
        raise ValidationError(LOGIN_INACTIVE, code="login_inactive")
    if login.privileged:
        raise ValidationError(LOGIN_PRIVILEGED, code="login_privileged")
    return login


def athlete_login_check(*, user_id: int, athlete: AthleteProfile | None = None):
    """Lock the login `user_id` and return it, fresh, if it may belong to an athlete: active, not privileged
    (athletes.selectors.privileged_login_filter) and without a profile (`athlete` None: a new athlete) or with
    only `athlete` (the athlete it belongs to already). Otherwise raise ValidationError with the reason.

    Call it inside a transaction: the login's row stays locked until it ends. A change to the login's row
    (staff or superuser flag, active, or the admin's user form, which saves the row with the groups) made
    concurrently is either committed and seen here, or waits until the caller's transaction ends. FOR UPDATE,
    not FOR NO KEY UPDATE, so that a bare group or permission grant, whose foreign key check takes a KEY SHARE
    lock on the login when it commits (Django's foreign keys are deferred), also commits only after the
    caller: it then counts as made later, which an invitation re-checks and the invitation token is bound to."""
    login = _login_locked(user_id=user_id)
    if login.athlete_profile_pk is not None and (athlete is None or login.athlete_profile_pk != athlete.pk):
        raise ValidationError(LOGIN_HAS_PROFILE, code="login_has_profile")
    return login


def athlete_invitee_check(*, user_id: int):
    """Lock the login `user_id` and return it, fresh, if a set-password link may be issued for it or followed:
    who may be invited. It may belong to an athlete (active, not privileged: athlete_login_check) and has never
    had a password: no usable password and never signed in. Otherwise raise ValidationError with the reason.

    An invitation sets a password without knowing the old one, and its link goes through the coach: for a login
    that has a password (the athlete chose it, or a plain login attached through `userId` came with one), it
    would let the coach take the account over. Such an athlete signs in with their password; a forgotten one
    is reset by an administrator. Call it inside a transaction: the row stays locked until it ends."""
    login = _login_locked(user_id=user_id)
    if _has_had_password(login):
        raise ValidationError(LOGIN_SIGNS_IN_ALREADY, code="login_has_password")
    return login


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

    An existing login (`profile.user`) must pass athlete_login_check, judged under its row lock. One
    transaction: a profile that fails validation leaves no login behind."""
    if new_user is not None:
        profile.user = athlete_user_create(**new_user)
    else:
        try:
            profile.user = athlete_login_check(user_id=profile.user_id)
        except ValidationError as exc:
            raise ValidationError({"user": exc.error_list}) from exc
    # The login exists and has no profile: judged above under its lock (or it was just created).
    full_clean_known(profile, known={"user"})
    profile.save()
    if coaches is None:
        coaches = [creator] if roles.is_coach(creator) and not roles.is_head_coach(creator) else []
    if coaches:
        profile.coaches.add(*coaches)
    events.event_emit(type=events.ATHLETE_CREATED, athlete_id=profile.pk, resource=profile)
    return profile


COACHES_HEAD_COACH_ONLY = "Only head coaches may change coachIds."


def _coaches_check(*, actor, coaches, current) -> None:
    """Only head coaches change an athlete's coaches; anyone else may give them unchanged (a PUT of what they
    read), `current` being the coaches as they are now (a new athlete's: its creator). A 403 otherwise."""
    if coaches is None or roles.is_head_coach(actor):
        return
    if {user.pk for user in coaches} != {user.pk for user in current}:
        raise exceptions.PermissionDenied(COACHES_HEAD_COACH_ONLY)


def athlete_write(
    *, instance: AthleteProfile | None, changes: dict, if_match: str | None = None, actor
) -> AthleteProfile:
    """The API's create (`instance` None: athlete_create, with `actor` as the creator) or update of an athlete
    (core.writes): the profile locked (FOR NO KEY UPDATE), If-Match compared, the coaches judged (only head
    coaches change them, against the coaches read under the lock), validated, saved (a new timezone moves the
    sessions with it, in the model's save), and the coaches set when the write names them."""
    changes = dict(changes)
    coaches = changes.pop("coaches", None)
    if instance is None:
        _coaches_check(actor=actor, coaches=coaches, current=[actor])  # before anything is created
        new_user = changes.pop("new_user", None)
        return athlete_create(profile=AthleteProfile(**changes), new_user=new_user, coaches=coaches, creator=actor)
    return _athlete_update(instance=instance, changes=changes, coaches=coaches, if_match=if_match, actor=actor)


@transaction.atomic
def _athlete_update(*, instance: AthleteProfile, changes: dict, coaches, if_match: str | None, actor) -> AthleteProfile:
    profile = lock_row(AthleteProfile, instance.pk)
    if_match_check(if_match, profile)
    # The coaches as they are now: a writer that changes them holds this row's lock (this function; the admin,
    # whose change view updates the profile row before its coaches, in one transaction).
    current = list(profile.coaches.all()) if coaches is not None else []
    _coaches_check(actor=actor, coaches=coaches, current=current)
    # coachIds is part of the representation: a new set moves the version (ETag) like any field; the same set
    # again (a PUT of what was read) changes nothing, so the version and updatedAt stay.
    coaches_change = coaches is not None and {user.pk for user in coaches} != {user.pk for user in current}
    moves = "timezone" in changes and changes["timezone"] != profile.timezone
    if not apply_changes(profile, changes) and not coaches_change:
        return profile
    # The login never changes (the serializer refuses another userId): its row and uniqueness stand as stored.
    full_clean_known(profile, known={"user"})
    if moves:
        profile.save()  # the model moves the sessions with the new timezone
    else:  # the timezone stays: every other column, without the model's look at the stored timezone
        profile.save(
            update_fields=[f.name for f in AthleteProfile._meta.concrete_fields if f.name not in ("id", "timezone")]
        )
    if coaches_change:
        profile.coaches.set(coaches)
    events.event_emit(type=events.ATHLETE_UPDATED, athlete_id=profile.pk, resource=profile)
    return profile


@dataclass(frozen=True)
class Invitation:
    url: str
    expires_at: datetime
    emailed_to: str | None


@transaction.atomic
def athlete_invite(*, athlete: AthleteProfile, build_absolute_uri, now: datetime) -> Invitation:
    """A one-time link to the set-password page for the athlete's login, e-mailed (EMAIL_URL) when the login
    has an address. Raises ValidationError when the login may not be invited (athlete_invitee_check: inactive,
    given staff rights since the athlete was created, or it has a password already)."""
    user = athlete_invitee_check(user_id=athlete.user_id)
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


# --- Squads -------------------------------------------------------------------------------------------------

MAX_SQUAD_ATHLETES = 1000
MAX_SQUAD_COACHES = 100


def _missing(ids, found) -> list[str]:
    return [f'Invalid pk "{pk}" - object does not exist.' for pk in sorted({str(pk) for pk in ids} - found)]


def squad_write(*, instance: Squad | None, changes: dict, if_match: str | None = None, actor) -> Squad:
    """The API's create (`instance` None) or update of a squad: the row locked (FOR NO KEY UPDATE) and read fresh,
    If-Match compared (412), `coaches` (user ids) and `athletes` (athlete ids) judged, the name validated, saved,
    and the memberships set, all in one transaction.

    `coaches` must be coaches (users holding the coach role); a coach who creates a squad is added. `athletes`
    are the members the writer may see (athlete_list): an id the writer may not see is refused like one that
    does not exist, and the members the writer may not see stay as they are."""
    with transaction.atomic():
        changes = dict(changes)
        coach_ids = changes.pop("coaches", None)
        athlete_ids = changes.pop("athletes", None)
        if instance is None:
            squad = Squad()
            if not actor.is_superuser:  # a coach who creates a squad coaches it (a superuser holds no coach role)
                coach_ids = {*(coach_ids or ()), actor.pk}
        else:
            squad = lock_row(Squad, instance.pk)
            if_match_check(if_match, squad)
        errors: dict[str, list[str]] = {}
        coaches_now = athletes_now = None
        if coach_ids is not None:
            coach_ids = set(coach_ids)
            known = set(coach_users().filter(pk__in=coach_ids).values_list("pk", flat=True))
            if missing := sorted(coach_ids - known):
                errors["coaches"] = [
                    f'User "{pk}" is not a coach (not in "Coaches" or "Head coaches").' for pk in missing
                ]
            coaches_now = (
                set()
                if squad._state.adding
                else set(SquadCoach.objects.filter(squad=squad).values_list("coach_id", flat=True))
            )
        if athlete_ids is not None:
            athlete_ids = {str(pk) for pk in athlete_ids}
            visible = athlete_list(user=actor)
            found = {str(pk) for pk in visible.filter(pk__in=athlete_ids).values_list("pk", flat=True)}
            if missing := _missing(athlete_ids, found):
                errors["athletes"] = missing
            athletes_now = (
                set()
                if squad._state.adding
                else {str(pk) for pk in SquadAthlete.objects.filter(squad=squad).values_list("athlete_id", flat=True)}
            )
            # The members the writer cannot see are not theirs to remove.
            hidden = athletes_now - {str(pk) for pk in visible.filter(pk__in=athletes_now).values_list("pk", flat=True)}
            athlete_ids |= hidden
        if errors:
            raise ValidationError(errors)
        coaches_change = coach_ids is not None and coach_ids != coaches_now
        athletes_change = athlete_ids is not None and athlete_ids != athletes_now
        if not apply_changes(squad, changes) and not (coaches_change or athletes_change) and instance is not None:
            return squad
        full_clean_known(squad)
        save_checked(squad)
        if coaches_change:
            squad_members_set(squad=squad, model=SquadCoach, field="coach_id", ids=coach_ids, now=coaches_now)
        if athletes_change:
            squad_members_set(squad=squad, model=SquadAthlete, field="athlete_id", ids=athlete_ids, now=athletes_now)
        return squad


def squad_members_set(*, squad: Squad, model, field: str, ids: set, now: set | None) -> None:
    """Make the squad's memberships of `model` exactly `ids`, given those it has (`now`): one DELETE for the
    leavers, one INSERT for the joiners."""
    now = now or set()
    leaving = {pk for pk in now if pk not in ids}
    joining = [pk for pk in ids if pk not in now]
    if leaving:
        model.objects.filter(squad=squad, **{f"{field}__in": leaving}).delete()
    if joining:
        model.objects.bulk_create([model(squad=squad, **{field: pk}) for pk in joining])
