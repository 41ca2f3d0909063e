"""One pace for calls to an outside service, kept by every process together (gunicorn workers, RQ workers).

``turn(name, interval)`` wraps one call. On PostgreSQL it holds the
``rate_limit_slot`` row (``SELECT ... FOR UPDATE``) for the whole call: it
waits for the row, sleeps until the slot's time, makes the call, and sets the
next slot to *the end of the call* plus the interval. So the next request of
any process reaches the server at least ``interval`` after the previous one
did, whatever the network's jitter (a reservation made before the call allowed
0.83 s gaps under load: see tests/bench/RESULTS.md).

SQLite (the one-process demo) cannot hold a row: a write lock there blocks
every other writer of the file. It reserves the next slot in a short
transaction instead (the write comes first, so two readers cannot take the same
slot), sleeps until it, and pushes the slot past the call's end afterwards.
Both run on a connection of their own, outside the caller's transaction.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models.geocode import RateLimitSlot
from dispatch.platform import clock

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
                    conn.execute(_table.insert().values(name=name, next_dt=clock.now()))
                row = conn.execute(sa.select(_table.c.next_dt).where(_table.c.name == name).with_for_update()).one()
                now = clock.now()
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


def _bump(conn, name: str, interval_seconds: float) -> None:
    """Move the next slot to at least now + interval (after a call, so its duration counts too)."""
    later = clock.now() + timedelta(seconds=interval_seconds)
    conn.execute(_table.update().where(_table.c.name == name, _table.c.next_dt < later).values(next_dt=later))


@contextmanager
def turn(name: str, interval_seconds: float, *, sleep: Callable[[float], None] = time.sleep,
         engine: sa.Engine | None = None) -> Iterator[None]:
    """Run the body as this process's one call to ``name``, at the shared pace (see the module docstring)."""
    engine = engine or db.engine
    if engine.dialect.name != "postgresql":
        wait_turn(name, interval_seconds, sleep=sleep, engine=engine)
        try:
            yield
        finally:
            with engine.begin() as conn:
                _bump(conn, name, interval_seconds)
        return
    with engine.connect() as conn:
        with conn.begin():
            conn.execute(sa.dialects.postgresql.insert(_table).values(name=name, next_dt=clock.now())
                         .on_conflict_do_nothing(index_elements=["name"]))
        with conn.begin():
            row = conn.execute(sa.select(_table.c.next_dt).where(_table.c.name == name).with_for_update()).one()
            wait = (row.next_dt - clock.now()).total_seconds()
            if wait > 0:
                sleep(wait)
            try:
                yield
            finally:
                _bump(conn, name, interval_seconds)
