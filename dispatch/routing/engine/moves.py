"""The engine's annealing loop: one ruin and recreate per iteration (`ruin`, `recreate`), plan copies.

Same rules as `kernels.py`: numba-compilable Python, compiled or run as plain Python on lists, with
every random draw from `kernels.rand`, so both paths make the same decisions.

`conf` holds the search settings as floats: maximum string length, average stops removed, share
of ruins seeded at a senior away from their usual worker, restart (share of the run without a new
best before going back to the best plan; 0: never), share of ruins seeded at a stop left out and
after how much of the run without serving one more that share drops to a tenth, and the stall
limit (iterations without a new best; -1: none), the share of split strings among the cuts.
`near[i]` lists every stop by relatedness to stop i (space and window opening; `tables.Tables`).
"""

import math
import sys

if __name__.endswith("_jit"):  # the compiled copy calls the compiled steps (backend.compiled loads them first)
    _kernels = sys.modules[__package__ + ".kernels_jit"]
    _ruin = sys.modules[__package__ + ".ruin_jit"]
    _recreate = sys.modules[__package__ + ".recreate_jit"]
else:
    from . import kernels as _kernels
    from . import recreate as _recreate
    from . import ruin as _ruin
rand, ruin, order, recreate = _kernels.rand, _ruin.ruin, _ruin.order, _recreate.recreate


def copy_plan(dst, src, rows, m, n):
    """Copy the routes v with `rows[v]` set, and where every stop is, from plan `src` into `dst`."""
    for v in range(m):
        if rows[v]:
            k = src[1][v]
            for j in range(k):
                dst[0][v][j] = src[0][v][j]
                dst[2][v][j] = src[2][v][j]
                dst[3][v][j] = src[3][v][j]
                dst[4][v][j] = src[4][v][j]
                dst[5][v][j] = src[5][v][j]
            for d in range(len(src[6][v])):
                dst[6][v][d] = src[6][v][d]
            dst[1][v], dst[7][v], dst[8][v], dst[9][v], dst[10][v] = k, src[7][v], src[8][v], src[9][v], src[10][v]
    for i in range(n):
        dst[11][i] = src[11][i]


def iterate(st, outs, nout, out_share, threshold, todo, keys, left, served, near, conf, rng, cand, scratch, tb):
    """One ruin and recreate of plan `st` (its `touched` routes are the ones changed): returns (stops
    left out, cost), or (-1, cost) when the candidate cannot beat `threshold`."""
    touched, cost = st[12], st[7]
    for v in range(len(touched)):
        touched[v] = 0
    nt = ruin(st, outs, nout, out_share, todo, served, near, conf, rng, tb)
    for x in range(nout):
        todo[nt + x] = outs[x]
    nt += nout
    order(todo, nt, keys, rng, tb)
    running = 0
    for v in range(len(cost)):
        running += cost[v]
    return recreate(todo, nt, running, threshold, left, rng, cand, st, scratch, tb)


def anneal(cur, cand, best, outs, bouts, fs, prog, temps, steps, allrows, todo, keys, left, served, near, conf, rng,
           cbuf, scratch, tb):
    """`steps` iterations of simulated annealing, iteration s at progress `prog[s]` and temperature
    `temps[s]`. `fs` carries the run's state between calls: current cost, best cost, progress at the
    last new best, progress when the fewest stops were left out, that fewest, iteration of the last new
    best, iterations so far, stops left out now (in `outs`) and in the best plan (`bouts`). The
    threshold is drawn before each ruin, so a recreate that cannot beat it stops early. Returns True
    when the stall limit ended the run."""
    m, n = len(cur[1]), len(cur[11])
    touched = cand[12]
    for s in range(steps):
        progress = prog[s]
        fs[6] += 1
        if conf[6] >= 0 and fs[6] - fs[5] > conf[6]:
            return True
        if conf[3] > 0 and progress - fs[2] > conf[3]:
            # No new best for a while: back to the best plan, and anneal on from there.
            copy_plan(cur, best, allrows, m, n)
            copy_plan(cand, best, allrows, m, n)
            fs[7] = fs[8]
            for x in range(int(fs[8])):
                outs[x] = bouts[x]
            fs[0], fs[2] = fs[1], progress
        threshold = fs[0] - temps[s] * math.log(rand(rng))
        nout = int(fs[7])
        if nout < fs[4]:
            fs[4], fs[3] = nout, progress
        share = conf[4] if progress - fs[3] < conf[5] else conf[4] / 10
        got, cost = iterate(cand, outs, nout, share, threshold, todo, keys, left, served, near, conf, rng, cbuf,
                            scratch, tb)
        if got >= 0 and cost < threshold:
            copy_plan(cur, cand, touched, m, n)
            fs[0], fs[7] = cost, got
            for x in range(got):
                outs[x] = left[x]
            if cost < fs[1]:
                copy_plan(best, cur, allrows, m, n)
                fs[1], fs[8], fs[2], fs[5] = cost, got, progress, fs[6]
                for x in range(got):
                    bouts[x] = outs[x]
        else:
            copy_plan(cand, cur, touched, m, n)
    return False


KERNELS = ("copy_plan", "iterate", "anneal")

if __name__.endswith("_jit"):
    import numba

    for name in KERNELS:
        globals()[name] = numba.njit(cache=True)(globals()[name])
