"""Idempotency keys (docs/api.md "Idempotency keys"): a client may send `Idempotency-Key` with any POST under
/api/v1/ (except those in KEYLESS_POSTS) so that retrying it, or a double click, cannot write twice.

The first request with a key runs. A repeat by the same user with the same key and the same request (method,
path, query and body bytes) within 24 hours gets the first answer again, status, headers and body, with
`Idempotent-Replayed: true`, and changes nothing. The same key with another request is a 422; a repeat while
the first is still running is a 409 (with Retry-After). Keys belong to a user: another user's identical key is
a different key.

Why it holds under concurrency and crashes:
- The key is claimed by an INSERT committed on its own before the view runs. A concurrent duplicate meets the
  unique (user, key) constraint and reads the claim: still running (409) or answered (the replay).
- The view then runs in ONE transaction with the UPDATE that stores its answer, so the write and the stored
  answer commit together or not at all. A request that fails stores nothing and gives the key back: only 2xx
  answers are kept. Nothing in Cadence writes on a 4xx (every write is one transaction), so running a request
  again after a 4xx cannot write twice, and the client may correct it and retry with the same key; 5xx and 503
  (the database unavailable) are exactly what a client should retry.
- A 2xx marked `Cache-Control: no-store` (it carries a secret, e.g. a calendar feed URL) is not kept either:
  its write commits and the key is given back in the same transaction, so the secret is never stored here.
- A crash (a killed worker) leaves a claim without an answer, and then its write did not commit either. Such a
  claim older than LEASE counts as abandoned and the next request with the key takes it over. A request that
  was only slow and finds its claim taken over when it finishes rolls back its write and answers 409: however
  long a request runs, at most one write per key commits.
- Keys are kept RETENTION (24 hours) from the request that took them; older ones are ignored (the key runs
  again) and deleted by `manage.py pruneidempotencykeys` (idempotency_records_prune).
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import uuid
from datetime import datetime, timedelta

from django.db import Error, IntegrityError, router, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework import exceptions, status

from .models import IdempotencyRecord

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)
# Longer than any request can run: gunicorn's worker timeout (30 s) and PostgreSQL's idle-in-transaction timeout
# (60 s) end a request stuck longer. Even a request that outlives it cannot write twice (see the docstring).
LEASE = timedelta(seconds=60)

# The POSTs under /api/v1/ that take no Idempotency-Key (their views do not derive from IdempotentPostMixin), by
# view class, and why. Every other POST takes keys: the schema (core.schema) and the test that walks the routes
# read this list. A key here would be harmful, not just useless: keys belong to a user, not to a token or an
# athlete, and these bodies are empty, so a client deriving keys from what it sends repeats them, and the repeat
# would be answered "done" from the first request's record without doing anything.
KEYLESS_POSTS = {
    "core.views.TokenView": "the login: anonymous (keys belong to a user), and each login must issue its own token",
    "core.views.LogoutView": "revokes the token the request carries: naturally idempotent (a repeat with that "
    "token is a 401), and a replay would leave another token of the same user working",
    "training.activities.api.AthleteActivityUploadView": "the activity upload is idempotent by content (the same "
    "file again answers 200 with the activity it made), and a file of up to 25 MiB is not held in memory to be "
    "fingerprinted",
    "calendars.views.CalendarFeedRevokeView": "revokes the athlete's feed URL: naturally idempotent, and a replay "
    "would leave the URL issued since the first revoke working",
    "privacy.api.AthleteEraseView": "erases an athlete: naturally idempotent (a repeat finds no athlete: 404, and "
    "changes nothing), and a stored answer would be a row about the erased athlete that outlives the erasure",
}


def takes_keys(view_class) -> bool:
    """Whether POSTs to `view_class` take Idempotency-Key (not listed in KEYLESS_POSTS)."""
    return f"{view_class.__module__}.{view_class.__qualname__}" not in KEYLESS_POSTS


# Printable ASCII, space included: what an HTTP header carries unambiguously. Control characters (tab, NUL) and
# anything beyond ASCII (which WSGI hands over as Latin-1 mojibake) are refused.
_KEY = re.compile(rf"[\x20-\x7e]{{1,{MAX_KEY_LENGTH}}}")
KEY_PATTERN = f"^{_KEY.pattern}$"  # the OpenAPI schema's (core.schema)
# Not repeated by a replay: the length is computed again, cookies belonged to the first exchange, and DRF adds
# Allow and Vary to every response itself.
_UNSTORED_HEADERS = frozenset({"content-length", "set-cookie", "allow", "vary"})


class IdempotencyKeyInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."
    default_code = "invalid_idempotency_key"


class IdempotencyKeyInUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = f"A request with this {HEADER} is still running; retry shortly to get its answer."
    default_code = "idempotency_key_in_use"
    wait = 1  # DRF's exception handler turns it into Retry-After


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = f"This {HEADER} was used with a different request; use a new key for a new request."
    default_code = "idempotency_key_reused"


def idempotency_key(value: str) -> str:
    """`value` of the header if it is a valid key; else IdempotencyKeyInvalid (400)."""
    if not _KEY.fullmatch(value):
        raise IdempotencyKeyInvalid()
    return value


def request_fingerprint(request: HttpRequest) -> str:
    """sha256 of what makes two requests the same request: method, path (with or without its trailing slash,
    which route the same), query string and body bytes."""
    path = request.path if request.path.endswith("/") else f"{request.path}/"
    digest = hashlib.sha256()
    for part in (request.method, path, request.META.get("QUERY_STRING", "")):
        digest.update(part.encode("utf-8", errors="replace"))
        digest.update(b"\n")
    digest.update(request.body)
    return digest.hexdigest()


class Claim:
    """A key held by the request that runs: `begin()` opens the transaction the view writes in, `finish()` stores
    the answer in it and commits (or rolls back and gives the key back), `abandon()` is for an exception."""

    def __init__(self, record_id: int, token: uuid.UUID, using: str):
        self.record_id, self.token, self.using = record_id, token, using
        self._atomic = None

    def _mine(self):
        """The record while this request still holds it (running, not taken over)."""
        return IdempotencyRecord.objects.using(self.using).filter(
            pk=self.record_id, claim=self.token, response_status=None
        )

    def begin(self) -> None:
        self._atomic = transaction.atomic(using=self.using)
        self._atomic.__enter__()

    def finish(self, response: HttpResponse) -> bool:
        """End the view's transaction for `response`. A 2xx commits: with the answer stored, or with the key
        given back when the response is `no-store`. Anything else rolls back and gives the key back. False when
        the key was taken over meanwhile (a request past its LEASE): then the write is rolled back too."""
        try:
            held = True
            if status.is_success(response.status_code):
                if "no-store" in response.get("Cache-Control", ""):
                    held = self._mine().delete()[0] == 1
                else:
                    render = getattr(response, "render", None)
                    if render is not None:
                        render()  # the stored bytes are exactly what the client receives
                    headers = {k: v for k, v in response.items() if k.lower() not in _UNSTORED_HEADERS}
                    held = (
                        self._mine().update(
                            response_status=response.status_code,
                            response_headers=headers,
                            response_body=response.content,
                        )
                        == 1
                    )
                if held:
                    self._end(None, None, None)
                    return True
            transaction.set_rollback(True, using=self.using)
            self._end(None, None, None)
        except BaseException:
            self.abandon(*sys.exc_info())
            raise
        self._release()
        return held

    def abandon(self, exc_type, exc, traceback) -> None:
        """Roll the view's transaction back after an exception and give the key back."""
        if self._atomic is not None:
            self._end(exc_type, exc, traceback)
        self._release()

    def _end(self, exc_type, exc, traceback) -> None:
        atomic, self._atomic = self._atomic, None
        atomic.__exit__(exc_type, exc, traceback)

    def _release(self) -> None:
        # After a database failure this may fail too: the claim then stays until its LEASE passes.
        try:
            self._mine().delete()
        except Error as exc:
            logger.warning("Could not give back an idempotency key (it frees itself after %s): %s", LEASE, exc)


