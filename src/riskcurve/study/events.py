"""Event study: what each follower did after the leader's breakouts, against honest baselines.

The thesis rests on a handful of breakouts, so every number here comes with its sample size, an
interval and two tests that respect dependence: a stationary block bootstrap of the excess returns
and a placebo test against random dates of each event's own year, outside every event window. The
result is split by era (``ERAS``) and re-run with each era left out, so a verdict can say when one
era carries it. The minimum detectable
effect says how large an effect *could* have been seen with this N, so "not significant" is never
read as "no effect".
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskcurve._json import records
from riskcurve.errors import ShortSampleWarning
from riskcurve.measures.breakout import BreakoutEvent
from riskcurve.study.inference import (
    HypothesisTest,
    block_bootstrap_pvalue,
    era_matched_placebo_test,
    excess_interval,
    min_detectable_effect,
    stationary_bootstrap_ci,
)
from riskcurve.study.inputs import Follower, StudyInputs
from riskcurve.study.sweep import entry_map_after, forward_log_returns
from riskcurve.thesis import STUDY_HORIZONS

MIN_EVENTS_FOR_BLOCK_LENGTH = 8

#: Market regimes, by calendar year (label, first year, last year). Calendar-year blocks would
#: hold one or two declustered events each, too few to say anything; these blocks follow the
#: crypto market's documented phases instead: the early market (BTC under $1,000, no ETH, thin
#: exchanges, up to 2014), the ETH and ICO cycle up to the 2018 bust (2015-2019), the pandemic
#: liquidity surge and its 2022 unwind (2020-2022), and the ETF era since 2023. Earlier years
#: fall in the first block (no follower has data there).
ERAS: tuple[tuple[str, int, int], ...] = (
    ("2010-2014", 0, 2014),
    ("2015-2019", 2015, 2019),
    ("2020-2022", 2020, 2022),
    ("2023-", 2023, 9999),
)


def decluster(events: Sequence[BreakoutEvent], sessions: pd.DatetimeIndex, cooldown: int) -> list[BreakoutEvent]:
    """Keep an event only if no kept event lies within ``cooldown`` sessions before it.

    A breakout rally produces a burst of new highs and round levels; counting each would multiply
    one observation. The first event of a burst stands for it.
    """
    kept: list[BreakoutEvent] = []
    last = -(10**9)
    for event in sorted(events, key=lambda e: e.date):
        position = int(sessions.searchsorted(event.date))
        if position - last >= cooldown:
            kept.append(event)
            last = position
    return kept


@dataclass
class FollowerEventStudy:
    """One follower's response to the events: per-event table, per-horizon statistics, paths."""

    follower: str
    horizons: tuple[int, ...]
    table: pd.DataFrame  # one row per event: dates, entry, forward log returns per horizon
    stats: pd.DataFrame  # one row per horizon
    paths: pd.DataFrame  # day offset x event: cumulative log return from entry
    band: pd.DataFrame  # day offset: mean, low, high (stationary bootstrap over events)
    tests: list[HypothesisTest] = field(default_factory=list)
    #: Per horizon and era: the events of that era only, and all events without it (``scope``).
    eras: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Event years whose era-matched placebo pool was widened to +-1 year (too few dates).
    widened_years: tuple[int, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.stats.assign(follower=self.follower)

    def summary(self) -> str:
        cols = [
            "n",
            "mean",
            "ci_low",
            "ci_high",
            "baseline_all",
            "excess_all",
            "baseline_regime",
            "hit_rate",
            "p_bootstrap",
            "p_placebo",
            "mde",
        ]
        head = f"{self.follower}: {len(self.table)} events; forward log returns by horizon (days)"
        return head + "\n" + self.stats[cols].to_string(float_format=lambda v: f"{v:.4g}")

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        return {
            "follower": self.follower,
            "events": records(self.table),
            "stats": records(self.stats.reset_index()),
            "path": {
                "day": self.band.index.tolist(),
                **{c: _floats(self.band[c]) for c in ("mean", "low", "high")},
                "events": {str(c): _floats(self.paths[c]) for c in self.paths.columns},
            },
            "tests": [test_dict(t) for t in self.tests],
            "eras": records(self.eras),
            "placebo_widened_years": list(self.widened_years),
        }


def _floats(values: pd.Series | np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), 6) for v in np.asarray(values, dtype="float64")]


def test_dict(test: HypothesisTest) -> dict[str, Any]:
    return {
        "name": test.name,
        "null": test.null,
        "alternative": test.alternative,
        "direction": test.direction,
        "n": test.n,
        "statistic_name": test.statistic_name,
        "statistic": None if not np.isfinite(test.statistic) else float(test.statistic),
        "pvalue": None if not np.isfinite(test.pvalue) else float(test.pvalue),
        "alpha": test.alpha,
        "reject": test.reject,
        "conclusion": test.conclusion,
    }


