"""Idempotency keys on POST (core.idempotency): the first request runs, a repeat of the same request by the same
user within 24 hours gets the first answer and changes nothing, another request with the key is a 422, a repeat
while the first runs a 409; keys are per user; a failed request keeps nothing; concurrent duplicates write once."""

import json
import uuid
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from calendars.models import CalendarFeed
from core.idempotency import (
    KEYLESS_POSTS,
    LEASE,
    RETENTION,
    IdempotentPostMixin,
    idempotency_records_prune,
    request_fingerprint,
    takes_keys,
)
from core.models import IdempotencyRecord
from tests.support.clients import bearer_client
from tests.support.factories.athletes import (
    AthleteProfileFactory,
    HeadCoachFactory,
    InvitableAthleteFactory,
    UserFactory,
)
from tests.support.factories.training import TrainingProgramFactory
from tests.support.utils import api_patterns, postgres_only, run_at_once
from training import cloning
from training.models import TrainingProgram

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/programs/"
START = date(2031, 3, 3)


def program_body(athlete, title="Base block") -> dict:
    return {
        "athleteId": str(athlete.pk),
        "title": title,
        "startDate": START.isoformat(),
        "endDate": (START + timedelta(days=27)).isoformat(),
    }


def post(client, path, body, key=None, **extra):
    """POST `body` as these exact JSON bytes (so a test can fingerprint the same bytes), with the key if given."""
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def fingerprint(path, body) -> str:
    return request_fingerprint(RequestFactory().post(path, json.dumps(body), content_type="application/json"))


def replayed(response) -> bool:
    return response.headers.get("Idempotent-Replayed") == "true"


def age(record_key: str, by: timedelta) -> None:
    """Move the record of `record_key` back in time: its request started `by` ago."""
    IdempotencyRecord.objects.filter(key=record_key).update(created_at=timezone.now() - by)


@pytest.fixture
def target():
    return AthleteProfileFactory(timezone="Europe/Oslo")


# --- The rule ------------------------------------------------------------------------------------------------


def test_a_repeat_gets_the_first_answer_and_creates_nothing(coach_client, target):
    first = post(coach_client, PROGRAMS, program_body(target), key="create-1")
    assert first.status_code == 201, first.content
    assert not replayed(first)
    assert TrainingProgram.objects.count() == 1
    assert IdempotencyRecord.objects.get().response_status == 201

    again = post(coach_client, PROGRAMS, program_body(target), key="create-1")
    assert again.status_code == 201
    assert replayed(again)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"]
    assert TrainingProgram.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_the_replay_is_the_first_answer_even_after_the_row_changed(coach_client, target):
    first = post(coach_client, PROGRAMS, program_body(target), key="k")
    program = TrainingProgram.objects.get()
    program.title = "Renamed"
    program.save()
    again = post(coach_client, PROGRAMS, program_body(target), key="k")
    assert replayed(again)
    assert again.json()["title"] == "Base block" == first.json()["title"]


@pytest.mark.parametrize(
    "second_path, second_body",
    [
        (PROGRAMS, {"title": "Another title"}),  # another body
        ("/api/v1/phases/", {}),  # the same body to another resource
    ],
    ids=["other-body", "other-path"],
)
def test_the_same_key_with_another_request_is_422_and_changes_nothing(coach_client, target, second_path, second_body):
    assert post(coach_client, PROGRAMS, program_body(target), key="k").status_code == 201
    response = post(coach_client, second_path, {**program_body(target), **second_body}, key="k")
    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert TrainingProgram.objects.count() == 1
    # The first answer is still the one a true repeat gets.
    assert replayed(post(coach_client, PROGRAMS, program_body(target), key="k"))


def test_a_repeat_while_the_first_still_runs_is_409(coach_client, target):
    body = program_body(target)
    IdempotencyRecord.objects.create(
        user=coach_client.user,
        key="running",
        fingerprint=fingerprint(PROGRAMS, body),
        claim=uuid.uuid4(),
        created_at=timezone.now() - LEASE + timedelta(seconds=5),
    )
    response = post(coach_client, PROGRAMS, body, key="running")
    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert "still running" in response.json()["detail"]
    assert TrainingProgram.objects.count() == 0


