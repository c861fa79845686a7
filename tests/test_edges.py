"""Edges of the status: unknown is not no, every figure has a date, proxies are named, as-ofs are sane."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcurve.catalog import Catalog
from riskcurve.data.panel import AlignedPanel, nyse_sessions, parse_as_of
from riskcurve.data.store import Store
from riskcurve.errors import AsOfError, FutureAsOfError, RiskcurveError
from riskcurve.measures.board import Board, BoardConfig, compute_board
from riskcurve.stages import StageConfig, build_status, status_at
from riskcurve.study.inputs import Follower
from riskcurve.study.leadlag import paired_daily_returns
from tests.test_stages import METRICS, PASS, _frame


def _last_date(data_dir: Path, rel: str) -> pd.Timestamp:
    return pd.Timestamp(pd.read_csv(data_dir / rel, usecols=["date"])["date"].iloc[-1])


# ------------------------------------------------------------------ as-of parsing
@pytest.mark.parametrize("text", ["", "nan", "NaT", "-1", "0000-01-01", "0001-01-01", "1899-12-31", "latest"])
def test_unusable_as_of_is_refused(text: str) -> None:
    with pytest.raises(AsOfError, match="as-of") as info:
        parse_as_of(text)
    assert isinstance(info.value, ValueError) and isinstance(info.value, RiskcurveError)


@pytest.mark.parametrize("text", ["2262-04-11", (pd.Timestamp.now("UTC") + pd.Timedelta(days=2)).isoformat()])
def test_future_as_of_is_refused(text: str) -> None:
    with pytest.raises(FutureAsOfError, match="in the future"):
        parse_as_of(text)


def test_today_is_now_and_a_past_date_its_end() -> None:
    today = pd.Timestamp.now("UTC").strftime("%Y-%m-%d")
    assert parse_as_of(today) <= pd.Timestamp.now("UTC")
    assert parse_as_of("2024-01-05") == pd.Timestamp("2024-01-05 23:59:59.999999", tz="UTC")


# ------------------------------------------------------------------ no returns from carried prices
def test_a_return_across_a_carried_close_is_unknown_not_zero(
    real_store: Store, catalog: Catalog, data_dir: Path
) -> None:
    last = _last_date(data_dir, "equities/RUT.csv")
    sessions = nyse_sessions()
    after = sessions[sessions > last][:2]
    board = compute_board(AlignedPanel(real_store, catalog, after[-1].strftime("%Y-%m-%d")))
    row = board.frame.loc[after[0]]
    # The level is carried (a screen shows it), every return, spread and ratio on it is unknown.
    assert row["rut_close"] == board.frame.loc[last, "rut_close"]
    assert np.isnan(row["rut_ret"]) and np.isnan(row["rut_minus_spx"]) and np.isnan(row["rut_spx_ratio"])
    assert np.isfinite(board.frame.loc[last, "rut_ret"])
    assert board.dates.loc[after[0], "rut_ret"] == last and board.dates.loc[last, "rut_ret"] == last


def test_status_on_stale_inputs_is_stage_unknown(real_store: Store, catalog: Catalog, data_dir: Path) -> None:
    last = _last_date(data_dir, "equities/RUT.csv")
    as_of = min(last + pd.Timedelta(days=54), pd.Timestamp.now().normalize() - pd.Timedelta(days=1))
    status = status_at(AlignedPanel(real_store, catalog, as_of.strftime("%Y-%m-%d")))
    assert status.stage is None and status.raw_stage is None and status.name == "unknown"
    assert status.unknown_reason == f"newest Russell 2000 close {last:%Y-%m-%d}; `--as-of latest` shows that day"
    doc = status.to_dict()
    assert doc["stage"] is None and doc["unknown_reason"] == status.unknown_reason
    assert status.summary().splitlines()[1].startswith("stage unknown — newest Russell 2000 close")
    rule = status.stages[1].rules[1]
    assert rule.metric == "spx_ret" and rule.value is None and rule.passed is None and rule.reason


def test_status_on_the_last_session_dates_every_rule(real_store: Store, catalog: Catalog, data_dir: Path) -> None:
    last = _last_date(data_dir, "equities/RUT.csv")
    status = status_at(AlignedPanel(real_store, catalog, last.strftime("%Y-%m-%d")))
    assert status.stage is not None and status.session == last
    spx = status.stages[1].rules[1]
    assert spx.date == last and spx.value is not None and "63-session" in spx.label
    frame = status.to_frame()
    assert {"stage", "rule", "value", "date", "threshold", "passed", "source"} <= set(frame.columns)
    assert len(frame) == 12 and "<table" in status._repr_html_()


def test_a_board_that_stops_gives_nan_returns_not_zero() -> None:
    """Hand-built: the same question on a tiny store-free path (a close carried by the clock)."""
    index = pd.bdate_range("2024-01-01", periods=6)
    seen = pd.Series([*index[:4], index[3], index[3]], index=index)
    close = pd.Series([100.0, 101, 102, 103, 103, 103], index=index)
    real = close.where(seen.to_numpy() == index.to_numpy())
    ret = real / real.shift(2) - 1
    assert ret.iloc[3] == pytest.approx(103 / 101 - 1)
    assert ret.iloc[4:].isna().all()  # a carried close would have given 103/102-1 and then 0


# ------------------------------------------------------------------ proxies
def _proxy_board(switch_at: int) -> Board:
    frame = _frame([set(), {1}, {1, 2}, {2}, {2, 3}, {3}, {3}, {3}])
    sessions = frame.index
    frame.loc[sessions[:switch_at], "rut_minus_nasdaq"] = -0.05  # fails on NDX, passes once IXIC feeds it
    source = pd.Series(["NDX"] * switch_at + ["IXIC"] * (len(frame) - switch_at), index=sessions, dtype=object)
    dates = pd.DataFrame({m: sessions for ms in METRICS.values() for m in ms} | {"rut_close": sessions}, index=sessions)
    return Board(
        as_of=pd.Timestamp(sessions[-1], tz="UTC") + pd.Timedelta(hours=22),
        frame=frame,
        breakouts=[],
        altseason=pd.DataFrame(columns=["index", "universe_size"]),
        context={},
        dates=dates,
        sources=pd.DataFrame({"nasdaq_ret": source, "rut_minus_nasdaq": source}),
        names={"RUT": "Russell 2000"},
    )


def test_a_stage_start_on_a_proxy_switch_is_flagged() -> None:
    board = _proxy_board(switch_at=5)
    status = build_status(board, StageConfig(confirm_sessions=1))
    st3 = status.stages[2]
    assert status.stage == 3 and st3.rules_passing_since == board.frame.index[5]
    assert st3.rules[1].source == "IXIC"
    assert status.notes == [
        f"stage 3 starts {board.frame.index[5]:%Y-%m-%d}, the session the rut_minus_nasdaq input switched "
        "from NDX to IXIC"
    ]
    assert status.to_dict()["notes"] == status.notes


def test_no_flag_when_the_switch_is_not_behind_the_start() -> None:
    board = _proxy_board(switch_at=1)  # switched long before the stage's rules began to pass
    board.frame.loc[:, "rut_minus_nasdaq"] = PASS["rut_minus_nasdaq"]
    status = build_status(board, StageConfig(confirm_sessions=1))
    assert status.stage == 3 and status.notes == []


def test_nasdaq_source_is_named_per_session(real_store: Store, catalog: Catalog, data_dir: Path) -> None:
    ndx_last = _last_date(data_dir, "equities/NDX.csv")
    ixic_last = _last_date(data_dir, "equities/IXIC.csv")
    board = compute_board(AlignedPanel(real_store, catalog, ixic_last.strftime("%Y-%m-%d")))
    source = board.sources["nasdaq_ret"]
    assert source.loc[ndx_last] == "NDX"
    if ixic_last > ndx_last:
        after = board.frame.index[board.frame.index > ndx_last][0]
        assert source.loc[after] == "IXIC"
        # A whole window of the Composite, never an NDX level against an IXIC level.
        assert board.frame.loc[after, "nasdaq_ret"] == pytest.approx(board.frame.loc[after, "ixic_ret"])
        spread = board.frame.loc[after, "rut_ret"] - board.frame.loc[after, "ixic_ret"]
        assert board.frame.loc[after, "rut_minus_nasdaq"] == pytest.approx(spread)


# ------------------------------------------------------------------ altseason coverage
def test_old_ranking_makes_the_altseason_unknown_and_stage_4_not_pass(
    real_store: Store, catalog: Catalog, data_dir: Path
) -> None:
    snapshots = pd.read_csv(data_dir / "crypto/market/cmc_monthly_top200_snapshots.csv", usecols=["date"])
    last_snapshot = pd.Timestamp(snapshots["date"].max())
    eth_last = _last_date(data_dir, "crypto/ETH.csv")
    if eth_last - last_snapshot <= pd.Timedelta(days=46):
        pytest.skip("the ranking is not old at the end of the data")
    status = status_at(AlignedPanel(real_store, catalog, (eth_last + pd.Timedelta(days=1)).strftime("%Y-%m-%d")))
    alt = status.altseason
    assert alt.index is None and alt.ranking_date == last_snapshot and "days old" in (alt.reason or "")
    rule = status.stages[3].rules[2]
    assert rule.metric == "altseason" and rule.passed is None and rule.reason == alt.reason


def test_while_rankings_are_current_the_universe_is_wide_enough(real_store: Store, catalog: Catalog) -> None:
    board = compute_board(AlignedPanel(real_store, catalog, "2024-06-30"))
    alt = board.altseason.loc["2021-01-01":"2024-06-29"]
    assert alt["index"].notna().all() and (alt["universe_size"] >= BoardConfig().altseason_min_universe).all()
    ages = (pd.DatetimeIndex(alt.index) - pd.DatetimeIndex(alt["ranking_date"])).days
    assert ages.max() <= 31


def test_thin_universe_reads_unknown(real_store: Store, catalog: Catalog) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        board = compute_board(AlignedPanel(real_store, catalog, "2019-06-30"), BoardConfig(start="2019-01-01"))
    day = board.altseason.loc["2019-06-01"]
    assert day["universe_size"] < 20 and np.isnan(day["index"]) and "only" in day["reason"]


# ------------------------------------------------------------------ stable names, config
def test_a_42_session_return_window_classifies(real_store: Store, catalog: Catalog) -> None:
    cfg = BoardConfig.from_mapping({"return_window": 42})
    status = status_at(AlignedPanel(real_store, catalog, "2026-01-09"), board_config=cfg)
    assert status.stage is not None
    assert status.stages[1].rules[1].label == "S&P 500 42-session return"


def test_old_threshold_names_are_aliases_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="'spx_ret_63' is now 'spx_ret'"):
        cfg = StageConfig.from_mapping({"thresholds": {"spx_ret_63": 0.05}})
    assert next(r for r in cfg.rules[2] if r.metric == "spx_ret").threshold == 0.05


def test_roles_come_from_the_catalog(catalog: Catalog) -> None:
    assert catalog.one("leader") == "RUT" and catalog.one("tech_proxy") == "IXIC"
    assert catalog.by_role("liquidity_component") == ["WALCL", "WTREGEN", "RRPONTSYD"]
    assert catalog.by_role("follower") == ["BTC", "ETH"]


# ------------------------------------------------------------------ lead-lag over real observations only
def test_lead_lag_pairs_no_carried_follower_close() -> None:
    sessions = pd.DatetimeIndex(nyse_sessions()[(nyse_sessions() >= "2024-03-04")][:10])
    equity = pd.Series(np.linspace(100, 110, len(sessions)), index=sessions)
    equity_time = (sessions + pd.Timedelta(hours=16)).tz_localize("America/New_York").tz_convert("UTC")
    days = pd.date_range("2024-03-01", sessions[5], freq="D")  # the coin's feed ends mid-sample
    coin = pd.Series(np.linspace(50, 60, len(days)), index=days)
    follower = Follower("ETH", coin, (days + pd.Timedelta(days=1)).tz_localize("UTC"), 365)
    pairs = paired_daily_returns(equity, equity_time, follower)
    # After the feed ends the follower's return is unknown, not 0 from a repeated close.
    after = pairs.index > sessions[6]
    assert pairs.loc[after, "follower"].isna().all()
    assert (pairs["follower"].dropna() != 0).all()
