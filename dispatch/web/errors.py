"""Error pages: a clear message in the user's language, never a stack trace."""
from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def _render(status: int, title: str, message: str):
    if _wants_json():
        return jsonify({"error": title, "message": message}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _render(400, _("Form expired"), _("The form was missing its security token or it expired. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have access to this page."),
            404: _("This page does not exist, or you do not have access to it."),
            405: _("This action is not allowed here."),
            409: _("Someone else changed this record at the same time. Reload it and try again."),
            413: _("The upload is too large: files up to %(mb)s MB are accepted. Split the file and upload the parts.",
                   mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)),
            422: _("Some of the information is not valid."),
            429: _("Too many attempts. Wait a moment and try again."),
        }
        message = messages.get(error.code or 500, error.description or "")
        return _render(error.code or 500, f"{error.code} {error.name}", message)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(500, _("Something went wrong"), _("The error was recorded. Nothing was half-saved; try again."))
