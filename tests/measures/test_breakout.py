"""Every breakout rule and confirmation on series short enough to count by hand, plus causality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskcurve.errors import DataValidationError, ShortSampleWarning
from riskcurve.measures import BreakoutConfig, BreakoutEvent, detect_breakouts, relative_strength
from riskcurve.measures.breakout import (
    Confirmation,
    ath_breakouts,
    consecutive_closes_above,
    rolling_high_breakouts,
    round_level_breakouts,
    volume_confirmation,
    volume_ratio,
)
from tests.measures.measures_strategies import CAUSAL, assert_prefix, cut_date, price_frame


def sessions(values: list[float], name: str = "X") -> pd.Series:
    return pd.Series(values, index=pd.bdate_range("2024-01-01", periods=len(values)), dtype="float64", name=name)


# positions:      0  1  2  3  4  5  6  7  8  9
TEN = sessions([1, 3, 2, 2, 4, 5, 4, 4, 4, 6])
# All-time highs (strictly above every earlier close) at 1, 4, 5, 9; gaps since the previous one
# (position 0 is the starting high): 1, 3, 1, 4.


def at(series: pd.Series, date: pd.Timestamp) -> int:
    """Session number of ``date`` in ``series``."""
    return int(series.index.searchsorted(date))


def summary(events: list[BreakoutEvent]) -> list[tuple[int, str, float, float]]:
    return [(at(TEN, e.date), e.kind, e.level, e.close) for e in events]


# ------------------------------------------------------------------ all-time highs


@pytest.mark.parametrize(
    ("min_gap", "expected"),
    [
        (1, [(1, 1.0, 3.0, 1), (4, 3.0, 4.0, 3), (5, 4.0, 5.0, 1), (9, 5.0, 6.0, 4)]),
        (3, [(4, 3.0, 4.0, 3), (9, 5.0, 6.0, 4)]),
        (4, [(9, 5.0, 6.0, 4)]),
        (5, []),
    ],
)
def test_ath_gap_counted_in_sessions(min_gap: int, expected: list[tuple[int, float, float, int]]) -> None:
    events = ath_breakouts(TEN, min_gap=min_gap)
    got = [
        (p, level, close, e.confirmations["gap_sessions"])
        for (p, _, level, close), e in zip(summary(events), events, strict=True)
    ]
    assert got == expected
    assert all(e.kind == "ath" and e.series == "X" for e in events)


def test_ath_equal_close_is_not_a_new_high_and_nan_is_skipped() -> None:
    closes = sessions([5, 5, np.nan, 4, 6])
    (event,) = ath_breakouts(closes, min_gap=3)
    # The second 5 is not above 5; the NaN session does not count: the 6 is 3 sessions after the first 5.
    assert event.date == closes.index[4] and event.level == 5 and event.confirmations["gap_sessions"] == 3


def test_ath_too_short_warns_and_is_empty() -> None:
    with pytest.warns(ShortSampleWarning):
        assert ath_breakouts(TEN, min_gap=10) == []


# ------------------------------------------------------------------ round levels


def test_round_levels_first_close_above_each() -> None:
    closes = sessions([95, 98, 101, 99, 102, 150, 210])
    events = round_level_breakouts(closes, [200, 100, 150, 50, 300])
    got = [(at(closes, e.date), e.level, e.close) for e in events]
    # 100: first above at 101 (the dip and re-cross at 102 is not new); 150: not *above* at 150,
    # so both 150 and 200 break at 210; 50 was already exceeded by the first close; 300 never.
    assert got == [(2, 100.0, 101.0), (6, 150.0, 210.0), (6, 200.0, 210.0)]


def test_rut_first_close_above_2600() -> None:
    # RUT closes from the real series; the prior record close was 2,590.61 on 2025-12-11.
    dates = [
        "2025-12-10",
        "2025-12-11",
        "2025-12-12",
        "2025-12-31",
        "2026-01-02",
        "2026-01-05",
        "2026-01-06",
        "2026-01-07",
        "2026-01-08",
        "2026-01-09",
    ]
    closes = [2559.61, 2590.61, 2551.46, 2481.91, 2508.22, 2547.92, 2582.90, 2575.42, 2603.91, 2624.22]
    rut = pd.Series(closes, index=pd.DatetimeIndex(dates), name="RUT")
    (event,) = round_level_breakouts(rut, [2500, 2600, 2700])
    assert event.date == pd.Timestamp("2026-01-08") and event.close == 2603.91 and event.level == 2600


def test_round_levels_too_short() -> None:
    with pytest.warns(ShortSampleWarning):
        assert round_level_breakouts(sessions([1.0]), [0.5]) == []


# ------------------------------------------------------------------ rolling highs


def test_rolling_high_breakouts_fire_when_the_condition_turns_on() -> None:
    closes = sessions([10, 11, 12, 11, 10, 13, 14, 12, 15])
    events = rolling_high_breakouts(closes, lookback=3, pct=0)
    # Prior 3-session highs from position 3: 12, 12, 12, 13, 14, 14. Above at 5 (13 > 12),
    # 6 (14 > 13, same run), 8 (15 > 14, new run).
    got = [(at(closes, e.date), e.level, e.close) for e in events]
    assert got == [(5, 12.0, 13.0), (8, 14.0, 15.0)]
    assert events[0].confirmations["pct_above"] == pytest.approx(100 / 12)
    # By at least 8 %: only 13 > 12 * 1.08 = 12.96 qualifies; 15 > 14 * 1.08 = 15.12 does not.
    assert [e.close for e in rolling_high_breakouts(closes, lookback=3, pct=8)] == [13.0]
    assert rolling_high_breakouts(closes, lookback=3, pct=10) == []


def test_rolling_high_too_short() -> None:
    with pytest.warns(ShortSampleWarning):
        assert rolling_high_breakouts(sessions([1, 2, 3]), lookback=3) == []


# ------------------------------------------------------------------ confirmations


def test_consecutive_closes_above_is_forward_looking() -> None:
    closes = sessions([9, 11, 12, 10, 11, 12])
    day = closes.index
    assert consecutive_closes_above(closes, 10, day[1], 2) is True  # 11, 12
    assert consecutive_closes_above(closes, 10, day[1], 3) is False  # 11, 12, 10: back to the level
    assert consecutive_closes_above(closes, 10, day[4], 2) is True
    assert consecutive_closes_above(closes, 10, day[4], 3) is None  # 11, 12, then no data yet
    assert consecutive_closes_above(closes, 13, day[5], 3) is False  # fails on day one: decided
    with pytest.raises(DataValidationError):
        consecutive_closes_above(closes, 10, pd.Timestamp("2030-01-01"), 2)


def test_volume_confirmation_against_prior_mean() -> None:
    volume = sessions([100, 100, 100, 100, 100, 300])
    last = volume.index[-1]
    assert volume_ratio(volume, last, window=5) == 3.0  # 300 / mean(100 x 5), today left out
    assert volume_confirmation(volume, last, multiple=3.0, window=5) is True
    assert volume_confirmation(volume, last, multiple=3.5, window=5) is False
    assert np.isnan(volume_ratio(volume, volume.index[3], window=5))  # only 3 earlier sessions
    assert volume_confirmation(volume, volume.index[3], window=5) is None
    assert volume_confirmation(volume, pd.Timestamp("2030-01-01"), window=5) is None


def test_relative_strength_by_hand() -> None:
    leader = sessions([100, 110, 121, 121])
    a = sessions([100, 100, 100, 110])
    b = sessions([100, 105, 130, 120])
    rs = relative_strength(leader, {"A": a, "B": b}, window=2)
    # 2-session returns at 2: leader .21, A 0, B .30; at 3: leader .10, A .10, B 120/105 - 1.
    assert rs["excess_A"].iloc[2:].tolist() == pytest.approx([0.21, 0.0])
    assert rs["excess_B"].iloc[2:].tolist() == pytest.approx([-0.09, 0.1 - (120 / 105 - 1)])
    assert rs["beats_A"].tolist() == [pd.NA, pd.NA, True, False]  # a tie is not a win
    assert rs["beats_all"].tolist() == [pd.NA, pd.NA, False, False]
    # Daily returns: leader .1 .1 0; A 0 0 .1; B .05 .238 -.077.
    assert rs["streak_A"].tolist() == [0, 1, 2, 0]
    assert rs["streak_B"].tolist() == [0, 1, 0, 1]
    assert rs["streak_all"].tolist() == [0, 1, 0, 0]


# ------------------------------------------------------------------ detect_breakouts


def test_detect_breakouts_runs_all_kinds_sorted_with_confirmations() -> None:
    config = BreakoutConfig(ath_min_gap=3, round_levels=(3.5,), rolling_lookback=3, hold_closes=2)
    events = detect_breakouts(TEN, config)
    assert summary(events) == [
        (4, "ath", 3.0, 4.0),
        (4, "round_level", 3.5, 4.0),
        (4, "rolling_high", 3.0, 4.0),  # prior 3-session high max(3, 2, 2)
        (9, "ath", 5.0, 6.0),
        (9, "rolling_high", 4.0, 6.0),  # max(4, 4, 4); the 5 at position 5 was the same run
    ]
    assert [e.held for e in events] == [True, True, True, None, None]


def test_detect_breakouts_adds_volume_and_relative_strength() -> None:
    config = BreakoutConfig(kinds=("ath",), ath_min_gap=3, volume_window=3, rs_window=2, hold_closes=1)
    volume = sessions([1, 1, 1, 1, 3, 1, 1, 1, 1, 1])
    flat = sessions([1.0] * 10)
    first, last = detect_breakouts(TEN, config, volume=volume, others={"FLAT": flat})
    assert first.confirmations["volume_ratio"] == 3.0 and first.confirmations["volume_ok"] is True
    assert last.confirmations["volume_ok"] is False
    # Over 2 sessions the leader went 2 -> 4 (+100 %) against a flat series; daily streak: 2 -> 4 up.
    assert first.confirmations["rs_excess_FLAT"] == pytest.approx(1.0)
    assert first.confirmations["rs_beats_all"] is True and first.confirmations["rs_streak"] == 1
    assert first.held is True and first.confirmations["gap_sessions"] == 3


def test_breakout_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="kinds"):
        BreakoutConfig(kinds=("moon",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hold_closes"):
        BreakoutConfig(hold_closes=0)


# ------------------------------------------------------------------ causality


def _same(a: Confirmation, b: Confirmation) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b))


def _identity(events: list[BreakoutEvent]) -> list[tuple[pd.Timestamp, str, float, float]]:
    return [(e.date, e.kind, e.level, e.close) for e in events]


@pytest.mark.filterwarnings("ignore::riskcurve.errors.ShortSampleWarning")
@CAUSAL
@given(frame=price_frame(columns=3, min_size=4, max_size=60), data=st.data())
def test_breakouts_are_causal(frame: pd.DataFrame, data: st.DataObject) -> None:
    t = cut_date(data, pd.DatetimeIndex(frame.index))
    close, volume, other = frame["c0"], frame["c1"], frame["c2"]
    config = BreakoutConfig(
        ath_min_gap=3,
        round_levels=(90.0, 100.0, 110.0, 120.0),
        rolling_lookback=4,
        rolling_pct=1.0,
        hold_closes=3,
        volume_window=3,
        rs_window=3,
    )
    full = detect_breakouts(close, config, volume=volume, others={"O": other})
    part = detect_breakouts(close.loc[:t], config, volume=volume.loc[:t], others={"O": other.loc[:t]})
    early = [e for e in full if e.date <= t]
    assert _identity(part) == _identity(early)
    for p, f in zip(part, early, strict=True):
        assert p.held is None or p.held == f.held  # known later, never changed
        for key, value in p.confirmations.items():
            assert _same(value, f.confirmations[key])
    rs_full = relative_strength(close, {"O": other}, window=3)
    rs_part = relative_strength(close.loc[:t], {"O": other.loc[:t]}, window=3)
    assert_prefix(rs_full, rs_part, t)
