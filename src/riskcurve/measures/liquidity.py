"""Fed liquidity measures: net liquidity, its changes and z-score, balance-sheet purchase pace, TGA.

Step (1) of the thesis is "liquidity/credit eases". The usual proxy is *net liquidity*: the Fed's
balance sheet minus the two big drains that park reserves outside the banking system, the Treasury
General Account (TGA) and the overnight reverse repo facility (RRP).

Inputs are levels in USD billions (the panel converts FRED's millions) indexed by the dates at
which the caller considers them known. All functions are causal: the value at date t uses only
observations dated on or before t.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from riskcurve.errors import DataValidationError
from riskcurve.measures._common import (
    as_float,
    clean_series,
    lagged_asof,
    warm,
    warn_short,
)

if TYPE_CHECKING:
    from riskcurve.data.panel import AlignedPanel

#: Weeks per month, to turn a 4-week change into a monthly pace (52 weeks / 12 months).
WEEKS_PER_MONTH = 52 / 12


#: The TGA series net liquidity reads, best first, and the convention each figure then uses. The
#: H.4.1 WALCL is a Wednesday level, so the TGA should be one too: the DTS Wednesday close (published
#: Thursday 16:00 New York) or FRED's WDTGAL (the same number, Thursday 16:30); WTREGEN, the
#: Thursday-to-Wednesday week average, only stands in before the Wednesday levels begin (the DTS
#: closes in shared/data start 2022-04-18), so the history still reaches back to 2002.
TGA_CONVENTIONS = {
    "TGA_DTS": "Wednesday level (DTS Wednesday close)",
    "WDTGAL": "Wednesday level (H.4.1 WDTGAL)",
    "WTREGEN": "week average (H.4.1 WTREGEN; before the Wednesday levels begin)",
}


def wednesday_tga(closes: pd.DataFrame, wednesday_levels: pd.DataFrame, week_averages: pd.DataFrame) -> pd.DataFrame:
    """The TGA on Wednesdays for net liquidity: the Wednesday level where it exists, the week average before.

    Each input is indexed by observation date with columns ``value``, ``available_at`` and ``source``
    (empty frames are fine). A DTS close is the balance at the end of its day, so a Wednesday without a
    statement (a holiday) holds the last close before it, published when that close was; Wednesdays
    come from the closes' own span, never past their last row. The DTS close wins over WDTGAL on a
    Wednesday both have (it is published half an hour earlier); WTREGEN is used only before the first
    Wednesday level, never to fill a gap inside their history (that would switch convention mid-way).
    """
    levels = _closes_on_wednesdays(closes).combine_first(wednesday_levels)
    if len(levels):
        week_averages = week_averages[week_averages.index < levels.index[0]]
    parts = [frame for frame in (week_averages, levels) if len(frame)]
    return pd.concat(parts).sort_index() if parts else week_averages  # no TGA at all: empty, not an error


def _closes_on_wednesdays(closes: pd.DataFrame) -> pd.DataFrame:
    """Each Wednesday in the closes' span with the last close on or before it (within the week)."""
    if closes.empty:
        return closes
    wednesdays = pd.date_range(closes.index[0], closes.index[-1], freq="W-WED")
    pos = np.searchsorted(closes.index.to_numpy(), wednesdays.to_numpy(), side="right") - 1
    held = closes.iloc[pos].set_axis(wednesdays)
    return held[(wednesdays - closes.index[pos]) < pd.Timedelta(days=7)]


def published(panel: AlignedPanel, series_id: str) -> pd.DataFrame:
    """A series as known at the panel's as-of: ``value`` (standard units), ``available_at`` and ``source``."""
    if series_id not in panel.catalog:
        return pd.DataFrame(columns=["value", "available_at", "source"], index=pd.DatetimeIndex([]))
    values = panel.series(series_id)
    frame = pd.DataFrame({"value": values, "available_at": panel.availability(series_id), "source": series_id})
    return frame[values.notna()]


def panel_wednesday_tga(panel: AlignedPanel) -> pd.DataFrame:
    """:func:`wednesday_tga` from the panel's DTS closes, WDTGAL and WTREGEN (the one TGA of net liquidity)."""
    return wednesday_tga(published(panel, "TGA_DTS"), published(panel, "WDTGAL"), published(panel, "WTREGEN"))


