"""A sweep on a dask.distributed cluster equals the local sweep exactly."""

from __future__ import annotations

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