def test_a_claim_abandoned_past_its_lease_is_taken_over(coach_client, target):
    """A worker killed mid-request leaves its claim without an answer (its write never committed, being in one
    transaction with the answer): once the lease has passed, the retry runs."""
    body = program_body(target)
    IdempotencyRecord.objects.create(
        user=coach_client.user,
        key="crashed",
        fingerprint=fingerprint(PROGRAMS, body),
        claim=uuid.uuid4(),
        created_at=timezone.now() - LEASE - timedelta(seconds=1),
    )
    response = post(coach_client, PROGRAMS, body, key="crashed")
    assert response.status_code == 201, response.content
    assert not replayed(response)
    assert TrainingProgram.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert record.response_status == 201
    assert timezone.now() - record.created_at < timedelta(seconds=30)  # the retry's own claim, kept 24 h anew


def test_keys_are_per_user(target):
    alice, bob = bearer_client(HeadCoachFactory()), bearer_client(HeadCoachFactory())
    first = post(alice, PROGRAMS, program_body(target), key="shared")
    second = post(bob, PROGRAMS, program_body(target), key="shared")
    assert first.status_code == second.status_code == 201
    assert not replayed(second)
    assert second.json()["id"] != first.json()["id"]  # bob never sees alice's answer
    assert TrainingProgram.objects.count() == 2
    # Each repeat gets its own user's first answer.
    assert post(alice, PROGRAMS, program_body(target), key="shared").content == first.content
    assert post(bob, PROGRAMS, program_body(target), key="shared").content == second.content
    # And another body under a key alice used is not "another request" for bob.
    assert post(bob, PROGRAMS, program_body(target, "Bob's"), key="alice-only").status_code == 201
    assert post(alice, PROGRAMS, program_body(target, "Alice's"), key="alice-only").status_code == 201
    assert TrainingProgram.objects.count() == 4


@pytest.mark.parametrize(
    "kept_for, runs_again",
    [(RETENTION - timedelta(minutes=1), False), (RETENTION, True), (RETENTION + timedelta(hours=1), True)],
    ids=["23h59m", "24h", "25h"],
)
def test_a_key_is_kept_24_hours(coach_client, target, kept_for, runs_again):
    first = post(coach_client, PROGRAMS, program_body(target), key="daily")
    age("daily", kept_for)
    again = post(coach_client, PROGRAMS, program_body(target), key="daily")
    assert again.status_code == 201
    assert replayed(again) is not runs_again
    assert TrainingProgram.objects.count() == (2 if runs_again else 1)
    if runs_again:
        assert again.json()["id"] != first.json()["id"]
        # The new answer is the one kept now.
        assert post(coach_client, PROGRAMS, program_body(target), key="daily").content == again.content


def test_an_expired_key_may_carry_another_body(coach_client, target):
    post(coach_client, PROGRAMS, program_body(target), key="reuse")
    assert post(coach_client, PROGRAMS, program_body(target, "New plan"), key="reuse").status_code == 422
    age("reuse", RETENTION + timedelta(seconds=1))
    response = post(coach_client, PROGRAMS, program_body(target, "New plan"), key="reuse")
    assert response.status_code == 201
    assert response.json()["title"] == "New plan"


def test_the_path_with_or_without_its_trailing_slash_is_the_same_request(coach_client, target):
    first = post(coach_client, PROGRAMS, program_body(target), key="slash")
    again = post(coach_client, PROGRAMS.rstrip("/"), program_body(target), key="slash")
    assert first.status_code == again.status_code == 201
    assert replayed(again)
    assert TrainingProgram.objects.count() == 1


