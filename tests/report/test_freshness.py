"""Freshness: an ended feed (delisted, discontinued) is told apart from a stale one, by the service."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import riskcurve
from riskcurve.catalog import Catalog
from riskcurve.report.charts import freshness_table
from riskcurve.service import _ended
from riskcurve.snapshot import aged, with_states


def _frame(rows: dict[str, tuple[str, str | None, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "frequency": [r[0] for r in rows.values()],
            "last_date": pd.to_datetime([r[1] for r in rows.values()]),
            "stale": [r[2] for r in rows.values()],
        },
        index=pd.Index(list(rows), name="series"),
    )


def test_a_feed_ended_when_its_calendar_went_on_without_it(catalog: Catalog) -> None:
    # RUT and SPX trade on NYSE sessions, BTC, ETH and DAI on UTC days; M2SL is monthly on the NYSE clock.
    frame = _frame(
        {
            "RUT": ("daily", "2026-10-09", False),
            "SPX": ("daily", "2026-10-05", False),  # 4 days behind: within the 5-day limit
            "M2SL": ("monthly", "2026-07-01", True),  # 100 days behind the NYSE feeds: over 95
            "BTC": ("daily", "2026-10-07", True),
            "ETH": ("daily", "2026-10-07", True),  # its calendar is behind as a whole: stale, not ended
            "DAI": ("daily", "2020-10-27", True),
            "ADA": ("daily", None, True),
        }
    )
    frame["ended"] = _ended(frame, catalog)
    states = with_states(frame)["state"].to_dict()
    assert states == {
        "RUT": "fresh",
        "SPX": "fresh",
        "M2SL": "ended",
        "BTC": "stale",
        "ETH": "stale",
        "DAI": "ended",
        "ADA": "missing",
    }


def test_real_data_latest_and_now(real_store_path: Path, data_dir: Path) -> None:
    rc = riskcurve.open(real_store_path)
    latest = rc.snapshot("latest").freshness
    dai_last = pd.read_csv(next(data_dir.rglob("DAI.csv"))).iloc[:, 0].max()
    assert latest.loc["DAI", "last_date"] == pd.Timestamp(dai_last)
    assert latest.loc["DAI", "state"] == "ended" and latest.loc["RUT", "state"] == "fresh"
    assert set(latest["state"]) <= {"fresh", "stale", "ended", "missing"}
    # An ended feed is still unusable: every one of them is stale too.
    assert latest.loc[latest["state"] == "ended", "stale"].all()
    # Months later nothing new has arrived: the Russell 2000 is stale (the folder is behind), not ended.
    later = aged(latest, pd.Timestamp(latest.loc["RUT", "last_date"], tz="UTC") + pd.Timedelta(days=60))
    assert later.loc["RUT", "state"] == "stale" and later.loc["DAI", "state"] == "ended"

    figure = freshness_table(latest)
    counts = latest["state"].value_counts()
    title = figure.layout.title.text
    assert f"({len(latest)}: " in title
    for state, n in counts.items():
        assert f"{n} {state}" in title
    cells = figure.data[0].cells
    assert list(cells.values[-1]).count("stale") == counts.get("stale", 0)
    assert sum(color == "#fde0dd" for color in cells.fill.color[0]) == counts.get("stale", 0)
