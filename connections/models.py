"""DatabaseConnectionProfile: what the database of an environment is supposed to look like.

Metadata only: the secret lives elsewhere and `credential_ref` names where. Every change is kept in an
audit history (django-simple-history), which therefore never holds a secret either.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from .validators import names_sqlite_file, validate_credential_ref, validate_environment_key


class DatabaseRole(models.TextChoices):
    PRIMARY = "primary", "Primary"
    REPLICA = "replica", "Replica"


class DatabaseConnectionProfile(TimeStampedModel):
    environment = models.CharField(max_length=40, unique=True, validators=[validate_environment_key])
    # A primary must accept writes (DB_READ_ONLY otherwise); a replica is checked for replay lag.
    role = models.CharField(max_length=16, choices=DatabaseRole.choices, default=DatabaseRole.PRIMARY)
    # Blank only for an embedded SQLite database, which has no host (see clean()).
    host = models.CharField(max_length=255, blank=True)
    port = models.PositiveIntegerField(default=5432, validators=[MinValueValidator(1), MaxValueValidator(65535)])
    database = models.CharField(max_length=63)
    schema = models.CharField(max_length=63, default="public")
    credential_ref = models.CharField(max_length=255, validators=[validate_credential_ref])
    rotation_interval_days = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    last_validated_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        ordering = ["environment"]
        indexes = [models.Index(fields=["updated_at"], name="profile_updated_at_idx")]  # ?updatedAfter=
        constraints = [
            models.CheckConstraint(condition=Q(port__gte=1, port__lte=65535), name="profile_port_range"),
            models.CheckConstraint(
                condition=Q(rotation_interval_days__gte=1, rotation_interval_days__lte=365),
                name="profile_rotation_1_365",
            ),
            models.CheckConstraint(condition=Q(role__in=DatabaseRole.values), name="profile_role_valid"),
        ]

    def clean(self) -> None:
        super().clean()
        if not (self.host or "").strip() and not names_sqlite_file(self.database or ""):
            raise ValidationError(
                {
                    "host": "A PostgreSQL database needs a host. Leave it blank only for a SQLite database file "
                    "(e.g. db.sqlite3)."
                },
                code="host_required",
            )

    def save(self, *args, **kwargs):
        # The last line against a secret: the API and admin validate through full_clean(), but a script's
        # plain save() does not, and whatever is saved here is also copied into the audit history.
        validate_credential_ref(self.credential_ref)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.environment} ({self.host}:{self.port}/{self.database})"
