"""The training admin's bulk actions: copy a program to an athlete (the API's clone), mark sessions completed
(with an intermediate page for RPE and duration) or skipped, through `training.services.sessions_set_status`,
every change logged."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from athletes.models import AthleteProfile

from .. import cloning, services
from ..models import SessionStatus
from .forms import MarkCompletedForm, ProgramCopyForm
from .history import log_bulk_status_change
from .local_times import local_time_html


@admin.action(description="Copy to athlete…", permissions=["add"])
def copy_to_athlete(modeladmin, request, queryset):
    """An intermediate form (athlete, start date, title), then `program_clone`: the API's clone."""
    if queryset.count() != 1:
        modeladmin.message_user(request, "Select exactly one program to copy.", messages.WARNING)
        return None
    source = queryset.select_related("athlete").get()
    form = ProgramCopyForm(request.POST if "apply" in request.POST else None, admin_site=modeladmin.admin_site)
    form.fields["athlete"].queryset = modeladmin.admin_site._registry[AthleteProfile].get_queryset(request)
    if form.is_valid():
        try:
            copy = cloning.program_clone(
                source=source,
                athlete=form.cleaned_data["athlete"],
                start_date=form.cleaned_data["start_date"],
                title=form.cleaned_data["title"] or None,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            modeladmin.log_addition(request, copy, f"Copied from program {source.pk} ({source.title}).")
            url = reverse("admin:training_trainingprogram_change", args=[copy.pk])
            modeladmin.message_user(
                request,
                format_html('Copied “{}” to {}: <a href="{}">the new program</a>.', source, copy.athlete, url),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(url)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"Copy “{source.title}” to an athlete",
        "opts": modeladmin.model._meta,
        "source": source,
        "form": form,
        "adminform": admin.helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
        "media": modeladmin.media + form.media,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/training/trainingprogram/copy_to_athlete.html", context)


def _set_status(modeladmin, request, queryset, status: str, verb: str, **recorded) -> list | None:
    """Change the status of the selected sessions not already in it, through `sessions_set_status`, and log
    each change; the changed sessions, or None (with an error message) when the service refused them all."""
    to_change = queryset.exclude(status=status).select_related("program__athlete", "phase", "micro_cycle")
    old_statuses = dict(to_change.values_list("pk", "status"))
    try:
        changed = services.sessions_set_status(sessions=to_change, status=status, **recorded)
    except ValidationError as exc:
        # sessions_set_status is one transaction: nothing was changed.
        modeladmin.message_user(request, f"No session was marked {verb}: " + " ".join(exc.messages), messages.ERROR)
        return None
    log_bulk_status_change(request.user, changed, old_statuses, status, action=f"“Mark selected sessions {verb}”")
    return changed


def sessions_phrase(n: int) -> str:
    """ "1 session", "3 sessions"."""
    return f"{n} session{'s' if n != 1 else ''}"


@admin.action(description="Mark selected sessions completed…", permissions=["change"])
def mark_completed(modeladmin, request, queryset):
    """An intermediate page (the session RPE and the actual duration, both optional), then the sessions
    whose time has come are marked completed in one `sessions_set_status`; later ones are left as they are."""
    now = timezone.now()
    completed = Q(status=SessionStatus.COMPLETED)
    future = Q(scheduled_at__gt=now) & ~completed
    counts = queryset.aggregate(
        already=Count("pk", filter=completed),
        future=Count("pk", filter=future),
        future_planned=Count("pk", filter=future & Q(status=SessionStatus.PLANNED)),
        due=Count("pk", filter=~completed & Q(scheduled_at__lte=now)),
    )
    form = MarkCompletedForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        rpe, minutes = form.cleaned_data["rpe"], form.cleaned_data["duration_minutes"]
        due = queryset.exclude(future)  # the completed ones are left out by _set_status
        changed = _set_status(
            modeladmin, request, due, SessionStatus.COMPLETED, "completed", rpe=rpe, duration_minutes=minutes
        )
        if changed is None:
            return None
        modeladmin.message_user(
            request,
            mark_completed_message(len(changed), rpe=rpe, minutes=minutes, **counts),
            messages.SUCCESS if changed else messages.WARNING,
        )
        return None
    shown = 50
    listed = list(
        queryset.exclude(completed)
        .select_related(None)
        .select_related("athlete")
        .order_by("scheduled_at", "pk")[:shown]
    )
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Mark sessions completed",
        "opts": modeladmin.model._meta,
        "form": form,
        "adminform": admin.helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
        "media": modeladmin.media + form.media,
        "counts": counts,
        "rows": [
            {
                "title": session.title,
                "athlete": session.athlete.display_name,
                "when": local_time_html(session.scheduled_at, session.athlete.timezone),
                "future": session.scheduled_at > now,
                "status": session.get_status_display(),
            }
            for session in listed
        ],
        "more": max(0, counts["due"] + counts["future"] - shown),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/training/trainingsession/mark_completed.html", context)


@admin.action(description="Mark selected sessions skipped", permissions=["change"])
def mark_skipped(modeladmin, request, queryset):
    already = queryset.filter(status=SessionStatus.SKIPPED).count()
    changed = _set_status(modeladmin, request, queryset, SessionStatus.SKIPPED, "skipped")
    if changed is None:
        return
    text = f"Marked {sessions_phrase(len(changed))} skipped."
    if already:
        text += f" {already} {'was' if already == 1 else 'were'} already skipped."
    modeladmin.message_user(request, text, messages.SUCCESS)


def mark_completed_message(
    marked: int, *, rpe: int | None, minutes: int | None, already: int, future: int, future_planned: int, due: int
) -> str:
    """ "Marked 3 sessions completed with RPE 6 (load = RPE × minutes). 2 future sessions were left planned: …"."""
    sessions = sessions_phrase
    if marked:
        text = f"Marked {sessions(marked)} completed"
        recorded = [f"RPE {rpe}"] if rpe is not None else []
        if minutes is not None:
            recorded.append(f"{minutes} minutes")
        if recorded:
            text += " with " + " and ".join(recorded)
        text += " (load = RPE × minutes)." if rpe is not None else "."
    else:
        text = "No session was marked completed."
    if future:
        left = "planned" if future == future_planned else "unchanged"
        were = "were" if future != 1 else "was"
        text += (
            f" {future} future session{'s' if future != 1 else ''} {were} left {left}: "
            "a session can be marked completed once its scheduled time has passed."
        )
    if already:
        text += f" {already} {'was' if already == 1 else 'were'} already completed."
    return text
