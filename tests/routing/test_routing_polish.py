"""The ruin-and-recreate polisher: it only ever hands back complete, feasible plans that are no worse."""

import random
import time

import pytest

from dispatch.routing.benchmarks.polish import Vrptw, feasible, improve, route_cost


def random_instance(n: int, seed: int, *, vehicles: int | None = None, capacity: int = 60, width: int = 300) -> Vrptw:
    """Customers on a 100 x 100 grid, Euclidean distances in tenths, windows wide enough to serve each alone."""
    rng = random.Random(seed)
    pts = [(50, 50)] + [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(n)]
    dist = [[int(10 * ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5) for bx, by in pts] for ax, ay in pts]
    horizon = 10_000
    ready, due = [0], [horizon]
    for c in range(1, n + 1):
        lo = dist[0][c] + rng.randint(0, 3000)
        ready.append(lo)
        due.append(lo + width)
    service = [0] + [100] * n
    demand = [0] + [rng.randint(1, 20) for _ in range(n)]
    return Vrptw(dist, ready, due, service, demand, capacity, vehicles or n)


def one_each(inst: Vrptw) -> list[list[int]]:
    return [[c] for c in range(1, inst.customers + 1)]


def test_feasible_catches_each_broken_rule():
    inst = random_instance(6, seed=1)
    good = one_each(inst)
    assert feasible(inst, good)
    assert not feasible(inst, good[:-1])  # a customer missing
    assert not feasible(inst, good + [[1]])  # a customer twice
    few = Vrptw(inst.dist, inst.ready, inst.due, inst.service, inst.demand, inst.capacity, vehicles=5)
    assert not feasible(few, good)  # six routes, five vehicles
    heavy = Vrptw(inst.dist, inst.ready, inst.due, inst.service, [0] + [30] * 6, 59, 6)
    assert not feasible(heavy, [[1, 2], [3], [4], [5], [6]])  # 60 > 59
    # Customer 1 due before it can be reached.
    late = Vrptw(inst.dist, inst.ready, [inst.due[0], inst.dist[0][1] - 1, *inst.due[2:]], inst.service,
                 inst.demand, inst.capacity, 6)
    assert not feasible(late, good)


def test_route_cost_includes_the_way_back():
    inst = random_instance(3, seed=2)
    d = inst.dist
    assert route_cost(inst, [1, 2]) == d[0][1] + d[1][2] + d[2][0]
    assert route_cost(inst, []) == 0


@pytest.mark.parametrize("seed", range(4))
def test_improve_returns_a_feasible_plan_no_worse_than_the_start(seed):
    inst = random_instance(25, seed, vehicles=25)
    start = one_each(inst)
    before = sum(route_cost(inst, r) for r in start)
    routes, cost = improve(inst, start, time.monotonic() + 0.3, seed=seed)
    assert feasible(inst, routes)
    assert cost == sum(route_cost(inst, r) for r in routes)
    # One customer per route is far from good; a fraction of a second merges routes.
    assert cost < before
    assert len(routes) < len(start)


def test_improve_respects_a_tight_fleet_and_capacity():
    inst = random_instance(20, seed=7, vehicles=20, capacity=45, width=5000)
    routes, _ = improve(inst, one_each(inst), time.monotonic() + 0.3)
    assert feasible(inst, routes)
    assert all(sum(inst.demand[c] for c in r) <= 45 for r in routes)


def test_improve_hands_back_an_infeasible_start_untouched():
    inst = random_instance(5, seed=3)
    start = [[1, 2, 3, 4]]  # customer 5 missing
    routes, cost = improve(inst, start, time.monotonic() + 0.2)
    assert routes == start and cost == route_cost(inst, start[0])


def test_improve_with_no_time_left_returns_the_start():
    inst = random_instance(8, seed=4)
    start = one_each(inst)
    routes, _ = improve(inst, start, time.monotonic() - 1)
    assert routes == start


def test_a_seeded_run_with_an_iteration_limit_is_repeatable():
    inst = random_instance(30, seed=5, vehicles=30)
    far = time.monotonic() + 600
    first = improve(inst, one_each(inst), far, seed=3, max_iterations=300)
    again = improve(inst, one_each(inst), far, seed=3, max_iterations=300)
    assert first == again
    assert feasible(inst, first[0]) and first[1] < sum(route_cost(inst, r) for r in one_each(inst))


def route_fits(inst: Vrptw, route: list[int]) -> bool:
    """Capacity and windows of one route, as `feasible` checks them."""
    if sum(inst.demand[c] for c in route) > inst.capacity:
        return False
    t, prev = inst.ready[0], 0
    for c in route:
        t = max(t + inst.service[prev] + inst.dist[prev][c], inst.ready[c])
        if t > inst.due[c]:
            return False
        prev = c
    return t + inst.service[prev] + inst.dist[prev][0] <= inst.due[0]


