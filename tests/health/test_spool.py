"""The spool: outage then recovery backfills exactly once; an interrupted backfill loses and duplicates
nothing; overlapping runs leave a consistent spool."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connections

from connections.services import checkdb_run
from health import services as health_services
from health.models import ConnectionHealthEvent
from health.services import event_record, event_spool_flush, event_to_json, spool
from health.spool import Spool, SpoolBusy
from tests.support.factories.health import ConnectionHealthEventFactory
from tests.support.utils import postgres_only

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def own_spool(settings, tmp_path):
    settings.HEALTH_SPOOL_PATH = tmp_path / "var" / "health-spool.jsonl"
    return settings.HEALTH_SPOOL_PATH


@pytest.fixture
def app_db_down(add_alias, record_to, tmp_path):
    """The application database cannot be written: recording goes to an alias that cannot open."""
    add_alias("appdown", ENGINE="django.db.backends.sqlite3", NAME=str(tmp_path / "absent" / "x.sqlite3"), options={})
    record_to("appdown")


def spooled(n: int) -> list[ConnectionHealthEvent]:
    events = ConnectionHealthEventFactory.build_batch(n, status="fail", error_code="DB_TIMEOUT", message="slow")
    for event in events:
        spool().append(event_to_json(event))
    return events


# --- the file itself ------------------------------------------------------------------------------------


def test_append_writes_one_json_object_a_line_with_id_and_checked_at(own_spool):
    events = spooled(2)
    lines = own_spool.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [str(e.id) for e in events]
    assert all(json.loads(line)["checkedAt"].endswith("Z") for line in lines)
    assert oct(own_spool.stat().st_mode & 0o777) == "0o600"
    assert not [p for p in own_spool.parent.iterdir() if p.name.endswith(".tmp")]


def test_unreadable_lines_are_set_aside_not_lost(own_spool):
    spooled(1)
    with open(own_spool, "a") as fh:
        fh.write('{"id": "half a li\n[1, 2]\n')
    spooled(1)
    assert len(Spool(own_spool)) == 2
    rejected = Path(f"{own_spool}.rejected").read_text().splitlines()
    assert rejected == ['{"id": "half a li', "[1, 2]"]


def test_a_held_lock_makes_drain_give_up_not_hang(own_spool):
    spooled(1)
    holder = Spool(own_spool)
    with holder.locked(wait=1), pytest.raises(SpoolBusy):
        Spool(own_spool).drain(lambda records: len(records), wait=0.2)


# --- backfill -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_outage_then_recovery_backfills_exactly_once_with_same_ids(app_db_down, record_to, live_profile, own_spool):
    live_profile("development")
    outage = [checkdb_run(), checkdb_run()]
    assert [run.recorded for run in outage] == [False, False]
    assert ConnectionHealthEvent.objects.count() == 0
    assert len(own_spool.read_text().splitlines()) == 2

    record_to("default")  # recovery
    recovery = checkdb_run()
    assert (recovery.recorded, recovery.backfilled) == (True, 2)
    for run in outage:
        stored = ConnectionHealthEvent.objects.get(pk=run.event.id)
        assert stored.checked_at == run.event.checked_at
        assert (stored.error_code, stored.message) == (run.event.error_code, run.event.message)
    assert ConnectionHealthEvent.objects.count() == 3
    assert own_spool.read_text() == ""

    again = checkdb_run()
    assert again.backfilled == 0
    assert ConnectionHealthEvent.objects.count() == 4


@pytest.mark.django_db
def test_backfill_interrupted_half_way_then_rerun_loses_and_duplicates_nothing(monkeypatch, own_spool):
    events = spooled(5)
    monkeypatch.setattr(health_services, "SPOOL_BATCH_SIZE", 2)
    real_insert = health_services._insert_batch
    calls = {"n": 0}

    def dies_after_first_batch(batch, *, using):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed mid-backfill")
        return real_insert(batch, using=using)

    monkeypatch.setattr(health_services, "_insert_batch", dies_after_first_batch)
    with pytest.raises(RuntimeError):
        event_spool_flush()
    assert ConnectionHealthEvent.objects.count() == 2  # the first batch committed
    assert len(own_spool.read_text().splitlines()) == 5  # the spool was not emptied

    monkeypatch.setattr(health_services, "_insert_batch", real_insert)
    assert event_spool_flush() == 3
    assert sorted(ConnectionHealthEvent.objects.values_list("pk", flat=True)) == sorted(e.id for e in events)
    assert own_spool.read_text() == ""


@pytest.mark.django_db
def test_death_after_commit_before_emptying_the_spool_does_not_duplicate(monkeypatch, own_spool):
    events = spooled(3)

    def crash(self):
        raise SystemExit("killed between the commit and emptying the spool")

    monkeypatch.setattr(Spool, "truncate", crash)
    with pytest.raises(SystemExit):
        event_spool_flush()
    assert ConnectionHealthEvent.objects.count() == 3
    monkeypatch.undo()
    assert event_spool_flush() == 0
    assert ConnectionHealthEvent.objects.filter(pk__in=[e.id for e in events]).count() == 3
    assert ConnectionHealthEvent.objects.count() == 3
    assert own_spool.read_text() == ""


@pytest.mark.django_db
def test_backfill_of_a_large_spool_is_batched(monkeypatch, django_assert_max_num_queries):
    spooled(30)
    monkeypatch.setattr(health_services, "SPOOL_BATCH_SIZE", 10)
    # 3 batches x (savepoint, existing ids, insert, release): does not grow per event.
    with django_assert_max_num_queries(12):
        assert event_spool_flush() == 30


@pytest.mark.django_db
def test_invalid_spooled_record_is_dropped_and_the_rest_inserted(own_spool, caplog):
    good = spooled(1)[0]
    spool().append({"id": "not-a-uuid", "checkedAt": "yesterday", "status": "pass"})
    spool().append({**event_to_json(good), "id": "01a21000-0000-7000-8000-000000000001", "errorCode": None})
    assert event_spool_flush() == 1
    assert list(ConnectionHealthEvent.objects.values_list("pk", flat=True)) == [good.id]
    assert "invalid spooled health event" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad",
    [
        {"latencyMs": "abc"},
        {"latencyMs": -1},
        {"latencyMs": 1e400},
        {"latencyMs": float("nan")},
        {"latencyMs": True},
        {"message": {"nested": "object"}},
    ],
    ids=["latency-text", "latency-negative", "latency-inf", "latency-nan", "latency-bool", "message-object"],
)
def test_a_spooled_record_with_a_bad_field_is_dropped_and_the_rest_inserted(own_spool, caplog, bad):
    good, other = spooled(2)
    spool().append({**event_to_json(other), "id": "01a21000-0000-7000-8000-000000000002", **bad})
    assert event_spool_flush() == 2  # the good ones; the bad line neither crashes nor blocks the backfill
    assert set(ConnectionHealthEvent.objects.values_list("pk", flat=True)) == {good.id, other.id}
    assert "invalid spooled health event" in caplog.text
    assert own_spool.read_text() == ""


@pytest.mark.django_db
def test_event_is_spooled_when_database_write_fails(app_db_down, own_spool):
    event = ConnectionHealthEventFactory.build()
    outcome = event_record(event)
    assert (outcome.recorded, outcome.backfilled) == (False, 0)
    assert json.loads(own_spool.read_text()) == event_to_json(event)


# --- overlapping runs -----------------------------------------------------------------------------------


def test_concurrent_appends_from_processes_keep_every_line(own_spool):
    script = (
        "import json, sys, uuid\n"
        "from health.spool import Spool\n"
        "s = Spool(sys.argv[1])\n"
        "for i in range(25):\n"
        "    s.append({'id': str(uuid.uuid4()), 'checkedAt': '2026-11-25T12:00:00Z', 'n': i})\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(own_spool)], cwd=ROOT, env={**os.environ}) for _ in range(4)
    ]
    assert [p.wait(60) for p in procs] == [0, 0, 0, 0]
    records = [json.loads(line) for line in own_spool.read_text().splitlines()]
    assert len(records) == 100
    assert len({r["id"] for r in records}) == 100


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_backfill_once_and_leave_a_consistent_spool(own_spool):
    backlog = spooled(50)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            event = ConnectionHealthEventFactory.build()
            results.append((event.id, event_record(event)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors
    assert sum(outcome.backfilled for _, outcome in results) == 50
    assert all(outcome.recorded for _, outcome in results)
    ids = list(ConnectionHealthEvent.objects.values_list("pk", flat=True))
    assert len(ids) == len(set(ids)) == 54
    assert set(ids) >= {e.id for e in backlog} | {event_id for event_id, _ in results}
    assert own_spool.read_text() == ""


@pytest.mark.django_db
def test_unwritable_spool_is_reported_not_a_crash(app_db_down, settings, tmp_path, caplog, live_profile):
    live_profile("development")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.HEALTH_SPOOL_PATH = blocker / "spool.jsonl"  # a path under a regular file: cannot be created
    run = checkdb_run()
    assert (run.recorded, run.spooled, run.exit_code) == (False, False, 1)
    assert f"health event {run.event.id} could not be spooled" in caplog.text


KILLABLE_FLUSH = """
import os, sys, time
import django
django.setup()
from health import services
services.SPOOL_BATCH_SIZE = 2
real = services._insert_batch
def slow(batch, *, using):
    n = real(batch, using=using)
    print("committed", n, flush=True)
    time.sleep(30)  # killed here, between committed batches
    return n
services._insert_batch = slow
services.event_spool_flush()
"""


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_backfill_killed_with_sigkill_then_rerun_loses_and_duplicates_nothing(own_spool):
    from django.db import connection

    events = spooled(10)
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "tests-only",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "HEALTH_SPOOL_PATH": str(own_spool),
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLABLE_FLUSH], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "committed 2"
    finally:
        proc.kill()  # SIGKILL: no cleanup, no finally, the lock released only by the kernel
        proc.wait(10)

    assert ConnectionHealthEvent.objects.count() == 2
    assert len(own_spool.read_text().splitlines()) == 10
    assert event_spool_flush() == 8
    ids = list(ConnectionHealthEvent.objects.values_list("pk", flat=True))
    assert sorted(ids) == sorted(e.id for e in events)
    assert own_spool.read_text() == ""
