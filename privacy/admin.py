"""Erasure records in the admin: read-only, for head coaches and superusers (the only ones who erase)."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin

from .models import ErasureRecord


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["erased_at", "athlete_id", "erased_by", "erased_by_role"]
    list_filter = ["erased_by_role"]
    fields = ["erased_at", "athlete_id", "erased_by", "erased_by_role", "counts"]
    readonly_fields = fields
    ordering = ["-erased_at"]
