"""One net liquidity: WALCL - the Wednesday-level TGA - RRP, point in time, on hand-built and real data.

The TGA is the DTS Wednesday close (or WDTGAL) where one exists, WTREGEN's week average only before;
the board, the channel decomposition, the alternative leaders and the report all read that one series.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from riskcurve.catalog import Catalog
from riskcurve.channels import compute_channels
from riskcurve.data.panel import AlignedPanel
from riskcurve.data.store import Store
from riskcurve.measures.board import compute_board
from riskcurve.measures.liquidity import TGA_CONVENTIONS, panel_wednesday_tga, wednesday_tga
from riskcurve.stages import build_status
from tests.conftest import read_data

UTC = "UTC"


def obs(values: dict[str, float], source: str, published_days: int = 1) -> pd.DataFrame:
    dates = pd.DatetimeIndex(list(values))
    return pd.DataFrame(
        {
            "value": list(values.values()),
            "available_at": (dates + pd.Timedelta(days=published_days)).tz_localize(UTC),
            "source": source,
        },
        index=dates,
    )


# ------------------------------------------------------------------ hand-built known answers


def test_wednesday_level_wins_and_the_week_average_only_stands_in_before_it() -> None:
    # Daily closes Mon 2024-06-10 .. Fri 2024-06-21; Wednesday 2024-06-19 is a holiday (no statement).
    closes = obs(
        {"2024-06-10": 1, "2024-06-11": 2, "2024-06-12": 3, "2024-06-13": 4, "2024-06-14": 5,
         "2024-06-17": 6, "2024-06-18": 7, "2024-06-20": 9, "2024-06-21": 10},
        "TGA_DTS",
    )  # fmt: skip
    levels = obs({"2024-05-29": 50, "2024-06-05": 60, "2024-06-12": 99}, "WDTGAL")
    averages = obs({"2024-05-22": 400, "2024-05-29": 500, "2024-06-05": 600, "2024-06-12": 700}, "WTREGEN")
    tga = wednesday_tga(closes, levels, averages)
    assert tga["value"].to_dict() == {
        pd.Timestamp("2024-05-22"): 400,  # before any Wednesday level: the week average
        pd.Timestamp("2024-05-29"): 50,  # WDTGAL
        pd.Timestamp("2024-06-05"): 60,
        pd.Timestamp("2024-06-12"): 3,  # the DTS close beats WDTGAL on the same Wednesday
        pd.Timestamp("2024-06-19"): 7,  # holiday: the balance is Tuesday's close ...
    }
    assert tga["source"].tolist() == ["WTREGEN", "WDTGAL", "WDTGAL", "TGA_DTS", "TGA_DTS"]
    # ... known when Tuesday's close was published, never earlier
    assert tga.loc["2024-06-19", "available_at"] == pd.Timestamp("2024-06-19", tz=UTC)


def test_a_gap_in_the_wednesday_levels_is_not_filled_with_the_week_average() -> None:
    closes = obs({"2024-01-03": 10, "2024-01-24": 20}, "TGA_DTS")  # three weeks without a statement
    averages = obs({"2023-12-27": 1, "2024-01-10": 2, "2024-01-17": 3}, "WTREGEN")
    tga = wednesday_tga(closes, obs({}, "WDTGAL"), averages)
    assert tga["value"].to_dict() == {
        pd.Timestamp("2023-12-27"): 1,
        pd.Timestamp("2024-01-03"): 10,
        pd.Timestamp("2024-01-24"): 20,
    }


def test_without_any_wednesday_level_the_week_average_is_the_tga() -> None:
    averages = obs({"2023-12-27": 1, "2024-01-03": 2}, "WTREGEN")
    tga = wednesday_tga(obs({}, "TGA_DTS"), obs({}, "WDTGAL"), averages)
    assert tga["value"].tolist() == [1, 2] and set(tga["source"]) == {"WTREGEN"}


def test_without_any_tga_series_the_tga_is_empty_not_an_error() -> None:
    # A store holding none of the three (a subset universe) gives an unknown net liquidity, no traceback.
    tga = wednesday_tga(obs({}, "TGA_DTS"), obs({}, "WDTGAL"), obs({}, "WTREGEN"))
    assert tga.empty and list(tga.columns) == ["value", "available_at", "source"]


# ------------------------------------------------------------------ the real data


def _csv(data_dir: Path, rel: str) -> pd.Series:
    raw = read_data(data_dir / rel)
    return pd.Series(raw.iloc[:, 1].to_numpy(), index=pd.DatetimeIndex(raw["date"]))


@pytest.fixture(scope="module")
def board_2026(real_store_path: Path, catalog: Catalog):  # type: ignore[no-untyped-def]
    with Store(real_store_path, read_only=True) as store:
        panel = AlignedPanel(store, catalog, "2026-02-28")
        return compute_board(panel), panel_wednesday_tga(panel)


def test_on_a_wednesday_the_tga_is_that_days_dts_close(board_2026, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    _, tga = board_2026
    closes = _csv(data_dir, "fiscal/DTS_TGA_CLOSE.csv") / 1000  # USD mn -> bn
    wednesdays = closes.index[(closes.index.day_of_week == 2) & (closes.index <= "2026-02-18")]
    assert len(wednesdays) > 150
    assert tga["value"].reindex(wednesdays).to_numpy() == pytest.approx(closes[wednesdays].to_numpy())
    assert set(tga.loc[wednesdays, "source"]) == {"TGA_DTS"}
    averages = _csv(data_dir, "fred/WTREGEN.csv") / 1000
    before = tga[tga.index < closes.index[0]]
    assert set(before["source"]) == {"WTREGEN"} and before.index[0] == averages.index[0]
    assert before["value"].to_numpy() == pytest.approx(averages[before.index].to_numpy())


def test_net_liquidity_is_walcl_minus_the_wednesday_tga_minus_rrp(board_2026, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    board, _ = board_2026
    walcl, rrp = _csv(data_dir, "fred/WALCL.csv"), _csv(data_dir, "fred/RRPONTSYD.csv")
    closes = _csv(data_dir, "fiscal/DTS_TGA_CLOSE.csv")
    # Friday 2026-01-16's close knows the H.4.1 of Wednesday 01-14 (Thursday 16:30), that Wednesday's DTS
    # close (Thursday 16:00) and RRP of that Wednesday (next business day 16:30; Thursday's comes Friday
    # 16:30, after the close): three levels of the same Wednesday.
    wed, fri = pd.Timestamp("2026-01-14"), pd.Timestamp("2026-01-16")
    expected = walcl[wed] / 1000 - closes[wed] / 1000 - rrp[wed]
    assert board.frame.loc[fri, "net_liquidity"] == pytest.approx(expected)
    assert board.sources.loc[fri, "net_liquidity_chg_13w"] == "TGA_DTS"
    assert board.dates.loc[fri, "net_liquidity_tga"] == wed


def test_the_wednesday_close_is_unknown_until_thursday_16_new_york(board_2026, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    board, _ = board_2026
    closes = _csv(data_dir, "fiscal/DTS_TGA_CLOSE.csv") / 1000
    tga = board.frame["net_liquidity_tga"]
    # Wednesday's own 16:00 close still shows last Wednesday's; Thursday's 16:00 close shows this one.
    assert tga[pd.Timestamp("2026-01-14")] == pytest.approx(closes[pd.Timestamp("2026-01-07")])
    assert tga[pd.Timestamp("2026-01-15")] == pytest.approx(closes[pd.Timestamp("2026-01-14")])


def test_status_and_decomposition_say_which_tga_convention_they_use(
    real_store: Store, catalog: Catalog, board_2026
) -> None:  # type: ignore[no-untyped-def]
    board, _ = board_2026
    assert build_status(board).to_dict()["net_liquidity"]["tga_convention"] == TGA_CONVENTIONS["TGA_DTS"]
    early = AlignedPanel(real_store, catalog, "2020-03-31")
    old = compute_board(early)
    assert set(old.sources["net_liquidity"].dropna()) == {"WTREGEN"}
    assert "week average" in build_status(old).to_dict()["net_liquidity"]["tga_convention"]
    assert "week average" in compute_channels(early)["net_liquidity_net_13w"].convention
    # A 13-week window that straddles the first DTS Wednesday (2022-04-20) names both conventions.
    straddle = compute_channels(AlignedPanel(real_store, catalog, "2022-06-30"))["net_liquidity_net_13w"]
    assert straddle.value is not None
    assert "week average" in straddle.convention and "then Wednesday level" in straddle.convention
