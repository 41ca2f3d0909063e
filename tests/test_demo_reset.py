"""Resetting the demo once its audit trail has rows (the trail is append-only: it refuses DELETE)."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from dispatch import create_app
from dispatch.extensions import db
from dispatch.models import AuditEvent, Senior
from dispatch.platform import audit
from dispatch.platform.audit_chain import verify

DEMO = ["--no-serve", "--no-plan", "--seniors", "30", "--sites", "2"]


def _audit_something() -> None:
    audit.record("senior.read", user=1, entity_type="senior", entity_id=1, senior_id=1)
    db.session.commit()


def test_demo_reset_recreates_the_demo_database_file(app_config, tmp_path):
    """The demo's own SQLite file (no DATABASE_URL) is dropped and rebuilt, its audit trail and anchors with it."""
    config = {**app_config, "DATABASE_URL": "", "DATA_DIR": str(tmp_path), "SQLALCHEMY_ENGINE_OPTIONS": {},
              "AUDIT_ANCHOR_PATH": ""}
    app = create_app(config)
    runner = app.test_cli_runner()
    with app.app_context():
        first = runner.invoke(args=["demo", *DEMO])
        assert first.exit_code == 0, first.output
        assert "Routing engine: compiled by numba" in first.output  # a fresh install says which search it runs
        _audit_something()
        assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
        assert (tmp_path / "audit-anchors.jsonl").exists()
        again = runner.invoke(args=["demo", *DEMO, "--reset"])
        assert again.exit_code == 0, again.output
        assert "doorstep.sqlite3" in again.output
        db.session.remove()
        assert db.session.scalar(sa.select(sa.func.count(Senior.id))) == 30
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
        assert not (tmp_path / "audit-anchors.jsonl").exists()
        assert verify().ok
        db.session.remove()
        db.engine.dispose()


def test_seed_reset_keeps_the_append_only_trail(app, runner):
    """Elsewhere (a database named by DATABASE_URL) reset replaces the district and keeps the trail."""
    assert runner.invoke(args=["seed", "--seniors", "30", "--sites", "2"]).exit_code == 0
    _audit_something()
    result = runner.invoke(args=["seed", "--reset", "--seniors", "20", "--sites", "2"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count(Senior.id))) == 20
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 1
    assert verify().ok


def test_demo_reset_on_a_named_database_keeps_the_trail(app, runner):
    assert runner.invoke(args=["demo", *DEMO]).exit_code == 0
    _audit_something()
    result = runner.invoke(args=["demo", *DEMO, "--reset"])
    assert result.exit_code == 0, result.output
    assert "audit trail" in result.output
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 1
    assert Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).exists() or \
        app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
