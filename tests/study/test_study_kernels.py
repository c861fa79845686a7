"""Compiled kernels against the readable pandas / pure-Python reference, and hand-built cases."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from riskcurve.errors import DataValidationError, ShortSampleWarning
from riskcurve.study import SweepGrid, SweepResult, _kernels, run_sweep
from riskcurve.study.sweep import (
    breakout_events,
    entry_map_after,
    forward_log_returns,
)
from tests.study import _reference
from tests.study.study_data import random_walk_close

# Small enough for the pure-Python reference, varied enough to hit every branch.
GRID = SweepGrid(lookbacks=(5, 20, 63), thresholds=(0.0, 1.5), confirmations=(1, 2, 4), cooldowns=(1, 10))


def _sweep_quiet(*args: Any, **kwargs: Any) -> SweepResult:
    """run_sweep without the short-sample warning the small test grids trigger on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSampleWarning)
        return run_sweep(*args, **kwargs)


@pytest.mark.parametrize("lookback", [1, 2, 7, 50])
def test_rolling_prior_max_matches_pandas_with_ties(lookback: int) -> None:
    rng = np.random.default_rng(lookback)
    close = rng.integers(1, 6, 400).astype(np.float64)  # many ties
    expected = pd.Series(close).rolling(lookback).max().shift(1).to_numpy()
    np.testing.assert_array_equal(_kernels.rolling_prior_max(close, lookback), expected)


def test_breakout_hand_built_run_confirmation_and_cooldown() -> None:
    close = np.array([10, 11, 10, 12, 13, 9, 14, 15, 16, 17, 18], dtype=np.float64)
    # t=3 breaks the old high 11, t=4 confirms -> event 4; t=6/7 -> event 7; t=8/9 confirms
    # a third breakout but only 2 sessions after 7, inside the cooldown of 3: discarded.
    np.testing.assert_array_equal(breakout_events(close, 3, 0.0, 2, 3), [4, 7])
    # A 10% threshold is never met on this path.
    assert breakout_events(close, 3, 10.0, 2, 3).size == 0
    # Without cooldown the third breakout counts.
    np.testing.assert_array_equal(breakout_events(close, 3, 0.0, 2, 1), [4, 7, 9])


def test_breakout_confirmation_is_against_the_old_high() -> None:
    # t=3 breaks the old high 10; t=4 closes at 11, below the new high 12 but above the old
    # high 10, so the breakout is confirmed at t=4.
    close = np.array([10, 10, 10, 12, 11, 9], dtype=np.float64)
    np.testing.assert_array_equal(breakout_events(close, 3, 0.0, 2, 1), [4])
    # A close back under the old high resets the run.
    close = np.array([10, 10, 10, 11, 9, 11, 12], dtype=np.float64)
    assert breakout_events(close, 3, 0.0, 2, 1).size == 0
    np.testing.assert_array_equal(breakout_events(close, 3, 0.0, 1, 1), [3, 6])
    np.testing.assert_array_equal(breakout_events(close, 3, 0.0, 1, 5), [3])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_breakout_grid_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    close = random_walk_close(rng, 2500, vol=0.015)
    definitions = SweepGrid.full().definitions()
    result = _sweep_quiet(close, close[:, None], np.full(2500, -1), [1], SweepGrid.full(), chunk_size=37)
    for d, row in enumerate(definitions.itertuples(index=False)):
        expected = _reference.breakout_events(close, row.lookback, row.threshold, row.confirmation, row.cooldown)
        np.testing.assert_array_equal(result.events(d), expected, err_msg=str(row.label))
    assert result.event_indices.size > 1000


def test_sweep_matches_reference(market: tuple[np.ndarray, pd.DataFrame, np.ndarray]) -> None:
    leader, followers, entry_map = market
    horizons = [1, 7, 30, 90]
    result = _sweep_quiet(leader, followers, entry_map, horizons, GRID, chunk_size=5)
    ref = _reference.sweep(leader, followers, entry_map, horizons, GRID.definitions())
    frame = result.to_frame().set_index(["definition", "follower", "horizon"])
    assert frame.index.equals(ref.index)
    np.testing.assert_array_equal(frame["n_events"].to_numpy(), ref["n_events"].to_numpy())
    for col in ("mean", "sd", "hit_rate", "baseline"):
        np.testing.assert_allclose(frame[col], ref[col], rtol=1e-12, atol=1e-15, err_msg=col)
    # Something happened: most cells have events, and the late-listed coin has fewer.
    assert (frame["n_events"] > 0).mean() > 0.9
    counts = frame["n_events"].groupby(level="follower").sum()
    assert counts["coin3"] < counts["coin0"]


