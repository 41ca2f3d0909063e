"""Language and timezone choice for each request (Flask-Babel).

Doorstep ships English and Simplified Chinese. The Chinese catalog is named
``zh_Hans_CN`` because Flask-Security and WTForms ship their catalogs under
that locale, so one choice translates our strings and theirs alike.
"""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale

from dispatch.extensions import babel
from dispatch.paths import PACKAGE_DIR
from dispatch.platform import datefmt

LANGUAGES = {"en": "English", "zh_Hans_CN": "简体中文"}


def select_locale() -> str:
    if not has_request_context():  # a CLI command or a background job: the site's default language
        return current_app.config.get("DEFAULT_LANGUAGE", "en")
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["en", "zh", "zh-CN", "zh-Hans", "zh-Hans-CN"])
    if best and best.startswith("zh"):
        return "zh_Hans_CN"
    return current_app.config.get("DEFAULT_LANGUAGE", "en")


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    datefmt.init_app(app)
