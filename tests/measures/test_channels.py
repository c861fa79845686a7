"""Channel measures on hand-built series with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from riskcurve.measures import channels as ch


def daily(values: list[float], start: str = "2026-01-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"), dtype=float)


def test_change_over_and_since_read_the_last_observation_on_or_before() -> None:
    s = daily([float(v) for v in range(40)])
    assert ch.change_over(s, 28) == ch.Figure(28.0, pd.Timestamp("2026-02-09"))
    assert ch.change_since(s, pd.Timestamp("2026-01-05")) == ch.Figure(35.0, pd.Timestamp("2026-02-09"))
    assert ch.change_over(s, 60) is None  # the history does not reach back 60 days


def test_growth_is_simple() -> None:
    s = daily([100.0] * 30 + [110.0])
    assert ch.growth_over(s, 30).value == pytest.approx(0.10)


def test_monthly_pace_sums_the_window_and_refuses_a_silent_feed() -> None:
    flows = pd.Series([10.0, 10.0, 10.0], index=pd.to_datetime(["2026-01-02", "2026-01-15", "2026-01-29"]))
    pace = ch.monthly_pace(flows, 30, pd.Timestamp("2026-01-30"))
    assert pace.value == pytest.approx(30 * ch.DAYS_PER_MONTH / 30)
    assert ch.monthly_pace(flows, 30, pd.Timestamp("2026-03-15")) is None  # silence is not a zero


def test_pace_since_ends_at_the_feeds_last_row() -> None:
    flows = pd.Series([40.0, 40.0], index=pd.to_datetime(["2026-01-10", "2026-02-09"]))
    pace = ch.pace_since(flows, pd.Timestamp("2026-01-10"), pd.Timestamp("2026-06-30"))
    assert pace.date == pd.Timestamp("2026-02-09")
    assert pace.value == pytest.approx(80 * ch.DAYS_PER_MONTH / 31)


def test_spread_uses_the_same_date_only() -> None:
    rate = pd.Series([7.0, 6.5], index=pd.to_datetime(["2026-01-08", "2026-01-15"]))
    yld = pd.Series([4.0, 4.1], index=pd.to_datetime(["2026-01-08", "2026-01-14"]))
    spread = ch.spread_on_same_date(rate, yld)
    assert spread.to_dict() == {pd.Timestamp("2026-01-08"): 3.0}


def test_decomposition_parts_add_up_to_the_change_of_net_liquidity() -> None:
    days = pd.date_range("2026-01-07", periods=14, freq="7D")
    fed = pd.Series(range(7000, 7014), index=days, dtype=float)
    tga = pd.Series([800.0 - 5 * i for i in range(14)], index=days)
    rrp = pd.Series([10.0 + i for i in range(14)], index=days)
    parts = ch.net_liquidity_decomposition(fed, tga, rrp, 4)
    assert parts["fed_assets"].value == 4 and parts["tga"].value == 20 and parts["rrp"].value == -4
    net = fed - tga - rrp
    assert parts["net"].value == net.iloc[-1] - net.iloc[-5] == 20


def test_percentile_needs_a_history() -> None:
    assert ch.percentile_of_last(daily([1.0] * 10)) is None
    ranked = ch.percentile_of_last(daily([float(v) for v in range(300)]), min_history=250)
    assert ranked.value == 1.0
