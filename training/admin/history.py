"""The audit trail of session statuses in the admin log: who changed a status, from what, to what, and how."""

from __future__ import annotations

import json

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from ..models import SessionStatus, TrainingSession


def status_change_message(old: str | None, new: str, *, source: str) -> str:
    labels = dict(SessionStatus.choices)
    return f"Status: {labels.get(old, old or '—')} → {labels.get(new, new)} ({source})."


def plain_change_message(message) -> str:
    """The admin's structured change message (a list) as the sentence the History page shows."""
    if isinstance(message, str):
        return message
    return LogEntry(change_message=json.dumps(message)).get_change_message() if message else ""


def log_bulk_status_change(user, sessions, old_statuses: dict, status: str, *, action: str) -> list[LogEntry]:
    """One admin log entry per session a bulk action changed, in one INSERT (see docs/admin.md for the cost)."""
    content_type = ContentType.objects.get_for_model(TrainingSession, for_concrete_model=False)
    entries = [
        LogEntry(
            user_id=user.pk,
            content_type_id=content_type.pk,
            object_id=str(session.pk),
            object_repr=str(session)[:200],
            action_flag=CHANGE,
            change_message=status_change_message(old_statuses.get(session.pk), status, source=f"bulk action {action}"),
        )
        for session in sessions
    ]
    return LogEntry.objects.bulk_create(entries)


def status_log_entries(session: TrainingSession, limit: int = 50) -> list[LogEntry]:
    """The admin log entries that created the session or changed its status, newest first (one query)."""
    content_type = ContentType.objects.get_for_model(TrainingSession, for_concrete_model=False)
    return list(
        LogEntry.objects.filter(content_type_id=content_type.pk, object_id=str(session.pk))
        .filter(Q(action_flag=ADDITION) | Q(change_message__contains="Status"))
        .select_related("user")
        .order_by("-action_time", "-id")[:limit]
    )
