"""The calendar feed: secret URLs (issue, rotate, revoke; stored hashed) and the RFC 5545 body, read back with
the `icalendar` library the way a calendar app would."""

import hashlib
import re
import uuid
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from calendars.models import CalendarFeed
from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from training.models import Modality, SessionStatus, TrainingSession

pytestmark = pytest.mark.django_db


def issue(client, athlete) -> str:
    response = client.post(f"/api/v1/athletes/{athlete.pk}/calendar-feed/")
    assert response.status_code == 201, response.content
    return response.json()["url"]


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


def events_by_uid(body: bytes) -> dict:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def local(athlete, day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=athlete.tzinfo).astimezone(UTC)


@pytest.fixture
def program(athlete):
    today = timezone.now().astimezone(athlete.tzinfo).date()
    return TrainingProgramFactory(
        athlete=athlete,
        title="Spring; base, build",
        start_date=today - timedelta(days=120),
        end_date=today + timedelta(days=400),
    )


@pytest.fixture(autouse=True)
def _mid_window(monkeypatch):
    """The feed's rate windows are fixed (per minute, per hour): pin its clock 30 s into a minute, so a test's
    requests never straddle two windows and find their budget renewed halfway."""
    monkeypatch.setattr("calendars.views.time", SimpleNamespace(time=lambda: 1_800_000_030.0))


@pytest.fixture
def today(athlete):
    return timezone.now().astimezone(athlete.tzinfo).date()


# --- Issuing, rotating, revoking ----------------------------------------------------------------------


def test_athlete_gets_a_secret_url_stored_only_as_a_hash(athlete_client, athlete):
    url = issue(athlete_client, athlete)
    match = re.fullmatch(r"http://testserver/calendar/([A-Za-z0-9_-]{43})\.ics", url)
    assert match, url
    token = match.group(1)
    row = CalendarFeed.objects.get(athlete=athlete)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(CalendarFeed.objects.values().get())


def test_issue_and_revoke_cost_a_few_queries(athlete_client, athlete, django_assert_max_num_queries):
    # knox (2), the caller's permissions and profile (roles), the athlete, its lock, update_or_create
    # (select for update, insert) and their savepoints
    with django_assert_max_num_queries(14):
        issue(athlete_client, athlete)
    with django_assert_max_num_queries(14):
        assert athlete_client.post(f"/api/v1/athletes/{athlete.pk}/calendar-feed/revoke/").status_code == 204


def test_coach_may_issue_for_an_athlete(coach_client, athlete, program):
    url = issue(coach_client, athlete)
    assert coach_client.get(path_of(url)).status_code == 200


def test_who_may_not_issue(other_client, noprofile_client, anon_client, athlete, coach_client):
    for client in (other_client, noprofile_client):
        assert client.post(f"/api/v1/athletes/{athlete.pk}/calendar-feed/").status_code == 404
        assert client.post(f"/api/v1/athletes/{athlete.pk}/calendar-feed/revoke/").status_code == 404
    assert anon_client.post(f"/api/v1/athletes/{athlete.pk}/calendar-feed/").status_code == 401
    unknown = "0190a1b2-0000-7000-8000-000000000000"
    assert coach_client.post(f"/api/v1/athletes/{unknown}/calendar-feed/").status_code == 404
    assert coach_client.post("/api/v1/athletes/not-a-uuid/calendar-feed/").status_code == 404
    assert coach_client.get(f"/api/v1/athletes/{athlete.pk}/calendar-feed/").status_code == 405
    assert not CalendarFeed.objects.exists()


def test_a_new_url_retires_the_old_one(athlete_client, athlete, program):
    old = issue(athlete_client, athlete)
    new = issue(athlete_client, athlete)
    assert old != new
    assert athlete_client.get(path_of(old)).status_code == 404
    assert athlete_client.get(path_of(new)).status_code == 200
    assert CalendarFeed.objects.filter(athlete=athlete).count() == 1


def test_revoke_leaves_no_working_url(athlete_client, athlete, program):
    url = issue(athlete_client, athlete)
    assert athlete_client.post(f"/api/v1/athletes/{athlete.pk}/calendar-feed/revoke/").status_code == 204
    assert athlete_client.get(path_of(url)).status_code == 404
    # Idempotent.
    assert athlete_client.post(f"/api/v1/athletes/{athlete.pk}/calendar-feed/revoke/").status_code == 204


