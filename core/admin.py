"""Admin building blocks shared by the apps: rule violations shown on the field they are about."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponseRedirect
from django.utils.html import format_html, format_html_join


class ConstraintErrorsOnFieldsMixin:
    """A ModelForm mixin that moves constraint violations from the form's top onto the field they concern.

    `Model.validate_constraints()` reports a partial `UniqueConstraint` (one current program per athlete)
    under `__all__`. The model's `constraint_error_fields` maps a violation's code to the field that shows it;
    a message already shown on that field is not repeated."""

    def _update_errors(self, errors: ValidationError) -> None:
        error_dict = errors.error_dict if hasattr(errors, "error_dict") else {NON_FIELD_ERRORS: errors.error_list}
        remapped: dict[str, list[ValidationError]] = {}
        for field, field_errors in error_dict.items():
            for error in field_errors:
                target = field
                if field == NON_FIELD_ERRORS:
                    mapped = self._meta.model.constraint_error_fields.get(error.code)
                    if mapped in self.fields:
                        target = mapped
                already = self._errors.get(target) if self._errors else None
                shown = {m for e in (already.as_data() if already else []) for m in e.messages}
                shown |= {m for e in remapped.get(target, []) for m in e.messages}
                if set(error.messages) <= shown:
                    continue
                remapped.setdefault(target, []).append(error)
        if remapped:
            super()._update_errors(ValidationError(remapped))


class ServiceSaveAdminMixin:
    """Turn a rule violation raised while saving (after the form validated) into a message, never a 500.

    The admin's forms validate under the same row locks the services take, so this only happens when a
    write the locks cannot see (e.g. SQLite, or several inline rows conflicting with each other) breaks a
    rule; the whole change is rolled back because the admin's change view is one transaction."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            self.message_user(request, "Nothing was saved: " + " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class DatalistTextInput(forms.TextInput):
    """A text input that suggests values from a fixed list (HTML `<datalist>`) while the form validates them."""

    def __init__(self, options, attrs=None):
        super().__init__(attrs)
        self.options = list(options)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs'].get('id', name)}_options"
        return context

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{(attrs or {}).get('id', name)}_options"
        options = format_html_join("", '<option value="{}">', ((option,) for option in self.options))
        return format_html(
            '{}<datalist id="{}">{}</datalist>', super().render(name, value, attrs, renderer), list_id, options
        )


class ScopedAdminMixin:
    """Who sees what in the admin is the resource's selector (`<app>/selectors.py`), the same function the API
    uses: the changelist, its filters, search, date hierarchy and bulk actions, the change page (another
    coach's athlete is "not found"), and the autocompletes other admins open on this model all start from
    `get_queryset`. Foreign keys to a scoped model offer and accept only the rows its selector lets through."""

    selector = None  # staticmethod(<app>.selectors.<resource>_list): (user=, queryset=) -> QuerySet

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if self.selector is None else self.selector(user=request.user, queryset=queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related_admin = self.admin_site._registry.get(db_field.related_model)
        selector = getattr(related_admin, "selector", None)
        if selector is not None and "queryset" not in kwargs:
            related = db_field.related_model._default_manager.all()
            kwargs["queryset"] = selector(user=request.user, queryset=related)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
