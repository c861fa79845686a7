"""Scale the thesis lab out on dask.distributed when the grid or the universe outgrows one machine.

Two kinds of task, both embarrassingly parallel:

- the breakout sweep, over slices of the definition grid: the large arrays (leader closes, rolling
  highs, follower log prices, entry map) are scattered to every worker once and each task runs
  :func:`riskcurve.study.sweep.sweep_chunk` (the same numba kernels) on one slice; results come back
  in submission order, so a distributed sweep equals a local one exactly;
- the per-follower work (event study, Romano-Wolf family, walk-forward, backtest), one task per
  follower: the leader side is scattered once, each task carries only its own follower, at most
  ``in_flight`` tasks are out at a time and outcomes stream back as they finish
  (``as_completed``), so neither the driver nor a worker holds more than a window of followers.

Every scatter uses ``hash=False``: its keys are this call's own, so releasing one run's data can
never take away another run's on the same client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy.typing as npt
from distributed import Client, LocalCluster, as_completed

from riskcurve.study.lab import FollowerOutcome, FollowerTask, SharedWork
from riskcurve.study.sweep import ChunkResult, sweep_chunk

CONNECT_TIMEOUT = "1s"  # a wrong address should fail fast, not after dask's 30 s default


class DaskChunkMapper:
    """Runs ``run_sweep`` chunks (call it) and ``run_study`` followers (``map_followers``) on ``client``."""

    def __init__(self, client: Client, in_flight_per_worker: int = 4) -> None:
        self.client = client
        self.in_flight_per_worker = in_flight_per_worker

    def __call__(
        self, shared: dict[str, npt.NDArray[Any]], chunks: list[dict[str, npt.NDArray[Any]]]
    ) -> Iterator[ChunkResult]:
        # The scattered futures stay referenced here until the last chunk has come back.
        scattered = {name: self.client.scatter(array, broadcast=True, hash=False) for name, array in shared.items()}
        futures = [self.client.submit(sweep_chunk, **scattered, **chunk, pure=False) for chunk in chunks]
        try:
            for future in futures:  # in order: results are stitched by position
                yield future.result()
        finally:
            self.client.cancel([*futures, *scattered.values()])

    def map_followers(
        self,
        work: Callable[[SharedWork, FollowerTask], FollowerOutcome],
        shared: SharedWork,
        tasks: Sequence[FollowerTask],
    ) -> Iterator[FollowerOutcome]:
        """Outcomes in completion order, with at most ``in_flight_per_worker`` tasks per worker out."""
        window = max(1, self.in_flight_per_worker * max(1, len(self.client.scheduler_info()["workers"])))
        common = self.client.scatter(shared, broadcast=True, hash=False)
        pending = iter(tasks)
        running = as_completed()
        for task in _take(pending, window):
            running.add(self.client.submit(work, common, task, pure=False))
        try:
            for future in running:
                outcome = future.result()
                future.release()  # the driver keeps the outcome, the cluster need not
                for task in _take(pending, 1):
                    running.add(self.client.submit(work, common, task, pure=False))
                yield outcome
        finally:
            self.client.cancel([*running.futures, common])


def _take(items: Iterator[FollowerTask], n: int) -> list[FollowerTask]:
    out = []
    for item in items:
        out.append(item)
        if len(out) == n:
            break
    return out


@contextmanager
def dask_mapper(scheduler: str) -> Iterator[DaskChunkMapper]:
    """``"local"`` starts a LocalCluster on this machine (one worker per core); anything else is the
    address of a running scheduler (``tcp://host:8786``)."""
    if scheduler == "local":
        with LocalCluster(threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
            yield DaskChunkMapper(client)
    else:
        with Client(scheduler, timeout=CONNECT_TIMEOUT) as client:
            yield DaskChunkMapper(client)
