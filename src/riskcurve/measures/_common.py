"""Small helpers the measure modules share: input checks, as-of look-backs, run lengths.

Every helper here is causal by construction: it only ever looks at rows dated on or before the row
it computes, so the measures built on them inherit that property.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from riskcurve.errors import DataValidationError, ShortSampleWarning


def clean_series(series: pd.Series, what: str) -> pd.Series:
    """``series`` as float64 with missing values dropped, after checking its index.

    Measures take observation-dated series from the panel; an index that is not a sorted, unique
    DatetimeIndex means something upstream went wrong, so we fail loudly instead of silently
    sorting (which could hide a mis-merge). NaN marks "no observation" and is dropped, so that
    look-backs find the last real observation rather than a hole.
    """
    if not isinstance(series, pd.Series):
        raise DataValidationError(f"{what}: expected a pandas Series, got {type(series).__name__}")
    index = series.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataValidationError(f"{what}: index must be a DatetimeIndex, got {type(index).__name__}")
    if not index.is_monotonic_increasing or not index.is_unique:
        raise DataValidationError(f"{what}: dates must be strictly increasing (sorted, no duplicates)")
    values = pd.to_numeric(series, errors="raise").astype("float64")
    return values[values.notna()]


def check_frame(frame: pd.DataFrame, what: str) -> None:
    """Fail unless ``frame`` has a sorted, unique DatetimeIndex (see :func:`clean_series`)."""
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataValidationError(f"{what}: index must be a DatetimeIndex, got {type(index).__name__}")
    if not index.is_monotonic_increasing or not index.is_unique:
        raise DataValidationError(f"{what}: dates must be strictly increasing (sorted, no duplicates)")


def asof_positions(index: pd.DatetimeIndex, when: pd.DatetimeIndex) -> np.ndarray:
    """Position in ``index`` of the last date on or before each date in ``when`` (-1 if none)."""
    return np.searchsorted(index.to_numpy(), when.to_numpy(), side="right") - 1


def asof_values(series: pd.Series, when: pd.DatetimeIndex) -> np.ndarray:
    """Value of ``series`` as of each date in ``when``: its last observation dated on or before it.

    NaN where ``series`` has no observation that early. ``series`` must be clean (sorted, no NaN).
    """
    pos = asof_positions(pd.DatetimeIndex(series.index), when)
    out = np.full(len(when), np.nan)
    ok = pos >= 0
    out[ok] = series.to_numpy()[pos[ok]]
    return out


def lagged_asof(series: pd.Series, offset: pd.Timedelta) -> np.ndarray:
    """For each row of ``series``, its value as of ``offset`` earlier (see :func:`asof_values`).

    Works on any calendar (weekly Wednesdays, NYSE sessions, UTC days): "13 weeks ago" means the
    last observation on or before the date 91 days back, not "13 rows back".
    """
    return asof_values(series, pd.DatetimeIndex(series.index - offset))


def run_length(flags: np.ndarray) -> np.ndarray:
    """Length of the run of consecutive True values ending at each position (0 where False)."""
    flags = np.asarray(flags, dtype=bool)
    counts = np.cumsum(flags)
    reset = np.maximum.accumulate(np.where(flags, 0, counts))
    return counts - reset


def warm(index: pd.DatetimeIndex, window: pd.Timedelta) -> np.ndarray:
    """True on dates at least ``window`` after the first date: where a time window is fully covered.

    A rolling statistic over a window the data does not yet span silently describes a shorter
    period (a "1-year" z-score resting on three weeks); we blank those rows instead.
    """
    if len(index) == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(index - index[0] >= window)


def warn_short(what: str, have: int, need: int) -> None:
    """Emit a :class:`ShortSampleWarning` saying how many observations there are and how many are needed."""
    warnings.warn(
        f"{what}: {have} observations, at least {need} needed; result is empty or all-NaN",
        ShortSampleWarning,
        stacklevel=3,
    )
