"""Builders for small routing problems; routing tests need no app and no database."""

import itertools
import random

import numpy as np
import pytest

from dispatch.routing import Problem, Stop, TimeWindow, Worker


def line_problem(positions, *, workers=1, shift=(0, 10_000), windows=None, service=0, capacity=None,
                 demands=None, depot_at=0, **worker_kw):
    """Stops on a line at integer `positions`, workers start and end at `depot_at`; travel = |a - b|."""
    n = len(positions)
    stops = tuple(
        Stop(f"s{i}", service=service,
             windows=(TimeWindow(*windows[i]),) if windows and windows[i] else (),
             demand=(demands[i],) if demands else ())
        for i in range(n))
    ws = tuple(Worker(f"w{v}", TimeWindow(*shift), capacity=(capacity,) if capacity is not None else (), **worker_kw)
               for v in range(workers))
    xs = np.array(list(positions) + [depot_at] * (2 * workers))
    matrix = np.abs(xs[:, None] - xs[None, :]).astype(np.int64)
    return Problem(stops, ws, {"car": matrix})


def brute_force_single(problem):
    """Best travel for one worker visiting every stop, by trying all orders (tiny n only)."""
    from dispatch.routing import Route, check

    best = None
    ids = [s.id for s in problem.stops]
    for perm in itertools.permutations(ids):
        route = Route(problem.workers[0].id, perm, problem.workers[0].shift.start)
        if check(problem, [route]):
            continue
        idx = [ids.index(s) for s in perm]
        path = [problem.start_node(0), *idx, problem.end_node(0)]
        cost = sum(problem.travel(0, a, b) for a, b in zip(path, path[1:]))
        best = cost if best is None else min(best, cost)
    return best


@pytest.fixture
def line():
    return line_problem


def tiny_solomon_file(tmp_path, name: str, customers: int, *, seed: int, vehicles: int) -> str:
    """A small Solomon-format instance (random customers, wide windows) written under ``tmp_path``; its path."""
    lines = [name, "", "VEHICLE", "NUMBER     CAPACITY", f"  {vehicles}         30", "", "CUSTOMER",
             "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME", "",
             "    0  50  50   0   0  1000   0"]
    rng = random.Random(seed)
    for c in range(1, customers + 1):
        lines.append(f"    {c}  {rng.randint(0, 100)}  {rng.randint(0, 100)}  10  0  1000  10")
    path = tmp_path / f"{name.lower()}.txt"
    path.write_text("\r\n".join(lines) + "\r\n")
    return str(path)
