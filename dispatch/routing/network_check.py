"""The independent check of a county network's plan: each leg on its own, then the rules between them.

It reads only the network and the plan's routes, batches and unassigned stops, never the
planner's problems or times: each leg is checked by `checker.check` against the leg as the
network states it (`NetworkProblem.trunk_problem` / `door_problem`), and the times the cross-leg
rules need (when each batch is off the van, when each door meal is handed over) are recomputed
from the routes with `checker.walk`. It shares no code with `network_plan`.
"""

from __future__ import annotations

import enum
from dataclasses import replace

from .checker import Kind, Violation, check, walk
from .network import NetworkProblem
from .problem import Problem

# The trunk's own "missing" and "twice" findings are the batch rules below, said once.
_BATCH_RULES = {Kind.MISSING_STOP, Kind.DUPLICATE_STOP}


class NetworkKind(enum.Enum):
    BATCH_MISSING = "village point's batch on no trunk run"
    BATCH_TWICE = "village point's batch on more than one trunk run"
    BATCH_CONTENTS = "batch does not carry exactly its point's meals"
    WRONG_POINT = "door meal walked from another village point"
    ROUND_BEFORE_BATCH = "round sets out before its batch is off the van"


def check_network(network: NetworkProblem, plan) -> list[Violation]:
    """Every broken rule of `plan` (a `NetworkPlan` or anything with its four fields); empty means feasible."""
    out: list[Violation] = []
    trunk = network.trunk_problem()
    out += [_leg("trunk", v) for v in check(trunk, plan.trunk_routes) if v.kind not in _BATCH_RULES]
    ready, departs = _batches_off(trunk, plan.trunk_routes)
    out += _batch_rules(network, plan, ready)

    known = {w.id for w in network.volunteers}
    for r in plan.rounds:
        if r.worker_id not in known:
            out.append(Violation(Kind.UNKNOWN_WORKER, f"round of {r.worker_id!r}, who is no village point's "
                                 f"volunteer", r.worker_id))
    walked_from = {sid: network_point for r in plan.rounds if r.worker_id in known
                   for network_point in [_point_of(network, r.worker_id)] for sid in r.stops}
    for p in network.points:
        volunteers = {w.id for w in network.volunteers_of(p.id)}
        if not volunteers:
            continue
        mine = {s.id for s in network.door_of(p.id)}
        rounds = []
        for r in plan.rounds:
            if r.worker_id not in volunteers:
                continue
            for sid in r.stops:
                if sid not in mine:
                    out.append(Violation(NetworkKind.WRONG_POINT, f"{r.worker_id} walks {sid} from {p.id}, but "
                                         f"{sid} is not one of {p.id}'s meals", r.worker_id, sid))
            rounds.append(replace(r, stops=tuple(s for s in r.stops if s in mine), visits=()))
        if not mine:
            continue
        # A meal walked from the wrong point is that rule's finding, not also "missing" here.
        elsewhere = [_Dropped(sid) for sid in mine if walked_from.get(sid, p.id) != p.id]
        unassigned = [u for u in plan.unassigned if u.stop_id in mine] + elsewhere
        leg = network.door_problem(p.id)
        out += [_leg(p.id, v) for v in check(leg, rounds, unassigned)]
        out += _round_rules(network, leg, p.id, rounds, ready.get(p.id), departs.get(p.id))
    return out


def _point_of(network: NetworkProblem, worker_id: str) -> str:
    return next(w.depot for w in network.volunteers if w.id == worker_id)


class _Dropped:
    """A meal another rule already accounts for, handed to a leg's check as if reported unassigned."""

    def __init__(self, stop_id: str):
        self.stop_id = stop_id


def _leg(leg: str, v: Violation) -> Violation:
    return Violation(v.kind, f"{leg}: {v.message}", v.worker_id, v.stop_id)


