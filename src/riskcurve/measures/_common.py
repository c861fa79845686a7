"""Small helpers the measure modules share: input checks, as-of look-backs, run lengths.

Every helper here is causal by construction: it only ever looks at rows dated on or before the row
it computes, so the measures built on them inherit that property.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from riskcurve.errors import DataValidationError, ShortSampleWarning


def as_float(series: pd.Series, what: str) -> pd.Series:
    """``series`` as float64 (NaN kept), after checking that its index is a sorted, unique DatetimeIndex.

    Measures take observation-dated series from the panel; an index that is not sorted and unique
    means something upstream went wrong, so we fail loudly instead of silently sorting (which could
    hide a mis-merge).
    """
    if not isinstance(series, pd.Series):
        raise DataValidationError(f"{what}: expected a pandas Series, got {type(series).__name__}")
    check_frame(series.to_frame(), what)
    try:
        return pd.to_numeric(series, errors="raise").astype("float64")
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"{what}: values must be numeric ({exc})") from exc


def clean_series(series: pd.Series, what: str) -> pd.Series:
    """:func:`as_float` with missing values dropped.

    NaN marks "no observation"; dropping it lets look-backs find the last real observation rather
    than a hole, and makes "sessions" count observed closes.
    """
    values = as_float(series, what)
    return values[values.notna()]


def check_frame(frame: pd.DataFrame, what: str) -> None:
    """Fail unless ``frame`` has a sorted, unique DatetimeIndex (see :func:`as_float`)."""
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

    NaN where ``series`` has no observation that early. ``series`` must be sorted; a NaN value is
    returned as it is, so drop NaN first (:func:`clean_series`) to skip holes.
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
    return asof_values(series, pd.DatetimeIndex(series.index) - offset)


def position(index: pd.Index, date: pd.Timestamp) -> int:
    """Position of ``date`` in ``index``, or -1 when it is not one of its dates."""
    return int(pd.DatetimeIndex(index).get_indexer(pd.DatetimeIndex([date]))[0])


def run_length(flags: np.ndarray) -> np.ndarray:
    """Length of the run of consecutive True values ending at each position (0 where False)."""
    flags = np.asarray(flags, dtype=bool)
    counts = np.cumsum(flags)
    reset = np.maximum.accumulate(np.where(flags, 0, counts))
    return counts - reset


def warm(index: pd.DatetimeIndex, window: pd.Timedelta) -> np.ndarray:
    """True on dates whose trailing window ``(t - window, t]`` reaches back to the first date.

    With daily data that is the first date with a full window of observations (a "90D" window
    is full on the 90th day). A rolling statistic over a window the data does not yet span
    silently describes a shorter period (a "1-year" z-score resting on three weeks); the measures
    blank those rows instead.
    """
    if len(index) == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(index - index[0] >= window - pd.Timedelta(days=1))


def warn_short(what: str, have: int, need: int) -> None:
    """Emit a :class:`ShortSampleWarning` saying how many observations there are and how many are needed."""
    warnings.warn(
        f"{what}: {have} observations, at least {need} needed; result is empty or all-NaN",
        ShortSampleWarning,
        stacklevel=3,
    )
