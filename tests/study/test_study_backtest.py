"""Backtest P&L on hand-built price paths, and the deflated Sharpe ratio against the paper."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from riskcurve.errors import DataValidationError, ShortSampleWarning
from riskcurve.study import backtest_hold, deflated_sharpe_ratio
from riskcurve.study.backtest import expected_max_sharpe, performance_metrics, probabilistic_sharpe_ratio

CLOSE = pd.Series([100.0, 110.0, 99.0, 120.0, 120.0, 132.0], index=pd.date_range("2024-01-01", periods=6))
COST = (10 + 5) / 1e4  # fee + slippage per side


def test_hold_after_signal_next_bar_execution_with_fees() -> None:
    # Signal known at the close of bar 0 -> buy at the close of bar 1 (110), hold two bars,
    # sell at the close of bar 3 (120). Each side costs 15 bps.
    with pytest.warns(ShortSampleWarning):
        res = backtest_hold(CLOSE, [0], hold=2, fee_bps=10, slippage_bps=5)
    expected = [0.0, 0.9 * (1 - COST) - 1, 120 / 99 - 1, -COST, 0.0]
    np.testing.assert_allclose(res.returns.to_numpy(), expected, rtol=1e-14, atol=1e-15)
    assert res.equity.iloc[-1] == pytest.approx(120 / 110 * (1 - COST) ** 2, rel=1e-14)
    np.testing.assert_array_equal(res.position.to_numpy(), [0, 0, 1, 1, 0, 0])
    assert res.metrics["n_trades"] == 1 and res.metrics["exposure"] == pytest.approx(0.4)
    assert res.metrics["max_drawdown"] == pytest.approx(0.9 * (1 - COST) - 1)
    assert res.metrics["total_return"] == pytest.approx(120 / 110 * (1 - COST) ** 2 - 1)
    assert res.benchmark_equity.iloc[-1] == pytest.approx(1.32 * (1 - COST))
    assert res.equity.index.equals(CLOSE.index) and res.returns.index.equals(CLOSE.index[1:])
    table = res.to_frame()
    assert list(table.columns) == ["strategy", "buy_and_hold"]
    assert "next-bar execution; 15 bps per side" in res.summary()
    with pytest.warns(ShortSampleWarning):
        assert "execution 0 bar(s) after the signal bar" in str(backtest_hold(CLOSE, [1], hold=2, execution_lag=0))


def test_execution_lag_zero_and_overlapping_signals() -> None:
    with pytest.warns(ShortSampleWarning):
        lag0 = backtest_hold(CLOSE, [1], hold=2, execution_lag=0)
        lag1 = backtest_hold(CLOSE, [0], hold=2)
        extended = backtest_hold(CLOSE, [0, 1], hold=2)
    pd.testing.assert_series_equal(lag0.returns, lag1.returns)
    # A second signal while holding extends the hold (one trade, no double position).
    np.testing.assert_array_equal(extended.position.to_numpy(), [0, 0, 1, 1, 1, 0])
    assert extended.metrics["n_trades"] == 1
    assert extended.equity.iloc[-1] == pytest.approx(120 / 110 * (1 - COST) ** 2)  # bar 4 is flat 120->120


def test_alternative_asset_costs_two_sides_per_switch() -> None:
    btc = [50.0, 50.0, 55.0, 55.0, 44.0, 44.0]
    with pytest.warns(ShortSampleWarning):
        res = backtest_hold(CLOSE, [0], hold=2, alternative_close=btc)
    # Buy BTC at close 0; switch BTC->coin at close 1 (2 sides); coin->BTC at close 3.
    expected = [-COST, 0.9 * (1 - 2 * COST) - 1, 120 / 99 - 1, 0.8 * (1 - 2 * COST) - 1, 0.0]
    np.testing.assert_allclose(res.returns.to_numpy(), expected, rtol=1e-14, atol=1e-15)
    assert "the alternative asset" in str(res)


def test_metrics_by_hand_and_annualisation_parameter() -> None:
    r = np.array([0.01, -0.02, 0.03, 0.0, -0.01])
    m = performance_metrics(r, 252)
    growth = float(np.prod(1 + r))
    assert m["cagr"] == pytest.approx(growth ** (252 / 5) - 1)
    assert m["volatility"] == pytest.approx(r.std(ddof=1) * math.sqrt(252))
    assert m["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252))
    assert m["sortino"] == pytest.approx(r.mean() / math.sqrt((0.02**2 + 0.01**2) / 5) * math.sqrt(252))
    assert m["max_drawdown"] == pytest.approx(1.01 * 0.98 / 1.01 - 1)
    assert performance_metrics(r, 365)["sharpe"] == pytest.approx(m["sharpe"] * math.sqrt(365 / 252))


def test_rejects_bad_prices() -> None:
    with pytest.raises(DataValidationError, match="finite and positive"):
        backtest_hold([100.0, np.nan, 101.0], [0], hold=1)
    with pytest.raises(ValueError, match="signal_bars"):
        backtest_hold(CLOSE, [10], hold=1)


def test_deflated_sharpe_matches_paper_example() -> None:
    # Bailey & Lopez de Prado (2014), numerical example: annualized SR 2.5 over 5 years of
    # daily data (T = 1250), N = 100 trials with annualized SR variance 0.5, skew -3,
    # kurtosis 10 -> SR0 = 0.1132 (per day) and DSR = 0.9004.
    variance = 0.5 / 250
    assert expected_max_sharpe(100, variance) == pytest.approx(0.1132, abs=5e-5)
    sr = 2.5 / math.sqrt(250)
    assert deflated_sharpe_ratio(sr, 100, 1250, -3.0, 10.0, variance) == pytest.approx(0.9004, abs=5e-5)


def test_deflated_sharpe_hand_computation_and_edge_cases() -> None:
    sr, n_trials, n_obs, skew, kurt, var = 0.08, 20, 500, -0.5, 5.0, 0.001
    gamma = 0.5772156649015329
    z = [1.6448536269514722, 2.088109657214221]  # Phi^-1(1 - 1/20), Phi^-1(1 - 1/(20 e))
    sr0 = math.sqrt(var) * ((1 - gamma) * z[0] + gamma * z[1])
    assert expected_max_sharpe(n_trials, var) == pytest.approx(sr0, rel=1e-9)
    stat = (sr - sr0) * math.sqrt(n_obs - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    expected = 0.5 * (1 + math.erf(stat / math.sqrt(2)))
    assert deflated_sharpe_ratio(sr, n_trials, n_obs, skew, kurt, var) == pytest.approx(expected, rel=1e-6)
    assert expected_max_sharpe(1, var) == 0.0
    assert probabilistic_sharpe_ratio(0.1, 0.1, 100) == pytest.approx(0.5)


def test_backtest_result_deflated_sharpe() -> None:
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0.001, 0.02, 1000)))
    res = backtest_hold(close, np.arange(0, 990, 40), hold=20, periods_per_year=365)
    assert res.sharpe_per_period == pytest.approx(res.metrics["sharpe"] / math.sqrt(365))
    one = res.deflated_sharpe(1, 0.0)
    many = res.deflated_sharpe(500, 0.002)
    assert 0.0 <= many < one <= 1.0