@pytest.mark.parametrize("seed", range(6))
def test_improve_keeps_fleet_capacity_and_windows_on_tight_instances(seed):
    """Narrow windows, small capacity and a fleet no larger than the start needs: every accepted
    move must keep all three limits."""
    loose = random_instance(40, seed, capacity=50, width=400)
    routes: list[list[int]] = []
    for c in sorted(range(1, loose.customers + 1), key=lambda c: loose.due[c]):
        fit = next((r for r in routes if route_fits(loose, r + [c])), None)
        if fit is None:
            routes.append([c])
        else:
            fit.append(c)
    inst = Vrptw(loose.dist, loose.ready, loose.due, loose.service, loose.demand, loose.capacity, len(routes))
    assert feasible(inst, routes)
    before = sum(route_cost(inst, r) for r in routes)
    result, cost = improve(inst, routes, time.monotonic() + 60, seed=seed, max_iterations=400)
    assert feasible(inst, result)
    assert len(result) <= len(routes)
    assert all(route_fits(inst, r) for r in result)
    assert cost == sum(route_cost(inst, r) for r in result) <= before


def test_incremental_route_times_match_a_rebuild():
    """The insertion scan prunes positions by bisecting the kept departures and latest starts, so
    after every insertion they must equal the times computed from nothing."""
    from dispatch.routing.benchmarks.polish import _Search

    inst = random_instance(30, seed=11, width=3000)
    search = _Search(inst, seed=0)
    rng = random.Random(2)
    for _ in range(40):
        customers = rng.sample(range(1, 31), rng.randint(0, 12))
        route = search.build(customers[:-1])
        j = rng.randint(1, len(route.path) - 1)
        search.insert(route, j, customers[-1] if customers else 1)
        fresh = search.build(route.path[1:-1])
        assert (route.path, route.arcs, route.depart, route.late, route.load, route.cost) == \
            (fresh.path, fresh.arcs, fresh.depart, fresh.late, fresh.load, fresh.cost)
        assert route.depart == sorted(route.depart) and route.late == sorted(route.late)


@pytest.mark.parametrize("seed", range(3))
def test_recreate_gives_up_only_when_the_cost_cannot_end_below_the_limit(seed):
    """The search draws its acceptance threshold first and recreate stops once the plan cannot beat
    it. Two searches with the same seed ruin the same customers; the one without a limit shows what
    the cost would have been: an abandoned candidate must end at or above the limit, a finished one
    at the same cost as without a limit."""
    from dispatch.routing.benchmarks.polish import _Search

    inst = random_instance(40, seed, vehicles=40, width=2000)
    plan, _ = improve(inst, one_each(inst), time.monotonic() + 60, seed=seed, max_iterations=200)
    rng = random.Random(seed)
    gave_up = finished = 0
    for trial in range(150):
        runs = []
        for limit in (None, "set"):
            search = _Search(inst, seed=1000 * seed + trial)
            routes = [search.build(r) for r in plan]
            where = [0] * (inst.customers + 1)
            for k, r in enumerate(plan):
                for c in r:
                    where[c] = k
            cost = sum(r.cost for r in routes)
            removed, owned, drop = search.ruin(routes, where)
            if limit is None:
                full = search.recreate(routes, removed, where, owned, cost - drop)
                assert full is None or full == sum(r.cost for r in routes)
                bar = cost + rng.randint(-30, 60)
            else:
                runs.append(search.recreate(routes, removed, where, owned, cost - drop, bar))
        if full is None:
            continue
        if runs[0] is None:
            gave_up += 1
            assert full >= bar
        else:
            finished += 1
            assert runs[0] == full < bar
    assert gave_up and finished


@pytest.mark.parametrize("seed", range(3))
def test_going_back_to_the_best_plan_hands_back_its_true_cost(seed):
    """The search keeps the best plan as route objects and returns to it when no new best came for a
    while; the plan it reports must still be that plan (no route changed after it was accepted)."""
    from dispatch.routing.benchmarks.polish import _Search

    inst = random_instance(40, seed, vehicles=40, width=1500)
    search = _Search(inst, seed)
    search.patience = 0.01  # go back often
    start = one_each(inst)
    best, cost, iterations = search.run(start, time.monotonic() + 600, 200.0, 1.0, max_iterations=1500)
    assert iterations == 1500
    assert feasible(inst, best)
    assert cost == sum(route_cost(inst, r) for r in best) < sum(route_cost(inst, r) for r in start)
