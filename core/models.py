"""The base every Cadence model stands on: a time-ordered UUID key, maintained timestamps, a version, and
constraint violations reported on the field they are about; and the record of a POST's Idempotency-Key
(core.idempotency)."""

import contextlib
import logging
from typing import ClassVar

import uuid6
from django.conf import settings
from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, IntegrityError, connections, models, router, transaction
from django.db.models import BooleanField, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

logger = logging.getLogger(__name__)


def failed_check_constraints(instance, checks, *, exclude, using) -> list:
    """The CheckConstraints of `checks` that `instance`'s values violate, judged in ONE query.

    Django's CheckConstraint.validate runs a query (in a savepoint) per constraint: 8 constraints cost a
    session write 24 queries. This selects every condition at once, with the same rules: a condition that
    names an excluded field is skipped (Django's FieldError), NULL passes (Coalesce to true), and a database
    error is logged and passes (the database's own constraint still holds at the write)."""
    if not checks:
        return []
    model = type(instance)
    query = Query(None)
    for name, value in instance._get_field_expression_map(meta=model._meta, exclude=exclude).items():
        query.add_annotation(value if hasattr(value, "resolve_expression") else Value(value), name, select=False)
    judged = []
    for constraint in checks:
        try:
            query.add_annotation(
                Coalesce(Q(constraint.condition), Value(True), output_field=BooleanField()), f"_check_{len(judged)}"
            )
        except FieldError:
            continue
        judged.append(constraint)
    if not judged:
        return []
    connection = connections[using]
    try:
        with transaction.atomic(using=using) if connection.in_atomic_block else contextlib.nullcontext():
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError as exc:
        logger.warning("Got a database error checking the constraints of %r: %s", instance, exc)
        return []
    return [constraint for constraint, passed in zip(judged, row, strict=True) if not passed]


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

    def validate_constraints(self, exclude=None) -> None:
        """Django's validate_constraints, with every CheckConstraint judged in one query instead of one each."""
        using = router.db_for_write(self.__class__, instance=self)
        errors: dict = {}
        checks = []
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                if isinstance(constraint, models.CheckConstraint) and model_class is type(self):
                    checks.append(constraint)
                    continue
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as exc:
                    if getattr(exc, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(exc)
                    else:
                        errors = exc.update_error_dict(errors)
        for constraint in failed_check_constraints(self, checks, exclude=exclude, using=using):
            error = ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

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


class IdempotencyRecord(models.Model):
    """A POST's `Idempotency-Key` as one user used it (core.idempotency): the request's fingerprint and, once
    the request has finished, the answer a repeat gets.

    `response_status` is NULL while the request that holds the key runs. `claim` identifies that request: it
    changes when another request takes over an expired or abandoned key, so the first one can tell that it
    lost the key and must not store its answer."""

    # Looked up by (user, key): the unique constraint's index leads with the user and serves the cascade too.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of the method, path, query and body")
    claim = models.UUIDField()
    created_at = models.DateTimeField(help_text="When the request holding the key started")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.BinaryField(default=b"", blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="core_idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({'running' if self.response_status is None else self.response_status})"