# --- The key itself ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "tab\there", "nul\x00", "bell\x07", "new\nline", "caf\u00e9", "\x7f"],
    ids=["empty", "256-chars", "tab", "nul", "control", "newline", "non-ascii", "del"],
)
def test_a_malformed_key_is_400_and_runs_nothing(coach_client, target, key):
    response = post(coach_client, PROGRAMS, program_body(target), key=key)
    assert response.status_code == 400
    assert "Idempotency-Key must be 1 to 255 printable ASCII characters" in response.json()["detail"]
    assert TrainingProgram.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize(
    "key",
    ["x" * 255, "a", " ", str(uuid.uuid4()), "order 42/retry+base64==~!\"#$%&'()*,;<>?@[\\]^_`{|}"],
    ids=["255-chars", "one-char", "a-space", "uuid", "punctuation"],
)
def test_any_printable_key_up_to_255_characters_works(coach_client, target, key):
    first = post(coach_client, PROGRAMS, program_body(target), key=key)
    assert first.status_code == 201, first.content
    assert replayed(post(coach_client, PROGRAMS, program_body(target), key=key))
    assert IdempotencyRecord.objects.get().key == key
    assert TrainingProgram.objects.count() == 1


def test_authentication_is_judged_before_the_key(anon_client, coach_client, target):
    response = post(anon_client, PROGRAMS, program_body(target), key="\x00")
    assert response.status_code == 401
    assert post(coach_client, PROGRAMS, program_body(target), key="\x00").status_code == 400
    assert IdempotencyRecord.objects.count() == 0


def test_a_key_on_a_read_or_on_the_login_is_ignored(coach_client, target):
    assert coach_client.get(PROGRAMS, HTTP_IDEMPOTENCY_KEY="\x00").status_code == 200
    user = HeadCoachFactory()
    user.set_password("pw-for-login-1")
    user.save()
    body = {"username": user.username, "password": "pw-for-login-1"}
    tokens = [post(APIClient(), "/api/v1/auth/token/", body, key="login").json()["token"] for _ in range(2)]
    assert len(set(tokens)) == 2  # each login issues its own token: nothing was stored or replayed
    assert IdempotencyRecord.objects.count() == 0
    # The same key on a write is taken (the login's use of it did not count).
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[-1]}")
    assert post(client, PROGRAMS, {}, key="login").status_code == 400  # an empty body: a 400, not kept
    assert post(client, PROGRAMS, program_body(target), key="login").status_code == 201
    assert IdempotencyRecord.objects.get().key == "login"


# --- What is kept: 2xx only, never a secret --------------------------------------------------------------------


def test_a_4xx_is_not_kept_so_the_corrected_request_may_reuse_the_key(coach_client, target):
    bad = {**program_body(target), "endDate": "2031-01-01"}  # before startDate
    assert post(coach_client, PROGRAMS, bad, key="form-1").status_code == 400
    assert IdempotencyRecord.objects.count() == 0
    assert post(coach_client, PROGRAMS, bad, key="form-1").status_code == 400  # ran again, not replayed
    fixed = post(coach_client, PROGRAMS, program_body(target), key="form-1")
    assert fixed.status_code == 201
    assert replayed(post(coach_client, PROGRAMS, program_body(target), key="form-1"))
    assert TrainingProgram.objects.count() == 1


def test_a_database_outage_keeps_nothing_and_the_retry_runs(coach_client, athlete, target, monkeypatch):
    source = TrainingProgramFactory(athlete=athlete)
    clone = cloning.program_clone

    def outage(**kwargs):
        monkeypatch.setattr(cloning, "program_clone", clone)  # the database is back for the retry
        clone(**kwargs)  # the copy is written...
        raise OperationalError("server closed the connection unexpectedly")  # ...and the request fails

    monkeypatch.setattr(cloning, "program_clone", outage)
    body = {"athleteId": str(target.pk), "startDate": START.isoformat()}
    path = f"/api/v1/programs/{source.pk}/clone/"
    failed = post(coach_client, path, body, key="clone-1")
    assert failed.status_code == 503
    assert TrainingProgram.objects.filter(athlete=target).count() == 0  # rolled back with the answer
    assert IdempotencyRecord.objects.count() == 0  # the key was given back
    retry = post(coach_client, path, body, key="clone-1")
    assert retry.status_code == 201
    assert not replayed(retry)
    assert TrainingProgram.objects.filter(athlete=target).count() == 1


