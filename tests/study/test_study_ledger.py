"""The forward-test ledger: pending logic on a hand-built case, the 2,600 known answer on the real data."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcurve.catalog import Catalog
from riskcurve.data.panel import AlignedPanel, decision_times
from riskcurve.data.store import Store
from riskcurve.measures.breakout import BreakoutEvent, detect_breakouts
from riskcurve.study.events import decluster
from riskcurve.study.inputs import Follower, build_inputs
from riskcurve.study.lab import StudyConfig
from riskcurve.study.ledger import build_ledger
from tests.conftest import read_data


def _coin(days: pd.DatetimeIndex, log_step: float) -> Follower:
    close = pd.Series(np.exp(np.arange(len(days)) * log_step), index=days)
    return Follower("COIN", close, decision_times("crypto_utc", days), 365)


def test_pending_until_the_window_completes_and_baseline_is_point_in_time() -> None:
    sessions = pd.bdate_range("2025-01-01", "2025-06-30")
    known = decision_times("nyse", sessions)
    days = pd.date_range("2025-01-01", "2025-05-15", freq="D")
    coin = _coin(days, 0.001)  # +0.1% log a day, exactly
    signal = BreakoutEvent("LEAD", pd.Timestamp("2025-03-07"), "round_level", 2600.0, 2601.0)
    ledger = build_ledger(
        "LEAD", known, sessions, [signal], {"COIN": coin}, pd.Timestamp("2025-05-15", tz="UTC"), claim_date="2025-01-01"
    )
    by_h = {e.horizon: e for e in ledger.entries}
    # Friday's close is known 21:00 UTC; the entry is the UTC day of 2025-03-07 (closes 00:00 Saturday).
    assert by_h[30].entry_date == pd.Timestamp("2025-03-07")
    assert by_h[30].outcome == "realised" and by_h[30].realised == pytest.approx(math.exp(0.03) - 1)
    assert by_h[30].baseline == pytest.approx(math.exp(0.03) - 1) and by_h[30].excess == pytest.approx(0, abs=1e-12)
    assert by_h[60].outcome == "realised"  # 2025-05-06 <= 2025-05-15
    assert by_h[90].outcome == "pending" and by_h[90].end_date == pd.Timestamp("2025-06-05")
    assert "pending until 2025-06-05" in ledger.summary()
    doc = json.loads(json.dumps(ledger.to_dict()))
    assert [e["outcome"] for e in doc["entries"]] == ["realised", "realised", "pending"]


def test_a_missing_close_is_unknown_with_its_date() -> None:
    sessions = pd.bdate_range("2025-01-01", "2025-06-30")
    days = pd.date_range("2025-01-01", "2025-08-15", freq="D")
    coin = _coin(days, 0.001)
    coin.close.loc[pd.Timestamp("2025-04-06")] = np.nan
    signal = BreakoutEvent("LEAD", pd.Timestamp("2025-03-07"), "ath", 1.0, 1.0)
    ledger = build_ledger(
        "LEAD",
        decision_times("nyse", sessions),
        sessions,
        [signal],
        {"COIN": coin},
        pd.Timestamp("2025-08-15"),
        claim_date="2025-01-01",
    )
    assert ledger.entries[0].outcome == "unknown" and "2025-04-06" in ledger.entries[0].reason
    assert ledger.entries[1].outcome == "realised"


def test_signals_before_the_claim_date_are_not_in_the_ledger() -> None:
    sessions = pd.bdate_range("2025-01-01", "2025-06-30")
    coin = _coin(pd.date_range("2025-01-01", "2025-08-15", freq="D"), 0.001)
    early = BreakoutEvent("LEAD", pd.Timestamp("2025-02-03"), "ath", 1.0, 1.0)
    ledger = build_ledger(
        "LEAD",
        decision_times("nyse", sessions),
        sessions,
        [early],
        {"COIN": coin},
        pd.Timestamp("2025-08-15"),
        claim_date="2025-03-01",
    )
    assert ledger.signals == () and "no LEAD breakout since 2025-03-01" in ledger.summary()


def test_eth_after_the_2600_break(real_store_path: Path, catalog: Catalog, data_dir: Path) -> None:
    """Known answer: after the first close above 2,600 (2026-01-08) ETH fell ~33%, 36%, 30% in 30/60/90 days."""
    with Store(real_store_path, read_only=True) as store, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel = AlignedPanel(store, catalog, "2026-10-09")
        inputs = build_inputs(panel, followers=("ETH", "BTC"))
    history = inputs.leader_history if inputs.leader_history is not None else inputs.leader_close
    cfg = StudyConfig()
    events = decluster(
        detect_breakouts(history, cfg.breakout_config(history), name="RUT"),
        pd.DatetimeIndex(history.index),
        cfg.cooldown,
    )
    ledger = build_ledger(
        "RUT",
        inputs.leader_known,
        pd.DatetimeIndex(inputs.leader_close.index),
        events,
        inputs.followers,
        panel.as_of,
    )
    assert ledger.signals[0].date == pd.Timestamp("2026-01-08")
    eth = {e.horizon: e for e in ledger.entries if e.follower == "ETH" and e.signal_date == ledger.signals[0].date}
    assert all(e.outcome == "realised" for e in eth.values())
    assert eth[30].realised == pytest.approx(-0.33, abs=0.015)
    assert eth[60].realised == pytest.approx(-0.36, abs=0.015)
    assert eth[90].realised == pytest.approx(-0.30, abs=0.015)
    # The baseline, recomputed from the file: the median h-day simple return of the windows that start
    # in the four years before the entry and end by it.
    closes = read_data(data_dir / "crypto/ETH.csv").set_index("date")["close"]
    for h, entry in eth.items():
        window = closes.loc[entry.entry_date - pd.Timedelta(days=4 * 365) : entry.entry_date]
        simple = (window.shift(-h) / window - 1).dropna()
        assert entry.baseline == pytest.approx(simple.median(), abs=1e-9), h
