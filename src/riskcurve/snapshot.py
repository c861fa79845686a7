"""One as-of view of everything the report and the dashboard show, computed once and shared.

The indicator board is the expensive part (about a second on the full data); the report, every chart
and the status card all read the same board, so it is computed once per as-of moment here, with the
same status the service gives ``riskcurve status``, so the numbers agree to the last digit.

``Snapshot.at`` moves a snapshot to another moment that sees the same data, the same last NYSE
session, the same claims due and the same UTC day (``Riskcurve.data_key``): only the moment itself and
the ages of the series change, which is what lets the dashboard cache one board for every request
between two publications. (A claim falling due needs the store to be judged, and the channels count
a feed's silence in the moment's days: a moment across either is another snapshot. Whether the stage
is known depends on the leader's close on the last session, which is part of that condition, not on
the moment.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from riskcurve._json import records
from riskcurve.measures.board import Board
from riskcurve.stages import Status
from riskcurve.thesis import STALE_AFTER


@dataclass(frozen=True)
class Snapshot:
    """The board, the status and the chart inputs as of one moment (UTC)."""

    as_of: pd.Timestamp
    status: Status
    board: Board
    timeline: pd.DataFrame  # runs of the confirmed stage: start, end, stage, name, sessions
    components: pd.DataFrame  # net-liquidity components in USD bn on the board's sessions
    # every catalog series: name, frequency, last_date, published, age_days, stale, ended, state
    freshness: pd.DataFrame
    round_levels: tuple[float, ...]
    seconds: float  # time taken to compute it

    def summary(self) -> str:
        inputs = f"{len(self.board.frame):,} sessions, {len(self.freshness)} series"
        return f"{self.status.summary()}\n  chart inputs: {inputs}"

    __str__ = summary

    def to_frame(self) -> pd.DataFrame:
        """Freshness of every catalog series at this moment (the status itself: ``status.to_frame()``)."""
        return self.freshness

    def to_dict(self) -> dict[str, Any]:
        return {**self.status.to_dict(), "freshness_all": records(self.freshness.reset_index())}

    def _repr_html_(self) -> str:
        return self.status._repr_html_()

    def at(self, as_of: pd.Timestamp) -> Snapshot:
        """The same snapshot seen at ``as_of``, a moment with the same data and last session."""
        moment = pd.Timestamp(as_of).tz_convert("UTC")
        if moment == self.as_of:
            return self
        freshness = aged(self.freshness, moment)
        core = self.status.freshness
        status = replace(self.status, as_of=moment, freshness=freshness.loc[core.index, list(core.columns)])
        return replace(self, as_of=moment, status=status, freshness=freshness)


def aged(freshness: pd.DataFrame, moment: pd.Timestamp) -> pd.DataFrame:
    """Ages and stale flags at ``moment``, with AlignedPanel.staleness's rule (age > STALE_AFTER)."""
    last = pd.DatetimeIndex(freshness["last_date"]).as_unit("ns")
    age_ns = moment.tz_localize(None).normalize().as_unit("ns").value - last.asi8  # whole days, as panel.staleness
    limit_ns = np.array([STALE_AFTER[str(f)].value for f in freshness["frequency"]], dtype="int64")
    known = ~last.isna()
    out = freshness.copy()
    out["age_days"] = np.where(known, age_ns / pd.Timedelta(days=1).value, np.nan)
    out["stale"] = ~known | (age_ns > limit_ns)  # a series with no observation is stale
    return with_states(out) if "ended" in out.columns else out


def with_states(freshness: pd.DataFrame) -> pd.DataFrame:
    """``freshness`` with its ``state`` (a FeedState) from ``stale`` and ``ended``: an ended feed is
    stale too (its values are not usable), but waiting for it is pointless, so it is named apart."""
    known = freshness["last_date"].notna().to_numpy()
    stale = freshness["stale"].to_numpy(dtype=bool)
    ended = freshness["ended"].to_numpy(dtype=bool)
    state = np.select([~known, ~stale, ended], ["missing", "fresh", "ended"], default="stale")
    return freshness.assign(state=state.astype(object))
