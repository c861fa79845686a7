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


#: The incumbent leader every alternative is measured against: the Russell 2000 breakout, tested the
#: same way (same followers, horizons, cooldown and placebo) and counted in the same Holm family.
BENCHMARK = "rut_breakout"
FAMILY = "every (signal, threshold, follower, horizon) tried, the Russell 2000 breakout included"
ADJUSTMENT = "Holm step-down over the whole family (valid under any dependence); untried = p 1"


def crossings(signal: pd.Series, threshold: float, cooldown_days: int) -> pd.DatetimeIndex:
    """Days the signal moves from at or below ``threshold`` to above it, at least ``cooldown_days`` apart."""
    s = signal.dropna()
    above = s.to_numpy() > threshold
    return decluster(pd.DatetimeIndex(s.index[1:][above[1:] & ~above[:-1]]), cooldown_days)


def decluster(days: pd.DatetimeIndex, cooldown_days: int) -> pd.DatetimeIndex:
    """The first of each cluster: days at least ``cooldown_days`` after the last one kept."""
    kept: list[pd.Timestamp] = []
    for day in days.sort_values().unique():
        if not kept or (day - kept[-1]).days >= cooldown_days:
            kept.append(pd.Timestamp(day))
    return pd.DatetimeIndex(kept)


def forward_returns(close: pd.Series, horizon: int) -> pd.Series:
    """Simple return over ``horizon`` calendar days on the daily grid (NaN across a missing day's close)."""
    daily = close.asfreq("D")
    return (daily.shift(-horizon) / daily - 1).rename(f"ret_{horizon}d")


@dataclass(frozen=True)
class AltLeaderStudy:
    """One row per (signal, threshold, follower, horizon): N, mean return after events, placebo p, Holm p.

    The Russell 2000 breakout (``signal == BENCHMARK``, no threshold) is in the table and the family, so an
    alternative "leads better" only on the same footing: it survives Holm and its mean return after
    events beats the breakout's for the same follower and horizon.
    """

    table: pd.DataFrame
    family_size: int
    alpha: float = 0.05
    as_of: pd.Timestamp | None = None

    def better_than_benchmark(self) -> pd.DataFrame:
        """The alternative configurations that survive Holm and beat the breakout's mean return at the
        same follower and horizon (with the breakout's figures beside them)."""
        if self.table.empty:
            return self.table
        bench = self.table[self.table["signal"] == BENCHMARK][["follower", "horizon", "mean_return", "p_holm"]]
        alts = self.table[(self.table["signal"] != BENCHMARK) & (self.table["p_holm"] <= self.alpha)]
        both = alts.merge(bench, on=["follower", "horizon"], how="left", suffixes=("", "_breakout"))
        beats = both["mean_return_breakout"].isna() | (both["mean_return"] > both["mean_return_breakout"])
        return both[beats.to_numpy()].reset_index(drop=True)

    def verdict(self) -> str:
        """One sentence: does any alternative leader lead the followers better than the breakout?"""
        if self.table.empty:
            return "no data: no configuration could be tested"
        better = self.better_than_benchmark()
        if better.empty:
            return (
                "no alternative leader leads better than the Russell 2000 breakout "
                f"(none survives Holm at {self.alpha:.0%} with a higher mean return)"
            )
        picks = "; ".join(
            f"{r.signal} > {r.threshold:g} for {r.follower} over {r.horizon} days" for r in better.itertuples()
        )
        return f"better than the Russell 2000 breakout after Holm at {self.alpha:.0%}: {picks}"

    def summary(self) -> str:
        when = f" as of {self.as_of:%Y-%m-%d}" if self.as_of is not None else ""
        lines = [
            f"Alternative leaders{when}: {self.family_size} configurations tested, Holm-adjusted at {self.alpha:.0%}",
            f"  family: {FAMILY}",
            f"  adjustment: {ADJUSTMENT}",
        ]
        found = self.table[self.table["p_holm"] <= self.alpha] if len(self.table) else self.table
        if found.empty:
            lines.append("  no configuration survives the adjustment")
        for r in found.itertuples():
            rule = r.signal if r.signal == BENCHMARK else f"{r.signal} > {r.threshold:g}"
            lines.append(
                f"  {rule}: {r.follower} {r.horizon}d mean {r.mean_return:+.1%} "
                f"after {r.n_events} events (p {r.pvalue:.3f}, Holm {r.p_holm:.3f})"
            )
        lines.append(f"  verdict: {self.verdict()}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "family_size": self.family_size,
            "alpha": self.alpha,
            "family": FAMILY,
            "adjustment": ADJUSTMENT,
            "benchmark": BENCHMARK,
            "verdict": self.verdict(),
            "better_than_benchmark": records(self.better_than_benchmark()),
            "table": records(self.table),
        }

    def _repr_html_(self) -> str:
        return f"<p>{self.summary().splitlines()[0]}</p>" + self.table.to_html(index=False)


def alt_leader_study(
    signals: Mapping[str, pd.Series],
    thresholds: Mapping[str, Sequence[float]],
    followers: Mapping[str, pd.Series],
    horizons: Sequence[int] = (30, 60, 90),
    *,
    benchmark: pd.DatetimeIndex | None = None,
    cooldown_days: int = 60,
    n_draws: int = 2000,
    seed: int = 7,
    alpha: float = 0.05,
    as_of: pd.Timestamp | None = None,
) -> AltLeaderStudy:
    """Every (signal, threshold, follower, horizon) tested against placebo days, then Holm over the family.

    ``benchmark`` holds the Russell 2000 breakout days (UTC days they were known; declustered here with
    the same cooldown): tested alike and in the same family. A configuration with fewer than
    :data:`MIN_EVENTS` events with an outcome is listed with N and no p-value, and still counts in the
    family (it was tried).
    """
    events_by_rule = [
        (name, threshold, crossings(signal, threshold, cooldown_days))
        for name, signal in signals.items()
        for threshold in thresholds[name]
    ]
    if benchmark is not None:
        events_by_rule.append((BENCHMARK, np.nan, decluster(benchmark, cooldown_days)))
    rows = [
        _test(name, threshold, events, follower, close, h, cooldown_days, n_draws, seed)
        for name, threshold, events in events_by_rule
        for follower, close in followers.items()
        for h in horizons
    ]
    table = pd.DataFrame(rows)
    if table.empty:
        return AltLeaderStudy(table, 0, alpha, as_of)
    tested = table["pvalue"].notna().to_numpy()
    adjusted = np.full(len(table), np.nan)
    pvalues = table["pvalue"].to_numpy(dtype=float)
    # untested configurations enter the family at p = 1: trying them is part of the search
    adjusted[:] = holm(np.where(tested, pvalues, 1.0))
    adjusted[~tested] = np.nan
    table["p_holm"] = adjusted
    return AltLeaderStudy(table, len(table), alpha, as_of)


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
