"""Settings: defaults in one place, DISPATCH_* overrides, and the README kept in step."""
from __future__ import annotations

from pathlib import Path

import pytest

from dispatch import create_app
from dispatch.config import SETTINGS, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [key for key in SETTINGS if f"`{key}`" not in readme]
    assert missing == []


def test_environment_overrides_are_read_with_the_default_type():
    settings = load_settings(environ={
        "DISPATCH_SOLVER_TIME_LIMIT": "3",
        "DISPATCH_SECURE_COOKIES": "true",
        "DISPATCH_CIRCUITY_FACTOR": "1.5",
        "DISPATCH_DEFAULT_LANGUAGE": "zh_Hans_CN",
    })
    assert settings["SOLVER_TIME_LIMIT"] == 3
    assert settings["SECURE_COOKIES"] is True
    assert settings["CIRCUITY_FACTOR"] == pytest.approx(1.5)
    assert settings["DEFAULT_LANGUAGE"] == "zh_Hans_CN"


def test_explicit_overrides_beat_the_environment():
    settings = load_settings({"SOLVER_TIME_LIMIT": 7}, environ={"DISPATCH_SOLVER_TIME_LIMIT": "3"})
    assert settings["SOLVER_TIME_LIMIT"] == 7


def test_sqlite_in_the_data_dir_is_the_embedded_default(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPATCH_DATABASE_URL", raising=False)
    app = create_app({"DATA_DIR": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'doorstep.sqlite3'}"
    # A secret key is generated once and kept, so restarts keep sessions.
    assert (tmp_path / "secret_key").read_text().strip() == app.config["SECRET_KEY"]
    again = create_app({"DATA_DIR": str(tmp_path)})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_creating_the_app_does_not_create_tables(tmp_path):
    create_app({"DATA_DIR": str(tmp_path)})
    db_file = tmp_path / "doorstep.sqlite3"
    assert not db_file.exists() or db_file.stat().st_size == 0


def test_cookies_are_http_only_and_same_site(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path), "SECURE_COOKIES": True})
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] is True
