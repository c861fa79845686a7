"""Benchmark the thesis-lab kernels against the obvious pandas / arch / statsmodels code.

Run: ``.venv/bin/python benchmarks/bench_study.py``. Prints a table; asserts nothing.

1. Breakout sweep, 500 definitions x 200 followers x 6 horizons on 9,000 leader sessions and
   4,000 follower days: ``run_sweep`` vs the idiomatic pandas loop in
   ``tests/study/_reference.sweep`` (timed on a subset of definitions and extrapolated
   linearly, which the output says).
2. 10,000 stationary-bootstrap resamples of a mean (95% percentile CI) on 4,000 days:
   ``stationary_bootstrap_ci`` vs ``arch.bootstrap.StationaryBootstrap.conf_int``.
3. Granger ssr-F tests for 200 pairs, 5 lags, 4,000 days: ``granger_causality`` vs a loop over
   statsmodels' ``grangercausalitytests``.
4. The whole ``riskcurve study --as-of latest`` on ../shared/data (a fresh process per run: imports,
   inputs, the lab, the ledger, the result write and the screen), default grid, with ``--json`` (adds
   the stage model) and on the full grid; and ``Riskcurve.stage_model`` in-process, computed on a
   fresh service and asked again (kept). No peer computes the same: absolute medians of
   ``--commands`` runs (default 3) against the issues' targets. Skip with ``--no-commands``.

BLAS is pinned to one thread for every contender (threadpoolctl if importable, else the
environment variables below, set before NumPy loads) so ratios compare algorithms, not cores.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import contextlib  # noqa: E402
import functools  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from arch.bootstrap import StationaryBootstrap  # noqa: E402

from _common import DATA_DIR  # noqa: E402
from riskcurve.errors import ShortSampleWarning  # noqa: E402
from riskcurve.study import SweepGrid, granger_causality, run_sweep, stationary_bootstrap_ci  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test-only reference versions
from tests.study import _reference  # noqa: E402

N_LEADER, N_FOLLOWER_DAYS, N_FOLLOWERS = 9_000, 4_000, 200
HORIZONS = (7, 14, 30, 45, 60, 90)
PANDAS_SUBSET = 10  # definitions timed in the pandas loop, then extrapolated to 500


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Fastest of ``repeat`` wall-clock runs: the least disturbed by other load on the box."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


@contextlib.contextmanager
def one_blas_thread() -> Iterator[str]:
    """Limit BLAS to one thread, saying how it was done."""
    if importlib.util.find_spec("threadpoolctl") is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            yield "threadpoolctl"
    else:
        yield "threadpoolctl not installed; OPENBLAS/OMP/MKL_NUM_THREADS=1 set before importing NumPy"


def make_market(rng: np.random.Generator) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """Leader closes on sessions, 200 follower closes on days, and the session -> day map."""
    leader = 100.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, N_LEADER)))
    followers = pd.DataFrame(
        100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.04, (N_FOLLOWER_DAYS, N_FOLLOWERS)), axis=0)),
        columns=[f"coin{i:03d}" for i in range(N_FOLLOWERS)],
    )
    for i in range(0, N_FOLLOWERS, 4):  # a quarter of the coins list later
        followers.iloc[: 10 * i, i] = np.nan
    overlap = N_FOLLOWER_DAYS * 5 // 7 - 1  # the last ~11 years of sessions have a follower bar
    entry_map = np.full(N_LEADER, -1, dtype=np.int64)
    entry_map[N_LEADER - overlap :] = (np.arange(overlap) * 7) // 5 + 1
    return leader, followers, entry_map


def bench_sweep(rng: np.random.Generator) -> list[tuple[str, float, float, str]]:
    leader, followers, entry_map = make_market(rng)
    grid = SweepGrid.full()
    definitions = grid.definitions()

    def ours() -> object:
        return run_sweep(leader, followers, entry_map, HORIZONS, grid)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSampleWarning)
        start = time.perf_counter()
        ours()
        first = time.perf_counter() - start
        t_ours = best_of(ours, 5)
    subset = definitions.iloc[:: len(definitions) // PANDAS_SUBSET].head(PANDAS_SUBSET)
    t_subset = best_of(lambda: _reference.sweep(leader, followers, entry_map, HORIZONS, subset), 2)
    t_pandas = t_subset * len(definitions) / len(subset)
    note = (
        f"first call {first:.2f}s (compile/cache load); pandas timed on {len(subset)} of "
        f"{len(definitions)} definitions ({t_subset:.2f}s) and extrapolated linearly"
    )
    label = f"sweep {len(definitions)} defs x {N_FOLLOWERS} followers x {len(HORIZONS)} horizons"
    return [(label, t_ours, t_pandas, note)]


def bench_bootstrap(rng: np.random.Generator) -> list[tuple[str, float, float, str]]:
    x = rng.standard_t(4, N_FOLLOWER_DAYS) * 0.04
    block = 10.0
    stationary_bootstrap_ci(x, reps=10, block=block, seed=0)  # compile / cache load
    t_ours = best_of(lambda: stationary_bootstrap_ci(x, reps=10_000, block=block, seed=1), 3)
    bs = StationaryBootstrap(int(block), x, seed=1)
    t_arch = best_of(lambda: bs.conf_int(np.mean, reps=10_000, method="percentile"), 2)
    return [(f"stationary bootstrap 10,000 x mean, n={N_FOLLOWER_DAYS}", t_ours, t_arch, "95% percentile CI")]


def bench_granger(rng: np.random.Generator) -> list[tuple[str, float, float, str]]:
    data = rng.normal(size=(N_FOLLOWER_DAYS, 201))
    pairs = [(0, j) for j in range(1, 201)]
    lags = 5
    granger_causality(data[:100], pairs[:2], 1)  # warm-up
    t_ours = best_of(lambda: granger_causality(data, pairs, lags), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sm = best_of(lambda: _reference.granger_statsmodels(data, pairs, lags), 1)
        check = _reference.granger_statsmodels(data, pairs[:5], lags)
    ours = granger_causality(data, pairs[:5], lags)
    err = float(np.max(np.abs(ours.f_stat - check[:, 0])))
    return [(f"Granger ssr-F, 200 pairs, {lags} lags, T={N_FOLLOWER_DAYS}", t_ours, t_sm, f"max |dF| {err:.1e}")]


def median_of(fn: Callable[[], object], repeat: int) -> float:
    """Median wall-clock seconds of ``repeat`` runs (the commands are long: one disturbed run must not
    decide, nor one lucky one)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_commands(repeat: int) -> list[tuple[str, float, float]]:
    """(task, median seconds, target seconds) for the study command and the stage model on the real data."""
    import riskcurve

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        env = {**os.environ, "RISKCURVE_DB": str(db), "RISKCURVE_DATA_DIR": str(DATA_DIR)}

        def cli(*args: str) -> Callable[[], object]:
            command = [sys.executable, "-m", "riskcurve.cli", *args]
            return lambda: subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)

        cli("update")()
        cli("study", "--as-of", "latest")()  # compile caches warm, as on a user's second run
        latest = ("study", "--as-of", "latest")
        rows = [
            ("riskcurve study --as-of latest (default grid)", median_of(cli(*latest), repeat), 3.0),
            ("same, --json (adds the stage model)", median_of(cli(*latest, "--json"), repeat), 10.0),
            ("same, --grid full", median_of(cli(*latest, "--grid", "full"), repeat), 8.0),
        ]
        computed, kept = [], []
        for _ in range(repeat):
            ask = riskcurve.open(db).stage_model  # a fresh service: nothing kept yet
            computed.append(median_of(functools.partial(ask, "latest"), 1))
            kept.append(median_of(functools.partial(ask, "latest"), 1))
        rows.append(("Riskcurve.stage_model('latest'), computed (warm imports)", statistics.median(computed), 3.0))
        rows.append(("same, asked again on the same service (kept)", statistics.median(kept), 0.5))
    return rows


