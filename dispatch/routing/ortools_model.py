"""The OR-Tools routing model of a `Problem`: the only module of the route planner that imports OR-Tools.

Every stop is optional with a penalty (a disjunction), so the model always has a
solution — at worst the empty plan — and an over-full day degrades into
unassigned stops with reasons instead of a failure. Stops that must not be
dropped get a penalty larger than any plan's total travel, so they are dropped
only when no feasible plan holds them.

A worker allowed more than one trip (`Worker.trips`) gets optional reload nodes at its
kitchen (see `trips`), free to leave out, that only it may visit: loading takes the kitchen's
`load_time` there, the load dimensions are reset with the slack trick of OR-Tools'
`cvrp_reload` sample (the reload's demand is minus the capacity, its slack up to the
capacity), and the hot-meal clock restarts (`_trip_clock`). A count of loads keeps hot meals
off a trip from home, and a hot meal's trip leaves no earlier than the floor `trips` gives its
load (the kitchen's `ready`, later for its packing rate). Unused reloads are read back as
nothing; used ones become `Route.reloads` and `Route.trip_departs`.
"""

from __future__ import annotations

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from .engine.tables import travel_matrices
from .options import SolveOptions, drop_penalties
from .problem import Problem
from .result import Reason, Route, Solution, Unassigned, Visit
from .trips import departure_floors, reload_places

_FIRST = routing_enums_pb2.FirstSolutionStrategy
_META = routing_enums_pb2.LocalSearchMetaheuristic
STATUS = {0: "not solved", 1: "success", 2: "stopped before a local optimum", 3: "failed",
          4: "time limit before any solution", 5: "invalid model", 6: "infeasible", 7: "optimal"}


