"""The last step of a list request, the API's JSON renderer: djangorestframework-camel-case's, with orjson for
rows that are already camelCase.

Lists built by `core.lists.representation` arrive as `CamelCased` rows of JSON types: their keys need no regex
walk and orjson writes them in C instead of `json.dumps` with DRF's encoder. Everything else
(details, errors, writes) takes the camel-case renderer's own path, unchanged. Both give the same bytes:
compact separators, UTF-8 without \\u escapes, U+2028/U+2029 escaped as DRF's JSONRenderer does, and dates,
UTC datetimes (Z) and UUIDs the rows may hold as they are written exactly as DRF's encoder writes them.
"""

from __future__ import annotations

import orjson
from djangorestframework_camel_case.render import CamelCaseJSONRenderer
from djangorestframework_camel_case.util import camelize
from rest_framework.utils import encoders

from .representation import CamelCased, camel_key


def _fast(data) -> dict | CamelCased | None:
    """`data` ready for orjson when it is CamelCased rows or an envelope around them; else None."""
    if isinstance(data, CamelCased):
        return data
    if isinstance(data, dict) and any(isinstance(value, CamelCased) for value in data.values()):
        return {
            camel_key(key) if isinstance(key, str) else key: value if isinstance(value, CamelCased) else camelize(value)
            for key, value in data.items()
        }
    return None


class JSONText:
    """JSON already written, e.g. a stored document's text (core.fields.StoredJSONField) that a list sends on
    without decoding it: orjson writes the text as it is; DRF's encoder, on the other paths (the browsable API),
    decodes it and writes the value."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"JSONText({self.text!r})"


def _orjson_default(value):
    if isinstance(value, JSONText):
        return orjson.Fragment(value.text)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


class JSONEncoder(encoders.JSONEncoder):
    def default(self, obj):
        if isinstance(obj, JSONText):
            return orjson.loads(obj.text)
        return super().default(obj)


class JSONRenderer(CamelCaseJSONRenderer):
    encoder_class = JSONEncoder

    def render(self, data, accepted_media_type=None, renderer_context=None):
        fast = _fast(data)
        if fast is None or self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        # UTC datetimes end in Z, as DRF writes them; JSONText goes in as its text.
        body = orjson.dumps(fast, default=_orjson_default, option=orjson.OPT_UTC_Z)
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:  # DRF escapes these (JavaScript line breaks)
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body
