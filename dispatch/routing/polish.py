"""Ruin-and-recreate improvement of plain VRPTW routes (SISR), in pure Python.

Why it exists: on Solomon-type instances OR-Tools' guided local search stalls
within seconds, cycling between a handful of local optima (its search log shows
the same three costs over and over), so extra time buys almost nothing. Slack
induction by string removals (Christiaens & Vanden Berghe, Transportation
Science 2020) keeps improving: remove a few geographically close strings of
customers, put them back greedily one by one, accept by simulated annealing.
Each iteration is a few hundred constant-time insertion checks (forward
earliest starts and backward latest starts per route), cheap enough in plain
Python to run thousands of times in a few seconds.

It handles only the plain shape: one depot, identical vehicles with one
capacity, one time window per customer, every customer served. The result is
re-checked from scratch (`feasible`) before it is returned, and the start
solution is returned whenever nothing better and valid was found.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Sequence


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


class _Search:
    def __init__(self, inst: Vrptw, seed: int, close: int = 0):
        self.inst = inst
        self.rng = random.Random(seed)
        n = inst.customers
        d = inst.dist
        # Neighbours of each customer by distance, for picking strings close to a seed.
        self.dto = [list(col) for col in zip(*d)]
        self.near = [[]] + [sorted(range(1, n + 1), key=lambda j, i=i: d[i][j]) for i in range(1, n + 1)]
        # With `close` > 0, a removed customer is offered only to the routes of its `close` nearest.
        self.close = [[]] + [self.near[i][1:close + 1] for i in range(1, n + 1)] if close else None
        self.avg_removed = 10
        self.max_string = 10

    def schedule(self, route):
        """Per arc of the route (depots included): its tail, head, length, the earliest
        departure from the tail and the latest feasible start at the head."""
        inst, d, s = self.inst, self.inst.dist, self.inst.service
        ready, due = inst.ready, inst.due
        path = [0, *route, 0]
        k = len(path)
        depart = [0] * (k - 1)
        t = ready[0]
        for j in range(k - 1):
            a = path[j]
            if j:
                t = max(t, ready[a])
            depart[j] = t + s[a]
            t = depart[j] + d[a][path[j + 1]]
        late = [0] * k
        late[-1] = due[0]
        for j in range(k - 2, -1, -1):
            a, b = path[j], path[j + 1]
            t = late[j + 1] - d[a][b] - s[a]
            late[j] = t if t < due[a] else due[a]
        arcs = [d[a][b] for a, b in zip(path, path[1:])]
        return tuple(zip(path, path[1:], arcs, depart, late[1:]))

    def ruin(self, routes, where):
        rng, near = self.rng, self.near
        nonempty = sum(1 for r in routes if r)
        avg_len = self.inst.customers / max(1, nonempty)
        ls_max = min(self.max_string, avg_len)
        ks_max = 4 * self.avg_removed / (1 + ls_max) - 1
        ks = int(rng.uniform(1, ks_max + 1))
        seed = rng.randint(1, self.inst.customers)
        removed, ruined = [], set()
        for c in near[seed]:
            if len(ruined) >= ks:
                break
            r = where[c]
            if r in ruined:
                continue
            route = routes[r]
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
            routes[r] = kept
            ruined.add(r)
        return removed, ruined

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

    def recreate(self, routes, sched, loads, removed, where) -> set[int] | None:
        inst, d, s = self.inst, self.inst.dist, self.inst.service
        near = self.close
        pending = set(removed)
        ready, due, q, cap = inst.ready, inst.due, inst.demand, inst.capacity
        rng = self.rng
        touched = set()
        for c in self.order(removed):
            pending.discard(c)
            best, best_r, best_j = math.inf, -1, -1
            qc, sc, rc, dc, dcol, dto_c = q[c], s[c], ready[c], due[c], d[c], self.dto[c]
            # Only routes through one of c's nearest customers can plausibly take it best;
            # all routes are tried when none of those can.
            pools = [range(len(routes))]
            if near:
                pools.insert(0, {where[x] for x in near[c] if x not in pending})
            for pool in pools:
                for r in pool:
                    route = routes[r]
                    if not route or loads[r] + qc > cap:
                        continue
                    # Blinks: now and then skip a route, so equal-cost choices vary.
                    if rng.random() < 0.02:
                        continue
                    for j, (prev, nxt, arc, depart, late) in enumerate(sched[r], 1):
                        to_c = dto_c[prev]
                        delta = to_c + dcol[nxt] - arc
                        if delta < best:
                            t = depart + to_c
                            if t < rc:
                                t = rc
                            if t <= dc and t + sc + dcol[nxt] <= late:
                                best, best_r, best_j = delta, r, j
                if best_r >= 0:
                    break
            if sum(1 for r in routes if r) < inst.vehicles:
                delta = d[0][c] + dcol[0]
                t = max(ready[0] + d[0][c], rc)
                if delta < best and t <= dc and t + sc + dcol[0] <= due[0] and qc <= cap:
                    best_r = next((k for k, r in enumerate(routes) if not r), None)
                    if best_r is None:
                        routes.append([])
                        sched.append(None)
                        loads.append(0)
                        best_r = len(routes) - 1
                    best, best_j = delta, 1
            if best_r < 0:
                return None
            route = routes[best_r]
            routes[best_r] = route = route[:best_j - 1] + [c] + route[best_j - 1:]
            sched[best_r] = self.schedule(route)
            loads[best_r] += qc
            where[c] = best_r
            touched.add(best_r)
        return touched

    def run(self, start: list[list[int]], deadline: float, t_start: float, t_end: float, clock=time.monotonic):
        inst = self.inst
        cur = [list(r) for r in start if r]
        cur_sched = [self.schedule(r) for r in cur]
        cur_loads = [sum(inst.demand[c] for c in r) for r in cur]
        cur_costs = [route_cost(inst, r) for r in cur]
        cur_cost = sum(cur_costs)
        best, best_cost = [r[:] for r in cur], cur_cost
        began = clock()
        span = max(1e-3, deadline - began)
        iterations = 0
        while True:
            now = clock()
            if now >= deadline:
                break
            iterations += 1
            temp = t_start * (t_end / t_start) ** ((now - began) / span)
            routes, sched, loads, costs = cur[:], cur_sched[:], cur_loads[:], cur_costs[:]
            where = {}
            for r, route in enumerate(routes):
                for c in route:
                    where[c] = r
            removed, ruined = self.ruin(routes, where)
            for r in ruined:
                sched[r] = self.schedule(routes[r])
                loads[r] = sum(inst.demand[c] for c in routes[r])
            touched = self.recreate(routes, sched, loads, removed, where)
            if touched is None:
                continue
            changed = touched | ruined
            while len(costs) < len(routes):
                costs.append(0)
            for r in changed:
                costs[r] = route_cost(inst, routes[r])
            cost = sum(costs)
            if cost < cur_cost - temp * math.log(self.rng.random() or 1e-12):
                keep = [r for r in range(len(routes)) if routes[r]]
                cur = [routes[r] for r in keep]
                cur_sched = [sched[r] for r in keep]
                cur_loads = [loads[r] for r in keep]
                cur_costs = [costs[r] for r in keep]
                cur_cost = cost
                if cost < best_cost:
                    best, best_cost = [r[:] for r in cur], cost
        return best, best_cost, iterations


def improve(inst: Vrptw, routes: Sequence[Sequence[int]], deadline: float, seed: int = 0,
            t_start: float | None = None, t_end: float | None = None) -> tuple[list[list[int]], int]:
    """Improve feasible `routes` until `deadline` (time.monotonic()); never returns a worse or invalid plan."""
    start = [list(r) for r in routes if r]
    start_cost = sum(route_cost(inst, r) for r in start)
    if not feasible(inst, start) or time.monotonic() >= deadline:
        return start, start_cost
    # Temperatures in the instance's own units: a fraction of an average arc.
    n = inst.customers
    mean_arc = sum(inst.dist[0][c] for c in range(1, n + 1)) / max(1, n)
    t_start = t_start if t_start is not None else 1.0 * mean_arc
    t_end = t_end if t_end is not None else 0.01 * mean_arc
    best, best_cost, _ = _Search(inst, seed).run(start, deadline, max(t_start, 1e-3), max(t_end, 1e-4))
    if best_cost < start_cost and feasible(inst, best):
        return best, best_cost
    return start, start_cost
