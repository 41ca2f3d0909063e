"""A rural county network as data: a central kitchen, the village points it supplies, and both legs' people.

Meals travel in two echelons: a van carries each village point's batch from the kitchen in
insulated boxes (the trunk run), then the point's own volunteers walk the door meals the last
stretch (the last-mile round). The core's names carry over so each leg is an ordinary `Problem`:
a door meal is a `Stop` whose `depot` names its village point (the meals leave from there), and a
volunteer is a `Worker` whose `depot` names the point they walk from. The hold limit of an
insulated box is the network's, not the kitchen's (a kitchen's own limit is for its e-bike boxes).

`trunk_problem` and `door_problem` are the legs exactly as the network states them (the points'
own windows, the volunteers' own shifts, no hold at the point): the planner adds its modelling on
top of them and the network checker judges plans against them, so neither trusts the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .location import InvalidProblem, Location
from .precheck import eligible_workers
from .problem import Depot, Problem, Stop, TimeWindow, Worker
from .travel import GeodesicTravel

MEALS = ("meals",)


def meals_of(stop: Stop) -> int:
    """Meals a door stop takes: its one demand, or one when it names none."""
    return int(stop.demand[0]) if stop.demand else 1


@dataclass(frozen=True)
class VillagePoint:
    """A village meal point (a happiness home, a village committee, a shop) supplied by one kitchen.

    `window` is when the batch must reach the point (the van's service start there), `unload` how
    long handing the boxes over takes before a volunteer can set out, `dine_in` how many meals are
    eaten at the point and `seats` how many it can seat (None: not limited). `names` holds the
    point's display names by language, for the demo and the app.
    """

    id: str
    location: Location
    kitchen: str
    window: TimeWindow
    dine_in: int = 0
    seats: int | None = None
    unload: int = 0
    names: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if not self.id:
            raise InvalidProblem("village point needs an id")
        if not isinstance(self.location, Location):
            raise InvalidProblem(f"village point {self.id} needs a location")
        if not isinstance(self.window, TimeWindow):
            raise InvalidProblem(f"village point {self.id} window must be a TimeWindow")
        for name, value in (("dine_in", self.dine_in), ("unload", self.unload)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidProblem(f"village point {self.id} {name} must be a whole number >= 0, got {value!r}")
        if self.seats is not None and self.dine_in > self.seats:
            raise InvalidProblem(f"village point {self.id} seats {self.seats} but {self.dine_in} dine in")
        object.__setattr__(self, "names", dict(self.names))


@dataclass(frozen=True, eq=False)
class NetworkProblem:
    """One window of a county network: what every village point needs and who can carry it there.

    `trunk_workers` are the vans (their `depot` is a kitchen), `volunteers` walk door meals
    (their `depot` is a village point), `door_stops` are the seniors' delivered meals (their
    `depot` is their village point). Every hot meal, dine-in or at the door, must be handed over
    within `insulated_hold_limit` seconds of its van leaving the kitchen. Structure is checked
    here; whether every point is in reach of a van is checked when the trunk leg is built
    (`trunk_problem`), since that needs travel times.
    """

    kitchens: tuple[Depot, ...]
    points: tuple[VillagePoint, ...]
    door_stops: tuple[Stop, ...]
    trunk_workers: tuple[Worker, ...]
    volunteers: tuple[Worker, ...]
    insulated_hold_limit: int
    travel: Any = None
    name: str = ""

    def __post_init__(self):
        for attr in ("kitchens", "points", "door_stops", "trunk_workers", "volunteers"):
            object.__setattr__(self, attr, tuple(getattr(self, attr)))
        if self.travel is None:
            object.__setattr__(self, "travel", GeodesicTravel())
        limit = self.insulated_hold_limit
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidProblem(f"insulated hold limit must be a positive number of seconds, got {limit!r}")
        if not self.kitchens:
            raise InvalidProblem("a network needs a kitchen")
        if not self.points:
            raise InvalidProblem("a network needs at least one village point")
        if not self.trunk_workers:
            raise InvalidProblem("no trunk worker: nobody can carry a batch to a village point")
        for kind, items in (("kitchen", self.kitchens), ("village point", self.points),
                            ("door stop", self.door_stops),
                            ("worker", self.trunk_workers + self.volunteers)):
            ids = [x.id for x in items]
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                raise InvalidProblem(f"duplicate {kind} ids: {dup}")
        kitchens = {k.id: k for k in self.kitchens}
        points = {p.id for p in self.points}
        clash = sorted(points & set(kitchens))
        if clash:
            raise InvalidProblem(f"ids used by both a kitchen and a village point: {clash}")
        for k in self.kitchens:
            if k.location is None:
                raise InvalidProblem(f"kitchen {k.id} needs a location")
        for p in self.points:
            if p.kitchen not in kitchens:
                raise InvalidProblem(f"village point {p.id} is supplied by unknown kitchen {p.kitchen!r}")
        for w in self.trunk_workers:
            if w.depot not in kitchens:
                raise InvalidProblem(f"trunk worker {w.id} must leave from a kitchen, got {w.depot!r}")
        for w in self.volunteers:
            if w.depot not in points:
                raise InvalidProblem(f"volunteer {w.id} walks from unknown village point {w.depot!r}")
        for w in self.trunk_workers + self.volunteers:
            if w.breaks:
                # The hold limit and the volunteers' wait are timed run by run; a break sits between runs.
                raise InvalidProblem(f"worker {w.id}: a trunk run or a round cannot hold a break")
        for s in self.door_stops:
            if s.depot not in points:
                raise InvalidProblem(f"door stop {s.id} names unknown village point {s.depot!r}")
            if len(s.demand) > 1:
                raise InvalidProblem(f"door stop {s.id} must give its meals as one number, got {s.demand}")
            if s.pinned_worker is not None or s.served:
                raise InvalidProblem(f"door stop {s.id}: pinned or served stops are not planned through a network")
        staffed = {w.depot for w in self.volunteers}
        for p in self.points:
            if self.door_of(p.id) and p.id not in staffed:
                raise InvalidProblem(f"village point {p.id} has door meals but no volunteer to walk them")

    # --- lookups --------------------------------------------------------------------------
    def point(self, point_id: str) -> VillagePoint:
        return next(p for p in self.points if p.id == point_id)

    def kitchen(self, kitchen_id: str) -> Depot:
        return next(k for k in self.kitchens if k.id == kitchen_id)

    def door_of(self, point_id: str) -> tuple[Stop, ...]:
        return tuple(s for s in self.door_stops if s.depot == point_id)

    def volunteers_of(self, point_id: str) -> tuple[Worker, ...]:
        return tuple(w for w in self.volunteers if w.depot == point_id)

    def batch_size(self, point_id: str) -> int:
        """Meals the point's batch carries: those eaten there and every door meal."""
        return self.point(point_id).dine_in + sum(meals_of(s) for s in self.door_of(point_id))

    # --- the legs as the network states them -------------------------------------------------
    def trunk_stop(self, point: VillagePoint, window: TimeWindow | None = None) -> Stop:
        """A point as the van sees it: one hot stop whose demand is the whole batch."""
        return Stop(point.id, point.location, demand=(self.batch_size(point.id),), service=point.unload,
                    windows=(window or point.window,), hot_meal=True, depot=point.kitchen, droppable=False)

    def trunk_problem(self, windows: Mapping[str, TimeWindow] | None = None) -> Problem:
        """The trunk leg (`windows` replaces some points' windows); refuses a point no van can reach.

        A point whose batch cannot arrive even on a van going there alone (hold limit, window,
        shift, capacity) is an input error, not an unassigned stop: raised before anything is
        planned, naming the rule.
        """
        windows = windows or {}
        kitchens = tuple(Depot(k.id, k.location, self.insulated_hold_limit) for k in self.kitchens)
        stops = [self.trunk_stop(p, windows.get(p.id)) for p in self.points]
        problem = Problem.build(stops, self.trunk_workers, kitchens, travel=self.travel, dimensions=MEALS)
        if not windows:
            _, reasons = eligible_workers(problem)
            if reasons:
                why = "; ".join(f"village point {problem.stops[i].id} has no kitchen in reach: {reasons[i].message}"
                                for i in sorted(reasons))
                raise InvalidProblem(f"{why} (insulated hold limit {self.insulated_hold_limit // 60} min)")
        return problem

    def door_problem(self, point_id: str) -> Problem:
        """The last-mile leg of one point: its door meals and volunteers, timed from the point."""
        point = self.point(point_id)
        depot = Depot(point.id, point.location)
        return Problem.build(self.door_of(point_id), self.volunteers_of(point_id), (depot,), travel=self.travel,
                             dimensions=MEALS)
