"""The one ruin-and-recreate search (SISR) of the routing core: site plans and the VRPTW benchmarks.

Why it exists: guided local search in OR-Tools stalls within seconds on Solomon-type
instances (cycling between a handful of local optima) and leaves a poor basin slowly on the
site plans. Slack induction by string removals (Christiaens & Vanden Berghe, Transportation
Science 2020) keeps improving: remove a few nearby strings of stops, put them back greedily
one by one, accept by simulated annealing. It is one implementation for both callers: the
plain VRPTW of the benchmarks is the site model with every option off (identical workers,
one window per stop, every stop must be served).

The site model's rules are options of the same tables (`timing.Timing`): several workers
with their own shifts, modes, skills and capacities, several windows per stop, hot-meal hold
limits, breaks, working-time caps, stops that may stay unassigned at their drop penalty, the
continuity charge, a balance charge and pinned heads of routes. Exact feasibility is decided
as the checker decides it (`timing`); cheap bounds prune the positions first.

The site planner reads the result back into OR-Tools, which must accept it as a solution of
its model with a lower objective, and the checker passes it; the benchmark path checks it with
the checker. So this engine can only ever offer a better plan, never impose a wrong one.

Repeatable plans: with `max_iterations` and no deadline the cooling follows the iteration
count and the random draws come from `seed` alone, so the same problem, start and seed give
the same plan on any machine.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left, bisect_right
from typing import Sequence

from ..anneal import cooling
from .timing import Timing


class Search(Timing):
    """Slack induction by string removals over a `Timing`'s tables (see the module's note)."""

    def cost(self, routes, unassigned) -> int:
        return sum(r.cost for r in routes) + sum(self.penalty[i] for i in unassigned)

    # -- search -----------------------------------------------------------------------------

    def ruin(self, routes, where, out=(), out_share=0.0):
        """Remove strings of stops near a seed stop (SISR); now and then the seed is a senior served by
        someone other than their usual worker, and a string of that worker's route nearest to the senior
        goes too, so the recreate step has room to give the senior back to them. While stops are left
        out, the seed is often one of them: the strings around it are the room it needs."""
        rng, near, pinned, prefers = self.rng, self.near, self.pinned, self.prefers
        served = [i for i in range(self.n) if where[i] >= 0 and not pinned[i]]
        if not served:
            return [], set()
        nonempty = sum(1 for r in routes if len(r.path) > 2)
        avg_len = len(served) / max(1, nonempty)
        ls_max = min(self.max_string, avg_len)
        ks_max = 4 * self.avg_removed / (1 + ls_max) - 1
        ks = int(rng.uniform(1, ks_max + 1))
        seed = served[rng.randrange(len(served))]
        removed, ruined = [], set()
        if out and rng.random() < out_share:
            seed = out[rng.randrange(len(out))]
        elif self.cw and rng.random() < self.continuity_ruin:
            strays = [i for i in served if prefers[i] >= 0 and where[i] != prefers[i]
                      and prefers[i] in self.allowed_set[i]]
            if strays:
                seed = strays[rng.randrange(len(strays))]
                w = prefers[seed]
                body = routes[w].path[routes[w].head:-1]
                if body:
                    t = self.mat[w]
                    closest = min(body, key=lambda i: t[i][seed] + t[seed][i])
                    self._cut(routes, where, w, closest, ls_max, removed)
                    ruined.add(w)
        for c in near[seed]:
            if len(ruined) >= ks:
                break
            v = where[c]
            if v < 0 or v in ruined or pinned[c]:
                continue
            self._cut(routes, where, v, c, ls_max, removed)
            ruined.add(v)
        return removed, ruined

    def _cut(self, routes, where, v, c, ls_max, removed):
        """Remove a string of route v's unpinned stops that contains c."""
        rng = self.rng
        path = routes[v].path
        head = routes[v].head
        body = path[head:-1]
        size = int(rng.uniform(1, min(len(body), ls_max) + 1))
        pos = body.index(c)
        begin = rng.randint(max(0, pos - size + 1), min(pos, len(body) - size))
        gone = body[begin:begin + size]
        removed += gone
        for i in gone:
            where[i] = -1
        routes[v] = self.build(v, path[1:head] + body[:begin] + body[begin + size:])

    def order(self, todo):
        rng = self.rng
        pick = rng.random() * 10
        if pick < 4:
            rng.shuffle(todo)
        elif pick < 6:
            todo.sort(key=lambda c: -sum(self.demand[c]))
        elif pick < 8:
            todo.sort(key=lambda c: self.last_close[c] - self.first_open[c])
        else:
            todo.sort(key=lambda c: -self.mat[0][self.start[0]][c])
        # Higher penalties first: a critical stop must get its place before cheap ones take it;
        # within a penalty, seniors with a usual worker before those who could go to anyone.
        penalty, prefers = self.penalty, self.prefers
        todo.sort(key=lambda c: (-penalty[c], prefers[c] < 0))
        return todo

    def recreate(self, routes, todo, where, threshold: float = math.inf) -> list[int] | None:
        """Insert each stop at its cheapest feasible position; returns the stops that fit nowhere.

        Positions that pass the cheap bounds are ranked by cost first, so the exact check runs
        only until the cheapest feasible one is found. Gives up (None) once the plan cannot end
        below `threshold`: with travel obeying the triangle inequality an insertion never lowers
        the cost, bar a second per stop of rounding.
        """
        running = sum(r.cost for r in routes)
        remaining = len(todo)
        rand = self.rng.random
        svc, prefers, cw, demand, dims = self.svc, self.prefers, self.cw, self.demand, self.dims
        hold, first, exact_v = self.hold, self._first, self.exact
        left = []
        for c in self.order(todo):
            cands = []
            sc, fc, lc, dc, hc = svc[c], self.first_open[c], self.last_close[c], demand[c], hold[c]
            single = len(self.win[c]) == 1
            pc = prefers[c] if cw else -1
            allowed_c = self.allowed[c]
            # The usual worker first: an insertion there that costs less than the continuity
            # charge beats every other route (insertions never shorten a route, bar rounding),
            # so the others need not be scanned at all.
            usual_first = pc >= 0 and pc in self.allowed_set[c]
            if usual_first:
                allowed_c = [pc] + [v for v in allowed_c if v != pc]
            chosen = None
            for v in allowed_c:
                if usual_first and v != pc:
                    # The usual worker's route has been scanned: settle it before the others.
                    usual_first = False
                    found = self._cheapest_feasible(routes, c, cands)
                    if found is not None and found[0] < cw - 1:
                        chosen = found
                        break
                    # Checked already: the final ranking need not check it again.
                    cands = [found[:3] + (False,)] if found is not None else []
                route = routes[v]
                if dims == 1:
                    cap = self.cap[v]
                    if cap is not None and route.load[0] + dc[0] > cap[0]:
                        continue
                elif dims:
                    cap = self.cap[v]
                    if cap is not None and any(route.load[d] + dc[d] > cap[d] for d in range(dims)):
                        continue
                if rand() < 0.02:
                    continue
                path, early, late = route.path, route.early, route.late
                t = self.mat[v]
                tc = t[c]
                extra = cw if pc >= 0 and pc != v else 0
                exact = exact_v[v] or hc is not None or route.limit is not None
                lo = bisect_left(late, fc + sc, route.head)
                hi = min(bisect_right(early, lc) + 1, len(path))
                latest_depart, ride, route_limit = late[0], route.ride, route.limit
                # The time on the road only grows along a route, so the hold limits cut whole
                # runs of positions: a hot stop cannot go where the road alone takes longer, and
                # no stop goes before the last hot meal unless that meal can afford the detour
                # (at least the stop's service, with travel obeying the triangle inequality).
                if hc is not None:
                    hi = min(hi, bisect_right(ride, hc) + 1, bisect_right(early, latest_depart + hc) + 1)
                if route_limit is not None and ride[route.last_hot] + sc > route_limit:
                    lo = max(lo, route.last_hot + 1)
                for j in range(lo, hi):
                    prev, nxt = path[j - 1], path[j]
                    to_c = t[prev][c]
                    start = early[j - 1] + to_c
                    if single:
                        if start > lc:
                            continue
                        if start < fc:
                            start = fc
                    else:
                        start = first(c, start)
                        if start is None:
                            continue
                    if start + sc + tc[nxt] > late[j]:
                        continue
                    if hc is not None and (start - latest_depart > hc or ride[j - 1] + svc[prev] + to_c > hc):
                        continue
                    # Every meal on a route comes from the worker's kitchen: one limit for all.
                    if route_limit is not None and route.last_hot >= j and \
                            ride[route.last_hot] + to_c + sc + tc[nxt] - t[prev][nxt] > route_limit:
                        continue
                    cands.append((to_c + tc[nxt] - t[prev][nxt] + extra, v, j, exact))
            if chosen is None:
                chosen = self._cheapest_feasible(routes, c, cands)
            remaining -= 1
            if chosen is None:
                left.append(c)
                running += self.penalty[c]
            else:
                _, v, j, _ = chosen
                old = routes[v]
                path = old.path
                routes[v] = self.build(v, path[1:j] + [c] + path[j:-1])
                where[c] = v
                running += routes[v].cost - old.cost
            if running - remaining >= threshold:
                return None
        return left

    def _cheapest_feasible(self, routes, c, cands):
        """The cheapest of `cands` (delta, worker, position, needs the exact check) where c keeps its
        route feasible; the exact check runs only down the ranking until one passes."""
        cands.sort()
        for cand in cands:
            _, v, j, exact = cand
            if exact:
                path = routes[v].path
                if self.departure(v, path[1:j] + [c] + path[j:-1]) is None:
                    continue
            return cand
        return None

    def run(self, start: Sequence[Sequence[int]], deadline: float, clock=time.monotonic,
            max_iterations: int | None = None, stall: int | None = None):
        """Anneal from `start` (stop indices per worker) until the deadline, or until `stall`
        iterations in a row found no new best; best routes and cost.

        The annealing threshold is drawn before each ruin, so a recreate that cannot beat it stops
        early; after `restart` of the run without a new best the search goes back to the best plan.
        """
        cur = [self.build(v, list(seq)) for v, seq in enumerate(start)]
        where = [-1] * self.n
        for v, r in enumerate(cur):
            for i in r.path[1:-1]:
                where[i] = v
        cur_out = [i for i in range(self.n) if where[i] < 0 and self.allowed[i]]
        cur_cost = self.cost(cur, cur_out)
        best, best_cost = (cur, where, cur_out), cur_cost
        served = [i for i in range(self.n) if where[i] >= 0]
        mean = sum(self.mat[where[i]][self.start[where[i]]][i] for i in served) / max(1, len(served))
        t_start, t_end = max(1e-3, self.temperatures[0] * mean), max(1e-4, self.temperatures[1] * mean)
        iterations, last_best, best_iteration = 0, 0.0, 0
        fewest_out, out_since = len(cur_out), 0.0
        rand, log = self.rng.random, math.log
        for progress, temp in cooling(deadline, t_start, t_end, clock, max_iterations):
            iterations += 1
            if stall is not None and iterations - best_iteration > stall:
                break
            if self.restart and progress - last_best > self.restart:
                cur, where, cur_out = best
                cur_cost, last_best = best_cost, progress
            threshold = cur_cost - temp * log(rand() or 1e-12)
            routes, w = cur[:], where[:]
            if len(cur_out) < fewest_out:
                fewest_out, out_since = len(cur_out), progress
            out_share = self.out_ruin if progress - out_since < self.out_patience else self.out_ruin / 10
            removed, _ = self.ruin(routes, w, cur_out, out_share)
            out = self.recreate(routes, removed + cur_out, w, threshold)
            if out is None:
                continue
            cost = self.cost(routes, out)
            if cost < threshold:
                cur, where, cur_cost, cur_out = routes, w, cost, out
                if cost < best_cost:
                    best, best_cost, last_best = (cur, where, cur_out), cost, progress
                    best_iteration = iterations
        return [r.path[1:-1] for r in best[0]], best_cost, iterations