@pytest.mark.parametrize("token", ["nope", "x" * 101, "a" * 30 + "!", "a" * 43])
def test_unknown_or_malformed_token_is_404(client, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


# --- The body -------------------------------------------------------------------------------------------


def test_every_property_of_every_event(client, athlete_client, athlete, program, today):
    planned = TrainingSessionFactory(
        program=program,
        title="Intervals",
        scheduled_at=local(athlete, today + timedelta(days=2), 7),
        duration_minutes=75,
    )
    skipped = TrainingSessionFactory(
        program=program,
        title="Long ride",
        modality=Modality.BIKE,
        scheduled_at=local(athlete, today - timedelta(days=3), 18, 30),
        status=SessionStatus.SKIPPED,
    )
    completed = TrainingSessionFactory(
        program=program,
        title="Strength",
        modality=Modality.STRENGTH,
        scheduled_at=local(athlete, today - timedelta(days=1), 6),
        status=SessionStatus.COMPLETED,
    )
    completed.title = "Strength A"
    completed.save()  # version 2
    response = client.get(path_of(issue(athlete_client, athlete)))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    body = response.content
    calendar = Calendar.from_ical(body)
    assert str(calendar["VERSION"]) == "2.0" and "Cadence" in str(calendar["PRODID"])
    events = events_by_uid(body)
    assert set(events) == {f"{s.pk}@cadence" for s in (planned, skipped, completed)}
    expected_status = {planned.pk: "CONFIRMED", skipped.pk: "CANCELLED", completed.pk: "CONFIRMED"}
    for session in TrainingSession.objects.filter(athlete=athlete).select_related("program"):
        event = events[f"{session.pk}@cadence"]
        assert event.decoded("DTSTART") == session.scheduled_at
        assert event.decoded("DTSTART").tzinfo is not None and event.decoded("DTSTART").utcoffset() == timedelta(0)
        assert event.decoded("DURATION") == timedelta(minutes=session.duration_minutes)
        assert str(event["SUMMARY"]) == session.title
        description = str(event["DESCRIPTION"])
        assert f"Modality: {session.get_modality_display()}" in description
        assert f"Status: {session.get_status_display()}" in description
        assert "Program: Spring; base, build" in description
        assert str(event["STATUS"]) == expected_status[session.pk]
        assert int(event["SEQUENCE"]) == session.version
        # iCalendar times have whole seconds.
        assert event.decoded("LAST-MODIFIED") == session.updated_at.replace(microsecond=0)
        assert event.decoded("DTSTAMP") == session.updated_at.replace(microsecond=0)
    assert int(events[f"{completed.pk}@cadence"]["SEQUENCE"]) == 2
    # DTSTART, DTSTAMP and LAST-MODIFIED are written in UTC (a trailing Z), not with a TZID.
    text = body.decode()
    assert "TZID" not in text
    for name in ("DTSTART", "DTSTAMP", "LAST-MODIFIED"):
        assert all(line.endswith("Z") for line in text.splitlines() if line.startswith(name + ":"))


def test_window_is_90_local_days_back_to_365_ahead(client, athlete_client, athlete, program, today):
    inside = [
        TrainingSessionFactory(program=program, scheduled_at=local(athlete, today - timedelta(days=90), 0, 30)),
        TrainingSessionFactory(program=program, scheduled_at=local(athlete, today + timedelta(days=365), 23, 30)),
    ]
    TrainingSessionFactory(program=program, scheduled_at=local(athlete, today - timedelta(days=91), 23, 30))
    TrainingSessionFactory(program=program, scheduled_at=local(athlete, today + timedelta(days=366), 0, 30))
    body = client.get(path_of(issue(athlete_client, athlete))).content
    assert set(events_by_uid(body)) == {f"{s.pk}@cadence" for s in inside}


def test_another_athletes_token_never_shows_these_sessions(client, coach_client, athlete, program, today):
    mine = TrainingSessionFactory.create_batch(3, program=program, scheduled_at=local(athlete, today, 9))
    other = AthleteProfileFactory(timezone="Asia/Tokyo")
    other_program = TrainingProgramFactory(
        athlete=other, start_date=today - timedelta(days=5), end_date=today + timedelta(days=20)
    )
    theirs = TrainingSessionFactory(program=other_program, scheduled_at=local(other, today + timedelta(days=1), 9))
    my_events = events_by_uid(client.get(path_of(issue(coach_client, athlete))).content)
    their_events = events_by_uid(client.get(path_of(issue(coach_client, other))).content)
    assert set(my_events) == {f"{s.pk}@cadence" for s in mine}
    assert set(their_events) == {f"{theirs.pk}@cadence"}


def test_round_trip_event_by_event(client, athlete_client, athlete, program, today):
    for i in range(5):
        TrainingSessionFactory(
            program=program,
            title=f"Run {i}, easy; with\\backslash",
            scheduled_at=local(athlete, today + timedelta(days=i), 7),
            status=[SessionStatus.PLANNED, SessionStatus.SKIPPED, SessionStatus.COMPLETED][i % 3],
        )
    body = client.get(path_of(issue(athlete_client, athlete))).content
    parsed = Calendar.from_ical(body)
    # What an importer reads is what was written, byte for byte once serialized again.
    assert parsed.to_ical() == body
    sessions = {f"{s.pk}@cadence": s for s in TrainingSession.objects.filter(athlete=athlete)}
    events = list(parsed.walk("VEVENT"))
    assert len(events) == len(sessions) == 5
    for event in events:
        session = sessions[str(event["UID"])]
        assert str(event["SUMMARY"]) == session.title
        assert event.decoded("DTSTART") == session.scheduled_at
        assert event.decoded("DTSTART") + event.decoded("DURATION") == session.scheduled_at + timedelta(minutes=60)
        assert str(event["STATUS"]) == ("CANCELLED" if session.status == SessionStatus.SKIPPED else "CONFIRMED")


# --- HTTP: ETag, 304, queries, rate limit ------------------------------------------------------------------


def test_etag_and_if_none_match(client, athlete_client, athlete, program, today):
    session = TrainingSessionFactory(program=program, scheduled_at=local(athlete, today, 7))
    path = path_of(issue(athlete_client, athlete))
    first = client.get(path)
    etag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert client.get(path)["ETag"] == etag  # the same data, the same tag

    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        not_modified = client.get(path, HTTP_IF_NONE_MATCH=header)
        assert not_modified.status_code == 304 and not_modified.content == b""
        assert not_modified["ETag"] == etag and not_modified["Cache-Control"] == "private, max-age=300"
    assert client.get(path, HTTP_IF_NONE_MATCH='"other"').status_code == 200

    session.title = "Moved"
    session.save()
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "SUMMARY:Moved" in changed.content.decode()


def test_feed_queries_do_not_grow_with_sessions(client, athlete_client, athlete, program, today):
    path = path_of(issue(athlete_client, athlete))

    def cost():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(events_by_uid(response.content))

    TrainingSessionFactory.create_batch(3, program=program, scheduled_at=local(athlete, today, 7))
    few = cost()
    TrainingSessionFactory.create_batch(40, program=program, scheduled_at=local(athlete, today, 8))
    many = cost()
    assert (few[1], many[1]) == (3, 43)
    assert few[0] == many[0] == 2  # the token (with its athlete), the sessions (with their programs)


def test_rate_limit_per_token(client, athlete_client, coach_client, athlete, other_athlete, program, settings):
    settings.CALENDAR_FEED_RATE = "3/min"
    path = path_of(issue(athlete_client, athlete))
    other_path = path_of(issue(coach_client, other_athlete))
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 200]
    with CaptureQueriesContext(connection) as ctx:
        limited = client.get(path)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert not ctx.captured_queries  # refused before the database
    assert client.get(other_path).status_code == 200  # another token has its own budget


