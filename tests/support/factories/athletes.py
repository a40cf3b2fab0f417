import factory
from django.contrib.auth import get_user_model

from athletes.models import AthleteProfile, PrimaryGoal, Squad


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


class SquadFactory(factory.django.DjangoModelFactory):
    """A squad; `coaches=[…]` and `athletes=[…]` set its members."""

    class Meta:
        model = Squad
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Squad {n}")

    @factory.post_generation
    def coaches(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.coaches.set(extracted)

    @factory.post_generation
    def athletes(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.athletes.set(extracted)


class InvitableAthleteFactory(AthleteProfileFactory):
    """An athlete whose login never had a password (as the API's create with `user` makes it): the only kind an
    invitation is for."""

    user = factory.SubFactory(UserFactory, password=None)


def ensure_role_groups() -> None:
    """The role groups as core's latest role migration defines them. A transactional test's flush deletes
    the groups the migrations made; re-applying converges (idempotent)."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("core.migrations.0010_role_groups_webhooks")

    class _SchemaEditor:
        pass

    _SchemaEditor.connection = connection
    migration.sync_role_groups(apps, _SchemaEditor())


class CoachFactory(StaffFactory):
    username = factory.Sequence(lambda n: f"coach-{n}")

    @factory.post_generation
    def _groups(obj, create, extracted, **kwargs):
        if create:
            add_groups(obj, extracted or ["Coaches"])


class HeadCoachFactory(StaffFactory):
    username = factory.Sequence(lambda n: f"head-coach-{n}")

    @factory.post_generation
    def _groups(obj, create, extracted, **kwargs):
        if create:
            add_groups(obj, extracted or ["Head coaches"])


class OperationsFactory(StaffFactory):
    username = factory.Sequence(lambda n: f"ops-{n}")

    @factory.post_generation
    def _groups(obj, create, extracted, **kwargs):
        if create:
            add_groups(obj, extracted or ["Operations"])


def add_groups(user, names) -> None:
    """Put `user` in the role groups `names` ("Coaches", "Head coaches", "Operations"), re-creating the groups
    when a transactional test's flush removed them."""
    from django.contrib.auth.models import Group

    if Group.objects.filter(name__in=names).count() != len(set(names)):
        ensure_role_groups()
    user.groups.add(*Group.objects.filter(name__in=names))
