"""The JSON API ``/api/v1`` for integrations (a civil-affairs data platform, a call centre, phones).

Built on flask-smorest: marshmallow schemas validate input and describe
output, and the OpenAPI document is served at ``/api/v1/openapi.json``.
Authentication is a bearer token an admin issued (``services.api_tokens``);
access follows exactly the pages' rules (``services.access``).
"""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from marshmallow import fields

from dispatch.api.core import PREFIX
from dispatch.extensions import csrf
from dispatch.platform.validation import IdConverter, id_schema


class DoorstepApi(Api):
    """flask-smorest's Api without its app-wide JSON error handler: pages keep their HTML
    error pages, and ``dispatch.error_handlers`` answers JSON on ``/api/`` paths itself."""

    def _register_error_handlers(self):
        pass

    @property
    def ERROR_SCHEMA(self):  # noqa: N802 - flask-smorest's name; documents our error body in the spec
        from dispatch.api.schemas import ErrorOut

        return ErrorOut


api = DoorstepApi()
api.register_converter(IdConverter, id_schema)  # <id:...> path parameters documented as int32 ids
# apispec writes a marshmallow Time as a bare string; the API refuses anything but HH:MM[:SS].
api.register_field(fields.Time, "string", "time")


def init_app(app: Flask) -> None:
    from dispatch.api import directory, plans, requests

    app.config.setdefault("API_TITLE", "Doorstep API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "info": {"description": "Doorstep's JSON API. Authenticate with `Authorization: Bearer <token>` "
                                "(tokens are issued by administrators). Errors are JSON: "
                                "`{status, error, message, errors: [{field, location, reason}]}`."},
    })
    api.init_app(app)
    for module in (directory, requests, plans):
        # Token-only authentication: a session cookie grants nothing here, so CSRF does not apply.
        csrf.exempt(module.bp)
        api.register_blueprint(module.bp)
