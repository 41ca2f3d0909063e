"""The engine's hot loops: route timing (exact, as the checker decides it), route bounds, the insertion scan.

Written in the subset of Python that numba compiles: integers, indexing, loops, no objects. The
same source serves both paths (`backend.py`): compiled by numba on arrays, or run as plain Python
on lists of lists, so the fallback makes exactly the same decisions as the compiled engine (the
random draws come from `rand`, a generator written here, not from either runtime).

Tables (`tb`, see `tables.Tables.kernel_args`): per node `svc`, `wa`/`wb` (windows, `nw` of them),
`fo`/`lc` (first opening, last close), `hold` (-1: none); per stop `dem` (per dimension), `pref`
(usual worker, -1), `pen` (drop penalty), `pin` (pinned), `allow` (`nal` workers it may go to),
`allowm` (stop x worker); per worker `mode`, `s0`/`s1` (shift), `maxw` (-1: none), `ba`/`bb`/`bd`
(break window and duration, `bd` -1: none), `snode`/`enode`, `cap`, `exact`; `t` (travel per
mode), `tt` (the same transposed); `par` = dims, continuity weight, fair work, balance weight; `twin`
(per worker, the first worker identical to it: same mode, shift, caps, break, skills and travel from its
start and to its end; itself if none is).

Timing rule: with one window per stop, the latest departure that keeps every window (a backward
pass) is the best for hold limits and working time, so one forward pass from there decides; a
break is tried on each leg, nearest its window first. Stops with several windows also try the
latest departure before each window's close (`departure_any`).
"""

NEG = -(1 << 60)
POS = 1 << 60


def rand(state):
    """Park-Miller minimal standard generator: a float in [0, 1); `state[0]` in 1..2**31-2."""
    x = (state[0] * 48271) % 2147483647
    state[0] = x
    return x / 2147483647.0


def latest(i, x, wa, wb, nw):
    """The latest service start at or before x at node i, or NEG when every window opens later."""
    for k in range(nw[i] - 1, -1, -1):
        if wa[i][k] <= x:
            return x if x < wb[i][k] else wb[i][k]
    return NEG


def first(i, arrival, wa, wb, nw):
    """The earliest service start at or after `arrival`, or NEG when every window has closed."""
    for k in range(nw[i]):
        if arrival <= wb[i][k]:
            return arrival if arrival > wa[i][k] else wa[i][k]
    return NEG


def backward(v, nodes, k, leg, upto, late, tb):
    """The latest departure that starts node position `upto` by `late` (the end node: arrives by
    `late`), keeping every window before it; NEG if there is none."""
    (svc, wa, wb, nw, fo, lc, hold, dem, pref, pen, pin, allow, nal, allowm,
     mode, s0, s1, maxw, ba, bb, bd, snode, enode, cap, exact, t, tt, par, twin) = tb
    tv = t[mode[v]]
    if upto < k + 1:
        late = latest(nodes[upto], late, wa, wb, nw)
        if late == NEG:
            return NEG
    for pos in range(upto - 1, -1, -1):
        a = nodes[pos]
        arc = tv[a][nodes[pos + 1]]
        if pos == leg:
            if ba[v] + bd[v] > late:
                return NEG
            leave = late - arc - bd[v]
            if leave > bb[v]:
                leave = bb[v]
        else:
            leave = late - arc
        if pos == 0:
            return leave
        late = latest(a, leave - svc[a], wa, wb, nw)
        if late == NEG:
            return NEG
    return late


def forward(v, nodes, k, depart, leg, leaves, tb):
    """Whether leaving at `depart` with the break on leg `leg` (-1: none) keeps every rule, as the
    checker decides; `leaves[pos]` gets the time the worker leaves each node."""
    (svc, wa, wb, nw, fo, lc, hold, dem, pref, pen, pin, allow, nal, allowm,
     mode, s0, s1, maxw, ba, bb, bd, snode, enode, cap, exact, t, tt, par, twin) = tb
    tv = t[mode[v]]
    clock = depart
    for pos in range(k + 1):
        a, b = nodes[pos], nodes[pos + 1]
        leaves[pos] = clock
        arrival = clock + tv[a][b]
        if pos == leg:
            begin = clock if clock > ba[v] else ba[v]
            if begin > bb[v]:
                return False
            arrival = max(arrival + bd[v], begin + bd[v])
        if pos == k:
            return arrival <= s1[v] and (maxw[v] < 0 or arrival - depart <= maxw[v])
        start = first(b, arrival, wa, wb, nw)
        if start == NEG:
            return False
        if hold[b] >= 0 and start - depart > hold[b]:
            return False
        clock = start + svc[b]
    return False


def depart_latest(v, nodes, k, leg, leaves, tb):
    """The latest departure that keeps every window, if the route keeps every rule from there."""
    d = backward(v, nodes, k, leg, k + 1, tb[16][v], tb)
    if d == NEG or d < tb[15][v]:
        return NEG
    return d if forward(v, nodes, k, d, leg, leaves, tb) else NEG


