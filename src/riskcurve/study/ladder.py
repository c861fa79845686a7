"""The order of the ladder: in each cycle, when did each rung turn, and is the order the thesis's?

The thesis orders the risk curve: credit spreads narrow, then large caps rally, then small caps, then
crypto. The stage monitor cannot test that order (it *requires* it: stage k counts only after stage k-1),
so here every rung is dated by its own transparent trend rule, independently of the others:

- a price rung (S&P 500, Russell 2000, BTC, ETH, the altcoin basket) *turns* on its first close above its
  ``window``-observation average after at least ``below_for`` closes at or below it (observations of its
  own calendar: NYSE sessions for equities, UTC days for crypto);
- the credit rung turns when the high-yield spread closes *below* its average after ``below_for`` closes at
  or above it (spreads narrowing).

Cycles come from outside the ladder, so that no rung defines them: a cycle starts at the VIX's highest
close in each episode of closes above ``vix_threshold`` (episodes less than ``merge_sessions`` apart are
one), and lasts until the next cycle starts or ``max_days`` have passed. A cycle the as-of cuts short is *open* and not
ranked (its rungs may still turn). A rung that was already in its
uptrend at the cycle start and never fell out of it has no turn in that cycle (it is not ranked: whether
it "turned first" is not observable), nor has one that never crossed.

The test: per cycle, Kendall's tau-b (and Spearman's rho) between the observed turn order and the thesis
order (credit 1, S&P 500 2, Russell 2000 3, every crypto rung 4: the thesis orders nothing inside crypto),
averaged over the cycles with at least three turned rungs on two or more thesis ranks; the p-value is a
permutation test that shuffles the turn dates among the turned rungs within each cycle (one-sided: the
thesis predicts a positive correlation).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskcurve._json import jsonable
from riskcurve.measures._common import run_length

RungState = Literal["turned", "already up", "no turn", "no data"]


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder: its key, its name, its place in the thesis order, and whether a turn is a
    fall (credit spreads) rather than a rise."""

    key: str
    name: str
    thesis_rank: int
    falling: bool = False


RUNGS: tuple[Rung, ...] = (
    Rung("credit", "HY spread", 1, falling=True),
    Rung("SPX", "S&P 500", 2),
    Rung("RUT", "Russell 2000", 3),
    Rung("BTC", "BTC", 4),
    Rung("ETH", "ETH", 4),
    Rung("ALTS", "ALTS", 4),
)


@dataclass(frozen=True)
class TrendRule:
    """Close crosses its ``window``-observation average after ``below_for`` observations on the other side."""

    window: int = 200
    below_for: int = 20

    def describe(self) -> str:
        return f"close crosses its {self.window}-observation average after {self.below_for} closes on the other side"


def trend_up(series: pd.Series, rule: TrendRule, *, falling: bool = False) -> pd.Series:
    """Per observation: is the series in its uptrend (above its average; below it for a falling rung)?
    NaN until the average exists."""
    values = series.dropna().astype("float64")
    average = values.rolling(rule.window).mean()
    up = (values < average) if falling else (values > average)
    return up.astype("float64").where(average.notna())


def turn_dates(series: pd.Series, rule: TrendRule, *, falling: bool = False) -> pd.DatetimeIndex:
    """Every observation on which the series turns up by ``rule`` (see the module docstring)."""
    up = trend_up(series, rule, falling=falling)
    before = np.r_[0, run_length((up == 0).to_numpy())[:-1]]  # closes on the other side, just before
    return pd.DatetimeIndex(up.index[(up == 1).to_numpy() & (before >= rule.below_for)])


def vix_cycles(
    vix: pd.Series, *, threshold: float = 30.0, merge_sessions: int = 60, start: str = "2010-01-01"
) -> pd.DatetimeIndex:
    """The start of each cycle: the VIX's highest close in each episode of closes above ``threshold``."""
    values = vix.dropna()
    values = values[values.index >= pd.Timestamp(start)]
    above = np.flatnonzero(values.to_numpy() > threshold)
    if not len(above):
        return pd.DatetimeIndex([])
    groups = np.split(above, np.flatnonzero(np.diff(above) >= merge_sessions) + 1)
    return pd.DatetimeIndex([values.iloc[g].idxmax() for g in groups])


@dataclass(frozen=True)
class CycleOrder:
    """One cycle: when each rung turned (or why it did not), and how the order compares with the thesis."""

    start: pd.Timestamp
    end: pd.Timestamp
    turns: dict[str, pd.Timestamp | None]
    states: dict[str, RungState]
    tau: float  # NaN when the cycle is not ranked (fewer than three turned rungs on two thesis ranks)
    rho: float
    open: bool = False  # cut short by the as-of: rungs may still turn, so the cycle is not ranked

    @property
    def ranked(self) -> bool:
        return math.isfinite(self.tau) and not self.open

    def order(self) -> list[str]:
        """The turned rungs, earliest first."""
        turned = [(t, k) for k, t in self.turns.items() if t is not None]
        return [k for _, k in sorted(turned)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": jsonable(self.start),
            "end": jsonable(self.end),
            "turns": {k: jsonable(v) for k, v in self.turns.items()},
            "days": {k: (v - self.start).days if v is not None else None for k, v in self.turns.items()},
            "states": dict(self.states),
            "order": self.order(),
            "tau": jsonable(self.tau),
            "rho": jsonable(self.rho),
            "open": self.open,
            "ranked": self.ranked,
        }