def test_head_and_write_methods(client, athlete_client, athlete, program):
    path = path_of(issue(athlete_client, athlete))
    head = client.head(path)
    assert head.status_code == 200 and head.content == b""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    for method in ("post", "put", "delete"):
        assert getattr(strict, method)(path).status_code == 405


# --- Unknown tokens cost nothing lasting ---------------------------------------------------------------------


def unknown_tokens(n: int, start: int = 0) -> list[str]:
    return [f"unknown-token-{i:06d}-" + "x" * 24 for i in range(start, start + n)]


def feed_keys() -> list[str]:
    """The keys the feed left in the local-memory cache (the test settings' default backend)."""
    return [key for key in cache._cache if "calendar-feed" in key]


def test_unknown_tokens_leave_no_per_token_state(client, athlete_client, athlete, program, settings):
    settings.CALENDAR_FEED_RATE = "1000/hour"
    assert isinstance(cache._cache, dict), "the test settings use the local-memory cache"
    known = path_of(issue(athlete_client, athlete))
    cache.clear()
    tokens = unknown_tokens(5)
    assert {client.get(f"/calendar/{token}.ics").status_code for token in tokens} == {404}
    after_few = feed_keys()
    tokens += unknown_tokens(200, start=5)
    assert {client.get(f"/calendar/{token}.ics").status_code for token in tokens[5:]} == {404}
    after_many = feed_keys()
    # One counter for this client's address (its guessing budget), however many tokens it tried.
    assert after_few == after_many and len(after_many) == 1 and "calendar-feed-misses:127.0.0.1:" in after_many[0]
    hashes = {hashlib.sha256(token.encode()).hexdigest() for token in tokens}
    assert not [key for key in cache._cache if any(h in key for h in hashes)]
    # A real URL still works and is still counted per URL, as before.
    assert client.get(known).status_code == 200
    url_hash = hashlib.sha256(known.removeprefix("/calendar/").removesuffix(".ics").encode()).hexdigest()
    assert len([key for key in feed_keys() if url_hash in key]) == 1
    assert len(feed_keys()) == 2


