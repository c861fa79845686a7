"""Alternative leaders through the service: signals dated by publication, every configuration counted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import riskcurve
from riskcurve.data.panel import AlignedPanel
from riskcurve.data.store import Store
from riskcurve.study.alt_inputs import alt_leader_signals


def test_signals_are_dated_by_publication(real_store_path: Path) -> None:
    """The Wednesday 2026-01-07 H.4.1 level is a signal from Thursday 2026-01-08, never the Wednesday."""
    rc = riskcurve.open(real_store_path)
    with Store(real_store_path, read_only=True) as store:
        signals = alt_leader_signals(AlignedPanel(store, rc.catalog, rc.resolve("2026-01-09")))
    net = signals["net_liquidity_growth_13w"]
    assert net.index[-1] == pd.Timestamp("2026-01-08") and (net.index.day_of_week == 3).mean() > 0.9
    assert signals["usdt_growth_30d"].index[-1] <= pd.Timestamp("2026-01-09")


def test_alt_leaders_from_the_service(real_store_path: Path) -> None:
    study = riskcurve.open(real_store_path).alt_leaders("2026-01-09")
    assert study.family_size == 36 and set(study.table["signal"]) == {"net_liquidity_growth_13w", "usdt_growth_30d"}
    tested = study.table.dropna(subset=["pvalue"])
    assert (tested["p_holm"] >= tested["pvalue"]).all()
    assert study.to_dict()["family_size"] == 36 and "configurations tested" in str(study)


def test_net_liquidity_signal_reaches_back_before_the_daily_tga(real_store_path: Path) -> None:
    """Before 2022-04 (no DTS closes) the week-average TGA stands in, so the signal spans the H.4.1 years."""
    rc = riskcurve.open(real_store_path)
    with Store(real_store_path, read_only=True) as store:
        net = alt_leader_signals(AlignedPanel(store, rc.catalog, rc.resolve("2026-01-09")))["net_liquidity_growth_13w"]
    assert net.index[0] < pd.Timestamp("2004-01-01")
