"""Scale a breakout sweep out on dask.distributed when the grid or the universe outgrows one machine.

The sweep is embarrassingly parallel over breakout definitions. The large arrays (leader closes,
rolling highs, follower log prices, entry map) are scattered to every worker once; each task then
runs :func:`riskcurve.study.sweep.sweep_chunk` (the same numba kernels) on one slice of the
definition grid. Results come back in submission order, so a distributed sweep equals a local one
exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy.typing as npt
from distributed import Client, LocalCluster

from riskcurve.study.sweep import ChunkResult, sweep_chunk

CONNECT_TIMEOUT = "1s"  # a wrong address should fail fast, not after dask's 30 s default


class DaskChunkMapper:
    """A ``run_sweep`` mapper that runs chunks on the workers of ``client``."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def __call__(
        self, shared: dict[str, npt.NDArray[Any]], chunks: list[dict[str, npt.NDArray[Any]]]
    ) -> Iterator[ChunkResult]:
        # hash=False gives every sweep its own keys: with content-hashed keys a second sweep on the
        # same client shares the first one's scattered arrays, and the first one's release (cancel)
        # can drop them under the second one's tasks ("lost dependencies"). The scattered futures
        # stay referenced here until the last chunk has come back.
        scattered = {name: self.client.scatter(array, broadcast=True, hash=False) for name, array in shared.items()}
        futures = [self.client.submit(sweep_chunk, **scattered, **chunk, pure=False) for chunk in chunks]
        try:
            for future in futures:  # in order: results are stitched by position
                yield future.result()
        finally:
            self.client.cancel([*futures, *scattered.values()])


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