def _average_ranks(x: np.ndarray) -> np.ndarray:
    return pd.Series(x).rank(method="average").to_numpy()


def _tau_b(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b between each row of ``x`` (permutations x items) and ``y`` (items)."""
    pairs = np.array(list(combinations(range(x.shape[1]), 2)))
    sx = np.sign(x[:, pairs[:, 1]] - x[:, pairs[:, 0]])
    sy = np.sign(y[pairs[:, 1]] - y[pairs[:, 0]])
    n0 = len(pairs)
    ties_x = n0 - np.count_nonzero(sx[0])  # a permutation keeps the tie count
    ties_y = n0 - np.count_nonzero(sy)
    denominator = math.sqrt((n0 - ties_x) * (n0 - ties_y))
    return (sx * sy).sum(axis=1) / denominator if denominator else np.full(x.shape[0], np.nan)


def _rho(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho (ties averaged) between each row of ``x`` (already ranks) and ``y``."""
    ry = _average_ranks(y)
    xc = x - x.mean(axis=1, keepdims=True)
    yc = ry - ry.mean()
    denominator = np.sqrt((xc**2).sum(axis=1) * (yc**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return (xc * yc).sum(axis=1) / denominator


def order_test(
    observed: Sequence[np.ndarray], thesis: Sequence[np.ndarray], *, reps: int = 10_000, seed: int = 2010
) -> tuple[float, float, float, float]:
    """(mean tau, mean rho, permutation p of tau, of rho) over the cycles: ``observed[c]`` holds the turn
    times of cycle c's turned rungs, ``thesis[c]`` their thesis ranks."""
    if not observed:
        return math.nan, math.nan, math.nan, math.nan
    rng = np.random.default_rng(seed)
    taus = np.zeros(reps + 1)
    rhos = np.zeros(reps + 1)
    for x, y in zip(observed, thesis, strict=True):
        ranks = _average_ranks(np.asarray(x, dtype="float64"))
        perms = np.vstack([ranks, rng.permuted(np.tile(ranks, (reps, 1)), axis=1)])
        taus += _tau_b(perms, np.asarray(y, dtype="float64"))
        rhos += _rho(perms, np.asarray(y, dtype="float64"))
    taus /= len(observed)
    rhos /= len(observed)
    p_tau = float((1 + np.sum(taus[1:] >= taus[0] - 1e-12)) / (reps + 1))
    p_rho = float((1 + np.sum(rhos[1:] >= rhos[0] - 1e-12)) / (reps + 1))
    return float(taus[0]), float(rhos[0]), p_tau, p_rho


@dataclass(frozen=True, eq=False)
class LadderResult:
    """The ladder's turn dates per cycle and the test of their order against the thesis's."""

    as_of: pd.Timestamp
    rungs: tuple[Rung, ...]
    rule: TrendRule
    cycle_rule: str
    cycles: tuple[CycleOrder, ...]
    mean_tau: float
    mean_rho: float
    p_tau: float
    p_rho: float
    reps: int
    missing: tuple[str, ...] = field(default=())  # rungs without data

    @property
    def ranked(self) -> tuple[CycleOrder, ...]:
        return tuple(c for c in self.cycles if c.ranked)

    def summary(self) -> str:
        thesis = " -> ".join(dict.fromkeys("crypto" if r.thesis_rank == 4 else r.name for r in self.rungs))
        if not self.ranked:
            return f"Order ({thesis}): no cycle with three turned rungs of {len(self.cycles)} since 2010"
        return (
            f"Order {thesis}: {len(self.cycles)} cycles since 2010 (VIX peaks), {len(self.ranked)} ranked\n"
            f"  mean Kendall tau {self.mean_tau:+.2f} (permutation p = {self.p_tau:.3f}), "
            f"Spearman rho {self.mean_rho:+.2f} (p = {self.p_rho:.3f}); +1 = the thesis order every time"
        )

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        """One row per cycle: start, end, each rung's turn date, the observed order, tau and rho."""
        rows = [
            {
                "start": c.start,
                "end": c.end,
                **{r.key: c.turns.get(r.key) for r in self.rungs},
                "order": " > ".join(c.order()),
                "tau": c.tau,
                "rho": c.rho,
            }
            for c in self.cycles
        ]
        return pd.DataFrame(rows, columns=["start", "end", *(r.key for r in self.rungs), "order", "tau", "rho"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "rungs": [{"key": r.key, "name": r.name, "thesis_rank": r.thesis_rank} for r in self.rungs],
            "trend_rule": self.rule.describe() + "; the credit rung turns when the HY spread falls below it",
            "cycle_rule": self.cycle_rule,
            "cycles": [c.to_dict() for c in self.cycles],
            "ranked_cycles": len(self.ranked),
            "mean_tau": jsonable(self.mean_tau),
            "mean_rho": jsonable(self.mean_rho),
            "p_tau": jsonable(self.p_tau),
            "p_rho": jsonable(self.p_rho),
            "permutations": self.reps,
            "missing": list(self.missing),
        }

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>" + self.to_frame().to_html(index=False)


def _days(day: pd.Timestamp | None, start: pd.Timestamp) -> int:
    """Days from ``start`` to a turn (callers pass only turned rungs)."""
    assert day is not None
    return (day - start).days


def _cycle(
    start: pd.Timestamp,
    end: pd.Timestamp,
    trends: Mapping[str, tuple[pd.Series, pd.DatetimeIndex]],
    rungs: Sequence[Rung],
    *,
    open_: bool = False,
) -> CycleOrder:
    """The cycle [start, end): each rung's first turn in it, from its trend and turn dates (``trends``)."""
    turns: dict[str, pd.Timestamp | None] = {}
    states: dict[str, RungState] = {}
    for rung in rungs:
        up, found = trends[rung.key]
        known = up[(up.index <= start)].dropna()
        found = found[(found >= start) & (found < end)]
        if len(found):
            turns[rung.key], states[rung.key] = pd.Timestamp(found[0]), "turned"
        else:
            turns[rung.key] = None
            states[rung.key] = "no data" if known.empty else "already up" if known.iloc[-1] == 1 else "no turn"
    turned = [r for r in rungs if turns[r.key] is not None]
    tau = rho = math.nan
    if len(turned) >= 3 and len({r.thesis_rank for r in turned}) >= 2:
        x = np.array([[_days(turns[r.key], start) for r in turned]], dtype="float64")
        y = np.array([r.thesis_rank for r in turned], dtype="float64")
        tau = float(_tau_b(_average_ranks(x[0])[None, :], y)[0])
        rho = float(_rho(_average_ranks(x[0])[None, :], y)[0])
    return CycleOrder(start, end, turns, states, tau, rho, open_)


def ladder_order(
    series: Mapping[str, pd.Series],
    vix: pd.Series,
    as_of: pd.Timestamp,
    *,
    rungs: Sequence[Rung] = RUNGS,
    rule: TrendRule | None = None,
    vix_threshold: float = 30.0,
    merge_sessions: int = 60,
    max_days: int = 365,
    start: str = "2010-01-01",
    reps: int = 10_000,
    seed: int = 2010,
) -> LadderResult:
    """Turn dates of every rung in every cycle since ``start`` and the order test (module docstring).
    ``series``: each rung's closes (the HY spread for ``credit``) on its own calendar, as known at ``as_of``."""
    rule = rule or TrendRule()
    starts = vix_cycles(vix, threshold=vix_threshold, merge_sessions=merge_sessions, start=start)
    last = pd.Timestamp(as_of.tz_localize(None) if as_of.tz else as_of).normalize() + pd.Timedelta(days=1)
    empty = (pd.Series(dtype="float64", index=pd.DatetimeIndex([])), pd.DatetimeIndex([]))
    trends = {
        r.key: (
            (trend_up(series[r.key], rule, falling=r.falling), turn_dates(series[r.key], rule, falling=r.falling))
            if r.key in series
            else empty
        )
        for r in rungs
    }
    cycles = []
    for i, begin in enumerate(starts):
        longest = begin + pd.Timedelta(days=max_days)
        full = min(pd.Timestamp(starts[i + 1]), longest) if i + 1 < len(starts) else longest
        end = min(full, last)
        cycles.append(_cycle(pd.Timestamp(begin), end, trends, rungs, open_=end < full))
    ranked = [c for c in cycles if c.ranked]
    observed = [np.array([_days(c.turns[r.key], c.start) for r in rungs if c.turns[r.key] is not None]) for c in ranked]
    thesis = [np.array([r.thesis_rank for r in rungs if c.turns[r.key] is not None]) for c in ranked]
    mean_tau, mean_rho, p_tau, p_rho = order_test(observed, thesis, reps=reps, seed=seed)
    return LadderResult(
        as_of=as_of,
        rungs=tuple(rungs),
        rule=rule,
        cycle_rule=(
            f"a cycle starts at the VIX's highest close in each episode of closes above {vix_threshold:g} since "
            f"{start[:4]} (episodes under {merge_sessions} sessions apart are one) and lasts until the next "
            f"starts, at most {max_days} days"
        ),
        cycles=tuple(cycles),
        mean_tau=mean_tau,
        mean_rho=mean_rho,
        p_tau=p_tau,
        p_rho=p_rho,
        reps=reps,
        missing=tuple(r.key for r in rungs if r.key not in series or series[r.key].dropna().empty),
    )
