"""Fixtures for the thesis-lab tests."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from riskcurve.catalog import Catalog
from riskcurve.data.panel import AlignedPanel
from riskcurve.data.store import Store
from riskcurve.study.inputs import build_inputs
from riskcurve.study.lab import StudyConfig, StudyResult, run_study
from riskcurve.study.leadlag import UTC_WEEK_GRACE, lead_lag
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


@pytest.fixture(scope="session")
def real_btc(real_store_path: Path, catalog: Catalog) -> StudyResult:
    """BTC and ALTS as of 2026-10-09 at the thesis horizons, with few resamples (shared by the era and
    verdict tests)."""
    with Store(real_store_path, read_only=True) as store, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inputs = build_inputs(AlignedPanel(store, catalog, "2026-10-09"), followers=("BTC", "ALTS"))
        config = StudyConfig(horizons=(30, 60, 90), reps=500, placebo_draws=2000, rw_reps=200)
        return run_study(
            inputs, config, lead_lag=lambda i: lead_lag(i, follower_grace=UTC_WEEK_GRACE, rolling_windows=())
        )
