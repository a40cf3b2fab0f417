"""prunehealth: deletes events older than DAYS, in batches, and says how many; bad arguments exit 2."""

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from health.models import ConnectionHealthEvent
from health.services import events_prune
from tests.support.factories.health import ConnectionHealthEventFactory

ROOT = Path(__file__).resolve().parents[2]
DAY = timedelta(days=1)


@pytest.mark.django_db
def test_deletes_only_events_older_than_the_cutoff():
    now = timezone.now()
    old = ConnectionHealthEventFactory(checked_at=now - 30 * DAY - timedelta(seconds=1))
    kept_edge = ConnectionHealthEventFactory(checked_at=now - 30 * DAY + timedelta(seconds=1))
    kept_new = ConnectionHealthEventFactory(checked_at=now)
    assert events_prune(older_than_days=30, now=now) == 1
    assert set(ConnectionHealthEvent.objects.values_list("pk", flat=True)) == {kept_edge.id, kept_new.id}
    assert not ConnectionHealthEvent.objects.filter(pk=old.id).exists()


@pytest.mark.django_db
def test_deletes_in_batches_of_ids():
    now = timezone.now()
    ConnectionHealthEventFactory.create_batch(10, checked_at=now - 40 * DAY)
    ConnectionHealthEventFactory.create_batch(2, checked_at=now)
    with CaptureQueriesContext(connection) as ctx:
        assert events_prune(older_than_days=30, batch_size=3, now=now) == 10
    deletes = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 4  # 3 + 3 + 3 + 1
    assert ConnectionHealthEvent.objects.count() == 2


@pytest.mark.django_db
def test_nothing_to_delete_is_zero():
    ConnectionHealthEventFactory()
    assert events_prune(older_than_days=1) == 0


@pytest.mark.parametrize(
    "kwargs", [{"older_than_days": 0}, {"older_than_days": -1}, {"older_than_days": 1, "batch_size": 0}]
)
def test_service_refuses_non_positive_values(kwargs):
    with pytest.raises(ValueError):
        events_prune(**kwargs)


@pytest.mark.django_db
def test_command_prints_the_count():
    ConnectionHealthEventFactory.create_batch(3, checked_at=timezone.now() - 100 * DAY)
    out = io.StringIO()
    call_command("prunehealth", "--older-than", "90", stdout=out)
    assert out.getvalue().strip() == "Deleted 3 health event(s) older than 90 day(s)."
    assert ConnectionHealthEvent.objects.count() == 0


@pytest.mark.parametrize("args", [["--older-than", "0"], ["--older-than", "-5"], ["--older-than", "ten"], []])
def test_command_bad_arguments_exit_2(args):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({"SECRET_KEY": "tests-only", "DATABASE_URL": "sqlite:////nonexistent-dir/x.sqlite3"})
    result = subprocess.run(
        [sys.executable, "manage.py", "prunehealth", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
