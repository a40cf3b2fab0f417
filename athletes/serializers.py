"""AthleteProfile as the API shows it (camelCase by the renderer: userId, displayName, ...)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.api import ServiceModelSerializer

from .models import AthleteProfile

# Free text, but bounded: a request body is not size-limited by Django once DRF streams it.
COACH_NOTES_MAX_LENGTH = 10_000
# The auth user table's id is a 64-bit integer; anything bigger cannot name a user.
MAX_USER_ID = 2**63 - 1


class UserIdField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.IntegerField(min_value=1, max_value=MAX_USER_ID))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if self.pk_field is not None and not isinstance(data, bool):
            # IntegerField.to_internal_value does not apply its range; run_validation does.
            self.pk_field.run_validation(data)
        return super().to_internal_value(data)


class AthleteProfileSerializer(ServiceModelSerializer):
    user_id = UserIdField(source="user", queryset=get_user_model().objects.all())
    coach_notes = serializers.CharField(
        max_length=COACH_NOTES_MAX_LENGTH, allow_blank=True, required=False, trim_whitespace=False
    )

    class Meta:
        model = AthleteProfile
        fields = [
            "id",
            "user_id",
            "display_name",
            "timezone",
            "primary_goal",
            "coach_notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list = []  # one profile per user is checked by full_clean, with the field's own message

    def validate_user_id(self, user):
        # A profile belongs to one login for good: re-pointing it would hand the athlete's plan (and their
        # access to it) to another account, even a staff one.
        if self.instance is not None and user.pk != self.instance.user_id:
            raise serializers.ValidationError("Cannot be changed once the profile exists.", code="immutable")
        return user
