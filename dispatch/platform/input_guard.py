"""One gate at the door of every request: no NUL byte in any text, no JSON deeper than ``MAX_JSON_DEPTH``.

Why one gate instead of a check in each view: a NUL byte that reaches a query is
an error in PostgreSQL ("A string literal cannot contain NUL characters"), so a
search box, a form field, a path segment or a JSON string that forgot the check
was a 500; and ``json.loads`` of an array nested 1,000 deep raises
``RecursionError`` (a 500, the worker's endpoint even answered with an HTML
page). Both are refused here, before any view or schema sees the request:

* a NUL in a query argument or a path value: 400 naming the field; in a form
  field or an uploaded file's name: 422 naming the field (nobody types a NUL,
  so a page naming the field replaces the form's own per-field message);
* JSON nested deeper than ``MAX_JSON_DEPTH``: 400 (measured on the raw bytes,
  without recursion, before anything parses it);
* a NUL in a JSON string (``"\\u0000"``, key or value): 422 naming the field.

``RefusedInput`` carries the field and reason; ``dispatch.error_handlers``
answers it as JSON on the API and on JSON requests, as an error page otherwise.
Imported files are text too: ``platform.fields.clean_text`` refuses NUL per cell.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

MAX_JSON_DEPTH = 32
NUL = "\x00"
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class RefusedInput(BadRequest):
    """Input the gate refuses: ``field`` names it (None: the whole body), ``location`` says where it came."""

    def __init__(self, code: int, field: str | None, location: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.field = field
        self.location = location
        self.reason = reason


def json_depth(body: bytes, limit: int | None = None) -> int:
    """How deep arrays and objects nest in ``body`` (brackets inside strings do not count).

    Stops counting once ``limit`` is passed, so a hostile body costs one scan at most.
    """
    depth = deepest = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if limit is not None and deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def nul_path(value: Any) -> str | None:
    """The dotted path of the first string (or key) holding a NUL in parsed JSON, else None."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return path or None
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else str(key)
                if NUL in str(key):
                    return name
                stack.append((name, child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), child) for i, child in enumerate(item))
    return None


def _nul_refused(field: str, location: str) -> RefusedInput:
    # A form field is input to check (422, as a form's own errors); a URL that carries one is a bad request.
    code = 422 if location in ("form", "files") else 400
    return RefusedInput(code, field, location, _("%(field)s contains characters that are not allowed.", field=field))


def check_request() -> None:
    """Raise ``RefusedInput`` for the first NUL or over-deep JSON the request carries."""
    for location, values in (("path", request.view_args or {}), ("query", request.args),
                             ("form", request.form if request.method != "GET" else {})):
        items = values.items(multi=True) if hasattr(values, "getlist") else values.items()
        for name, value in items:
            if NUL in str(name) or (isinstance(value, str) and NUL in value):
                raise _nul_refused(str(name).replace(NUL, ""), location)
    if request.method != "GET" and request.files:
        for name, upload in request.files.items(multi=True):
            if NUL in (upload.filename or "") or NUL in name:
                raise _nul_refused(name.replace(NUL, ""), "files")
    if request.is_json:
        body = request.get_data(cache=True)
        if json_depth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise RefusedInput(400, None, "json", _("The JSON is nested more than %(n)s levels deep.",
                                                    n=MAX_JSON_DEPTH))
        path = nul_path(request.get_json(silent=True))
        if path is not None:
            raise RefusedInput(422, path, "json", _("%(field)s contains characters that are not allowed.",
                                                    field=path))


def init_app(app: Flask) -> None:
    app.before_request(check_request)
