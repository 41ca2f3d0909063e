"""The migration to the keyed audit chain: old rows are checked, then re-chained with the key."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from dispatch import create_app
from dispatch.extensions import db
from dispatch.models.audit import GENESIS, AuditEvent
from dispatch.platform.audit_chain import verify

BEFORE_KEYING = "d4e8a1b2c3f5"  # the keying migration's down_revision


def _legacy_events(n: int, *, break_at: int | None = None) -> None:
    """Rows as the unkeyed chain wrote them (sha256), straight into the table."""
    table = AuditEvent.__table__
    prev = GENESIS
    for i in range(n):
        event = AuditEvent(event_dt=datetime(2026, 11, 1, 8, i, tzinfo=timezone.utc), user_id=1, action="senior.read",
                           entity_type="senior", entity_id=i, senior_id=i, detail={"n": i}, ip=None)
        digest = hashlib.sha256((prev + event.canonical()).encode("utf-8")).hexdigest()
        if i == break_at:
            event.senior_id = 999  # stored content no longer matches its hash
        db.session.execute(table.insert().values(
            event_dt=event.event_dt, user_id=1, action=event.action, entity_type="senior", entity_id=i,
            senior_id=event.senior_id, detail=event.detail, ip=None, prev_hash=prev, hash=digest))
        prev = digest
    db.session.commit()


@pytest.fixture
def old_database(app_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'before-keying.sqlite3'}"
    app = create_app({**app_config, "DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        upgrade(revision=BEFORE_KEYING)
        yield app
        db.session.remove()
        db.engine.dispose()


def test_upgrade_rechains_the_old_rows_with_the_key(old_database):
    _legacy_events(3)
    upgrade()
    rows = list(db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))
    assert [r.action for r in rows] == ["senior.read"] * 3 + ["audit.chain_keyed"]
    assert rows[-1].detail == {"events": 3}
    result = verify()
    assert result.ok and result.checked == 4


def test_upgrade_stops_on_an_old_chain_that_was_already_altered(old_database, capfd):
    _legacy_events(3, break_at=1)
    before = db.session.execute(sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id)).all()
    with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's error and exits 1
        upgrade()
    assert "audit_event 2 does not fit the unkeyed chain" in capfd.readouterr().err
    db.session.rollback()
    version = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == BEFORE_KEYING
    assert db.session.execute(sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id)).all() == before
