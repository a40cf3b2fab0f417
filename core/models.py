"""The base every Cadence model stands on: a time-ordered UUID key and maintained timestamps."""

import uuid6
from django.db import models


class TimeStampedModel(models.Model):
    """UUIDv7 primary key (time-ordered, so B-tree inserts stay at the right edge of the index),
    `created_at`/`updated_at` kept by Django, and a `version` bumped on every save for ETags."""

    id = models.UUIDField(primary_key=True, default=uuid6.uuid7, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Any save is a new version; the API's If-Match check compares against this column
        # atomically (UPDATE ... WHERE version = n), see core.api.
        if not self._state.adding:
            self.version = (self.version or 0) + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version", "updated_at"}
        super().save(*args, **kwargs)