def net_liquidity(walcl: pd.Series, tga: pd.Series, rrp: pd.Series) -> pd.Series:
    """Net liquidity = WALCL - TGA - RRPONTSYD in USD billions, on the components' shared clock.

    The TGA is :func:`wednesday_tga` (a Wednesday level like WALCL where one exists).

    **Inputs must already be aligned** on one clock: each component's level as *published* by each
    decision time, which is the panel's as-of join on availability (``AlignedPanel.on_clock``). A
    carry by observation date instead would show a Wednesday H.4.1 level on Wednesday, a day before
    it is published. Carrying a level is right for these *stocks* (the balance sheet on a Thursday
    is, as far as anyone knows, Wednesday's), but the panel decides how long: a component it reports
    as unknown (NaN: never published yet, or too old) makes the sum unknown on that row, so a lagging
    feed never freezes it.

    Example (FRED, 2023-09-06): 8,101.318 - 470.881 - 1,606.244 = 6,024.193 bn, about $6.02T.
    """
    named = ((walcl, "walcl"), (tga, "tga"), (rrp, "rrp"))
    parts = [as_float(part, f"net_liquidity: {name}") for part, name in named]
    if not (parts[0].index.equals(parts[1].index) and parts[0].index.equals(parts[2].index)):
        raise DataValidationError(
            "net_liquidity: components are not aligned (different dates); put them on one clock first (the panel)"
        )
    return (parts[0] - parts[1] - parts[2]).rename("net_liquidity")


def changes(series: pd.Series, weeks: Sequence[int] = (4, 13, 26)) -> pd.DataFrame:
    """Change of a level over each horizon in ``weeks``: columns ``chg_{w}w``, on the series' own dates.

    "w weeks ago" is the last observation on or before the date 7*w days back, so the same code
    works for Wednesday-only, business-day and daily-grid series. NaN until the series reaches back
    that far. Changes, not percent changes: for balance-sheet items the dollar amount is what
    moves reserves.
    """
    s = clean_series(series, "changes")
    out = pd.DataFrame(index=s.index)
    for w in weeks:
        out[f"chg_{w}w"] = s.to_numpy() - lagged_asof(s, pd.Timedelta(weeks=w))
    return out


def zscore(series: pd.Series, window: str | pd.Timedelta = "365D", *, min_periods: int = 20) -> pd.Series:
    """Rolling z-score over a trailing time window (default one year): (x - mean) / std.

    It says how unusual today's level (or change) is relative to the recent regime, which is more
    comparable across decades than the raw level of a balance sheet that grew tenfold.

    The value is NaN until the data spans a full ``window`` (a "1-year" z-score resting on a few
    weeks would be misleading), when fewer than ``min_periods`` observations fall in the window, and
    when the window is constant (std 0). Emits :class:`ShortSampleWarning` if the input never spans
    a full window.
    """
    s = clean_series(series, "zscore")
    span = pd.Timedelta(window)
    roll = s.rolling(span, min_periods=min_periods)
    std = roll.std(ddof=1)
    z = (s - roll.mean()) / std.where(std > 0)
    full = warm(pd.DatetimeIndex(s.index), span)
    z[~full] = np.nan
    if not full.any():
        warn_short(f"zscore over {window}", len(s), min_periods)
    return z.rename("zscore")


def purchase_pace(treast: pd.Series, mbs: pd.Series) -> pd.DataFrame:
    """Pace of Fed purchases (or run-off) of Treasuries and agency MBS, USD bn.

    Columns, for ``treasury``, ``mbs`` and their ``total``: ``{x}_chg_4w`` the 4-week change in
    holdings, and ``{x}_monthly`` the same pace expressed per month, ``chg_4w / 4 * 52 / 12``
    (the FOMC announces purchases as "$X bn per month"; a $40 bn/month programme shows up as a
    4-week change of about $36.9 bn). Negative values are quantitative tightening.
    Indexed by the union of both series' dates; ``total`` only where both are observed.
    """
    treasury = changes(treast, weeks=(4,))["chg_4w"]
    mortgage = changes(mbs, weeks=(4,))["chg_4w"]
    out = pd.concat({"treasury_chg_4w": treasury, "mbs_chg_4w": mortgage}, axis=1)
    out["total_chg_4w"] = out["treasury_chg_4w"] + out["mbs_chg_4w"]
    for part in ("treasury", "mbs", "total"):
        out[f"{part}_monthly"] = out[f"{part}_chg_4w"] / 4 * WEEKS_PER_MONTH
    return out


def tga_drawdown(tga: pd.Series, weeks: int = 13) -> pd.Series:
    """Change of the Treasury General Account over ``weeks`` weeks (default 13), USD bn.

    When the Treasury spends down its cash account the money lands in bank reserves, so a negative
    value (a drawdown) *adds* liquidity and a rebuild (e.g. after a debt-ceiling deal) drains it.
    """
    return changes(tga, weeks=(weeks,))[f"chg_{weeks}w"].rename(f"tga_chg_{weeks}w")
