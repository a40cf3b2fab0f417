"""The base every Cadence model stands on: a time-ordered UUID key, maintained timestamps, a version, and
constraint violations reported on the field they are about."""

from typing import ClassVar

import uuid6
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models


class TimeStampedModel(models.Model):
    """UUIDv7 primary key (time-ordered, so B-tree inserts stay at the right edge of the index),
    `created_at`/`updated_at` kept by Django, and a `version` bumped on every save for ETags."""

    id = models.UUIDField(primary_key=True, default=uuid6.uuid7, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    # violation_error_code of a constraint -> the field its violation is shown on. Django reports a
    # multi-column or conditional UniqueConstraint under __all__; declared once here, the admin's forms
    # (core.admin) and the API's serializers (core.api) show it on that field, and a race the database
    # catches (integrity_error_as_validation_error) is reported there too.
    constraint_error_fields: ClassVar[dict[str, str]] = {}

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Any save is a new version; the API's If-Match check compares against this column under a row
        # lock in the same transaction as the write (core.viewsets).
        if not self._state.adding:
            self.version = (self.version or 0) + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version", "updated_at"}
        super().save(*args, **kwargs)

    @classmethod
    def integrity_error_as_validation_error(cls, exc: IntegrityError) -> ValidationError:
        """The constraint a database refusal names, as the ValidationError full_clean() would have raised
        (code "conflict": the rule held when checked, and another writer got there first)."""
        text = str(exc)
        for constraint in cls._meta.constraints:
            field = cls.constraint_error_fields.get(constraint.violation_error_code)
            if field and cls._names_constraint(constraint, text):
                return ValidationError({field: ValidationError(constraint.violation_error_message, code="conflict")})
        return ValidationError("The change conflicts with another record.", code="conflict")

    @classmethod
    def _names_constraint(cls, constraint, text: str) -> bool:
        # PostgreSQL names the constraint; SQLite says exactly "UNIQUE constraint failed: table.col1, table.col2"
        # (partial unique indexes included).
        if constraint.name in text:
            return True
        fields = getattr(constraint, "fields", None)
        if not fields:
            return False
        table = cls._meta.db_table
        columns = ", ".join(f"{table}.{cls._meta.get_field(field).column}" for field in fields)
        return text.strip() == f"UNIQUE constraint failed: {columns}"