class Model:
    """The routing model for one problem, kept together so solutions can be read back."""

    def __init__(self, problem: Problem, options: SolveOptions, allowed: list[list[int]]):
        self.problem = problem
        self.options = options
        self.fair = 0
        p = problem
        n, m = len(p.stops), len(p.workers)
        self.n, self.m = n, m
        starts = [p.start_node(v) for v in range(m)]
        ends = [p.end_node(v) for v in range(m)]
        # The model's nodes: stops, starts and ends as in the problem, then the reload places
        # (the problem's kitchen nodes themselves are never visited).
        self.reloads = reloads = reload_places(p)
        self.first_reload = base = n + 2 * m
        self.manager = manager = pywrapcp.RoutingIndexManager(base + len(reloads), m, starts, ends)
        self.routing = routing = pywrapcp.RoutingModel(manager)
        solver = routing.solver()
        service = [s.service for s in p.stops] + [0] * (2 * m) + [r.load_time for r in reloads]
        node_of = [manager.IndexToNode(i) for i in range(routing.Size())]
        self.node_of = node_of

        # Travel per mode, with open routes' way back made free (each end node has one vehicle);
        # `arcs` is the same per model node (a reload place travels as its kitchen).
        self.travel = travel = travel_matrices(p)
        self.arcs = arcs = travel
        if reloads:
            place = list(range(base)) + [r.kitchen for r in reloads]
            arcs = self.arcs = {mode: t[np.ix_(place, place)] for mode, t in travel.items()}

        # Time transits include the service at the origin (OR-Tools' usual VRPTW form).
        time_cb = {}
        for mode, t in arcs.items():
            rows = (t + [[x] for x in service]).tolist()
            time_cb[mode] = routing.RegisterTransitMatrix(rows)

        # Arc costs: travel, plus the continuity charge for serving someone else's senior.
        prefers = {}
        ids = {w.id for w in p.workers}
        for i, s in enumerate(p.stops):
            if s.previous_worker in ids and options.continuity_weight > 0:
                prefers[i] = s.previous_worker
        referenced = set(prefers.values())
        cost_cb = {}
        for v, w in enumerate(p.workers):
            key = (w.mode, w.id if w.id in referenced else None)
            if key not in cost_cb:
                t = arcs[w.mode]
                if prefers:
                    t = t.copy()
                    for i, who in prefers.items():
                        if who != key[1]:
                            t[:, i] += options.continuity_weight
                cost_cb[key] = routing.RegisterTransitMatrix(t.tolist())
            routing.SetArcCostEvaluatorOfVehicle(cost_cb[key], v)

        horizon = max(p.horizon(), 1) + 1
        self.horizon = horizon
        routing.AddDimensionWithVehicleTransits(
            [time_cb[w.mode] for w in p.workers], horizon, horizon, False, "time")
        self.time = time = routing.GetDimensionOrDie("time")

        for i, s in enumerate(p.stops):
            idx = manager.NodeToIndex(i)
            if s.windows:
                cv = time.CumulVar(idx)
                cv.SetRange(s.windows[0].start, min(s.windows[-1].end, horizon))
                for a, b in zip(s.windows, s.windows[1:]):
                    cv.RemoveInterval(a.end + 1, b.start - 1)
        for v, w in enumerate(p.workers):
            s_idx, e_idx = routing.Start(v), routing.End(v)
            time.CumulVar(s_idx).SetRange(w.shift.start, w.shift.end)
            time.CumulVar(e_idx).SetRange(w.shift.start, w.shift.end)
            if w.max_work is not None:
                time.SetSpanUpperBoundForVehicle(w.max_work, v)
        # Report the earliest schedule, then leave as late as it allows (no idle start).
        for i in range(n):
            routing.AddVariableMinimizedByFinalizer(time.CumulVar(manager.NodeToIndex(i)))
        for v in range(m):
            routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(v)))
            routing.AddVariableMaximizedByFinalizer(time.CumulVar(routing.Start(v)))

        # Capacities, one dimension per kind of load; per trip when the worker reloads.
        for d in range(p.num_dimensions):
            demand = [p.demand(s)[d] for s in p.stops] + [0] * (2 * m)
            caps = [(p.capacity(w) or (None,) * (d + 1))[d] for w in p.workers]
            caps = [c if c is not None else sum(demand) + 1 for c in caps]
            if not reloads:
                cb = routing.RegisterUnaryTransitVector(demand)
                routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load{d}")
                continue
            cb = routing.RegisterUnaryTransitVector(demand + [-caps[r.worker] for r in reloads])
            routing.AddDimensionWithVehicleCapacity(cb, max(caps), caps, True, f"load{d}")
            load = routing.GetDimensionOrDie(f"load{d}")
            for idx in range(routing.Size()):
                if not routing.IsEnd(idx) and node_of[idx] < base:
                    load.SlackVar(idx).SetValue(0)
        self._reload_order(time)

        # Breaks, taken while travelling or waiting but never during a service.
        self.breaks = {}
        visit = [service[n_] for n_ in node_of]
        for v, w in enumerate(p.workers):
            if w.breaks:
                b = w.breaks[0]
                iv = solver.FixedDurationIntervalVar(b.window.start, b.window.end, b.duration, False, f"break {w.id}")
                time.SetBreakIntervalsOfVehicle([iv], v, visit)
                # OR-Tools would let the break fall before departure or after the return,
                # off the clock; a worker's break is part of the working day.
                solver.Add(iv.StartExpr() >= time.CumulVar(routing.Start(v)))
                solver.Add(iv.EndExpr() <= time.CumulVar(routing.End(v)))
                routing.AddIntervalToAssignment(iv)
                self.breaks[v] = iv

        # Hot meals: a twin of the time dimension that starts at zero at the route start;
        # with slacks tied together its cumul is exactly the time since then, waiting
        # at the kitchen included, so the limit holds for the reported departure.
        holds = {}
        for i, s in enumerate(p.stops):
            if s.hot_meal and p.depot(s.depot) is not None and p.depot(s.depot).hold_limit is not None:
                holds[i] = p.depot(s.depot).hold_limit
        floors = departure_floors(p)
        if reloads and (holds or floors):
            self._trip_clock(time_cb, holds, floors)
        elif holds or floors:
            routing.AddDimensionWithVehicleTransits(
                [time_cb[w.mode] for w in p.workers], horizon, horizon, True, "elapsed")
            elapsed = routing.GetDimensionOrDie("elapsed")
            for idx in range(routing.Size()):
                if not routing.IsEnd(idx):
                    solver.Add(elapsed.SlackVar(idx) == time.SlackVar(idx))
            for i, limit in holds.items():
                elapsed.CumulVar(manager.NodeToIndex(i)).SetMax(limit)
            self._ready(elapsed, floors, None)

        # Balanced workloads: a soft cap on each route's working time at the fair share.
        if options.balance_weight > 0 and n:
            # Work = travel + service (a twin dimension whose free slack drops the waiting).
            mean_arc = int(travel[p.workers[0].mode][:n, :n].mean())
            fair = max(1, (sum(service[:n]) + mean_arc * n) // m)
            self.fair = fair
            routing.AddDimensionWithVehicleTransits(
                [time_cb[w.mode] for w in p.workers], horizon, horizon, True, "work")
            work = routing.GetDimensionOrDie("work")
            for v in range(m):
                work.SetCumulVarSoftUpperBound(routing.End(v), fair, options.balance_weight)

        # Who may serve what, and what dropping costs.
        penalties = drop_penalties(p, options)
        for i, s in enumerate(p.stops):
            idx = manager.NodeToIndex(i)
            if not allowed[i]:
                routing.AddDisjunction([idx], 0)
                routing.ActiveVar(idx).SetValue(0)
                continue
            if len(allowed[i]) < m:
                routing.VehicleVar(idx).SetValues([-1] + allowed[i])
            routing.AddDisjunction([idx], penalties[i])

        # Pinned heads of routes (already served or promised stops), in order.
        self.pinned_heads = {}
        for v, w in enumerate(p.workers):
            head = sorted((s.pinned_position, i) for i, s in enumerate(p.stops)
                          if s.pinned_worker == w.id and s.pinned_position is not None and allowed[i])
            self.pinned_heads[v] = [i for _, i in head]

    def _reload_order(self, time):
        """Reload places are free to leave out, their worker's alone, and taken in order.

        Also the count of loads so far ("loads"), when a hot meal needs it: no hot meal on a
        trip from home, and each load's packing floor.
        """
        p, routing, manager, reloads = self.problem, self.routing, self.manager, self.reloads
        solver = routing.solver()
        self.loads = None
        if not reloads:
            return
        index = [manager.NodeToIndex(self.first_reload + j) for j in range(len(reloads))]
        for j, r in enumerate(reloads):
            # Load as late as the stops' times (fixed first) allow: the trip holds its meals least,
            # and `read` reports a time the schedule really has (an unfixed cumul reads as its minimum).
            routing.AddVariableMaximizedByFinalizer(time.CumulVar(index[j]))
            routing.AddDisjunction([index[j]], 0)
            routing.VehicleVar(index[j]).SetValues([-1, r.worker])
            if j and reloads[j - 1].worker == r.worker:
                # Equal places in any order are the same plan: one order keeps the search small.
                solver.Add(routing.ActiveVar(index[j]) <= routing.ActiveVar(index[j - 1]))
                solver.Add(time.CumulVar(index[j - 1]) <= time.CumulVar(index[j]))
        from_home = [v for v in range(self.m) if not p.first_trip_loaded(v)]
        if not from_home and not departure_floors(p):
            return
        counts = [0] * self.first_reload + [1] * len(reloads)
        cb = routing.RegisterUnaryTransitVector(counts)
        routing.AddDimensionWithVehicleCapacity(cb, 0, [w.trips for w in p.workers], False, "loads")
        self.loads = loads = routing.GetDimensionOrDie("loads")
        for v in range(self.m):
            loads.CumulVar(routing.Start(v)).SetValue(1 if p.first_trip_loaded(v) else 0)
        for i, s in enumerate(p.stops):
            if s.hot_meal:
                loads.CumulVar(manager.NodeToIndex(i)).SetMin(1)

    def _trip_clock(self, time_cb, holds: dict[int, int], floors: dict[int, list[int]]):
        """The hot-meal clock ("elapsed") of routes with reloads: the time since the trip left the kitchen.

        As without reloads it is a twin of the time dimension with the slacks tied, from zero at
        the route's start. Out of a reload it restarts: the transit is the travel less `h`
        (more than any cumul), and the reload's slack is tied so that the next cumul is the
        travel plus the time dimension's slack there, i.e. the time since loading ended. So the
        trip leaves when loading ends (`read` reports that), and a wait after it is held time.
        """
        p, routing, manager, time = self.problem, self.routing, self.manager, self.time
        solver = routing.solver()
        base, h = self.first_reload, self.horizon
        service = [s.service for s in p.stops] + [0] * (2 * self.m)
        cbs = {}
        for mode, t in self.arcs.items():
            rows = t.copy()
            rows[:base] += np.asarray(service)[:, None]
            rows[base:] -= h
            cbs[mode] = routing.RegisterTransitMatrix(rows.tolist())
        routing.AddDimensionWithVehicleTransits([cbs[w.mode] for w in p.workers], 2 * h, h, True, "elapsed")
        elapsed = routing.GetDimensionOrDie("elapsed")
        for idx in range(routing.Size()):
            if routing.IsEnd(idx):
                continue
            if self.node_of[idx] < base:
                solver.Add(elapsed.SlackVar(idx) == time.SlackVar(idx))
            else:
                solver.Add(elapsed.SlackVar(idx) + elapsed.CumulVar(idx) == h + time.SlackVar(idx))
        for i, limit in holds.items():
            elapsed.CumulVar(manager.NodeToIndex(i)).SetMax(limit)
        self._ready(elapsed, floors, self.loads)

    def _ready(self, elapsed, floors: dict[int, list[int]], loads):
        """No hot meal's trip leaves before its floor (`trips.departure_floors`): cooking's end,
        or later for the kitchen's packing rate. A meal's trip left at its time less its elapsed."""
        if not floors:
            return
        p, routing, manager, time = self.problem, self.routing, self.manager, self.time
        solver = routing.solver()
        k = max(w.trips for w in p.workers) if loads is not None else 1
        for depot in p.depots:
            if depot.ready is None:
                continue
            table = [0] * k
            for v in range(self.m):
                row = floors.get(v, [0]) if p.workers[v].depot == depot.id else [0]
                table += (row + [row[-1]] * k)[:k]
            constant = all(x == depot.ready for v in range(self.m) if p.workers[v].depot == depot.id
                           for x in table[(v + 1) * k:(v + 2) * k])
            for i, s in enumerate(p.stops):
                if not (s.hot_meal and s.depot == depot.id):
                    continue
                idx = manager.NodeToIndex(i)
                left = time.CumulVar(idx) - elapsed.CumulVar(idx)
                if constant:
                    solver.Add(left >= depot.ready)
                    continue
                slot = (routing.VehicleVar(idx) + 1) * k
                if loads is not None:
                    slot = slot + loads.CumulVar(idx) - 1
                solver.Add(left >= solver.Element(table, slot.Var()))

    def apply_pins(self):
        routing, manager = self.routing, self.manager
        for v, head in self.pinned_heads.items():
            prev = routing.Start(v)
            for i in head:
                idx = manager.NodeToIndex(i)
                routing.NextVar(prev).SetValue(idx)
                prev = idx

    def parameters(self, time_limit: float):
        o = self.options
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = getattr(_FIRST, o.first_solution)
        params.local_search_metaheuristic = getattr(_META, o.metaheuristic)
        params.guided_local_search_lambda_coefficient = o.gls_lambda
        params.disable_scheduling_beware_this_may_degrade_performance = not o.lp_scheduling
        params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
        if o.solution_limit is not None:
            params.solution_limit = o.solution_limit
        for op in o.extra_operators:
            setattr(params.local_search_operators, op, optional_boolean_pb2.BOOL_TRUE)
        for op in o.disabled_operators:
            setattr(params.local_search_operators, op, optional_boolean_pb2.BOOL_FALSE)
        if o.search_text:
            from google.protobuf import text_format

            text_format.Merge(o.search_text, params)
        params.log_search = o.log_search
        return params

    def read(self, assignment, reasons: dict[int, Unassigned], status: str, wall: float) -> Solution:
        p, routing, manager, time = self.problem, self.routing, self.manager, self.time
        routes, placed = [], set()
        for v, w in enumerate(p.workers):
            idx = routing.Start(v)
            depart = assignment.Value(time.CumulVar(idx))
            order = []
            idx = assignment.Value(routing.NextVar(idx))
            while not routing.IsEnd(idx):
                order.append(manager.IndexToNode(idx))
                idx = assignment.Value(routing.NextVar(idx))
            end = assignment.Value(time.CumulVar(idx))
            if self.reloads:
                order = self._useful(order)
            placed.update(i for i in order if i < self.n)
            brk = None
            if v in self.breaks:
                brk = _break_start(assignment, self.breaks[v])
            routes.append(self._route(v, order, depart, end, assignment, brk))
        unassigned = []
        for i, s in enumerate(p.stops):
            if i not in placed:
                unassigned.append(reasons.get(i) or Unassigned(s.id, Reason.NO_ROOM))
        return Solution(p, tuple(routes), tuple(unassigned), assignment.ObjectiveValue(), status, wall)

    def _useful(self, order: list[int]) -> list[int]:
        """The route without reloads that no stop follows (a free visit before the end, or one
        reload straight after another): they load nothing anyone receives."""
        base = self.first_reload
        return [x for j, x in enumerate(order) if x < base or (j + 1 < len(order) and order[j + 1] < base)]

    def _route(self, v, order, depart, end, assignment, brk) -> Route:
        p = self.problem
        w = p.workers[v]
        t = self.arcs[w.mode]
        base = self.first_reload
        trips, reloads, departs = [[]], [], []
        for x in order:
            if x >= base:
                reloads.append(sum(len(trip) for trip in trips))
                trips.append([])
            else:
                trips[-1].append(x)
        totals = [[sum(x) for x in zip(*(p.demand(p.stops[i]) for i in trip))] for trip in trips]
        load = list(totals[0]) if order else []
        visits, prev, leave, travel, trip = [], p.start_node(v), depart, 0, 0
        for i in order:
            if i >= base:
                travel += int(t[prev, i])
                leave = assignment.Value(self.time.CumulVar(self.manager.NodeToIndex(i))) + self.reloads[
                    i - base].load_time
                departs.append(leave)
                trip += 1
                load = list(totals[trip])
                prev = i
                continue
            s = p.stops[i]
            start = assignment.Value(self.time.CumulVar(self.manager.NodeToIndex(i)))
            arrival = min(start, leave + int(t[prev, i]))
            travel += int(t[prev, i])
            visits.append(Visit(s.id, arrival, start, start + s.service, tuple(load), trip))
            load = [a - b for a, b in zip(load, p.demand(s))]
            prev, leave = i, start + s.service
        if order:
            travel += int(t[prev, p.end_node(v)])
        return Route(w.id, tuple(p.stops[i].id for i in order if i < base), depart, tuple(visits),
                     end if order else depart, travel, brk if order else None, tuple(reloads),
                     (depart, *departs) if reloads else ())



    def status(self) -> str:
        return STATUS.get(self.routing.status(), str(self.routing.status()))

    def routes_of(self, assignment) -> list[list[int]]:
        """The routes of `assignment` as OR-Tools indices, one list per worker."""
        routing, routes = self.routing, []
        for v in range(self.m):
            idx, route = assignment.Value(routing.NextVar(routing.Start(v))), []
            while not routing.IsEnd(idx):
                route.append(idx)
                idx = assignment.Value(routing.NextVar(idx))
            routes.append(route)
        return routes


def _break_start(assignment, interval) -> int | None:
    container = assignment.IntervalVarContainer()
    for k in range(container.Size()):
        element = container.Element(k)
        if element.Var().Name() == interval.Name():
            return element.StartValue() if element.PerformedValue() else None
    return None
