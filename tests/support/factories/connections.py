import factory

from connections.models import DatabaseConnectionProfile


class DatabaseConnectionProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DatabaseConnectionProfile
        django_get_or_create = ("environment",)

    environment = factory.Sequence(lambda n: f"env-{n}")
    host = "127.0.0.1"
    port = 5432
    database = "cadence"
    schema = "public"
    credential_ref = "env:DATABASE_URL"
    rotation_interval_days = 90
