"""Alternative leaders: crossings, forward returns, a planted effect found and a null one not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskcurve.study.alt_leaders import alt_leader_study, crossings, decluster, forward_returns


def test_crossings_are_upward_and_declustered() -> None:
    days = pd.date_range("2026-01-01", periods=8)
    signal = pd.Series([0.0, 2.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0], index=days)
    assert list(crossings(signal, 1.0, cooldown_days=1)) == [days[1], days[3], days[7]]
    assert list(crossings(signal, 1.0, cooldown_days=5)) == [days[1], days[7]]


def test_forward_returns_do_not_bridge_a_gap() -> None:
    close = pd.Series([100.0, 110.0, 121.0], index=pd.DatetimeIndex(["2026-01-01", "2026-01-02", "2026-01-04"]))
    ret = forward_returns(close, 1)
    assert abs(ret["2026-01-01"] - 0.1) < 1e-12 and np.isnan(ret["2026-01-02"])


def planted(seed: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A leader level, its 30-day growth, and a follower that copies the leader 30 days later."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2012-01-01", periods=4000)
    leader = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.02, len(days)))), index=days)
    growth = leader / leader.shift(30) - 1
    follower = leader.shift(30)  # follower[t] = leader[t - 30]
    return leader, growth, follower


def test_a_follower_copying_the_leader_30_days_later_is_found() -> None:
    _, growth, follower = planted(1)
    noise = pd.Series(
        100 * np.exp(np.cumsum(np.random.default_rng(2).normal(0, 0.02, len(follower)))), index=follower.index
    )
    study = alt_leader_study(
        {"growth_30d": growth}, {"growth_30d": [0.15, 0.2]}, {"copy": follower, "noise": noise}, horizons=(30,)
    )
    table = study.table.set_index(["follower", "threshold"])
    assert study.family_size == 4
    for threshold in (0.15, 0.2):
        row = table.loc[("copy", threshold)]
        assert row["n_events"] >= 5 and row["mean_return"] > threshold and row["p_holm"] < 0.05
    assert (table.loc["noise"]["p_holm"] > 0.05).all()
    assert "copy 30d" in study.summary() and "noise" not in study.summary()


def test_an_alternative_leads_better_only_after_holm_and_above_the_breakout() -> None:
    _, growth, follower = planted(1)
    # The benchmark's "breakouts": every 90th day, unrelated to the follower's moves.
    breakouts = pd.DatetimeIndex(follower.index[200::90])
    study = alt_leader_study(
        {"growth_30d": growth}, {"growth_30d": [0.2]}, {"copy": follower}, horizons=(30,), benchmark=breakouts
    )
    bench = study.table[study.table["signal"] == "rut_breakout"].iloc[0]
    assert study.family_size == 2 and np.isnan(bench["threshold"]) and bench["p_holm"] > 0.05
    assert bench["n_events"] == len(breakouts) - 1  # the last one has no 30-day outcome in the data
    better = study.better_than_benchmark()
    assert better[["signal", "follower", "horizon"]].values.tolist() == [["growth_30d", "copy", 30]]
    assert better["mean_return"].iloc[0] > better["mean_return_breakout"].iloc[0]
    doc = study.to_dict()
    assert doc["verdict"].startswith("better than the Russell 2000 breakout") and "growth_30d > 0.2" in doc["verdict"]
    assert "Holm" in doc["adjustment"] and "breakout included" in doc["family"]
    # The same signal against a follower it does not lead: nothing beats the breakout.
    noise = pd.Series(np.exp(np.cumsum(np.random.default_rng(3).normal(0, 0.02, 4000))), index=follower.index)
    null = alt_leader_study(
        {"growth_30d": growth}, {"growth_30d": [0.2]}, {"noise": noise}, horizons=(30,), benchmark=breakouts
    )
    assert null.better_than_benchmark().empty and null.verdict().startswith("no alternative leader")


def test_benchmark_breakouts_are_declustered_like_the_crossings() -> None:
    days = pd.DatetimeIndex(["2026-01-01", "2026-01-05", "2026-03-10", "2026-03-11"])
    assert list(decluster(days, 60)) == [days[0], days[2]]
