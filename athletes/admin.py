"""Athletes in the admin: the IANA timezone picked from a list, the current program on the changelist; a
coach sees only the athletes assigned to them (athletes.selectors), and adding an athlete can create the
athlete's login in the same step (athletes.services.athlete_create). The login is picked only among those
that may become an athlete's (athletes.selectors.eligible_athlete_logins) and never changes afterwards."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core import events, roles
from core.admin import DatalistTextInput, ScopedAdminMixin, ServiceSaveAdminMixin

from . import services
from .models import AthleteProfile, Squad, SquadAthlete, SquadCoach
from .selectors import athlete_list, coach_users, eligible_athlete_logins, login_list, squad_list
from .validators import iana_timezones

LOGIN_NOT_ELIGIBLE = (
    "This login cannot become an athlete's: pick an active login that is not staff or superuser, has no group, "
    "no permission of its own and no athlete profile, or create a new login below."
)


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(iana_timezones())]


class AthleteProfileAdminForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=timezone_choices,
        initial="UTC",
        widget=DatalistTextInput(sorted(iana_timezones()), attrs={"autocomplete": "off", "size": 32}),
        help_text="An IANA timezone name, e.g. Europe/Oslo; type to pick from the list. "
        "Sessions are planned in this timezone; changing it keeps each session's local date and time.",
        error_messages={"invalid_choice": "“%(value)s” is not a valid IANA timezone name (e.g. Europe/Oslo, UTC)."},
    )

    new_username = forms.CharField(
        label="New login: username",
        max_length=150,
        required=False,
        validators=[UnicodeUsernameValidator()],
        help_text="Instead of picking a user: creates the athlete's login (no password until they follow an "
        "invitation link).",
    )
    new_email = forms.EmailField(label="New login: e-mail", required=False)

    class Meta:
        model = AthleteProfile
        fields = [
            "user",
            "new_username",
            "new_email",
            "display_name",
            "timezone",
            "primary_goal",
            "coach_notes",
            "max_heart_rate",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].required = False
        if not self.instance._state.adding:
            self.fields.pop("new_username", None)
            self.fields.pop("new_email", None)

    def clean(self):
        cleaned = super().clean()
        if not self.instance._state.adding:
            if "user" in self.fields and not cleaned.get("user") and "user" not in self.errors:
                self.add_error("user", forms.ValidationError("This field is required.", code="required"))
            return cleaned
        username, email = cleaned.get("new_username"), cleaned.get("new_email")
        if cleaned.get("user") and (username or email):
            raise forms.ValidationError("Pick an existing user or create a new login, not both.", code="both")
        if not cleaned.get("user") and "user" not in self.errors:
            if not username:
                self.add_error("user", forms.ValidationError("Pick a user, or give a new login's username and e-mail."))
            elif not email and "new_email" not in self.errors:
                self.add_error("new_email", forms.ValidationError("The new login needs an e-mail address."))
            elif get_user_model().objects.filter(username__iexact=username).exists():
                self.add_error("new_username", forms.ValidationError("A user with that username already exists."))
        return cleaned


@admin.register(AthleteProfile)
class AthleteProfileAdmin(ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
    selector = staticmethod(athlete_list)
    form = AthleteProfileAdminForm
    list_display = ["display_name", "user", "primary_goal", "timezone", "current_program", "updated_at"]
    list_select_related = ["user"]
    list_filter = ["primary_goal", "timezone"]
    search_fields = ["display_name", "user__username", "user__email"]
    ordering = ["display_name", "id"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]
    list_per_page = 50

    actions = ["send_invitation"]

    @admin.action(description="Send a set-password invitation (link valid 72 hours)", permissions=["change"])
    def send_invitation(self, request, queryset):
        for athlete in queryset.select_related("user"):  # scoped: only the coach's own athletes
            try:
                invitation = services.athlete_invite(
                    athlete=athlete, build_absolute_uri=request.build_absolute_uri, now=timezone.now()
                )
            except ValidationError as exc:
                self.message_user(request, f"{athlete}: " + " ".join(exc.messages), messages.ERROR)
                continue
            if invitation.emailed_to:
                self.message_user(request, f"{athlete}: invitation e-mailed to {invitation.emailed_to}.")
            else:
                self.message_user(
                    request,
                    format_html(
                        "{}: the login has no e-mail address; hand over this link: {}", athlete, invitation.url
                    ),
                    messages.WARNING,
                )

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None:  # a login is created only with a new athlete
            fields = [f for f in fields if f not in ("new_username", "new_email")]
        if "coaches" not in fields:
            fields.insert(fields.index("display_name"), "coaches")
        return fields

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # The login is the athlete's for good (as in the API): re-pointing it would hand the athlete's
            # plan to another account, or an invitation link for that account to the coach.
            readonly.append("user")
        if not roles.is_head_coach(request.user):
            readonly.append("coaches")  # only head coaches assign; a coach who adds an athlete is assigned
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        if roles.is_head_coach(request.user):
            kwargs["fields"] = [*AthleteProfileAdminForm.Meta.fields, "coaches"]
        return super().get_form(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # Offers and accepts only the logins that may become an athlete's: a forged POST of another id is
            # "not one of the choices". athletes.services.athlete_create judges the pick again under a lock.
            kwargs["queryset"] = eligible_athlete_logins().order_by("username")
            kwargs["error_messages"] = {"invalid_choice": LOGIN_NOT_ELIGIBLE}
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "coaches":
            kwargs["queryset"] = coach_users().order_by("username")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:  # after the coaches: the event shows the athlete as saved (a new one is announced by its service)
            events.event_emit(type=events.ATHLETE_UPDATED, athlete_id=form.instance.pk, resource=form.instance)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        username = form.cleaned_data.get("new_username")
        new_user = {"username": username, "email": form.cleaned_data.get("new_email")} if username else None
        # Head coaches set the assignment in the form (saved with the form's many-to-many after this).
        coaches = [] if roles.is_head_coach(request.user) else None
        services.athlete_create(profile=obj, new_user=new_user, coaches=coaches, creator=request.user)

    def get_queryset(self, request):
        # The program model is reached through the reverse relation: athletes never imports training.
        program_model = AthleteProfile._meta.get_field("programs").related_model
        current = program_model.objects.filter(athlete=OuterRef("pk"), status="current").order_by()
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_program_id=Subquery(current.values("pk")[:1]),
                current_program_title=Subquery(current.values("title")[:1]),
            )
        )

    @admin.display(description="Current program", ordering="current_program_title")
    def current_program(self, obj):
        if not getattr(obj, "current_program_id", None):
            return "—"
        url = reverse("admin:training_trainingprogram_change", args=[obj.current_program_id])
        return format_html('<a href="{}">{}</a>', url, obj.current_program_title)


class CadenceUserAdmin(UserAdmin):
    """Django's user admin. Whoever may change users (superusers, and anyone given `auth.change_user`) sees them
    all; a coach or head coach, who may only view users (to pick an athlete's login), sees the logins of their
    athletes, the logins that may become an athlete's, and their own (athletes.selectors.login_list): another
    user's change page says it does not exist. View-only users are not shown the password hash's summary."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.has_perm("auth.change_user"):  # superusers have every permission
            return queryset
        return queryset.filter(pk__in=login_list(user=request.user).values("pk"))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # The summary names the algorithm, its work factor and the first characters of the salt and the hash.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    def autocomplete_narrow(self, request, queryset):
        """The admin's autocomplete (core.admin_site): the athlete form's user picker suggests only the logins
        its field accepts."""
        source = (request.GET.get("app_label"), request.GET.get("model_name"), request.GET.get("field_name"))
        if source == (AthleteProfile._meta.app_label, AthleteProfile._meta.model_name, "user"):
            return queryset.filter(pk__in=eligible_athlete_logins().values("pk"))
        return queryset


class _SquadMembershipInline(admin.TabularInline):
    """A squad's memberships are part of the squad: whoever may change the squad edits them (the membership
    tables have no permissions of their own in the roles)."""

    extra = 0

    def _squad_permission(self, request, action: str) -> bool:
        return request.user.has_perm(f"athletes.{action}_squad")

    def has_view_permission(self, request, obj=None):
        return self._squad_permission(request, "view")

    def has_add_permission(self, request, obj=None):
        return self._squad_permission(request, "change" if obj is not None else "add")

    def has_change_permission(self, request, obj=None):
        return self._squad_permission(request, "change" if obj is not None else "add")

    def has_delete_permission(self, request, obj=None):
        return self._squad_permission(request, "change")


class SquadAthleteInline(_SquadMembershipInline):
    """The squad's athletes that the user may see (picked with the athletes' scoped autocomplete); members they
    may not see are neither shown nor removed, as in the API."""

    model = SquadAthlete
    autocomplete_fields = ["athlete"]
    verbose_name = "athlete"
    verbose_name_plural = "Athletes"

    def get_queryset(self, request):
        visible = athlete_list(user=request.user).values("pk")
        return super().get_queryset(request).filter(athlete__in=visible).select_related("athlete")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "athlete":
            kwargs["queryset"] = athlete_list(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SquadCoachInline(_SquadMembershipInline):
    model = SquadCoach
    verbose_name = "coach"
    verbose_name_plural = "Coaches"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "coach":
            kwargs["queryset"] = coach_users().order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Squad)
class SquadAdmin(ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
    """Squads: a coach sees and edits those they coach (and coaches one they add); head coaches every squad.
    Deleting a squad removes the team, never its athletes or their plans."""

    selector = staticmethod(squad_list)
    list_display = ["name", "athlete_count", "coach_names", "updated_at"]
    search_fields = ["name"]
    ordering = ["name", "id"]
    fields = ["name", "updated_at"]
    readonly_fields = ["updated_at"]
    inlines = [SquadCoachInline, SquadAthleteInline]
    list_per_page = 50

    def get_queryset(self, request):
        visible = athlete_list(user=request.user).values("pk")
        return (
            super()
            .get_queryset(request)
            .annotate(athlete_total=Count("squadathlete", filter=Q(squadathlete__athlete__in=visible), distinct=True))
            .prefetch_related(Prefetch("coaches", queryset=get_user_model().objects.order_by("username")))
        )

    @admin.display(description="Athletes", ordering="athlete_total")
    def athlete_count(self, obj):
        return obj.athlete_total

    @admin.display(description="Coaches")
    def coach_names(self, obj):
        return ", ".join(coach.get_username() for coach in obj.coaches.all()) or "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A coach who adds a squad coaches it (as in the API), so it stays in their list.
        if not change and not request.user.is_superuser:
            SquadCoach.objects.get_or_create(squad=form.instance, coach=request.user)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), CadenceUserAdmin)
