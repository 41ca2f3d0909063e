"""Ruin-and-recreate improvement of a site's plan, with every side rule of the site model.

Why it exists: guided local search in OR-Tools leaves a poor basin slowly on the
site plans (the demo district's largest meal runs stayed at their first local
optimum for a 6 s solve, and a 10 s solve of a 220-stop site ended 2-5 % above a
120 s one). `benchmarks/polish.py` showed on the Solomon instances that slack induction by
string removals (SISR) keeps improving where guided search stalls; this is the
same search on the site model: several workers with their own shifts, modes,
skills and capacities, hot-meal hold limits, breaks, working-time caps, stops
that may stay unassigned at their drop penalty, and the continuity charge.

Feasibility of a route is decided exactly as the independent checker decides
it: when every stop has one window, the latest departure that keeps every
window (a backward pass) is the best one for every other rule, because leaving
later never lengthens the time on the road, so one forward pass from there
settles hold limits and working time; a worker's break is tried on each leg in
turn. Stops with several windows add the latest departures before each jump to
a later window (`_departure_any`).
Cheap necessary conditions (earliest departures and latest starts per position,
both non-decreasing along a route) prune the positions first.

The caller reads the result back into OR-Tools, which must accept it as a
solution of its model with a lower objective, and the checker passes it, so
this module can only ever offer a better plan, never impose a wrong one.
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect_left, bisect_right
from typing import Sequence

from .anneal import cooling
from .problem import Problem

_NO_WINDOW = ((-(1 << 60), 1 << 60),)


class _Route:
    """One worker's stops with the depot nodes at both ends, and per position the earliest leave
    time (from the shift start) and the latest start (back from the shift end), break and hold
    limits ignored: bounds that prune insertion positions before an exact check."""

    __slots__ = ("v", "path", "early", "late", "load", "cost", "ride", "last_hot", "limit", "head")


class PlanPolish:
    """The search state for one problem: plain lists of the problem's numbers, so that the inner
    loops index lists instead of numpy arrays or dataclasses (several times faster in CPython)."""

    def __init__(self, problem: Problem, travel: dict, allowed: Sequence[Sequence[int]], penalties: Sequence[int],
                 continuity_weight: int, seed: int = 0, balance: tuple[int, int] | None = None):
        p = problem
        self.p = p
        self.n, self.m = n, m = len(p.stops), len(p.workers)
        self.rng = random.Random(seed)
        self.mat = [travel[w.mode].tolist() if hasattr(travel[w.mode], "tolist") else travel[w.mode]
                    for w in p.workers]
        # Share the list-of-lists between workers of the same mode.
        by_mode = {}
        for v, w in enumerate(p.workers):
            self.mat[v] = by_mode.setdefault(w.mode, self.mat[v])
        self.svc = [s.service for s in p.stops] + [0] * (2 * m)
        self.win = [tuple((w.start, w.end) for w in s.windows) or _NO_WINDOW for s in p.stops]
        self.first_open = [w[0][0] for w in self.win]
        self.single = [len(w) == 1 for w in self.win]
        self.last_close = [w[-1][1] for w in self.win]
        self.demand = [tuple(p.demand(s)) for s in p.stops]
        self.dims = p.num_dimensions
        self.cap = []
        for w in p.workers:
            cap = p.capacity(w)
            self.cap.append(tuple(c if c is not None else 1 << 60 for c in cap) if cap else None)
        self.hold = []
        for s in p.stops:
            d = p.depot(s.depot) if s.hot_meal else None
            self.hold.append(d.hold_limit if d is not None else None)
        self.shift = [(w.shift.start, w.shift.end) for w in p.workers]
        self.max_work = [w.max_work for w in p.workers]
        self.brk = [(w.breaks[0].window.start, w.breaks[0].window.end, w.breaks[0].duration) if w.breaks else None
                    for w in p.workers]
        self.start = [p.start_node(v) for v in range(m)]
        self.end = [p.end_node(v) for v in range(m)]
        self.allowed = [list(a) for a in allowed]
        self.allowed_set = [set(a) for a in allowed]
        # Share of ruins seeded at a senior served by someone other than their usual worker.
        self.continuity_ruin = 0.3
        # Share of ruins seeded at a stop left out, while some are; after this much of the run
        # without serving one more (they may fit nowhere), a tenth of that.
        self.out_ruin, self.out_patience = 0.6, 0.6
        self.penalty = list(penalties)
        # What serving stop i costs on worker v beyond travel: the continuity charge.
        ids = {w.id: v for v, w in enumerate(p.workers)}
        self.prefers = [ids.get(s.previous_worker, -1) if continuity_weight > 0 else -1 for s in p.stops]
        self.cw = continuity_weight
        self.balance = balance
        # Heads of routes that must stay where they are (served or promised stops).
        self.pinned = [s.pinned_position is not None for s in p.stops]
        self.exact = [self.brk[v] is not None or self.max_work[v] is not None for v in range(m)]
        mat0 = self.mat[0]
        # Related stops (Shaw): near in space and in time, so that a ruin around an afternoon
        # visit frees the other carers' visits of that hour, which a swap between them needs.
        # A second between window openings counts as 0.3 s of travel (0.3 beat 1 and 3 on the
        # generated site; tests/bench/RESULTS.md).
        fo, time_weight = [min(self.first_open[i], 1 << 40) for i in range(n)], 0.3
        self.near = [sorted(range(n), key=lambda j, i=i: mat0[i][j] + mat0[j][i]
                            + time_weight * abs(fo[i] - fo[j])) for i in range(n)]
        self.avg_removed = max(2, min(10, n // 4))
        # Simulated annealing from/to these fractions of the mean trip from the start to a stop.
        self.temperatures = (1.0, 0.01)
        # Back to the best plan after this share of the run without a new best (0: never).
        self.restart = 0.05
        self.max_string = 10

    # -- exact feasibility ------------------------------------------------------------------

    def _latest(self, i: int, x: int):
        w = self.win[i]
        if len(w) == 1:
            a, b = w[0]
            return None if x < a else (x if x < b else b)
        for a, b in reversed(w):
            if a <= x:
                return x if x < b else b
        return None

    def _first(self, i: int, arrival: int):
        w = self.win[i]
        if len(w) == 1:
            a, b = w[0]
            return None if arrival > b else (arrival if arrival > a else a)
        for a, b in w:
            if arrival <= b:
                return arrival if arrival > a else a
        return None

    def departure(self, v: int, seq: Sequence[int]):
        """(departure, break leg or None) of a schedule that keeps every rule, or None if none does."""
        if not seq:
            return self.shift[v][0], None
        leaves = [] if self.brk[v] is not None else None
        d = self._depart(v, seq, None, leaves)
        found = None
        if leaves is None or d is None:
            # Without its break a route is only easier: failing here fails every placement.
            found = None if d is None else (d, None)
        else:
            # Legs the worker starts near the break window's opening first: usually the one that fits.
            ba = self.brk[v][0]
            for leg in sorted(range(len(seq) + 1), key=lambda leg: abs(leaves[leg] - ba)):
                d = self._depart(v, seq, leg)
                if d is not None:
                    found = d, leg
                    break
        if found is None and not all(self.single[i] for i in seq):
            return self._departure_any(v, seq)
        return found

    def _departure_any(self, v: int, seq: Sequence[int]):
        """`departure` for a route with a stop of several windows, where the latest departure is not
        always the best: leaving later can miss a window's close and wait for the next one, which
        lengthens the working time and the hold of hot meals.

        Between two such jumps, working time and hold times only shrink as the departure gets later,
        so the best departures are the latest ones before each jump: for every stop and window, the
        latest departure that starts the stop by the window's close (and for a break, by its close).
        """
        nodes = [self.start[v], *seq, self.end[v]]
        k = len(seq)
        s0, s1 = self.shift[v]
        svc, win = self.svc, self.win
        windows = [(k + 1, s1)] + [(p, b) for p in range(1, k + 1) for _, b in win[nodes[p]]]
        for leg in [None] if self.brk[v] is None else range(k + 1):
            cutoffs = windows
            if leg is not None:
                bb = self.brk[v][1]
                cutoffs = windows + [(0, bb) if leg == 0 else (leg, bb - svc[nodes[leg]])]
            departures = {s0}
            for upto, late in cutoffs:
                d = late if upto == 0 else self._backward(v, nodes, leg, upto, late)
                if d is not None and d >= s0:
                    departures.add(d)
            for d in sorted(departures, reverse=True):
                if self._forward(v, nodes, d, leg):
                    return d, leg
        return None

    def _depart(self, v: int, seq: Sequence[int], leg, leaves: list | None = None):
        """The latest departure that keeps every window, if the route keeps every rule from there."""
        s0, s1 = self.shift[v]
        nodes = [self.start[v], *seq, self.end[v]]
        depart = self._backward(v, nodes, leg, len(nodes) - 1, s1)
        if depart is None or depart < s0:
            return None
        # Forward from the latest departure: the best case for hold limits and working time.
        return depart if self._forward(v, nodes, depart, leg, leaves) else None

    def _backward(self, v: int, nodes, leg, upto: int, late: int):
        """The latest departure that starts the node at position `upto` by `late` (the end node: arrives
        by `late`), keeping every window before it; None if there is none."""
        t, svc, single, win = self.mat[v], self.svc, self.single, self.win
        if upto < len(nodes) - 1:
            late = self._latest(nodes[upto], late)
            if late is None:
                return None
        brk = self.brk[v]
        for pos in range(upto - 1, -1, -1):
            a, b = nodes[pos], nodes[pos + 1]
            if pos == leg:
                ba, bb, bd = brk
                if ba + bd > late:
                    return None
                leave = late - t[a][b] - bd
                if leave > bb:
                    leave = bb
            else:
                leave = late - t[a][b]
            if pos == 0:
                return leave
            x = leave - svc[a]
            if single[a]:
                wa, wb = win[a][0]
                if x < wa:
                    return None
                late = x if x < wb else wb
            else:
                late = self._latest(a, x)
                if late is None:
                    return None
        return late

    def _forward(self, v: int, nodes, depart: int, leg, leaves: list | None = None) -> bool:
        """Whether leaving at `depart`, with the break on leg `leg`, keeps every rule (as the checker);
        `leaves` collects the time the worker leaves each node."""
        t, svc, hold, limit, single, win = self.mat[v], self.svc, self.hold, self.max_work[v], self.single, self.win
        s1 = self.shift[v][1]
        clock, k = depart, len(nodes) - 2
        for pos in range(k + 1):
            a, b = nodes[pos], nodes[pos + 1]
            if leaves is not None:
                leaves.append(clock)
            arrival = clock + t[a][b]
            if pos == leg:
                ba, bb, bd = self.brk[v]
                begin = clock if clock > ba else ba
                if begin > bb:
                    return False
                arrival = max(arrival + bd, begin + bd)
            if pos == k:
                return arrival <= s1 and (limit is None or arrival - depart <= limit)
            if single[b]:
                wa, wb = win[b][0]
                if arrival > wb:
                    return False
                start = arrival if arrival > wa else wa
            else:
                start = self._first(b, arrival)
                if start is None:
                    return False
            h = hold[b]
            if h is not None and start - depart > h:
                return False
            clock = start + svc[b]
        return False

    # -- routes -----------------------------------------------------------------------------

    def build(self, v: int, seq: Sequence[int]) -> _Route:
        t, svc, first_open, last_close, single = self.mat[v], self.svc, self.first_open, self.last_close, self.single
        s0, s1 = self.shift[v]
        path = [self.start[v], *seq, self.end[v]]
        k = len(path)
        # Forward: earliest leave time per position from the shift start, and the time on the road
        # (waiting left out): a lower bound on how long a hot meal there has been held.
        early, ride = [s0] * (k - 1), [0] * (k - 1)
        clock, road, travel, prev = s0, 0, 0, path[0]
        for j in range(1, k - 1):
            a = path[j]
            arc = t[prev][a]
            travel += arc
            road += svc[prev] + arc
            ride[j] = road
            clock += arc
            if single[a]:
                if clock < first_open[a]:
                    clock = first_open[a]
            else:
                f = self._first(a, clock)
                clock = f if f is not None else clock
            clock += svc[a]
            early[j] = clock
            prev = a
        travel += t[prev][path[-1]]
        # Backward: the latest start per position that lets the rest keep its windows and the shift.
        late = [s1] * k
        x = s1
        for j in range(k - 2, 0, -1):
            a = path[j]
            x = x - t[a][path[j + 1]] - svc[a]
            if single[a]:
                if x > last_close[a]:
                    x = last_close[a]
                elif x < first_open[a]:
                    x = -(1 << 60)
            else:
                y = self._latest(a, x)
                x = y if y is not None else -(1 << 60)
            late[j] = x
        late[0] = x - t[path[0]][path[1]]
        r = _Route.__new__(_Route)
        r.v, r.path, r.early, r.late, r.ride = v, path, early, late, ride
        demand = self.demand
        if self.dims == 1:
            r.load = [sum([demand[i][0] for i in seq])]
        else:
            r.load = [sum([demand[i][d] for i in seq]) for d in range(self.dims)]
        cost = travel
        if self.cw:
            prefers = self.prefers
            cost += self.cw * sum([1 for i in seq if prefers[i] >= 0 and prefers[i] != v])
        if self.balance and seq:
            fair, weight = self.balance
            work = travel + sum(svc[i] for i in seq)
            if work > fair:
                cost += weight * (work - fair)
        r.cost = cost
        r.last_hot, r.limit = 0, None
        hold = self.hold
        for j in range(k - 2, 0, -1):
            if hold[path[j]] is not None:
                r.last_hot, r.limit = j, hold[path[j]]
                break
        head = 1
        while head < k - 1 and self.pinned[path[head]]:
            head += 1
        r.head = head
        return r

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
