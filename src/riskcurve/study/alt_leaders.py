"""Alternative leaders: does net-liquidity growth or stablecoin growth lead crypto better than the RUT breakout?

An event is the day a leader signal (e.g. the 13-week growth of net liquidity) first crosses above a
threshold, declustered by a cooldown; the outcome is the follower's simple return over h days from
that day. Each (signal, threshold, horizon) is a placebo test against random days with the same count
and spacing, and the whole family is Holm-adjusted (valid under any dependence): the number of
configurations tried is always reported. Nothing here feeds the stage rules.

Signals must be indexed by the UTC day from which they were *known* (the caller shifts by release
time), so an event never uses a value before its publication.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskcurve._json import records
from riskcurve.errors import ShortSampleWarning
from riskcurve.study.inference import holm, placebo_test

#: Fewest events a configuration needs before it is tested at all.
MIN_EVENTS = 3


def crossings(signal: pd.Series, threshold: float, cooldown_days: int) -> pd.DatetimeIndex:
    """Days the signal moves from at or below ``threshold`` to above it, at least ``cooldown_days`` apart."""
    s = signal.dropna()
    above = s.to_numpy() > threshold
    up = s.index[1:][above[1:] & ~above[:-1]]
    kept: list[pd.Timestamp] = []
    for day in up:
        if not kept or (day - kept[-1]).days >= cooldown_days:
            kept.append(day)
    return pd.DatetimeIndex(kept)


def forward_returns(close: pd.Series, horizon: int) -> pd.Series:
    """Simple return over ``horizon`` calendar days on the daily grid (NaN across a missing day's close)."""
    daily = close.asfreq("D")
    return (daily.shift(-horizon) / daily - 1).rename(f"ret_{horizon}d")


@dataclass(frozen=True)
class AltLeaderStudy:
    """One row per (signal, threshold, follower, horizon): N, mean return after events, placebo p, Holm p."""

    table: pd.DataFrame
    family_size: int
    alpha: float = 0.05

    def summary(self) -> str:
        lines = [f"Alternative leaders: {self.family_size} configurations tested, Holm-adjusted at {self.alpha:.0%}"]
        found = self.table[self.table["p_holm"] <= self.alpha] if len(self.table) else self.table
        if found.empty:
            lines.append("  no configuration survives the adjustment")
        for r in found.itertuples():
            lines.append(
                f"  {r.signal} > {r.threshold:g}: {r.follower} {r.horizon}d mean {r.mean_return:+.1%} "
                f"after {r.n_events} events (p {r.pvalue:.3f}, Holm {r.p_holm:.3f})"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return {"family_size": self.family_size, "alpha": self.alpha, "table": records(self.table)}

    def _repr_html_(self) -> str:
        return f"<p>{self.summary().splitlines()[0]}</p>" + self.table.to_html(index=False)


def alt_leader_study(
    signals: Mapping[str, pd.Series],
    thresholds: Mapping[str, Sequence[float]],
    followers: Mapping[str, pd.Series],
    horizons: Sequence[int] = (30, 60, 90),
    *,
    cooldown_days: int = 60,
    n_draws: int = 2000,
    seed: int = 7,
    alpha: float = 0.05,
) -> AltLeaderStudy:
    """Every (signal, threshold, follower, horizon) tested against placebo days, then Holm over the family.

    A configuration with fewer than :data:`MIN_EVENTS` events with an outcome is listed with N and no
    p-value, and still counts in the family (it was tried).
    """
    rows = []
    for name, signal in signals.items():
        for threshold in thresholds[name]:
            events = crossings(signal, threshold, cooldown_days)
            for follower, close in followers.items():
                for h in horizons:
                    rows.append(_test(name, threshold, events, follower, close, h, cooldown_days, n_draws, seed))
    table = pd.DataFrame(rows)
    if table.empty:
        return AltLeaderStudy(table, 0, alpha)
    tested = table["pvalue"].notna().to_numpy()
    adjusted = np.full(len(table), np.nan)
    pvalues = table["pvalue"].to_numpy(dtype=float)
    # untested configurations enter the family at p = 1: trying them is part of the search
    adjusted[:] = holm(np.where(tested, pvalues, 1.0))
    adjusted[~tested] = np.nan
    table["p_holm"] = adjusted
    return AltLeaderStudy(table, len(table), alpha)


def _test(
    signal: str,
    threshold: float,
    events: pd.DatetimeIndex,
    follower: str,
    close: pd.Series,
    horizon: int,
    cooldown_days: int,
    n_draws: int,
    seed: int,
) -> dict[str, Any]:
    outcomes = forward_returns(close.dropna(), horizon)
    position = outcomes.index.get_indexer(events)
    position = position[position >= 0]
    valid = position[np.isfinite(outcomes.to_numpy()[position])]
    row: dict[str, Any] = {
        "signal": signal,
        "threshold": threshold,
        "follower": follower,
        "horizon": horizon,
        "n_events": len(valid),
        "mean_return": float(outcomes.to_numpy()[valid].mean()) if len(valid) else np.nan,
        "pvalue": np.nan,
    }
    if len(valid) < MIN_EVENTS:
        return row
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSampleWarning)  # N is in the table beside the p-value
        test = placebo_test(valid, outcomes.to_numpy(), n_draws=n_draws, min_spacing=cooldown_days, seed=seed)
    row["pvalue"] = test.pvalue
    return row
