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


class JSONRenderer(CamelCaseJSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        fast = _fast(data)
        if fast is None or self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        body = orjson.dumps(fast, option=orjson.OPT_UTC_Z)  # UTC datetimes end in Z, as DRF writes them
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:  # DRF escapes these (JavaScript line breaks)
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body
