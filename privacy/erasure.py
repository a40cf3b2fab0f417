"""Erasure of an athlete: everything Cadence holds about them, in one transaction.

Deleted: the athlete and every row under them (Django's cascades: programs, phases, cycles, sessions, sets,
events, wellness, squad memberships, the calendar feed ...), their login and what hangs from it (API tokens, the
admin's log entries they made, their Idempotency-Key records), the uploaded files of every deleted row (after
the commit: a rollback keeps them), and the history rows that hold their data whatever table they are in:
the django-simple-history rows of every deleted object, the admin's log entries about any deleted object, and
stored Idempotency-Key answers that quote the athlete (a coach's POST that created them), and the webhook
deliveries whose event quotes them (sent or waiting). What remains is an
`ErasureRecord`: when, by whom (a user id and a role) and how many rows of each kind."""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, router, transaction
from django.db.models.deletion import Collector

from athletes.models import AthleteProfile
from core.models import IdempotencyRecord
from core.writes import lock_row
from webhooks.models import WebhookDelivery

from .models import ErasureRecord

_CHUNK = 500
MIN_MARKER = 6
logger = logging.getLogger(__name__)


class ErasureRefused(Exception):
    """The confirmation (or the athlete's password) does not match: nothing was changed."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def _collect(objects: list, using: str) -> Collector:
    collector = Collector(using=using)
    collector.collect(objects)
    return collector


def _targets(collector: Collector) -> dict:
    """{concrete model: set of pks} of every row the collector will delete (fast deletes read once)."""
    found: dict = defaultdict(set)
    for model, instances in collector.data.items():
        found[model._meta.concrete_model].update(obj.pk for obj in instances)
    for queryset in collector.fast_deletes:
        found[queryset.model._meta.concrete_model].update(queryset.values_list("pk", flat=True))
    return found


def _files(collector: Collector) -> list:
    """(storage, name) of every file a deleted row holds."""
    found = []
    for model, instances in collector.data.items():
        file_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        for obj in instances:
            for field in file_fields:
                value = getattr(obj, field.attname)
                if value:
                    found.append((field.storage, str(value)))
    return found


def _chunks(values: list):
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _history_and_logs(targets: dict, counts: Counter) -> None:
    """Delete the simple-history rows and the admin's log entries of every target row."""
    history_of = {}
    try:
        from simple_history.models import registered_models
    except ImportError:  # pragma: no cover - simple_history is installed
        registered_models = {}
    for model in registered_models.values():
        history_of[model._meta.concrete_model] = model.history.model
    for model, pks in targets.items():
        pks = sorted(pks, key=str)
        history = history_of.get(model)
        if history is not None:
            key = model._meta.pk.attname
            for chunk in _chunks(pks):
                deleted, _ = history._default_manager.filter(**{f"{key}__in": chunk}).delete()
                counts[history._meta.label] += deleted
        # The model and its proxies (the admin may log a change through a proxy's page).
        kinds = [model, *(m for m in apps.get_models() if m._meta.proxy and m._meta.concrete_model is model)]
        content_types = ContentType.objects.get_for_models(*kinds, for_concrete_models=False).values()
        for chunk in _chunks([str(pk) for pk in pks]):
            deleted, _ = LogEntry.objects.filter(content_type__in=content_types, object_id__in=chunk).delete()
            counts[LogEntry._meta.label] += deleted


def _quoting_rows_delete(model, field: str, markers: list[bytes], counts: Counter) -> None:
    """Delete the rows of `model` (anyone's) whose text or bytes `field` quotes the athlete (holds one of
    `markers`), in chunks; what they are is in the module docstring."""
    quoting = [
        pk
        for pk, value in model.objects.values_list("pk", field).iterator()
        if value and any(marker in (value.encode() if isinstance(value, str) else bytes(value)) for marker in markers)
    ]
    for chunk in _chunks(quoting):
        deleted, _ = model.objects.filter(pk__in=chunk).delete()
        counts[model._meta.label] += deleted


def _files_delete(files: list) -> None:
    """Delete the erased rows' files after the commit; a file the storage cannot delete now (a bucket that is
    down) is logged by name and left for the operator, and the others are still deleted."""
    for storage, name in files:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("erasure: the file %s could not be deleted from storage", name)


@transaction.atomic
def athlete_erase(
    *, athlete: AthleteProfile, confirm: str, actor, role: str, password: str | None = None
) -> ErasureRecord:
    """Erase `athlete` (the module docstring) when `confirm` is their displayName and, for `role` "athlete", when
    `password` is their login's password; ErasureRefused (nothing changed) otherwise."""
    athlete = lock_row(AthleteProfile, athlete.pk)
    if confirm != athlete.display_name:
        raise ErasureRefused("confirm", "Type the athlete's displayName exactly to confirm the erasure.")
    user = athlete.user
    if role == "athlete" and not (password and user.check_password(password)):
        raise ErasureRefused("password", "The password is not right.")
    using = router.db_for_write(AthleteProfile)
    athlete_id = athlete.pk
    # What identifies them in a stored answer. A short name or username would match unrelated answers (and a
    # deleted answer lets its key run again): those only count from MIN_MARKER characters; the id always does.
    # Each is looked for as a whole JSON string value (quoted, escaped as JSON writes it), so "Martin" does not
    # match an answer about "Martina".
    markers = [str(athlete_id).encode()]
    markers += [
        json.dumps(m, ensure_ascii=False).encode()
        for m in (athlete.display_name, user.username, user.email)
        if len(m) >= MIN_MARKER
    ]
    # The profile protects its login: the athlete and their rows first, then the login and its rows.
    first, second = _collect([athlete], using), None
    counts: Counter = Counter()
    targets = _targets(first)
    files = _files(first)
    _history_and_logs(targets, counts)
    _, deleted = first.delete()
    counts.update(deleted)
    second = _collect([type(user)._default_manager.get(pk=user.pk)], using)
    targets = _targets(second)
    files += _files(second)
    _history_and_logs(targets, counts)
    _, deleted = second.delete()
    counts.update(deleted)
    # Stored Idempotency-Key answers and webhook events hold the resources as the API showed them.
    _quoting_rows_delete(IdempotencyRecord, "response_body", markers, counts)
    _quoting_rows_delete(WebhookDelivery, "body", markers, counts)
    record = ErasureRecord.objects.create(
        athlete_id=athlete_id,
        erased_by=actor if actor is not None and actor.pk != user.pk else None,
        erased_by_role=role,
        counts={label: n for label, n in sorted(counts.items()) if n},
    )
    transaction.on_commit(lambda: _files_delete(files), using=using)
    return record
