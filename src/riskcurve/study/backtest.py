"""A deliberately simple backtest of the thesis: hold the follower for H bars after a signal.

Why so simple: the question is whether the signal is worth anything after costs, not how to
size it. One rule (enter after a signal, hold ``hold`` bars, otherwise sit in cash or in an
alternative such as BTC), next-bar execution, per-side fees and slippage, and the metrics a
reader expects next to buy-and-hold. :func:`deflated_sharpe_ratio` then discounts the
Sharpe ratio for the number of configurations tried to find it.

Timing convention (all on the follower's bars): a signal known at the close of bar ``s`` is
executed at the close of bar ``s + execution_lag`` (1 by default: next bar, never the bar
that produced the signal). Holding from the close of bar ``e`` for ``hold`` bars earns the
returns of bars ``e+1 .. e+hold`` and exits at the close of ``e+hold``. A signal while holding
extends the holding period. Each side costs ``fee_bps + slippage_bps`` of the traded value,
charged on the bar after the trade; switching between follower and alternative is two sides.
A position still open on the last bar is marked to market, not sold.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskcurve.errors import DataValidationError, ShortSampleWarning
from riskcurve.study import _kernels

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Periods per year: crypto trades every day, equities on exchange sessions.
CRYPTO_PERIODS_PER_YEAR = 365
EQUITY_PERIODS_PER_YEAR = 252
#: Euler-Mascheroni constant, in the expected maximum of N Sharpe ratios.
_EULER_GAMMA = 0.5772156649015329
_MIN_TRADES = 5


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Per-bar returns, equity and position of the strategy and of buy-and-hold, with metrics.

    Returns are simple, net of costs, one per bar after the first; equity starts at 1.0 on
    the first bar's close.
    """

    returns: pd.Series
    equity: pd.Series
    position: pd.Series
    benchmark_returns: pd.Series
    benchmark_equity: pd.Series
    metrics: dict[str, float]
    benchmark_metrics: dict[str, float]
    hold: int
    cost_bps: float
    periods_per_year: int
    alternative: str
    execution_lag: int

    @property
    def sharpe_per_period(self) -> float:
        """Non-annualized Sharpe ratio: the unit :func:`deflated_sharpe_ratio` expects."""
        return self.metrics["sharpe"] / math.sqrt(self.periods_per_year)

    def deflated_sharpe(self, n_trials: int, sr_variance_across_trials: float) -> float:
        """This strategy's DSR, given how many configurations were tried and their SR spread.

        ``sr_variance_across_trials`` is the variance of the *per-period* Sharpe ratios of
        all configurations tried (e.g. every column of a sweep's backtests).
        """
        from scipy import stats  # imported when used: ~1 s that the ledger and status never need
        r = self.returns.to_numpy()
        return deflated_sharpe_ratio(
            self.sharpe_per_period,
            n_trials,
            r.shape[0],
            float(stats.skew(r)),
            float(stats.kurtosis(r, fisher=False)),
            sr_variance_across_trials,
        )

    def to_frame(self) -> pd.DataFrame:
        """Metrics table: one row per metric, columns strategy and buy_and_hold."""
        return pd.DataFrame({"strategy": self.metrics, "buy_and_hold": self.benchmark_metrics})

    def summary(self) -> str:
        """Rules, costs and the metrics table side by side with buy-and-hold."""
        timing = (
            "next-bar execution"
            if self.execution_lag == 1
            else f"execution {self.execution_lag} bar(s) after the signal bar"
        )
        head = (
            f"Hold {self.hold} bars after each signal, otherwise {self.alternative}; {timing}; "
            f"{self.cost_bps:g} bps per side (fees + slippage); annualized with "
            f"{self.periods_per_year} periods/year; {len(self.returns)} periods"
        )
        return head + "\n" + self.to_frame().to_string(float_format=lambda v: f"{v:.4g}")

    def __str__(self) -> str:
        return self.summary()


def _price_array(close: pd.Series | npt.ArrayLike, what: str) -> FloatArray:
    arr = np.asarray(close, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional")
    if not (np.isfinite(arr) & (arr > 0)).all():
        raise DataValidationError(f"{what} must be finite and positive on every bar; trim or fill it first")
    return arr


def performance_metrics(returns: FloatArray, periods_per_year: int) -> dict[str, float]:
    """CAGR, volatility, Sharpe, Sortino, max drawdown of simple per-period returns.

    Risk-free rate zero (the alternative is cash earning nothing); Sortino's downside
    deviation is the root mean square of negative returns over all periods.
    """
    n = returns.shape[0]
    equity = np.cumprod(1.0 + returns)
    growth = float(equity[-1]) if n else 1.0
    sd = float(returns.std(ddof=1)) if n > 1 else math.nan
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2))) if n else math.nan
    mean = float(returns.mean()) if n else math.nan
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))
    root = math.sqrt(periods_per_year)
    return {
        "total_return": growth - 1.0,
        "cagr": growth ** (periods_per_year / n) - 1.0 if n else math.nan,
        "volatility": sd * root,
        "sharpe": mean / sd * root if sd > 0 else math.nan,
        "sortino": mean / downside * root if downside > 0 else math.nan,
        "max_drawdown": float(np.min(np.concatenate([[1.0], equity]) / peak - 1.0)),
    }