def _band(paths: pd.DataFrame, reps: int, seed: int, level: float = 0.95) -> pd.DataFrame:
    """Mean path with a percentile band from resampling whole events (events are the unit)."""
    values = paths.to_numpy(dtype="float64")
    mean = np.nanmean(values, axis=1) if values.shape[1] else np.full(len(paths), np.nan)
    if values.shape[1] < 2:
        return pd.DataFrame({"mean": mean, "low": np.nan, "high": np.nan}, index=paths.index)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, values.shape[1], size=(reps, values.shape[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # days where every drawn event is NaN
        boot = np.stack([np.nanmean(values[:, p], axis=1) for p in picks])
        low, high = np.nanquantile(boot, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return pd.DataFrame({"mean": mean, "low": low, "high": high}, index=paths.index)


def follower_event_study(
    inputs: StudyInputs,
    follower: Follower,
    events: Sequence[BreakoutEvent],
    *,
    horizons: Sequence[int] = STUDY_HORIZONS,
    path_days: int = 180,
    reps: int = 5000,
    placebo_draws: int = 5000,
    alpha: float = 0.05,
    seed: int = 0,
) -> FollowerEventStudy:
    """Forward log returns of ``follower`` after each event, entered at its first close after the
    event became knowable; compared with all leader days and with days in the same regime."""
    closes, times = follower.bars()
    entry = entry_map_after(inputs.leader_known, times)
    sessions = pd.DatetimeIndex(inputs.leader_close.index)
    positions = np.array([sessions.searchsorted(e.date) for e in events], dtype=np.int64)
    regime = inputs.regime.to_numpy(dtype=bool)
    years = sessions.year.to_numpy(dtype=np.int64)
    windows = event_windows(sessions, [e.date for e in events], max(horizons) * 365 / follower.periods_per_year)
    widened: set[int] = set()
    era_rows: list[dict[str, Any]] = []

    rows = []
    stats_rows = []
    tests: list[HypothesisTest] = []
    outcomes = {h: forward_log_returns(closes, entry, h)[:, 0] for h in horizons}
    for event, pos in zip(events, positions, strict=True):
        bar = int(entry[pos]) if pos < len(entry) else -1
        rows.append(
            {
                "event_date": event.date,
                "kind": event.kind,
                "level": event.level,
                "entry_date": closes.index[bar] if bar >= 0 else pd.NaT,
                "entry_close": float(closes.iloc[bar]) if bar >= 0 else np.nan,
                **{f"r_{h}": outcomes[h][pos] for h in horizons},
            }
        )
    table = pd.DataFrame(rows)
    for i, h in enumerate(horizons):
        everything = outcomes[h]
        at_events = everything[positions] if len(positions) else np.array([])
        finite = at_events[np.isfinite(at_events)]
        base_all = float(np.nanmean(everything)) if np.isfinite(everything).any() else np.nan
        same = everything[regime[: len(everything)]]
        base_regime = float(np.nanmean(same)) if np.isfinite(same).any() else np.nan
        sd = float(np.nanstd(everything, ddof=1)) if np.isfinite(everything).sum() > 1 else np.nan
        row: dict[str, Any] = {
            "horizon": h,
            "n": len(finite),
            "mean": np.nan,
            "median": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "baseline_all": base_all,
            "excess_all": np.nan,
            "excess_low": np.nan,
            "excess_high": np.nan,
            **_simple(np.nan, base_all, np.nan),
            "simple_low": np.nan,
            "simple_high": np.nan,
            "baseline_regime": base_regime,
            "excess_regime": np.nan,
            "hit_rate": np.nan,
            "baseline_hit_rate": float(np.mean(everything[np.isfinite(everything)] > 0)),
            "p_bootstrap": np.nan,
            "p_placebo": np.nan,
            "placebo_baseline": np.nan,
            "excess_placebo": np.nan,
            "mde": np.nan,
        }
        if len(finite):
            row.update(
                mean=float(finite.mean()),
                median=float(np.median(finite)),
                hit_rate=float(np.mean(finite > 0)),
                excess_all=float(finite.mean()) - base_all,
                excess_regime=float(finite.mean()) - base_regime,
                mde=min_detectable_effect(len(finite), sd, alpha) if np.isfinite(sd) else np.nan,
            )
            row.update(_simple(row["mean"], base_all, row["mde"]))
        if len(finite) >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ShortSampleWarning)  # N is reported beside every number
                # Stationary bootstrap with the Politis-White block length (arch) once there are
                # enough events to estimate it; below that, declustered events (a cooldown apart)
                # are resampled as independent units.
                block = None if len(finite) >= MIN_EVENTS_FOR_BLOCK_LENGTH else 1.0
                ci = stationary_bootstrap_ci(finite, reps=reps, block=block, seed=seed + i)
                excess = excess_interval(finite, everything[np.isfinite(everything)], reps, block, seed=seed + i)
                boot = block_bootstrap_pvalue(
                    finite - base_all,
                    reps=reps,
                    block=block,
                    seed=seed + i,
                    alpha=alpha,
                    name=f"{inputs.leader} breakouts -> {follower.name} {h}-day excess return (bootstrap over events)",
                )
            tests.append(boot)
            row.update(
                ci_low=ci.lower,
                ci_high=ci.upper,
                excess_low=excess.log_lower,
                excess_high=excess.log_upper,
                simple_low=excess.simple_lower,
                simple_high=excess.simple_upper,
                p_bootstrap=boot.pvalue,
            )
        if len(finite) >= 2 and (np.isfinite(everything) & ~windows).any():  # else no placebo date
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ShortSampleWarning)
                placebo = era_matched_placebo_test(
                    positions,
                    everything,
                    years,
                    exclude=windows,
                    n_draws=placebo_draws,
                    alpha=alpha,
                    seed=seed + 100 + i,
                    name=f"{inputs.leader} breakouts -> {follower.name} {h}-day return vs random dates (placebo)",
                )
                widened.update(placebo.widened)
                era_rows += _era_rows(h, positions, everything, years, windows, placebo_draws, seed + 200 + i)
            row.update(
                p_placebo=placebo.test.pvalue,
                placebo_baseline=placebo.placebo_mean,
                excess_placebo=row["mean"] - placebo.placebo_mean,
            )
            tests.append(placebo.test)
        stats_rows.append(row)
    stats = pd.DataFrame(stats_rows).set_index("horizon")

    log_close = np.log(closes.to_numpy(dtype="float64"))
    paths = {}
    for event, pos in zip(events, positions, strict=True):
        bar = int(entry[pos]) if pos < len(entry) else -1
        if bar < 0:
            continue
        window = log_close[bar : bar + path_days + 1]
        path = np.full(path_days + 1, np.nan)
        path[: len(window)] = window - log_close[bar]
        paths[event.date.date().isoformat()] = path
    path_frame = pd.DataFrame(paths, index=pd.RangeIndex(path_days + 1, name="day"))
    return FollowerEventStudy(
        follower=follower.name,
        horizons=tuple(horizons),
        table=table,
        stats=stats,
        paths=path_frame,
        band=_band(path_frame, min(reps, 2000), seed),
        tests=tests,
        eras=pd.DataFrame(era_rows, columns=list(_ERA_COLUMNS)),
        widened_years=tuple(sorted(widened)),
    )


def _simple(mean_log: float, baseline_log: float, mde_log: float) -> dict[str, float]:
    """The log statistics as simple returns, as a trader reads them: the geometric-average return
    after the events and on all days (``exp(mean log) - 1``), the excess in points of simple return,
    and the minimum detectable effect in the same points (at the baseline)."""
    return {
        "simple_mean": float(np.expm1(mean_log)),
        "simple_baseline": float(np.expm1(baseline_log)),
        "simple_excess": float(np.exp(mean_log) - np.exp(baseline_log)),
        "simple_mde": float(np.exp(baseline_log + mde_log) - np.exp(baseline_log)),
    }


def event_windows(sessions: pd.DatetimeIndex, dates: Sequence[pd.Timestamp], days: float) -> np.ndarray:
    """Sessions from each event date through ``days`` calendar days later: the events' own
    aftermath, which must not serve as their placebo baseline."""
    out = np.zeros(len(sessions), dtype=bool)
    span = pd.Timedelta(days=days)
    for date in dates:
        out[sessions.searchsorted(date) : sessions.searchsorted(date + span, side="right")] = True
    return out


def era_of(years: np.ndarray) -> np.ndarray:
    """The ``ERAS`` label of each calendar year."""
    labels = np.empty(len(years), dtype=object)
    for label, first, last in ERAS:
        labels[(years >= first) & (years <= last)] = label
    return labels


_ERA_COLUMNS = ("horizon", "era", "scope", "n", "mean", "baseline", "excess", "p_placebo")


def _era_rows(
    horizon: int,
    positions: np.ndarray,
    outcomes: np.ndarray,
    years: np.ndarray,
    windows: np.ndarray,
    draws: int,
    seed: int,
) -> list[dict[str, Any]]:
    """Per era with events: the era alone (``scope="only"``) and every other era (``"without"``).

    Each subset's excess is its events' mean over the mean of *its own* days (a follower that grew
    a thousand-fold early would otherwise lift every later excess's baseline), with its own
    era-matched placebo p."""
    events = positions[np.isfinite(outcomes[positions])]
    day_era, event_era = era_of(years), era_of(years[events])
    rows = []
    for era in dict.fromkeys(event_era):
        for scope, in_scope in (("only", day_era == era), ("without", day_era != era)):
            chosen = events[in_scope[events]]
            days = outcomes[in_scope & np.isfinite(outcomes)]
            row: dict[str, Any] = dict.fromkeys(_ERA_COLUMNS, np.nan)
            row.update(horizon=horizon, era=era, scope=scope, n=len(chosen))
            if len(chosen) and len(days):
                mean, baseline = float(outcomes[chosen].mean()), float(days.mean())
                row.update(mean=mean, baseline=baseline, excess=mean - baseline)
            if len(chosen) and (in_scope & np.isfinite(outcomes) & ~windows).any():  # else no placebo date
                placebo = era_matched_placebo_test(
                    chosen, np.where(in_scope, outcomes, np.nan), years, exclude=windows, n_draws=draws, seed=seed
                )
                row.update(p_placebo=placebo.test.pvalue)
            rows.append(row)
    return rows
