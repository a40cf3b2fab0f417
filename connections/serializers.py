from core.api import ServiceModelSerializer

from .models import DatabaseConnectionProfile


class DatabaseConnectionProfileSerializer(ServiceModelSerializer):
    """`credentialRef` runs connections.validators.validate_credential_ref (copied from the model field):
    a value carrying a secret is a 400 whose message never repeats it, and it is never saved."""

    class Meta:
        model = DatabaseConnectionProfile
        fields = [
            "id",
            "environment",
            "role",
            "host",
            "port",
            "database",
            "schema",
            "credential_ref",
            "rotation_interval_days",
            "last_validated_at",
            "updated_at",
        ]
        read_only_fields = ["id", "last_validated_at", "updated_at"]
        extra_kwargs = {
            "port": {"min_value": 1, "max_value": 65535},
            "rotation_interval_days": {"min_value": 1, "max_value": 365},
        }
