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


def test_net_liquidity_carries_each_component_from_its_own_last_observation() -> None:
    walcl = s([100, 110], ["2024-01-01", "2024-01-08"])
    tga = s([10, 20], ["2024-01-01", "2024-01-08"])
    rrp = s([5, 6, 7], ["2024-01-02", "2024-01-03", "2024-01-09"])
    net = net_liquidity(walcl, tga, rrp)
    # Starts when all three are known (Jan 2), ends at the last observation of any (Jan 9).
    expected = daily([85, 84, 84, 84, 84, 84, 84, 83], start="2024-01-02")
    pd.testing.assert_series_equal(net, expected.rename("net_liquidity"), check_freq=False)


def test_net_liquidity_fred_2023_09_06_is_about_6_02_trillion() -> None:
    # FRED values (WALCL, WTREGEN in millions -> billions; RRPONTSYD already in billions).
    walcl = s([8_121.316, 8_101.318], ["2023-08-30", "2023-09-06"])
    tga = s([470.800, 470.881], ["2023-08-30", "2023-09-06"])
    rrp = s([1_696.819, 1_574.065, 1_606.244], ["2023-08-30", "2023-09-01", "2023-09-06"])
    net = net_liquidity(walcl, tga, rrp)
    assert net["2023-09-06"] == pytest.approx(6_024.193)
    # Labor Day 2023-09-04: no RRP print, the Friday level carries.
    assert net["2023-09-04"] == pytest.approx(8_121.316 - 470.800 - 1_574.065)


def test_net_liquidity_blanks_components_older_than_max_staleness() -> None:
    walcl = s([100], ["2024-01-01"])
    tga = s([10], ["2024-01-01"])
    rrp = daily([1.0] * 20)
    net = net_liquidity(walcl, tga, rrp, max_staleness=pd.Timedelta(days=14))
    assert net["2024-01-15"] == 89  # 14 days old: still used
    assert np.isnan(net["2024-01-16"])  # 15 days old: unknown
    assert net_liquidity(walcl, tga, rrp, max_staleness=None)["2024-01-20"] == 89


def test_net_liquidity_skips_nan_observations() -> None:
    walcl = s([100, np.nan], ["2024-01-01", "2024-01-02"])
    net = net_liquidity(walcl, s([10], ["2024-01-01"]), s([5, 6], ["2024-01-01", "2024-01-02"]))
    assert net.tolist() == [85, 84]


def test_net_liquidity_with_an_empty_component_warns_and_is_empty() -> None:
    with pytest.warns(ShortSampleWarning):
        net = net_liquidity(daily([1.0]), daily([]), daily([1.0]))
    assert net.empty


@pytest.mark.parametrize(
    "bad",
    [
        pd.Series([1.0, 2.0], index=[0, 1]),
        pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2024-01-02", "2024-01-01"])),
        pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2024-01-01", "2024-01-01"])),
    ],
)
def test_bad_index_fails_loudly(bad: pd.Series) -> None:
    with pytest.raises(DataValidationError):
        net_liquidity(bad, daily([1.0]), daily([1.0]))


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
    walcl = walcl[::7]  # a weekly component beside daily ones
    cut = {name: x[x.index <= t] for name, x in {"walcl": walcl, "tga": tga, "rrp": rrp}.items()}
    if not all(x.notna().any() for x in cut.values()):
        return
    full_net = net_liquidity(walcl, tga, rrp)
    cut_net = net_liquidity(cut["walcl"], cut["tga"], cut["rrp"])
    pd.testing.assert_series_equal(full_net.loc[cut_net.index], cut_net, check_freq=False)
    assert cut_net.index.equals(full_net.index[: len(cut_net)])

    for fn in (
        lambda x: changes(x, weeks=(1, 2)),
        lambda x: purchase_pace(x, x),
        lambda x: tga_drawdown(x, 1),
    ):
        assert_prefix(fn(rrp), fn(cut["rrp"]), t)
    assert_prefix(zscore(rrp, "5D", min_periods=2), zscore(cut["rrp"], "5D", min_periods=2), t)
