"""audit chain keyed (HMAC with AUDIT_KEY)

Until now each row's hash was sha256(prev_hash + canonical(row)): anyone who
could write the table could edit a row and recompute every later hash. From
here on the chain is HMAC-SHA256 with AUDIT_KEY, which lives in the app's
environment and never in the database.

Existing rows are re-chained explicitly: the old chain is verified first (the
upgrade stops, changing nothing, if it is broken - investigate before keying
it), then every row gets its keyed hash, and a last event
``audit.chain_keyed`` records how many events were re-chained. Run this
upgrade with the production AUDIT_KEY set (DISPATCH_AUDIT_KEY): a key
generated for the occasion would leave a chain the app cannot verify.

Revision ID: c9e4a7b2d1f0
Revises: d4e8a1b2c3f5
Create Date: 2026-12-03 08:10:00

"""
import hashlib
import hmac

from alembic import op
import sqlalchemy as sa

from dispatch.models.audit import APPEND_ONLY_DDL, DROP_APPEND_ONLY_DDL, GENESIS, AuditEvent, audit_key
from dispatch.models.types import UTCDateTime, utcnow


# revision identifiers, used by Alembic.
revision = 'c9e4a7b2d1f0'
down_revision = 'd4e8a1b2c3f5'
branch_labels = None
depends_on = None

EVENTS = sa.table(
    'audit_event', sa.column('id', sa.Integer), sa.column('event_dt', UTCDateTime),
    sa.column('user_id', sa.Integer), sa.column('action', sa.String), sa.column('entity_type', sa.String),
    sa.column('entity_id', sa.Integer), sa.column('senior_id', sa.Integer), sa.column('detail', sa.JSON),
    sa.column('ip', sa.String), sa.column('prev_hash', sa.String), sa.column('hash', sa.String),
)
CONTENT = ('event_dt', 'user_id', 'action', 'entity_type', 'entity_id', 'senior_id', 'detail', 'ip')


def _sha256(prev, canonical):
    return hashlib.sha256((prev + canonical).encode("utf-8")).hexdigest()


def _keyed(key):
    return lambda prev, canonical: hmac.new(key, (prev + canonical).encode("utf-8"), hashlib.sha256).hexdigest()


def _rechain(old, new, *, what):
    """Check every row with ``old``, then rewrite the chain with ``new``; returns (rows, new head)."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(EVENTS).order_by(EVENTS.c.id)).mappings().all()
    prev = GENESIS
    for row in rows:
        canonical = AuditEvent(**{k: row[k] for k in CONTENT}).canonical()
        if row['prev_hash'] != prev or row['hash'] != old(prev, canonical):
            raise RuntimeError(
                f"audit_event {row['id']} does not fit the {what} chain: the trail was altered before this "
                "migration. Nothing was changed; find out what happened before re-chaining it.")
        prev = row['hash']
    dialect = bind.dialect.name
    _guard(dialect, lift=True)
    prev = GENESIS
    for row in rows:
        digest = new(prev, AuditEvent(**{k: row[k] for k in CONTENT}).canonical())
        bind.execute(EVENTS.update().where(EVENTS.c.id == row['id']).values(prev_hash=prev, hash=digest))
        prev = digest
    _guard(dialect, lift=False)
    return len(rows), prev


def _guard(dialect, *, lift):
    if dialect == "postgresql":
        op.execute(f"ALTER TABLE audit_event {'DISABLE' if lift else 'ENABLE'} TRIGGER audit_event_append_only")
    else:
        for statement in (DROP_APPEND_ONLY_DDL if lift else APPEND_ONLY_DDL).get(dialect, ()):
            op.execute(statement)


def upgrade():
    key = audit_key()
    count, head = _rechain(_sha256, _keyed(key), what="unkeyed")
    if count:
        event = AuditEvent(event_dt=utcnow(), user_id=None, action="audit.chain_keyed", entity_type="audit_event",
                           entity_id=None, senior_id=None, detail={"events": count}, ip=None)
        op.get_bind().execute(EVENTS.insert().values(
            **{k: getattr(event, k) for k in CONTENT}, prev_hash=head, hash=_keyed(key)(head, event.canonical())))


def downgrade():
    # The keyed chain is checked, then rewritten unkeyed (the chain_keyed event stays, re-chained too).
    _rechain(_keyed(audit_key()), _sha256, what="keyed")