def test_a_request_that_lost_its_key_rolls_back_and_answers_409(coach_client, athlete, target, monkeypatch):
    """A request still running after its lease, whose key another request took over meanwhile, must not commit:
    its write and its answer are one transaction."""
    source = TrainingProgramFactory(athlete=athlete)
    clone = cloning.program_clone

    def slow_clone(**kwargs):
        program = clone(**kwargs)
        IdempotencyRecord.objects.update(claim=uuid.uuid4())  # another request took the key over
        return program

    monkeypatch.setattr(cloning, "program_clone", slow_clone)
    response = post(
        coach_client,
        f"/api/v1/programs/{source.pk}/clone/",
        {"athleteId": str(target.pk), "startDate": START.isoformat()},
        key="slow",
    )
    assert response.status_code == 409
    assert "took over" in response.json()["detail"]
    assert TrainingProgram.objects.filter(athlete=target).count() == 0


def test_a_no_store_answer_is_not_kept(athlete_client, athlete):
    """The calendar feed URL is a secret stored only as a hash: it is never kept as an idempotent answer. The
    key is given back with the write, so a repeat issues a new URL (the previous one stops working)."""
    path = f"/api/v1/athletes/{athlete.pk}/calendar-feed/"
    assert post(athlete_client, path, {}, key="\x00").status_code == 400  # the endpoint takes keys
    first = post(athlete_client, path, {}, key="feed")
    assert first.status_code == 201
    assert IdempotencyRecord.objects.count() == 0
    again = post(athlete_client, path, {}, key="feed")
    assert again.status_code == 201
    assert not replayed(again)
    assert again.json()["url"] != first.json()["url"]
    assert CalendarFeed.objects.filter(athlete=athlete).count() == 1


def test_an_invitation_link_is_not_kept(coach_client):
    """The set-password link is a credential for 72 hours: its answer says no-store, so a repeat with the same key
    makes a new link instead of reading the old one back from the database."""
    athlete = InvitableAthleteFactory()
    path = f"/api/v1/athletes/{athlete.pk}/invite/"
    first = post(coach_client, path, {}, key="invite")
    assert first.status_code == 200, first.content
    assert first["Cache-Control"] == "no-store"
    assert IdempotencyRecord.objects.count() == 0
    again = post(coach_client, path, {}, key="invite")
    assert again.status_code == 200
    assert not replayed(again)


# --- Naturally idempotent actions take no key ----------------------------------------------------------------
# Keys are per user and these bodies are empty: a client deriving keys from what it sends repeats them. Were the
# key taken, the second logout or revoke would be answered "done" from the first one's record, doing nothing.


def test_logout_with_a_repeated_key_revokes_the_token_it_carries():
    user = HeadCoachFactory()
    first, second = bearer_client(user), bearer_client(user)
    assert post(first, "/api/v1/auth/logout/", {}, key="logout").status_code == 204
    assert first.get("/api/v1/auth/me/").status_code == 401
    response = post(second, "/api/v1/auth/logout/", {}, key="logout")
    assert response.status_code == 204 and not replayed(response)
    assert second.get("/api/v1/auth/me/").status_code == 401
    assert IdempotencyRecord.objects.count() == 0


def test_logout_ignores_even_a_malformed_key():
    client = bearer_client(UserFactory())
    assert post(client, "/api/v1/auth/logout/", {}, key="\x00").status_code == 204
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_revoke_with_a_repeated_key_revokes_the_url_issued_since(athlete_client, athlete):
    feed_path = f"/api/v1/athletes/{athlete.pk}/calendar-feed/"
    revoke_path = f"{feed_path}revoke/"
    first_url = post(athlete_client, feed_path, {}).json()["url"]
    assert post(athlete_client, revoke_path, {}, key="rv").status_code == 204
    second_url = post(athlete_client, feed_path, {}).json()["url"]
    assert APIClient().get(second_url.split("testserver", 1)[1]).status_code == 200
    response = post(athlete_client, revoke_path, {}, key="rv")
    assert response.status_code == 204 and not replayed(response)
    for url in (first_url, second_url):
        assert APIClient().get(url.split("testserver", 1)[1]).status_code == 404
    assert not CalendarFeed.objects.filter(athlete=athlete).exists()
    assert IdempotencyRecord.objects.count() == 0


