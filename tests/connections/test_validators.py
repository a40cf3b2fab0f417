"""credentialRef: references pass; secrets, connection strings and anything else fail, never echoed."""

import pytest
from django.core.exceptions import ValidationError

from connections.models import DatabaseConnectionProfile
from connections.validators import validate_credential_ref, validate_environment_key
from tests.support.factories.connections import DatabaseConnectionProfileFactory

SECRET = "S3cr3t-Pa55"


@pytest.mark.parametrize(
    "value",
    [
        "env:DATABASE_URL",
        "env:PGPASSWORD",  # the name of a variable that holds a password is a reference, not a password
        "env:_X",
        "env:" + "A" * 128,
        "vault:secret/data/db/prod",
        "vault:secret/data/db/prod#password",
        "k8s-secret:cadence/db-url",
        "aws-sm:arn:aws:secretsmanager:eu-north-1:123456789012:secret:prod/db-AbCdEf",
        "gcp-sm:projects/cadence/secrets/db/versions/latest",
        "azure-kv:cadence-kv/db-url",
        "file:/run/secrets/database_url",
    ],
)
def test_references_are_accepted(value):
    validate_credential_ref(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (f"postgres://app:{SECRET}@db.example.com:5432/cadence", "credential_is_secret"),
        (f"postgresql://app:{SECRET}@/cadence?host=/var/run/postgresql", "credential_is_secret"),
        (f"redis://:{SECRET}@cache:6379/0", "credential_is_secret"),
        (f"host=db user=app password={SECRET} dbname=cadence", "credential_is_secret"),
        (f"password={SECRET}", "credential_is_secret"),
        (f"PASSWORD = {SECRET}", "credential_is_secret"),
        (f"secret={SECRET}", "credential_is_secret"),
        (f"db_password={SECRET}", "credential_is_secret"),
        (f"api_key={SECRET}", "credential_is_secret"),
        (f"vault:secret/data/db?token={SECRET}", "credential_is_secret"),
        (f"password: {SECRET}", "credential_is_secret"),
        ("-----BEGIN PRIVATE KEY-----MIIEv", "credential_is_secret"),
        ("postgres://app@db.example.com:5432/cadence", "credential_is_dsn"),
        ("postgres://db.example.com/cadence", "credential_is_dsn"),
        ("host=db.example.com dbname=cadence user=app", "credential_is_dsn"),
        ("dbname=cadence", "credential_is_dsn"),
        (SECRET, "invalid_credential_ref"),
        ("env:", "invalid_credential_ref"),
        ("env:DATABASE-URL", "invalid_credential_ref"),  # not a variable name
        ("env:" + "A" * 129, "invalid_credential_ref"),
        ("vault:", "invalid_credential_ref"),
        ("unknown:thing", "invalid_credential_ref"),
        ("env:DATABASE_URL ", "invalid_credential_ref"),
        ("env:DATABASE_URL\x00", "invalid_credential_ref"),
        ("", "invalid_credential_ref"),
    ],
)
def test_secrets_and_non_references_are_rejected_without_echo(value, code):
    with pytest.raises(ValidationError) as info:
        validate_credential_ref(value)
    error = info.value
    assert error.code == code
    rendered = " ".join(error.messages) + repr(error.params)
    assert SECRET not in rendered
    if len(value.strip()) > 8:  # long enough not to be a word of the message itself
        assert value not in rendered


@pytest.mark.django_db
def test_full_clean_rejects_secret_on_the_field():
    profile = DatabaseConnectionProfileFactory.build(credential_ref=f"postgres://app:{SECRET}@db/cadence")
    with pytest.raises(ValidationError) as info:
        profile.full_clean()
    assert list(info.value.message_dict) == ["credential_ref"]
    assert SECRET not in str(info.value)


@pytest.mark.django_db
def test_plain_save_cannot_store_a_secret():
    with pytest.raises(ValidationError):
        DatabaseConnectionProfile.objects.create(
            environment="prod", host="db", database="cadence", credential_ref=f"password={SECRET}"
        )
    assert DatabaseConnectionProfile.objects.count() == 0
    assert DatabaseConnectionProfile.history.count() == 0


@pytest.mark.parametrize("value", ["a", "prod", "eu-west_1", "0", "a" * 40])
def test_environment_keys_accepted(value):
    validate_environment_key(value)


@pytest.mark.parametrize("value", ["", "A", "-prod", "_x", "a" * 41, "prod env", "prod\n", "préprod"])
def test_environment_keys_rejected(value):
    with pytest.raises(ValidationError):
        validate_environment_key(value)
