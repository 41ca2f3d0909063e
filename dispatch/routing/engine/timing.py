"""The engine's tables and its exact timing rule: what a route may be, decided as the checker decides it.

Feasibility of a route is decided exactly as the independent checker decides
it: when every stop has one window, the latest departure that keeps every
window (a backward pass) is the best one for every other rule, because leaving
later never lengthens the time on the road, so one forward pass from there
settles hold limits and working time; a worker's break is tried on each leg in
turn. Stops with several windows add the latest departures before each jump to
a later window (`_departure_any`).
Cheap necessary conditions (earliest departures and latest starts per position,
both non-decreasing along a route, kept by `build`) prune the positions first.
"""

from __future__ import annotations

import random
from typing import Sequence

from ..problem import Problem

_NO_WINDOW = ((-(1 << 60), 1 << 60),)


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


class Route:
    """One worker's stops with the depot nodes at both ends, and per position the earliest leave
    time (from the shift start) and the latest start (back from the shift end), break and hold
    limits ignored: bounds that prune insertion positions before an exact check."""

    __slots__ = ("v", "path", "early", "late", "load", "cost", "ride", "last_hot", "limit", "head")


class Timing:
    """The search's tables for one problem: plain lists of the problem's numbers, so that the inner
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

    def build(self, v: int, seq: Sequence[int]) -> Route:
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
        r = Route.__new__(Route)
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
