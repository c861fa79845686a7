"""Readable pandas / pure-Python versions of the kernels, for the tests and the benchmark only.

Why keep a slow copy: a compiled kernel that is wrong is fast and convincing. Each function
here states the computation the obvious way (pandas rolling windows and shifts, a plain loop
for the stateful breakout rule, NumPy's ``RandomState`` for the bootstrap draws) so the tests
can demand the kernels reproduce it: identical events, counts and resample indices, and means
equal up to floating-point summation order. The benchmark times the same code as the
"idiomatic pandas" baseline. Nothing in the library calls this module.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def breakout_events(close: FloatArray, lookback: int, threshold: float, confirmation: int, cooldown: int) -> IntArray:
    """Event indices of one breakout definition, spelled out with pandas and a loop."""
    series = pd.Series(np.asarray(close, dtype=np.float64))
    old_high = series.rolling(lookback).max().shift(1)
    factor = 1.0 + threshold / 100.0
    events: list[int] = []
    run = 0
    level = np.nan
    last: int | None = None
    for t, (c, h) in enumerate(zip(series.tolist(), old_high.tolist(), strict=True)):
        if run > 0:
            run = run + 1 if c > level else 0
        if run == 0 and c > h * factor:
            level = h
            run = 1
        if run >= confirmation:
            if last is None or t - last >= cooldown:
                events.append(t)
                last = t
            run = 0
    return np.asarray(events, dtype=np.int64)


def forward_returns(log_price: pd.DataFrame, horizons: Sequence[int]) -> dict[int, pd.DataFrame]:
    """Forward log-return from every bar, one frame per horizon (NaN past the end)."""
    return {h: log_price.shift(-h) - log_price for h in horizons}


def sweep(
    leader_close: FloatArray,
    follower_close: pd.DataFrame,
    entry_map: IntArray,
    horizons: Sequence[int],
    definitions: pd.DataFrame,
) -> pd.DataFrame:
    """Per (definition, follower, horizon): n_events, mean, sd, hit_rate and baseline.

    ``definitions`` has columns lookback, threshold, confirmation, cooldown; the result is
    indexed by (definition row, follower, horizon) in that order.
    """
    log_price = pd.DataFrame(
        np.log(follower_close.to_numpy(dtype=np.float64)),
        index=follower_close.index,
        columns=follower_close.columns,
    )
    fwd = forward_returns(log_price, horizons)
    baseline = {h: frame.mean() for h, frame in fwd.items()}
    pieces = []
    params = zip(
        definitions["lookback"].tolist(),
        definitions["threshold"].tolist(),
        definitions["confirmation"].tolist(),
        definitions["cooldown"].tolist(),
        strict=True,
    )
    for d, (lookback, threshold, confirmation, cooldown) in enumerate(params):
        events = breakout_events(leader_close, lookback, threshold, confirmation, cooldown)
        entries = entry_map[events]
        entries = entries[entries >= 0]
        for h in horizons:
            sample = fwd[h].iloc[entries]
            n = sample.count()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                stats = pd.DataFrame(
                    {
                        "n_events": n,
                        "mean": sample.mean(),
                        "sd": sample.std(),
                        "hit_rate": (sample > 0).sum() / n.where(n > 0),
                        "baseline": baseline[h],
                    }
                )
            stats.index.name = "follower"
            stats["definition"] = d
            stats["horizon"] = h
            pieces.append(stats.reset_index())
    out = pd.concat(pieces, ignore_index=True)
    return out.set_index(["definition", "follower", "horizon"]).sort_index()


def stationary_bootstrap_indices(n: int, reps: int, block: float, seed: int) -> IntArray:
    """Politis-Romano index paths: per block a uniform start, then a geometric length (mean ``block``)."""
    rs = np.random.RandomState(seed)
    log_continue = np.log(1.0 - 1.0 / block)
    out = np.empty((reps, n), dtype=np.int64)
    for b in range(reps):
        path: list[int] = []
        while len(path) < n:
            start = int(rs.random_sample() * n)
            length = 1 + int(np.log(1.0 - rs.random_sample()) / log_continue)
            path.extend((start + j) % n for j in range(min(length, n - len(path))))
        out[b] = path
    return out


def placebo_means(values: FloatArray, m: int, min_spacing: int, draws: int, seed: int) -> FloatArray:
    """Placebo means by partial Fisher-Yates over spaced slots, as the kernel draws them."""
    rs = np.random.RandomState(seed)
    slots = len(values) - (m - 1) * (min_spacing - 1)
    perm = list(range(slots))
    out = np.empty(draws)
    for b in range(draws):
        for i in range(m):
            j = i + int(rs.random_sample() * (slots - i))
            perm[i], perm[j] = perm[j], perm[i]
        chosen = sorted(perm[:m])
        out[b] = np.mean([values[q + i * (min_spacing - 1)] for i, q in enumerate(chosen)])
    return out


def granger_statsmodels(data: FloatArray, pairs: Sequence[tuple[int, int]], lags: int) -> FloatArray:
    """(n_pairs, 2) ssr-F statistic and p-value per (cause, effect) column pair via statsmodels."""
    from statsmodels.tsa.stattools import grangercausalitytests

    out = np.empty((len(pairs), 2))
    for i, (cause, effect) in enumerate(pairs):
        res = grangercausalitytests(data[:, [effect, cause]], maxlag=[lags])
        f_stat, pvalue, _, _ = res[lags][0]["ssr_ftest"]
        out[i] = (f_stat, pvalue)
    return out
