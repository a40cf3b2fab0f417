"""Masking secrets (core.redaction): what the database check and the health events write passes through it."""

import pytest

from core.redaction import error_text, sanitize, settings_secrets

PASSWORD = "S3cr3t-Pa55"


@pytest.mark.parametrize(
    "text",
    [
        f"connection to postgresql://app:{PASSWORD}@db.example.com:5432/cadence failed",
        f"postgres://app:{PASSWORD}@db/x",
        f"host=db user=app password={PASSWORD} dbname=cadence",
        f"host=db password = '{PASSWORD}' dbname=cadence",
        f'{{"password": "{PASSWORD}"}}'.replace('"password": ', "password: "),
        f"PGPASSWORD={PASSWORD}",
        f"secret={PASSWORD};",
    ],
)
def test_sanitize_masks_url_passwords_and_secret_pairs(text):
    masked = sanitize(text)
    assert PASSWORD not in masked
    assert "***" in masked


def test_sanitize_masks_known_secrets_anywhere():
    masked = sanitize(f'missing "=" after "{PASSWORD}" in connection info string', secrets=(PASSWORD,))
    assert PASSWORD not in masked
    assert masked == 'missing "=" after "***" in connection info string'


def test_sanitize_keeps_user_host_and_ordinary_text():
    text = 'connection to server at "127.0.0.1", port 1 failed: Connection refused'
    assert sanitize(text) == text
    assert sanitize("postgres://app:pw@db:5432/x") == "postgres://app:***@db:5432/x"
    assert sanitize("") == ""


def test_settings_secrets_collects_password_and_option_password():
    assert settings_secrets({"PASSWORD": "a", "OPTIONS": {"password": "b"}}) == ("a", "b")
    assert settings_secrets({"PASSWORD": "", "OPTIONS": {}}) == ()


def test_error_text_is_one_sanitized_line_or_the_class_name():
    exc = RuntimeError(f"connection to postgresql://app:{PASSWORD}@db/x failed:\n  FATAL:  timeout\n")
    assert error_text(exc) == "connection to postgresql://app:***@db/x failed: FATAL: timeout"
    assert error_text(RuntimeError(f'bad "{PASSWORD}"'), secrets=(PASSWORD,)) == 'bad "***"'
    assert error_text(TimeoutError()) == "TimeoutError"
