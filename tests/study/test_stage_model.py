"""The stage model's pieces on hand-built cases with known answers and on planted effects."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskcurve.data.panel import decision_times
from riskcurve.errors import CatalogError
from riskcurve.measures.breakout import BreakoutEvent
from riskcurve.study.inputs import Follower
from riskcurve.study.ladder import (
    RUNGS,
    TrendRule,
    _tau_b,
    ladder_order,
    order_test,
    turn_dates,
    vix_cycles,
)
from riskcurve.study.precedents import check_precedent, load_precedents
from riskcurve.study.stage_model import (
    independent_starts,
    stage_by_session,
    stage_forward_returns,
    stage_lags,
)


def crypto_follower(name: str, close: pd.Series) -> Follower:
    days = pd.DatetimeIndex(close.index)
    return Follower(name, close, decision_times("crypto_utc", days), 365)


def day_sessions(start: str, n: int) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """``n`` daily 'sessions' and the moment each close is known (16:00 New York, before the UTC day ends)."""
    days = pd.date_range(start, periods=n, freq="D")
    known = (days + pd.Timedelta(hours=16)).tz_localize("America/New_York").tz_convert("UTC")
    return days, pd.DatetimeIndex(known)


# ------------------------------------------------------------------------- stage-conditional returns


def test_stage_returns_on_a_hand_built_case() -> None:
    """Closes 10, 20, 10, 30, 30, 60, 60: one-day returns +100%, -50%, +200%, 0, +100%, 0 from days 0-5."""
    days, known = day_sessions("2021-03-01", 6)
    close = pd.Series([10.0, 20, 10, 30, 30, 60, 60], index=pd.date_range("2021-03-01", periods=7, freq="D"))
    stage = pd.Series(pd.array([0, 0, 1, 1, None, 1], dtype="Int64"), index=days)
    result = stage_forward_returns(stage, known, {"X": crypto_follower("X", close)}, horizons=(1,), reps=200)
    zero, one, every = (result.cell(s, "X", 1) for s in (0, 1, "all"))
    assert zero["mean"] == pytest.approx(0.25) and zero["sessions"] == 2 and zero["episodes"] == 1
    assert one["mean"] == pytest.approx(2 / 3) and one["sessions"] == 3
    assert one["episodes"] == 2 and one["independent"] == 2  # days 2-3 and day 5
    assert every["mean"] == pytest.approx(0.5) and every["sessions"] == 5
    assert one["excess"] == pytest.approx(2 / 3 - 0.5) and one["baseline"] == pytest.approx(0.5)
    assert result.unknown_sessions == 1  # day 4: unknown stage, left out and counted
    assert result.cell(2, "X", 1)["sessions"] == 0 and result.text(2, "X", 1) == "no sessions"
    assert result.cell(1, "X", 1, era="2020-2022")["mean"] == pytest.approx(2 / 3)
    assert result.cell(1, "X", 1, era="2015-2019")["sessions"] == 0
    assert one["lower"] <= one["mean"] <= one["upper"]


def test_stage_returns_never_bridge_a_missing_close() -> None:
    days, known = day_sessions("2021-03-01", 4)
    close = pd.Series([10.0, 20, np.nan, 40, 80], index=pd.date_range("2021-03-01", periods=5, freq="D"))
    stage = pd.Series(pd.array([3, 3, 3, 3], dtype="Int64"), index=days)
    cell = stage_forward_returns(stage, known, {"X": crypto_follower("X", close)}, horizons=(1,), reps=100).cell(
        3, "X", 1
    )
    assert cell["sessions"] == 2 and cell["mean"] == pytest.approx(1.0)  # 10->20 and 40->80 only
    assert cell["episodes"] == 2  # the gap splits the run: a window across it is not a return


def test_independent_episodes_are_starts_a_horizon_apart() -> None:
    starts = pd.DatetimeIndex(["2020-01-01", "2020-01-11", "2020-02-10", "2020-02-15", "2020-04-10"])
    assert independent_starts(starts, 30) == 3
    assert independent_starts(starts, 1) == 5
    assert independent_starts(pd.DatetimeIndex([]), 30) == 0


def test_stage_by_session_expands_the_timeline_and_keeps_unknown() -> None:
    sessions = pd.date_range("2024-01-01", periods=6, freq="D")
    timeline = pd.DataFrame(
        {
            "start": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-05"]),
            "end": pd.to_datetime(["2024-01-02", "2024-01-04", "2024-01-06"]),
            "stage": pd.array([2, None, 3], dtype="Int64"),
        }
    )
    stage = stage_by_session(timeline, sessions)
    assert stage.tolist()[:2] == [2, 2] and stage.isna().tolist() == [False, False, True, True, False, False]
    assert stage.iloc[-1] == 3


# ------------------------------------------------------------------------------------------- timing


def planted_stages(lag: int, seed: int, n: int = 4000) -> pd.Series:
    """Stage 3 while a random-walk leader is above its 200-day average, 4 once a follower that copies
    the leader ``lag`` days later is above its own too, 0 otherwise."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2000-01-01", periods=n, freq="D")
    leader = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.02, n))), index=days)
    follower = leader.shift(lag)
    up = (leader > leader.rolling(200).mean()).to_numpy()
    follows = (follower > follower.rolling(200).mean()).to_numpy()
    return pd.Series(np.where(up, np.where(follows, 4, 3), 0), index=days).astype("Int64")


