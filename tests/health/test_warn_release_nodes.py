"""/health/db beyond pass/fail (docs/operations.md, `/health/db` with several nodes): `warn` for a slow check
or a non-empty spool, the app's `version` and `releaseId`, and one `checks` entry per node (primary and
replicas) that has events."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from health import services
from tests.support.factories.health import ConnectionHealthEventFactory

pytestmark = pytest.mark.django_db
SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER_SHA = "fedcba9876543210fedcba9876543210fedcba98"


def health(client):
    response = client.get("/health/db")
    return response.status_code, json.loads(response.content)


@pytest.fixture
def empty_spool(settings, tmp_path):
    settings.HEALTH_SPOOL_PATH = tmp_path / "spool.jsonl"
    return settings.HEALTH_SPOOL_PATH


@pytest.mark.parametrize(("latency", "status"), [(249.9, "pass"), (250.0, "pass"), (250.1, "warn"), (4000, "warn")])
def test_latency_above_the_warn_threshold_is_warn_with_200(client, settings, empty_spool, latency, status):
    settings.HEALTH_WARN_LATENCY_MS = 250
    ConnectionHealthEventFactory(latency_ms=latency)
    code, body = health(client)
    assert (code, body["status"], body["errorCode"], body["latencyMs"]) == (200, status, None, latency)
    if status == "warn":
        assert "more than HEALTH_WARN_LATENCY_MS (250 ms)" in body["message"]
        assert body["checks"]["database:responseTime"][0]["status"] == "warn"
    else:
        assert body["message"] is None


def test_events_waiting_in_the_spool_make_a_pass_warn(client, empty_spool):
    ConnectionHealthEventFactory()
    services.spool().append({"id": "x", "status": "pass"})
    services.spool().append({"id": "y", "status": "pass"})
    code, body = health(client)
    assert (code, body["status"]) == (200, "warn")
    assert "2 event(s) wait in the spool" in body["message"]


def test_an_empty_or_missing_spool_does_not_warn(client, empty_spool):
    ConnectionHealthEventFactory()
    assert health(client)[1]["status"] == "pass"
    empty_spool.write_text("")
    assert health(client)[1]["status"] == "pass"


def test_a_failed_check_stays_fail_whatever_the_spool_and_latency(client, empty_spool):
    services.spool().append({"id": "x"})
    ConnectionHealthEventFactory(status="fail", error_code="DB_TIMEOUT", latency_ms=9000)
    code, body = health(client)
    assert (code, body["status"], body["errorCode"]) == (503, "fail", "DB_TIMEOUT")


def test_a_stale_slow_check_is_stale_not_warn(client, empty_spool):
    ConnectionHealthEventFactory(latency_ms=9000, checked_at=timezone.now() - timedelta(hours=1))
    code, body = health(client)
    assert (code, body["status"], body["errorCode"]) == (503, "fail", "CHECK_STALE")


def test_version_is_the_project_version_and_release_id_the_setting(client, settings):
    settings.RELEASE_ID = "build-42"
    ConnectionHealthEventFactory()
    body = health(client)[1]
    assert body["version"] == "0.1.0"  # pyproject.toml's [project] version
    assert body["releaseId"] == "build-42"


def test_release_id_is_in_every_answer_even_without_events(client, settings):
    settings.RELEASE_ID = "build-43"
    code, body = health(client)
    assert (code, body["errorCode"], body["releaseId"], body["version"]) == (
        503,
        "NO_CHECK_RECORDED",
        "build-43",
        "0.1.0",
    )


# --- the git commit when RELEASE_ID is unset ----------------------------------------------------------------


def make_git(root: Path, head: str, refs: dict[str, str] | None = None, packed: str | None = None) -> Path:
    git = root / ".git"
    git.mkdir(parents=True)
    (git / "HEAD").write_text(head + "\n")
    for ref, sha in (refs or {}).items():
        (git / ref).parent.mkdir(parents=True, exist_ok=True)
        (git / ref).write_text(sha + "\n")
    if packed is not None:
        (git / "packed-refs").write_text(packed)
    return root


@pytest.fixture(autouse=True)
def _fresh_git_cache():
    services.git_commit.cache_clear()
    yield
    services.git_commit.cache_clear()


def test_release_id_falls_back_to_the_branch_commit(tmp_path, settings):
    settings.RELEASE_ID = None
    settings.BASE_DIR = make_git(tmp_path, "ref: refs/heads/main", {"refs/heads/main": SHA})
    assert services.release_id() == SHA


def test_release_id_reads_packed_refs_and_a_detached_head(tmp_path):
    packed = f"# pack-refs with: peeled fully-peeled sorted\n{OTHER_SHA} refs/heads/other\n{SHA} refs/heads/main\n"
    assert services.git_commit(make_git(tmp_path / "a", "ref: refs/heads/main", packed=packed)) == SHA
    assert services.git_commit(make_git(tmp_path / "b", OTHER_SHA)) == OTHER_SHA


def test_release_id_follows_a_worktree_gitdir_file(tmp_path):
    common = tmp_path / "repo" / ".git"
    common.mkdir(parents=True)
    (common / "refs" / "heads").mkdir(parents=True)
    (common / "refs" / "heads" / "wip").write_text(SHA + "\n")
    private = common / "worktrees" / "wt"
    private.mkdir(parents=True)
    (private / "HEAD").write_text("ref: refs/heads/wip\n")
    (private / "commondir").write_text("../..\n")
    checkout = tmp_path / "wt"
    checkout.mkdir()
    (checkout / ".git").write_text(f"gitdir: {private}\n")
    assert services.git_commit(checkout) == SHA


@pytest.mark.parametrize(
    "head", ["ref: refs/heads/missing", "not-a-sha", "", "ref: refs/heads/x\x00"],
)  # fmt: skip
def test_release_id_is_none_when_the_commit_is_unknown(tmp_path, head):
    assert services.git_commit(make_git(tmp_path, head)) is None


def test_release_id_is_none_without_git(tmp_path, settings):
    settings.RELEASE_ID = None
    settings.BASE_DIR = tmp_path
    assert services.release_id() is None
    (tmp_path / ".git").write_text("garbage\n")
    services.git_commit.cache_clear()
    assert services.release_id() is None


# --- one entry per node ---------------------------------------------------------------------------------------


def test_checks_list_each_node_with_events(client, settings, empty_spool):
    settings.REPLICA_ALIASES = ["replica1", "replica2"]
    settings.HEALTH_WARN_LATENCY_MS = 250
    ConnectionHealthEventFactory(latency_ms=2.0)
    ConnectionHealthEventFactory(environment="development-replica1", database="replica1", latency_ms=300)
    ConnectionHealthEventFactory(
        environment="development-replica1", database="replica1", checked_at=timezone.now() - timedelta(minutes=1)
    )
    # replica2 has no event: not listed. Another environment's replica does not count.
    ConnectionHealthEventFactory(environment="staging-replica2", database="replica2")
    code, body = health(client)
    assert (code, body["status"]) == (200, "pass")  # the verdict is the environment's own (the primary's)
    entries = {e["componentId"]: e for e in body["checks"]["database:responseTime"]}
    assert set(entries) == {"default", "replica1"}
    assert (entries["default"]["status"], entries["default"]["observedValue"]) == ("pass", 2.0)
    assert (entries["replica1"]["status"], entries["replica1"]["observedValue"]) == ("warn", 300)


def test_a_failing_or_stale_replica_is_a_failing_entry(admin_client, settings, empty_spool):
    client = admin_client  # staff see a failed node's message
    settings.REPLICA_ALIASES = ["replica"]
    ConnectionHealthEventFactory()
    ConnectionHealthEventFactory(
        environment="development-replica", database="replica", status="fail", error_code="REPLICA_LAG",
        message="Replica replay lag is 45.0 s",
    )  # fmt: skip
    entries = {e["componentId"]: e for e in health(client)[1]["checks"]["database:responseTime"]}
    assert (entries["replica"]["status"], entries["replica"]["output"]) == ("fail", "Replica replay lag is 45.0 s")
    ConnectionHealthEventFactory(
        environment="development-replica", database="replica", checked_at=timezone.now() - timedelta(hours=2)
    )
    settings.REPLICA_ALIASES = ["replica", "replica2"]
    ConnectionHealthEventFactory(
        environment="development-replica2", database="replica2", checked_at=timezone.now() - timedelta(hours=2)
    )
    entries = {e["componentId"]: e for e in health(client)[1]["checks"]["database:responseTime"]}
    assert entries["replica2"]["status"] == "fail"
    assert entries["replica2"]["output"].startswith("CHECK_STALE")


def test_node_checks_cost_one_query_a_node(client, settings, django_assert_max_num_queries, empty_spool):
    settings.REPLICA_ALIASES = ["replica1", "replica2"]
    for _ in range(10):
        ConnectionHealthEventFactory()
        ConnectionHealthEventFactory(environment="development-replica1", database="replica1")
    # savepoint, SET LOCAL (PostgreSQL), the newest event, three nodes, release
    with django_assert_max_num_queries(7):
        assert client.get("/health/db").status_code == 200


def test_anonymous_callers_do_not_see_a_failing_nodes_message(client, admin_client, settings, empty_spool):
    settings.REPLICA_ALIASES = ["replica"]
    ConnectionHealthEventFactory()
    ConnectionHealthEventFactory(
        environment="development-replica", database="replica", status="fail", error_code="PROFILE_MISMATCH",
        message="host: expected 'db-2.internal', actual 'db-9.internal'",
    )  # fmt: skip
    anonymous = {e["componentId"]: e for e in health(client)[1]["checks"]["database:responseTime"]}
    assert anonymous["replica"]["status"] == "fail" and "output" not in anonymous["replica"]
    staff = {e["componentId"]: e for e in health(admin_client)[1]["checks"]["database:responseTime"]}
    assert staff["replica"]["output"] == "host: expected 'db-2.internal', actual 'db-9.internal'"
