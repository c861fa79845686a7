"""A sweep on a dask.distributed cluster equals the local sweep exactly."""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from riskcurve.study.distributed import DaskChunkMapper
from riskcurve.study.sweep import SweepGrid, run_sweep


@pytest.mark.filterwarnings("ignore::riskcurve.errors.ShortSampleWarning")
def test_distributed_sweep_equals_local(market) -> None:  # type: ignore[no-untyped-def]
    leader, followers, entry = market
    grid = SweepGrid.full()
    local = run_sweep(leader, followers, entry, (7, 30, 90), grid, chunk_size=64)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        done: list[int] = []
        remote = run_sweep(
            leader,
            followers,
            entry,
            (7, 30, 90),
            grid,
            chunk_size=64,
            mapper=DaskChunkMapper(client),
            progress=lambda d, _t: done.append(d),
        )
    assert done == [*range(64, 500, 64), 500]
    for name in ("n_events", "mean", "sd", "hit_rate", "event_offsets", "event_indices"):
        np.testing.assert_array_equal(getattr(local, name), getattr(remote, name), err_msg=name)
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame())


@pytest.mark.filterwarnings("ignore::riskcurve.errors.ShortSampleWarning")
def test_sweeps_in_a_row_on_one_client_keep_their_own_data(market) -> None:  # type: ignore[no-untyped-def]
    """Same arrays twice, then different ones: each sweep scatters under its own keys, so releasing
    one sweep's data never takes away another's (the old 'lost dependencies' race)."""
    leader, followers, entry = market
    grid = SweepGrid.default()
    other = followers.iloc[:, ::-1]
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        mapper = DaskChunkMapper(client)
        runs = [
            run_sweep(leader, f, entry, (7, 30), grid, chunk_size=8, mapper=mapper)
            for f in (followers, followers, other)
        ]
    for remote, f in zip(runs, (followers, followers, other), strict=True):
        np.testing.assert_array_equal(remote.mean, run_sweep(leader, f, entry, (7, 30), grid, chunk_size=8).mean)


def test_a_wrong_scheduler_fails_fast_before_any_data_is_read(real_store_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import riskcurve
    from riskcurve.errors import RiskcurveError
    from riskcurve.service import StudyRequest
    from riskcurve.study import inputs

    def never(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("data were read before the scheduler was reached")

    monkeypatch.setattr(inputs, "build_inputs", never)
    rc = riskcurve.open(real_store_path)
    started = time.perf_counter()
    with pytest.raises(RiskcurveError, match="cannot reach the dask scheduler"):
        rc.study(StudyRequest(scheduler="tcp://127.0.0.1:1"), "latest", keep=False)
    assert time.perf_counter() - started < 2.0


def _random_walk_inputs(n_followers: int):  # type: ignore[no-untyped-def]
    from riskcurve.data.panel import decision_times
    from riskcurve.study.inputs import Follower, StudyInputs

    rng = np.random.default_rng(11)
    sessions = pd.bdate_range("2012-01-02", periods=2500)
    leader = pd.Series(100 * np.exp(np.cumsum(rng.normal(0.0005, 0.012, len(sessions)))), index=sessions)
    days = pd.date_range("2015-01-01", sessions[-1], freq="D")
    followers = {
        f"C{i}": Follower(
            f"C{i}",
            pd.Series(100 * np.exp(np.cumsum(rng.normal(0.0, 0.04, len(days)))), index=days).iloc[40 * i :],
            decision_times("crypto_utc", days[40 * i :]),
            365,
        )
        for i in range(n_followers)
    }
    return StudyInputs("LEAD", leader, decision_times("nyse", sessions), followers, pd.Series(True, index=sessions))


def test_the_whole_study_on_a_cluster_equals_the_local_study() -> None:
    """Event studies, Romano-Wolf families, walk-forward and backtests all run as follower tasks
    (at most 2 in flight per worker, outcomes in completion order); every figure equals the local run."""
    from riskcurve.study.lab import StudyConfig, run_study

    inputs = _random_walk_inputs(5)
    cfg = StudyConfig(reps=200, placebo_draws=200, rw_reps=100, round_step=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = run_study(inputs, cfg)
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            mapper = DaskChunkMapper(client, in_flight_per_worker=1)
            seen: list[str] = []
            remote = run_study(
                inputs,
                cfg,
                sweep_mapper=mapper,
                follower_mapper=mapper.map_followers,
                progress=lambda label, _f: seen.append(label),
            )
    assert len(local.events) >= 5 and set(local.backtests) == set(inputs.followers)
    a, b = local.to_dict(), remote.to_dict()
    a.pop("seconds"), b.pop("seconds")
    assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
    assert sorted(s for s in seen if s.startswith("follower ")) == sorted(f"follower {n}" for n in inputs.followers)
