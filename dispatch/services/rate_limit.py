"""One pace for calls to an outside service, kept by every process together (gunicorn workers, RQ workers).

Each caller reserves the next free slot in the ``rate_limit_slot`` row under a
row lock (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write lock does the
same), commits at once so the lock is held for milliseconds, then sleeps until
its slot. Slots are handed out in lock order, so N processes asking at once get
N slots ``interval`` apart and never two in the same second. The reservation
runs on a connection of its own, outside the caller's transaction.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models.geocode import RateLimitSlot
from dispatch.models.types import utcnow

_table = RateLimitSlot.__table__


def reserve(name: str, interval_seconds: float, *, engine: sa.Engine | None = None) -> float:
    """Reserve the next slot for ``name``; return how many seconds to wait before using it."""
    start, now = reserve_slot(name, interval_seconds, engine=engine)
    return max(0.0, (start - now).total_seconds())


def reserve_slot(name: str, interval_seconds: float, *, engine: sa.Engine | None = None) -> tuple[datetime, datetime]:
    """Reserve the next slot for ``name``: (the slot's start, the time now), both UTC."""
    engine = engine or db.engine
    for _attempt in range(3):
        try:
            with engine.begin() as conn:
                # The write comes first so SQLite takes its write lock before reading (no lost update);
                # on PostgreSQL the FOR UPDATE below holds the row until commit.
                touched = conn.execute(_table.update().where(_table.c.name == name)
                                       .values(name=_table.c.name)).rowcount
                if not touched:
                    conn.execute(_table.insert().values(name=name, next_dt=utcnow()))
                row = conn.execute(sa.select(_table.c.next_dt).where(_table.c.name == name).with_for_update()).one()
                now = utcnow()
                start = max(now, row.next_dt)
                conn.execute(_table.update().where(_table.c.name == name)
                             .values(next_dt=start + timedelta(seconds=interval_seconds)))
            return start, now
        except IntegrityError:  # another process inserted the row first: take the lock on it instead
            continue
    raise RuntimeError(f"could not reserve a {name} slot")


def wait_turn(name: str, interval_seconds: float, *, sleep: Callable[[float], None] = time.sleep,
              engine: sa.Engine | None = None) -> float:
    """Block until this process may make its next ``name`` call; return the seconds waited."""
    wait = reserve(name, interval_seconds, engine=engine)
    if wait > 0:
        sleep(wait)
    return wait
