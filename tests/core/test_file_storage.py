"""Where uploaded files go (activities): the file system under MEDIA_ROOT by default, an S3-compatible bucket when
AWS_STORAGE_BUCKET_NAME is set (django-storages; nothing here talks to a bucket), and ACTIVITY_MAX_BYTES read from
the environment. Each case is a fresh process reading the settings from its environment."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.checkout import REPO, clean_environment

SHOW = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
storage = storages["default"]
print(json.dumps({
    "backend": type(storage).__module__ + "." + type(storage).__name__,
    "location": str(getattr(storage, "location", "")),
    "bucket": getattr(storage, "bucket_name", None),
    "endpoint": getattr(storage, "endpoint_url", None),
    "acl": getattr(storage, "default_acl", "n/a"),
    "overwrite": getattr(storage, "file_overwrite", None),
    "limit": settings.ACTIVITY_MAX_BYTES,
}))
"""


def _settings(**variables: str):
    env = clean_environment(DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="x" * 50, **variables)
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_files_go_to_the_file_system_under_media_root_by_default():
    result = _settings()
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["backend"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert shown["location"] == str(REPO / "var" / "media")
    assert shown["limit"] == 25 * 1024 * 1024


def test_media_root_and_the_limit_come_from_the_environment(tmp_path):
    shown = json.loads(_settings(MEDIA_ROOT=str(tmp_path), ACTIVITY_MAX_BYTES="1000").stdout)
    assert (shown["location"], shown["limit"]) == (str(tmp_path), 1000)


def test_a_bucket_name_switches_to_s3_with_private_files():
    result = _settings(
        AWS_STORAGE_BUCKET_NAME="cadence-files",
        AWS_S3_ENDPOINT_URL="https://s3.example.com",
        AWS_S3_REGION_NAME="eu-north-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["backend"] == "storages.backends.s3.S3Storage"
    assert (shown["bucket"], shown["endpoint"], shown["acl"], shown["overwrite"]) == (
        "cadence-files",
        "https://s3.example.com",
        None,
        False,
    )


def test_a_limit_below_one_byte_refuses_to_start():
    result = _settings(ACTIVITY_MAX_BYTES="0")
    assert result.returncode != 0
    assert "ACTIVITY_MAX_BYTES must be a positive number of bytes" in result.stderr