def idempotency_claim(*, user, key: str, fingerprint: str, now: datetime | None = None) -> Claim | IdempotencyRecord:
    """Take `key` for `user`'s request with `fingerprint`. Returns a Claim when the request is to run, or the
    record holding the first answer when it is a repeat. Raises IdempotencyKeyReused (422) when the key was used
    for another request, IdempotencyKeyInUse (409) while the first request runs."""
    now = now or timezone.now()
    using = router.db_for_write(IdempotencyRecord)
    records = IdempotencyRecord.objects.using(using)
    for _attempt in range(3):
        token = uuid.uuid4()
        try:
            # Committed on its own, before the view runs: a concurrent duplicate sees the claim at once.
            with transaction.atomic(using=using):
                record = records.create(user=user, key=key, fingerprint=fingerprint, claim=token, created_at=now)
            return Claim(record.pk, token, using)
        except IntegrityError:
            pass
        try:
            record = records.get(user=user, key=key)
        except IdempotencyRecord.DoesNotExist:
            continue  # given back since the INSERT failed: claim it again
        running = record.response_status is None
        if record.created_at <= now - RETENTION or (running and record.created_at <= now - LEASE):
            # Forgotten (past retention) or abandoned (its request died and its write never committed): take it
            # over, unless another request just did (or the running one just finished).
            taken = records.filter(pk=record.pk, claim=record.claim, response_status=record.response_status).update(
                claim=token,
                fingerprint=fingerprint,
                created_at=now,
                response_status=None,
                response_headers={},
                response_body=b"",
            )
            if taken:
                return Claim(record.pk, token, using)
            continue
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if running:
            raise IdempotencyKeyInUse()
        return record
    raise IdempotencyKeyInUse()


