"""OpenAPI post-processing: the error responses every operation can give.

drf-spectacular documents only success responses; clients (and fuzzers checking conformance) need the
4xx shapes too. Errors are DRF's shapes with camelCase keys: `{"detail": "..."}` or field errors
`{"fieldName": ["..."], "nonFieldErrors": ["..."]}`. POSTs that take an Idempotency-Key (all but
core.idempotency.KEYLESS_POSTS) also document the header."""

import re

from .idempotency import HEADER, KEY_PATTERN, MAX_KEY_LENGTH, REPLAYED_HEADER, takes_keys

ERROR_SCHEMA = {
    "type": "object",
    "description": '`{"detail": "…"}`.',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Field errors keyed by the camelCase field name (`nonFieldErrors` for the whole object), "
    'each a list of messages; or `{"detail": "…"}`.',
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    "400": "Invalid input: malformed JSON, a field or filter value that does not validate.",
    "401": "No or invalid credentials (see the WWW-Authenticate header).",
    "403": "Authenticated but not allowed (athletes: other writes; staff-only resources).",
    "404": "Not found, or not visible to the current user; also an out-of-range page.",
    "405": "Method not allowed (DELETE is never allowed).",
    "409": "Conflict with a concurrent change; or a request with the same Idempotency-Key is still running (retry "
    "after the Retry-After header's seconds to get its answer).",
    "413": "The request body is too large.",
    "412": "If-Match does not match the resource's current ETag; nothing was changed.",
    "415": "Unsupported media type: send application/json.",
    "422": "This Idempotency-Key was already used (by you, within 24 hours) with a different request.",
    "429": "Too many failed logins from this client; retry later.",
    "503": "The database timed out or cannot be reached (or, on the login, too many passwords are being checked "
    "at once); retry after the Retry-After header's seconds.",
}


def _response(code: str, ref: str) -> dict:
    return {"description": _DESCRIPTIONS[code], "content": {"application/json": {"schema": {"$ref": ref}}}}


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def add_error_responses(result, generator, request, public):
    """Add the error components and, per operation, the 4xx codes it can answer."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["ValidationError"] = VALIDATION_ERROR_SCHEMA
    error_ref, validation_ref = "#/components/schemas/Error", "#/components/schemas/ValidationError"
    # Which POSTs take Idempotency-Key is decided by their view (core.idempotency.KEYLESS_POSTS). The schema
    # renames path parameters ({pk} becomes {id}): compare paths without their names.
    keyless = {
        _shape(path)
        for path, _regex, method, callback in generator.endpoints or ()
        if method == "POST" and not takes_keys(callback.cls)
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            codes = ["400", "401", "403", "404", "405"]
            if method in {"post", "put", "patch"}:
                codes += ["409", "413", "415"]
            if method in {"put", "patch"}:
                codes.append("412")
            idempotent = method == "post" and _shape(path) not in keyless
            if idempotent:
                codes.append("422")
            if path.endswith("/auth/token/"):
                codes = ["400", "401", "405", "415", "429"]
            codes.append("503")  # any operation that reads the database (core.middleware)
            for code in codes:
                if code not in responses:
                    responses[code] = _response(code, validation_ref if code == "400" else error_ref)
            if method in {"put", "patch"}:
                operation.setdefault("parameters", []).append(
                    {
                        "in": "header",
                        "name": "If-Match",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "The ETag from a previous response; a stale one answers 412.",
                    }
                )
            if idempotent:
                _add_idempotency_key(operation)
    return result


def _add_idempotency_key(operation: dict) -> None:
    """The optional Idempotency-Key header of a POST (core.idempotency), and the header marking a replayed answer."""
    operation.setdefault("parameters", []).append(
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
            "description": "Makes the POST safe to retry: a repeat with the same key and body within 24 hours gets "
            "the first answer again and changes nothing; the same key with another body is a 422, a repeat while "
            "the first still runs a 409. Keys are per user; 1 to 255 printable ASCII characters (e.g. a UUID).",
        }
    )
    for code, response in operation["responses"].items():
        if code.startswith("2"):
            response.setdefault("headers", {})[REPLAYED_HEADER] = {
                "schema": {"type": "string", "enum": ["true"]},
                "description": f"Present when this is the stored answer to an earlier request with the same {HEADER}.",
            }