# --- Clone: the double click -----------------------------------------------------------------------------------


def test_a_double_clicked_clone_makes_one_program(coach_client, athlete, target):
    source = TrainingProgramFactory(athlete=athlete)
    path = f"/api/v1/programs/{source.pk}/clone/"
    body = {"athleteId": str(target.pk), "startDate": START.isoformat()}
    clicks = [post(coach_client, path, body, key="clone-click") for _ in range(2)]
    assert [c.status_code for c in clicks] == [201, 201]
    assert [replayed(c) for c in clicks] == [False, True]
    assert clicks[0].content == clicks[1].content
    assert TrainingProgram.objects.filter(athlete=target).count() == 1


# --- Every POST takes keys; the schema says so ------------------------------------------------------------------


def test_every_post_under_the_api_takes_idempotency_keys_except_the_listed_ones():
    """A new endpoint gets keys by deriving from core.viewsets or IdempotentPostMixin: this fails if one does not,
    unless KEYLESS_POSTS lists it with its reason; and a listed view really takes none."""
    posts = {}
    for route, callback in ((r, p.callback) for r, p in api_patterns() if r.startswith("api/v1/")):
        view_class = getattr(callback, "cls", None)
        actions = getattr(callback, "actions", None)
        accepts_post = "post" in actions if actions is not None else hasattr(view_class, "post")
        if view_class is not None and accepts_post:
            posts[route] = view_class
    assert len(posts) >= 10  # the resources' creates, clone, invite, the calendar feed, logout, login
    keyless = {f"{cls.__module__}.{cls.__qualname__}" for cls in posts.values() if not takes_keys(cls)}
    assert keyless == set(KEYLESS_POSTS)  # no stale entry: each names a view that answers a POST here
    assert all(len(reason) > 20 for reason in KEYLESS_POSTS.values())
    wrong = [
        route
        for route, view_class in posts.items()
        if takes_keys(view_class) != issubclass(view_class, IdempotentPostMixin)
    ]
    assert not wrong, wrong


KEYLESS_PATHS = {
    "/api/v1/auth/token/",
    "/api/v1/auth/logout/",
    "/api/v1/athletes/{id}/calendar-feed/revoke/",
    "/api/v1/athletes/{id}/erase/",
    "/api/v1/athletes/{id}/activities/",
}


def test_the_schema_documents_the_header_and_its_answers():
    schema = APIClient().get("/api/schema/?format=json").json()
    posts = {path: ops["post"] for path, ops in schema["paths"].items() if "post" in ops}
    assert set(posts) >= KEYLESS_PATHS
    assert "/api/v1/programs/{id}/clone/" in posts
    for path, operation in posts.items():
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        if path in KEYLESS_PATHS:
            assert "Idempotency-Key" not in headers
            assert "422" not in operation["responses"]
            assert not any("headers" in r for code, r in operation["responses"].items() if code.startswith("2"))
            continue
        key = headers["Idempotency-Key"]
        assert key["required"] is False
        assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)
        assert {"409", "422"} <= set(operation["responses"]), path
        assert "Idempotency-Key" in operation["responses"]["409"]["description"]
        success = [r for code, r in operation["responses"].items() if code.startswith("2")]
        assert all("Idempotent-Replayed" in r.get("headers", {}) for r in success), path
    for path, ops in schema["paths"].items():
        for method in set(ops) - {"post"}:
            assert "Idempotency-Key" not in {p["name"] for p in ops[method].get("parameters", [])}, (path, method)


