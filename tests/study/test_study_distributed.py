"""A sweep on a dask.distributed cluster equals the local sweep exactly."""

from __future__ import annotations

import time

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
