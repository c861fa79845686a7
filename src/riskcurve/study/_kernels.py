"""Compiled kernels of the thesis lab: plain float64/int64 arrays in, plain arrays out.

Why a separate module: the kernels are the only code that must be fast, and keeping them free
of pandas, labels and validation makes each one small enough to check line by line against
the readable pandas versions in ``tests/study/_reference.py``, which the tests compare
against. Callers (``sweep.py``, ``inference.py``, ``backtest.py``) validate and convert inputs
first; the kernels assume what those callers guarantee (finite leader closes, positive
horizons, entry indices in ``[-1, n_follower_bars)``).

Random numbers come from Numba's own Mersenne Twister, seeded inside each kernel. It is the
same generator as NumPy's legacy ``RandomState``, so a pure-Python reference seeded alike draws
the same stream and the tests can demand identical resamples. Seeding a kernel resets Numba's
(thread-local) global generator; nothing else in riskcurve relies on that state.
"""

# Numba implements only NumPy's legacy global-state random API (seed/random) inside kernels;
# it is used on purpose, see the module docstring.
# ruff: noqa: NPY002
from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# --------------------------------------------------------------------------- breakouts


@njit(cache=True)
def rolling_prior_max(close: FloatArray, lookback: int) -> FloatArray:
    """Highest close of the ``lookback`` sessions *before* each session (NaN until available).

    The window excludes today so that "today closed above the old high" is well defined.
    A monotone deque makes this O(n) whatever the lookback, which matters because the
    grid asks for windows of up to two years on decades of sessions.
    """
    n = close.shape[0]
    out = np.full(n, np.nan)
    queue = np.empty(n, np.int64)
    head = 0
    tail = 0
    for t in range(n):
        if t >= lookback:
            while queue[head] < t - lookback:
                head += 1
            out[t] = close[queue[head]]
        while tail > head and close[queue[tail - 1]] <= close[t]:
            tail -= 1
        queue[tail] = t
        tail += 1
    return out


@njit(cache=True)
def _detect_breakouts(
    close: FloatArray,
    prior_high: FloatArray,
    factor: float,
    confirmation: int,
    cooldown: int,
    out: IntArray,
) -> int:
    """Write the event indices of one breakout definition into ``out``; return their count.

    A run starts on a close above ``old_high * factor`` (the old high being the prior-window
    maximum on that day, ``factor = 1 + k/100``). The run continues while closes stay above
    that same old high; the ``confirmation``-th close of the run is the event, the first day
    the breakout is knowable. An event closer than ``cooldown`` sessions to the previous one
    is discarded (not deferred), which declusters a grinding uptrend into separate episodes.
    """
    n = close.shape[0]
    count = 0
    old_high = 0.0
    last = -cooldown
    k = 0
    for t in range(n):
        c = close[t]
        if count > 0:
            if c > old_high:
                count += 1
            else:
                count = 0
        if count == 0:
            h = prior_high[t]
            if c > h * factor:
                old_high = h
                count = 1
        if count >= confirmation:
            if t - last >= cooldown:
                out[k] = t
                k += 1
                last = t
            count = 0
    return k


@njit(cache=True)
def breakout_events_grid(
    close: FloatArray,
    highs: FloatArray,
    def_high_row: IntArray,
    def_factor: FloatArray,
    def_confirmation: IntArray,
    def_cooldown: IntArray,
) -> tuple[IntArray, IntArray]:
    """Events of many definitions at once, as CSR ``(offsets, events)``.

    ``highs[r]`` is the prior-window maximum for the lookback of row ``r``; definitions point
    at their row so each lookback's rolling maximum is computed once per sweep, not once per
    definition. Events of definition ``d`` are ``events[offsets[d]:offsets[d + 1]]``. One pass:
    each definition's events land in a buffer that doubles when the next one might not fit, and
    the answer is copied out at its own size (the state machine, not the copy, is the cost).
    """
    n = close.shape[0]
    n_defs = def_high_row.shape[0]
    offsets = np.zeros(n_defs + 1, np.int64)
    events = np.empty(4 * n, np.int64)
    for d in range(n_defs):
        if events.shape[0] - offsets[d] < n:  # a definition has at most n events
            grown = np.empty(2 * events.shape[0], np.int64)
            grown[: offsets[d]] = events[: offsets[d]]
            events = grown
        k = _detect_breakouts(
            close, highs[def_high_row[d]], def_factor[d], def_confirmation[d], def_cooldown[d], events[offsets[d] :]
        )
        offsets[d + 1] = offsets[d] + k
    return offsets, events[: offsets[n_defs]].copy()