@pytest.mark.parametrize("lag", [30, 60])
def test_a_follower_copying_the_leader_is_found_at_its_lag(lag: int) -> None:
    lags = [d for seed in range(5) for d in stage_lags(planted_stages(lag, seed), onset_gap=lag).found()]
    assert len(lags) >= 20
    assert np.median(lags) == lag
    assert np.mean(np.array(lags) == lag) > 0.5  # the rest: the leader fell back before the copy turned


def test_lag_outcomes_inside_before_after_never_pending_unknown() -> None:
    days = pd.date_range("2020-01-01", periods=700, freq="D")
    values = np.zeros(700, dtype=int)
    values[0:100] = 3
    values[45:60] = 4  # 45 days: inside 30-90
    values[300:320] = 3  # never: no 4 before the next onset
    values[500:520] = 3
    values[520] = 4  # 20 days: before
    values[690:] = 3  # pending: 9 days old at the end of the data
    stage = pd.Series(values, index=days).astype("Int64")
    timing = stage_lags(stage, onset_gap=100)
    assert [lag.outcome for lag in timing.lags] == ["inside", "never", "before", "pending"]
    assert timing.found() == [45, 20]
    assessable = pd.Series(days < pd.Timestamp("2021-06-01"), index=days)
    blind = stage_lags(stage, assessable, onset_gap=100)
    assert blind.lags[1].outcome == "never" and blind.lags[1].assessable == 1.0
    late = stage_lags(stage, pd.Series(days < pd.Timestamp("2020-02-01"), index=days), onset_gap=100)
    assert late.lags[1].outcome == "unknown"  # stage 4 could not be read: not "never"
    assert "1 inside, 1 before, 0 after, 0 never, 1 pending, 1 unknown" in late.summary()
    values[100:180] = 3
    values[170] = 4
    assert stage_lags(pd.Series(values, index=days).astype("Int64"), onset_gap=100).lags[0].outcome == "inside"


# ------------------------------------------------------------------------------------------- ladder


def test_tau_b_matches_scipy_with_ties() -> None:
    rng = np.random.default_rng(3)
    thesis = np.array([1, 2, 3, 4, 4, 4], dtype=float)
    for _ in range(20):
        x = rng.integers(0, 4, 6).astype(float)
        expected = stats.kendalltau(x, thesis).statistic
        got = _tau_b(pd.Series(x).rank().to_numpy()[None, :], thesis)[0]
        assert (math.isnan(expected) and math.isnan(got)) or got == pytest.approx(expected)


def test_a_ladder_in_the_thesis_order_has_a_high_correlation_and_a_low_p() -> None:
    rng = np.random.default_rng(11)
    thesis = [np.array([r.thesis_rank for r in RUNGS])] * 8
    observed = [30.0 * t + rng.normal(0, 10, len(t)) for t in thesis]
    tau, rho, p_tau, p_rho = order_test(observed, thesis, reps=2000)
    assert tau > 0.6 and rho > 0.7 and p_tau < 0.001 and p_rho < 0.001


def test_a_shuffled_ladder_gives_uniform_p_values() -> None:
    rng = np.random.default_rng(12)
    thesis = [np.array([r.thesis_rank for r in RUNGS])] * 8
    pvalues = np.array(
        [
            order_test([rng.permutation(60)[:6].astype(float) for _ in thesis], thesis, reps=300, seed=s)[2]
            for s in range(300)
        ]
    )
    assert 0.42 < pvalues.mean() < 0.58
    assert 0.01 < np.mean(pvalues < 0.05) < 0.10
    assert 0.05 < np.mean(pvalues < 0.2) < 0.3


def step_series(days: pd.DatetimeIndex, cycles: list[pd.Timestamp], offset: int, *, falling: bool = False) -> pd.Series:
    """100 (5 for a spread), on the wrong side of that for 60 days before each cycle's start, turning
    ``offset`` days after it."""
    base, away, back = (5.0, 6.0, 4.0) if falling else (100.0, 90.0, 110.0)
    values = pd.Series(base, index=days)
    for start in cycles:
        values[(days >= start - pd.Timedelta(days=60)) & (days < start + pd.Timedelta(days=offset))] = away
        values[(days >= start + pd.Timedelta(days=offset)) & (days < start + pd.Timedelta(days=200))] = back
    return values