def replay_response(record: IdempotencyRecord) -> HttpResponse:
    """The first answer again, marked as a replay."""
    response = HttpResponse(bytes(record.response_body), status=record.response_status)
    if "Content-Type" not in record.response_headers:
        del response["Content-Type"]
    for name, value in record.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def idempotency_records_prune(*, now: datetime | None = None) -> int:
    """Delete the keys older than RETENTION (requests ignore them already); returns how many were deleted."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lte=cutoff).delete()
    return deleted


class _Replay(Exception):
    """Not an error: the way out of APIView.initial with the stored answer."""

    def __init__(self, response: HttpResponse):
        super().__init__()
        self.response = response


class IdempotentPostMixin:
    """For DRF views: POSTs that carry `Idempotency-Key` run once per user and key (this module's docstring).

    The key is judged after authentication, permissions and throttles (a 401 stays a 401), and only when the view
    answers POST at this route. Requests without the header, and anonymous ones, are untouched."""

    _idempotency_claim: Claim | None = None

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except BaseException:
            # An exception DRF does not answer (a database outage, a bug): nothing is kept, the key is given back.
            claim, self._idempotency_claim = self._idempotency_claim, None
            if claim is not None:
                claim.abandon(*sys.exc_info())
            raise

    def initial(self, request, *args, **kwargs):
        key = request.headers.get(HEADER) if request.method == "POST" and hasattr(self, "post") else None
        if key is not None:
            # Read before anything parses the body, so the fingerprint sees the exact bytes.
            fingerprint = request_fingerprint(request._request)
        super().initial(request, *args, **kwargs)
        if key is None or not request.user.is_authenticated:
            return
        outcome = idempotency_claim(user=request.user, key=idempotency_key(key), fingerprint=fingerprint)
        if isinstance(outcome, IdempotencyRecord):
            raise _Replay(replay_response(outcome))
        self._idempotency_claim = outcome
        outcome.begin()

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim, self._idempotency_claim = self._idempotency_claim, None
        if claim is not None and not claim.finish(response):
            lost = IdempotencyKeyInUse("Another request took over this Idempotency-Key; nothing was changed.")
            response = super().finalize_response(request, self.handle_exception(lost), *args, **kwargs)
        return response
