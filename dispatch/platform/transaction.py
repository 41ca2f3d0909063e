"""One transaction per use case: services and helpers only flush, the edge commits once.

The edge of a use case is where it starts: a web or API request (``init_app`` wraps
the app's view dispatch), a CLI command (``@transaction.command``) or a background
job (``dispatch.jobs`` runs each in ``unit()``). The edge commits once when the work
returned, and rolls back on any exception, or when the view called ``doom()``
because it shows the user a service's error (a partial flush is never committed).

Side effects that must not happen unless the change is stored (the notification
outbox, queued jobs that read the new rows) register ``after_commit(fn)``: a
session ``after_commit`` event marks them due, a rollback drops them, and they run
once the commit has returned (``extensions.Session.commit``), outside the transaction.

A long job whose progress others must see, or that must keep what it did step by
step (the planning job's "running" state, the outbox sent row by row, the demo's
simulated days), calls ``commit_step()`` at its step boundaries: the edge passes
it down or the job entry point loops over the steps. Nothing else commits.

What must be stored even when the unit fails (a refused read in the audit trail:
the refusal *is* the failure) registers ``regardless(fn)``: ``fn`` runs once the
unit has committed or rolled back, and its writes commit on their own.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from dispatch.extensions import Session as AppSession
from dispatch.extensions import db

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

_PENDING = "doorstep.after_commit"  # callbacks waiting for the commit of the transaction in progress
_DUE = "doorstep.after_commit_due"  # callbacks whose transaction committed, not run yet
_DOOMED = "doorstep.doomed"
_RUNNING = "doorstep.after_commit_running"
_REGARDLESS = "doorstep.regardless"  # callbacks to run and commit once the unit ended, whatever its outcome
_DEPTH = "doorstep.unit_depth"


def after_commit(fn: Callable[[], Any]) -> None:
    """Run ``fn`` once the transaction in progress has committed; never if it rolls back.

    The same function registered twice in one transaction runs once.
    """
    pending = db.session().info.setdefault(_PENDING, [])
    if fn not in pending:
        pending.append(fn)


def doom() -> None:
    """Undo the unit's writes now and make sure the edge commits nothing of it.

    A view calls this when it answers with a service's error (a form shown
    again, a refusal): whatever the service flushed before it raised is gone,
    and the page is drawn from the stored state.
    """
    session = db.session()
    session.rollback()
    session.info[_DOOMED] = True


def start_over() -> None:
    """Drop what the unit flushed so far and go on in a fresh transaction.

    For a use case that is the whole unit (a phone tap, a family's request, a dine-in
    scan) and that, after a conflict at flush, reads what the concurrent writer stored
    (to replay its answer) or applies itself again on fresh rows. Unlike ``doom()`` the
    unit may still commit what it does afterwards.
    """
    db.session.rollback()


def regardless(fn: Callable[[], Any]) -> None:
    """Run ``fn`` (which adds rows) once the unit in progress has ended, committed or rolled back,
    and commit its rows on their own. Outside a unit ``fn`` runs at once in the caller's transaction."""
    session = db.session()
    if not session.info.get(_DEPTH):
        fn()
        return
    session.info.setdefault(_REGARDLESS, []).append(fn)


def _run_regardless(session: Session) -> None:
    while session.info.get(_REGARDLESS):
        fn = session.info[_REGARDLESS].pop(0)
        try:
            fn()
            session.commit()
        except Exception:  # the reply must not change because its trace could not be written
            log.exception("Regardless callback %r failed", fn)
            session.rollback()


def is_doomed() -> bool:
    return bool(db.session().info.get(_DOOMED))


def commit_step() -> None:
    """Commit now (what waited for it runs once it returned): for the step boundaries of a long job."""
    db.session.commit()


def _run_due(session: Session) -> None:
    """Run the after-commit callbacks whose transaction committed (a failing one is logged, not raised).

    Called when a commit has returned (``extensions.Session.commit``); a callback that commits
    again (the outbox, row by row) does not run the list a second time from inside.
    """
    info = session.info
    if info.get(_RUNNING):
        return
    info[_RUNNING] = True
    try:
        while info.get(_DUE):
            fn = info[_DUE].pop(0)
            try:
                fn()
            except Exception:  # the change is stored; a side effect must not undo the reply
                log.exception("After-commit callback %r failed", fn)
    finally:
        info.pop(_RUNNING, None)


def _finish(session: Session) -> None:
    """End the unit: commit unless doomed, then run the due callbacks; a failed commit rolls back."""
    if session.info.pop(_DOOMED, False):
        session.rollback()
        return
    try:
        session.commit()
    except BaseException:
        _abandon(session)
        raise


@contextmanager
def unit() -> Iterator[None]:
    """One use case: commit once at the end, roll back on any exception.

    A CLI command's exit with code 0 ends the unit normally; any other code is a failure.
    """
    session = db.session()
    session.info.pop(_DOOMED, None)
    session.info[_DEPTH] = session.info.get(_DEPTH, 0) + 1
    try:
        try:
            yield
        except BaseException as error:
            if _exit_code(error) == 0:
                _finish(session)
            else:
                _abandon(session)
            raise
        _finish(session)
    finally:
        session.info[_DEPTH] -= 1
        _run_regardless(session)


def _abandon(session: Session) -> None:
    session.info.pop(_DOOMED, None)
    session.rollback()


def _exit_code(error: BaseException) -> int | None:
    """0 for a successful exit (``sys.exit()``, ``ctx.exit(0)``), else None or the code."""
    if isinstance(error, click.exceptions.Exit):
        return error.exit_code
    if isinstance(error, SystemExit):
        return 0 if error.code in (None, 0) else 1
    return None


def command(fn: F) -> F:
    """The edge of a CLI command: its work is one unit (decorate under ``@click.command``)."""

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with unit():
            return fn(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


# --- the session events ---------------------------------------------------------------------

def _on_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_DUE, []).extend(pending)


def _on_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)


def _listen(session_class: type[Session]) -> None:
    if not sa.event.contains(session_class, "after_commit", _on_commit):
        sa.event.listen(session_class, "after_commit", _on_commit)
        sa.event.listen(session_class, "after_soft_rollback", _on_rollback)
    if _run_due not in AppSession.after_commit_returned:
        AppSession.after_commit_returned.append(_run_due)


def init_app(app: Flask) -> None:
    """Make each request one unit: the view's work commits once, or not at all."""
    _listen(AppSession)
    dispatch = app.dispatch_request

    @functools.wraps(dispatch)
    def dispatch_in_unit() -> Any:
        with unit():
            return dispatch()

    app.dispatch_request = dispatch_in_unit  # type: ignore[method-assign]
