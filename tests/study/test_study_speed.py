"""The fast paths of the lab give the same numbers as the slow, obvious code they replaced.

Each test runs the old way (kept here, in the test) beside the new one on the real data, or counts
the work done, so a speed-up can never quietly change a result.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcurve.catalog import Catalog
from riskcurve.data.panel import AlignedPanel
from riskcurve.data.store import Store
from riskcurve.study.backtest import backtest_hold, hold_sharpes
from riskcurve.study.inputs import alt_basket, build_inputs
from riskcurve.study.lab import StudyConfig, _trial_sharpes
from riskcurve.study.sweep import SweepGrid, breakout_events, entry_map_after, run_sweep, signal_excess_returns

AS_OF = "2026-08-22"


@pytest.fixture(scope="module")
def eth_inputs(real_store_path: Path, catalog: Catalog):  # type: ignore[no-untyped-def]
    with Store(real_store_path, read_only=True) as store:
        return build_inputs(AlignedPanel(store, catalog, AS_OF), followers=("ETH",))


def _old_trial_sharpes(leader: pd.Series, close: pd.Series, entry: np.ndarray, grid: SweepGrid, cfg: StudyConfig):  # type: ignore[no-untyped-def]
    """The implementation before numpy: one breakout_events and one backtest_hold per cell."""
    out = []
    for definition in grid.definitions().itertuples():
        events = breakout_events(
            leader,
            int(definition.lookback),
            float(definition.threshold),
            int(definition.confirmation),
            int(definition.cooldown),
        )
        signals = entry[events]
        signals = signals[signals >= 0]
        for hold in cfg.horizons:
            result = backtest_hold(
                close, signals, hold, fee_bps=cfg.fee_bps, slippage_bps=cfg.slippage_bps, execution_lag=0
            )
            out.append(result.sharpe_per_period)
    return np.asarray(out, dtype=np.float64)


@pytest.mark.filterwarnings("ignore::riskcurve.errors.ShortSampleWarning")
@pytest.mark.parametrize("grid", ["default", "full"])
def test_trial_sharpes_equal_the_backtest_loop_on_real_eth(eth_inputs, grid: str) -> None:  # type: ignore[no-untyped-def]
    cfg = StudyConfig(grid=grid)  # type: ignore[arg-type]
    close, times = eth_inputs.followers["ETH"].bars()
    assert not close.isna().any()
    entry = entry_map_after(eth_inputs.leader_known, times)
    sweep = run_sweep(eth_inputs.leader_close, close.to_frame(), entry, cfg.horizons, cfg.sweep_grid())
    new = _trial_sharpes(close, entry, (sweep.event_offsets, sweep.event_indices), cfg)
    old = _old_trial_sharpes(eth_inputs.leader_close, close, entry, cfg.sweep_grid(), cfg)
    assert new.shape == (len(cfg.sweep_grid()) * len(cfg.horizons),)
    assert np.isfinite(new).sum() > len(new) // 2  # most cells trade, so the comparison means something
    np.testing.assert_array_equal(new, old)


def test_hold_sharpes_by_hand() -> None:
    """Three bars up 10% each; one signal at bar 0 held 2 bars: returns net of one 15 bps side each way."""
    close = np.array([100.0, 110.0, 121.0, 133.1, 133.1])
    out = hold_sharpes(close, [np.array([0]), np.array([], dtype=np.int64)], (2,), execution_lag=0)
    cost = 15 / 1e4
    strat = np.array([1.1 * (1 - cost) - 1, 0.1, (1 - cost) - 1, 0.0])
    assert out[0, 0] == pytest.approx(strat.mean() / strat.std(ddof=1))
    assert np.isnan(out[1, 0])  # never invested: no variance, no Sharpe


@pytest.mark.filterwarnings("ignore::riskcurve.errors.ShortSampleWarning")
def test_excess_matrix_is_finite_so_numpy_std_selects_like_pandas(eth_inputs) -> None:  # type: ignore[no-untyped-def]
    close, times = eth_inputs.followers["ETH"].bars()
    entry = entry_map_after(eth_inputs.leader_known, times)
    excess = signal_excess_returns(eth_inputs.leader_close, close, entry, (7, 30, 90), SweepGrid.full())
    assert np.isfinite(excess.to_numpy()).all()
    np.testing.assert_array_equal(excess.to_numpy().std(axis=0) > 0, (excess.std() > 0).to_numpy())


def test_alt_basket_reads_the_universe_in_few_queries(real_store_path: Path, catalog: Catalog) -> None:
    with Store(real_store_path, read_only=True) as store:
        calls = []
        original = store.as_of

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(args)
            return original(*args, **kwargs)

        store.as_of = counting  # type: ignore[method-assign]
        basket = alt_basket(AlignedPanel(store, catalog, AS_OF))
        store.as_of = original  # type: ignore[method-assign]
        one_by_one = AlignedPanel(store, catalog, AS_OF)
        coins = [s.id for s in catalog.crypto_universe() if s.id not in ("BTC", "ETH")]
        for coin in coins:  # the old access pattern: one query per coin and field
            one_by_one.series(coin)
            one_by_one.series(coin, "market_cap")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = alt_basket(one_by_one)
    assert len(coins) > 50 and len(calls) <= 3
    pd.testing.assert_series_equal(basket, reference)


def test_importing_the_study_inputs_does_not_load_the_statistics_stack() -> None:
    code = (
        "import sys, riskcurve.study.inputs; "
        "print(sorted(m for m in ('statsmodels', 'arch', 'numba', 'scipy.stats') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    from riskcurve import study

    assert study.run_sweep is run_sweep and set(study.__all__) <= set(dir(study))


def test_nyse_sessions_from_the_cache_equal_exchange_calendars(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from riskcurve.data import panel

    monkeypatch.setattr(panel.platformdirs, "user_cache_dir", lambda _app: str(tmp_path))
    panel.nyse_sessions.cache_clear()
    built = panel.nyse_sessions()  # no cache file yet: built from exchange_calendars, then saved
    assert panel._sessions_cache().exists()
    panel.nyse_sessions.cache_clear()
    cached = panel.nyse_sessions()
    panel.nyse_sessions.cache_clear()
    pd.testing.assert_index_equal(built, cached, exact=True)
    assert cached.freq is None and pd.Timestamp("2001-09-11") not in cached and pd.Timestamp("2026-01-08") in cached
    panel._sessions_cache().write_bytes(b"not an npy file")  # a damaged cache is rebuilt, not trusted
    pd.testing.assert_index_equal(panel.nyse_sessions(), built, exact=True)
    panel.nyse_sessions.cache_clear()
