"""Known-answer tests for the liquidity measures, worked out by hand, plus causality."""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskcurve.errors import DataValidationError, ShortSampleWarning
from riskcurve.measures import changes, net_liquidity, purchase_pace, tga_drawdown, zscore
from tests.measures.measures_strategies import CAUSAL, assert_prefix, cut_date, price_frame


def s(values: list[float], dates: list[str]) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(dates), dtype="float64")


def daily(values: list[float], start: str = "2024-01-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"), dtype="float64")


def weekly(values: list[float], start: str = "2024-01-03") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="7D"), dtype="float64")


# ------------------------------------------------------------------ net liquidity


def test_net_liquidity_fred_2023_09_06_is_about_6_02_trillion() -> None:
    # FRED levels as published by the Friday 2023-09-08 close (WALCL, WTREGEN in millions -> billions).
    on = pd.DatetimeIndex(["2023-09-07", "2023-09-08"])
    walcl, tga, rrp = s([8_121.316, 8_101.318], on), s([470.800, 470.881], on), s([1_574.065, 1_606.244], on)
    net = net_liquidity(walcl, tga, rrp)
    assert net.name == "net_liquidity" and net["2023-09-08"] == pytest.approx(6_024.193)
    assert net["2023-09-07"] == pytest.approx(8_121.316 - 470.800 - 1_574.065)


def test_an_unknown_component_makes_the_sum_unknown() -> None:
    on = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-03"])
    net = net_liquidity(s([100, 100, 100], on), s([10, np.nan, 10], on), s([5, 5, np.nan], on))
    assert net.iloc[0] == 85 and net.iloc[1:].isna().all()  # never a sum of the parts that are known


def test_components_on_different_clocks_fail_loudly() -> None:
    with pytest.raises(DataValidationError, match="not aligned"):
        net_liquidity(daily([1.0, 2.0]), daily([1.0, 2.0], start="2024-01-02"), daily([1.0, 2.0]))


# ------------------------------------------------------------------ changes, z-score


def test_changes_on_a_weekly_series() -> None:
    out = changes(weekly(list(range(30))), weeks=(4, 13))
    assert list(out.columns) == ["chg_4w", "chg_13w"]
    assert out["chg_4w"].isna().sum() == 4 and (out["chg_4w"].dropna() == 4).all()
    assert out["chg_13w"].isna().sum() == 13 and (out["chg_13w"].dropna() == 13).all()


def test_changes_look_back_as_of_the_date_not_a_row_count() -> None:
    series = s([10, 12, 15, 20], ["2024-01-01", "2024-01-05", "2024-01-30", "2024-02-02"])
    out = changes(series, weeks=(4,))["chg_4w"]
    # Jan 30 - 28 days = Jan 2 -> last observation on or before it is Jan 1 (10).
    # Feb 2 - 28 days = Jan 5 (12). Jan 1 and Jan 5 reach before the data: NaN.
    assert out.isna().tolist() == [True, True, False, False]
    assert out.iloc[2:].tolist() == [5, 8]


def test_zscore_by_hand() -> None:
    z = zscore(daily([1, 2, 3, 4, 10]), window="3D", min_periods=2)
    # First two rows: the 3-day window is not yet covered.
    assert z.iloc[:2].isna().all()
    assert z.iloc[2] == pytest.approx(1.0)  # {1,2,3}: (3-2)/1
    assert z.iloc[3] == pytest.approx(1.0)  # {2,3,4}
    window = [3, 4, 10]
    assert z.iloc[4] == pytest.approx((10 - statistics.mean(window)) / statistics.stdev(window))


def test_zscore_of_a_constant_is_nan_and_short_input_warns() -> None:
    assert zscore(daily([5.0] * 10), window="3D", min_periods=2).isna().all()
    with pytest.warns(ShortSampleWarning):
        assert zscore(daily([1.0, 2.0, 3.0]), window="365D").isna().all()


# ------------------------------------------------------------------ purchase pace, TGA


def test_purchase_pace_monthly_rate() -> None:
    treast = weekly([1000 + 10 * i for i in range(8)])
    mbs = weekly([500 - 5 * i for i in range(8)])
    out = purchase_pace(treast, mbs)
    last = out.iloc[-1]
    assert last["treasury_chg_4w"] == 40 and last["mbs_chg_4w"] == -20 and last["total_chg_4w"] == 20
    # 40 bn in 4 weeks = 10 bn/week = 10 * 52 / 12 = 43.33 bn/month.
    assert last["treasury_monthly"] == pytest.approx(10 * 52 / 12)
    assert last["mbs_monthly"] == pytest.approx(-5 * 52 / 12)
    assert last["total_monthly"] == pytest.approx(5 * 52 / 12)
    assert out.iloc[:4].isna().all().all()


def test_tga_drawdown_is_the_13_week_change() -> None:
    tga = weekly([1000 - 10 * i for i in range(20)])
    out = tga_drawdown(tga)
    assert out.name == "tga_chg_13w"
    assert out.iloc[:13].isna().all() and (out.iloc[13:] == -130).all()


# ------------------------------------------------------------------ causality


@pytest.mark.filterwarnings("ignore::riskcurve.errors.ShortSampleWarning")
@CAUSAL
@given(frame=price_frame(columns=3, min_size=3, max_size=40), data=st.data())
def test_liquidity_measures_are_causal(frame: pd.DataFrame, data: st.DataObject) -> None:
    t = cut_date(data, pd.DatetimeIndex(frame.index))
    walcl, tga, rrp = (frame[c] for c in frame.columns)
    cut = {name: x[x.index <= t] for name, x in {"walcl": walcl, "tga": tga, "rrp": rrp}.items()}
    if not all(x.notna().any() for x in cut.values()):
        return
    assert_prefix(net_liquidity(walcl, tga, rrp), net_liquidity(cut["walcl"], cut["tga"], cut["rrp"]), t)

    for fn in (
        lambda x: changes(x, weeks=(1, 2)),
        lambda x: purchase_pace(x, x),
        lambda x: tga_drawdown(x, 1),
    ):
        assert_prefix(fn(rrp), fn(cut["rrp"]), t)
    assert_prefix(zscore(rrp, "5D", min_periods=2), zscore(cut["rrp"], "5D", min_periods=2), t)
