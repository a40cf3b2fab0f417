"""Settings for the test suite: config.settings with test-only environment defaults.

Only defaults are set here (a variable already in the environment wins), so `DATABASE_URL` still chooses
PostgreSQL or SQLite. Everything else is production-like: DEBUG stays off.
"""

import os
import tempfile

# A developer's .env (made by `make run`, DEBUG on) must not turn DEBUG on for the suite.
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# The test client and the live server speak plain HTTP.
os.environ.setdefault("SECURE_SSL_REDIRECT", "False")
os.environ.setdefault("SESSION_COOKIE_SECURE", "False")
os.environ.setdefault("CSRF_COOKIE_SECURE", "False")
os.environ.setdefault(
    "HEALTH_SPOOL_PATH", os.path.join(tempfile.gettempdir(), f"cadence-test-spool-{os.getpid()}.jsonl")
)

# The suite runs on a shared, loaded machine: production's 5 s / 3 s bounds would make slow-but-correct tests
# (race tests holding locks, bulk setups) flaky. tests/faults/ sets small bounds on the servers it starts.
os.environ.setdefault("DB_STATEMENT_TIMEOUT", "20")
# Uploaded files (activities) go to a directory of the run's own; worker subprocesses inherit it.
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="cadence-test-media-"))
os.environ.setdefault("DB_LOCK_TIMEOUT", "10")

from config.settings import *  # noqa: F403
from config.settings import STORAGES

# PBKDF2's million iterations cost ~0.1 s a login; production keeps the default hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic before tests: serve the admin's files from the apps, unhashed.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
