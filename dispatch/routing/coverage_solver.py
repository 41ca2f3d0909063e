"""The OR-Tools half of service circles: home-site assignment and where to open new sites.

Assignment is a min-cost flow, not a greedy loop, so the total travel time is
optimal while no site takes more than its capacity. Every free person sends
one unit to the sink through one of: a site whose circle holds them (cost:
seconds), one of their nearest sites outside any such circle (seconds plus
``OUTSIDE_PENALTY``: the coverage-gap fallback, also used when their circle
sites are full), or straight to the sink (``UNASSIGNED_PENALTY``: no capacity
left anywhere near). The penalties dominate any one trip, so the solver first
keeps people inside circles, then places everyone it can, then minimises
time; the flow is always feasible. Staff overrides are not re-decided: they
keep their site and use up its capacity first.

Being inside a circle is not being covered: a person is **served** only when the
assignment homes them at a site whose circle holds them and that site has room
for them, so no site serves more people than its capacity (``Assignment.served``).
People inside only full circles are gaps as much as those outside every circle.
An override inside its site's circle is served while the site has room, the
quickest to reach first.

Siting is the maximal covering location problem on CP-SAT: choose at most k
candidates to maximise the need-weighted people newly inside a circle.
People with the same set of covering candidates are merged first, which keeps
the model small for tens of thousands of people.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from .circles import CircleSite, Person, Reach, nearest_sites, reachability
from .location import InvalidProblem

OUTSIDE_PENALTY = 10_000_000
UNASSIGNED_PENALTY = 10_000_000_000
MAX_ARC_SECONDS = 1_000_000  # clip far fallbacks so costs stay well inside int64

IN_CIRCLE = "in_circle"
OUTSIDE = "outside"
UNASSIGNED = "unassigned"
FIXED = "fixed"


@dataclass
class Assignment:
    """Per person (in input order): site index or -1, seconds to it, status, whether any circle holds them
    (``covered``), and whether they are served inside a circle by a site with room for them (``served``)."""

    site: np.ndarray
    seconds: np.ndarray
    status: list[str]
    covered: np.ndarray
    load: np.ndarray  # people per site index, overrides included
    reach: Reach
    served: np.ndarray | None = None

    def __post_init__(self):
        if self.served is None:
            self.served = np.array([st == IN_CIRCLE for st in self.status], dtype=bool)

    def served_by_site(self) -> np.ndarray:
        """How many people each site serves inside its circle (never more than its capacity)."""
        rows = self.site[self.served]
        return np.bincount(rows, minlength=self.load.size)

    def cost(self) -> int:
        """The objective the flow minimises (overrides excluded), for comparing with brute force."""
        return objective(self.seconds, self.status)


def objective(seconds: Sequence[int], status: Sequence[str]) -> int:
    total = 0
    for sec, st in zip(seconds, status):
        if st == IN_CIRCLE:
            total += int(min(sec, MAX_ARC_SECONDS))
        elif st == OUTSIDE:
            total += int(min(sec, MAX_ARC_SECONDS)) + OUTSIDE_PENALTY
        elif st == UNASSIGNED:
            total += UNASSIGNED_PENALTY
    return total


def assign(sites: Sequence[CircleSite], people: Sequence[Person], travel: Any = None, *,
           fallback_k: int = 8, reach: Reach | None = None) -> Assignment:
    """Give every person a home site: inside a circle where capacity allows, else the nearest with room."""
    n, m = len(people), len(sites)
    reach = reach if reach is not None else reachability(sites, people, travel)
    covered = reach.covered()
    index_of = {site.id: j for j, site in enumerate(sites)}
    site_out = np.full(n, -1, dtype=np.int64)
    seconds_out = np.zeros(n, dtype=np.int64)
    status = [UNASSIGNED] * n
    load = np.zeros(m, dtype=np.int64)

    fixed = np.array([p.fixed_site is not None and p.fixed_site in index_of for p in people], dtype=bool)
    for i in np.nonzero(fixed)[0]:
        j = index_of[people[i].fixed_site]
        site_out[i], status[i] = j, FIXED
        load[j] += 1
    if fixed.any():
        _fill_fixed_seconds(sites, people, travel, np.nonzero(fixed)[0], site_out, seconds_out, reach)
    remaining = np.maximum(np.array([site.capacity for site in sites], dtype=np.int64) - load, 0)

    capacity = np.array([s.capacity for s in sites], dtype=np.int64)
    fixed_served = _fixed_served(np.nonzero(fixed)[0], site_out, seconds_out, reach, capacity, n)

    free = np.nonzero(~fixed)[0]
    if free.size == 0 or m == 0:
        return Assignment(site_out, seconds_out, status, covered, load, reach,
                          fixed_served | np.array([st == IN_CIRCLE for st in status], dtype=bool))
    node_of = np.full(n, -1, dtype=np.int64)
    node_of[free] = np.arange(free.size) + 1 + m  # 0 = sink, 1..m = sites

    keep = ~fixed[reach.person]
    tails = [node_of[reach.person[keep]]]
    heads = [reach.site[keep] + 1]
    costs = [np.minimum(reach.seconds[keep], MAX_ARC_SECONDS)]
    near_idx, near_sec = nearest_sites(sites, [people[i] for i in free], travel, k=fallback_k)
    if near_idx.size:
        kk = near_idx.shape[1]
        tails.append(np.repeat(node_of[free], kk))
        heads.append(near_idx.ravel() + 1)
        costs.append(np.minimum(near_sec.ravel(), MAX_ARC_SECONDS) + OUTSIDE_PENALTY)
    tails.append(node_of[free])
    heads.append(np.zeros(free.size, dtype=np.int64))
    costs.append(np.full(free.size, UNASSIGNED_PENALTY, dtype=np.int64))
    person_arcs = (np.concatenate(tails), np.concatenate(heads), np.concatenate(costs))

    flow = min_cost_flow.SimpleMinCostFlow()
    t, h, c = person_arcs
    arcs = flow.add_arcs_with_capacity_and_unit_cost(t, h, np.ones(t.size, dtype=np.int64), c.astype(np.int64))
    flow.add_arcs_with_capacity_and_unit_cost(np.arange(1, m + 1), np.zeros(m, dtype=np.int64), remaining,
                                              np.zeros(m, dtype=np.int64))
    supplies = np.zeros(1 + m + free.size, dtype=np.int64)
    supplies[0] = -free.size
    supplies[1 + m:] = 1
    flow.set_nodes_supplies(np.arange(supplies.size), supplies)
    result = flow.solve()
    if result != flow.OPTIMAL:
        raise InvalidProblem(f"assignment flow ended with status {result}")

    used = np.nonzero(flow.flows(arcs) > 0)[0]
    person_of_node = np.full(1 + m + free.size, -1, dtype=np.int64)
    person_of_node[node_of[free]] = free
    for a in used:
        i = person_of_node[t[a]]
        head = int(h[a])
        if head == 0:
            continue
        j = head - 1
        site_out[i] = j
        inside = int(c[a]) < OUTSIDE_PENALTY
        seconds_out[i] = int(c[a]) if inside else int(c[a]) - OUTSIDE_PENALTY
        status[i] = IN_CIRCLE if inside else OUTSIDE
        load[j] += 1
    served = fixed_served | np.array([st == IN_CIRCLE for st in status], dtype=bool)
    return Assignment(site_out, seconds_out, status, covered, load, reach, served)


def _fixed_served(rows, site_out, seconds_out, reach: Reach, capacity: np.ndarray, n: int) -> np.ndarray:
    """Overrides inside their own site's circle, at most ``capacity`` a site, the quickest to reach first."""
    served = np.zeros(n, dtype=bool)
    if len(rows) == 0:
        return served
    pairs = set(zip(reach.person.tolist(), reach.site.tolist()))
    inside = [int(i) for i in rows if (int(i), int(site_out[i])) in pairs]
    taken = np.zeros(capacity.size, dtype=np.int64)
    for i in sorted(inside, key=lambda i: (int(seconds_out[i]), i)):
        j = int(site_out[i])
        if taken[j] < capacity[j]:
            taken[j] += 1
            served[i] = True
    return served