def test_sweep_is_chunk_invariant_and_reports_progress(
    market: tuple[np.ndarray, pd.DataFrame, np.ndarray],
) -> None:
    leader, followers, entry_map = market
    calls: list[tuple[int, int]] = []
    one = _sweep_quiet(leader, followers, entry_map, (7, 30), GRID, chunk_size=1)
    many = _sweep_quiet(
        leader, followers, entry_map, (7, 30), GRID, chunk_size=5, progress=lambda d, t: calls.append((d, t))
    )
    np.testing.assert_array_equal(one.event_indices, many.event_indices)
    np.testing.assert_array_equal(one.event_offsets, many.event_offsets)
    np.testing.assert_array_equal(one.mean, many.mean)
    assert calls == [(5, 36), (10, 36), (15, 36), (20, 36), (25, 36), (30, 36), (35, 36), (36, 36)]


def test_sweep_accepts_log_returns(market: tuple[np.ndarray, pd.DataFrame, np.ndarray]) -> None:
    leader, followers, entry_map = market
    log_ret = np.log(followers).diff()
    log_ret.iloc[0] = np.nan
    by_close = _sweep_quiet(leader, followers, entry_map, (7, 30), GRID)
    by_ret = _sweep_quiet(leader, log_ret, entry_map, (7, 30), GRID, kind="log_return")
    # Returns lose the first bar of each coin (its price level is unknown), nothing else.
    assert np.all(by_ret.n_events <= by_close.n_events)
    assert np.mean(by_ret.n_events == by_close.n_events) > 0.95
    same = by_ret.n_events == by_close.n_events
    np.testing.assert_allclose(by_ret.mean[same], by_close.mean[same], rtol=1e-9, atol=1e-12)


def test_sweep_result_frame_summary_and_forward_returns(
    market: tuple[np.ndarray, pd.DataFrame, np.ndarray],
) -> None:
    leader, followers, entry_map = market
    result = _sweep_quiet(leader, followers, entry_map, (7, 30), GRID)
    assert result.n_configurations == len(GRID) * 6 * 2 == len(result.to_frame())
    text = str(result)
    assert "36 definitions x 6 followers x 2 horizons = 432 configurations" in text
    # forward_log_returns gives the per-session outcomes the sweep averaged.
    fwd = forward_log_returns(followers, entry_map, 30)
    d = 7
    outcomes = fwd[result.events(d), 0]
    assert np.isclose(np.nanmean(outcomes), result.mean[d, 0, 1], rtol=1e-12)
    assert int(np.isfinite(outcomes).sum()) == result.n_events[d, 0, 1]
    frame = result.to_frame()
    row = frame[(frame.definition == d) & (frame.follower == "coin0") & (frame.horizon == 30)].iloc[0]
    assert row["excess"] == pytest.approx(row["mean"] - row["baseline"])


def test_sweep_warns_on_short_samples() -> None:
    rng = np.random.default_rng(5)
    close = random_walk_close(rng, 300)
    followers = random_walk_close(rng, 300)[:, None]
    with pytest.warns(ShortSampleWarning, match="fewer than 5 usable events"):
        run_sweep(close, followers, np.arange(300), (5,), SweepGrid.default())


def test_sweep_rejects_bad_input(market: tuple[np.ndarray, pd.DataFrame, np.ndarray]) -> None:
    leader, followers, entry_map = market
    bad = leader.copy()
    bad[10] = np.nan
    with pytest.raises(DataValidationError, match="position 10"):
        run_sweep(bad, followers, entry_map)
    with pytest.raises(ValueError, match="one entry per leader session"):
        run_sweep(leader, followers, entry_map[:-1])
    with pytest.raises(ValueError, match="follower bar index"):
        run_sweep(leader, followers, np.full_like(entry_map, 5000))
    with pytest.raises(ValueError, match="distinct positive"):
        run_sweep(leader, followers, entry_map, (0, 7))
    returns = np.log(followers).diff()
    returns.iloc[700, 1] = np.nan
    with pytest.raises(DataValidationError, match="coin1"):
        run_sweep(leader, returns, entry_map, kind="log_return")
    with pytest.raises(ValueError, match="duplicates"):
        SweepGrid(lookbacks=(20, 20))


