"""`manage.py checkdb`: arguments, exit statuses, text and JSON output, and no password anywhere."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from connections.models import DatabaseConnectionProfile
from health.models import ConnectionHealthEvent
from tests.support.utils import postgres_only

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "S3cr3t-Pa55"


def manage(*args, env_extra=None, timeout=60):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update({"SECRET_KEY": "tests-only-key", "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "False"})
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def run_command(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("checkdb", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_text_output_is_one_line_a_check(live_profile):
    live_profile("development")
    code, out, _ = run_command()
    lines = out.splitlines()
    assert code == 0
    assert [line.split(":")[0] for line in lines[:6]] == [
        "PASS connect",
        "PASS schema",
        "PASS profile",
        "PASS role",
        "PASS migrations",
        "PASS last_validated_at",
    ]
    assert lines[-1].startswith("PASS development")


@pytest.mark.django_db
def test_failure_prints_fail_then_skips_and_exits_1():
    code, out, _ = run_command("--environment", "nowhere")
    assert code == 1
    assert "FAIL profile: No connection profile for environment 'nowhere'." in out
    assert "SKIP migrations: an earlier check failed" in out
    assert ConnectionHealthEvent.objects.get().error_code == "PROFILE_MISSING"


@pytest.mark.django_db
def test_json_prints_the_event_with_camelcase_fields(live_profile):
    live_profile("development")
    code, out, _ = run_command("--json")
    body = json.loads(out)
    assert code == 0
    assert set(body) == {"id", "checkedAt", "environment", "database", "status", "latencyMs", "errorCode", "message"}
    assert body["database"] == "default"
    event = ConnectionHealthEvent.objects.get()
    assert body["id"] == str(event.id)
    assert body["checkedAt"].endswith("Z")
    assert (body["status"], body["errorCode"], body["message"]) == ("pass", None, None)
    assert body["latencyMs"] == event.latency_ms > 0


@pytest.mark.parametrize("args", [["--timeout", "0"], ["--database", "no-such-alias"]])
def test_bad_arguments_exit_2_from_the_shell(args):
    result = manage("checkdb", *args, env_extra={"DATABASE_URL": "sqlite:////nonexistent-dir/x.sqlite3"})
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--timeout", "-3"], "positive"),
        (["--timeout", "soon"], "not a number"),
        (["--timeout", "nan"], "positive"),
        (["--database", "no-such-alias"], "unknown database alias"),
        (["--environment", "Not Valid"], "invalid environment"),
        (["--unknown-flag"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_are_refused_before_any_check(args, fragment):
    # In-process, argparse errors surface as CommandError (the shell sees exit 2, tested above).
    with pytest.raises(CommandError, match=fragment) as info:
        call_command("checkdb", *args, stdout=io.StringIO(), stderr=io.StringIO())
    if args[0] in ("--database", "--environment"):
        assert info.value.returncode == 2


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_cli_pass_exits_0_and_fail_exits_1(live_profile, tmp_path):
    live_profile("development")
    url = f"postgres://postgres@{connection.settings_dict['HOST']}:{connection.settings_dict['PORT']}/"
    url += connection.settings_dict["NAME"]
    env = {"DATABASE_URL": url, "HEALTH_SPOOL_PATH": str(tmp_path / "spool.jsonl")}
    ok = manage("checkdb", "--json", env_extra=env)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["status"] == "pass"
    failed = manage("checkdb", "--environment", "absent", env_extra=env)
    assert failed.returncode == 1
    assert "PROFILE_MISSING" in failed.stdout
    assert DatabaseConnectionProfile.objects.get().last_validated_at is not None


def _assert_no_password(*texts):
    for text in texts:
        assert PASSWORD not in (text or "")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_password_in_database_url_appears_nowhere(tmp_path, closed_port, live_profile):
    """A failing check run against DATABASE_URL with a password, for real: closed port, then a nonexistent
    role on the live server (with a password the trusting server never asks for)."""
    profile = live_profile("development")
    spool = tmp_path / "spool.jsonl"
    for url in (
        f"postgres://nobody_h3:{PASSWORD}@127.0.0.1:{closed_port}/cadence",
        f"postgres://nobody_h3:{PASSWORD}@127.0.0.1:5432/{connection.settings_dict['NAME']}",
    ):
        for extra in ([], ["--json"]):
            result = manage("checkdb", *extra, env_extra={"DATABASE_URL": url, "HEALTH_SPOOL_PATH": str(spool)})
            assert result.returncode == 1, result.stderr
            _assert_no_password(result.stdout, result.stderr)
    spooled = spool.read_text()
    assert spooled.count("\n") == 4
    assert "DB_UNREACHABLE" in spooled and "DB_AUTH_FAILED" in spooled
    _assert_no_password(spooled)
    for record in profile.history.all():
        _assert_no_password(*(str(getattr(record, f.attname)) for f in record._meta.fields))


@pytest.mark.django_db
def test_password_in_driver_error_is_masked_everywhere(
    monkeypatch, settings, tmp_path, caplog, capfd, live_profile, add_alias, record_to
):
    """psycopg messages can carry the DSN; none of it may reach the event, output, logs or spool."""
    profile = live_profile("development")
    settings.HEALTH_SPOOL_PATH = tmp_path / "spool.jsonl"
    add_alias("leaky", ENGINE="django.db.backends.postgresql", HOST="db.example", PASSWORD=PASSWORD, options={})
    dsn = f"postgresql://app:{PASSWORD}@db.example:5432/cadence"

    def failing_connect(*args, **kwargs):
        raise psycopg.OperationalError(
            f'connection to {dsn} failed: missing "=" after "{PASSWORD}" in connection info string; password={PASSWORD}'
        )

    monkeypatch.setattr(psycopg, "connect", failing_connect)
    # The application database is unwritable too, so the event goes to the spool as well.
    add_alias("down", ENGINE="django.db.backends.sqlite3", NAME=str(tmp_path / "no" / "dir" / "x.sqlite3"), options={})
    caplog.set_level("DEBUG")

    code, out, err = run_command("--database", "leaky")
    code_json, out_json, err_json = run_command("--database", "leaky", "--json")
    record_to("down")
    code_spooled, out_spooled, err_spooled = run_command("--database", "leaky", "--json")

    assert (code, code_json, code_spooled) == (1, 1, 1)
    captured = capfd.readouterr()
    events = list(ConnectionHealthEvent.objects.all())
    assert len(events) == 2 and all(e.error_code == "DB_UNREACHABLE" for e in events)
    assert "***" in events[0].message
    _assert_no_password(out, err, out_json, err_json, out_spooled, err_spooled, captured.out, captured.err)
    _assert_no_password(caplog.text, *(e.message for e in events), Path(settings.HEALTH_SPOOL_PATH).read_text())
    assert json.loads(out_spooled)["id"] in Path(settings.HEALTH_SPOOL_PATH).read_text()
    for record in profile.history.all():
        _assert_no_password(*(str(getattr(record, f.attname)) for f in record._meta.fields))