# --- Retention ---------------------------------------------------------------------------------------------------


def test_prune_deletes_keys_older_than_24_hours(capsys):
    user, now = UserFactory(), timezone.now()
    for key, started in [("old", now - RETENTION - timedelta(seconds=1)), ("edge", now - RETENTION), ("new", now)]:
        IdempotencyRecord.objects.create(user=user, key=key, fingerprint="f", claim=uuid.uuid4(), created_at=started)
    assert idempotency_records_prune(now=now) == 2
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert idempotency_records_prune(now=now + RETENTION) == 1
    call_command("pruneidempotencykeys")
    assert "Deleted 0 expired idempotency key(s)." in capsys.readouterr().out


# --- Cost ----------------------------------------------------------------------------------------------------------

# Statements as Django logs them (BEGIN, COMMIT and ROLLBACK included). A key costs its claim (BEGIN, INSERT,
# COMMIT), the UPDATE that stores the answer, and one savepoint (SAVEPOINT + RELEASE): the view's own transaction
# now nests in the one that commits it with its answer (whose BEGIN/COMMIT replace the view's). Savepoints the view
# already nested (program_save's, the model checks') cost nothing more.
KEY_QUERIES = 3 + 1 + 2
# The replay: the token with its user (and, on SQLite, the permissions), then BEGIN, the refused INSERT, ROLLBACK
# and the stored record.
REPLAY_QUERIES = 4 + (1 if connection.vendor == "postgresql" else 2)


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction turning every atomic into a savepoint
def test_a_key_costs_a_pinned_number_of_queries(coach_client, target):
    with CaptureQueriesContext(connection) as plain:
        assert post(coach_client, PROGRAMS, program_body(target, "Plain")).status_code == 201
    with CaptureQueriesContext(connection) as keyed:
        assert post(coach_client, PROGRAMS, program_body(target, "Keyed"), key="cost").status_code == 201
    extra = [q["sql"] for q in keyed.captured_queries[len(plain.captured_queries) :]]
    assert len(keyed) - len(plain) == KEY_QUERIES, "\n".join(q["sql"] for q in keyed.captured_queries)
    assert sum("core_idempotencyrecord" in q["sql"] for q in keyed.captured_queries) == 2, extra
    with CaptureQueriesContext(connection) as replay:
        assert replayed(post(coach_client, PROGRAMS, program_body(target, "Keyed"), key="cost"))
    assert len(replay) == REPLAY_QUERIES, "\n".join(q["sql"] for q in replay.captured_queries)


# --- Real races (PostgreSQL) -----------------------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_duplicate_clones_make_one_program(round_):
    source = TrainingProgramFactory(athlete=AthleteProfileFactory())
    target = AthleteProfileFactory()
    coach = HeadCoachFactory()
    clients = [bearer_client(coach), bearer_client(coach)]  # two tabs of one user
    path = f"/api/v1/programs/{source.pk}/clone/"
    body = {"athleteId": str(target.pk), "startDate": START.isoformat()}
    responses = run_at_once([lambda c=c: post(c, path, body, key=f"race-{round_}") for c in clients])
    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([201, 201], [201, 409]), statuses
    if statuses == [201, 201]:
        assert sum(replayed(r) for r in responses) == 1
        assert responses[0].content == responses[1].content
    assert TrainingProgram.objects.filter(athlete=target).count() == 1
    assert IdempotencyRecord.objects.get().response_status == 201


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_key_and_two_bodies_write_once():
    target = AthleteProfileFactory()
    coach = HeadCoachFactory()
    clients = [bearer_client(coach), bearer_client(coach)]
    responses = run_at_once(
        [
            lambda c=c, n=n: post(c, PROGRAMS, program_body(target, f"Tab {n}"), key="two-bodies")
            for n, c in enumerate(clients)
        ]
    )
    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = sorted(r.status_code for r in responses)
    assert statuses[0] == 201 and statuses[1] in (409, 422), statuses
    assert TrainingProgram.objects.filter(athlete=target).count() == 1
