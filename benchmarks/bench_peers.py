"""Every peer side by side in ONE run, on the same inputs, full sizes, no extrapolation.

Run (vectorbt lives in the optional ``bench`` extra, see requirements-bench.txt):

    python3.11 -m venv /tmp/venv-bench && /tmp/venv-bench/bin/pip install -r requirements-bench.txt
    PYTHONPATH=src /tmp/venv-bench/bin/python benchmarks/bench_peers.py

Without vectorbt its row says so and the others still run. Every ratio is printed, flattering or not:
``peer / riskcurve`` above 1 means riskcurve is faster. Each peer's answer is checked against
riskcurve's before it is timed, so no row compares different work.

1. Breakout sweep, 500 definitions x 200 followers x 6 horizons, 9,000 leader sessions, 4,000 days:
   - vectorbt: rolling highs with ``.vbt.rolling_max`` computed once per lookback (its cache), the
     breakout state machine stepped through time for all 500 definitions at once, forward
     statistics gathered per definition for all horizons and followers;
   - numpy: the same algorithm with NumPy's sliding-window maximum (no numba anywhere);
   - pandas: ``rolling().max()`` once per lookback, the state machine as a loop per definition,
     ``iloc`` + ``count/mean/std`` per cell into arrays (no DataFrame built per cell).
2. Stationary bootstrap, 10,000 resamples of a mean on 4,000 days: arch's ``StationaryBootstrap``,
   and a vectorised NumPy version of riskcurve's own prefix-sum trick.
3. Granger ssr-F for 200 pairs, 5 lags, 4,000 days: statsmodels' ``grangercausalitytests`` loop and
   a NumPy least-squares loop.

BLAS is one thread for every contender, so ratios compare algorithms, not cores.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import importlib.util  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from arch.bootstrap import StationaryBootstrap  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402
from scipy import stats  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ and benchmarks/ helpers
from tests.study import _reference  # noqa: E402

from _common import best_of  # noqa: E402
from bench_study import HORIZONS, make_market  # noqa: E402
from riskcurve.errors import ShortSampleWarning  # noqa: E402
from riskcurve.study import SweepGrid, granger_causality, run_sweep, stationary_bootstrap_ci  # noqa: E402

Rows = list[tuple[str, float, str, float | None, str]]


# ----------------------------------------------------------------------------------- sweep peers
def _numpy_prior_max(close: np.ndarray, lookback: int) -> np.ndarray:
    out = np.full(close.shape[0], np.nan)
    out[lookback:] = sliding_window_view(close, lookback)[:-1].max(axis=1)
    return out


def _vectorbt_prior_max(close: np.ndarray, lookback: int) -> np.ndarray:
    import vectorbt  # noqa: F401  (registers the .vbt accessor)

    return pd.Series(close).vbt.rolling_max(lookback).shift(1).to_numpy()


def _events_all_definitions(close: np.ndarray, highs: np.ndarray, definitions: pd.DataFrame) -> list[np.ndarray]:
    """The breakout state machine stepped through time once, all definitions side by side."""
    row = np.searchsorted(np.unique(definitions["lookback"]), definitions["lookback"].to_numpy())
    factor = 1.0 + definitions["threshold"].to_numpy(dtype=np.float64) / 100.0
    confirm = definitions["confirmation"].to_numpy()
    cooldown = definitions["cooldown"].to_numpy()
    n_defs = len(definitions)
    count = np.zeros(n_defs, dtype=np.int64)
    level = np.zeros(n_defs)
    last = -cooldown.copy()
    fired = np.zeros((close.shape[0], n_defs), dtype=bool)
    prior = highs[row]  # (definitions, sessions)
    with np.errstate(invalid="ignore"):
        for t, c in enumerate(close):
            running = count > 0
            count = np.where(running, np.where(c > level, count + 1, 0), 0)
            start = (count == 0) & (c > prior[:, t] * factor)
            level = np.where(start, prior[:, t], level)
            count = np.where(start, 1, count)
            done = count >= confirm
            keep = done & (t - last >= cooldown)
            fired[t] = keep
            last = np.where(keep, t, last)
            count = np.where(done, 0, count)
    return [np.flatnonzero(fired[:, d]) for d in range(n_defs)]


def _gathered_stats(
    log_price: np.ndarray, entry_map: np.ndarray, events: list[np.ndarray], horizons: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """(definitions, followers, horizons) counts and means, every horizon gathered at once."""
    n_bars = log_price.shape[0]
    fwd = np.full((n_bars, len(horizons), log_price.shape[1]), np.nan)
    for i, h in enumerate(horizons):
        fwd[: n_bars - h, i] = log_price[h:] - log_price[:-h]
    counts = np.zeros((len(events), log_price.shape[1], len(horizons)), dtype=np.int64)
    means = np.full(counts.shape, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for d, ev in enumerate(events):
            entries = entry_map[ev]
            sample = fwd[entries[entries >= 0]]  # (events, horizons, followers)
            counts[d] = np.isfinite(sample).sum(axis=0).T
            means[d] = np.nanmean(sample, axis=0).T
            np.nanstd(sample, axis=0, ddof=1)  # the sd the sweep reports too
            np.nanmean(sample > 0, axis=0)  # and the hit rate
    return counts, means


def _array_sweep(prior_max: Callable[[np.ndarray, int], np.ndarray]) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    def sweep(leader: np.ndarray, followers: pd.DataFrame, entry_map: np.ndarray, definitions: pd.DataFrame):  # type: ignore[no-untyped-def]
        highs = np.stack([prior_max(leader, int(lb)) for lb in np.unique(definitions["lookback"])])  # once per lookback
        events = _events_all_definitions(leader, highs, definitions)
        return _gathered_stats(np.log(followers.to_numpy()), entry_map, events, HORIZONS)

    return sweep


def _pandas_sweep(leader: np.ndarray, followers: pd.DataFrame, entry_map: np.ndarray, definitions: pd.DataFrame):  # type: ignore[no-untyped-def]
    """Idiomatic pandas: rolling().max() per lookback, a loop per definition, describe per cell."""
    close = pd.Series(leader)
    highs = {lb: close.rolling(lb).max().shift(1).tolist() for lb in definitions["lookback"].unique()}
    log_price = np.log(followers)
    fwd = {h: log_price.shift(-h) - log_price for h in HORIZONS}
    counts = np.zeros((len(definitions), followers.shape[1], len(HORIZONS)), dtype=np.int64)
    means = np.full(counts.shape, np.nan)
    values = close.tolist()
    for d, spec in enumerate(definitions.itertuples()):
        factor, events, run, level, last = 1.0 + spec.threshold / 100.0, [], 0, np.nan, None
        for t, (c, h) in enumerate(zip(values, highs[spec.lookback], strict=True)):
            if run > 0:
                run = run + 1 if c > level else 0
            if run == 0 and c > h * factor:
                level, run = h, 1
            if run >= spec.confirmation:
                if last is None or t - last >= spec.cooldown:
                    events.append(t)
                    last = t
                run = 0
        entries = entry_map[events]
        entries = entries[entries >= 0]
        for i, h in enumerate(HORIZONS):
            sample = fwd[h].iloc[entries]
            counts[d, :, i] = sample.count().to_numpy()
            means[d, :, i] = sample.mean().to_numpy()
            sample.std()
            (sample > 0).mean()
    return counts, means


def bench_sweep(rng: np.random.Generator) -> Rows:
    leader, followers, entry_map = make_market(rng)
    grid = SweepGrid.full()
    definitions = grid.definitions()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSampleWarning)
        run_sweep(leader, followers, entry_map, HORIZONS, grid)  # numba cache load
        ours = run_sweep(leader, followers, entry_map, HORIZONS, grid)
        t_ours = best_of(lambda: run_sweep(leader, followers, entry_map, HORIZONS, grid), 5)
    label = f"sweep {len(definitions)} defs x {followers.shape[1]} followers x {len(HORIZONS)} horizons"
    peers: list[tuple[str, Callable[..., tuple[np.ndarray, np.ndarray]] | None, int]] = [
        (
            "vectorbt 1.x: rolling max cached per lookback, events + stats in numpy",
            _array_sweep(_vectorbt_prior_max) if importlib.util.find_spec("vectorbt") else None,
            3,
        ),
        ("numpy (no numba): sliding-window max, events + stats vectorised", _array_sweep(_numpy_prior_max), 3),
        ("pandas: rolling().max(), loop per definition, per-cell reductions", _pandas_sweep, 1),
    ]
    rows: Rows = []
    for name, peer, repeat in peers:
        if peer is None:
            rows.append((label, t_ours, name, None, "vectorbt not installed (pip install '.[bench]')"))
            continue
        counts, means = peer(leader, followers, entry_map, definitions)  # warm-up and the check
        np.testing.assert_array_equal(counts, ours.n_events, err_msg=name)
        np.testing.assert_allclose(means, ours.mean, rtol=1e-9, atol=1e-12, err_msg=name)
        t_peer = best_of(lambda p=peer: p(leader, followers, entry_map, definitions), repeat)  # type: ignore[misc]
        rows.append((label, t_ours, name, t_peer, "same event counts and means"))
    return rows


# ------------------------------------------------------------------------------- bootstrap peers
def _numpy_stationary_bootstrap(x: np.ndarray, reps: int, block: float, seed: int) -> np.ndarray:
    """riskcurve's prefix-sum trick in vectorised NumPy: blocks drawn for all resamples at once."""
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    csum = np.concatenate([[0.0], np.cumsum(x - x.mean())])
    n_blocks = int(np.ceil(n / block * 1.5)) + 16  # enough blocks to cover n in (nearly) every resample
    starts = rng.integers(0, n, size=(reps, n_blocks))
    lengths = rng.geometric(1.0 / block, size=(reps, n_blocks))
    ends = np.cumsum(lengths, axis=1)
    lengths = np.where(ends > n, np.maximum(n - (ends - lengths), 0), lengths)  # cut the last block at n
    stop = starts + lengths
    wrapped = stop > n
    sums = np.where(
        wrapped, csum[n] - csum[starts] + csum[np.where(wrapped, stop - n, 0)], csum[np.minimum(stop, n)] - csum[starts]
    )
    return sums.sum(axis=1) / n + x.mean()


