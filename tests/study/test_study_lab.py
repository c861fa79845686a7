"""The thesis lab end to end: hand-built timing, a planted lead, and the real data."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcurve.catalog import Catalog
from riskcurve.data.panel import AlignedPanel, decision_times
from riskcurve.data.store import Store
from riskcurve.measures.breakout import BreakoutEvent
from riskcurve.study.events import decluster, follower_event_study
from riskcurve.study.inputs import Follower, StudyInputs, build_inputs
from riskcurve.study.lab import StudyConfig, run_study


def _event(date: str) -> BreakoutEvent:
    return BreakoutEvent("LEAD", pd.Timestamp(date), "ath", 1.0, 1.0)


def _inputs(leader: pd.Series, follower: pd.Series) -> StudyInputs:
    sessions = pd.DatetimeIndex(leader.index)
    return StudyInputs(
        leader="LEAD",
        leader_close=leader,
        leader_known=decision_times("nyse", sessions),
        followers={
            "COIN": Follower("COIN", follower, decision_times("crypto_utc", pd.DatetimeIndex(follower.index)), 365)
        },
        regime=pd.Series(True, index=sessions),
    )


def test_decluster_keeps_the_first_of_each_burst() -> None:
    sessions = pd.bdate_range("2024-01-01", periods=100)
    events = [_event(str(sessions[i].date())) for i in (0, 5, 30, 31, 70)]
    kept = decluster(events, sessions, cooldown=30)
    assert [sessions.get_loc(e.date) for e in kept] == [0, 30, 70]


def test_entry_is_the_first_crypto_close_after_the_equity_close() -> None:
    sessions = pd.bdate_range("2024-01-01", periods=300)
    leader = pd.Series(np.linspace(100, 200, 300), index=sessions)
    days = pd.date_range("2023-12-01", "2025-06-30", freq="D")
    coin = pd.Series(np.exp(np.arange(len(days)) * 0.001), index=days)  # +0.1% log a day, exactly
    event = _event("2024-03-08")  # a Friday
    study = follower_event_study(
        _inputs(leader, coin),
        _inputs(leader, coin).followers["COIN"],
        [event],
        horizons=(7, 30),
        reps=200,
        placebo_draws=200,
    )
    row = study.table.iloc[0]
    # Friday's 16:00 New York close is known at 21:00 UTC; the UTC day of Friday closes at 00:00 Saturday.
    assert row["entry_date"] == pd.Timestamp("2024-03-08")
    assert row["r_7"] == pytest.approx(0.007) and row["r_30"] == pytest.approx(0.030)
    assert study.stats.loc[30, "baseline_all"] == pytest.approx(0.030)
    assert study.stats.loc[30, "excess_all"] == pytest.approx(0.0, abs=1e-12)
    assert study.paths.iloc[10, 0] == pytest.approx(0.010)


def test_planted_thirty_day_lead_is_found() -> None:
    rng = np.random.default_rng(7)
    sessions = pd.bdate_range("2012-01-02", periods=2600)
    leader = pd.Series(100 * np.exp(np.cumsum(rng.normal(0.0004, 0.01, len(sessions)))), index=sessions)
    days = pd.date_range(sessions[0], sessions[-1] + pd.Timedelta(days=400), freq="D")
    # The coin earns the leader's 30-day-old breakouts: +25% spread over the 30 days after each
    # 63-session high, plus noise.
    noise = rng.normal(0.0, 0.01, len(days))
    drift = np.zeros(len(days))
    highs = leader.rolling(63).max().shift(1)
    starts = [d for d in sessions[63:] if leader[d] > highs[d]]
    kept = decluster([_event(str(d.date())) for d in starts], sessions, 40)
    for event in kept:
        i = days.get_loc(event.date)
        drift[i + 1 : i + 31] += 0.25 / 30
    coin = pd.Series(100 * np.exp(np.cumsum(noise + drift)), index=days)
    inputs = _inputs(leader, coin)
    study = follower_event_study(
        inputs, inputs.followers["COIN"], kept, horizons=(7, 30, 90), reps=500, placebo_draws=1000, seed=3
    )
    assert study.stats.loc[30, "excess_all"] > 0.15
    assert study.stats.loc[30, "p_placebo"] < 0.01 and study.stats.loc[30, "ci_low"] > 0
    assert study.stats.loc[7, "excess_all"] < study.stats.loc[30, "excess_all"]


@pytest.fixture(scope="module")
def real_study(real_store_path: Path, catalog: Catalog):  # type: ignore[no-untyped-def]
    with Store(real_store_path, read_only=True) as store, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inputs = build_inputs(AlignedPanel(store, catalog, "2026-08-22"))
        return run_study(inputs, StudyConfig(reps=500, placebo_draws=500, rw_reps=200))


def test_real_study_reports_everything_with_its_n(real_study) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(json.dumps(real_study.to_dict()))
    assert {"events", "event_study", "adjusted_p", "sweep", "backtest", "verdict", "parameters"} <= set(doc)
    dates = [e["date"] for e in doc["events"]]
    assert "2026-01-08" in dates and "2020-11-13" in dates  # the 2,600 breakout and the post-COVID high
    eth = {row["horizon"]: row for row in doc["event_study"]["ETH"]["stats"]}
    assert set(eth) == {7, 30, 60, 90, 180}
    assert all(eth[h]["n"] >= 5 for h in (30, 60, 90))
    for h in (30, 60, 90):
        assert eth[h]["ci_low"] <= eth[h]["mean"] <= eth[h]["ci_high"]
        assert 0 < eth[h]["p_placebo"] <= 1 and eth[h]["mde"] > 0
    assert doc["sweep"]["n_configurations"] == 24 * 3 * 5
    configs = doc["sweep"]["families"]["ETH"]["configurations"]
    assert len(configs) <= 24 * 5 and {"definition", "horizon", "pvalue", "adjusted_pvalue"} <= set(configs[0])
    assert all(0 < r["adjusted_pvalue"] <= 1 for r in configs)
    assert set(doc["verdict"]) == {"BTC", "ETH", "ALTS"}
    assert all(re.match(r"[A-Z ]+ \(\d+ days, \d+ events\)", v) for v in doc["verdict"].values())
    assert doc["backtest"]["ETH"]["metrics"]["n_trades"] >= 5


def test_adjusted_p_values_are_never_below_raw(real_study) -> None:  # type: ignore[no-untyped-def]
    adjusted = real_study.adjusted_event_p.dropna()
    assert (adjusted["p_adjusted"] >= adjusted["p_placebo"] - 1e-12).all()
    for family in real_study.families.values():
        finite = np.isfinite(family.adjusted.pvalue)
        assert (family.adjusted.adjusted[finite] >= family.adjusted.pvalue[finite] - 1e-12).all()


def test_a_later_start_keeps_the_full_history_events(real_store_path: Path, catalog: Catalog, real_study) -> None:  # type: ignore[no-untyped-def]
    with Store(real_store_path, read_only=True) as store, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inputs = build_inputs(AlignedPanel(store, catalog, "2026-08-22"), followers=("BTC",), start="2025-01-01")
        late = run_study(inputs, StudyConfig(horizons=(30,), reps=200, placebo_draws=200, rw_reps=100))
    full = [e.date for e in real_study.events if e.date >= pd.Timestamp("2025-01-01")]
    assert [e.date for e in late.events] == full  # no false "first" highs from a cut history
