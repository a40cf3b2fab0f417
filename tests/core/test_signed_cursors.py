"""Cursors are signed: a cursor Cadence gave walks on; one it did not give (altered, hand-made, signed with another
key, or given by another list) is a 400 with a clear message, never a 500 and never a silently wrong page."""

import base64
import struct
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.test import override_settings

from core.lists.cursors import INVALID_CURSOR_MESSAGE, cursor_scope, encode_cursor
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from training.models import TrainingProgram, TrainingSession

pytestmark = pytest.mark.django_db

SESSIONS = cursor_scope(TrainingSession.objects.all())
OLD_KEY = "an-old-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-old"
NEW_KEY = "a-new-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-new"


def _cursor(body) -> str:
    return parse_qs(urlsplit(body["next"]).query)["cursor"][0]


def _first_cursor(client, url="/api/v1/sessions/", **params) -> str:
    body = client.get(url, {"pagination": "cursor", "pageSize": 1, **params}).json()
    return _cursor(body)


def _assert_refused(response):
    assert response.status_code == 400, response.content
    assert response.json() == {"cursor": [INVALID_CURSOR_MESSAGE]}


@pytest.fixture
def sessions(athlete):
    return TrainingSessionFactory.create_batch(3, program=TrainingProgramFactory(athlete=athlete))


def test_a_given_cursor_walks_the_whole_list(coach_client, sessions):
    seen, url = [], "/api/v1/sessions/?pagination=cursor&pageSize=1"
    while url:
        body = coach_client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(str(s.pk) for s in sessions) and len(seen) == 3


def test_a_cursor_is_compact_and_keeps_working_with_other_filters_and_page_sizes(coach_client, sessions, athlete):
    cursor = _first_cursor(coach_client)
    assert len(cursor) < 100
    # The position is a key of the same list: other filters and page sizes on that list are fine.
    response = coach_client.get("/api/v1/sessions/", {"cursor": cursor, "pageSize": 5, "athleteId": str(athlete.pk)})
    assert response.status_code == 200 and len(response.json()["results"]) == 2


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


@pytest.mark.parametrize("where", ["position-start", "position-middle", "signature-start", "signature-end"])
def test_a_cursor_with_one_character_changed_is_400(coach_client, sessions, where):
    cursor = _first_cursor(coach_client)
    position, _signature = cursor.split(".")
    index = {
        "position-start": 0,
        "position-middle": len(position) // 2,
        "signature-start": len(position) + 1,
        "signature-end": len(cursor) - 1,
    }[where]
    _assert_refused(coach_client.get("/api/v1/sessions/", {"cursor": _flip(cursor, index)}))


def _packed(stamp: datetime, pk: uuid.UUID) -> str:
    micros = (stamp - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(struct.pack(">q16s", micros, pk.bytes)).decode().rstrip("=")


@pytest.mark.parametrize(
    "make",
    [
        # The unsigned cursors Cadence used to accept: base64 of "<timestamp>|<id>".
        lambda pk: base64.urlsafe_b64encode(f"2030-01-01T00:00:00+00:00|{pk}".encode()).decode().rstrip("="),
        # Today's position, hand-packed, with no signature or a made-up one.
        lambda pk: _packed(datetime(2030, 1, 1, tzinfo=UTC), pk),
        lambda pk: _packed(datetime(2030, 1, 1, tzinfo=UTC), pk) + "." + "A" * 43,
        # Signed, but not by this list's signer (another salt; the right salt under another key).
        lambda pk: signing.Signer(salt="elsewhere", sep=".").sign(_packed(datetime(2030, 1, 1, tzinfo=UTC), pk)),
        lambda pk: signing.Signer(key="not-the-key", salt=f"core.pagination.cursor:{SESSIONS}", sep=".").sign(
            _packed(datetime(2030, 1, 1, tzinfo=UTC), pk)
        ),
        # Shapes that must not reach the decoder's arithmetic.
        lambda pk: ".",
        lambda pk: "a.b.c",
        lambda pk: "x" * 201,
        lambda pk: "\x00",
        lambda pk: "é.é",
    ],
    ids=[
        "unsigned-legacy",
        "packed-unsigned",
        "packed-fake-signature",
        "other-salt",
        "other-key",
        "dot",
        "three-parts",
        "too-long",
        "nul",
        "non-ascii",
    ],
)
def test_a_hand_made_cursor_is_400(coach_client, sessions, make):
    _assert_refused(coach_client.get("/api/v1/sessions/", {"cursor": make(sessions[0].pk)}))


def test_a_cursor_from_another_list_is_400(coach_client, sessions):
    TrainingProgramFactory.create_batch(2)
    from_programs = _first_cursor(coach_client, "/api/v1/programs/")
    _assert_refused(coach_client.get("/api/v1/sessions/", {"cursor": from_programs}))
    from_sessions = _first_cursor(coach_client)
    _assert_refused(coach_client.get("/api/v1/programs/", {"cursor": from_sessions}))
    assert coach_client.get("/api/v1/programs/", {"cursor": from_programs}).status_code == 200


def test_a_cursor_for_another_ordering_of_the_same_list_is_400(coach_client, sessions):
    other_key = cursor_scope(TrainingSession.objects.all()).replace("updated_at", "scheduled_at")
    cursor = encode_cursor(sessions[0].updated_at, sessions[0].pk, scope=other_key)
    _assert_refused(coach_client.get("/api/v1/sessions/", {"cursor": cursor}))
    same = encode_cursor(sessions[0].updated_at, sessions[0].pk, scope=SESSIONS)
    assert coach_client.get("/api/v1/sessions/", {"cursor": same}).status_code == 200


def test_cursors_signed_with_a_retired_key_work_while_it_is_a_fallback(coach_client, sessions):
    with override_settings(SECRET_KEY=OLD_KEY, SECRET_KEY_FALLBACKS=[]):
        cursor = _first_cursor(coach_client)
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        response = coach_client.get("/api/v1/sessions/", {"cursor": cursor, "pageSize": 1})
        assert response.status_code == 200 and len(response.json()["results"]) == 1
        fresh = _cursor(response.json())  # given now: signed with the new key
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        _assert_refused(coach_client.get("/api/v1/sessions/", {"cursor": cursor}))
        assert coach_client.get("/api/v1/sessions/", {"cursor": fresh}).status_code == 200


def test_a_cursor_is_not_a_key_to_rows_the_caller_may_not_see(athlete_client, other_client, athlete, other_athlete):
    TrainingSessionFactory.create_batch(2, program=TrainingProgramFactory(athlete=athlete))
    theirs = TrainingSessionFactory.create_batch(3, program=TrainingProgramFactory(athlete=other_athlete))
    cursor = _first_cursor(other_client)  # a valid cursor of /sessions/, taken by another athlete
    rows = athlete_client.get("/api/v1/sessions/", {"cursor": cursor, "pageSize": 10}).json()["results"]
    assert not {row["id"] for row in rows} & {str(s.pk) for s in theirs}


def test_program_and_session_scopes_differ():
    assert cursor_scope(TrainingProgram.objects.all()) != SESSIONS
