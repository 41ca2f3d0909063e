"""The engine's ruin step: string removals around a seed stop (SISR) and the order of re-insertion.

Same rules as `kernels.py`: numba-compilable Python, compiled or run as plain Python on lists, with
every random draw from `kernels.rand`, so both paths make the same decisions. `conf` is the search
settings (see `moves`); `near[i]` lists every stop by relatedness to stop i (`tables.Tables`).
"""

import sys

if __name__.endswith("_jit"):  # the compiled copy uses the compiled kernels (backend.compiled loads them first)
    _kernels = sys.modules[__package__ + ".kernels_jit"]
else:
    from . import kernels as _kernels
build, rand = _kernels.build, _kernels.rand


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


KERNELS = ("cut", "ruin", "stable_sort", "order")

if __name__.endswith("_jit"):
    import numba

    for name in KERNELS:
        globals()[name] = numba.njit(cache=True)(globals()[name])
