"""The alternative leaders' signals from the panel, dated by the UTC day they were published.

Net liquidity on Wednesday levels (WALCL - TGA - RRP, with the board's TGA, ``panel_wednesday_tga``:
the week-average WTREGEN stands in before the DTS closes begin, 2022-04) and USDT supply. An
observation becomes a signal on the UTC day of its publication (``AlignedPanel.availability``): an
event that day enters at that day's crypto close, after the publication, so no signal is used before it existed.
"""

from __future__ import annotations

import pandas as pd

from riskcurve.data.panel import AlignedPanel
from riskcurve.measures._common import asof_values
from riskcurve.measures.liquidity import panel_wednesday_tga


def known_days(panel: AlignedPanel, series_id: str, values: pd.Series) -> pd.Series:
    """``values`` (on ``series_id``'s observation dates) re-indexed by the UTC day each was published."""
    known = panel.availability(series_id).reindex(values.index)
    days = pd.DatetimeIndex(known.to_numpy()).tz_convert("UTC").tz_localize(None).normalize()
    out = pd.Series(values.to_numpy(), index=days, name=values.name)
    return out[~out.index.duplicated(keep="last")].sort_index()


def _growth(values: pd.Series, span: pd.Timedelta) -> pd.Series:
    """Relative change over ``span``: the value over the last one on or before ``span`` earlier, minus 1."""
    dates = pd.DatetimeIndex(values.index)
    return (values / pd.Series(asof_values(values, dates - span), index=dates) - 1).dropna()


def _values(panel: AlignedPanel, *series_ids: str) -> tuple[str, pd.Series] | None:
    """The first of ``series_ids`` in the catalog with data, and its values."""
    for sid in series_ids:
        if sid in panel.catalog:
            values = panel.series(sid).dropna()
            if len(values):
                return sid, values
    return None


def alt_leader_signals(panel: AlignedPanel) -> dict[str, pd.Series]:
    """``net_liquidity_growth_13w`` and ``usdt_growth_30d`` by publication day (absent without data)."""
    out: dict[str, pd.Series] = {}
    fed, tga, rrp = _values(panel, "WALCL"), panel_wednesday_tga(panel)["value"], _values(panel, "RRPONTSYD")
    if fed is not None and len(tga) and rrp is not None:
        dates = pd.DatetimeIndex(fed[1].index)
        net = (fed[1] - asof_values(tga, dates) - asof_values(rrp[1], dates)).dropna()
        out["net_liquidity_growth_13w"] = known_days(panel, "WALCL", _growth(net, pd.Timedelta(weeks=13)))
    usdt = _values(panel, "USDT_SUPPLY")
    if usdt is not None:
        out["usdt_growth_30d"] = known_days(panel, usdt[0], _growth(usdt[1], pd.Timedelta(days=30)))
    return out
