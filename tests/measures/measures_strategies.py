"""Hypothesis strategies shared by the measures' causality tests.

Each causality test computes a measure on a full input and on the input truncated after a date t,
and checks that every value dated up to t is the same: no value may depend on the future.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

START = pd.Timestamp("2021-01-01")

# Small inputs, few examples: the property is structural, and the suite must stay fast.
CAUSAL = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def price_frame(
    draw: st.DrawFn, *, columns: int = 1, min_size: int = 3, max_size: int = 60, gaps: bool = True
) -> pd.DataFrame:
    """Random-walk prices (positive) on consecutive days, with optional NaN holes."""
    n = draw(st.integers(min_size, max_size))
    steps = draw(
        st.lists(
            st.lists(st.floats(-0.2, 0.2, allow_nan=False), min_size=columns, max_size=columns),
            min_size=n,
            max_size=n,
        )
    )
    values = 100 * np.exp(np.cumsum(np.asarray(steps), axis=0))
    if gaps:
        holes = draw(st.lists(st.booleans(), min_size=n * columns, max_size=n * columns))
        values[np.asarray(holes).reshape(n, columns) & (np.arange(n)[:, None] % 3 == 1)] = np.nan
    index = pd.date_range(START, periods=n, freq="D")
    return pd.DataFrame(values, index=index, columns=[f"c{i}" for i in range(columns)])


def cut_date(data: st.DataObject, index: pd.DatetimeIndex) -> pd.Timestamp:
    """A date inside ``index`` after which the inputs are truncated."""
    return pd.Timestamp(index[data.draw(st.integers(0, len(index) - 1), label="cut")])


def assert_prefix(full: pd.Series | pd.DataFrame, part: pd.Series | pd.DataFrame, t: pd.Timestamp) -> None:
    """The measure on the truncated input equals the measure on the full input, up to ``t``."""
    if isinstance(full, pd.Series):
        assert isinstance(part, pd.Series)
        pd.testing.assert_series_equal(full.loc[:t], part, check_freq=False)
    else:
        assert isinstance(part, pd.DataFrame)
        pd.testing.assert_frame_equal(full.loc[:t], part, check_freq=False)