def bench_bootstrap(rng: np.random.Generator) -> Rows:
    x = rng.standard_t(4, 4_000) * 0.04
    block, reps = 10.0, 10_000
    stationary_bootstrap_ci(x, reps=10, block=block, seed=0)  # numba cache load
    t_ours = best_of(lambda: stationary_bootstrap_ci(x, reps=reps, block=block, seed=1), 3)
    ours = stationary_bootstrap_ci(x, reps=reps, block=block, seed=1)
    bs = StationaryBootstrap(int(block), x, seed=1)
    t_arch = best_of(lambda: bs.conf_int(np.mean, reps=reps, method="percentile"), 2)
    arch_ci = bs.conf_int(np.mean, reps=reps, method="percentile")[:, 0]
    means = _numpy_stationary_bootstrap(x, reps, block, 1)
    t_np = best_of(lambda: np.percentile(_numpy_stationary_bootstrap(x, reps, block, 1), [2.5, 97.5]), 3)
    label = "stationary bootstrap 10,000 x mean, n=4,000"
    ours_ci = (ours.lower, ours.upper)
    note = f"95% CI ours {ours_ci[0]:+.4f}..{ours_ci[1]:+.4f}, arch {arch_ci[0]:+.4f}..{arch_ci[1]:+.4f}"
    np_ci = np.percentile(means, [2.5, 97.5])
    return [
        (label, t_ours, "arch StationaryBootstrap.conf_int", t_arch, note),
        (label, t_ours, "numpy: same prefix-sum trick, vectorised", t_np, f"numpy CI {np_ci[0]:+.4f}..{np_ci[1]:+.4f}"),
    ]


