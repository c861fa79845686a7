"""The stage monitor: hand-worked rules, known answers on real data, and no look-ahead."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcurve.catalog import Catalog
from riskcurve.data.panel import STALE_AFTER, AlignedPanel
from riskcurve.data.store import Store
from riskcurve.errors import CatalogError
from riskcurve.events import load_events
from riskcurve.measures.board import Board, BoardConfig, compute_board
from riskcurve.stages import Rule, StageConfig, _confirm, build_status, classify, core_series, status_at
from tests.conftest import first_session_from, last_date, stale_in_files

METRICS = {
    1: ("hy_oas_chg_13w", "hy_oas_pct_rank", "net_liquidity_chg_13w"),
    2: ("spx_vs_ma200", "spx_ret", "nasdaq_ret"),
    3: ("rut_minus_spx", "rut_minus_nasdaq", "sessions_since_breakout"),
    4: ("eth_ret", "eth_btc_vs_ma50", "altseason"),
}
PASS = {
    "hy_oas_chg_13w": -0.1,
    "hy_oas_pct_rank": 20.0,
    "net_liquidity_chg_13w": 50.0,
    "spx_vs_ma200": 0.05,
    "spx_ret": 0.06,
    "nasdaq_ret": 0.04,
    "rut_minus_spx": 0.02,
    "rut_minus_nasdaq": 0.03,
    "sessions_since_breakout": 5.0,
    "eth_ret": 0.2,
    "eth_btc_vs_ma50": 0.05,
    "altseason": 80.0,
}
FAIL = {
    "hy_oas_chg_13w": 0.3,
    "hy_oas_pct_rank": 90.0,
    "net_liquidity_chg_13w": -50.0,
    "spx_vs_ma200": -0.05,
    "spx_ret": -0.06,
    "nasdaq_ret": -0.04,
    "rut_minus_spx": -0.02,
    "rut_minus_nasdaq": -0.03,
    "sessions_since_breakout": 100.0,
    "eth_ret": -0.2,
    "eth_btc_vs_ma50": -0.05,
    "altseason": 20.0,
}


def _frame(plan: list[set[int]]) -> pd.DataFrame:
    """One row per session; the stages in each set have all their rules passing, the others fail."""
    rows = [{m: (PASS if k in passing else FAIL)[m] for k, ms in METRICS.items() for m in ms} for passing in plan]
    return pd.DataFrame(rows, index=pd.bdate_range("2024-01-01", periods=len(plan)))


@pytest.mark.parametrize(
    ("op", "threshold", "values", "expected"),
    [
        (">=", 0.0, [-1.0, 0.0, 1.0, np.nan], [False, True, True, None]),
        ("<=", 50.0, [49.9, 50.0, 50.1, np.nan], [True, True, False, None]),
    ],
)
def test_rule_is_tri_state(op: str, threshold: float, values: list[float], expected: list[bool | None]) -> None:
    rule = Rule("m", op, threshold, "m")  # type: ignore[arg-type]
    got = rule.evaluate(pd.Series(values))
    assert [None if v is pd.NA else bool(v) for v in got] == expected


def test_sequence_needs_the_previous_stage_recently() -> None:
    cfg = StageConfig(memory_sessions=3, confirm_sessions=1)
    # Row 5: stage 3's rules pass, but stage 2 was last reached on row 2, outside rows 3..5: not reached.
    # Row 6: stage 4 passes and stage 3 was reached on row 4, inside rows 4..6: stage 4.
    history = classify(_frame([{1}, {1, 2}, {2, 3}, {3}, {3}, {3}, {4}]), cfg)
    assert history.active[3].tolist() == [False, False, True, True, True, True, False]
    assert history.reached[3].tolist() == [False, False, True, True, True, False, False]
    assert history.raw_stage.tolist() == [1, 2, 3, 3, 3, 0, 4]
    assert history.stage.tolist() == history.raw_stage.tolist()


def test_stage_memory_expires() -> None:
    history = classify(_frame([{1}, {2}, set(), set(), {2}]), StageConfig(memory_sessions=2, confirm_sessions=1))
    # Session 5: stage 1 last held 4 sessions earlier, beyond the 2-session memory.
    assert history.raw_stage.tolist() == [1, 2, 0, 0, 0]


def test_unknown_metric_blocks_a_stage() -> None:
    frame = _frame([{1}, {1}])
    frame.loc[frame.index[1], "net_liquidity_chg_13w"] = np.nan
    history = classify(frame, StageConfig(confirm_sessions=1))
    assert history.rules[1]["net_liquidity_chg_13w"].isna().tolist() == [False, True]
    assert history.stage.tolist() == [1, 0]


def test_confirmation_delays_switches() -> None:
    assert _confirm(np.array([0, 3, 3, 3, 0, 0, 3]), 3).tolist() == [0, 0, 0, 3, 3, 3, 3]
    assert _confirm(np.array([2, 2, 1, 2]), 2).tolist() == [2, 2, 2, 2]
    assert _confirm(np.array([1, 4]), 1).tolist() == [1, 4]


def test_a_rule_on_a_metric_the_board_lacks_is_a_clear_error() -> None:
    with pytest.raises(CatalogError, match=r"does not compute: \['spx_ret'\]"):
        classify(_frame([{1}]).drop(columns=["spx_ret"]))


def test_thresholds_come_from_config() -> None:
    cfg = StageConfig.from_mapping({"memory_sessions": 10, "thresholds": {"altseason": 75}})
    assert cfg.memory_sessions == 10
    assert next(r for r in cfg.rules[4] if r.metric == "altseason").threshold == 75.0
    with pytest.raises(CatalogError, match="unknown metrics"):
        StageConfig.from_mapping({"thresholds": {"nope": 1}})
    with pytest.raises(CatalogError, match="unknown key "):
        StageConfig.from_mapping({"memory": 1})


def test_follow_window_and_since_on_a_hand_built_board() -> None:
    frame = _frame([set(), {1}, {1, 2}, {2, 3}, {3}, {3}, {3}])
    board = Board(
        as_of=pd.Timestamp("2024-01-10", tz="UTC"),
        frame=frame,
        breakouts=[],
        altseason=pd.DataFrame(columns=["index", "universe_size"]),
        context={},
    )
    status = build_status(board, StageConfig(confirm_sessions=2))
    assert status.raw_stage == 3 and status.stage == 3
    assert status.confirmed_since == pd.Timestamp("2024-01-05")  # raw stage 3 from 01-04, confirmed on its 2nd session
    doc = status.to_dict()
    assert [s["active"] for s in doc["stages"]] == [False, False, True, False]
    assert doc["stages"][2]["rules_passing_since"] == "2024-01-04"
    assert doc["follow_window"] is None


# ------------------------------------------------------------------ real data
@pytest.fixture(scope="module")
def board_jan(real_store_path: Path, catalog: Catalog) -> Board:
    with Store(real_store_path, read_only=True) as store:
        return compute_board(AlignedPanel(store, catalog, "2026-01-09"))


def test_rut_first_close_above_2600(board_jan: Board) -> None:
    rounds = [e for e in board_jan.breakouts if e.kind == "round_level" and e.level == 2600.0]
    assert len(rounds) == 1
    assert rounds[0].date == pd.Timestamp("2026-01-08") and rounds[0].close == pytest.approx(2603.91)
    assert board_jan.frame.loc["2026-01-08", "sessions_since_breakout"] == 0


def test_net_liquidity_for_the_week_of_2023_09_06(real_store: Store, catalog: Catalog) -> None:
    board = compute_board(AlignedPanel(real_store, catalog, "2023-09-30"))
    # The Wednesday H.4.1 print is public Thursday 16:30, after that session's close: Friday is first.
    # WALCL 8,101.318 - the DTS Wednesday close 481.552 (not WTREGEN's week average 470.881) - RRP 1,606.244.
    assert board.frame.loc["2023-09-08", "net_liquidity"] == pytest.approx(6013.522, abs=0.01)
    assert board.frame.loc["2023-09-07", "net_liquidity"] != pytest.approx(6013.522, abs=1)


def test_status_of_2026_01_09(real_store: Store, catalog: Catalog) -> None:
    status = status_at(AlignedPanel(real_store, catalog, "2026-01-09"), calendar=load_events())
    doc = status.to_dict()
    assert doc["stage"] == 3 and doc["stage_name"] == "Small caps lead"
    assert doc["follow_window"] == {
        "breakout_date": "2026-01-08",
        "opens": "2026-02-07",
        "closes": "2026-04-08",
        "state": "pending",
    }
    assert {"as_of", "stage", "stages", "breakouts", "net_liquidity", "altseason", "context", "events"} <= set(doc)
    assert any(e["title"].startswith("Directive: ~$200B agency MBS") for e in doc["events"])
    assert doc["stale"] == []
    last_run = doc["timeline"][-1]
    assert (last_run["stage"], last_run["end"]) == (3, "2026-01-09") and last_run["start"] <= doc["confirmed_since"]
    rule = doc["stages"][2]["rules"][2]
    assert rule["metric"] == "sessions_since_breakout" and rule["value"] == 1 and rule["passed"] is True


def test_stale_series_are_named_and_their_rules_unknown(real_store: Store, catalog: Catalog, data_dir: Path) -> None:
    # The first session at which the crypto feeds (the newer of BTC's and ETH's last days) are more than
    # STALE_AFTER old at the session itself: BTC and ETH are stale and the crypto stage's rules unknown.
    # Which other series are stale then follows from the files (with the data of 2026-12: NDX and IWM,
    # whose feeds end weeks before RUT's, and the FRED dailies, but not RUT).
    crypto_last = max(last_date(data_dir, "crypto/BTC.csv"), last_date(data_dir, "crypto/ETH.csv"))
    day = first_session_from(crypto_last + STALE_AFTER["daily"] + pd.Timedelta(days=1))
    panel = AlignedPanel(real_store, catalog, day.date().isoformat())
    doc = status_at(panel).to_dict()
    assert doc["session"] == day.date().isoformat()
    expected = stale_in_files(data_dir, catalog, core_series(catalog), panel.as_of)
    assert {"BTC", "ETH"} <= set(expected) and doc["stale"] == expected
    assert [r["passed"] for r in doc["stages"][3]["rules"]] == [None, None, None]


def test_adding_later_data_never_changes_a_past_stage(real_store: Store, catalog: Catalog) -> None:
    early = compute_board(AlignedPanel(real_store, catalog, "2021-06-30"))
    late = compute_board(AlignedPanel(real_store, catalog, "2026-08-22"))
    overlap = early.frame.index
    pd.testing.assert_frame_equal(early.frame, late.frame.loc[overlap], check_freq=False, check_dtype=False)
    assert classify(early.frame).stage.equals(classify(late.frame).stage.loc[overlap])


def test_board_config_from_mapping() -> None:
    cfg = BoardConfig.from_mapping({"return_window": 21, "breakout": {"round_levels": [2600], "ath_min_gap": 100}})
    assert cfg.return_window == 21 and cfg.breakout.round_levels == (2600.0,) and cfg.breakout.ath_min_gap == 100
    with pytest.raises(CatalogError, match="unknown key "):
        BoardConfig.from_mapping({"nope": 1})


def test_status_before_any_crypto_history(real_store: Store, catalog: Catalog) -> None:
    doc = status_at(AlignedPanel(real_store, catalog, "2005-01-03")).to_dict()
    assert doc["altseason"]["index"] is None and {"BTC", "ETH"} <= set(doc["stale"])
    assert [r["passed"] for r in doc["stages"][3]["rules"]] == [None, None, None]