def departure_any(v, nodes, k, leaves, buf, out, tb):
    """`departure` for a route with a stop of several windows: leaving later can miss a window's close
    and wait for the next one, so the latest departures before each such jump are tried too."""
    wb, nw, s0, s1, bb, bd, svc = tb[2], tb[3], tb[15], tb[16], tb[19], tb[20], tb[0]
    legs = 1 if bd[v] < 0 else k + 1
    for li in range(legs):
        leg = -1 if bd[v] < 0 else li
        cnt = 0
        buf[cnt] = s0[v]
        cnt += 1
        d = backward(v, nodes, k, leg, k + 1, s1[v], tb)
        if d != NEG and d >= s0[v]:
            buf[cnt] = d
            cnt += 1
        for p in range(1, k + 1):
            i = nodes[p]
            for w in range(nw[i]):
                d = backward(v, nodes, k, leg, p, wb[i][w], tb)
                if d != NEG and d >= s0[v]:
                    buf[cnt] = d
                    cnt += 1
        if leg >= 0:
            d = bb[v] if leg == 0 else backward(v, nodes, k, leg, leg, bb[v] - svc[nodes[leg]], tb)
            if d != NEG and d >= s0[v]:
                buf[cnt] = d
                cnt += 1
        # Latest first, each once (insertion sort: a handful of values).
        for x in range(1, cnt):
            y = buf[x]
            z = x - 1
            while z >= 0 and buf[z] < y:
                buf[z + 1] = buf[z]
                z -= 1
            buf[z + 1] = y
        for x in range(cnt):
            if x > 0 and buf[x] == buf[x - 1]:
                continue
            if forward(v, nodes, k, buf[x], leg, leaves, tb):
                out[0], out[1] = buf[x], leg
                return True
    return False


def departure(v, nodes, k, leaves, keys, buf, out, tb):
    """Whether the route `nodes[0..k+1]` (worker v's start, k stops, its end) has a schedule that keeps
    every rule; if so `out` = (departure, break leg or -1)."""
    s0, ba, bd, nw = tb[15], tb[18], tb[20], tb[3]
    if k == 0:
        out[0], out[1] = s0[v], -1
        return True
    single = True
    for p in range(1, k + 1):
        if nw[nodes[p]] != 1:
            single = False
    if bd[v] < 0:
        d = depart_latest(v, nodes, k, -1, leaves, tb)
        if d != NEG:
            out[0], out[1] = d, -1
            return True
    else:
        d = depart_latest(v, nodes, k, -1, leaves, tb)
        if d != NEG:
            # Legs the worker starts near the break window's opening first: usually the one that fits.
            for leg in range(k + 1):
                keys[leg] = abs(leaves[leg] - ba[v])
            done = 0
            while done < k + 1:
                best = -1
                for leg in range(k + 1):
                    if keys[leg] >= 0 and (best < 0 or keys[leg] < keys[best]):
                        best = leg
                keys[best] = -1
                done += 1
                d = depart_latest(v, nodes, k, best, leaves, tb)
                if d != NEG:
                    out[0], out[1] = d, best
                    return True
    if single:
        return False
    return departure_any(v, nodes, k, leaves, buf, out, tb)


def build(v, st, tb):
    """Recompute route v's bounds from its path `P[v][:plen[v]]`: per position the earliest leave time
    from the shift start, the time on the road (waiting left out: a lower bound on a hot meal's hold),
    the latest start back from the shift end, the arcs; and its load, cost, last hot meal and head."""
    (svc, wa, wb, nw, fo, lc, hold, dem, pref, pen, pin, allow, nal, allowm,
     mode, s0, s1, maxw, ba, bb, bd, snode, enode, cap, exact, t, tt, par, twin) = tb
    P, plen, early, late, ride, arcs, load, cost, lasthot, limit, head, where, touched = st
    tv = t[mode[v]]
    path, e, lt, rd, ar = P[v], early[v], late[v], ride[v], arcs[v]
    k = plen[v]
    clock, road, travel, prev = s0[v], 0, 0, path[0]
    e[0], rd[0] = clock, 0
    for j in range(1, k - 1):
        a = path[j]
        arc = tv[prev][a]
        ar[j] = arc
        travel += arc
        road += svc[prev] + arc
        rd[j] = road
        clock += arc
        if nw[a] == 1:
            if clock < fo[a]:
                clock = fo[a]
        else:
            f = first(a, clock, wa, wb, nw)
            if f != NEG:
                clock = f
        clock += svc[a]
        e[j] = clock
        prev = a
    arc = tv[prev][path[k - 1]]
    ar[k - 1] = arc
    travel += arc
    x = s1[v]
    lt[k - 1] = x
    for j in range(k - 2, 0, -1):
        a = path[j]
        x = x - ar[j + 1] - svc[a]
        if nw[a] == 1:
            if x > lc[a]:
                x = lc[a]
            elif x < fo[a]:
                x = NEG
        else:
            x = latest(a, x, wa, wb, nw)
        lt[j] = x
    lt[0] = x - ar[1]
    dims, cw, fair, bw = par[0], par[1], par[2], par[3]
    c = travel
    work = travel
    for d in range(dims):
        load[v][d] = 0
    lasthot[v], limit[v] = 0, -1
    for j in range(1, k - 1):
        i = path[j]
        for d in range(dims):
            load[v][d] += dem[i][d]
        if cw > 0 and pref[i] >= 0 and pref[i] != v:
            c += cw
        work += svc[i]
        if hold[i] >= 0:
            lasthot[v], limit[v] = j, hold[i]
    if bw > 0 and k > 2 and work > fair:
        c += bw * (work - fair)
    cost[v] = c
    h = 1
    while h < k - 1 and pin[path[h]]:
        h += 1
    head[v] = h


KERNELS = ("rand", "latest", "first", "backward", "forward", "depart_latest", "departure_any", "departure", "build")

if __name__.endswith("_jit"):
    # The compiled copy (`backend.compiled`): every kernel through numba, cached on disk, so a
    # process after the first loads the machine code instead of compiling it again.
    import numba

    for name in KERNELS:
        globals()[name] = numba.njit(cache=True)(globals()[name])
