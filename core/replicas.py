"""Read replicas: which node a request reads from (docs/operations.md, Read replicas).

`ReplicaReadMiddleware` chooses the node once, when the request starts: an API `GET`/`HEAD` from a client
that has not written in the last `REPLICA_PIN_SECONDS` reads from a replica (round robin over the ones that
answer), everything else from the primary. `ReplicaRouter` then sends every read of that request to the
chosen node, so one response (a list with its derived metrics, a page and its count) is computed from one
consistent snapshot. Writes always go to the primary.

Read-your-writes: a client is identified by its credentials (a digest of the `Authorization` header, else
of the session cookie); an unsafe request stores a pin under that key in the shared cache (Redis in
production) for `REPLICA_PIN_SECONDS`, and a pinned client reads from the primary. Authentication, sessions
and permissions are always read from the primary, so a new token works at once and a revoked one stops at
once, whatever the replication lag.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import threading
import time
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger("cadence.replicas")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
READ_METHODS = ("GET", "HEAD")
API_PREFIX = "/api/"
# Apps whose rows decide who the caller is and what they may do: never read from a lagging copy.
PRIMARY_ONLY_APPS = frozenset({"auth", "knox", "sessions", "contenttypes", "admin"})
PIN_KEY_PREFIX = "cadence:replica-pin:"

_read_alias: ContextVar[str | None] = ContextVar("cadence_read_alias", default=None)
_down_until: dict[str, float] = {}
_down_lock = threading.Lock()
_round_robin = itertools.count()


def current_read_alias() -> str | None:
    """The replica this request reads from, or None (the primary)."""
    return _read_alias.get()


class ReplicaRouter:
    """Reads of the current request go to the node its middleware chose; writes and migrations to the
    primary only."""

    def db_for_read(self, model, **hints):
        alias = _read_alias.get()
        if alias is None:
            return None
        # Inside a transaction on the primary (a read after a write in the same request) stay there.
        if model._meta.app_label in PRIMARY_ONLY_APPS or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints):
        # Explicit: without an answer Django would write an instance back to the node it was read from.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        nodes = {DEFAULT_DB_ALIAS, *settings.REPLICA_ALIASES}
        if obj1._state.db in nodes and obj2._state.db in nodes:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db in settings.REPLICA_ALIASES:
            return False  # a physical replica receives the primary's schema through replication
        return None


def pin_key(request) -> str | None:
    """The cache key of the caller's read-your-writes pin (None for a caller without credentials)."""
    credential = request.META.get("HTTP_AUTHORIZATION") or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not credential:
        return None
    return PIN_KEY_PREFIX + hashlib.sha256(credential.encode("utf-8", "surrogateescape")).hexdigest()


def is_pinned(key: str | None) -> bool:
    if key is None:
        return False
    try:
        return cache.get(key) is not None
    except Exception:  # the cache is down: the primary is always correct, a replica may not be
        logger.warning("replica pin cache unreadable; reading from the primary", exc_info=True)
        return True


def pin(key: str | None) -> None:
    if key is None or settings.REPLICA_PIN_SECONDS <= 0:
        return
    try:
        cache.set(key, 1, timeout=settings.REPLICA_PIN_SECONDS)
    except Exception:
        logger.warning("replica pin not stored: the client may read its write from a replica", exc_info=True)


def mark_down(alias: str, *, now: float | None = None) -> None:
    """Skip `alias` for REPLICA_RETRY_SECONDS (in this process)."""
    with _down_lock:
        _down_until[alias] = (time.monotonic() if now is None else now) + settings.REPLICA_RETRY_SECONDS


def reset_down() -> None:
    with _down_lock:
        _down_until.clear()


def _usable(alias: str) -> bool:
    """Connect (within DB_CONNECT_TIMEOUT) or check the persistent connection; False when the node fails."""
    from core.db import cut_socket

    wrapper = connections[alias]
    silent = threading.Event()

    def cut() -> None:  # a persistent connection whose server went silent: SELECT 1 would wait for ever
        silent.set()
        cut_socket(wrapper.connection)

    watchdog = threading.Timer(settings.DB_CONNECT_TIMEOUT, cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        # A persistent connection to a replica that has since stopped must be noticed here, before the
        # view's first query: check it now (Django then skips its own check for this request).
        wrapper.health_check_done = False
        wrapper.close_if_health_check_failed()
        if silent.is_set():
            raise TimeoutError(f"no answer within {settings.DB_CONNECT_TIMEOUT} s")
        wrapper.ensure_connection()
        return True
    except Exception as exc:
        logger.warning("replica %s unreachable, reading from the primary: %s", alias, " ".join(str(exc).split()))
        with contextlib.suppress(Exception):
            wrapper.close()
        return False
    finally:
        watchdog.cancel()


def replica_choose() -> str | None:
    """The next replica (round robin) that is not marked down and answers, or None for the primary."""
    aliases = list(settings.REPLICA_ALIASES)
    if not aliases:
        return None
    start = next(_round_robin)
    for offset in range(len(aliases)):
        alias = aliases[(start + offset) % len(aliases)]
        with _down_lock:
            down = _down_until.get(alias, 0.0) > time.monotonic()
        if down:
            continue
        if _usable(alias):
            return alias
        mark_down(alias)
    return None


class ReplicaReadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.REPLICA_ALIASES:
            return self.get_response(request)
        key = pin_key(request)
        alias = None
        if request.method in READ_METHODS and request.path.startswith(API_PREFIX) and not is_pinned(key):
            alias = replica_choose()
        token = _read_alias.set(alias)
        try:
            response = self.get_response(request)
        finally:
            _read_alias.reset(token)
        if request.method not in SAFE_METHODS:
            pin(key)
        return response
