"""Relative performance down the risk curve: price ratios, return spreads, ratio trends.

RUT/SPX and RUT/NDX rising says small caps lead large caps (step 3); ETH/BTC rising says money is
moving past bitcoin to the riskier crypto assets (step 4).

**Inputs must already be aligned**: both series on the same DatetimeIndex, i.e. the same calendar
(two NYSE indices, or two crypto assets on UTC days). Equities trade on NYSE sessions and crypto
every UTC day; mixing them needs an as-of join with a decision about which close is comparable
to which, and that is the panel's job, not something to improvise here. These functions raise
:class:`~riskcurve.errors.DataValidationError` when the indexes differ. A NaN on a date (no
observation) gives NaN there; windows count rows, i.e. sessions (or days) of the shared calendar.

All functions are causal: the value at t uses only rows dated on or before t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskcurve.errors import DataValidationError
from riskcurve.measures._common import as_float


def _aligned(a: pd.Series, b: pd.Series, what: str) -> tuple[pd.Series, pd.Series]:
    x, y = as_float(a, what), as_float(b, what)
    if not x.index.equals(y.index):
        raise DataValidationError(
            f"{what}: inputs are not aligned (different dates); align them on one calendar first (the panel)"
        )
    return x, y


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator`` on their shared dates (e.g. RUT/SPX, ETH/BTC).

    A ratio of prices strips the common market move and leaves relative performance: it rises
    exactly when the numerator outperforms. Non-positive denominators give NaN.
    """
    num, den = _aligned(numerator, denominator, "ratio")
    named = numerator.name is not None and denominator.name is not None
    return (num / den.where(den > 0)).rename(f"{numerator.name}/{denominator.name}" if named else "ratio")


def return_spread(a: pd.Series, b: pd.Series, window: int = 63) -> pd.Series:
    """``a``'s ``window``-session simple return minus ``b``'s (default 63 sessions, a quarter).

    Positive = ``a`` outperformed over the window. Simple returns, as a portfolio manager quotes
    them ("small caps beat large caps by 5 points this quarter"). NaN for the first ``window`` rows.
    """
    x, y = _aligned(a, b, "return_spread")
    spread = (x / x.shift(window) - 1) - (y / y.shift(window) - 1)
    return spread.rename(f"spread_{window}")


def ratio_trend(series: pd.Series, fast: int = 50, slow: int = 200, slope_window: int = 20) -> pd.DataFrame:
    """Trend state of a ratio (or any price-like series) from its moving averages.

    Columns: ``value``; ``ma_{fast}`` and ``ma_{slow}`` (simple means of the last ``fast``/``slow``
    rows, NaN until that many exist); ``above_{fast}`` and ``above_{slow}`` (value above the mean);
    ``slope_{fast}``, the % change of the fast mean over ``slope_window`` rows; and ``trend``:
    +1 when the value is above both means and the fast mean is rising, -1 when below both and
    falling, 0 otherwise, NaN until everything is defined. Requiring level *and* slope filters the
    whipsaw of a ratio chopping around a flat average.
    """
    s = as_float(series, "ratio_trend")
    ma_fast = s.rolling(fast, min_periods=fast).mean()
    ma_slow = s.rolling(slow, min_periods=slow).mean()
    slope = 100 * (ma_fast / ma_fast.shift(slope_window) - 1)
    above_fast = s > ma_fast
    above_slow = s > ma_slow
    up = above_fast & above_slow & (slope > 0)
    down = (s < ma_fast) & (s < ma_slow) & (slope < 0)
    trend = np.where(up, 1.0, np.where(down, -1.0, 0.0))
    defined = (s.notna() & ma_slow.notna() & slope.notna()).to_numpy()
    return pd.DataFrame(
        {
            "value": s,
            f"ma_{fast}": ma_fast,
            f"ma_{slow}": ma_slow,
            f"above_{fast}": above_fast,
            f"above_{slow}": above_slow,
            f"slope_{fast}": slope,
            "trend": np.where(defined, trend, np.nan),
        },
        index=s.index,
    )


def eth_btc_trend(
    eth: pd.Series, btc: pd.Series, fast: int = 50, slow: int = 200, slope_window: int = 20
) -> pd.DataFrame:
    """:func:`ratio_trend` of ETH/BTC on UTC days: is ether outperforming bitcoin, and is that a trend?"""
    return ratio_trend(ratio(eth, btc), fast, slow, slope_window)
