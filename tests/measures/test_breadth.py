"""The altcoin season index on a universe small enough to rank by hand, plus causality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskcurve.errors import ShortSampleWarning
from riskcurve.measures import altcoin_season_index
from riskcurve.measures.breadth import altseason_coins
from tests.measures.measures_strategies import CAUSAL, assert_prefix, cut_date, price_frame

DAYS = pd.date_range("2024-01-01", periods=5, freq="D")  # d0 .. d4
NAN = np.nan

# 2-day returns: BTC +10 % on d2, d3, d4.
BTC = pd.Series([100, 100, 110, 110, 121], index=DAYS, dtype="float64")
CLOSE = pd.DataFrame(
    {
        "A": [10, 10, 12, 12, 12],  # d2 +20 %, d3 +20 %, d4 0 %
        "B": [10, 10, 10, 12, 14],  # d2 0 %,   d3 +20 %, d4 +40 %
        "C": [10, 10, 20, 20, 20],  # d2 +100 %, d3 +100 %, d4 0 %
        "D": [NAN, NAN, 5, 6, 7],  # listed on d2: a 2-day return only on d4 (+40 %)
        "USDT": [1, 1, 1, 1, 1],  # stablecoin: excluded
        "BTC": BTC.tolist(),  # the benchmark itself: never in the universe
    },
    index=DAYS,
    dtype="float64",
)
# Point-in-time ranking snapshots, as a monthly file would give them: on d0 and on d3.
# B is missing from the d3 snapshot: from d3 on it is not ranked (no carrying from d0).
MCAP = pd.DataFrame(
    {
        "A": [300, 300],
        "B": [200, NAN],
        "C": [100, 200],
        "D": [NAN, 500],
        "USDT": [1000, 1000],
        "BTC": [9000, 9000],
    },
    index=pd.DatetimeIndex([DAYS[0], DAYS[3]]),
    dtype="float64",
)


def index_of(top_n: int = 50) -> pd.DataFrame:
    return altcoin_season_index(CLOSE, MCAP, BTC, ["USDT"], top_n=top_n, window=2)


def test_point_in_time_top_n_by_hand() -> None:
    out = index_of(top_n=2)
    # d0, d1: nobody has a 2-day return.
    assert out["index"].iloc[:2].isna().all() and (out["universe_size"].iloc[:2] == 0).all()
    # d2 (d0 snapshot): top 2 = A (300), B (200); A +20 % beats BTC +10 %, B 0 % does not.
    # d3 (d3 snapshot): D has no 2-day return yet, B unranked -> A, C; both beat.
    # d4 (d3 snapshot): D (500), A (300); D +40 % beats, A 0 % does not.
    assert out["index"].iloc[2:].tolist() == [50.0, 100.0, 50.0]
    assert out["universe_size"].iloc[2:].tolist() == [2, 2, 2]
    assert out["outperformers"].iloc[2:].tolist() == [1, 2, 1]


def test_fewer_eligible_than_top_n_uses_all_and_warns() -> None:
    with pytest.warns(ShortSampleWarning, match="fewer than 50"):
        out = index_of()
    # d2: A, B, C eligible (2 of 3 beat); d3: A, C (B unranked); d4: D, A, C (1 of 3).
    assert out["universe_size"].iloc[2:].tolist() == [3, 2, 3]
    assert out["index"].iloc[2:].tolist() == pytest.approx([200 / 3, 100, 100 / 3])


def test_exclusions_may_come_as_a_flag_series() -> None:
    flags = pd.Series({"USDT": True, "A": False, "C": True})
    with pytest.warns(ShortSampleWarning):
        out = altcoin_season_index(CLOSE, MCAP, BTC, flags, top_n=2, window=2)
    # C and USDT out: d3 (d3 snapshot, B unranked, D no return yet) leaves A alone, which beats.
    assert out["universe_size"].iloc[3] == 1 and out["index"].iloc[3] == 100.0


def test_a_hole_at_the_start_of_the_window_makes_a_coin_ineligible() -> None:
    close = CLOSE.copy()
    close.loc[DAYS[0], "A"] = NAN  # no exact 2-day return for A on d2
    out = altcoin_season_index(close, MCAP, BTC, ["USDT"], top_n=2, window=2)
    # d2: B (200) and C (100) -> only C beats.
    assert out["index"].iloc[2] == 50.0 and out["outperformers"].iloc[2] == 1


def test_no_snapshot_yet_means_no_universe() -> None:
    late = MCAP.iloc[1:]  # first ranking dated d3
    out = altcoin_season_index(CLOSE, late, BTC, ["USDT"], top_n=2, window=2)
    assert out["index"].isna().tolist() == [True, True, True, False, False]


def test_per_coin_returns_rank_as_the_index_does() -> None:
    # d4 (d3 snapshot, top 2): D (500) +40 % beats BTC's +10 %, A (300) 0 % does not; C (200) ranks
    # third, outside the top 2, so it is not listed; USDT and BTC never are.
    btc, coins = altseason_coins(CLOSE, MCAP, BTC, DAYS[4], ["USDT"], top_n=2, window=2)
    assert btc == pytest.approx(0.10)
    assert coins.index.tolist() == ["D", "A"]
    assert coins["return"].tolist() == pytest.approx([0.40, 0.0])
    assert coins["beat"].tolist() == [True, False] and coins["in_universe"].all()
    assert int(coins["beat"].sum()) == index_of(top_n=2)["outperformers"].iloc[4]


def test_per_coin_unknown_returns_say_why_and_are_not_zero() -> None:
    close = CLOSE.copy()
    close.loc[DAYS[4], "A"] = NAN  # A's feed stops after d3
    # d4, d3 snapshot: D (500) has a return; A (300) has no close on d4; C (200) is in instead.
    _, coins = altseason_coins(close, MCAP, BTC, DAYS[4], ["USDT"], top_n=50, window=2)
    assert coins.index.tolist() == ["D", "A", "C"]
    assert np.isnan(coins.loc["A", "return"]) and not coins.loc["A", "in_universe"]
    assert coins.loc["A", "reason"] == "stale: no close on 2024-01-05 (newest close 2024-01-04)"
    # d3: D was listed on d2, one day short of a 2-day window.
    _, early = altseason_coins(CLOSE, MCAP, BTC, DAYS[3], ["USDT"], top_n=50, window=2)
    assert early.loc["D", "reason"] == "too short a history: first close 2024-01-03, under 2 days"
    assert early["reason"].isna().sum() == 2  # A and C have returns (B is not in the d3 ranking)


@pytest.mark.filterwarnings("ignore::riskcurve.errors.ShortSampleWarning")
@CAUSAL
@given(frame=price_frame(columns=6, min_size=4, max_size=40), data=st.data())
def test_altcoin_season_index_is_causal(frame: pd.DataFrame, data: st.DataObject) -> None:
    t = cut_date(data, pd.DatetimeIndex(frame.index))
    btc = frame["c0"].fillna(100.0)
    close = frame.drop(columns="c0")
    every = data.draw(st.integers(1, 10), label="snapshot every")
    mcap = (close * np.arange(1, 6)).iloc[::every]
    full = altcoin_season_index(close, mcap, btc, ["c5"], top_n=3, window=3)
    part = altcoin_season_index(close.loc[:t], mcap.loc[:t], btc.loc[:t], ["c5"], top_n=3, window=3)
    assert_prefix(full, part, t)
