"""The engine's tables for one problem: the site model's rules as numbers the kernels read.

Every rule of the site model is an entry here, so the plain VRPTW of the benchmarks is the same
tables with the options off: identical workers, one window per stop, no hold limits, breaks,
working-time caps, skills, pins or continuity, and drop penalties too high to pay.
"""

from __future__ import annotations

import random
from typing import Sequence

import numpy as np

from ..problem import Problem
from .backend import Backend
from .kernels import NEG, POS


def travel_matrices(problem: Problem) -> dict:
    """Travel per mode as the search and OR-Tools see it: an open route's way back is free."""
    travel = {}
    for mode, mat in problem.matrices.items():
        t = mat.copy()
        for v, w in enumerate(problem.workers):
            if not w.returns:
                t[:, problem.end_node(v)] = 0
        travel[mode] = t
    return travel


class Tables:
    """Plain lists for the Python side of the search (ruin, order) and `tb`, the kernels' tables."""

    def __init__(self, problem: Problem, travel: dict, allowed: Sequence[Sequence[int]], penalties: Sequence[int],
                 continuity_weight: int, seed: int, balance: tuple[int, int] | None, backend: Backend):
        p = self.p = problem
        self.backend = backend
        self.n, self.m = n, m = len(p.stops), len(p.workers)
        nodes = p.num_nodes
        self.rng = random.Random(seed)
        modes = sorted({w.mode for w in p.workers})
        mode = [modes.index(w.mode) for w in p.workers]
        t = np.stack([np.asarray(travel[name], dtype=np.int64) for name in modes])
        per_mode = [t[k].tolist() for k in range(len(modes))]
        self.mats = [per_mode[k] for k in mode]
        self.mat0 = self.mats[0]
        windows = [[(w.start, w.end) for w in s.windows] or [(NEG, POS)] for s in p.stops]
        windows += [[(NEG, POS)]] * (nodes - n)
        width = max(len(w) for w in windows)
        wa = [[w[k][0] if k < len(w) else POS for k in range(width)] for w in windows]
        wb = [[w[k][1] if k < len(w) else POS for k in range(width)] for w in windows]
        self.first_open = [w[0][0] for w in windows]
        self.last_close = [w[-1][1] for w in windows]
        svc = [s.service for s in p.stops] + [0] * (nodes - n)
        hold = []
        for s in p.stops:
            d = p.depot(s.depot) if s.hot_meal else None
            hold.append(d.hold_limit if d is not None and d.hold_limit is not None else -1)
        hold += [-1] * (nodes - n)
        self.dims = dims = p.num_dimensions
        self.demand = [tuple(p.demand(s)) for s in p.stops]
        dem = [list(d) + [0] * (max(1, dims) - dims) for d in self.demand]
        cap = []
        for w in p.workers:
            c = p.capacity(w)
            cap.append([x if x is not None else POS for x in c] if c else [POS] * max(1, dims))
        ids = {w.id: v for v, w in enumerate(p.workers)}
        self.prefers = [ids.get(s.previous_worker, -1) if continuity_weight > 0 else -1 for s in p.stops]
        self.cw = continuity_weight
        self.penalty = [int(x) for x in penalties]
        self.pinned = [s.pinned_position is not None for s in p.stops]
        self.allowed = [list(a) for a in allowed]
        self.allowed_set = [set(a) for a in allowed]
        allow = [a + [0] * (m - len(a)) for a in self.allowed]
        allowm = [[1 if v in a else 0 for v in range(m)] for a in self.allowed_set]
        brk = [w.breaks[0] if w.breaks else None for w in p.workers]
        self.start = [p.start_node(v) for v in range(m)]
        fair, weight = balance or (0, 0)
        b = backend.table
        self.tb = (b(svc), b(wa), b(wb), b([len(w) for w in windows]), b(self.first_open), b(self.last_close),
                   b(hold), b(dem or np.zeros((0, 1))), b(self.prefers), b(self.penalty), b(self.pinned),
                   b(allow or np.zeros((0, m))), b([len(a) for a in self.allowed]), b(allowm or np.zeros((0, m))),
                   b(mode), b([w.shift.start for w in p.workers]), b([w.shift.end for w in p.workers]),
                   b([w.max_work if w.max_work is not None else -1 for w in p.workers]),
                   b([x.window.start if x else 0 for x in brk]), b([x.window.end if x else 0 for x in brk]),
                   b([x.duration if x else -1 for x in brk]), b(self.start), b([p.end_node(v) for v in range(m)]),
                   b(cap), b([x is not None or w.max_work is not None for x, w in zip(brk, p.workers)]),
                   b(t), b(np.ascontiguousarray(t.transpose(0, 2, 1))), b([dims, continuity_weight, fair, weight]),
                   b(self.twins(t, mode, cap, brk, allowm)))
        # Related stops (Shaw): near in space and in time, so that a ruin around an afternoon
        # visit frees the other carers' visits of that hour, which a swap between them needs.
        # A second between window openings counts as 0.3 s of travel (0.3 beat 1 and 3 on the
        # generated site; tests/bench/RESULTS.md).
        mat0, fo, time_weight = self.mat0, [min(self.first_open[i], 1 << 40) for i in range(n)], 0.3
        self.near = [sorted(range(n), key=lambda j, i=i: mat0[i][j] + mat0[j][i] + time_weight * abs(fo[i] - fo[j]))
                     for i in range(n)]
        # Search settings (tests/bench/site_polish.py --set NAME=VALUE compares others).
        # Share of ruins seeded at a senior served by someone other than their usual worker.
        self.continuity_ruin = 0.3
        # Share of ruins seeded at a stop left out, while some are; after this much of the run
        # without serving one more (they may fit nowhere), a tenth of that.
        self.out_ruin, self.out_patience = 0.6, 0.6
        self.avg_removed = max(2, min(10, n // 4))
        # Simulated annealing from/to these fractions of the mean trip from the start to a stop.
        self.temperatures = (1.0, 0.01)
        # Back to the best plan after this share of the run without a new best (0: never).
        self.restart = 0.05
        self.max_string = 10
        # Share of cuts that remove a split string (a string with a short run kept inside), as in
        # SISR; the benchmark path's search used 0.5, the site search none (tests/bench/RESULTS.md).
        self.split_share = 0.0

    def twins(self, t, mode, cap, brk, allowm) -> list[int]:
        """Per worker the first worker identical to it for the search (itself if none): the same mode,
        shift, working-time cap, break, capacities, stops allowed and travel out of its start and into its
        end. Two of them with empty routes offer every stop the same insertion."""
        p, n, first, out = self.p, self.n, {}, []
        for v, w in enumerate(p.workers):
            s, e, tv = p.start_node(v), p.end_node(v), t[mode[v]]
            key = (mode[v], w.shift, w.max_work, brk[v], tuple(cap[v]), tuple(row[v] for row in allowm),
                   tv[s, :n].tobytes(), tv[:n, e].tobytes(), int(tv[s, e]))
            out.append(first.setdefault(key, v))
        return out

    def state(self):
        """An empty plan in the kernels' layout: per worker a path (room for every stop) and its bounds."""
        z, m, n = self.backend.zeros, self.m, self.n
        width = n + 2
        return (z(m, width), z(m), z(m, width), z(m, width), z(m, width), z(m, width), z(m, max(1, self.dims)),
                z(m), z(m), z(m), z(m), z(n), z(m))