def _fill_fixed_seconds(sites, people, travel, rows, site_out, seconds_out, reach: Reach) -> None:
    """Seconds from each overridden person to their chosen site (for the record; not optimised)."""
    from .circles import block_seconds, geodesic_of, street_provider
    from .location import Location

    streets = street_provider(travel)
    if streets is not None:  # on streets (UNREACHABLE if the override's site cannot be reached at all)
        for i in rows:
            site = sites[site_out[i]]
            seconds_out[i] = streets.seconds(Location(site.lat, site.lon), Location(people[i].lat, people[i].lon),
                                             site.mode)
        return
    geo = geodesic_of(travel)
    for i in rows:
        site = sites[site_out[i]]
        seconds_out[i] = int(block_seconds(geo, site.mode, [site.lat], [site.lon],
                                           [people[i].lat], [people[i].lon])[0, 0])


# Siting ---------------------------------------------------------------------

@dataclass
class Siting:
    """Chosen candidate indices, and the weight and head count they bring inside a circle."""

    chosen: list[int]
    gain_weight: int
    gain_people: int
    optimal: bool
    per_candidate_people: list[int]  # people each chosen candidate reaches that no other chosen one reached first


def choose_sites(candidates: Sequence[CircleSite], people: Sequence[Person], k: int, travel: Any = None, *,
                 time_limit: float = 50.0, workers: int = 2) -> Siting:
    """Pick at most ``k`` candidates maximising the summed weight of ``people`` they bring inside a circle.

    ``people`` should be the ones not covered today; their ``weight`` is their need.
    """
    if k < 0:
        raise InvalidProblem("k must not be negative")
    reach = reachability(candidates, people, travel)
    groups: dict[tuple[int, ...], list[int]] = {}
    if reach.person.size:
        order = np.lexsort((reach.site, reach.person))
        persons, sites_ = reach.person[order], reach.site[order]
        bounds = np.flatnonzero(np.diff(persons)) + 1
        for chunk_p, chunk_s in zip(np.split(persons, bounds), np.split(sites_, bounds)):
            key = tuple(int(s) for s in chunk_s)
            entry = groups.setdefault(key, [0, 0])
            entry[0] += int(people[int(chunk_p[0])].weight)
            entry[1] += 1
    if k == 0 or not groups:
        return Siting([], 0, 0, True, [])

    model = cp_model.CpModel()
    useful = sorted({s for key in groups for s in key})
    x = {j: model.new_bool_var(f"x{j}") for j in useful}
    terms = []
    for g, (key, (weight, _count)) in enumerate(groups.items()):
        if weight == 0:
            continue
        y = model.new_bool_var(f"y{g}")
        model.add_bool_or([x[j] for j in key]).only_enforce_if(y)
        terms.append(weight * y)
    model.add(sum(x.values()) <= k)
    model.maximize(sum(terms))
    for j in _greedy(groups, k):  # a good start; CP-SAT proves or improves it
        model.add_hint(x[j], True)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = max(1, int(workers))
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = _greedy(groups, k)
        optimal = False
    else:
        chosen = sorted(j for j in useful if solver.value(x[j]))
        optimal = status == cp_model.OPTIMAL
    return _siting(chosen, groups, optimal)


