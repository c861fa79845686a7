"""One as-of view of everything the report and the dashboard show, computed once and shared.

The indicator board is the expensive part (about a second on the full data); the report, every chart
and the status card all read the same board, so it is computed once per as-of moment here and the
status document is built from it exactly as ``riskcurve status`` builds it (same board, same stage
configuration, same freshness of the core series), so the numbers agree to the last digit.

``Snapshot.at`` moves a snapshot to another moment that sees the same data and the same last NYSE
session: only the moment itself and the ages of the series change, which is what lets the dashboard
cache one board for every request between two publications.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from riskcurve._json import jsonable
from riskcurve.catalog import Catalog
from riskcurve.config import Settings
from riskcurve.data.panel import STALE_AFTER, AlignedPanel, decision_times
from riskcurve.data.store import Store
from riskcurve.errors import RiskcurveWarning
from riskcurve.events import load_events
from riskcurve.measures.board import Board, BoardConfig, compute_board
from riskcurve.measures.breakout import BreakoutEvent
from riskcurve.stages import CORE_SERIES, StageConfig, build_status

LIQUIDITY_COMPONENTS = ("WALCL", "WTREGEN", "RRPONTSYD")


@dataclass(frozen=True)
class Snapshot:
    """The board, the status document and the chart inputs as of one moment (UTC)."""

    as_of: pd.Timestamp
    status: dict[str, Any]  # exactly what `riskcurve status --json` prints, notes included
    board: Board
    timeline: pd.DataFrame  # runs of the confirmed stage: start, end, stage, name, sessions
    components: pd.DataFrame  # WALCL, WTREGEN, RRPONTSYD in USD bn on the board's sessions
    freshness: pd.DataFrame  # every catalog series: name, frequency, last_date, published, age_days, stale
    round_levels: tuple[float, ...]
    seconds: float  # time taken to compute it

    def at(self, as_of: pd.Timestamp) -> Snapshot:
        """The same snapshot seen at ``as_of``, a moment with the same data and last session.

        Only ``as_of``, the ages and stale flags depend on the moment itself (see the module doc);
        the caller is responsible for the "same data, same session" condition.
        """
        moment = pd.Timestamp(as_of).tz_convert("UTC")
        if moment == self.as_of:
            return self
        freshness = _aged(self.freshness, moment)
        ages = dict(zip(freshness.index, freshness["age_days"].to_numpy(), strict=True))
        stale = dict(zip(freshness.index, freshness["stale"].to_numpy(dtype=bool), strict=True))
        status = dict(self.status)
        status["as_of"] = moment.isoformat()
        status["freshness"] = [
            {**row, "age_days": _float_or_none(ages[row["series"]]), "stale": bool(stale[row["series"]])}
            for row in self.status["freshness"]
        ]
        status["stale"] = [row["series"] for row in status["freshness"] if row["stale"]]
        return replace(self, as_of=moment, status=status, freshness=freshness)


def _float_or_none(value: Any) -> float | None:
    number = float(value)
    return None if np.isnan(number) else number


def _aged(freshness: pd.DataFrame, moment: pd.Timestamp) -> pd.DataFrame:
    """Ages and stale flags at ``moment``, with AlignedPanel.staleness's rule (age > STALE_AFTER)."""
    last = pd.DatetimeIndex(freshness["last_date"]).as_unit("ns")
    age_ns = moment.tz_localize(None).as_unit("ns").value - last.asi8
    limit_ns = np.array([STALE_AFTER[str(f)].value for f in freshness["frequency"]])
    known = ~last.isna()
    out = freshness.copy()
    out["age_days"] = np.where(known, age_ns / pd.Timedelta(days=1).value, np.nan)
    out["stale"] = ~known | (age_ns > limit_ns)  # a series with no observation is stale
    return out


def breakout_record(event: BreakoutEvent) -> dict[str, Any]:
    """A breakout as JSON-friendly data (the shape `status --json` uses for its breakouts)."""
    return {
        "series": event.series,
        "date": event.date.date().isoformat(),
        "kind": event.kind,
        "level": float(event.level),
        "close": float(event.close),
        "confirmations": {k: jsonable(v) for k, v in event.confirmations.items()},
    }


def take_snapshot(
    store: Store,
    catalog: Catalog,
    settings: Settings,
    as_of: pd.Timestamp | datetime | str | None,
) -> Snapshot:
    """Board, status (as ``riskcurve status`` computes it), stage timeline and chart inputs at ``as_of``."""
    started = time.perf_counter()
    board_config = BoardConfig.from_mapping(settings.section("board"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RiskcurveWarning)
        panel = AlignedPanel(store, catalog, as_of)
        board = compute_board(panel, board_config)
        status = build_status(
            board,
            StageConfig.from_mapping(settings.section("stages")),
            calendar=load_events(settings.event_paths),
            freshness=panel.staleness([s for s in CORE_SERIES if s in catalog]),
        )
    doc = status.to_dict()
    doc["notes"] = sorted({str(w.message) for w in caught if issubclass(w.category, RiskcurveWarning)})

    sessions = pd.DatetimeIndex(board.frame.index)
    ids = [sid for sid in LIQUIDITY_COMPONENTS if sid in catalog]
    components = panel.on_clock(ids, decision_times("nyse", sessions)) if ids else pd.DataFrame()
    components.index = sessions

    freshness = panel.staleness(list(catalog))
    freshness.insert(0, "name", [catalog[sid].name for sid in freshness.index])
    freshness.insert(1, "frequency", [catalog[sid].frequency for sid in freshness.index])
    return Snapshot(
        as_of=panel.as_of,
        status=doc,
        board=board,
        timeline=status.timeline,
        components=components,
        freshness=freshness,
        round_levels=tuple(board_config.breakout.round_levels),
        seconds=time.perf_counter() - started,
    )
