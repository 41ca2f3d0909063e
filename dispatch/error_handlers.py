"""Error pages and JSON errors for the whole app (pages and API): a clear message in the user's language, never a stack trace.

On ``/api/`` paths every error is JSON (``api.errors``). Two failures get the
same treatment everywhere, pages and API alike:

* a version conflict (``StaleRecord``, or SQLAlchemy's ``StaleDataError``
  that a view did not catch) is a 409, never a 500;
* a lost database (PostgreSQL restarting, the network cut) is a 503 with
  ``Retry-After``; the pool pre-pings, so the next request after the database
  is back just works.
"""
from __future__ import annotations

import re

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from dispatch.api.core import ApiError
from dispatch.api.errors import from_api_error, from_http_exception, json_error
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.platform.input_guard import RefusedInput

RETRY_AFTER_SECONDS = 5


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _wants_json() -> bool:
    return _is_api() or (request.accept_mimetypes.best == "application/json")


def _render(status: int, title: str, message: str, headers: dict[str, str] | None = None):
    if _is_api():

        return json_error(status, None, None, headers)
    if _wants_json():
        response = jsonify({"error": title, "message": message})
    else:
        response = render_template("errors/error.html", status=status, title=title, message=message)
    return response, status, headers or {}


def _database_gone(error: Exception) -> bool:
    if isinstance(error, (OperationalError, DisconnectionError)):
        return True
    return isinstance(error, DBAPIError) and bool(getattr(error, "connection_invalidated", False))


def _rollback_quietly() -> None:
    from dispatch.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; the pool will replace it
        pass


def _close_session_quietly(error: BaseException | None) -> None:
    """End the request's session even when the database died after the response was built.

    Flask-SQLAlchemy's own teardown rolls the session back; if PostgreSQL went
    away between the view and the teardown, that rollback raises and gunicorn
    answers 500 to a request that had already succeeded (a tap that was
    stored). The broken connection is invalidated by SQLAlchemy and the pool
    replaces it, so dropping the session here is safe. Registered after
    ``db.init_app`` so it runs first.
    """
    from dispatch.extensions import db

    try:
        db.session.remove()
    except DBAPIError as lost:
        if not _database_gone(lost):
            raise
        current_app.logger.warning("Database connection lost while closing a request: %s", type(lost).__name__)
        try:
            db.session.close()
        except DBAPIError:
            pass  # the transaction's connection is invalidated; nothing is left to release
        db.session.registry.clear()


def _unavailable(app: Flask):
    """503 with Retry-After, drawn without touching the database (no layout, no signed-in user)."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if _is_api():

        return json_error(503, None, None, headers)
    title, message = _("Briefly unavailable"), _("Doorstep is briefly unavailable. Wait a moment and try again.")
    if _wants_json():
        return jsonify({"error": title, "message": message}), 503, headers
    html = app.jinja_env.get_template("errors/unavailable.html").render(title=title, message=message)
    return html, 503, headers


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_session_quietly)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _render(400, _("Form expired"), _("The form was missing its security token or it expired. Reload the page and try again."))

    @app.errorhandler(RefusedInput)
    def refused_input(error: RefusedInput):
        """The input gate's refusal (a NUL byte, JSON nested too deep): JSON for JSON callers, else a page."""
        if _is_api():
            return json_error(error.code, error.reason, [{"field": error.field, "location": error.location,
                                                          "reason": error.reason}])
        if request.is_json or _wants_json():
            return jsonify({"error": "invalid", "field": error.field, "message": error.reason}), error.code
        return _render(error.code, _("Input not accepted"), error.reason)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _is_api():

            return from_http_exception(error)
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have access to this page."),
            404: _("This page does not exist, or you do not have access to it."),
            405: _("This action is not allowed here."),
            409: _("Someone else changed this record at the same time. Reload it and try again."),
            413: _("The upload is too large: files up to %(mb)s MB are accepted. Split the file and upload the parts.",
                   mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)),
            414: _("The address is too long."),
            422: _("Some of the information is not valid."),
            429: _("Too many attempts. Wait a moment and try again."),
            431: _("The request's headers are too large."),
            503: _("Doorstep is briefly unavailable. Wait a moment and try again."),
        }
        message = messages.get(error.code or 500, error.description or "")
        if error.code in (400, 422) and error.description and error.description != type(error).description:
            message = error.description  # the view's own reason, e.g. which field and why (abort(400, ...))
        # Keep what the error says about retrying (Retry-After of a 429, Allow of a 405).
        headers = {k: v for k, v in error.get_headers() if k in ("Retry-After", "Allow")}
        return _render(error.code or 500, f"{error.code} {error.name}", message, headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)

        if isinstance(error, ApiError):

            return from_api_error(error)
        if isinstance(error, (StaleRecord, StaleDataError)):
            _rollback_quietly()
            if _is_api():

                return json_error(409, str(error) if isinstance(error, StaleRecord) and str(error) else None)
            return _render(409, _("Changed by someone else"),
                           _("Someone else changed this record at the same time. Reload it and try again."))
        if isinstance(error, FieldError) and _is_api():

            _rollback_quietly()
            field = re.sub(r"^(\w+)-(\d+)-(\w+)$", r"\1.\2.\3", error.field) if error.field else None
            return json_error(422, str(error.message), [{"field": field, "location": "json",
                                                         "reason": str(error.message)}])
        if _database_gone(error):
            _rollback_quietly()
            app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path,
                               type(error).__name__)
            return _unavailable(app)
        _rollback_quietly()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(500, _("Something went wrong"), _("The error was recorded. Nothing was half-saved; try again."))
