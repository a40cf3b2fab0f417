"""DATABASE_REPLICA_URLS and DB_POOLER as settings: replica aliases inherit the primary's connection
options, and PgBouncer's transaction pooling gets settings that keep no session state."""

import os
import subprocess
import sys
from pathlib import Path

import environ
import pytest

from config.databases import apply_pooler, replica_aliases, replica_databases

ROOT = Path(__file__).resolve().parents[2]
PRIMARY = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "cadence",
    "USER": "app",
    "PASSWORD": "pw",
    "HOST": "db-1",
    "PORT": 5432,
    "CONN_MAX_AGE": 60,
    "CONN_HEALTH_CHECKS": True,
    "OPTIONS": {
        "connect_timeout": 5,
        "options": "-c search_path=public -c statement_timeout=30000",
        "keepalives": 1,
        "application_name": "cadence",
    },
}


def url(text: str) -> dict:
    return environ.Env.db_url_config(text)


@pytest.mark.parametrize(("count", "aliases"), [(1, ["replica"]), (2, ["replica1", "replica2"]), (0, [])])
def test_replica_aliases(count, aliases):
    assert replica_aliases(count) == aliases


def test_a_replica_inherits_the_primary_options_and_names_itself():
    replicas = replica_databases(PRIMARY, [url("postgres://ro:secret@db-2:6432/cadence?sslmode=require")])
    entry = replicas["replica"]
    assert (entry["HOST"], entry["PORT"], entry["USER"], entry["PASSWORD"]) == ("db-2", 6432, "ro", "secret")
    # Timeouts and keepalives of the primary hold on the replica; the URL's own parameters on top.
    assert entry["OPTIONS"]["options"] == PRIMARY["OPTIONS"]["options"]
    assert entry["OPTIONS"]["keepalives"] == 1 and entry["OPTIONS"]["connect_timeout"] == 5
    assert entry["OPTIONS"]["sslmode"] == "require"
    assert entry["OPTIONS"]["application_name"] == "cadence-replica"
    assert (entry["CONN_MAX_AGE"], entry["CONN_HEALTH_CHECKS"]) == (60, True)
    assert entry["TEST"] == {"MIRROR": "default"}
    assert PRIMARY["OPTIONS"]["application_name"] == "cadence"  # the primary's entry is not changed


def test_two_replicas_get_numbered_aliases():
    replicas = replica_databases(PRIMARY, [url("postgres://a@db-2/cadence"), url("postgres://a@db-3/cadence")])
    assert {alias: entry["HOST"] for alias, entry in replicas.items()} == {"replica1": "db-2", "replica2": "db-3"}


def test_a_replica_must_be_postgresql():
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        replica_databases(PRIMARY, [url("sqlite:///x.sqlite3")])
    with pytest.raises(ValueError, match="needs a PostgreSQL DATABASE_URL"):
        replica_databases(url("sqlite:///x.sqlite3"), [url("postgres://a@db-2/cadence")])


def test_pgbouncer_turns_off_server_side_cursors_and_startup_options():
    entry = apply_pooler({**PRIMARY, "OPTIONS": dict(PRIMARY["OPTIONS"])}, "pgbouncer")
    assert entry["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "options" not in entry["OPTIONS"]  # PgBouncer refuses the `options` startup parameter
    assert entry["OPTIONS"]["prepare_threshold"] is None  # no server-side prepared statements
    assert entry["OPTIONS"]["application_name"] == "cadence"  # a parameter PgBouncer tracks per client


def test_no_pooler_changes_nothing():
    entry = {**PRIMARY, "OPTIONS": dict(PRIMARY["OPTIONS"])}
    assert apply_pooler(entry, "") == PRIMARY


@pytest.mark.parametrize("value", ["pgpool", "PgBouncer", "yes"])
def test_an_unknown_pooler_is_refused(value):
    with pytest.raises(ValueError, match="DB_POOLER must be one of"):
        apply_pooler(dict(PRIMARY), value)


def settings_of(**env) -> str:
    """Import config.settings in a fresh process with `env` and print the DATABASES it builds."""
    code = (
        "import json, django; from django.conf import settings; "
        "print(json.dumps({a: {k: d.get(k) for k in ('HOST', 'PORT', 'OPTIONS', 'DISABLE_SERVER_SIDE_CURSORS')} "
        "for a, d in settings.DATABASES.items()} | {'_aliases': settings.REPLICA_ALIASES}, default=str))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_REPLICA_URLS", "DB_POOLER")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result


def test_settings_build_replica_aliases_from_the_environment():
    import json

    result = settings_of(
        DATABASE_URL="postgres://app@db-1:5432/cadence",
        DATABASE_REPLICA_URLS="postgres://app@db-2:5432/cadence,postgres://app@db-3:5432/cadence",
        DB_POOLER="pgbouncer",
    )
    assert result.returncode == 0, result.stderr
    databases = json.loads(result.stdout)
    assert databases["_aliases"] == ["replica1", "replica2"]
    assert [databases[a]["HOST"] for a in ("default", "replica1", "replica2")] == ["db-1", "db-2", "db-3"]
    assert all(databases[a]["DISABLE_SERVER_SIDE_CURSORS"] for a in ("default", "replica1", "replica2"))
    assert databases["replica2"]["OPTIONS"]["application_name"] == "cadence-replica2"


def test_settings_refuse_a_bad_pooler():
    result = settings_of(DATABASE_URL="postgres://app@db-1:5432/cadence", DB_POOLER="pgpool")
    assert result.returncode != 0
    assert "DB_POOLER must be one of" in result.stderr
