"""The one ruin-and-recreate search (SISR) of the routing core: site plans and the VRPTW benchmarks.

Why it exists: guided local search in OR-Tools stalls within seconds on Solomon-type instances
(cycling between a handful of local optima) and leaves a poor basin slowly on the site plans.
Slack induction by string removals (Christiaens & Vanden Berghe, Transportation Science 2020)
keeps improving: remove a few nearby strings of stops, put them back greedily one by one, accept
by simulated annealing. One implementation serves both callers: the plain VRPTW of the benchmarks
is the site model with every option off (`tables`).

The site model's rules are options of the same tables: several workers with their own shifts,
modes, skills and capacities, several windows per stop, hot-meal hold limits, breaks, working-time
caps, stops that may stay unassigned at their drop penalty, the continuity charge, a balance
charge and pinned heads of routes. Not yet: reload trips and combined days (the whole-day issue).

The hot loops (insertion scan, route bounds, exact timing) are `kernels`, compiled by numba or run
as plain Python (`backend`); the ruin, the order of re-insertion and the annealing stay here. A
plan lives in a tuple of tables (`Tables.state`); the candidate plan differs from the current one
only in the routes a ruin or recreate touched, so only those are copied back and forth.

The site planner reads the result back into OR-Tools, which must accept it with a lower objective,
and the checker passes it; the benchmark path checks it with the checker. Repeatable plans: with
`max_iterations` (and no deadline that cuts it short) the cooling follows the iteration count and
every random draw comes from `seed`, so the same problem, start and seed give the same plan on any
machine, compiled or not.
"""

from __future__ import annotations

import math
import time
from typing import Sequence

from ..problem import Problem
from .backend import choose
from .tables import Tables

# Positions in a plan's tuple of tables (see `Tables.state`).
P, PLEN, COST, HEAD, WHERE, TOUCHED = 0, 1, 7, 10, 11, 12
# Iterations per kernel call: enough that calling costs little, few enough to stop on time.
BATCH = 32


