"""Credit and rates measures: high-yield spread, real yield, yield curve.

Step (1) of the thesis is "credit eases": high-yield spreads tighten (and are low relative to their
own history), real yields fall, the curve is no longer deeply inverted. Inputs are FRED daily
series in percent, indexed by the dates the caller considers them known. All functions are
causal: the value at t uses only observations dated on or before t.
"""

from __future__ import annotations

import pandas as pd

from riskcurve.measures._common import clean_series, lagged_asof, warn_short


def level_and_change(series: pd.Series, weeks: int = 13) -> pd.DataFrame:
    """Columns ``level`` and ``chg_{weeks}w`` (percentage points), on the series' own dates.

    The change looks back to the last observation on or before the date ``7 * weeks`` days earlier,
    so holidays and missing FRED days do not shift the horizon.
    """
    s = clean_series(series, "level_and_change")
    out = pd.DataFrame({"level": s})
    out[f"chg_{weeks}w"] = s.to_numpy() - lagged_asof(s, pd.Timedelta(weeks=weeks))
    return out


def hy_oas(
    oas: pd.Series,
    *,
    weeks: int = 13,
    rank_years: float | None = None,
    min_periods: int = 252,
) -> pd.DataFrame:
    """High-yield option-adjusted spread (BAMLH0A0HYM2): level, change, percentile rank.

    Columns: ``level`` (percent), ``chg_{weeks}w`` (percentage points; negative = spreads
    tightening = credit easing) and ``pct_rank``, the percentile (0-100) of today's level among all
    observations so far (``rank_years=None``) or in the trailing ``rank_years`` years, today
    included, ties averaged. A low rank says credit is cheap *relative to its own history*, which
    travels across regimes better than a fixed threshold such as "below 4 %".

    ``pct_rank`` is NaN until ``min_periods`` observations are in the window (default: about one
    year of business days), since a rank among a handful of values says little.
    """
    out = level_and_change(oas, weeks)
    s = out["level"]
    if rank_years is None:
        ranks = s.expanding(min_periods=min_periods).rank(pct=True)
    else:
        span = pd.Timedelta(days=round(365.25 * rank_years))
        ranks = s.rolling(span, min_periods=min_periods).rank(pct=True)
    out["pct_rank"] = 100 * ranks
    if len(s) < min_periods:
        warn_short("hy_oas percentile rank", len(s), min_periods)
    return out


def real_yield(dfii10: pd.Series, *, weeks: int = 13) -> pd.DataFrame:
    """10-year TIPS real yield (DFII10): ``level`` (percent) and ``chg_{weeks}w`` (pp).

    Falling real yields lower the discount rate on long-duration, cash-flow-poor assets, the very
    ones at the far end of the risk curve (small caps, crypto).
    """
    return level_and_change(dfii10, weeks)


def curve_10y3m(dgs10: pd.Series, dgs3mo: pd.Series) -> pd.Series:
    """10-year minus 3-month Treasury yield (DGS10 - DGS3MO), percentage points.

    Computed only on dates where both yields are observed: a spread of two quotes from different
    days would mix two market states, and both series share the FRED business-day calendar, so
    nothing is lost by not carrying. Negative = inverted curve (historically, tight policy).
    """
    long = clean_series(dgs10, "curve_10y3m: dgs10")
    short = clean_series(dgs3mo, "curve_10y3m: dgs3mo")
    both = pd.concat([long, short], axis=1, join="inner")
    return (both.iloc[:, 0] - both.iloc[:, 1]).rename("curve_10y3m")
