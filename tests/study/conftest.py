"""Fixtures for the thesis-lab tests."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from tests.study.study_data import random_walk_close, session_entry_map


@pytest.fixture
def market() -> tuple[npt.NDArray[np.float64], pd.DataFrame, npt.NDArray[np.int64]]:
    """3,000 leader sessions, 6 followers over 1,500 days (one listed late), entry map."""
    rng = np.random.default_rng(20240601)
    leader = random_walk_close(rng, 3000)
    followers = pd.DataFrame(
        100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.035, (1500, 6)), axis=0)),
        columns=[f"coin{i}" for i in range(6)],
    )
    followers.iloc[:400, 3] = np.nan
    return leader, followers, session_entry_map(3000, 1500)
