"""Every API error is JSON: ``{status, error, message, errors: [{field, location, reason}]}``.

Never HTML, never a stack trace. ``dispatch.error_handlers`` hands any error on an
``/api/`` path to ``json_error``.
"""
from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from dispatch.api.core import ApiError

MESSAGES = {
    400: "The request could not be understood.",
    401: "A valid bearer token is required.",
    403: "This token may not do this.",
    404: "No such record, or this token may not see it.",
    405: "This method is not allowed here.",
    409: "Someone else changed this record at the same time. Read it again and retry.",
    413: "The request is too large.",
    415: "Send JSON (Content-Type: application/json).",
    422: "Some of the input is not valid.",
    429: "Too many requests. Wait a moment and try again.",
    500: "Something went wrong; nothing was half-saved. Try again.",
    503: "The service is briefly unavailable. Try again shortly.",
}


def json_error(status: int, message: str | None = None, errors: list[dict[str, Any]] | None = None,
               headers: dict[str, str] | None = None):
    body = {"status": status, "error": HTTP_STATUS_CODES.get(status, "Error"),
            "message": message or MESSAGES.get(status, ""), "errors": errors or []}
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(messages: Any, location: str, prefix: str = "") -> list[dict[str, Any]]:
    """webargs/marshmallow's nested ``{location: {field: [reasons]}}`` as a flat list."""
    out: list[dict[str, Any]] = []
    if isinstance(messages, dict):
        for name, value in messages.items():
            field = f"{prefix}.{name}" if prefix else str(name)
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                out += [{"field": None if field == "_schema" else field, "location": location, "reason": v}
                        for v in value]
            else:
                out += _flatten(value, location, field)
    elif isinstance(messages, list):
        out += [{"field": prefix or None, "location": location, "reason": str(v)} for v in messages]
    else:
        out.append({"field": prefix or None, "location": location, "reason": str(messages)})
    return out


def from_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors: list[dict[str, Any]] = []
    messages = data.get("messages") or data.get("errors")
    if isinstance(messages, dict):
        for location, detail in messages.items():
            errors += _flatten(detail, location)
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_headers():
        headers.update({k: v for k, v in error.get_headers() if k == "Allow"})
    return json_error(status, data.get("message"), errors, headers)


def from_api_error(error: ApiError):
    return json_error(error.status, error.message, error.errors, error.headers)
