import factory
from django.contrib.auth import get_user_model

from athletes.models import AthleteProfile, PrimaryGoal


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class StaffFactory(UserFactory):
    is_staff = True
    username = factory.Sequence(lambda n: f"coach{n}")


class AthleteProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AthleteProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Athlete {n}")
    timezone = "UTC"
    primary_goal = PrimaryGoal.ENDURANCE