def test_guessing_is_limited_per_client_address(client, athlete_client, athlete, program, settings):
    settings.CALENDAR_FEED_RATE = "3/min"
    known = path_of(issue(athlete_client, athlete))
    guesses = unknown_tokens(4)
    assert [client.get(f"/calendar/{token}.ics").status_code for token in guesses[:3]] == [404, 404, 404]
    with CaptureQueriesContext(connection) as ctx:
        limited = client.get(f"/calendar/{guesses[3]}.ics")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "unknown calendars" in limited.content.decode()
    assert len(ctx.captured_queries) == 1  # one indexed lookup of the token's hash, nothing written
    # A real URL is still served from that address: calendar services poll every subscriber's feed from a few
    # shared addresses, and the revoked URLs they keep polling must not cut the others' calendars off.
    assert client.get(known).status_code == 200
    assert client.get(f"/calendar/{unknown_tokens(1, 7)[0]}.ics").status_code == 429
    # Another client is not affected, and a known URL does not spend the guessing budget.
    assert client.get(known, REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get(known, REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get(f"/calendar/{guesses[3]}.ics", REMOTE_ADDR="192.0.2.7").status_code == 404


def test_an_ipv6_client_is_its_slash_64(client, settings):
    settings.CALENDAR_FEED_RATE = "2/min"
    hosts = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2::abcd"]
    codes = [
        client.get(f"/calendar/{t}.ics", REMOTE_ADDR=h).status_code
        for t, h in zip(unknown_tokens(3), hosts, strict=True)
    ]
    assert codes == [404, 404, 429]
    assert client.get(f"/calendar/{unknown_tokens(1, 9)[0]}.ics", REMOTE_ADDR="2001:db8:1:3::1").status_code == 404
    # Two /64s, one key each.
    assert sorted(key.split(":", 3)[3].rsplit(":", 1)[0] for key in feed_keys()) == ["2001:db8:1:2::", "2001:db8:1:3::"]


@pytest.mark.parametrize("remote_addr", ["", "not-an-address", "::ffff:192.0.2.1"])
def test_odd_client_addresses_are_still_counted_and_never_a_500(client, settings, remote_addr):
    settings.CALENDAR_FEED_RATE = "1/min"
    first, second = (
        client.get(f"/calendar/{token}.ics", REMOTE_ADDR=remote_addr).status_code for token in unknown_tokens(2)
    )
    assert (first, second) == (404, 429)
    assert len(feed_keys()) == 1


def test_unknown_tokens_leave_no_keys_in_redis(client, settings):
    """The same with the production cache backend (Redis), in a database and key prefix of the test's own."""
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"cadence-test-{uuid.uuid4().hex}"
    settings.CALENDAR_FEED_RATE = "1000/hour"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    }
    raw = redis.Redis.from_url(url)
    try:
        assert {client.get(f"/calendar/{token}.ics").status_code for token in unknown_tokens(100)} == {404}
        keys = [key.decode() for key in raw.scan_iter(f"{prefix}:*")]
        assert len(keys) == 1 and "calendar-feed-misses:127.0.0.1:" in keys[0], keys
        assert 0 < raw.ttl(keys[0]) <= 3601
    finally:
        for key in raw.scan_iter(f"{prefix}:*"):
            raw.delete(key)
