"""What remains of an erased athlete: when, by whom (a user id and a role, never a name) and how many rows of
each kind were deleted."""

from __future__ import annotations

import uuid6
from django.conf import settings
from django.db import models


class ErasureRecord(models.Model):
    """One erasure. Holds no personal data: the erased athlete's id (a random UUID that no longer names
    anything), the eraser's user id and role, and counts."""

    id = models.UUIDField(primary_key=True, default=uuid6.uuid7, editable=False)
    erased_at = models.DateTimeField(auto_now_add=True)
    athlete_id = models.UUIDField(help_text="The erased athlete's id (no row holds it any more).")
    # SET_NULL: erasing the eraser later (an athlete who erased themself is gone at once) leaves the record.
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    erased_by_role = models.CharField(max_length=20, help_text="superuser, head_coach or athlete")
    counts = models.JSONField(default=dict, help_text="Rows deleted, by kind (app_label.Model).")

    class Meta:
        ordering = ["-erased_at", "id"]

    def __str__(self) -> str:
        return f"Erasure of {self.erased_at:%Y-%m-%d %H:%M} UTC"
