"""How the whole lab scales with the number of followers: synthetic random walks, default grid.

Each size runs in a fresh subprocess (so its peak RSS is its own): ``run_study`` on a random-walk
leader (9,000 sessions) and N random-walk crypto followers (4,000 days), the study's default
settings, without lead-lag (that part is per pair and scales the same way). ``--scheduler local``
runs the sweep and the per-follower work on a LocalCluster (one worker per core: 2 here).
Prints wall seconds, peak RSS and seconds per follower.

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_scale.py 50 200 [--scheduler local]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

N_LEADER, N_DAYS = 9_000, 4_000


def synthetic_inputs(n_followers: int, seed: int = 7):  # type: ignore[no-untyped-def]
    from riskcurve.data.panel import decision_times
    from riskcurve.study.inputs import Follower, StudyInputs

    rng = np.random.default_rng(seed)
    sessions = pd.bdate_range("1991-01-02", periods=N_LEADER)
    leader = pd.Series(100 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, N_LEADER))), index=sessions)
    days = pd.date_range(sessions[-1] - pd.Timedelta(days=N_DAYS - 1), periods=N_DAYS, freq="D")
    followers = {}
    for i in range(n_followers):
        close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0.0, 0.04, N_DAYS))), index=days)
        followers[f"C{i:05d}"] = Follower(f"C{i:05d}", close, decision_times("crypto_utc", days), 365)
    return StudyInputs(
        leader="LEAD",
        leader_close=leader,
        leader_known=decision_times("nyse", sessions),
        followers=followers,
        regime=pd.Series(True, index=sessions),
    )


def _child(n_followers: int, scheduler: str | None) -> None:
    import resource
    from contextlib import nullcontext

    from riskcurve.study.lab import StudyConfig, run_study

    inputs = synthetic_inputs(n_followers)
    context = nullcontext(None)
    if scheduler:
        from riskcurve.study.distributed import dask_mapper

        context = dask_mapper(scheduler)  # type: ignore[assignment]
    with warnings.catch_warnings(), context as mapper:
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        follow = mapper.map_followers if mapper is not None else None  # type: ignore[attr-defined]
        run_study(inputs, StudyConfig(), sweep_mapper=mapper, follower_mapper=follow)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # largest worker, once they exit
    print(json.dumps({"followers": n_followers, "seconds": seconds, "peak_mb": peak, "worker_mb": worker}))


def main() -> None:
    args = sys.argv[1:]
    scheduler = None
    if "--scheduler" in args:
        at = args.index("--scheduler")
        scheduler = args[at + 1]
        del args[at : at + 2]
    sizes = [int(a) for a in args] or [10, 50]
    print(f"{'followers':>9} {'path':>14} {'seconds':>9} {'s/follower':>11} {'driver MB':>10} {'worker MB':>10}")
    for n in sizes:
        code = f"import bench_scale; bench_scale._child({n}, {scheduler!r})"
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(os.path.abspath(__file__)),
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        path = f"dask {scheduler}" if scheduler else "local"
        print(
            f"{n:>9} {path:>14} {row['seconds']:>9.1f} {row['seconds'] / n:>11.3f} {row['peak_mb']:>10,.0f}"
            f" {row['worker_mb'] if scheduler else 0:>10,.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
