"""The liquidity channels the thesis names beside net liquidity, each as a pure function of known data.

The thesis says liquidity comes "from multiple directions": the Fed's bill purchases, bank reserves, a
Treasury General Account drawdown, the GSEs' MBS purchases (seen in the mortgage rate's spread over
the 10-year yield), stablecoin supply and spot-ETF flows. Each function takes a series as known at
one moment (the caller's point-in-time view) and returns the figure at its last observation, or
``None`` when the history does not reach far enough; the caller says why a figure is unknown.

Flows (bill purchases, ETF flows) are sums over a window of the rows the feed has; a feed that has not
reported within the window is unknown, not zero: "no purchases" and "no new file" look alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Average days per month, to express a pace over any window "per month" (365.25 / 12).
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Figure:
    """A computed figure and the observation date it is true for (the oldest input it used)."""

    value: float
    date: pd.Timestamp


def last_on_or_before(series: pd.Series, when: pd.Timestamp) -> Figure | None:
    """The series' last observation dated on or before ``when`` (None: none yet)."""
    known = series.dropna().loc[:when]
    if known.empty:
        return None
    return Figure(float(known.iloc[-1]), pd.Timestamp(known.index[-1]))


def level(series: pd.Series) -> Figure | None:
    """The newest observation."""
    return last_on_or_before(series, pd.Timestamp.max)


def change_over(series: pd.Series, days: int) -> Figure | None:
    """Newest level minus the level ``days`` calendar days before it (the last observation on or
    before that day); None when the history is shorter."""
    now = level(series)
    if now is None:
        return None
    then = last_on_or_before(series, now.date - pd.Timedelta(days=days))
    if then is None or then.date < now.date - pd.Timedelta(days=days + 7):  # a gap wider than a week
        return None
    return Figure(now.value - then.value, now.date)


def change_since(series: pd.Series, anchor: pd.Timestamp) -> Figure | None:
    """Newest level minus the level on ``anchor`` (the last observation on or before it)."""
    now, then = level(series), last_on_or_before(series, anchor)
    if now is None or then is None or now.date <= anchor:
        return None
    return Figure(now.value - then.value, now.date)


def growth_over(series: pd.Series, days: int) -> Figure | None:
    """Simple growth over ``days`` calendar days, as a fraction (0.05 = +5%)."""
    now = level(series)
    change = change_over(series, days)
    if now is None or change is None or now.value - change.value <= 0:
        return None
    return Figure(change.value / (now.value - change.value), now.date)


def monthly_pace(flows: pd.Series, days: int, until: pd.Timestamp) -> Figure | None:
    """Flows dated in (until - days, until], summed and expressed per month (USD per 30.44 days).

    Unknown when the feed's newest row is older than the window: silence is not a zero.
    """
    known = flows.dropna().loc[:until]
    if known.empty or known.index[-1] <= until - pd.Timedelta(days=days):
        return None
    window = known.loc[until - pd.Timedelta(days=days) + pd.Timedelta(days=1) :]
    return Figure(float(window.sum()) * DAYS_PER_MONTH / days, pd.Timestamp(known.index[-1]))


def pace_since(flows: pd.Series, start: pd.Timestamp, until: pd.Timestamp) -> Figure | None:
    """Average monthly pace of flows dated from ``start`` to the feed's last row on or before ``until``."""
    known = flows.dropna().loc[:until]
    if known.empty or known.index[-1] <= start:
        return None
    end = known.index[-1]  # the feed's last row: what came after it is not known, not zero
    total = float(known.loc[start:].sum())
    return Figure(total * DAYS_PER_MONTH / ((end - start).days + 1), pd.Timestamp(end))


def sum_of_last(flows: pd.Series, rows: int) -> Figure | None:
    """Sum of the last ``rows`` observations (sessions, for a daily ETF-flow feed)."""
    known = flows.dropna()
    if len(known) < rows:
        return None
    return Figure(float(known.iloc[-rows:].sum()), pd.Timestamp(known.index[-1]))


def spread_on_same_date(rate: pd.Series, benchmark: pd.Series) -> pd.Series:
    """``rate - benchmark`` on the dates both observe (a weekly rate against a daily yield: the
    yield of the rate's own date, never a carried one)."""
    both = pd.concat({"rate": rate, "benchmark": benchmark}, axis=1, join="inner").dropna()
    return (both["rate"] - both["benchmark"]).rename("spread")


def percentile_of_last(series: pd.Series, min_history: int = 250) -> Figure | None:
    """Where the newest value ranks in the series' own history (0..1), with at least ``min_history``
    observations behind it."""
    known = series.dropna()
    if len(known) < min_history:
        return None
    last = known.iloc[-1]
    return Figure(float(np.mean(known.to_numpy() <= last)), pd.Timestamp(known.index[-1]))


def net_liquidity_decomposition(
    fed_assets: pd.Series, tga: pd.Series, rrp: pd.Series, weeks: int
) -> dict[str, Figure] | None:
    """The change of net liquidity over ``weeks`` weeks split into its parts, on the Fed's Wednesdays.

    Net liquidity = Fed assets - TGA - reverse repo, so its change is exactly
    Δassets - ΔTGA - ΔRRP: the parts returned (``fed_assets``, ``tga`` and ``rrp``, each signed as its
    contribution) add up to ``net`` to the cent. The TGA and RRP are read on each Wednesday of the Fed's
    series (their own observation of that date; a Wednesday either lacks is skipped).
    """
    frame = pd.concat({"fed_assets": fed_assets, "tga": tga, "rrp": rrp}, axis=1, join="inner").dropna()
    if len(frame) < 2:
        return None
    end = frame.index[-1]
    earlier = frame.loc[: end - pd.Timedelta(weeks=weeks)]
    if earlier.empty or earlier.index[-1] < end - pd.Timedelta(weeks=weeks, days=7):
        return None
    delta = frame.iloc[-1] - earlier.iloc[-1]
    parts = {"fed_assets": delta["fed_assets"], "tga": -delta["tga"], "rrp": -delta["rrp"]}
    out = {name: Figure(float(value), pd.Timestamp(end)) for name, value in parts.items()}
    out["net"] = Figure(float(sum(parts.values())), pd.Timestamp(end))
    return out
