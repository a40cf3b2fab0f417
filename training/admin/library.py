"""The plan library in the admin: the template library (search, filter by owner and shared), a template's weeks as a
week-by-day grid, "Save as template" on programs, and "Apply to athletes or a squad…" with a preview of the first
week in each athlete's timezone before anything is written.

A template's phases and sessions are shown here, not edited: they are written whole through the API or made from a
program ("Save as template"). Title, description, weeks and shared are edited here, by the owner or a head coach
(anyone else sees the template read-only), and saved through the library's service rules (the model's clean())."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from rest_framework.exceptions import NotFound

from athletes.models import AthleteProfile, Squad, SquadAthlete
from athletes.selectors import athlete_list, squad_list
from core.admin import ScopedAdminMixin, ServiceSaveAdminMixin
from core.api import EARLIEST_DATE, LATEST_DATE

from ..library import services as library_services
from ..library.models import ProgramTemplate
from ..library.selectors import may_change_template, program_template_list, session_template_list

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SESSION_CELL = '<div class="template-session"><strong>{}</strong> {} <span class="quiet">· {}, {} min{}</span></div>'


class OwnerFilter(admin.SimpleListFilter):
    """The templates of one owner: "Mine" first, then every owner of a template the user sees."""

    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        owners = (
            get_user_model()
            .objects.filter(pk__in=model_admin.get_queryset(request).values("owner_id"))
            .exclude(pk=request.user.pk)
            .order_by("username")
        )
        return [("mine", "Mine"), *((str(user.pk), user.get_username()) for user in owners)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "mine":
            return queryset.filter(owner=request.user)
        if value and value.isascii() and value.isdigit():
            return queryset.filter(owner_id=int(value))
        return queryset


class TemplateAdminForm(forms.ModelForm):
    """The model's rules about fields this form does not edit (a program template's phases and sessions, which a
    shorter `weeks` may leave outside) are shown above the form, naming the field."""

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            moved = {}
            for field, field_errors in errors.error_dict.items():
                if field in self.fields or field == NON_FIELD_ERRORS:
                    moved.setdefault(field, []).extend(field_errors)
                else:
                    label = field.replace("_", " ").capitalize()
                    moved.setdefault(NON_FIELD_ERRORS, []).extend(
                        ValidationError(f"{label}: {message}") for message in ValidationError(field_errors).messages
                    )
            errors = ValidationError(moved)
        super()._update_errors(errors)


class _TemplateAdmin(ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
    form = TemplateAdminForm
    search_fields = ["title"]
    list_filter = [OwnerFilter, "shared"]
    list_select_related = ["owner"]
    ordering = ["title", "id"]
    list_per_page = 50

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or may_change_template(user=request.user, template=obj)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or may_change_template(user=request.user, template=obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.owner = request.user
        library_services.template_save(template=obj)


class ProgramTemplateAdmin(_TemplateAdmin):
    selector = staticmethod(program_template_list)
    list_display = ["title", "weeks", "session_count", "owner", "shared", "updated_at"]
    fields = ["title", "description", "weeks", "shared", "owner", "week_grid", "updated_at"]
    readonly_fields = ["owner", "week_grid", "updated_at"]
    actions = ["apply_to_athletes"]

    class Media:
        css = {"all": ["cadence/library.css"]}

    @admin.display(description="Sessions")
    def session_count(self, obj):
        return len(obj.sessions or [])

    @admin.display(description="Weeks, day by day")
    def week_grid(self, obj):
        return week_grid_html(obj)

    @admin.action(description="Apply to athletes or a squad…", permissions=["view"])
    def apply_to_athletes(self, request, queryset):
        return apply_view(self, request, queryset)


class SessionTemplateAdmin(_TemplateAdmin):
    selector = staticmethod(session_template_list)
    list_display = ["title", "modality", "duration_minutes", "planned_load", "owner", "shared", "updated_at"]
    fields = ["title", "modality", "duration_minutes", "planned_load", "shared", "owner", "updated_at"]
    readonly_fields = ["owner", "updated_at"]


# --- The week grid ---------------------------------------------------------------------------------------------


def week_grid_html(template: ProgramTemplate):
    """The template's weeks as a table: a row per week (its phase beside it), a column per weekday, each cell the
    sessions of that day in time order ("07:30 Easy run · run, 40 min")."""
    if template is None or not template.pk:
        return "—"
    cells: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for session in template.sessions or []:
        cells[(session["week"], session["day"])].append(session)
    phase_of = {
        week: phase["name"]
        for phase in template.phases or []
        for week in range(phase["startWeek"], phase["endWeek"] + 1)
    }
    rows = []
    for week in range(1, template.weeks + 1):
        day_cells = []
        for day in range(1, 8):
            items = sorted(cells.get((week, day), []), key=lambda s: s["time"])
            day_cells.append(
                format_html(
                    "<td>{}</td>",
                    format_html_join(
                        "",
                        SESSION_CELL,
                        (
                            (
                                s["time"],
                                s["title"],
                                s["modality"],
                                s["durationMinutes"],
                                " · workout" if s.get("structure") else "",
                            )
                            for s in items
                        ),
                    ),
                )
            )
        rows.append(
            format_html(
                '<tr><th scope="row">Week {}<div class="quiet">{}</div></th>{}</tr>',
                week,
                phase_of.get(week, ""),
                format_html_join("", "{}", ((cell,) for cell in day_cells)),
            )
        )
    head = format_html_join("", '<th scope="col">{}</th>', ((day,) for day in DAYS))
    return format_html(
        '<table class="template-grid"><thead><tr><th></th>{}</tr></thead><tbody>{}</tbody></table>',
        head,
        format_html_join("", "{}", ((row,) for row in rows)),
    )


# --- Save as template (programs) ----------------------------------------------------------------------------------


@admin.action(description="Save as template", permissions=["view"])
def save_as_template(modeladmin, request, queryset):
    """Each selected program as a template owned by the user (the API's save-as-template)."""
    if not request.user.has_perm("training.add_programtemplate"):
        modeladmin.message_user(request, "You may not add templates.", messages.ERROR)
        return None
    try:
        with transaction.atomic():  # all the selected programs, or none
            made = [
                library_services.program_save_as_template(program=program, actor=request.user)
                for program in queryset.select_related("athlete")
            ]
    except ValidationError as exc:
        modeladmin.message_user(request, "Nothing was saved: " + " ".join(exc.messages), messages.ERROR)
        return None
    links = format_html_join(
        ", ",
        '<a href="{}">{}</a>',
        ((reverse("admin:training_programtemplate_change", args=[t.pk]), t.title) for t in made),
    )
    modeladmin.message_user(
        request, format_html("Saved {} as template{}: {}.", len(made), "s" if len(made) != 1 else "", links)
    )
    return None


# --- Apply to athletes or a squad ---------------------------------------------------------------------------------


class ApplyForm(forms.Form):
    athletes = forms.ModelMultipleChoiceField(
        queryset=AthleteProfile.objects.none(), required=False, help_text="Up to 100 athletes; or pick a squad."
    )
    squad = forms.ModelChoiceField(
        queryset=Squad.objects.none(), required=False, help_text="Every athlete of the squad that you see."
    )
    start_date = forms.DateField(
        widget=AdminDateWidget,
        help_text="The first day of each new program.",
        validators=[MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)],
    )
    title = forms.CharField(max_length=120, required=False, help_text="Leave empty to keep the template's title.")

    def __init__(self, *args, request, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        # The athletes' own autocomplete (the athlete admin's scope and search); the queryset after it, which hands
        # the widget its choices.
        self.fields["athletes"].widget = AutocompleteSelectMultiple(SquadAthlete._meta.get_field("athlete"), admin_site)
        self.fields["athletes"].queryset = athlete_list(user=request.user)
        self.fields["squad"].queryset = squad_list(user=request.user).order_by("name")

    def clean(self):
        data = super().clean()
        if bool(data.get("athletes")) == bool(data.get("squad")):
            raise ValidationError("Pick athletes or a squad (not both).")
        if data.get("athletes") and len(data["athletes"]) > library_services.MAX_APPLY_ATHLETES:
            raise ValidationError(f"At most {library_services.MAX_APPLY_ATHLETES} athletes at once.")
        return data


def _first_week_by_timezone(template: ProgramTemplate, athletes, start: date) -> list[dict]:
    """For each timezone among `athletes`: its athletes and the first week's sessions there, each with its local
    date and time and the instant it is (UTC)."""
    by_zone: dict[str, list] = defaultdict(list)
    for athlete in athletes:
        by_zone[athlete.timezone].append(athlete)
    first_week = sorted(
        (s for s in template.sessions or [] if s["week"] == 1), key=lambda s: (s["day"] - start.isoweekday()) % 7
    )
    preview = []
    for zone, members in sorted(by_zone.items()):
        tz = members[0].tzinfo
        rows = []
        for session in first_week:
            day = library_services.session_day(start, 1, session["day"])
            instant = library_services.local_instant(day, session["time"], tz)
            local = instant.astimezone(tz)
            rows.append(
                {
                    "title": session["title"],
                    "local": f"{local:%a %Y-%m-%d %H:%M}",
                    "utc": f"{instant.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
                }
            )
        preview.append({"zone": zone, "athletes": members, "sessions": rows})
    return preview


def apply_view(modeladmin, request, queryset):
    """Pick athletes or a squad, a start date and a title; "Preview" shows the first week in each timezone;
    "Apply" writes (template_apply) and names the programs made."""
    if queryset.count() != 1:
        modeladmin.message_user(request, "Select exactly one template to apply.", messages.WARNING)
        return None
    template = queryset.get()
    posted = "preview" in request.POST or "confirm" in request.POST
    form = ApplyForm(request.POST if posted else None, request=request, admin_site=modeladmin.admin_site)
    preview = None
    if posted and form.is_valid():
        data = form.cleaned_data
        if data.get("squad"):
            athletes = list(
                athlete_list(user=request.user).filter(pk__in=data["squad"].athletes.values("pk")).order_by("pk")
            )
        else:
            athletes = sorted(data["athletes"], key=lambda a: a.pk)
        if "confirm" in request.POST:
            try:
                applied = library_services.template_apply(
                    template=template,
                    athlete_ids=None if data.get("squad") else [a.pk for a in athletes],
                    squad_id=data["squad"].pk if data.get("squad") else None,
                    start_date=data["start_date"],
                    title=data["title"] or None,
                    actor=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except NotFound as exc:  # an athlete or the squad is no longer one the user sees
                form.add_error(None, str(exc.detail))
            else:
                url = reverse("admin:training_trainingprogram_changelist")
                modeladmin.message_user(
                    request,
                    format_html(
                        'Applied “{}” to {} athlete{} from {}: <a href="{}?q={}">the new programs</a>.',
                        template.title,
                        len(applied),
                        "s" if len(applied) != 1 else "",
                        data["start_date"],
                        url,
                        data["title"] or template.title,
                    ),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(url)
        if form.is_valid():
            preview = {
                "zones": _first_week_by_timezone(template, athletes, data["start_date"]),
                "end": data["start_date"] + timedelta(days=7 * template.weeks - 1),
                "count": len(athletes),
            }
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"Apply “{template.title}” to athletes or a squad",
        "opts": modeladmin.model._meta,
        "template": template,
        "form": form,
        "preview": preview,
        "adminform": admin.helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
        "media": modeladmin.media + form.media,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/training/programtemplate/apply.html", context)
