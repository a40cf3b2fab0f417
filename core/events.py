"""Domain events: what a write announces to whoever listens (webhooks), without knowing who does.

A write service calls `event_emit(type=..., athlete_id=..., resource=...)` inside its transaction, after it
saved; each receiver (registered by an app that sits above the writers, in its AppConfig.ready) does its work in
the same transaction, so a rolled-back write announces nothing. Core imports no app: the apps register here."""

from __future__ import annotations

from collections.abc import Callable

ATHLETE_CREATED = "athlete.created"
ATHLETE_UPDATED = "athlete.updated"
PROGRAM_CREATED = "program.created"
PROGRAM_UPDATED = "program.updated"
SESSION_CREATED = "session.created"
SESSION_UPDATED = "session.updated"
SESSION_COMPLETED = "session.completed"
ACTIVITY_IMPORTED = "activity.imported"

EVENT_TYPES = (
    ATHLETE_CREATED,
    ATHLETE_UPDATED,
    PROGRAM_CREATED,
    PROGRAM_UPDATED,
    SESSION_CREATED,
    SESSION_UPDATED,
    SESSION_COMPLETED,
    ACTIVITY_IMPORTED,
)

_receivers: list[Callable] = []


def event_receiver(receiver: Callable) -> Callable:
    """Register `receiver(batches=[(type, [(athlete_id, resource), ...]), ...])` (once; registering it again
    changes nothing)."""
    if receiver not in _receivers:
        _receivers.append(receiver)
    return receiver


def event_emit(*, type: str, athlete_id, resource) -> None:
    """Announce that `resource` (a saved model instance) of the athlete `athlete_id` was created or changed.

    Call it inside the write's transaction: the receivers enqueue their work there, so it exists exactly when
    the write commits."""
    events_announce([(type, [(athlete_id, resource)])])


def events_emit(*, type: str, items: list[tuple]) -> None:
    """`event_emit` for many resources at once (`items`: (athlete_id, resource) pairs)."""
    events_announce([(type, items)])


def events_announce(batches: list[tuple[str, list[tuple]]]) -> None:
    """Announce several events of one write at once (`batches`: (type, [(athlete_id, resource), ...])): the
    receivers look for listeners once, so a write costs the same number of queries whatever it announces when
    nobody listens."""
    for event_type, _ in batches:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"Unknown event type {event_type!r}.")
    batches = [(event_type, items) for event_type, items in batches if items]
    if not batches:
        return
    for receiver in _receivers:
        receiver(batches=batches)
