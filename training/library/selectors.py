"""Who sees which templates: a coach their own and the shared ones, a head coach (and a superuser) all of them;
anyone else (athletes, operations) none. The API, the admin, `templateId` and `apply` all read it here."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core import roles

from .models import ProgramTemplate, SessionTemplate


def template_filter(*, user) -> Q | None:
    """The filter keeping the templates `user` may see (Q() for all), or None when they may see none."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    if roles.is_head_coach(user):
        return Q()
    if roles.is_coach(user):
        return Q(owner_id=user.pk) | Q(shared=True)
    return None


def _visible(model, user, queryset):
    queryset = model.objects.all() if queryset is None else queryset
    allowed = template_filter(user=user)
    return queryset.none() if allowed is None else queryset.filter(allowed)


def program_template_list(*, user, queryset: QuerySet[ProgramTemplate] | None = None) -> QuerySet[ProgramTemplate]:
    return _visible(ProgramTemplate, user, queryset)


def session_template_list(*, user, queryset: QuerySet[SessionTemplate] | None = None) -> QuerySet[SessionTemplate]:
    return _visible(SessionTemplate, user, queryset)


def may_change_template(*, user, template) -> bool:
    """Only the template's owner or a head coach (a superuser included) changes it."""
    return template.owner_id == user.pk or roles.is_head_coach(user)
