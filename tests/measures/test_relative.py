"""Known-answer tests for ratios, return spreads and ratio trends, plus causality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskcurve.errors import DataValidationError
from riskcurve.measures import eth_btc_trend, ratio, ratio_trend, return_spread
from tests.measures.measures_strategies import CAUSAL, assert_prefix, cut_date, price_frame


def days(values: list[float], name: str | None = None) -> pd.Series:
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=len(values)), dtype="float64", name=name)


def test_ratio_by_hand() -> None:
    out = ratio(days([10, 20, 30], "RUT"), days([5, 5, 0], "SPX"))
    assert out.name == "RUT/SPX"
    assert out.iloc[:2].tolist() == [2.0, 4.0] and np.isnan(out.iloc[2])  # no division by zero


def test_unnamed_ratio_and_non_numeric_input() -> None:
    assert ratio(days([1, 2]), days([1, 1])).name == "ratio"
    words = pd.Series(["a", "b"], index=pd.date_range("2024-01-01", periods=2))
    with pytest.raises(DataValidationError, match="numeric"):
        ratio_trend(words)


def test_inputs_must_be_aligned() -> None:
    equity = pd.Series([1.0, 2.0], index=pd.bdate_range("2024-01-05", periods=2))  # Fri, Mon
    crypto = pd.Series([1.0, 2.0], index=pd.date_range("2024-01-05", periods=2))  # Fri, Sat
    with pytest.raises(DataValidationError, match="aligned"):
        ratio(equity, crypto)
    with pytest.raises(DataValidationError):
        return_spread(equity, pd.Series([1.0, 2.0]))


def test_return_spread_by_hand() -> None:
    spread = return_spread(days([100, 110, 120]), days([100, 100, 90]), window=2)
    assert spread.iloc[:2].isna().all()
    assert spread.iloc[2] == pytest.approx(0.2 - (-0.1))


def test_ratio_trend_by_hand() -> None:
    out = ratio_trend(days([1, 2, 3, 4, 5, 4, 3, 2, 1]), fast=2, slow=3, slope_window=1)
    assert out["ma_2"].tolist()[1:] == pytest.approx([1.5, 2.5, 3.5, 4.5, 4.5, 3.5, 2.5, 1.5])
    assert out["ma_3"].tolist()[2:] == pytest.approx([2, 3, 4, 13 / 3, 4, 3, 2])
    assert out["slope_2"].iloc[3] == pytest.approx(40.0)  # 2.5 -> 3.5
    # Up while above both means with a rising fast mean; at position 5 (4 under both, but the
    # fast mean flat at 4.5) neither; then down.
    assert out["trend"].tolist()[2:] == [1, 1, 1, 0, -1, -1, -1]
    assert out["trend"].iloc[:2].isna().all()
    assert out["above_2"].iloc[2] and not out["above_2"].iloc[5]


def test_eth_btc_trend_is_the_trend_of_the_ratio() -> None:
    eth, btc = days([2, 4, 6, 8, 10, 8]), days([1, 1, 1, 1, 1, 2])
    out = eth_btc_trend(eth, btc, fast=2, slow=3, slope_window=1)
    assert out["value"].tolist() == [2, 4, 6, 8, 10, 4]
    assert out["trend"].tolist()[2:] == [1, 1, 1, -1]


@CAUSAL
@given(frame=price_frame(columns=2, min_size=3, max_size=50), data=st.data())
def test_relative_measures_are_causal(frame: pd.DataFrame, data: st.DataObject) -> None:
    t = cut_date(data, pd.DatetimeIndex(frame.index))
    a, b = frame["c0"], frame["c1"]
    ca, cb = a.loc[:t], b.loc[:t]
    assert_prefix(ratio(a, b), ratio(ca, cb), t)
    assert_prefix(return_spread(a, b, 3), return_spread(ca, cb, 3), t)
    assert_prefix(ratio_trend(ratio(a, b), 2, 4, 2), ratio_trend(ratio(ca, cb), 2, 4, 2), t)