def main() -> None:
    rng = np.random.default_rng(2024)
    targets = {"sweep": 100.0, "stationary": 2.0, "Granger": 10.0}
    with one_blas_thread() as how:
        rows = bench_sweep(rng) + bench_bootstrap(rng) + bench_granger(rng)
    print(f"BLAS threads: 1 ({how}); CPU count {os.cpu_count()} (shared machine: timings are best-of-N)")
    header = f"{'task':<58} {'riskcurve':>10} {'baseline':>10} {'ratio':>8} {'target':>7}  note"
    print(header)
    print("-" * len(header))
    for label, ours, base, note in rows:
        target = next(v for k, v in targets.items() if k in label)
        ratio = base / ours
        verdict = "ok" if ratio >= target else "MISSED"
        print(f"{label:<58} {ours:>9.3f}s {base:>9.3f}s {ratio:>7.1f}x {target:>6.0f}x  {verdict}; {note}")
    if "--no-commands" in sys.argv:
        return
    repeat = int(sys.argv[sys.argv.index("--commands") + 1]) if "--commands" in sys.argv else 3
    print(f"\nWhole commands on the shared data, median of {repeat} (no peer computes the same):")
    for label, seconds, target in bench_commands(repeat):
        verdict = "ok" if seconds <= target else "MISSED"
        print(f"{label:<58} {seconds:>9.2f}s  target {target:g} s  {verdict}")


if __name__ == "__main__":
    main()
