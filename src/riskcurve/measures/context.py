"""Crypto "reset" context: how washed out is a coin when the equity signal arrives?

The thesis expects crypto to follow small caps within 1-3 months, and a follow-through is more
plausible from a reset (deep drawdown, several down months, calm volatility, flushed leverage) than
from a crowded top. These measures describe that state; they do not judge it.

Inputs are daily series on UTC days. All functions are causal: the value at t uses only
observations dated on or before t (month-end values appear only once the month is over).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from riskcurve.measures._common import asof_values, clean_series, lagged_asof, run_length, warm

#: Crypto trades every day of the year.
CRYPTO_DAYS_PER_YEAR = 365


def drawdowns(close: pd.Series, windows: Sequence[int] = (90, 365)) -> pd.DataFrame:
    """Drawdown from the highest close of the trailing ``w`` calendar days: ``dd_{w}d`` = close/high - 1.

    0 at a new high, -0.5 when half the value is gone. The window includes today. NaN until the
    data spans ``w`` days, since a "365-day high" of a coin listed last month is no such thing.
    """
    s = clean_series(close, "drawdowns")
    out = pd.DataFrame(index=s.index)
    for w in windows:
        span = pd.Timedelta(days=w)
        dd = s / s.rolling(span).max() - 1
        dd[~warm(pd.DatetimeIndex(s.index), span)] = np.nan
        out[f"dd_{w}d"] = dd
    return out


def consecutive_monthly_declines(close: pd.Series) -> pd.Series:
    """Months in a row whose month-end close was below the previous month-end close.

    Month-end close = last observation in the calendar month. Indexed by calendar month-end
    dates, and only for months that are over (month end on or before the last date of the input,
    a trailing NaN row included: it says the data runs to that day), so an unfinished month never
    shows a provisional value. A month without any observation is NaN and breaks the run, as
    does the first month (nothing to compare with).
    """
    s = clean_series(close, "consecutive_monthly_declines")
    if s.empty:
        return pd.Series([], index=pd.DatetimeIndex([]), dtype="float64", name="monthly_declines")
    month_end = s.resample("ME").last()
    month_end = month_end[month_end.index <= close.index[-1]]
    values = month_end.to_numpy()
    declined = np.zeros(len(values), dtype=bool)
    declined[1:] = values[1:] < values[:-1]
    counts = run_length(declined).astype("float64")
    counts[np.isnan(values)] = np.nan
    return pd.Series(counts, index=month_end.index, name="monthly_declines")


def realized_vol(close: pd.Series, window: int = 30) -> pd.Series:
    """Annualised realised volatility: std of the last ``window`` daily log returns x sqrt(365).

    Returns are taken only between consecutive calendar days (a missing day leaves a hole rather
    than a two-day return counted as one), and a full window of returns is required.
    """
    s = clean_series(close, "realized_vol")
    if s.empty:
        return s.rename(f"vol_{window}d")
    daily = np.log(s).asfreq("D")
    vol = daily.diff().rolling(window, min_periods=window).std(ddof=1) * np.sqrt(CRYPTO_DAYS_PER_YEAR)
    return vol.reindex(s.index).rename(f"vol_{window}d")


def open_interest_change(open_interest: pd.Series, windows: Sequence[int] = (7, 30)) -> pd.DataFrame:
    """Relative change of open interest over ``w`` calendar days: ``oi_chg_{w}d`` = OI / OI then - 1.

    Relative, because open interest in USD moves with price as well as positioning. "Then" is the
    last observation on or before the date ``w`` days back; NaN before the series reaches back that far.
    A falling OI after a sell-off says leverage has been flushed.
    """
    s = clean_series(open_interest, "open_interest_change")
    out = pd.DataFrame(index=s.index)
    for w in windows:
        out[f"oi_chg_{w}d"] = s.to_numpy() / lagged_asof(s, pd.Timedelta(days=w)) - 1
    return out


def funding_summary(funding: pd.Series, window: int = 7) -> pd.DataFrame:
    """Perpetual funding rate: ``funding`` (the level, percent per 8h) and its trailing ``window``-day mean.

    Persistently positive funding means longs pay to stay long, i.e. crowded leverage; negative
    or near-zero funding fits a reset. The mean covers the calendar days (t - window, t] and needs
    the data to span a full window.
    """
    s = clean_series(funding, "funding_summary")
    span = pd.Timedelta(days=window)
    mean = s.rolling(span).mean()
    mean[~warm(pd.DatetimeIndex(s.index), span)] = np.nan
    return pd.DataFrame({"funding": s, f"funding_{window}d": mean})


def crypto_reset_context(
    close: pd.Series,
    *,
    open_interest: pd.Series | None = None,
    funding: pd.Series | None = None,
) -> pd.DataFrame:
    """All reset measures for one coin, on the dates of ``close``.

    Columns ``dd_90d``, ``dd_365d``, ``monthly_declines`` (the count as of the last finished month),
    ``vol_30d``, and, when given, ``oi_chg_7d``, ``oi_chg_30d``, ``funding``, ``funding_7d``.
    The monthly count and the derivatives measures are joined as of each date (latest value on or
    before it): they are states, valid until the next observation.
    """
    s = clean_series(close, "crypto_reset_context")
    dates = pd.DatetimeIndex(s.index)
    out = drawdowns(s)
    out["monthly_declines"] = asof_values(consecutive_monthly_declines(close), dates)
    out["vol_30d"] = realized_vol(s, 30)
    extras = []
    if open_interest is not None:
        extras.append(open_interest_change(open_interest))
    if funding is not None:
        extras.append(funding_summary(funding))
    for frame in extras:
        for column in frame.columns:
            out[column] = asof_values(frame[column], dates)
    return out