def _batches_off(trunk: Problem, routes) -> tuple[dict[str, int], dict[str, int]]:
    """Per point, when its batch is off the van (service start + unload) and when that van left the kitchen."""
    index = {s.id: i for i, s in enumerate(trunk.stops)}
    workers = {w.id: v for v, w in enumerate(trunk.workers)}
    ready, departs = {}, {}
    for r in routes:
        if r.worker_id not in workers:
            continue
        nodes = [index[s] for s in r.stops if s in index]
        if not nodes:
            continue
        starts, _, _, _ = walk(trunk, workers[r.worker_id], nodes, int(r.depart), None)
        for node, start in zip(nodes, starts):
            sid = trunk.stops[node].id
            if sid not in ready:  # a batch carried twice is timed by its first van
                ready[sid] = start + trunk.stops[node].service
                departs[sid] = int(r.depart)
    return ready, departs


def _batch_rules(network: NetworkProblem, plan, ready) -> list[Violation]:
    out = []
    carriers: dict[str, list[str]] = {}
    for r in plan.trunk_routes:
        for sid in r.stops:
            carriers.setdefault(sid, []).append(r.worker_id)
    batches = {}
    for b in plan.batches:
        batches.setdefault(b.point_id, []).append(b)
    for p in network.points:
        vans = carriers.get(p.id, [])
        if not vans:
            out.append(Violation(NetworkKind.BATCH_MISSING, f"no van carries {p.id}'s batch", stop_id=p.id))
        elif len(vans) > 1:
            out.append(Violation(NetworkKind.BATCH_TWICE, f"{p.id}'s batch is on the runs of {', '.join(vans)}",
                                 stop_id=p.id))
        if not vans:
            continue
        mine = batches.get(p.id, [])
        want = sorted(s.id for s in network.door_of(p.id))
        if len(mine) != 1:
            out.append(Violation(NetworkKind.BATCH_CONTENTS, f"{len(mine)} batches listed for {p.id}", stop_id=p.id))
            continue
        b = mine[0]
        if b.worker_id not in vans:
            out.append(Violation(NetworkKind.BATCH_CONTENTS, f"{p.id}'s batch is listed on {b.worker_id} but "
                                 f"rides with {vans[0]}", b.worker_id, p.id))
        if b.dine_in != p.dine_in or sorted(b.door_meals) != want:
            lost = sorted(set(want) - set(b.door_meals))
            extra = sorted(set(b.door_meals) - set(want))
            out.append(Violation(NetworkKind.BATCH_CONTENTS,
                                 f"{p.id}'s batch carries {b.dine_in} dine-in of {p.dine_in}"
                                 + (f", lacks {lost}" if lost else "") + (f", has others' {extra}" if extra else ""),
                                 b.worker_id, p.id))
    return out


def _round_rules(network: NetworkProblem, leg: Problem, point_id: str, rounds, ready: int | None,
                 depart: int | None) -> list[Violation]:
    out = []
    index = {s.id: i for i, s in enumerate(leg.stops)}
    workers = {w.id: v for v, w in enumerate(leg.workers)}
    limit = network.insulated_hold_limit
    for r in rounds:
        nodes = [index[s] for s in r.stops if s in index]
        if not nodes or r.worker_id not in workers:
            continue
        if ready is None:
            out.append(Violation(NetworkKind.ROUND_BEFORE_BATCH, f"{r.worker_id} walks {point_id}'s meals but no "
                                 f"van brings its batch", r.worker_id))
            continue
        if r.depart < ready:
            out.append(Violation(NetworkKind.ROUND_BEFORE_BATCH, f"{r.worker_id} sets out at {r.depart}, before "
                                 f"{point_id}'s batch is off the van at {ready}", r.worker_id))
        starts, _, _, _ = walk(leg, workers[r.worker_id], nodes, int(r.depart), None)
        for node, start in zip(nodes, starts):
            s = leg.stops[node]
            if s.hot_meal and start - depart > limit:
                out.append(Violation(Kind.HOLD_LIMIT, f"{s.id} handed over {start - depart} s after its van left "
                                     f"the kitchen (insulated limit {limit} s)", r.worker_id, s.id))
    return out
