"""The steps every write through the API takes, inside its resource's service function (one function per
resource, e.g. `training.services.session_write`; the viewset names it as `write_service`). Views and
serializers only translate HTTP around it: they parse and validate the body's shape, call the service, turn
its errors into 400/403/404/409/412 answers and render the row it returns with its ETag.

A service function, in one transaction:

1. locks the rows the write depends on in the documented order (see the lock order in `training.services`),
   reading the row being written fresh under those locks (`lock_row`);
2. compares `If-Match` with that locked row (`if_match_check`, a 412 when stale): two writers holding one ETag
   queue on the lock, and the second sees the first's version;
3. applies the changes (`apply_changes`); a write that changes nothing stops here, leaving the version (ETag)
   and updatedAt as they were;
4. judges the model's rules (`full_clean_known`: Django's full_clean, without re-reading rows the locks
   already hold);
5. saves (`save_checked`): a constraint the database still refuses becomes the ValidationError full_clean
   would have raised; the model's own save and signals (version, history, a timezone's sessions) run as for
   any save.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, models
from django.http import Http404

from . import dialect
from .api import PreconditionFailed, changes_anything, if_match_satisfied


def lock_row(model: type[models.Model], pk, *, queryset: models.QuerySet | None = None) -> models.Model:
    """The row `pk` of `model`, locked FOR NO KEY UPDATE until the transaction ends and read under the lock.

    FOR NO KEY UPDATE still serializes the writers of the row, but does not block the key-share lock a
    concurrent INSERT takes on the rows its foreign keys name. A row deleted since the caller found it is 404."""
    queryset = model._default_manager.all() if queryset is None else queryset
    row = queryset.select_for_update(no_key=True, of=("self",)).filter(pk=pk).first()
    if row is None:
        raise Http404(f"No {model._meta.verbose_name} with this id.")
    return row


def lock_names(names: Iterable[str]) -> None:
    """Serialize, until the transaction ends, the writers that take any of the locks `names` (for what has no
    row to lock yet: e.g. the stored estimates of an athlete, worked out from a read that must see the previous
    writer's sets). PostgreSQL: transaction-level advisory locks on 64-bit digests of the names, taken in one
    statement in ascending order (two writers never wait on each other crosswise). SQLite serializes every
    writer already. Take them last, after the rows of the lock order, and lock nothing else while holding them."""
    keys = sorted({int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True) for name in names})
    if keys and dialect.is_postgresql(connection):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(key)) FROM (SELECT unnest(%s::bigint[]) AS key ORDER BY 1) AS keys",
                [keys],
            )


def lock_rows(model: type[models.Model], ids: Iterable) -> dict:
    """Lock the rows `ids` of `model` FOR NO KEY UPDATE in ascending id order (one statement) and return them
    by id, as read under the locks; ids that name no row are left out."""
    ids = sorted({pk for pk in ids if pk is not None})
    if not ids:
        return {}
    rows = model._default_manager.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    return {row.pk: row for row in rows}


def lock_parents_and_row(parent_model: type[models.Model], parent_ids: Iterable, read_row):
    """Lock the parents a write depends on, then the row being written, in the lock order; returns (the locked
    parents by id: lock_rows, what `read_row` returned).

    The parents `parent_ids` (the one the write names and the one the row is stored under, as known before the
    locks) are locked first, ids ascending; then `read_row()` locks and reads the row under them and returns
    `(row, the id of the parent it is stored under)` (a row is whatever the caller needs of it; the id is None
    for a new or a vanished row). A row moved meanwhile under a parent not yet locked (by a writer that held its
    old parent's lock) has that parent locked too and is read again, until the stored parent is stable.

    The one implementation of this step: the API's writes (`training.services.program_write`, `_child_write`)
    and the admin's and cloning's saves (`training.services.program_locks`, `plan_row_locks`) all take it."""
    wanted = {pk for pk in parent_ids if pk is not None}
    while True:
        parents = lock_rows(parent_model, wanted)
        row, stored = read_row()
        if stored is None or stored in wanted:
            return parents, row
        wanted.add(stored)


def if_match_check(header: str | None, locked: models.Model) -> None:
    """412 unless `If-Match` (absent, `*`, or a list of ETags) names the locked row's current version."""
    if not if_match_satisfied(header, locked):
        raise PreconditionFailed()


def apply_changes(instance: models.Model, changes: dict) -> bool:
    """Set `changes` (model field names; many-to-many left out) on `instance`; False when none would change a
    stored value (then nothing is to be written)."""
    if not changes_anything(instance, changes):
        return False
    for name, value in changes.items():
        setattr(instance, name, value)
    return True


def field_and_clean_errors(instance: models.Model, *, exclude: Iterable[str] = ()) -> dict:
    """The errors of the model's field validators (but those in `exclude`) and of its clean(), collected as
    full_clean collects them (an error dict, empty when both pass)."""
    errors: dict = {}
    try:
        instance.clean_fields(exclude=set(exclude))
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        instance.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    return errors


def full_clean_known(instance: models.Model, *, known: Iterable[str] = ()) -> None:
    """Django's full_clean (fields, clean(), unique and constraint checks, every error collected), except:

    - the foreign keys named in `known` are neither looked up again nor checked for uniqueness: the service has
      just read their rows under its locks and judged them (or they are the stored values, which the
      database's foreign keys guarantee);
    - a new row's generated primary key is not checked for uniqueness (a fresh UUIDv7)."""
    known = set(known)
    errors = field_and_clean_errors(instance, exclude=known)
    # Like full_clean: a field that already failed is not judged again by the unique and constraint checks.
    exclude = {name for name in errors if name != NON_FIELD_ERRORS}
    unique_exclude = exclude | known | ({instance._meta.pk.name} if instance._state.adding else set())
    try:
        instance.validate_unique(exclude=unique_exclude)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        instance.validate_constraints(exclude=exclude)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def save_checked(instance: models.Model, **kwargs) -> None:
    """Save `instance`; a constraint the database refuses anyway (a concurrent writer got there first) becomes
    the ValidationError full_clean would have raised.

    No savepoint of its own: call it inside the service's transaction.atomic, which the ValidationError leaves,
    so the refused statement is rolled back with the service's transaction (or its savepoint, when the service
    runs inside a caller's transaction)."""
    version = getattr(instance, "version", None)
    try:
        instance.save(**kwargs)
    except IntegrityError as exc:
        if version is not None:
            instance.version = version  # save() bumped it in memory; the row kept the old one (ETags read it)
        raise type(instance).integrity_error_as_validation_error(exc) from exc
