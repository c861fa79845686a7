"""The four-stage model tested as a model: what followed each stage, and how long stage 3 took to become 4.

The event study asks whether crypto rallies after a Russell 2000 breakout. The thesis claims more: a
sequence of stages (1 credit easing -> 2 large caps -> 3 small caps lead -> 4 crypto follows) in which
stage 4 arrives one to three months after stage 3. This module scores those two claims on the
point-in-time stage timeline (``stages.py``: the confirmed stage of every session as the causal
classifier saw it then, never revised by later data):

- stage-conditional forward returns: each follower's simple return over the 30/60/90 days after every
  session, grouped by the session's confirmed stage, with a stationary-bootstrap interval whose mean block
  spans the forward window (the sessions of one run share almost all of their forward days, so they are
  one observation, not dozens), the number of *independent episodes* (runs of the stage whose starts lie
  at least the horizon apart) and a breakdown by the event study's eras (``events.ERAS``). Sessions
  whose stage is unknown (no leader close) are left out and counted.
- timing: from every stage-3 onset (a confirmed stage-3 session after ``onset_gap`` sessions below stage
  3) to the first confirmed stage 4, in calendar days, against the claimed window. Stage 4 can only be
  recognised where its rules can be evaluated (the altcoin season index needs a point-in-time universe,
  2020-2025 in the shared data): an onset whose search window could mostly not be assessed is *unknown*,
  never "never".
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from riskcurve._json import jsonable, records
from riskcurve.errors import ShortSampleWarning
from riskcurve.study.events import ERAS, era_of
from riskcurve.study.inference import stationary_bootstrap_ci
from riskcurve.study.inputs import Follower
from riskcurve.study.ladder import LadderResult, ladder_order
from riskcurve.study.precedents import Precedent, PrecedentCheck, check_precedent
from riskcurve.study.sweep import entry_map_after
from riskcurve.thesis import FOLLOW_WINDOW_DAYS, THESIS_HORIZONS

if TYPE_CHECKING:
    from riskcurve.study.stage_inputs import StageModelInputs

STAGES = (0, 1, 2, 3, 4)
#: Sessions per calendar day on the NYSE (252 / 365): converts a horizon in days to a block in sessions.
SESSIONS_PER_DAY = 252 / 365
Outcome = Literal["inside", "before", "after", "never", "pending", "unknown"]


def stage_by_session(timeline: pd.DataFrame, sessions: pd.DatetimeIndex) -> pd.Series:
    """The confirmed stage of every session in ``sessions`` from the timeline's runs (``<NA>``: unknown,
    or outside every run)."""
    out = pd.Series(pd.array([pd.NA] * len(sessions), dtype="Int64"), index=sessions, name="stage")
    for run in timeline.itertuples(index=False):
        if pd.isna(run.stage):
            continue
        inside = (sessions >= pd.Timestamp(run.start)) & (sessions <= pd.Timestamp(run.end))
        out[inside] = int(run.stage)
    return out


NS_PER_DAY = 86_400_000_000_000


def _run_starts(mask: np.ndarray) -> np.ndarray:
    """Positions where each run of True in ``mask`` begins."""
    return np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8)]) == 1)


def independent_starts(starts: pd.DatetimeIndex, days: int) -> int:
    """How many of ``starts`` (sorted) lie at least ``days`` after the previous one counted: episodes
    whose forward windows do not overlap."""
    return _independent(starts.as_unit("ns").asi8, days)


def _independent(starts_ns: np.ndarray, days: int) -> int:
    """``independent_starts`` on nanosecond stamps (whole days apart, as ``Timedelta.days`` counts)."""
    count, last = 0, None
    for start in starts_ns.tolist():
        if last is None or (start - last) // NS_PER_DAY >= days:
            count, last = count + 1, start
    return count


def forward_simple_returns(follower: Follower, leader_known: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    """Per leader session: the follower's simple return over ``horizon`` bars from its first close after
    the session's close was knowable (the study's entry rule); NaN without an entry or either close."""
    closes, times = follower.bars()
    values = closes.to_numpy(dtype="float64")
    entry = entry_map_after(leader_known, times)
    end = entry + horizon
    ok = (entry >= 0) & (end < len(values))
    out = np.full(len(entry), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[ok] = values[end[ok]] / values[entry[ok]] - 1
    return out


@dataclass(frozen=True, eq=False)
class StageReturns:
    """Each follower's forward simple returns by the confirmed stage at the start of the window.

    ``table``: one row per stage ("all" = every known session, the baseline), follower, horizon and era
    ("all" or an era of ``ERAS``): sessions, episodes (runs of the stage), independent episodes, mean,
    its interval, the baseline (the all-session mean of the same follower, horizon and era) and the
    excess (mean minus baseline; its interval is the mean's shifted by the baseline, taken as fixed).
    """

    first_session: pd.Timestamp | None
    last_session: pd.Timestamp | None
    horizons: tuple[int, ...]
    followers: tuple[str, ...]
    table: pd.DataFrame
    unknown_sessions: int
    level: float
    reps: int

    def cell(self, stage: int | str, follower: str, horizon: int, era: str = "all") -> pd.Series:
        """One row of ``table``."""
        t = self.table
        where = (t["stage"] == str(stage)) & (t["follower"] == follower) & (t["horizon"] == horizon)
        hit = t[where & (t["era"] == era)]
        if hit.empty:
            raise KeyError(f"no stage-return cell for stage {stage}, {follower}, {horizon} days, era {era}")
        return hit.iloc[0]

    def text(self, stage: int | str, follower: str, horizon: int) -> str:
        """'+12% [-4%, +30%] n=5' (n: independent episodes; none for the all-session baseline)."""
        row = self.cell(stage, follower, horizon)
        if not row["sessions"]:
            return "no sessions"
        interval = f" [{row['lower']:+.0%}, {row['upper']:+.0%}]" if math.isfinite(row["lower"]) else ""
        episodes = f" n={int(row['independent'])}" if str(stage) != "all" else ""
        return f"{row['mean']:+.0%}{interval}{episodes}"

    def summary(self, horizon: int | None = None) -> str:
        """The ``horizon``-day (default: the longest) means by stage and follower, one stage a line."""
        h = horizon or max(self.horizons)
        if not self.followers:
            return "Forward returns by confirmed stage: no follower has closes yet"
        width = 28
        head = f"  {'stage':<6}" + "".join(f"{f:<{width}}" for f in self.followers)
        lines = [
            f"Forward {h}-day simple return by confirmed stage: mean [{self.level:.0%} interval] "
            "n=independent episodes",
            head,
        ]
        for stage in [*map(str, STAGES), "all"]:
            label = "all" if stage == "all" else stage
            lines.append(f"  {label:<6}" + "".join(f"{self.text(stage, f, h):<{width}}" for f in self.followers))
        lines.append(f"  ({self.unknown_sessions:,} sessions of unknown stage left out)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_session": jsonable(self.first_session),
            "last_session": jsonable(self.last_session),
            "horizons": list(self.horizons),
            "followers": list(self.followers),
            "unknown_sessions": self.unknown_sessions,
            "level": self.level,
            "reps": self.reps,
            "interval": "stationary bootstrap of the stage's session returns, mean block = the horizon in "
            "sessions; the excess's interval is the mean's minus the baseline",
            "eras": [{"name": n, "first_year": a, "last_year": b} for n, a, b in ERAS],
            "cells": records(self.table),
        }

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>" + self.table[self.table["era"] == "all"].to_html(index=False)


def _interval(values: np.ndarray, horizon: int, reps: int, level: float, seed: int) -> tuple[float, float]:
    """The stationary-bootstrap interval of the mean, blocks as long as the forward window."""
    if len(values) < 2 or np.ptp(values) == 0:
        return (math.nan, math.nan) if len(values) < 2 else (float(values[0]), float(values[0]))
    block = float(min(max(1.0, horizon * SESSIONS_PER_DAY), max(1.0, len(values) / 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSampleWarning)  # N is in the table beside the interval
        ci = stationary_bootstrap_ci(values, reps=reps, block=block, level=level, seed=seed)
    return ci.lower, ci.upper


def _cell(
    returns: np.ndarray, mask: np.ndarray, sessions: pd.DatetimeIndex, horizon: int, reps: int, level: float, seed: int
) -> dict[str, Any]:
    """Statistics of the sessions in ``mask`` whose forward return is known."""
    use = mask & np.isfinite(returns)
    values = returns[use]
    starts = _run_starts(use)
    lower, upper = _interval(values, horizon, reps, level, seed) if len(values) else (math.nan, math.nan)
    return {
        "sessions": int(use.sum()),
        "episodes": len(starts),
        "independent": _independent(sessions.as_unit("ns").asi8[starts], horizon),
        "mean": float(values.mean()) if len(values) else math.nan,
        "lower": lower,
        "upper": upper,
        "hit_rate": float((values > 0).mean()) if len(values) else math.nan,
        "first": sessions[starts[0]] if len(starts) else None,
    }


def stage_forward_returns(
    stage: pd.Series,
    leader_known: pd.DatetimeIndex,
    followers: Mapping[str, Follower],
    horizons: Sequence[int] = THESIS_HORIZONS,
    *,
    reps: int = 1000,
    level: float = 0.95,
    seed: int = 20261009,
) -> StageReturns:
    """Forward returns by stage. ``stage``: the confirmed stage per leader session (``<NA>`` unknown),
    indexed by session; ``leader_known``: when each of those sessions' close was knowable."""
    sessions = pd.DatetimeIndex(stage.index)
    known = stage.notna().to_numpy()
    values = stage.fillna(-1).to_numpy(dtype=np.int64)
    eras = era_of(sessions.year.to_numpy())
    rows: list[dict[str, Any]] = []
    for f_pos, (name, follower) in enumerate(followers.items()):
        for h in horizons:
            returns = forward_simple_returns(follower, leader_known, h)
            for era in ("all", *(e[0] for e in ERAS)):
                in_era = known if era == "all" else known & (eras == era)
                base = _cell(returns, in_era, sessions, h, reps, level, seed)
                for label in [*map(str, STAGES), "all"]:
                    mask = in_era if label == "all" else in_era & (values == int(label))
                    cell = base if label == "all" else _cell(returns, mask, sessions, h, reps, level, seed + f_pos)
                    rows.append(
                        {
                            "stage": label,
                            "follower": name,
                            "horizon": h,
                            "era": era,
                            **cell,
                            "baseline": base["mean"],
                            "excess": cell["mean"] - base["mean"],
                        }
                    )
    table = pd.DataFrame(rows)
    return StageReturns(
        first_session=pd.Timestamp(sessions[known][0]) if known.any() else None,
        last_session=pd.Timestamp(sessions[known][-1]) if known.any() else None,
        horizons=tuple(horizons),
        followers=tuple(followers),
        table=table,
        unknown_sessions=int((~known).sum()),
        level=level,
        reps=reps,
    )


# ------------------------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class StageLag:
    """One stage-3 onset and how long the first confirmed stage 4 took after it."""

    onset: pd.Timestamp
    stage4: pd.Timestamp | None
    lag_days: int | None
    outcome: Outcome
    assessable: float  # share of the sessions searched on which the stage-4 rules could be evaluated
    searched_until: pd.Timestamp

    def to_dict(self) -> dict[str, Any]:
        return {
            "onset": jsonable(self.onset),
            "stage4": jsonable(self.stage4),
            "lag_days": self.lag_days,
            "outcome": self.outcome,
            "assessable": jsonable(self.assessable),
            "searched_until": jsonable(self.searched_until),
        }


@dataclass(frozen=True)
class StageTiming:
    """The lags from every stage-3 onset to the first confirmed stage 4, against the claimed window."""

    window: tuple[int, int]
    onset_gap: int
    lags: tuple[StageLag, ...]

    def counts(self) -> dict[str, int]:
        return {o: sum(lag.outcome == o for lag in self.lags) for o in Outcome.__args__}  # type: ignore[attr-defined]

    def found(self) -> list[int]:
        return [lag.lag_days for lag in self.lags if lag.lag_days is not None]

    def summary(self) -> str:
        c = self.counts()
        lo, hi = self.window
        found = f"lags found: {', '.join(f'{d:,}' for d in self.found())} days" if self.found() else "no lag found"
        return (
            f"Timing, stage-3 onset -> first confirmed stage 4 (claim {lo}-{hi} days), {len(self.lags)} onsets:\n"
            f"  {c['inside']} inside, {c['before']} before, {c['after']} after, {c['never']} never, "
            f"{c['pending']} pending, {c['unknown']} unknown (stage 4 not assessable); {found}"
        )

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        columns = ["onset", "stage4", "lag_days", "outcome", "assessable", "searched_until"]
        return pd.DataFrame([{k: getattr(lag, k) for k in columns} for lag in self.lags], columns=columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "window_days": list(self.window),
            "onset_gap_sessions": self.onset_gap,
            "onset": f"a confirmed stage-3 (or 4) session after {self.onset_gap} sessions below stage 3",
            "counts": self.counts(),
            "lags": [lag.to_dict() for lag in self.lags],
        }

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>" + self.to_frame().to_html(index=False)


def stage_lags(
    stage: pd.Series,
    assessable: pd.Series | None = None,
    *,
    as_of: pd.Timestamp | None = None,
    window: tuple[int, int] = FOLLOW_WINDOW_DAYS,
    onset_gap: int = 126,
    min_assessable: float = 0.5,
) -> StageTiming:
    """Lags from each stage-3 onset to the first confirmed stage 4 before the next onset.

    ``stage``: the confirmed stage per session (``<NA>`` unknown); ``assessable``: per session, could the
    stage-4 rules be evaluated (default: everywhere). An onset whose stage 4 is not found is *pending*
    while its window is still open at ``as_of`` (default: the last session), *unknown* when the stage-4
    rules could be evaluated on fewer than ``min_assessable`` of the sessions searched, else *never*.
    """
    sessions = pd.DatetimeIndex(stage.index)
    values = stage.fillna(-1).to_numpy(dtype=np.int64)
    can = np.ones(len(values), dtype=bool) if assessable is None else assessable.reindex(sessions, fill_value=False)
    can = np.asarray(can, dtype=bool)
    high = np.flatnonzero(values >= 3)
    onsets = [int(p) for i, p in enumerate(high) if i == 0 or p - high[i - 1] > onset_gap]
    end_of_data = pd.Timestamp(as_of.tz_localize(None) if as_of is not None and as_of.tz else as_of or sessions[-1])
    lags: list[StageLag] = []
    for i, start in enumerate(onsets):
        stop = onsets[i + 1] if i + 1 < len(onsets) else len(values)
        fours = np.flatnonzero(values[start:stop] == 4)
        onset = pd.Timestamp(sessions[start])
        searched = pd.Timestamp(sessions[stop - 1])
        if len(fours):
            found = pd.Timestamp(sessions[start + fours[0]])
            share = float(can[start : start + fours[0] + 1].mean())
            days = (found - onset).days
            outcome: Outcome = "before" if days < window[0] else "inside" if days <= window[1] else "after"
            lags.append(StageLag(onset, found, days, outcome, share, found))
            continue
        share = float(can[start:stop].mean())
        if i + 1 == len(onsets) and (end_of_data - onset).days <= window[1]:
            outcome = "pending"
        else:
            outcome = "unknown" if share < min_assessable else "never"
        lags.append(StageLag(onset, None, None, outcome, share, searched))
    return StageTiming(window=window, onset_gap=onset_gap, lags=tuple(lags))


# ------------------------------------------------------------------------------------------- the bundle


@dataclass(frozen=True, eq=False)
class StageModelReport:
    """The four-stage model tested: stage-conditional returns, stage 3 -> 4 timing, the ladder's order
    and the precedents, as of one moment (``seconds``: how long it took to compute)."""

    as_of: pd.Timestamp
    returns: StageReturns
    timing: StageTiming
    ladder: LadderResult
    precedents: tuple[PrecedentCheck, ...]
    assessable_span: tuple[pd.Timestamp | None, pd.Timestamp | None]  # first/last session stage 4 could be read
    seconds: float = 0.0
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One terminal screen (at most 25 lines): the 90-day table, timing, order, precedents."""
        first, last = self.assessable_span
        span = (
            f"could be evaluated only {first:%Y-%m-%d}..{last:%Y-%m-%d}"
            if first is not None and last is not None
            else "could never be evaluated"
        )
        lines = [
            f"Stage model as of {self.as_of:%Y-%m-%d} (each session's stage as known that day; simple returns)",
            self.returns.summary(),
            f"  (stage 4's rules {span}: outside that, stage 3 means 'at least 3')",
            self.timing.summary(),
            self.ladder.summary(),
            "Precedents (data, then the claim):",
            *(f"  {p.summary()}" for p in self.precedents),
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        """The stage-conditional returns (every stage, follower, horizon and era)."""
        return self.returns.to_frame()

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "stage_returns": self.returns.to_dict(),
            "timing": self.timing.to_dict(),
            "ladder": self.ladder.to_dict(),
            "precedents": [p.to_dict() for p in self.precedents],
            "stage4_assessable": [jsonable(d) for d in self.assessable_span],
            "seconds": self.seconds,
            "notes": list(self.notes),
            "summary": self.summary(),
        }

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>"


def run_stage_model(
    inputs: StageModelInputs, precedents: Sequence[Precedent], *, notes: Sequence[str] = ()
) -> StageModelReport:
    """Everything the stage model reports, from prepared inputs."""
    import time

    started = time.perf_counter()
    stage = inputs.stage
    returns = stage_forward_returns(stage, inputs.known_at, inputs.followers)
    timing = stage_lags(stage, inputs.assessable, as_of=inputs.as_of)
    ladder = ladder_order(inputs.rungs, inputs.vix, inputs.as_of)
    closes = {name: f.close for name, f in inputs.followers.items()}
    checks = tuple(check_precedent(p, inputs.breakouts, closes, inputs.altseason, stage) for p in precedents)
    can = inputs.assessable[inputs.assessable.to_numpy(dtype=bool)]
    span = (pd.Timestamp(can.index[0]), pd.Timestamp(can.index[-1])) if len(can) else (None, None)
    return StageModelReport(
        as_of=inputs.as_of,
        returns=returns,
        timing=timing,
        ladder=ladder,
        precedents=checks,
        assessable_span=span,
        seconds=time.perf_counter() - started,
        notes=tuple(notes),
    )
