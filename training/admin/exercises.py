"""The exercise catalogue in the admin: coaches and head coaches add and change exercises, archive and restore
them in bulk; nobody deletes one here (an exercise is archived, so the sessions and sets that name it stay
valid). Writes go through `training.workouts.services`, as the API's do."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from core.admin import ConstraintErrorsOnFieldsMixin, ServiceSaveAdminMixin

from ..workouts import services
from ..workouts.models import Equipment, Exercise


class ExerciseForm(ConstraintErrorsOnFieldsMixin, forms.ModelForm):
    """Equipment as checkboxes of the catalogue's values (the column is a JSON list); a name another exercise
    has in any case shows on the name field."""

    equipment = forms.MultipleChoiceField(
        choices=Equipment.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Exercise
        fields = ["name", "category", "equipment", "unilateral", "instructions", "archived"]


class ExerciseAdmin(ServiceSaveAdminMixin, admin.ModelAdmin):
    form = ExerciseForm
    list_display = ["name", "category", "equipment_display", "unilateral", "archived"]
    list_filter = ["category", "archived"]
    search_fields = ["name"]
    ordering = ["name", "id"]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["archive", "restore"]

    def has_delete_permission(self, request, obj=None):
        return False  # archive instead: sessions and sets that name an exercise must stay valid

    @admin.display(description="Equipment")
    def equipment_display(self, obj):
        labels = dict(Equipment.choices)
        return ", ".join(labels.get(value, value) for value in obj.equipment or []) or "–"

    def save_model(self, request, obj, form, change):
        services.exercise_save(exercise=obj)

    @admin.action(description="Archive the selected exercises", permissions=["change"])
    def archive(self, request, queryset):
        changed = services.exercises_set_archived(ids=queryset.values("pk"), archived=True)
        self.message_user(request, f"Archived {changed} exercise(s).", messages.SUCCESS)

    @admin.action(description="Restore the selected exercises", permissions=["change"])
    def restore(self, request, queryset):
        changed = services.exercises_set_archived(ids=queryset.values("pk"), archived=False)
        self.message_user(request, f"Restored {changed} exercise(s).", messages.SUCCESS)
