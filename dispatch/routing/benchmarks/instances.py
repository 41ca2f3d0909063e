"""Solomon-format VRPTW instances, read into a `Problem` under the DIMACS 2021 rules.

DIMACS truncates every distance to one decimal; working in integer tenths keeps
that exact (`isqrt(100 * (dx² + dy²))` is the truncated distance × 10), and times
are scaled by ten to match. Travel time equals distance, so the solver's travel
cost is the benchmark's objective.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..problem import InvalidProblem, Problem, Stop, TimeWindow, Worker

SCALE = 10


@dataclass(frozen=True, eq=False)
class Instance:
    name: str
    vehicles: int
    capacity: int
    x: tuple[int, ...]
    y: tuple[int, ...]
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]

    @property
    def customers(self) -> int:
        return len(self.x) - 1

    def distances(self) -> np.ndarray:
        """Truncated distances in tenths between all nodes (node 0 is the depot)."""
        x, y = np.array(self.x, dtype=np.int64), np.array(self.y, dtype=np.int64)
        sq = (x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2
        out = np.vectorize(math.isqrt, otypes=[np.int64])(100 * sq)
        return out

    def to_problem(self) -> Problem:
        """Customers become stops "1".."n" and the fleet becomes identical workers at the depot."""
        d = self.distances()
        n, m = self.customers, self.vehicles
        horizon = self.due[0] * SCALE
        stops = tuple(
            Stop(str(c), demand=(self.demand[c],), service=self.service[c] * SCALE,
                 windows=(TimeWindow(self.ready[c] * SCALE, self.due[c] * SCALE),))
            for c in range(1, n + 1))
        workers = tuple(Worker(f"v{k + 1}", TimeWindow(self.ready[0] * SCALE, horizon), capacity=(self.capacity,),
                               mode="car") for k in range(m))
        # Node order is stops, then starts, then ends; all starts and ends are the depot (0).
        idx = np.array(list(range(1, n + 1)) + [0] * (2 * m))
        matrix = d[np.ix_(idx, idx)]
        return Problem(stops, workers, {"car": matrix}, dimensions=("demand",))


def read_solomon(path: str | Path) -> Instance:
    lines = [ln.strip() for ln in Path(path).read_text().splitlines()]
    lines = [ln for ln in lines if ln]
    name = lines[0]
    try:
        at = next(k for k, ln in enumerate(lines) if ln.upper().startswith("VEHICLE"))
        vehicles, capacity = (int(v) for v in lines[at + 2].split()[:2])
        rows = [ln.split() for ln in lines[at + 3:] if ln.split()[0].isdigit()]
    except (StopIteration, ValueError, IndexError) as exc:
        raise InvalidProblem(f"{path}: not a Solomon instance ({exc})") from exc
    cols = list(zip(*[[int(float(v)) for v in row[:7]] for row in rows]))
    if not cols or cols[0][0] != 0:
        raise InvalidProblem(f"{path}: the first node must be the depot, numbered 0")
    return Instance(name, vehicles, capacity, *(tuple(c) for c in cols[1:]))


def route_distance(instance: Instance, route: list[int]) -> int:
    """Tenths of distance for one route given as customer numbers (depot implied at both ends)."""
    d = instance.distances()
    path = [0, *route, 0]
    return int(sum(d[a, b] for a, b in zip(path, path[1:])))
