"""Cadence settings: one module; every difference between environments is an environment variable.

The variables are listed in `.env.example` (the core ones first, then the operational knobs) and in
docs/operations.md, "1. Production settings".
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator

from config.databases import apply_pooler, replica_databases

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file is optional; real deployments set the variables in the environment. It only fills in what the
# environment leaves unset: a real environment variable always wins over the file.
DOTENV_PATH = BASE_DIR / ".env"
environ.Env.read_env(DOTENV_PATH, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
APP_ENVIRONMENT = env.str("APP_ENVIRONMENT", default="development")


def _dotenv_file(path: Path) -> environ.Env:
    """An Env over the values the file at `path` itself sets, parsed as read_env parses them (os.environ is
    left alone), so a value the environment overrides can still be seen."""
    reader = type("DotEnvFile", (environ.Env,), {"ENVIRON": {}})
    reader.read_env(path, overwrite=True)
    return reader()


# Production refuses development settings, wherever they come from. DEBUG on shows tracebacks and settings to
# anyone and turns the HTTPS hardening off; a development .env left in the checkout (`make run` writes one)
# would silently fill in every variable the environment leaves unset (SQLite, a per-process cache) even when
# the environment turns DEBUG off. This runs on import, so manage.py, gunicorn and every other entry refuse.
if APP_ENVIRONMENT.strip().lower() == "production":
    _dotenv = _dotenv_file(DOTENV_PATH)
    if DEBUG:
        raise ImproperlyConfigured(
            "DEBUG is on while APP_ENVIRONMENT is production: refusing to start. Set DEBUG=False in the "
            "production environment"
            + (
                f" and remove the development .env ({DOTENV_PATH} sets DEBUG={_dotenv.str('DEBUG')})."
                if _dotenv.bool("DEBUG", default=False)
                else "."
            )
        )
    _dotenv_says = []
    if _dotenv.bool("DEBUG", default=False):
        _dotenv_says.append(f"DEBUG={_dotenv.str('DEBUG')}")
    if _dotenv.str("APP_ENVIRONMENT", default="").strip().lower() not in ("", "production"):
        _dotenv_says.append(f"APP_ENVIRONMENT={_dotenv.str('APP_ENVIRONMENT')}")
    if _dotenv_says:
        raise ImproperlyConfigured(
            f"{DOTENV_PATH} is a development .env ({', '.join(_dotenv_says)}) while APP_ENVIRONMENT is "
            "production: refusing to start, because its values would fill in every variable the environment "
            "leaves unset. Remove it from the production checkout (or make it a production one)."
        )

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required unless DEBUG is on.")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105 (DEBUG only)
# Old keys that still verify what they signed (sessions, invitation links, list cursors) during a rotation.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

HEALTH_MAX_AGE_SECONDS = env.int("HEALTH_MAX_AGE_SECONDS", default=300)
HEALTH_SPOOL_PATH = Path(env.str("HEALTH_SPOOL_PATH", default="var/health-spool.jsonl"))
if not HEALTH_SPOOL_PATH.is_absolute():
    HEALTH_SPOOL_PATH = BASE_DIR / HEALTH_SPOOL_PATH
AUTH_TOKEN_TTL_HOURS = env.int("AUTH_TOKEN_TTL_HOURS", default=12)
# Requests one calendar feed URL may make per period, and requests for feed URLs that do not exist one client
# address may make (guessing); counted in the shared cache, CACHE_URL.
CALENDAR_FEED_RATE = env.str("CALENDAR_FEED_RATE", default="60/hour")
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|m|min|h|hour|d|day)", CALENDAR_FEED_RATE.strip().lower()):
    raise ImproperlyConfigured("CALENDAR_FEED_RATE must look like 60/hour (N/s, N/min, N/hour or N/day).")
# /health/db warns above this latency; version/releaseId in its body; /metrics' bearer token
# (docs/operations.md, 8. Beyond one database).
HEALTH_WARN_LATENCY_MS = env.float("HEALTH_WARN_LATENCY_MS", default=250)
# The training-load model's time constants in days (docs/training-load.md): fitness and fatigue.
LOAD_FITNESS_DAYS = env.int("LOAD_FITNESS_DAYS", default=42)
LOAD_FATIGUE_DAYS = env.int("LOAD_FATIGUE_DAYS", default=7)
if not (1 <= LOAD_FATIGUE_DAYS < LOAD_FITNESS_DAYS <= 365):
    raise ImproperlyConfigured(
        "LOAD_FITNESS_DAYS and LOAD_FATIGUE_DAYS must be whole days with 1 <= fatigue < fitness <= 365."
    )
RELEASE_ID = env.str("RELEASE_ID", default="") or None
METRICS_TOKEN = env.str("METRICS_TOKEN", default="") or None
# Where athletes use Cadence (the frontend, an http(s) URL): the set-password page ends with a link to it.
# Unset, the page tells them to sign in to the app they use with Cadence.
FRONTEND_URL = env.str("FRONTEND_URL", default="").strip() or None
if FRONTEND_URL:
    try:
        URLValidator(schemes=["http", "https"])(FRONTEND_URL)
    except ValidationError:
        raise ImproperlyConfigured("FRONTEND_URL must be an http(s) URL, e.g. https://app.example.com/.") from None

# --- Background work (docs/operations.md, Background workers) -----------------------------------------------
# Tasks are enqueued in the caller's transaction (django-tasks-db inserts a row into the database: a rolled-back
# write enqueues nothing) and run by `manage.py worker` processes. TASKS_BACKEND names another django-tasks backend
# for a site that outgrows the database queue.
TASKS_BACKEND = env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")
TASKS = {"default": {"BACKEND": TASKS_BACKEND}}
# A worker writes a heartbeat this often; a job whose worker has written none for WORKER_STALE_SECONDS (the worker
# was killed, its machine lost) goes back to the queue for another worker (background.heartbeat).
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=5)
WORKER_STALE_SECONDS = env.float("WORKER_STALE_SECONDS", default=60)
if not (0 < WORKER_HEARTBEAT_SECONDS * 2 <= WORKER_STALE_SECONDS):
    raise ImproperlyConfigured("WORKER_STALE_SECONDS must be at least twice WORKER_HEARTBEAT_SECONDS (both > 0).")

# --- Webhooks (docs/api.md, Webhooks; docs/operations.md) -----------------------------------------------------
# Hosts (names or IP addresses, as written in an endpoint's URL) that may be reached over http:// and at private,
# loopback or link-local addresses; every other endpoint must be https:// to a public address.
WEBHOOK_ALLOW_PRIVATE_HOSTS = [
    h.strip().lower() for h in env.list("WEBHOOK_ALLOW_PRIVATE_HOSTS", default=[]) if h.strip()
]
try:
    WEBHOOK_RETRY_SCHEDULE = [
        int(s) for s in env.str("WEBHOOK_RETRY_SCHEDULE", default="5,300,1800,7200,18000,36000,36000").split(",")
    ]
except ValueError:
    WEBHOOK_RETRY_SCHEDULE = []
if not WEBHOOK_RETRY_SCHEDULE or any(s < 0 for s in WEBHOOK_RETRY_SCHEDULE):
    raise ImproperlyConfigured("WEBHOOK_RETRY_SCHEDULE must be whole seconds >= 0, comma-separated (e.g. 5,300,1800).")
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)
if not 0 < WEBHOOK_TIMEOUT_SECONDS <= 60:
    raise ImproperlyConfigured("WEBHOOK_TIMEOUT_SECONDS must be more than 0 and at most 60.")
WEBHOOK_DISABLE_AFTER_DAYS = env.float("WEBHOOK_DISABLE_AFTER_DAYS", default=5)
if WEBHOOK_DISABLE_AFTER_DAYS <= 0:
    raise ImproperlyConfigured("WEBHOOK_DISABLE_AFTER_DAYS must be more than 0.")

INSTALLED_APPS = [
    "core.admin_site.CadenceAdminConfig",  # django.contrib.admin with the Cadence site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_jsonform",  # the admin's workout editor; its scripts are served from here like the admin's own
    "simple_history",
    "django_tasks",  # background work (the Tasks API), stored by the database backend below
    "django_tasks_db",
    "core",
    "athletes",
    "training",
    "calendars",
    "connections",
    "health",
    "wellness",
    "privacy",
    "background",
    "webhooks",
]

MIDDLEWARE = [
    # Outermost, so the request count and latency cover every answer (including other middleware's).
    "core.metrics.RequestMetricsMiddleware",
    # CORS before anything that can answer (CommonMiddleware, WhiteNoise, the 503s of an outage, authentication):
    # a preflight is answered here, and every /api/ response gets the CORS headers an allowed origin needs.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Bounds every database wait of the request and answers timeouts/outages with 503 + Retry-After.
    "core.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Chooses the node an API read uses for the whole request (primary or a replica).
    "core.replicas.ReplicaReadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # camelCase query parameters (?athleteId=) reach django-filter as snake_case.
    "djangorestframework_camel_case.middleware.CamelCaseMiddleWare",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL=postgres://... switches to PostgreSQL through psycopg 3.
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
DATABASE_SCHEMA = env.str("DATABASE_SCHEMA", default="public")
DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=5)

# Bounds on every database wait of a request (seconds; 0 turns one off). PostgreSQL enforces the first three
# on the server; the TCP keepalives and tcp_user_timeout let the client notice a peer that vanished. Management
# commands that do long work (migrate, seed_demo, prunehealth) raise them for their own session (core.db).
DB_STATEMENT_TIMEOUT = env.float("DB_STATEMENT_TIMEOUT", default=5)
DB_LOCK_TIMEOUT = env.float("DB_LOCK_TIMEOUT", default=3)
DB_IDLE_IN_TRANSACTION_TIMEOUT = env.float("DB_IDLE_IN_TRANSACTION_TIMEOUT", default=60)
DB_MAINTENANCE_STATEMENT_TIMEOUT = env.float("DB_MAINTENANCE_STATEMENT_TIMEOUT", default=3600)
DB_MAINTENANCE_LOCK_TIMEOUT = env.float("DB_MAINTENANCE_LOCK_TIMEOUT", default=60)
DB_KEEPALIVES_IDLE = env.int("DB_KEEPALIVES_IDLE", default=30)
DB_KEEPALIVES_INTERVAL = env.int("DB_KEEPALIVES_INTERVAL", default=10)
DB_KEEPALIVES_COUNT = env.int("DB_KEEPALIVES_COUNT", default=3)
DB_TCP_USER_TIMEOUT = env.float("DB_TCP_USER_TIMEOUT", default=30)
# A request whose connection has had a command in flight for this long gets its socket cut (the server would
# have cancelled the statement at DB_STATEMENT_TIMEOUT if it were running): see core.db.
DB_STALL_GRACE = env.float("DB_STALL_GRACE", default=0.5)
# Once a connect fails, a command stalls or a connection is lost, each worker answers requests that need that
# database with 503 at once, and a background probe tries the database this often until it answers; no user
# request is sent into the wait (core.db.CircuitBreaker). 0: off.
DB_CIRCUIT_COOLDOWN_SECONDS = env.float("DB_CIRCUIT_COOLDOWN_SECONDS", default=5)
# Parameters bound by the server (psycopg's own cursors, not Django's default client-side interpolation), and
# statements a connection runs repeatedly prepared on the server after DB_PREPARE_THRESHOLD runs (0: never):
# PostgreSQL then stops parsing and planning the same SQL again on every request (docs/performance.md).
# DB_POOLER=pgbouncer turns preparing off (config/databases.py). After a migration that changes a column's
# type, restart the app so no connection keeps a statement prepared against the old type.
DB_SERVER_SIDE_BINDING = env.bool("DB_SERVER_SIDE_BINDING", default=True)
DB_PREPARE_THRESHOLD = env.int("DB_PREPARE_THRESHOLD", default=5)


def postgres_options(*, schema: str = "public", startup_options: bool = True) -> dict:
    """libpq/psycopg OPTIONS for an application connection to PostgreSQL: connect timeout, keepalives, and
    (with `startup_options`) the search_path and the statement, lock and idle-in-transaction timeouts sent as
    `-c` startup parameters.

    Behind PgBouncer in transaction mode, startup `options` are refused (unless PgBouncer lists them in
    `ignore_startup_parameters`, which then drops them): pass `startup_options=False` and set the timeouts
    on the database role instead (`ALTER ROLE cadence SET statement_timeout = '5s'`)."""

    def ms(seconds: float) -> int:
        return int(seconds * 1000)

    options: dict = {
        "connect_timeout": DB_CONNECT_TIMEOUT,
        "application_name": env.str("DB_APPLICATION_NAME", default="cadence"),
        "keepalives": 1,
        "keepalives_idle": DB_KEEPALIVES_IDLE,
        "keepalives_interval": DB_KEEPALIVES_INTERVAL,
        "keepalives_count": DB_KEEPALIVES_COUNT,
        "tcp_user_timeout": ms(DB_TCP_USER_TIMEOUT),
    }
    if DB_SERVER_SIDE_BINDING:
        options["server_side_binding"] = True
        # psycopg prepares a statement on the server after it ran this many times on a connection.
        options["prepare_threshold"] = DB_PREPARE_THRESHOLD or None
    if startup_options:
        # DATABASE_SCHEMA first; public after it so extensions installed there still resolve.
        search_path = f"{schema},public" if schema != "public" else "public"
        options["options"] = " ".join(
            [
                f"-c search_path={search_path}",
                f"-c statement_timeout={ms(DB_STATEMENT_TIMEOUT)}",
                f"-c lock_timeout={ms(DB_LOCK_TIMEOUT)}",
                f"-c idle_in_transaction_session_timeout={ms(DB_IDLE_IN_TRANSACTION_TIMEOUT)}",
            ]
        )
    return options


_default_db = DATABASES["default"]
if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    name = Path(_default_db["NAME"])
    if str(name) != ":memory:" and not name.is_absolute():
        _default_db["NAME"] = str(BASE_DIR / name)
    _default_db.setdefault("OPTIONS", {})["timeout"] = 20  # wait for the writer lock instead of failing
elif _default_db["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
    _default_db["ENGINE"] = "django.db.backends.postgresql"
    _default_db.setdefault("OPTIONS", {}).update(postgres_options(schema=DATABASE_SCHEMA))
    # Persistent connections per worker thread; health checks drop a connection the server has closed.
    _default_db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    _default_db["CONN_HEALTH_CHECKS"] = True

# --- Read replicas and a transaction pooler (docs/operations.md, 8. Beyond one database) --------------
# Built from the primary's finished entry (after every OPTIONS change above), so replicas share its
# connect/statement timeouts and keepalives. Routing: core.replicas (API GET/HEAD reads, read-your-writes).
DB_POOLER = env.str("DB_POOLER", default="")
apply_pooler(_default_db, DB_POOLER)
DATABASES.update(
    replica_databases(_default_db, [env.db_url_config(url) for url in env.list("DATABASE_REPLICA_URLS", default=[])])
)
REPLICA_ALIASES = [alias for alias in DATABASES if alias != "default"]
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=5)
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=30)
# How long a replica that could not be reached is skipped before it is tried again (per worker process).
REPLICA_RETRY_SECONDS = env.int("REPLICA_RETRY_SECONDS", default=30)
DATABASE_ROUTERS = ["core.replicas.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttle state) -------------------------------------------------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://cadence")}

# --- Auth -------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Athlete invitations (Django's password-reset tokens under their own salt) are valid this long.
PASSWORD_RESET_TIMEOUT = 72 * 3600
# Django's ModelBackend with the password hash bounded per process (core.auth.HashGate).
AUTHENTICATION_BACKENDS = ["core.auth.LoginBackend"]
# Passwords one worker process hashes at once for logins; a login that finds them busy waits up to 1 s behind
# at most as many others, else 503 with Retry-After. PBKDF2 takes a core per hash: keep it below the CPUs.
LOGIN_HASH_CONCURRENCY = env.int("LOGIN_HASH_CONCURRENCY", default=1)
if LOGIN_HASH_CONCURRENCY < 1:
    raise ImproperlyConfigured("LOGIN_HASH_CONCURRENCY must be at least 1 (0 would refuse every login).")

# --- E-mail (athlete invitations) ---------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@mail.example.com:587; by default mail is printed to the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Cadence <cadence@localhost>")

# --- I18N -------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files (served by WhiteNoise under gunicorn; no CDN anywhere) ----------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# --- Uploaded files (activities): the file system under MEDIA_ROOT, or an S3-compatible bucket -------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default="var/media"))
if not MEDIA_ROOT.is_absolute():
    MEDIA_ROOT = BASE_DIR / MEDIA_ROOT
MEDIA_URL = "media/"  # never served by Cadence: files are read through the API (GET /api/v1/activities/{id}/file/)
# The largest activity file accepted, as uploaded and once decompressed (.gz): 25 MiB.
ACTIVITY_MAX_BYTES = env.int("ACTIVITY_MAX_BYTES", default=25 * 1024 * 1024)
if ACTIVITY_MAX_BYTES < 1:
    raise ImproperlyConfigured("ACTIVITY_MAX_BYTES must be a positive number of bytes.")
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # django-storages' S3 backend; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (read by boto3 from
    # the environment) or the instance's role. Files are private: no public URLs are handed out.
    _FILE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _FILE_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

STORAGES = {
    "default": _FILE_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Lets tests and `runserver` with DEBUG off find files without collectstatic having run.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)

# --- CORS: browsers on other origins (a single-page app) calling /api/ ----------------------------------------
# Exact origins, scheme://host[:port], comma-separated. Only /api/ answers CORS (not /health/, /admin/, /metrics).
CORS_ALLOWED_ORIGINS = [o.strip() for o in env.list("CORS_ALLOWED_ORIGINS", default=[]) if o.strip()]
_ORIGIN = re.compile(r"https?://(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:[0-9]{1,5})?")
for _origin in CORS_ALLOWED_ORIGINS:
    # Checked here, not only by `manage.py check`: gunicorn runs no system checks, and an origin with a path or
    # a trailing slash would never match a browser's Origin header (the SPA would fail with no hint why).
    if not _ORIGIN.fullmatch(_origin):
        raise ImproperlyConfigured(
            f"CORS_ALLOWED_ORIGINS: {_origin!r} is not an origin. Give scheme://host[:port] in lower case, "
            "without a path or a trailing slash, e.g. https://app.example.com,http://localhost:5173."
        )
CORS_URLS_REGEX = r"^/api/"
# Bearer tokens in the Authorization header, never cookies: no credentialed requests, so a page on an allowed
# origin cannot ride on an admin's session cookie.
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "if-match", "idempotency-key"]
# Readable by the page's script: the version for If-Match, how long to wait after a 429 or a 503, and whether
# an answer is the stored one of an earlier request with the same Idempotency-Key.
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "Idempotent-Replayed"]

# --- Security (production defaults; `check --deploy` is clean with the production variables) -------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# /health/* is probed, and /metrics scraped, over plain HTTP inside the cluster; they must not be redirected.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Declares eligibility for browsers' HSTS preload list; set False if the domain must never be preloaded.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Django REST framework --------------------------------------------------------------------------
# djangorestframework-camel-case: request keys become snake_case, except inside a session's `structure` and a
# program template's `phases` and `sessions`, whose keys are the API's own camelCase names (exerciseId,
# restSeconds, startWeek, durationMinutes), validated and stored as written (training.workouts.structure,
# training.library.api).
JSON_CAMEL_CASE = {
    "JSON_UNDERSCOREIZE": {
        "no_underscore_before_number": False,
        "ignore_fields": ("structure", "phases", "sessions"),
        "ignore_keys": None,
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.auth.TokenAuthentication",  # knox: malformed token bytes are a 401; no cleanup query per request
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: a view that names no permission of its own answers 403 to everyone (401 without
    # credentials), never "any signed-in user" (core.permissions.DenyAll).
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.DenyAll"],
    "DEFAULT_RENDERER_CLASSES": [
        "core.lists.renderers.JSONRenderer",  # camel-case renderer; orjson for lists already camelCase
        "djangorestframework_camel_case.render.CamelCaseBrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.CamelCaseJSONParser",  # camelCase, and a 400 for bodies nested too deeply
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "core.lists.filters.FilterBackend",  # django-filter's, skipped when no filter is named
        "core.lists.ordering.CamelCaseOrderingFilter",  # ?ordering=-startDate (camelCase values too)
    ],
    "DEFAULT_PAGINATION_CLASS": "core.lists.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("LOGIN_THROTTLE_RATE", default="30/min"),
    },
    "COERCE_DECIMAL_TO_STRING": False,
    # Proxies in front of the app: 0 means the login throttle keys on REMOTE_ADDR and ignores a
    # client-supplied X-Forwarded-For (which would let a client dodge the throttle).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(hours=AUTH_TOKEN_TTL_HOURS),
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Cadence API",
    "DESCRIPTION": "Training programs, phases, micro-cycles and sessions, with derived program metrics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
        "core.schema.add_error_responses",
    ],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "PlanStatusEnum": "training.models.PlanStatus",
        "SessionStatusEnum": "training.models.SessionStatus",
        "CheckStatusEnum": "health.models.CheckStatus",
        "DatabaseRoleEnum": "connections.models.DatabaseRole",
        "ReadinessFlagEnum": "wellness.readiness.FLAGS",
        "ActivityStatusEnum": "training.activities.models.ActivityStatus",
    },
}

# Error reports of requests about health data show no form fields and no frame variables (core.redaction).
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.redaction.HealthDataExceptionReporterFilter"

# --- Logging: to stderr, where the process manager collects it -----------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Health data (wellness) never reaches a log line: statements on its tables lose their SQL and parameters,
    # and constraint errors lose the row values they quote (core.redaction).
    "filters": {"health_data": {"()": "core.redaction.HealthDataLogFilter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["health_data"]}},
    "loggers": {"django.db.backends": {"filters": ["health_data"]}},
    "root": {"handlers": ["stderr"], "level": env.str("LOG_LEVEL", default="INFO")},
}
