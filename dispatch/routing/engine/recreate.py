"""The engine's recreate step: the insertion scan and the cheapest feasible insertion of each removed stop.

Same rules as `kernels.py`: numba-compilable Python, compiled or run as plain Python on lists, with
every random draw from `kernels.rand`, so both paths make the same decisions.
"""

import sys

if __name__.endswith("_jit"):  # the compiled copy uses the compiled kernels (backend.compiled loads them first)
    _kernels = sys.modules[__package__ + ".kernels_jit"]
else:
    from . import kernels as _kernels
NEG, build, departure, first, rand = _kernels.NEG, _kernels.build, _kernels.departure, _kernels.first, _kernels.rand


def bisect_left(a, x, lo, hi):
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def bisect_right(a, x, lo, hi):
    while lo < hi:
        mid = (lo + hi) // 2
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def cheapest(c, nc, cand, st, scratch, tb):
    """The cheapest candidate (delta, worker, position; ties by worker, then position) where c keeps its
    route feasible; the exact check runs only down the ranking until one passes. -1 if none does."""
    cd, cv, cj, cx = cand
    P, plen = st[0], st[1]
    nodes, leaves, keys, buf, out, mark = scratch
    while True:
        b = -1
        for x in range(nc):
            if cx[x] >= 0 and (b < 0 or cd[x] < cd[b] or (cd[x] == cd[b] and (cv[x] < cv[b] or (
                    cv[x] == cv[b] and cj[x] < cj[b])))):
                b = x
        if b < 0 or cx[b] == 0:
            return b
        v, j = cv[b], cj[b]
        path, k = P[v], plen[v]
        for p in range(j):
            nodes[p] = path[p]
        nodes[j] = c
        for p in range(j, k):
            nodes[p + 1] = path[p]
        if departure(v, nodes, k - 1, leaves, keys, buf, out, tb):
            return b
        cx[b] = -1


def recreate(todo, ntodo, running, threshold, left, rng, cand, st, scratch, tb):
    """Insert each stop of `todo` at its cheapest feasible position (the stops that fit nowhere go to
    `left`) and return (how many were left, the plan's cost), from `running` = the routes' cost.
    Gives up, returning (-1, cost), once the plan cannot end below `threshold`: with travel obeying the
    triangle inequality an insertion never lowers the cost, bar a second per stop of rounding. A stop's
    usual worker is tried first: an insertion there that costs less than the continuity charge beats
    every other route, so the others are not scanned. Of identical workers with empty routes (`twin`)
    only the first is scanned: the others offer the same insertion at the same cost (on R1_2_1, 26 of
    50 routes are empty, and their scans took about half the recreate step)."""
    (svc, wa, wb, nw, fo, lc, hold, dem, pref, pen, pin, allow, nal, allowm,
     mode, s0, s1, maxw, ba, bb, bd, snode, enode, cap, exact, t, tt, par, twin) = tb
    P, plen, early, late, ride, arcs, load, cost, lasthot, limit, head, where, touched = st
    cd, cv, cj, cx = cand
    mark = scratch[5]
    dims, cw = par[0], par[1]
    m = len(plen)
    nleft, remaining = 0, ntodo
    for q in range(ntodo):
        c = todo[q]
        # A new stamp per stop: an empty route's class is marked once it has been scanned for c.
        mark[m] += 1
        stamp = mark[m]
        sc, fc, lcc, hc = svc[c], fo[c], lc[c], hold[c]
        single = nw[c] == 1
        pc = pref[c] if cw > 0 else -1
        usual = pc >= 0 and allowm[c][pc]
        nc, chosen, settled = 0, -1, not usual
        for r in range(nal[c] + (1 if usual else 0)):
            if usual and r == 0:
                v = pc
            else:
                v = allow[c][r - 1] if usual else allow[c][r]
                if usual and v == pc:
                    continue
                if not settled:
                    # The usual worker's route has been scanned: settle it before the others.
                    settled = True
                    f = cheapest(c, nc, cand, st, scratch, tb)
                    if f >= 0 and cd[f] < cw - 1:
                        chosen = f
                        break
                    nc = 0
                    if f >= 0:
                        cd[0], cv[0], cj[0], cx[0] = cd[f], cv[f], cj[f], 0
                        nc = 1
            if plen[v] == 2 and v != pc:
                if mark[twin[v]] == stamp:
                    continue
                mark[twin[v]] = stamp
            full = False
            for d in range(dims):
                if load[v][d] + dem[c][d] > cap[v][d]:
                    full = True
            if full or rand(rng) < 0.02:
                continue
            path, e, lt, rd, ar, k = P[v], early[v], late[v], ride[v], arcs[v], plen[v]
            tc, toc = t[mode[v]][c], tt[mode[v]][c]
            extra = cw if pc >= 0 and pc != v else 0
            ex = 1 if exact[v] or hc >= 0 or limit[v] >= 0 else 0
            lo = bisect_left(lt, fc + sc, head[v], k)
            hi = min(bisect_right(e, lcc, 0, k - 1) + 1, k)
            latest_depart, rlimit, lh = lt[0], limit[v], lasthot[v]
            # The time on the road only grows along a route, so the hold limits cut whole runs of
            # positions: a hot stop cannot go where the road alone takes longer, and no stop goes
            # before the last hot meal unless that meal can afford the detour.
            if hc >= 0:
                hi = min(hi, bisect_right(rd, hc, 0, k - 1) + 1, bisect_right(e, latest_depart + hc, 0, k - 1) + 1)
            if rlimit >= 0 and rd[lh] + sc > rlimit:
                lo = max(lo, lh + 1)
            for j in range(lo, hi):
                prev, nxt = path[j - 1], path[j]
                to_c = toc[prev]
                start = e[j - 1] + to_c
                if single:
                    if start > lcc:
                        continue
                    if start < fc:
                        start = fc
                else:
                    start = first(c, start, wa, wb, nw)
                    if start == NEG:
                        continue
                if start + sc + tc[nxt] > lt[j]:
                    continue
                if hc >= 0 and (start - latest_depart > hc or rd[j - 1] + svc[prev] + to_c > hc):
                    continue
                # Every meal on a route comes from the worker's kitchen: one limit for all.
                if rlimit >= 0 and lh >= j and rd[lh] + to_c + sc + tc[nxt] - ar[j] > rlimit:
                    continue
                cd[nc], cv[nc], cj[nc], cx[nc] = to_c + tc[nxt] - ar[j] + extra, v, j, ex
                nc += 1
        if chosen < 0:
            chosen = cheapest(c, nc, cand, st, scratch, tb)
        remaining -= 1
        if chosen < 0:
            left[nleft] = c
            nleft += 1
            running += pen[c]
        else:
            v, j = cv[chosen], cj[chosen]
            path, k = P[v], plen[v]
            for p in range(k, j, -1):
                path[p] = path[p - 1]
            path[j] = c
            plen[v] = k + 1
            before = cost[v]
            build(v, st, tb)
            where[c] = v
            touched[v] = 1
            running += cost[v] - before
        if running - remaining >= threshold:
            return -1, running
    return nleft, running


KERNELS = ("bisect_left", "bisect_right", "cheapest", "recreate")

if __name__.endswith("_jit"):
    import numba

    for name in KERNELS:
        globals()[name] = numba.njit(cache=True)(globals()[name])
