"""Alternative leaders through the service: signals dated by publication, every configuration counted."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import riskcurve
from riskcurve.cli import app
from riskcurve.data.panel import AlignedPanel
from riskcurve.data.store import Store
from riskcurve.service import ALT_THRESHOLDS
from riskcurve.study.alt_inputs import alt_leader_signals
from riskcurve.study.alt_leaders import decluster
from riskcurve.web import create_app


def test_signals_are_dated_by_publication(real_store_path: Path) -> None:
    """The Wednesday 2026-01-07 H.4.1 level is a signal from Thursday 2026-01-08, never the Wednesday."""
    rc = riskcurve.open(real_store_path)
    with Store(real_store_path, read_only=True) as store:
        signals = alt_leader_signals(AlignedPanel(store, rc.catalog, rc.resolve("2026-01-09")))
    net = signals["net_liquidity_growth_13w"]
    assert net.index[-1] == pd.Timestamp("2026-01-08") and (net.index.day_of_week == 3).mean() > 0.9
    assert signals["usdt_growth_30d"].index[-1] <= pd.Timestamp("2026-01-09")


def test_alt_leaders_from_the_service(real_store_path: Path) -> None:
    rc = riskcurve.open(real_store_path)
    study = rc.alt_leaders("2026-01-09")
    # (3 + 3 thresholds + the breakout) x 2 followers x 3 horizons, all in one Holm family
    assert study.family_size == (sum(map(len, ALT_THRESHOLDS.values())) + 1) * 2 * 3
    assert set(study.table["signal"]) == {"net_liquidity_growth_13w", "usdt_growth_30d", "rut_breakout"}
    tested = study.table.dropna(subset=["pvalue"])
    assert (tested["p_holm"] >= tested["pvalue"]).all()
    assert "configurations tested" in str(study) and "verdict:" in str(study)
    # The benchmark's events are the board's breakouts as known then, declustered by the 60-day cooldown.
    breakouts = pd.DatetimeIndex([e.date for e in rc.board("2026-01-09").breakouts])
    bench = study.table[(study.table["signal"] == "rut_breakout") & (study.table["follower"] == "BTC")]
    kept = decluster(breakouts, 60)
    assert 0 < bench["n_events"].min() <= bench["n_events"].max() <= len(kept)
    assert kept[-1] <= pd.Timestamp("2026-01-09")


def test_leaders_command_and_endpoint_state_the_discipline(real_store_path: Path) -> None:
    expected = riskcurve.open(real_store_path).alt_leaders("2026-01-09").to_dict()
    result = CliRunner().invoke(app, ["leaders", "--as-of", "2026-01-09", "--json", "--db", str(real_store_path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["family_size"] == expected["family_size"] and doc["verdict"] == expected["verdict"]
    assert "Holm" in doc["adjustment"] and doc["benchmark"] == "rut_breakout"
    text = CliRunner().invoke(app, ["leaders", "--as-of", "2026-01-09", "--db", str(real_store_path)])
    assert "family:" in text.output and "adjustment: Holm" in text.output and "verdict:" in text.output
    bad = CliRunner().invoke(app, ["leaders", "--as-of", "someday", "--db", str(real_store_path)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    with TestClient(create_app(riskcurve.open(real_store_path, lock_wait=1.0))) as client:
        served = client.get("/api/alt-leaders", params={"as_of": "2026-01-09"})
        assert served.status_code == 200 and served.json()["verdict"] == expected["verdict"]
        assert client.get("/api/alt-leaders", params={"as_of": "someday"}).status_code == 422


def test_net_liquidity_signal_reaches_back_before_the_daily_tga(real_store_path: Path) -> None:
    """Before 2022-04 (no DTS closes) the week-average TGA stands in, so the signal spans the H.4.1 years."""
    rc = riskcurve.open(real_store_path)
    with Store(real_store_path, read_only=True) as store:
        net = alt_leader_signals(AlignedPanel(store, rc.catalog, rc.resolve("2026-01-09")))["net_liquidity_growth_13w"]
    assert net.index[0] < pd.Timestamp("2004-01-01")
