"""Known-answer tests for the credit measures, plus causality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskcurve.errors import ShortSampleWarning
from riskcurve.measures import curve_10y3m, hy_oas, real_yield
from riskcurve.measures.credit import level_and_change
from tests.measures.measures_strategies import CAUSAL, assert_prefix, cut_date, price_frame


def s(values: list[float], dates: list[str]) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(dates), dtype="float64")


def daily(values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=len(values), freq="D"), dtype="float64")


def test_13_week_change_looks_back_91_days_as_of() -> None:
    oas = s([5.0, 4.5, 4.0], ["2024-01-01", "2024-03-29", "2024-04-01"])
    out = level_and_change(oas)
    assert out["level"].tolist() == [5.0, 4.5, 4.0]
    # Apr 1 - 91 days = Jan 1 -> -1.0 pp; Mar 29 - 91 days = Dec 29, before the data -> NaN.
    assert np.isnan(out["chg_13w"].iloc[1]) and out["chg_13w"].iloc[2] == pytest.approx(-1.0)


def test_hy_oas_expanding_percentile_rank() -> None:
    out = hy_oas(daily([3, 1, 2, 5, 4]), min_periods=1)
    # Rank of today's level among all levels so far, today included, in percent.
    assert out["pct_rank"].tolist() == pytest.approx([100, 50, 200 / 3, 100, 80])
    ranked = hy_oas(daily([3, 1, 2, 5, 4]), min_periods=3)["pct_rank"]
    assert ranked.iloc[:2].isna().all()
    assert ranked.iloc[2:].tolist() == pytest.approx([200 / 3, 100, 80])


def test_hy_oas_rolling_percentile_rank() -> None:
    # rank_years = 3 days: the last row ranks 4 among {2, 5, 4} -> 2/3.
    out = hy_oas(daily([3, 1, 2, 5, 4]), rank_years=3 / 365.25, min_periods=1)
    assert out["pct_rank"].tolist() == pytest.approx([100, 50, 200 / 3, 100, 200 / 3])


def test_hy_oas_ties_are_averaged_and_short_input_warns() -> None:
    with pytest.warns(ShortSampleWarning):
        out = hy_oas(daily([2, 2]), min_periods=3)
    assert out["pct_rank"].isna().all()
    assert hy_oas(daily([2, 2]), min_periods=1)["pct_rank"].iloc[1] == pytest.approx(75)


def test_real_yield_level_and_change() -> None:
    dfii = pd.Series(np.linspace(2.0, 1.0, 101), index=pd.date_range("2024-01-01", periods=101, freq="D"))
    out = real_yield(dfii)
    assert out.columns.tolist() == ["level", "chg_13w"]
    assert out["chg_13w"].iloc[-1] == pytest.approx(-0.91)  # 91 daily steps of -0.01


def test_curve_uses_dates_where_both_yields_exist() -> None:
    dgs10 = s([4.0, 4.2, 4.1], ["2024-01-02", "2024-01-03", "2024-01-04"])
    dgs3mo = s([5.0, np.nan, 5.2, 5.3], ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])
    curve = curve_10y3m(dgs10, dgs3mo)
    assert curve.index.strftime("%m-%d").tolist() == ["01-02", "01-04"]
    assert curve.tolist() == pytest.approx([-1.0, -1.1])


@pytest.mark.filterwarnings("ignore::riskcurve.errors.ShortSampleWarning")
@CAUSAL
@given(frame=price_frame(columns=2, min_size=3, max_size=40), data=st.data())
def test_credit_measures_are_causal(frame: pd.DataFrame, data: st.DataObject) -> None:
    t = cut_date(data, pd.DatetimeIndex(frame.index))
    a, b = frame["c0"] / 20, frame["c1"] / 20
    ca, cb = a.loc[:t], b.loc[:t]
    assert_prefix(hy_oas(a, weeks=1, min_periods=2), hy_oas(ca, weeks=1, min_periods=2), t)
    assert_prefix(
        hy_oas(a, weeks=1, rank_years=0.02, min_periods=2),
        hy_oas(ca, weeks=1, rank_years=0.02, min_periods=2),
        t,
    )
    assert_prefix(real_yield(a, weeks=2), real_yield(ca, weeks=2), t)
    assert_prefix(curve_10y3m(a, b), curve_10y3m(ca, cb), t)
