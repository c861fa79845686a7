"""Synthetic market data shared by the thesis-lab tests: seeded random walks, no files, no network."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def random_walk_close(
    rng: np.random.Generator, n: int, drift: float = 0.0003, vol: float = 0.012
) -> npt.NDArray[np.float64]:
    """Positive closes of a geometric random walk, the leader's shape."""
    return 100.0 * np.exp(np.cumsum(rng.normal(drift, vol, n)))


def session_entry_map(n_leader: int, n_follower: int) -> npt.NDArray[np.int64]:
    """Leader sessions (5 a week) mapped to the next daily follower bar; -1 before the follower exists."""
    k = n_follower * 5 // 7 - 1
    out = np.full(n_leader, -1, dtype=np.int64)
    out[n_leader - k :] = (np.arange(k) * 7) // 5 + 1
    return out
