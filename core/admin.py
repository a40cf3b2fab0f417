"""Admin building blocks shared by the apps: rule violations shown on the field they are about, and a list
filter that picks its value with an autocomplete."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.utils.html import format_html, format_html_join

from .lists.pagination import PageFirst


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


class ReadOnlyAdminMixin:
    """Nothing to add, change or delete here, for anyone: the admin's add, change and delete paths (and the
    delete action) answer 403; viewing is the ModelAdmin's own business."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PageFirstPaginator(Paginator):
    """The admin's paginator: an annotated changelist (program metrics, session counts) is cut page first
    (core.lists.pagination.PageFirst), so a page's annotations are computed for its own rows only, not for every
    row before its OFFSET too. The autocompletes paginate with it as well."""

    def __init__(self, object_list, *args, **kwargs):
        if isinstance(object_list, QuerySet) and object_list.query.annotations:
            object_list = PageFirst(object_list)
        super().__init__(object_list, *args, **kwargs)


class ScopedAdminMixin:
    """Who sees what in the admin is the resource's selector (`<app>/selectors.py`), the same function the API
    uses: the changelist, its filters, search, date hierarchy and bulk actions, the change page (another
    coach's athlete is "not found"), and the autocompletes other admins open on this model all start from
    `get_queryset`. Foreign keys to a scoped model offer and accept only the rows its selector lets through."""

    selector = None  # staticmethod(<app>.selectors.<resource>_list): (user=, queryset=) -> QuerySet
    paginator = PageFirstPaginator

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


class AutocompleteListFilter(admin.SimpleListFilter):
    """A changelist filter that picks one related row with the admin's autocomplete (select2) instead of
    listing every row as a link: it scales to thousands of athletes.

    Subclasses set `title`, `parameter_name` (e.g. `athlete__id__exact`) and `field_path` (the foreign key on
    the listed model, e.g. `athlete`). The suggestions come from the related model's admin (its
    `get_queryset` and search fields), so whoever may not see a row does not get it suggested either."""

    template = "admin/cadence/autocomplete_filter.html"
    field_path: str = ""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.field = model._meta.get_field(self.field_path)
        self.related_model = self.field.remote_field.model
        self.admin_site = model_admin.admin_site

    def has_output(self):
        return True

    def lookups(self, request, model_admin):
        return ()

    def _selected_pk(self):
        value = self.value()
        if not value:
            return None
        try:
            return self.related_model._meta.pk.to_python(value)
        except ValidationError:
            return None

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        pk = self._selected_pk()
        if pk is None:
            return queryset.none()  # a malformed id matches nothing (never a 500)
        return queryset.filter(**{f"{self.field_path}__pk": pk})

    def widget_html(self):
        pk = self._selected_pk()
        widget = AutocompleteSelect(
            self.field,
            self.admin_site,
            attrs={
                "class": "autocomplete-list-filter",
                "data-parameter": self.parameter_name,
                "data-placeholder": f"Any {self.title}",
                "data-allow-clear": "true",
                "style": "width:100%",
            },
        )
        field = forms.ModelChoiceField(queryset=self.related_model._default_manager.all(), widget=widget)
        widget.choices = field.choices
        return widget.render(f"{self.parameter_name}_filter", pk, attrs={"id": f"id_{self.parameter_name}_filter"})

    @classmethod
    def media(cls, field, admin_site) -> forms.Media:
        """What a changelist using this filter must load: select2 and the admin's autocomplete script."""
        return AutocompleteSelect(field, admin_site).media

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "All",
        }