def test_ladder_order_dates_each_rung_by_its_own_rule() -> None:
    days = pd.date_range("2009-01-01", "2016-12-31", freq="D")
    starts = [pd.Timestamp(f"{y}-03-01") for y in (2010, 2011, 2012, 2013, 2014, 2015)]
    vix = pd.Series(15.0, index=days)
    for start in starts:
        vix[start - pd.Timedelta(days=3) : start + pd.Timedelta(days=3)] = 35.0
        vix[start] = 50.0
    offsets = {"credit": 10, "SPX": 20, "RUT": 30, "BTC": 40, "ETH": 50, "ALTS": 60}
    series = {k: step_series(days, starts, d, falling=k == "credit") for k, d in offsets.items()}
    result = ladder_order(series, vix, pd.Timestamp("2016-12-31", tz="UTC"), reps=2000)
    assert [c.start for c in result.cycles] == starts
    first = result.cycles[0]
    assert {k: (t - first.start).days for k, t in first.turns.items() if t is not None} == offsets
    assert first.order() == list(offsets)
    assert len(result.ranked) == 6 and result.mean_tau == pytest.approx(12 / math.sqrt(15 * 12))
    assert result.p_tau < 0.001
    reverse = {k: step_series(days, starts, 70 - d, falling=k == "credit") for k, d in offsets.items()}
    backwards = ladder_order(reverse, vix, pd.Timestamp("2016-12-31", tz="UTC"), reps=2000)
    assert backwards.mean_tau < -0.8 and backwards.p_tau > 0.99
    assert len(result.summary().splitlines()) == 2 and result.to_dict()["ranked_cycles"] == 6


def test_turn_rule_needs_a_spell_on_the_other_side() -> None:
    days = pd.date_range("2020-01-01", periods=300, freq="D")
    values = pd.Series(np.linspace(100.0, 125.0, 300), index=days)  # rising: above its average
    values[250:260] = 90.0  # ten closes below: too short for below_for=20
    values[260:] = 150.0
    assert len(turn_dates(values, TrendRule(window=200, below_for=20))) == 0
    assert list(turn_dates(values, TrendRule(window=200, below_for=10))) == [days[260]]


def test_vix_cycles_take_the_peak_of_each_episode() -> None:
    days = pd.bdate_range("2010-01-01", periods=400)
    vix = pd.Series(15.0, index=days)
    vix.iloc[10:15] = [31, 40, 35, 32, 31]
    vix.iloc[40] = 33  # 25 sessions later: the same episode
    vix.iloc[300] = 45
    assert list(vix_cycles(vix, merge_sessions=60)) == [days[11], days[300]]


# ----------------------------------------------------------------------------------------- precedents


def test_packaged_precedents_load() -> None:
    precedents = load_precedents()
    assert [p.id for p in precedents] == ["2017", "2021"]
    assert all(p.claimed_lag_days == (30, 90) and p.source for p in precedents)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[precedent]]\nid = "x"\n', "missing name"),
        (
            '[[precedent]]\nid="x"\nname="n"\nwindow=["2020-01-01","2019-01-01"]\nclaim="c"\n'
            'claimed_lag_days=[30,90]\nsource="s"\n',
            "first < last",
        ),
        (
            '[[precedent]]\nid="x"\nname="n"\nwindow=["2020-01-01","2021-01-01"]\nclaim="c"\n'
            'claimed_lag_days=[30,90]\nsource="s"\nlag=3\n',
            "unknown key 'lag'",
        ),
    ],
)
def test_a_bad_precedent_file_names_the_table(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        load_precedents(path)


def test_precedent_facts_on_a_hand_built_case() -> None:
    precedent = load_precedents()[0]
    days = pd.date_range("2015-01-01", "2018-12-31", freq="D")
    breakout_day = pd.Timestamp("2016-11-14")
    eth = pd.Series(10.0, index=days)
    eth[(days >= breakout_day - pd.Timedelta(days=60)) & (days < breakout_day + pd.Timedelta(days=45))] = 8.0
    eth[days >= breakout_day + pd.Timedelta(days=45)] = 12.0
    eth[pd.Timestamp("2018-01-13")] = 1400.0
    event = BreakoutEvent("RUT", breakout_day, "ath", 1296.0, 1298.6)
    stage = pd.Series(pd.array([3] * len(days), dtype="Int64"), index=days)
    check = check_precedent(precedent, [event], {"ETH": eth}, pd.DataFrame(columns=["index", "reason"]), stage)
    assert check.fact("ETH turn").lag_days == 45 and check.fact("ETH peak").date == pd.Timestamp("2018-01-13")
    assert check.fact("ETH peak").lag_days == (pd.Timestamp("2018-01-13") - breakout_day).days
    assert check.fact("altseason peak").date is None and check.fact("ALTS turn").reason == "no closes"
    assert "inside the claimed 30-90 days" in check.verdict
    led = eth.copy()
    led[(days >= breakout_day - pd.Timedelta(days=100))] = 12.0  # the uptrend began before the breakout
    early = check_precedent(precedent, [event], {"ETH": led}, pd.DataFrame(columns=["index"]), stage)
    assert early.fact("ETH turn").lag_days == -100 and "crypto led" in early.verdict
    none = check_precedent(precedent, [], {"ETH": eth}, pd.DataFrame(), stage)
    assert none.breakout is None and "no breakout" in none.summary()