def test_entry_map_after_picks_first_later_bar_within_delay() -> None:
    known = pd.DatetimeIndex(
        ["2024-01-02 21:00", "2024-01-03 21:00", "2024-01-05 21:00", "2023-01-01 21:00", "2024-02-01"], tz="UTC"
    )
    bars = pd.date_range("2024-01-03", periods=10, freq="D", tz="UTC")  # daily closes at 00:00 UTC
    np.testing.assert_array_equal(entry_map_after(known, bars), [0, 1, 3, -1, -1])


def test_holding_positions_extend_instead_of_stacking() -> None:
    pos = _kernels.holding_positions(10, np.array([1, 2, -1, 8], dtype=np.int64), 2)
    np.testing.assert_array_equal(pos, [0, 0, 1, 1, 1, 0, 0, 0, 0, 1])


def test_bootstrap_kernels_match_reference_exactly() -> None:
    idx = _kernels.stationary_bootstrap_indices(97, 40, 1 / 7.5, 12345)
    np.testing.assert_array_equal(idx, _reference.stationary_bootstrap_indices(97, 40, 7.5, 12345))
    x = np.random.default_rng(0).normal(size=(97, 3))
    means = _kernels.stationary_bootstrap_means(x, 40, 1 / 7.5, 12345)
    np.testing.assert_allclose(means, x[idx].mean(axis=1), rtol=1e-13, atol=1e-15)
    # Blocks really are contiguous: most steps advance by one (wrapping), about 1/7.5 jump.
    steps = np.diff(idx, axis=1) % 97
    assert 0.8 < np.mean(steps == 1) < 0.92


def test_placebo_kernel_matches_reference_and_respects_spacing() -> None:
    values = np.random.default_rng(1).normal(size=200)
    np.testing.assert_allclose(
        _kernels.placebo_means(values, 7, 10, 300, 99),
        _reference.placebo_means(values, 7, 10, 300, 99),
        rtol=1e-13,
    )
    # Two events 199 apart among 200 dates: the only placement is {0, 199}.
    positions = np.arange(200, dtype=np.float64)
    np.testing.assert_array_equal(_kernels.placebo_means(positions, 2, 199, 20, 3), np.full(20, 99.5))


def _ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    out = np.zeros(n)
    shocks = rng.normal(size=n)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + shocks[t]
    return out


def test_block_length_is_arch_politis_white_to_the_last_bit() -> None:
    """Stopping once the bandwidth is known changes nothing: the same float as arch, for series
    whose first insignificant run comes early (white noise), late (strong persistence), never
    (a random walk: every lag up to the maximum) and for sparse event-day series like the sweep's."""
    from arch.bootstrap import optimal_block_length

    rng = np.random.default_rng(12)
    sparse = np.where(rng.random(4000) < 0.03, rng.normal(size=4000), 0.0)
    overlapping = pd.Series(sparse).rolling(60, min_periods=1).sum().to_numpy()  # a 60-day forward window
    series = [
        *(_ar1(rng, n, phi) for n in (40, 500, 4000) for phi in (0.0, 0.3, 0.8, 0.97)),
        np.cumsum(rng.normal(size=3000)),
        sparse,
        overlapping,
    ]
    for x in series:
        assert _kernels.stationary_block_length(x) == optimal_block_length(x)["stationary"].iloc[0]


def test_bootstrap_means_over_several_column_tiles_match_the_index_paths() -> None:
    """300 columns of 4,000 rows outgrow one cache tile: the second, zero-padded tile must replay
    exactly the blocks (wrapping ones included) that the index paths of the same seed draw."""
    n, k, reps = 4000, 300, 20
    assert k > _kernels.BOOTSTRAP_TILE_BYTES // (8 * (n + 1))  # really more than one tile
    x = np.random.default_rng(3).normal(size=(n, k))
    means = _kernels.stationary_bootstrap_means(x, reps, 1 / 40.0, 777)
    idx = _kernels.stationary_bootstrap_indices(n, reps, 1 / 40.0, 777)
    expected = np.stack([x[path].mean(axis=0) for path in idx])
    np.testing.assert_allclose(means, expected, rtol=1e-12, atol=1e-14)
