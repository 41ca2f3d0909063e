"""Ruin-and-recreate improvement of plain VRPTW routes (SISR), in pure Python.

Why it exists: on Solomon-type instances OR-Tools' guided local search stalls
within seconds, cycling between a handful of local optima (its search log shows
the same three costs over and over), so extra time buys almost nothing. Slack
induction by string removals (Christiaens & Vanden Berghe, Transportation
Science 2020) keeps improving: remove a few geographically close strings of
customers, put them back greedily one by one, accept by simulated annealing.
Each iteration is a few hundred constant-time insertion checks (forward
earliest departures and backward latest starts per route, both monotone along
a route, so positions whose windows cannot fit are skipped by bisection),
cheap enough in plain Python to run thousands of times a second.

It handles only the plain shape: one depot, identical vehicles with one
capacity, one time window per customer, every customer served. The result is
re-checked from scratch (`feasible`) before it is returned, and the start
solution is returned whenever nothing better and valid was found.
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Sequence

from ..anneal import cooling


@dataclass(frozen=True)
class Vrptw:
    """Node 0 is the depot; customers are 1..n. Integer times and distances (travel time = distance)."""

    dist: Sequence[Sequence[int]]
    ready: Sequence[int]
    due: Sequence[int]
    service: Sequence[int]
    demand: Sequence[int]
    capacity: int
    vehicles: int

    @property
    def customers(self) -> int:
        return len(self.ready) - 1


def route_cost(inst: Vrptw, route: Sequence[int]) -> int:
    d, prev, total = inst.dist, 0, 0
    for c in route:
        total += d[prev][c]
        prev = c
    return total + d[prev][0] if route else 0


def feasible(inst: Vrptw, routes: Sequence[Sequence[int]]) -> bool:
    """Every customer once, fleet, capacity and windows, recomputed from nothing."""
    seen = sorted(c for r in routes for c in r)
    if seen != list(range(1, inst.customers + 1)) or sum(1 for r in routes if r) > inst.vehicles:
        return False
    d, s = inst.dist, inst.service
    for r in routes:
        if sum(inst.demand[c] for c in r) > inst.capacity:
            return False
        t, prev = inst.ready[0], 0
        for c in r:
            t = max(t + s[prev] + d[prev][c], inst.ready[c])
            if t > inst.due[c]:
                return False
            prev = c
        if r and t + s[prev] + d[prev][0] > inst.due[0]:
            return False
    return True


class _Route:
    """A route as the search keeps it: the path with the depot at both ends, its arc lengths, and per
    position the earliest departure and the latest feasible start. Both times are non-decreasing along
    the path, so the insertion scan bisects away every position whose windows cannot fit a customer,
    and an insertion updates them only as far as the change propagates."""

    __slots__ = ("path", "arcs", "depart", "late", "load", "cost")

    def copy(self) -> _Route:
        other = _Route.__new__(_Route)
        other.path, other.arcs, other.depart, other.late = self.path[:], self.arcs[:], self.depart[:], self.late[:]
        other.load, other.cost = self.load, self.cost
        return other


class _Search:
    def __init__(self, inst: Vrptw, seed: int):
        self.inst = inst
        self.rng = random.Random(seed)
        n = inst.customers
        d = inst.dist
        self.d = [list(row) for row in d]
        # Column c of the matrix as a row: the distance from anywhere to c.
        self.dto = [list(col) for col in zip(*d)]
        self.ready, self.due, self.service = list(inst.ready), list(inst.due), list(inst.service)
        self.demand = list(inst.demand)
        # Neighbours of each customer by distance, for picking strings close to a seed.
        self.near = [[]] + [sorted(range(1, n + 1), key=lambda j, i=i: d[i][j]) for i in range(1, n + 1)]
        self.avg_removed = 10
        self.max_string = 10
        self.patience = 0.05

    def build(self, customers) -> _Route:
        d, s, ready, due = self.d, self.service, self.ready, self.due
        path = [0, *customers, 0]
        k = len(path)
        arcs = [d[a][b] for a, b in zip(path, path[1:])]
        depart = [0] * (k - 1)
        t = ready[0]
        for j in range(k - 1):
            a = path[j]
            if t < ready[a]:
                t = ready[a]
            t += s[a]
            depart[j] = t
            t += arcs[j]
        late = [0] * k
        late[-1] = t = due[0]
        for j in range(k - 2, -1, -1):
            a = path[j]
            t = t - arcs[j] - s[a]
            if t > due[a]:
                t = due[a]
            late[j] = t
        route = _Route.__new__(_Route)
        route.path, route.arcs, route.depart, route.late = path, arcs, depart, late
        route.load = sum(self.demand[c] for c in customers)
        route.cost = sum(arcs)
        return route

    def insert(self, route: _Route, j: int, c: int) -> None:
        """Put c before position j and update the times only while they change."""
        d, s, ready, due = self.d, self.service, self.ready, self.due
        path, arcs, depart, late = route.path, route.arcs, route.depart, route.late
        prev, nxt = path[j - 1], path[j]
        a_in, a_out = d[prev][c], d[c][nxt]
        route.cost += a_in + a_out - arcs[j - 1]
        route.load += self.demand[c]
        path.insert(j, c)
        arcs[j - 1] = a_in
        arcs.insert(j, a_out)
        t = depart[j - 1] + a_in
        if t < ready[c]:
            t = ready[c]
        depart.insert(j, t + s[c])
        k = len(path)
        for i in range(j + 1, k - 1):
            a = path[i]
            t = depart[i - 1] + arcs[i - 1]
            if t < ready[a]:
                t = ready[a]
            t += s[a]
            if t == depart[i]:
                break
            depart[i] = t
        t = late[j] - a_out - s[c]
        late.insert(j, t if t < due[c] else due[c])
        for i in range(j - 1, -1, -1):
            a = path[i]
            t = late[i + 1] - arcs[i] - s[a]
            if t > due[a]:
                t = due[a]
            if t == late[i]:
                break
            late[i] = t

    def ruin(self, routes, where):
        """Remove strings near a random seed customer; ruined routes are rebuilt as new objects.
        Returns the removed customers, the indices of the ruined routes and how much shorter they got."""
        rng, near = self.rng, self.near
        nonempty = sum(1 for r in routes if len(r.path) > 2)
        avg_len = self.inst.customers / max(1, nonempty)
        ls_max = min(self.max_string, avg_len)
        ks_max = 4 * self.avg_removed / (1 + ls_max) - 1
        ks = int(rng.uniform(1, ks_max + 1))
        seed = rng.randint(1, self.inst.customers)
        removed, ruined, drop = [], set(), 0
        for c in near[seed]:
            if len(ruined) >= ks:
                break
            r = where[c]
            if r in ruined:
                continue
            route = routes[r].path[1:-1]
            lt_max = min(len(route), ls_max)
            size = int(rng.uniform(1, lt_max + 1))
            pos = route.index(c)
            if size == len(route) or rng.random() < 0.5:
                start = rng.randint(max(0, pos - size + 1), min(pos, len(route) - size))
                gone = route[start:start + size]
                kept = route[:start] + route[start + size:]
            else:
                # Split string: remove a string but keep a short run inside it.
                keep = 1
                while size + keep < len(route) and rng.random() < 0.5:
                    keep += 1
                span = size + keep
                start = rng.randint(max(0, pos - span + 1), min(pos, len(route) - span))
                inner = rng.randint(start, start + size)
                window = route[start:start + span]
                gone = window[:inner - start] + window[inner - start + keep:]
                kept = route[:start] + window[inner - start:inner - start + keep] + route[start + span:]
            removed += gone
            new = self.build(kept)
            drop += routes[r].cost - new.cost
            routes[r] = new
            ruined.add(r)
        return removed, ruined, drop

    def order(self, removed):
        inst, rng = self.inst, self.rng
        pick = rng.random() * 14
        if pick < 4:
            rng.shuffle(removed)
        elif pick < 8:
            removed.sort(key=lambda c: -inst.demand[c])
        elif pick < 10:
            removed.sort(key=lambda c: -inst.dist[0][c])
        elif pick < 11:
            removed.sort(key=lambda c: inst.dist[0][c])
        else:
            removed.sort(key=lambda c: inst.due[c] - inst.ready[c])
        return removed

    def recreate(self, routes, removed, where, owned, cost, limit=math.inf):
        """Insert each removed customer at its cheapest feasible position (routes in `owned` may be
        changed in place, the others are copied first) and return the plan's new cost, starting from
        `cost`. None when a customer fits nowhere, or as soon as the cost can no longer end below
        `limit`: on truncated Euclidean distances an insertion lowers the cost by at most one unit
        (floor(x) + floor(y) > x + y - 2), so `cost - customers left` bounds the final cost from below.
        (On other matrices the bound is only a heuristic; the result stays feasible either way.)"""
        d, s, ready, due, q = self.d, self.service, self.ready, self.due, self.demand
        cap, fleet = self.inst.capacity, self.inst.vehicles
        rand = self.rng.random
        used = sum(1 for r in routes if len(r.path) > 2)
        left = len(removed)
        for c in self.order(removed):
            left -= 1
            best, best_r, best_j = math.inf, -1, -1
            qc, sc, rc, dc, dcol, dto_c = q[c], s[c], ready[c], due[c], d[c], self.dto[c]
            room = cap - qc
            rs = rc + sc
            for r, route in enumerate(routes):
                path = route.path
                if route.load > room or len(path) == 2:
                    continue
                # Blinks: now and then skip a route, so equal-cost choices vary.
                if rand() < 0.02:
                    continue
                depart, late, arcs = route.depart, route.late, route.arcs
                # Positions j (c between path[j-1] and path[j]) need depart[j-1] <= due(c) and
                # late[j] >= ready(c) + service(c); both bounds are monotone along the path.
                for j in range(bisect_left(late, rs, 1), bisect_right(depart, dc) + 1):
                    prev = path[j - 1]
                    to_c = dto_c[prev]
                    nxt = path[j]
                    delta = to_c + dcol[nxt] - arcs[j - 1]
                    if delta < best:
                        t = depart[j - 1] + to_c
                        if t < rc:
                            t = rc
                        if t <= dc and t + sc + dcol[nxt] <= late[j]:
                            best, best_r, best_j = delta, r, j
            if used < fleet and qc <= cap:
                delta = dto_c[0] + dcol[0]
                t = max(ready[0] + dto_c[0], rc)
                if delta < best and t <= dc and t + sc + dcol[0] <= due[0]:
                    best_r = next((k for k, r in enumerate(routes) if len(r.path) == 2), None)
                    if best_r is None:
                        routes.append(self.build([]))
                        best_r = len(routes) - 1
                        owned.add(best_r)
                    best, best_j = delta, 1
                    used += 1
            if best_r < 0:
                return None
            cost += best
            if cost - left >= limit:
                return None
            if best_r not in owned:
                routes[best_r] = routes[best_r].copy()
                owned.add(best_r)
            self.insert(routes[best_r], best_j, c)
            where[c] = best_r
        return cost

    def run(self, start: list[list[int]], deadline: float, t_start: float, t_end: float, clock=time.monotonic,
            max_iterations: int | None = None):
        """Anneal from t_start to t_end over the time to `deadline`, or over `max_iterations` when given
        (then the run does not depend on the clock unless the deadline cuts it short)."""
        cur = [self.build(r) for r in start if r]
        cur_where = [0] * (self.inst.customers + 1)
        for r, route in enumerate(cur):
            for c in route.path[1:-1]:
                cur_where[c] = r
        cur_cost = sum(r.cost for r in cur)
        best_cost = cur_cost
        # Accepted routes are never changed again, so the best plan is kept as the route objects.
        best_state, best_at = (cur, cur_where, cur_cost), 0.0
        log, rand = math.log, self.rng.random
        iterations = 0
        for progress, temp in cooling(deadline, t_start, t_end, clock, max_iterations):
            iterations += 1
            # The candidate is accepted if its cost ends below `limit`; drawing the threshold first
            # lets recreate give up as soon as it cannot (most candidates late in the cooling).
            limit = cur_cost - temp * log(rand() or 1e-12)
            routes, where = cur[:], cur_where[:]
            removed, owned, drop = self.ruin(routes, where)
            cost = self.recreate(routes, removed, where, owned, cur_cost - drop, limit)
            if cost is not None:
                cur, cur_where, cur_cost = routes, where, cost
                if cost < best_cost:
                    best_cost, best_state, best_at = cost, (cur, cur_where, cost), progress
            if progress - best_at > self.patience and cur_cost > best_cost:
                # No new best for a while: go back to the best plan and anneal on from there.
                cur, cur_where, cur_cost = best_state
                best_at = progress
        best = [r.path[1:-1] for r in best_state[0] if len(r.path) > 2]
        return best, best_cost, iterations


def improve(inst: Vrptw, routes: Sequence[Sequence[int]], deadline: float, seed: int = 0,
            t_start: float | None = None, t_end: float | None = None, *, clock=time.monotonic,
            max_iterations: int | None = None) -> tuple[list[list[int]], int]:
    """Improve feasible `routes` until `deadline` (on `clock`); never returns a worse or invalid plan.

    With `max_iterations` the cooling follows the iteration count, so a seeded run that ends on its
    iteration limit is repeatable whatever the machine's load.
    """
    start = [list(r) for r in routes if r]
    start_cost = sum(route_cost(inst, r) for r in start)
    if not feasible(inst, start) or clock() >= deadline:
        return start, start_cost
    # Temperatures in the instance's own units: a fraction of an average arc.
    n = inst.customers
    mean_arc = sum(inst.dist[0][c] for c in range(1, n + 1)) / max(1, n)
    t_start = t_start if t_start is not None else 1.0 * mean_arc
    t_end = t_end if t_end is not None else 0.01 * mean_arc
    best, best_cost, _ = _Search(inst, seed).run(start, deadline, max(t_start, 1e-3), max(t_end, 1e-4), clock,
                                                 max_iterations)
    if best_cost < start_cost and feasible(inst, best):
        return best, best_cost
    return start, start_cost
