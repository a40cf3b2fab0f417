"""AthleteProfile as the API shows it (camelCase by the renderer: userId, coachIds, displayName, ...)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from core.api import ServiceModelSerializer

from .models import AthleteProfile, Squad
from .selectors import coach_users

# Free text, but bounded: a request body is not size-limited by Django once DRF streams it.
COACH_NOTES_MAX_LENGTH = 10_000
# The auth user table's id is a 64-bit integer; anything bigger cannot name a user.
MAX_USER_ID = 2**63 - 1
USER_REQUIRED = "This field is required (or give user: {username, email} to create the athlete's login)."


class UserIdField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.IntegerField(min_value=1, max_value=MAX_USER_ID))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if self.pk_field is not None and not isinstance(data, bool):
            # IntegerField.to_internal_value does not apply its range; run_validation does.
            self.pk_field.run_validation(data)
        return super().to_internal_value(data)


class CoachIdsField(serializers.ManyRelatedField):
    def to_representation(self, iterable):
        return sorted(super().to_representation(iterable))


class NewUserSerializer(serializers.Serializer):
    """The login created with the athlete: the password is unusable until the athlete follows an invitation."""

    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = serializers.EmailField(max_length=254)


class InviteSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    emailed_to = serializers.EmailField(read_only=True, allow_null=True)


class AthleteProfileSerializer(ServiceModelSerializer):
    user_id = UserIdField(
        source="user",
        queryset=get_user_model().objects.all(),
        required=False,
        help_text="The athlete's login (a user id), set on create and never changed. It must be active, not "
        "staff or superuser, in no group, with no permission of its own and no athlete profile (else 400).",
    )
    user = NewUserSerializer(
        source="new_user",
        write_only=True,
        required=False,
        help_text="On create, instead of userId: creates the athlete's login (unusable password) with the profile.",
    )
    coach_ids = CoachIdsField(
        source="coaches",
        child_relation=UserIdField(
            queryset=coach_users(),
            error_messages={"does_not_exist": 'User "{pk_value}" is not a coach (not in "Coaches" or "Head coaches").'},
        ),
        required=False,
        help_text="The coaches assigned (ids of users in Coaches or Head coaches). Only head coaches change it; "
        "a coach who creates an athlete is assigned.",
    )
    coach_notes = serializers.CharField(
        max_length=COACH_NOTES_MAX_LENGTH, allow_blank=True, required=False, trim_whitespace=False
    )

    class Meta:
        model = AthleteProfile
        fields = [
            "id",
            "user_id",
            "user",
            "coach_ids",
            "display_name",
            "timezone",
            "primary_goal",
            "coach_notes",
            "max_heart_rate",
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

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not self.partial:
            fields["user_id"].required = True  # a PUT is the whole object; only a create may give `user` instead
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is None:
            if ("user" in attrs) == ("new_user" in attrs):
                raise serializers.ValidationError(
                    {"non_field_errors": ["Give either userId (an existing login) or user (a new one), not both."]}
                    if "user" in attrs
                    else {"user_id": [USER_REQUIRED]}
                )
        elif "new_user" in attrs:
            raise serializers.ValidationError({"user": ["A login is created only with a new athlete."]})
        # Who may change coachIds is judged by athletes.services.athlete_write, under the athlete's lock.
        return attrs

    def _field_map(self) -> dict[str, str]:
        # The login's username (a new login's) is reported on `user`, the profile's fields on their API names.
        return {**super()._field_map(), "username": "user"}


class RelatedIdsField(serializers.ListField):
    """A many-to-many relation as a sorted list of ids. On input only the ids' form is checked (each once:
    duplicates collapse); whether each names a row the writer may use is the service's business, in one query
    for the whole list."""

    def to_representation(self, manager):
        return sorted(self.child.to_representation(row.pk) for row in manager.all())

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))


class SquadSerializer(ServiceModelSerializer):
    """`name` is 1–80 characters after trimming and unique ignoring case. `coachIds` are coaches (a coach who
    creates a squad is added); `athleteIds` are the members the caller may see (athletes.services.squad_write)."""

    coach_ids = RelatedIdsField(
        source="coaches",
        child=serializers.IntegerField(min_value=1, max_value=MAX_USER_ID),
        max_length=100,
        required=False,
        help_text="The squad's coaches (ids of users in Coaches or Head coaches); a coach who creates the squad "
        "is added.",
    )
    athlete_ids = RelatedIdsField(
        source="athletes",
        child=serializers.UUIDField(),
        max_length=1000,
        required=False,
        help_text="The squad's athletes that you may see; each must be an athlete you may see (else 400), and "
        "members you may not see stay in the squad.",
    )

    class Meta:
        model = Squad
        fields = ["id", "name", "coach_ids", "athlete_ids", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        # The name's uniqueness ignoring case is the model's constraint, judged by the service under its lock.
        validators: list = []