# --------------------------------------------------------------------------- forward returns


@njit(cache=True)
def forward_event_stats(
    log_price: FloatArray,
    offsets: IntArray,
    events: IntArray,
    entry_map: IntArray,
    horizons: IntArray,
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """Count, mean, standard deviation and hit rate of forward log-returns after events.

    ``log_price`` is (follower bars, followers), C-contiguous so the innermost loop runs over
    followers in one cache line. Each event enters at ``entry_map[event]`` (``-1``: no
    follower bar, skipped) and the forward return at horizon ``h`` is
    ``log_price[entry + h] - log_price[entry]``; a NaN endpoint (not yet listed, gap) drops
    that event for that follower only. Two passes over the events give a numerically stable
    standard deviation. Outputs are (definitions, followers, horizons).
    """
    n_bars = log_price.shape[0]
    n_followers = log_price.shape[1]
    n_h = horizons.shape[0]
    n_defs = offsets.shape[0] - 1
    count = np.zeros((n_defs, n_followers, n_h), np.int64)
    mean = np.full((n_defs, n_followers, n_h), np.nan)
    sd = np.full((n_defs, n_followers, n_h), np.nan)
    hit = np.full((n_defs, n_followers, n_h), np.nan)
    total = np.empty((n_h, n_followers))
    squares = np.empty((n_h, n_followers))
    m = np.empty((n_h, n_followers))
    cnt = np.empty((n_h, n_followers), np.int64)
    hits = np.empty((n_h, n_followers), np.int64)
    for d in range(n_defs):
        total[:] = 0.0
        squares[:] = 0.0
        cnt[:] = 0
        hits[:] = 0
        for j in range(offsets[d], offsets[d + 1]):
            e = entry_map[events[j]]
            if e < 0:
                continue
            for hi in range(n_h):
                x = e + horizons[hi]
                if x >= n_bars:
                    continue
                for f in range(n_followers):
                    r = log_price[x, f] - log_price[e, f]
                    if r == r:
                        total[hi, f] += r
                        cnt[hi, f] += 1
                        if r > 0.0:
                            hits[hi, f] += 1
        for hi in range(n_h):
            for f in range(n_followers):
                m[hi, f] = total[hi, f] / cnt[hi, f] if cnt[hi, f] > 0 else np.nan
        for j in range(offsets[d], offsets[d + 1]):
            e = entry_map[events[j]]
            if e < 0:
                continue
            for hi in range(n_h):
                x = e + horizons[hi]
                if x >= n_bars:
                    continue
                for f in range(n_followers):
                    r = log_price[x, f] - log_price[e, f]
                    if r == r:
                        squares[hi, f] += (r - m[hi, f]) ** 2
        for hi in range(n_h):
            for f in range(n_followers):
                c = cnt[hi, f]
                count[d, f, hi] = c
                if c > 0:
                    mean[d, f, hi] = m[hi, f]
                    hit[d, f, hi] = hits[hi, f] / c
                if c > 1:
                    sd[d, f, hi] = np.sqrt(squares[hi, f] / (c - 1))
    return count, mean, sd, hit


@njit(cache=True)
def forward_baseline_stats(
    log_price: FloatArray, horizons: IntArray
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """Count, mean, sd and hit rate of forward log-returns from *every* follower bar.

    This is the unconditional benchmark an event mean must beat: a follower that drifts up
    50% a year shows a positive mean after any date, breakout or not. Outputs are
    (followers, horizons), computed with the same two-pass arithmetic as the event stats.
    """
    n_bars = log_price.shape[0]
    n_followers = log_price.shape[1]
    n_h = horizons.shape[0]
    count = np.zeros((n_followers, n_h), np.int64)
    mean = np.full((n_followers, n_h), np.nan)
    sd = np.full((n_followers, n_h), np.nan)
    hit = np.full((n_followers, n_h), np.nan)
    total = np.empty(n_followers)
    squares = np.empty(n_followers)
    m = np.empty(n_followers)
    cnt = np.empty(n_followers, np.int64)
    hits = np.empty(n_followers, np.int64)
    for hi in range(n_h):
        h = horizons[hi]
        total[:] = 0.0
        squares[:] = 0.0
        cnt[:] = 0
        hits[:] = 0
        for e in range(n_bars - h):
            for f in range(n_followers):
                r = log_price[e + h, f] - log_price[e, f]
                if r == r:
                    total[f] += r
                    cnt[f] += 1
                    if r > 0.0:
                        hits[f] += 1
        for f in range(n_followers):
            m[f] = total[f] / cnt[f] if cnt[f] > 0 else np.nan
        for e in range(n_bars - h):
            for f in range(n_followers):
                r = log_price[e + h, f] - log_price[e, f]
                if r == r:
                    squares[f] += (r - m[f]) ** 2
        for f in range(n_followers):
            c = cnt[f]
            count[f, hi] = c
            if c > 0:
                mean[f, hi] = m[f]
                hit[f, hi] = hits[f] / c
            if c > 1:
                sd[f, hi] = np.sqrt(squares[f] / (c - 1))
    return count, mean, sd, hit


@njit(cache=True)
def holding_positions(n_bars: int, entries: IntArray, hold: int) -> FloatArray:
    """1.0 on the bars whose return a holder collects after entering at each entry's close.

    Entering at the close of bar ``e`` and holding ``hold`` bars earns the returns of bars
    ``e+1 .. e+hold``. A new entry while already holding extends the holding period
    instead of stacking a second position; negative entries (no bar) are skipped.
    """
    pos = np.zeros(n_bars)
    for j in range(entries.shape[0]):
        e = entries[j]
        if e < 0:
            continue
        stop = min(e + hold + 1, n_bars)
        for t in range(e + 1, stop):
            pos[t] = 1.0
    return pos


# --------------------------------------------------------------------------- bootstrap


def stationary_block_length(x: FloatArray) -> float:
    """Politis-White (2004, corrected 2009) mean block length of ``x`` for the stationary bootstrap.

    The same arithmetic, operation for operation, as ``arch.bootstrap.optimal_block_length``
    (so the same float), but it stops computing autocorrelations once the bandwidth ``m`` is
    known: arch computes all ``sqrt(n) + 5`` lags for every series, while the first run of
    ``kn`` insignificant ones usually ends after about ten. Romano-Wolf asks this for up to 100
    columns per follower, where arch's full loop was a third of a follower's cost.
    """
    nobs = x.shape[0]
    eps = x - x.mean(0)
    b_max = np.ceil(min(3 * np.sqrt(nobs), nobs / 3))
    kn = max(5, int(np.log10(nobs)))
    m_max = int(np.ceil(np.sqrt(nobs))) + kn
    cv = 2 * np.sqrt(np.log10(nobs) / nobs)
    acv = np.zeros(m_max + 1)
    opt_m: int | None = None
    m = m_max
    quiet = 0  # insignificant autocorrelations in a row, up to the previous lag
    for i in range(m_max + 1):
        cross_prod = eps[i:] @ eps[: nobs - i]
        acv[i] = cross_prod / nobs
        if opt_m is not None:
            if i >= m:  # every autocovariance the bandwidth needs is known
                break
            continue
        v1 = eps[i + 1 :] @ eps[i + 1 :]
        v2 = eps[: -(i + 1)] @ eps[: -(i + 1)]
        abs_acorr = np.abs(cross_prod) / np.sqrt(v1 * v2)
        if i >= kn and quiet >= kn:  # arch: all(abs_acorr[i - kn : i] < cv)
            opt_m = i - kn
            m = min(2 * max(opt_m, 1), m_max)
            if i >= m:
                break
        quiet = quiet + 1 if abs_acorr < cv else 0
    g = 0.0
    lr_acv = acv[0]
    for k in range(1, m + 1):
        lam = 1 if k / m <= 1 / 2 else 2 * (1 - k / m)
        g += 2 * lam * k * acv[k]
        lr_acv += 2 * lam * acv[k]
    d_sb = 2 * lr_acv**2
    b_sb = ((2 * g**2) / d_sb) ** (1 / 3) * nobs ** (1 / 3)
    return float(min(b_sb, b_max))


@njit(cache=True)
def _block_length(u: float, log_continue: float) -> int:
    """Geometric block length on {1, 2, ...} with mean 1/p, from one uniform ``u`` in [0, 1).

    ``log_continue = log(1 - p)``; P(length > l) = (1 - p)^l. For p = 1 it is -inf and
    every block has length 1 (the i.i.d. bootstrap). ``1 - u`` is exact for a 53-bit
    uniform, so plain ``log`` (markedly cheaper than ``log1p``) loses nothing.
    """
    return 1 + int(np.log(1.0 - u) / log_continue)


@njit(cache=True)
def stationary_bootstrap_indices(n: int, reps: int, p: float, seed: int) -> IntArray:
    """(reps, n) index paths of the Politis-Romano (1994) stationary bootstrap.

    Each path is a run of blocks, each starting at a uniform position and running for a
    geometric number of observations with mean ``1/p`` (wrapping at the end), the last one
    cut to fill ``n``. Random block lengths make the resampled series stationary, which
    fixed-length blocks do not; drawing a length per block instead of a coin per
    observation needs ~``2/p`` times fewer random numbers. Draw order (start, then length,
    per block) is part of the contract: the pure-Python reference draws the same way.
    """
    np.random.seed(seed)
    log_continue = np.log(1.0 - p)
    out = np.empty((reps, n), np.int64)
    for b in range(reps):
        i = 0
        while i < n:
            start = int(np.random.random() * n)
            length = min(_block_length(np.random.random(), log_continue), n - i)
            for j in range(length):
                idx = start + j
                out[b, i + j] = idx - n if idx >= n else idx
            i += length
    return out


#: Bytes of prefix sums one column tile of :func:`stationary_bootstrap_means` may use: a quarter
#: of this machine's 32 MiB L3, so a tile stays cached while every buffered resample visits it.
#: The default grid's 120 columns of 4,000 days fit in one tile; the full grid's 2,500 need ten.
BOOTSTRAP_TILE_BYTES = 8 * 2**20
#: Blocks buffered before the column tiles are visited (two int64 each: 1 MiB).
BOOTSTRAP_BLOCK_BUFFER = 65_536


@njit(cache=True)
def stationary_bootstrap_means(x: FloatArray, reps: int, p: float, seed: int) -> FloatArray:
    """(reps, k) column means of ``x`` (n, k) under the stationary bootstrap.

    Same random stream as :func:`stationary_bootstrap_indices`, but a block's contribution is
    a difference of prefix sums, so a resample costs O(blocks * k) instead of O(n * k) and
    no index path is stored: this is what makes 10,000 resamples of thousands of sweep
    configurations affordable for Romano-Wolf. Columns are centred before summing so the
    prefix sums stay small and exact to working precision.

    Why tiles: the prefix sums of many columns outgrow the cache, and each block reads two
    random rows of them. So the blocks of many resamples are drawn first (into a buffer), then
    each tile of columns (prefix sums of at most ``BOOTSTRAP_TILE_BYTES``) replays them. Every
    mean still adds the same blocks in the same order: the result is the same to the last bit.
    """
    n = x.shape[0]
    k = x.shape[1]
    width = max(1, min(k, BOOTSTRAP_TILE_BYTES // (8 * (n + 1))))
    n_tiles = (k + width - 1) // width
    center = np.empty(k)
    for c in range(k):
        center[c] = x[:, c].mean()
    csum = np.zeros((n_tiles, n + 1, width))  # tile, row, column within the tile (zero padded)
    for t in range(n):
        for c in range(k):
            tile, j = c // width, c % width
            csum[tile, t + 1, j] = csum[tile, t, j] + (x[t, c] - center[c])
    np.random.seed(seed)
    log_continue = np.log(1.0 - p)
    out = np.zeros((reps, n_tiles * width))
    capacity = max(BOOTSTRAP_BLOCK_BUFFER, n)
    starts = np.empty(capacity, np.int64)
    stops = np.empty(capacity, np.int64)
    rep_end = np.empty(reps + 1, np.int64)  # blocks of buffered resample r: rep_end[r] .. rep_end[r + 1]
    first = 0
    while first < reps:
        rep_end[first] = 0
        last = first
        while last < reps and rep_end[last] + n <= capacity:  # room for a resample of n blocks
            used = rep_end[last]
            i = 0
            while i < n:
                start = int(np.random.random() * n)
                length = min(_block_length(np.random.random(), log_continue), n - i)
                starts[used] = start
                stops[used] = start + length
                used += 1
                i += length
            last += 1
            rep_end[last] = used
        for tile in range(n_tiles):
            sums = csum[tile]
            for b in range(first, last):
                row = out[b, tile * width : (tile + 1) * width]
                for blk in range(rep_end[b], rep_end[b + 1]):
                    start, stop = starts[blk], stops[blk]
                    if stop <= n:
                        for j in range(width):
                            row[j] += sums[stop, j] - sums[start, j]
                    else:
                        for j in range(width):
                            row[j] += sums[n, j] - sums[start, j] + sums[stop - n, j]
        first = last
    means = np.empty((reps, k))
    for b in range(reps):
        for c in range(k):
            means[b, c] = out[b, c] / n + center[c]
    return means


@njit(cache=True)
def placebo_means(values: FloatArray, m: int, min_spacing: int, draws: int, seed: int) -> FloatArray:
    """Means of ``values`` at ``draws`` random sets of ``m`` positions at least ``min_spacing`` apart.

    Uniform over all such sets: pick ``m`` distinct slots out of
    ``len(values) - (m - 1) * (min_spacing - 1)``, sort them, and spread the i-th by
    ``i * (min_spacing - 1)``. The slots come from a partial Fisher-Yates shuffle of one
    persistent permutation, which stays uniform without resetting between draws, so a draw
    costs O(m log m) rather than O(len(values)).
    """
    n = values.shape[0]
    slots = n - (m - 1) * (min_spacing - 1)
    np.random.seed(seed)
    perm = np.arange(slots)
    chosen = np.empty(m, np.int64)
    out = np.empty(draws)
    for b in range(draws):
        for i in range(m):
            j = i + int(np.random.random() * (slots - i))
            tmp = perm[i]
            perm[i] = perm[j]
            perm[j] = tmp
            chosen[i] = perm[i]
        chosen.sort()
        total = 0.0
        for i in range(m):
            total += values[chosen[i] + i * (min_spacing - 1)]
        out[b] = total / m
    return out


# --------------------------------------------------------------------------- Granger


#: Above this condition number of the (correlation-scaled) Gram matrix of a Granger design,
#: normal equations lose too many digits and the pair is re-fitted by SVD least squares.
GRAM_CONDITION_LIMIT = 1e6


def granger_ssr_f(
    data: FloatArray,
    cause: IntArray,
    effect: IntArray,
    lags: int,
    max_chunk_bytes: int = 64 * 2**20,
) -> tuple[FloatArray, int, int]:
    """Granger ssr-F statistics for pairs ``data[:, cause[i]] -> data[:, effect[i]]``.

    For each pair, regress the effect on a constant and its own ``lags`` lags (restricted)
    and additionally on ``lags`` lags of the cause (unrestricted), as statsmodels'
    ``grangercausalitytests`` does, and return ``F = (SSR_r - SSR_u) / lags / (SSR_u / df)``
    with ``df = T - 3 * lags - 1`` (``T`` observations before trimming).

    Why it is fast: the constant is partialled out once by demeaning every lagged series
    (Frisch-Waugh), each pair's design and target are gathered into one block whose Gram
    matrix comes from a single batched matrix product, and both SSRs follow from that Gram
    matrix by Schur complements: no per-pair Python, no second fit. Why it stays accurate:
    pairs whose scaled Gram matrix is ill-conditioned (above ``GRAM_CONDITION_LIMIT``, e.g.
    price levels instead of returns) are re-fitted by SVD least squares, statsmodels' own
    method. Pairs are processed in chunks under ``max_chunk_bytes``. A constant series in a
    pair yields NaN (statsmodels raises instead).
    """
    n_obs, n_series = data.shape
    n_eff = n_obs - lags
    df_denom = n_eff - 2 * lags - 1
    width = lags + 1
    # Row j * width + l: series j lagged l steps over the effective sample (l = 0: itself).
    lagged = np.empty((n_series, width, n_eff))
    for lag in range(width):
        lagged[:, lag, :] = data[lags - lag : n_obs - lag].T
    lagged -= lagged.mean(axis=2, keepdims=True)
    lagged = lagged.reshape(n_series * width, n_eff)
    steps = np.arange(1, width)
    # Per pair: own lags, cause lags, then the target, so the target is the last Gram row.
    rows = np.concatenate(
        [effect[:, None] * width + steps, cause[:, None] * width + steps, effect[:, None] * width], axis=1
    )
    restricted = np.concatenate([np.arange(lags), [2 * lags]])
    n_pairs = cause.shape[0]
    f_stat = np.full(n_pairs, np.nan)
    chunk = max(1, max_chunk_bytes // (8 * n_eff * rows.shape[1]))
    for start in range(0, n_pairs, chunk):
        block = lagged[rows[start : start + chunk]]  # (m, 2 * lags + 1, n_eff)
        gram = block @ block.transpose(0, 2, 1)
        scale = np.sqrt(np.diagonal(gram, axis1=1, axis2=2))
        degenerate = (scale == 0.0).any(axis=1)
        scale[scale == 0.0] = 1.0
        design_corr = (gram / scale[:, :, None] / scale[:, None, :])[:, :-1, :-1]
        refit = ~degenerate & (np.linalg.cond(design_corr) > GRAM_CONDITION_LIMIT)
        direct = ~degenerate & ~refit
        ssr_u = np.full(block.shape[0], np.nan)
        ssr_r = np.full(block.shape[0], np.nan)
        ssr_u[direct] = _schur_ssr(gram[direct])
        ssr_r[direct] = _schur_ssr(gram[direct][:, restricted][:, :, restricted])
        if refit.any():
            target = block[refit, -1, :]
            ssr_u[refit] = _lstsq_ssr(block[refit, :-1, :], target)
            ssr_r[refit] = _lstsq_ssr(block[refit][:, restricted[:-1], :], target)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = (ssr_r - ssr_u) / ssr_u / lags * df_denom
        f[~(ssr_u > 0.0)] = np.nan
        f_stat[start : start + chunk] = f
    return f_stat, lags, df_denom


def _schur_ssr(gram: FloatArray) -> FloatArray:
    """SSR of the last variable regressed on the others, from their joint Gram matrices."""
    xx = gram[:, :-1, :-1]
    xy = gram[:, :-1, -1:]
    coef = np.linalg.solve(xx, xy)
    return gram[:, -1, -1] - np.einsum("mki,mki->m", xy, coef)


def _lstsq_ssr(design_t: FloatArray, y: FloatArray) -> FloatArray:
    """SSR of ``y[i]`` on the rows of ``design_t[i]`` by SVD pseudo-inverse, like statsmodels."""
    coef = np.linalg.pinv(design_t.transpose(0, 2, 1)) @ y[:, :, None]
    resid = y - (design_t.transpose(0, 2, 1) @ coef)[:, :, 0]
    return np.einsum("mt,mt->m", resid, resid)
