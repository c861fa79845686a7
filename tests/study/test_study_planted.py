"""End-to-end behaviour: a planted 30-step lead is found; pure noise is rejected at the nominal rate."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from riskcurve.errors import ShortSampleWarning
from riskcurve.study import SweepGrid, placebo_test, romano_wolf, run_sweep
from riskcurve.study.inference import lead_lag_scan
from riskcurve.study.sweep import forward_log_returns, signal_excess_returns

LEAD = 30


@pytest.fixture
def planted() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Leader random walk; a follower whose return copies the leader's 30 steps later plus noise."""
    rng = np.random.default_rng(42)
    n = 3000
    leader_ret = rng.normal(0.0003, 0.012, n)
    follower_ret = rng.normal(0.0, 0.02, n)
    follower_ret[LEAD:] += leader_ret[:-LEAD]
    leader = 100.0 * np.exp(np.cumsum(leader_ret))
    follower = 100.0 * np.exp(np.cumsum(follower_ret))
    return leader, follower, leader_ret, follower_ret


def test_planted_lead_is_found_by_sweep_placebo_rw_and_scan(
    planted: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    leader, follower, leader_ret, follower_ret = planted
    entry_map = np.arange(leader.shape[0])  # one calendar: enter at the event's own bar
    horizons = (5, 15, LEAD, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSampleWarning)
        sweep = run_sweep(leader, follower, entry_map, horizons, SweepGrid.default())
    # After a breakout the follower replays the leader's run-up over the next 30 steps:
    # positive excess everywhere at 30, and 30 is where the evidence (t) peaks.
    excess_30 = sweep.excess[:, 0, horizons.index(LEAD)]
    assert (excess_30 > 0).all()
    median_t = np.nanmedian(sweep.t_stat[:, 0, :], axis=0)
    assert horizons[int(np.argmax(median_t))] == LEAD

    d = int(np.argmax(np.diff(sweep.event_offsets)))  # the definition with most events
    outcomes = forward_log_returns(follower, entry_map, LEAD)[:, 0]
    cooldown = int(sweep.definitions["cooldown"].iloc[d])
    placebo = placebo_test(sweep.events(d), outcomes, n_draws=5000, min_spacing=cooldown, seed=1)
    assert placebo.reject and placebo.pvalue < 0.001

    family = romano_wolf(
        signal_excess_returns(leader, follower, entry_map, (LEAD,), SweepGrid.default()), reps=1000, seed=1
    ).family_test
    assert family.reject

    scan = lead_lag_scan(leader_ret, follower_ret, max_lag=60)
    assert scan.best_lag == LEAD
    assert scan.to_frame().loc[LEAD, "pvalue"] < 1e-10


def test_romano_wolf_rejects_at_nominal_rate_on_independent_random_walks() -> None:
    """200 independent (leader, follower) random-walk pairs, 24 configurations each.

    The family-wise rejection rate must sit near alpha (binomial sd about 0.02 at 200 seeds):
    far above means the adjustment fails, far below means the test has no power to lose.
    """
    grid = SweepGrid(lookbacks=(20, 63, 126), thresholds=(0.0, 2.0), confirmations=(1, 3), cooldowns=(21,))
    alpha = 0.10
    n = 1500
    min_p = []
    for seed in range(200):
        rng = np.random.default_rng(10_000 + seed)
        leader = 100.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, n)))
        follower = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.035, n)))
        x = signal_excess_returns(leader, follower, np.arange(n), (10, 30), grid)
        min_p.append(romano_wolf(x, reps=400, seed=seed, alpha=alpha).family_test.pvalue)
    rate = float(np.mean(np.asarray(min_p) < alpha))
    assert alpha - 0.06 <= rate <= alpha + 0.06, rate
