"""Keyset cursors: the signed position after a page's last row, for `?pagination=cursor` pages
(core.lists.pagination.KeysetOrPageNumberPagination).

A cursor is signed (django.core.signing, salted with the list's model and key): a cursor Cadence did not give, or
gave for another list, is a 400. SECRET_KEY_FALLBACKS keeps the cursors signed with a retired key valid.
"""

from __future__ import annotations

import base64
import binascii
import struct
import uuid
from datetime import UTC, datetime, timedelta

from django.core import signing
from rest_framework import serializers

CURSOR_PARAM = "cursor"
MODE_PARAM = "pagination"
CURSOR_MODE = "cursor"
PAGE_MODE = "page"  # the default, page numbers
KEY_FIELDS = ("updated_at", "id")


INVALID_CURSOR_MESSAGE = "This cursor was not given by this list (or was altered): follow the `next` link of a page."
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_POSITION = struct.Struct(">q16s")  # microseconds since the epoch (UTC), the id's 16 bytes
# The signatures' salt prefix. It is part of every cursor already given out: changing it would turn each of them
# into a 400, so it keeps the name of the module that first signed cursors.
_SALT = "core.pagination.cursor"


def cursor_scope(queryset) -> str:
    """What a cursor is valid for: the list's model and the key it is ordered by. A cursor of /sessions/ replayed
    on /programs/ would name a position in another table; the signature (salted with this) refuses it."""
    return f"{queryset.model._meta.label_lower}:{','.join(KEY_FIELDS)}"


def _signer(scope: str) -> signing.Signer:
    # `.` cannot occur in URL-safe base64, so it separates the position from its signature without escaping.
    return signing.Signer(salt=f"{_SALT}:{scope}", sep=".")


def encode_cursor(updated_at: datetime, pk: uuid.UUID, *, scope: str) -> str:
    """The signed cursor for the position after the row keyed `(updated_at, pk)` in the list `scope`."""
    micros = (updated_at - _EPOCH) // _MICROSECOND
    position = base64.urlsafe_b64encode(_POSITION.pack(micros, pk.bytes)).decode().rstrip("=")
    return _signer(scope).sign(position)


def decode_cursor(value: str, *, scope: str) -> tuple[datetime, uuid.UUID] | None:
    """The position a cursor names; None for an empty one (the start); a 400 for a cursor that this list did not
    give (malformed, altered, hand-made, signed for another list, or signed with a key no longer configured)."""
    if not value:
        return None
    try:
        if len(value) > 200:
            raise ValueError("too long")
        position = _signer(scope).unsign(value)
        micros, pk = _POSITION.unpack(base64.urlsafe_b64decode(position + "=" * (-len(position) % 4)))
        return _EPOCH + micros * _MICROSECOND, uuid.UUID(bytes=pk)
    except (signing.BadSignature, ValueError, binascii.Error, struct.error, OverflowError) as exc:
        raise serializers.ValidationError({CURSOR_PARAM: [INVALID_CURSOR_MESSAGE]}) from exc