def _net_returns(
    position: FloatArray,
    ret: FloatArray,
    cost: float,
    alt_weight: FloatArray | None = None,
    alt_ret: FloatArray | None = None,
) -> FloatArray:
    """Per-bar simple returns net of costs; ``position`` (..., n) is the weight at each close,
    ``ret`` the n - 1 bar returns. Trades at the close of bar t set the weights held over bar
    t+1 and are charged there. Leading axes of ``position`` are separate strategies."""
    turnover = np.abs(np.diff(position, axis=-1))
    gross = 1.0 + position[..., 1:] * ret
    if alt_weight is not None and alt_ret is not None:
        turnover = turnover + np.abs(np.diff(alt_weight))
        gross = gross + alt_weight[1:] * alt_ret
    return np.asarray(gross * (1.0 - cost * turnover) - 1.0, dtype=np.float64)


def hold_sharpes(
    close: pd.Series | npt.ArrayLike,
    signal_sets: Sequence[npt.ArrayLike],
    holds: Sequence[int],
    *,
    fee_bps: float = 10.0,
    slippage_bps: float = 5.0,
    periods_per_year: int = CRYPTO_PERIODS_PER_YEAR,
    execution_lag: int = 1,
) -> FloatArray:
    """(signal sets, holds) per-period Sharpe ratios of :func:`backtest_hold` in cash, without
    building its series: the spread of every configuration a sweep tried, which the deflated
    Sharpe ratio needs. Equal to ``backtest_hold(...).sharpe_per_period`` cell by cell; all holds of
    one signal set are computed as one array."""
    price = _price_array(close, "close")
    n = price.shape[0]
    if n < 3:
        raise ValueError("need at least three bars for a Sharpe ratio")
    ret = price[1:] / price[:-1] - 1.0
    cost = (fee_bps + slippage_bps) / 1e4
    root = math.sqrt(periods_per_year)
    out = np.full((len(signal_sets), len(holds)), np.nan)
    for s, signals in enumerate(signal_sets):
        entries = np.ascontiguousarray(np.asarray(signals, dtype=np.int64) + execution_lag)
        positions = np.stack([_kernels.holding_positions(n, entries, int(h)) for h in holds])
        strat = _net_returns(positions, ret, cost)
        mean = strat.mean(axis=1)
        sd = strat.std(axis=1, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[s] = np.where(sd > 0, mean / sd * root, np.nan) / root
    return out


def backtest_hold(
    close: pd.Series | npt.ArrayLike,
    signal_bars: npt.ArrayLike,
    hold: int,
    *,
    fee_bps: float = 10.0,
    slippage_bps: float = 5.0,
    alternative_close: pd.Series | npt.ArrayLike | None = None,
    periods_per_year: int = CRYPTO_PERIODS_PER_YEAR,
    execution_lag: int = 1,
) -> BacktestResult:
    """Backtest "hold the follower ``hold`` bars after each signal, else cash (or an alternative)".

    ``signal_bars`` are follower-bar positions at whose close each signal is known; with the
    sweep's ``entry_map`` (already the first bar after knowability) pass
    ``execution_lag=0``. ``alternative_close`` (e.g. BTC on the same bars) replaces cash
    when flat. See the module docstring for the exact timing and cost conventions.
    """
    price = _price_array(close, "close")
    n = price.shape[0]
    if n < 2:
        raise ValueError("need at least two bars")
    if hold < 1 or execution_lag < 0:
        raise ValueError("hold must be >= 1 and execution_lag >= 0")
    if fee_bps < 0 or slippage_bps < 0:
        raise ValueError("fees and slippage are costs and must be >= 0")
    signals = np.asarray(signal_bars, dtype=np.int64)
    if signals.size and (signals.min() < 0 or signals.max() >= n):
        raise ValueError(f"signal_bars must be bar positions in [0, {n})")
    entries = np.ascontiguousarray(signals + execution_lag)
    position = _kernels.holding_positions(n, entries, hold)

    ret = np.concatenate([[0.0], price[1:] / price[:-1] - 1.0])
    if alternative_close is None:
        alt_ret = np.zeros(n)
        alt_weight = np.zeros(n)
        alternative = "cash"
    else:
        alt = _price_array(alternative_close, "alternative_close")
        if alt.shape[0] != n:
            raise ValueError("alternative_close must have one value per bar of close")
        alt_ret = np.concatenate([[0.0], alt[1:] / alt[:-1] - 1.0])
        alt_weight = 1.0 - position
        alt_weight[0] = 0.0
        alternative = "the alternative asset"
    cost = (fee_bps + slippage_bps) / 1e4
    strat = _net_returns(position, ret[1:], cost, alt_weight, alt_ret[1:])
    bench = ret[1:].copy()
    bench[0] = (1.0 + bench[0]) * (1.0 - cost) - 1.0

    n_trades = int(np.sum(np.diff(position) > 0))
    if n_trades < _MIN_TRADES:
        warnings.warn(
            f"backtest has only {n_trades} trades; its metrics are barely informative",
            ShortSampleWarning,
            stacklevel=2,
        )
    metrics = performance_metrics(strat, periods_per_year)
    metrics.update(exposure=float(position[1:].mean()), n_trades=float(n_trades))
    bench_metrics = performance_metrics(bench, periods_per_year)
    bench_metrics.update(exposure=1.0, n_trades=1.0)

    index = close.index if isinstance(close, pd.Series) else pd.RangeIndex(n)
    return BacktestResult(
        returns=pd.Series(strat, index=index[1:], name="strategy"),
        equity=pd.Series(np.cumprod(np.concatenate([[1.0], 1.0 + strat])), index=index, name="strategy"),
        position=pd.Series(position, index=index, name="position"),
        benchmark_returns=pd.Series(bench, index=index[1:], name="buy_and_hold"),
        benchmark_equity=pd.Series(np.cumprod(np.concatenate([[1.0], 1.0 + bench])), index=index, name="buy_and_hold"),
        metrics=metrics,
        benchmark_metrics=bench_metrics,
        hold=hold,
        cost_bps=fee_bps + slippage_bps,
        periods_per_year=periods_per_year,
        alternative=alternative,
        execution_lag=execution_lag,
    )


def expected_max_sharpe(n_trials: int, sr_variance_across_trials: float) -> float:
    """Expected maximum of ``n_trials`` Sharpe ratios with zero true mean (Bailey & Lopez de Prado).

    ``sqrt(V) * ((1 - gamma) * Z(1 - 1/N) + gamma * Z(1 - 1/(N e)))``; zero for one trial,
    since nothing was selected.
    """
    from scipy import stats
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    if sr_variance_across_trials < 0:
        raise ValueError("sr_variance_across_trials must be >= 0")
    if n_trials == 1:
        return 0.0
    z1 = stats.norm.ppf(1.0 - 1.0 / n_trials)
    z2 = stats.norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    return float(math.sqrt(sr_variance_across_trials) * ((1 - _EULER_GAMMA) * z1 + _EULER_GAMMA * z2))


def probabilistic_sharpe_ratio(
    sr: float, sr_benchmark: float, n_obs: int, skew: float = 0.0, kurt: float = 3.0
) -> float:
    """Probability that the true Sharpe exceeds ``sr_benchmark`` (Bailey & Lopez de Prado 2012).

    ``Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - skew SR + (kurt - 1)/4 SR^2))`` with per-period
    Sharpe ratios and Pearson (non-excess) kurtosis, 3 for normal returns.
    """
    from scipy import stats
    if n_obs < 2:
        raise ValueError("n_obs must be >= 2")
    var = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr**2
    if var <= 0:
        raise ValueError("skew/kurtosis imply a non-positive Sharpe-ratio variance")
    return float(stats.norm.cdf((sr - sr_benchmark) * math.sqrt(n_obs - 1) / math.sqrt(var)))


def deflated_sharpe_ratio(
    sr: float,
    n_trials: int,
    n_obs: int,
    skew: float,
    kurt: float,
    sr_variance_across_trials: float,
) -> float:
    """Deflated Sharpe ratio (Bailey & Lopez de Prado 2014): PSR against the expected max SR.

    The probability that the selected strategy's true Sharpe is positive *after* allowing
    for having picked it as the best of ``n_trials``: its benchmark is the Sharpe the best of
    that many worthless strategies would show. All Sharpe inputs are per period (not
    annualized); ``kurt`` is Pearson kurtosis (3 for normal).
    """
    return probabilistic_sharpe_ratio(sr, expected_max_sharpe(n_trials, sr_variance_across_trials), n_obs, skew, kurt)
