"""The collaborators that services are handed rather than import: built once in ``create_app``.

Tests pass fakes to ``create_app(..., solve=fake)`` instead of patching module attributes; the
clock has its own module (``platform.clock``) because nearly everything reads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import current_app

EXTENSION = "doorstep.collaborators"


def _routing_solve(problem, options=None, **overrides):
    from dispatch import routing

    return routing.solve(problem, options, **overrides)


@dataclass(frozen=True)
class Collaborators:
    """What the app's services call out to."""

    solve: Callable[..., Any] = _routing_solve  # problem, options, **overrides -> routing.Solution


def install(app, *, solve: Callable[..., Any] | None = None) -> None:
    app.extensions[EXTENSION] = Collaborators(solve=solve or _routing_solve)


def current() -> Collaborators:
    return current_app.extensions.get(EXTENSION) or Collaborators()


def solve(problem, options=None, **overrides):
    """Solve a routing problem with the app's solver (OR-Tools and the polish, or a test's fake)."""
    return current().solve(problem, options, **overrides)