# --------------------------------------------------------------------------------- Granger peers
def _numpy_granger(data: np.ndarray, pairs: list[tuple[int, int]], lags: int) -> np.ndarray:
    """ssr-F per pair: restricted and unrestricted least squares with np.linalg.lstsq."""
    t = data.shape[0]
    out = np.empty(len(pairs))
    for k, (cause, effect) in enumerate(pairs):
        y = data[lags:, effect]
        own = np.column_stack([data[lags - i : t - i, effect] for i in range(1, lags + 1)])
        other = np.column_stack([data[lags - i : t - i, cause] for i in range(1, lags + 1)])
        ones = np.ones((t - lags, 1))
        restricted = np.hstack([ones, own])
        full = np.hstack([restricted, other])
        ssr_r = np.sum((y - restricted @ np.linalg.lstsq(restricted, y, rcond=None)[0]) ** 2)
        ssr_u = np.sum((y - full @ np.linalg.lstsq(full, y, rcond=None)[0]) ** 2)
        dof = t - lags - full.shape[1]
        out[k] = (ssr_r - ssr_u) / lags / (ssr_u / dof)
    stats.f.sf(out, lags, t - 3 * lags - 1)
    return out


def bench_granger(rng: np.random.Generator) -> Rows:
    data = rng.normal(size=(4_000, 201))
    pairs = [(0, j) for j in range(1, 201)]
    lags = 5
    granger_causality(data[:100], pairs[:2], 1)  # warm-up
    t_ours = best_of(lambda: granger_causality(data, pairs, lags), 3)
    ours = granger_causality(data, pairs, lags).f_stat
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sm = best_of(lambda: _reference.granger_statsmodels(data, pairs, lags), 1)
        sm = _reference.granger_statsmodels(data, pairs[:5], lags)[:, 0]
    np_f = _numpy_granger(data, pairs, lags)
    t_np = best_of(lambda: _numpy_granger(data, pairs, lags), 3)
    label = f"Granger ssr-F, 200 pairs, {lags} lags, T=4,000"
    return [
        (
            label,
            t_ours,
            "statsmodels grangercausalitytests loop",
            t_sm,
            f"max |dF| {np.max(np.abs(ours[:5] - sm)):.1e}",
        ),
        (label, t_ours, "numpy lstsq loop", t_np, f"max |dF| {np.max(np.abs(ours - np_f)):.1e}"),
    ]


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    rng = np.random.default_rng(2024)
    rows = bench_sweep(rng) + bench_bootstrap(rng) + bench_granger(rng)
    table = Table(title=f"riskcurve against its peers, one run, full sizes (CPU count {os.cpu_count()}, BLAS 1 thread)")
    for column in ("task", "riskcurve s", "peer", "peer s", "peer / riskcurve", "check"):
        table.add_column(column, justify="right" if column.endswith(("s", "riskcurve")) else "left")
    for task, ours, peer, theirs, note in rows:
        table.add_row(
            task,
            f"{ours:.3f}",
            peer,
            "-" if theirs is None else f"{theirs:.3f}",
            "-" if theirs is None else f"{theirs / ours:.1f}x",
            note,
        )
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
