"""The engine's search kernels: ruin (string removals), re-insertion order, the insertion scan, plan copies.

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
    nodes, leaves, keys, buf, out = scratch
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
    every other route, so the others are not scanned."""
    (svc, wa, wb, nw, fo, lc, hold, dem, pref, pen, pin, allow, nal, allowm,
     mode, s0, s1, maxw, ba, bb, bd, snode, enode, cap, exact, t, tt, par) = tb
    P, plen, early, late, ride, arcs, load, cost, lasthot, limit, head, where, touched = st
    cd, cv, cj, cx = cand
    dims, cw = par[0], par[1]
    nleft, remaining = 0, ntodo
    for q in range(ntodo):
        c = todo[q]
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


def cut(st, v, c, ls_max, split, removed, nrem, rng, tb):
    """Remove a string of route v's unpinned stops near c (a plain string through c, or with share
    `split` a split string around it); returns the count removed so far."""
    P, plen, head, where, touched = st[0], st[1], st[10], st[11], st[12]
    path, k, h = P[v], plen[v], head[v]
    blen = k - 1 - h
    size = int(1 + rand(rng) * min(blen, ls_max))
    pos = 0
    while path[h + pos] != c:
        pos += 1
    if size == blen or rand(rng) >= split:
        lo = max(0, pos - size + 1)
        hi = min(pos, blen - size)
        begin = lo + int(rand(rng) * (hi - lo + 1))
        for x in range(size):
            i = path[h + begin + x]
            removed[nrem] = i
            nrem += 1
            where[i] = -1
        for j in range(h + begin + size, k):
            path[j - size] = path[j]
    else:
        # Split string (SISR): remove a string of `size` but keep a short run inside it.
        keep = 1
        while size + keep < blen and rand(rng) < 0.5:
            keep += 1
        span = size + keep
        lo = max(0, pos - span + 1)
        hi = min(pos, blen - span)
        begin = lo + int(rand(rng) * (hi - lo + 1))
        inner = begin + int(rand(rng) * (size + 1))
        w = h + begin
        for x in range(span):
            if x < inner - begin or x >= inner - begin + keep:
                i = path[w + x]
                removed[nrem] = i
                nrem += 1
                where[i] = -1
        for x in range(keep):
            path[w + x] = path[h + inner + x]
        for j in range(w + span, k):
            path[j - size] = path[j]
    plen[v] = k - size
    build(v, st, tb)
    touched[v] = 1
    return nrem


def ruin(st, outs, nout, out_share, removed, served, near, conf, rng, tb):
    """Remove strings of stops near a seed stop (SISR); now and then the seed is a senior served by
    someone other than their usual worker, and a string of that worker's route nearest to the senior
    goes too, so the recreate step has room to give the senior back to them. While stops are left
    out, the seed is often one of them: the strings around it are the room it needs. Returns how many
    stops went to `removed`; the ruined routes are marked in `touched`."""
    pref, pin, allowm, mode, t, cw = tb[8], tb[10], tb[13], tb[14], tb[25], tb[27][1]
    plen, head, where, touched = st[1], st[10], st[11], st[12]
    n, m = len(where), len(plen)
    ns = 0
    for i in range(n):
        if where[i] >= 0 and not pin[i]:
            served[ns] = i
            ns += 1
    if ns == 0:
        return 0
    nonempty = 0
    for v in range(m):
        if plen[v] > 2:
            nonempty += 1
    ls_max = min(conf[0], ns / max(1, nonempty))
    ks = int(1 + rand(rng) * (4 * conf[1] / (1 + ls_max) - 1))
    seed = served[int(rand(rng) * ns)]
    nrem, nruined = 0, 0
    if nout > 0 and rand(rng) < out_share:
        seed = outs[int(rand(rng) * nout)]
    elif cw > 0 and rand(rng) < conf[2]:
        strays = 0
        for x in range(ns):
            i = served[x]
            if pref[i] >= 0 and where[i] != pref[i] and allowm[i][pref[i]]:
                served[strays] = i
                strays += 1
        if strays > 0:
            seed = served[int(rand(rng) * strays)]
            w = pref[seed]
            if plen[w] - 1 > head[w]:
                tw, closest = t[mode[w]], -1
                for j in range(head[w], plen[w] - 1):
                    i = st[0][w][j]
                    if closest < 0 or tw[i][seed] + tw[seed][i] < tw[closest][seed] + tw[seed][closest]:
                        closest = i
                nrem = cut(st, w, closest, ls_max, conf[7], removed, nrem, rng, tb)
                nruined += 1
    for q in range(n):
        if nruined >= ks:
            break
        c = near[seed][q]
        v = where[c]
        if v < 0 or touched[v] or pin[c]:
            continue
        nrem = cut(st, v, c, ls_max, conf[7], removed, nrem, rng, tb)
        nruined += 1
    return nrem


def stable_sort(todo, nt, keys):
    """Sort todo[:nt] by keys[:nt], ties kept in order (insertion sort: a few dozen stops)."""
    for x in range(1, nt):
        c, key = todo[x], keys[x]
        z = x - 1
        while z >= 0 and keys[z] > key:
            todo[z + 1], keys[z + 1] = todo[z], keys[z]
            z -= 1
        todo[z + 1], keys[z + 1] = c, key


def order(todo, nt, keys, rng, tb):
    """The order of re-insertion: random, by demand, by window width or far from the start first;
    then higher penalties first, and within a penalty seniors with a usual worker first."""
    dem, fo, lc, pref, pen, mode, snode, t = tb[7], tb[4], tb[5], tb[8], tb[9], tb[14], tb[21], tb[25]
    pick = rand(rng) * 10
    if pick < 4:
        for x in range(nt - 1, 0, -1):
            y = int(rand(rng) * (x + 1))
            todo[x], todo[y] = todo[y], todo[x]
    else:
        for x in range(nt):
            c = todo[x]
            if pick < 6:
                total = 0
                for d in range(len(dem[c])):
                    total += dem[c][d]
                keys[x] = -total
            elif pick < 8:
                keys[x] = lc[c] - fo[c]
            else:
                keys[x] = -t[mode[0]][snode[0]][c]
        stable_sort(todo, nt, keys)
    for x in range(nt):
        c = todo[x]
        keys[x] = -2 * pen[c] + (1 if pref[c] < 0 else 0)
    stable_sort(todo, nt, keys)


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


KERNELS = ("bisect_left", "bisect_right", "cheapest", "recreate", "copy_plan", "cut", "ruin", "stable_sort", "order",
           "iterate", "anneal")

if __name__.endswith("_jit"):
    import numba

    for name in KERNELS:
        globals()[name] = numba.njit(cache=True)(globals()[name])