class Search(Tables):
    """Slack induction by string removals over the tables of one problem."""

    def __init__(self, problem: Problem, travel: dict, allowed: Sequence[Sequence[int]], penalties: Sequence[int],
                 continuity_weight: int, seed: int = 0, balance: tuple[int, int] | None = None,
                 engine: str | None = None):
        backend = choose(engine)
        super().__init__(problem, travel, allowed, penalties, continuity_weight, seed, balance, backend)
        self.k, self.mv = backend.k, backend.mv
        b = backend.zeros
        n, m = self.n, self.m
        self.cand = (b(n + 2 * m + 2), b(n + 2 * m + 2), b(n + 2 * m + 2), b(n + 2 * m + 2))
        # Route nodes, leave times, keys, departures tried, the answer, and `recreate`'s stamps per twin class.
        self.scratch = (b(n + 3), b(n + 3), b(n + 3), b(n * 4 + 8), b(2), b(m + 1))
        self.left, self.todo, self.keys, self.served, self.outs, self.bouts = (b(max(1, n)) for _ in range(6))
        self.near_table = backend.table(self.near or [[0]])
        self.krng = b(1)
        self.krng[0] = 1 + seed % 2147483646
        self.everyone = backend.table([1] * self.m)

    @property
    def engine(self) -> str:
        return self.backend.name

    # -- plans in the kernels' layout -------------------------------------------------------

    def load(self, st, plan: Sequence[Sequence[int]]):
        for v in range(self.m):
            self.set_route(st, v, list(plan[v]) if v < len(plan) else [])
        where = st[WHERE]
        for i in range(self.n):
            where[i] = -1
        for v in range(self.m):
            for i in self.body(st, v, 1):
                where[i] = v
        return st

    def set_route(self, st, v: int, seq: Sequence[int]) -> None:
        path = st[P][v]
        path[0] = self.start[v]
        for j, i in enumerate(seq):
            path[j + 1] = i
        path[len(seq) + 1] = self.tb[22][v]
        st[PLEN][v] = len(seq) + 2
        self.k.build(v, st, self.tb)
        st[TOUCHED][v] = 1

    def body(self, st, v: int, begin: int) -> list[int]:
        return [int(i) for i in st[P][v][begin:st[PLEN][v] - 1]]

    def routes(self, st) -> list[list[int]]:
        return [self.body(st, v, 1) for v in range(self.m)]

    def copy(self, dst, src, rows=None) -> None:
        """Routes `rows` (flags per worker; all when None) and where every stop is, from src to dst."""
        self.mv.copy_plan(dst, src, self.everyone if rows is None else rows, self.m, self.n)

    def plan_cost(self, plan: Sequence[Sequence[int]], unassigned: Sequence[int]) -> int:
        """Travel and charges of `plan` (stop indices per worker) plus the penalties of `unassigned`."""
        st = self.load(self.state(), plan)
        return self.backend.total(st[COST]) + sum(self.penalty[i] for i in unassigned)

    def departure(self, v: int, seq: Sequence[int]):
        """(departure, break leg or None) of a schedule of worker v's stops `seq` that keeps every rule
        (as the checker decides), or None if none does."""
        nodes, leaves, keys, buf, out, _ = self.scratch
        nodes[0] = self.start[v]
        for j, i in enumerate(seq):
            nodes[j + 1] = i
        nodes[len(seq) + 1] = self.tb[22][v]
        if not self.k.departure(v, nodes, len(seq), leaves, keys, buf, out, self.tb):
            return None
        return int(out[0]), None if out[1] < 0 else int(out[1])

    def warm_up(self) -> None:
        """Run every kernel once, so numba compiles them (or loads them from its cache) now rather than
        inside the first search; the random state is put back, so a warmed-up search runs the same."""
        if not self.n or not self.m:
            return
        saved = int(self.krng[0])
        self.departure(0, [0])
        self.run([[0]], math.inf, max_iterations=2)
        self.krng[0] = saved

    def settings(self, stall: int | None = None):
        """The search settings the kernels read (floats): see `moves`."""
        return self.backend.floats([self.max_string, self.avg_removed, self.continuity_ruin, self.restart,
                                    self.out_ruin, self.out_patience, -1 if stall is None else stall,
                                    self.split_share])

    def run(self, start: Sequence[Sequence[int]], deadline: float, clock=time.monotonic,
            max_iterations: int | None = None, stall: int | None = None, at_least: int = 0):
        """Anneal from `start` (stop indices per worker) until the deadline, or `max_iterations`, or
        until `stall` iterations in a row found no new best; best routes, their cost, iterations.

        The cooling is geometric from t_start to t_end over the time to the deadline or, with
        `max_iterations`, over the iteration count (then the run does not depend on the clock unless
        the deadline cuts it short). The kernels run `BATCH` iterations per call; the clock is read
        between calls (a call takes a few milliseconds). `at_least` iterations run even past the
        deadline: one is a greedy insertion of every stop left out, so a caller whose start leaves
        stops out (OR-Tools found no plan in its share) gets a full plan from a starved core.
        """
        cur = self.load(self.state(), start)
        cand, best = self.state(), self.state()
        self.copy(cand, cur)
        self.copy(best, cur)
        where = cur[WHERE]
        cur_out = [i for i in range(self.n) if where[i] < 0 and self.allowed[i]]
        for x, i in enumerate(cur_out):
            self.outs[x] = self.bouts[x] = i
        cur_cost = self.backend.total(cur[COST]) + sum(self.penalty[i] for i in cur_out)
        served = [i for i in range(self.n) if where[i] >= 0]
        if served:
            mean = sum(self.mats[where[i]][self.start[where[i]]][i] for i in served) / len(served)
        else:  # an empty start: the temperature from each stop's trip from its first allowed worker's start
            out = [i for i in range(self.n) if self.allowed[i]]
            mean = sum(self.mats[self.allowed[i][0]][self.start[self.allowed[i][0]]][i] for i in out) / max(1, len(out))
        t_start, t_end = max(1e-3, self.temperatures[0] * mean), max(1e-4, self.temperatures[1] * mean)
        ratio = t_end / t_start
        fs = self.backend.floats([cur_cost, cur_cost, 0.0, 0.0, len(cur_out), 0, 0, len(cur_out), len(cur_out)])
        conf = self.settings(stall)
        prog, temps = self.backend.floats([0.0] * BATCH), self.backend.floats([0.0] * BATCH)
        began = clock()
        span = max(1e-3, deadline - began)
        while True:
            now, done = clock(), int(fs[6])
            steps = BATCH
            if now >= deadline:
                if done >= at_least:
                    break
                steps = at_least - done
            if max_iterations is not None:
                steps = min(steps, max_iterations - done)
                if steps <= 0:
                    break
                for s in range(steps):
                    prog[s] = (done + s) / max_iterations
            else:
                steps = min(steps, BATCH)
                for s in range(steps):
                    prog[s] = min(1.0, (now - began) / span)
            for s in range(steps):
                temps[s] = t_start * ratio ** prog[s]
            if self.mv.anneal(cur, cand, best, self.outs, self.bouts, fs, prog, temps, steps, self.everyone,
                              self.todo, self.keys, self.left, self.served, self.near_table, conf, self.krng,
                              self.cand, self.scratch, self.tb):
                break
        return self.routes(best), int(fs[1]), int(fs[6])


def preload(engine: str | None = None) -> str:
    """Load the engine's kernels now (numba compiles them on a cold cache, else loads them from it) by
    running them on a two-stop problem; returns the path it runs. A process calls this once, before
    any clock starts, as it imports any other compiled library: later searches then pay nothing."""
    import numpy as np

    from ..problem import Stop, TimeWindow, Worker

    stops = (Stop("a", service=1), Stop("b", service=1))
    problem = Problem(stops, (Worker("w", TimeWindow(0, 100)),), {"car": np.ones((4, 4), dtype=np.int64)})
    search = Search(problem, {"car": problem.matrices["car"]}, [[0], [0]], [100, 100], 0, engine=engine)
    search.warm_up()
    return search.engine