def _greedy(groups: dict[tuple[int, ...], list[int]], k: int) -> list[int]:
    chosen: list[int] = []
    left = dict(groups)
    for _ in range(k):
        gain: dict[int, int] = {}
        for key, (weight, _c) in left.items():
            for j in key:
                gain[j] = gain.get(j, 0) + weight
        if not gain:
            break
        best = max(sorted(gain), key=lambda j: gain[j])
        if gain[best] <= 0:
            break
        chosen.append(best)
        left = {key: v for key, v in left.items() if best not in key}
    return sorted(chosen)


def _siting(chosen: list[int], groups, optimal: bool) -> Siting:
    chosen_set = set(chosen)
    weight = people = 0
    first: dict[int, int] = {j: 0 for j in chosen}
    for key, (w, count) in groups.items():
        hit = [j for j in key if j in chosen_set]
        if hit:
            weight += w
            people += count
            first[hit[0]] += count
    return Siting(chosen, weight, people, optimal, [first[j] for j in chosen])


def brute_force_siting(candidates: Sequence[CircleSite], people: Sequence[Person], k: int,
                       travel: Any = None) -> int:
    """The best gain over every set of at most ``k`` candidates (tests and tiny inputs only)."""
    reach = reachability(candidates, people, travel)
    covers: list[set[int]] = [set() for _ in candidates]
    for i, j in zip(reach.person, reach.site):
        covers[int(j)].add(int(i))
    best = 0
    for size in range(min(k, len(candidates)) + 1):
        for combo in itertools.combinations(range(len(candidates)), size):
            hit = set().union(*(covers[j] for j in combo)) if combo else set()
            best = max(best, sum(people[i].weight for i in hit))
    return best
