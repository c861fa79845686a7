"""Known-answer tests for the crypto reset context, plus causality."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskcurve.measures import crypto_reset_context
from riskcurve.measures.context import (
    consecutive_monthly_declines,
    drawdowns,
    funding_summary,
    open_interest_change,
    realized_vol,
)
from tests.measures.measures_strategies import CAUSAL, assert_prefix, cut_date, price_frame


def days(values: list[float], start: str = "2024-01-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"), dtype="float64")


def test_drawdown_from_rolling_high() -> None:
    out = drawdowns(days([10, 12, 9, 6, 8, 12]), windows=(3,))
    # 3-day highs from the third day: 12, 12, 9, 12.
    assert out["dd_3d"].iloc[:2].isna().all()
    assert out["dd_3d"].iloc[2:].tolist() == pytest.approx([-0.25, -0.5, 8 / 9 - 1, 0.0])


def test_consecutive_monthly_declines_uses_finished_months_only() -> None:
    points = {
        "2024-01-15": 120, "2024-01-31": 100,  # Jan close 100
        "2024-02-10": 95, "2024-02-20": 90,  # Feb close 90 (last observation in the month)
        "2024-03-05": 85, "2024-03-28": 80,  # Mar close 80
        # April: no observation at all
        "2024-05-02": 90, "2024-05-31": 88,
        "2024-06-30": 70,
        "2024-07-03": 60,  # July is not over: no value yet
    }  # fmt: skip
    series = pd.Series(points, dtype="float64")
    series.index = pd.DatetimeIndex(series.index)
    out = consecutive_monthly_declines(series)
    assert out.index.strftime("%Y-%m-%d").tolist() == [
        "2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30",
    ]  # fmt: skip
    assert out.iloc[:3].tolist() == [0, 1, 2]
    assert np.isnan(out.iloc[3])  # April unknown, and it breaks the run
    assert out.iloc[4:].tolist() == [0, 1]


def test_realized_vol_by_hand() -> None:
    vol = realized_vol(days([100, 110, 99, 99]), window=2)
    r1, r2, r3 = math.log(1.1), math.log(0.9), 0.0
    assert vol.iloc[:2].isna().all()
    assert vol.iloc[2] == pytest.approx(abs(r1 - r2) / math.sqrt(2) * math.sqrt(365))
    assert vol.iloc[3] == pytest.approx(abs(r2 - r3) / math.sqrt(2) * math.sqrt(365))


def test_realized_vol_never_spans_a_missing_day() -> None:
    closes = days([100, 110, 99, 99, 100]).drop(pd.Timestamp("2024-01-03"))
    vol = realized_vol(closes, window=2)
    # Returns exist for Jan 2 and Jan 5 only; no two consecutive ones until Jan 5.
    assert vol.isna().all()


def test_open_interest_change() -> None:
    oi = days([100, 110, 121, 90, 100, 120, 150, 200, 210])
    out = open_interest_change(oi, windows=(7,))
    assert out["oi_chg_7d"].iloc[:7].isna().all()
    assert out["oi_chg_7d"].iloc[7:].tolist() == pytest.approx([1.0, 210 / 110 - 1])


def test_funding_level_and_mean() -> None:
    out = funding_summary(days([0.01, 0.02, 0.03, 0.04]), window=3)
    assert out["funding"].tolist() == [0.01, 0.02, 0.03, 0.04]
    assert out["funding_3d"].iloc[:2].isna().all()
    assert out["funding_3d"].iloc[2:].tolist() == pytest.approx([0.02, 0.03])


def test_context_joins_optional_series_as_of() -> None:
    close = days([100.0] * 40 + [90.0] * 40)
    funding = days([0.01, 0.03], start="2024-01-10")  # only two prints
    out = crypto_reset_context(close, funding=funding)
    assert out.columns.tolist() == [
        "dd_90d",
        "dd_365d",
        "monthly_declines",
        "vol_30d",
        "funding",
        "funding_7d",
    ]
    assert np.isnan(out.loc["2024-01-09", "funding"]) and out.loc["2024-02-20", "funding"] == 0.03
    # January's close (100) is known from Jan 31; February's (90) only after Feb 29.
    assert np.isnan(out.loc["2024-01-30", "monthly_declines"])
    assert out.loc["2024-01-31", "monthly_declines"] == 0
    assert "oi_chg_7d" in crypto_reset_context(close, open_interest=close).columns


@CAUSAL
@given(frame=price_frame(columns=3, min_size=3, max_size=60), data=st.data())
def test_context_is_causal(frame: pd.DataFrame, data: st.DataObject) -> None:
    t = cut_date(data, pd.DatetimeIndex(frame.index))
    close, oi, funding = frame["c0"], frame["c1"], frame["c2"] / 1000
    # Spread the days out so that the sample crosses several month ends.
    index = pd.date_range("2021-01-01", periods=len(frame), freq="5D")
    close, oi, funding = (x.set_axis(index) for x in (close, oi, funding))
    t = index[frame.index.get_loc(t)]
    full = crypto_reset_context(close, open_interest=oi, funding=funding)
    part = crypto_reset_context(close.loc[:t], open_interest=oi.loc[:t], funding=funding.loc[:t])
    assert_prefix(full, part, t)
    assert_prefix(consecutive_monthly_declines(close), consecutive_monthly_declines(close.loc[:t]), t)
