"""The thesis lab: did small-cap breakouts lead crypto? One call runs the whole honest test.

``run_study`` strings together the event study (per follower, with baselines, bootstrap and placebo
tests), lead-lag statistics, a sweep over breakout definitions with Romano-Wolf adjusted p-values
and a walk-forward check, and a cost-aware backtest with a deflated Sharpe ratio; then it writes
the verdict in words. Every number carries its N; every search reports how many configurations it
tried.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskcurve._json import jsonable, records
from riskcurve.data.panel import decision_times
from riskcurve.errors import DataValidationError, ShortSampleWarning
from riskcurve.measures.breakout import BreakoutConfig, BreakoutEvent, detect_breakouts
from riskcurve.study.backtest import BacktestResult, backtest_hold, hold_sharpes
from riskcurve.study.events import FollowerEventStudy, decluster, follower_event_study, test_dict
from riskcurve.study.inference import MultipleTestResult, holm, romano_wolf
from riskcurve.study.inputs import Follower, StudyInputs
from riskcurve.study.sweep import (
    ChunkMapper,
    SweepGrid,
    SweepResult,
    breakout_events,
    entry_map_after,
    forward_log_returns,
    run_sweep,
    signal_excess_returns,
)
from riskcurve.study.verdict import Verdict, follower_verdict, percent, points, verdict_rule
from riskcurve.thesis import STUDY_HORIZONS

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class StudyConfig:
    """Every choice the study makes, reported with its results."""

    horizons: tuple[int, ...] = STUDY_HORIZONS
    grid: Literal["default", "full"] = "default"
    event_kinds: tuple[Literal["ath", "round_level", "rolling_high"], ...] = ("ath", "round_level")
    ath_min_gap: int = 250
    round_step: float = 100.0
    cooldown: int = 63
    path_days: int = 180
    reps: int = 5000
    placebo_draws: int = 5000
    rw_reps: int = 1000
    alpha: float = 0.05
    seed: int = 20260108
    in_sample_end: str = "2019-12-31"
    backtest_hold: int = 60
    fee_bps: float = 10.0
    slippage_bps: float = 5.0

    def sweep_grid(self) -> SweepGrid:
        return SweepGrid.full() if self.grid == "full" else SweepGrid.default()

    def breakout_config(self, close: pd.Series) -> BreakoutConfig:
        top = float(close.max()) * 1.5 if len(close) else 0.0
        levels = tuple(np.arange(self.round_step, top + self.round_step, self.round_step).tolist())
        return BreakoutConfig(kinds=self.event_kinds, ath_min_gap=self.ath_min_gap, round_levels=levels)


@dataclass
class SweepFamily:
    """One follower's sweep over breakout definitions, tested as a family (Romano-Wolf)."""

    follower: str
    adjusted: MultipleTestResult
    walk_forward: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """One row per (definition, horizon): statistic, raw and Romano-Wolf adjusted p-values."""
        frame = self.adjusted.to_frame()
        frame.index = pd.MultiIndex.from_tuples(list(frame.index), names=["definition", "horizon"])
        frame = frame.reset_index()
        frame.insert(0, "follower", self.follower)
        return frame


@dataclass
class StudyResult:
    """Everything the study found; ``summary()`` reads as a report, ``to_dict()`` feeds JSON and HTML."""

    leader: str
    config: StudyConfig
    period: tuple[pd.Timestamp, pd.Timestamp]
    events: list[BreakoutEvent]
    event_studies: dict[str, FollowerEventStudy]
    sweep: SweepResult | None
    families: dict[str, SweepFamily]
    backtests: dict[str, BacktestResult]
    deflated_sharpe: dict[str, float]
    lead_lag: Any
    verdicts: dict[str, Verdict]
    adjusted_event_p: pd.DataFrame
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def n_configurations(self) -> int:
        return self.sweep.n_configurations if self.sweep is not None else 0

    def to_frame(self) -> pd.DataFrame:
        """Per follower and horizon: the event-study statistics with adjusted p-values."""
        frames = [study.to_frame().reset_index() for study in self.event_studies.values()]
        stats_frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if len(stats_frame) and len(self.adjusted_event_p):
            adjusted = self.adjusted_event_p[["follower", "horizon", "p_adjusted"]]
            stats_frame = stats_frame.merge(adjusted, on=["follower", "horizon"], how="left")
        return stats_frame

    @property
    def verdict_rule(self) -> str:
        return verdict_rule(self.config.alpha, int(self.adjusted_event_p["p_adjusted"].notna().sum()))

    def summary_frame(self) -> pd.DataFrame:
        """The one table a trader reads first: per follower N, the 30/60/90-day excess in points of simple
        return with its interval, placebo and Holm p, minimum detectable effect, verdict word."""
        return pd.DataFrame([v.cells() for v in self.verdicts.values()])

    def summary(self) -> str:
        """One screen: the events, the summary table, the verdict rule and a short paragraph per follower."""
        lines = [
            f"Thesis lab: do {self.leader} breakouts lead crypto? "
            f"({self.period[0]:%Y-%m-%d} .. {self.period[1]:%Y-%m-%d}, built in {self.seconds:.1f} s)",
            f"{len(self.events)} declustered events ({', '.join(self.config.event_kinds)}; cooldown "
            f"{self.config.cooldown} sessions): " + ", ".join(f"{e.date:%Y-%m-%d}" for e in self.events),
            "",
            self.summary_frame().to_string(index=False),
            "",
            self.verdict_rule,
            "",
        ]
        lines += [f"{name}: {v.text}" for name, v in self.verdicts.items()]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def details(self) -> str:
        """Everything behind the summary, formatted for people: event tables, sweep, walk-forward,
        backtests, lead-lag."""
        lines = []
        for name, study in self.event_studies.items():
            lines += [
                f"{name} after each horizon (days): simple returns, excess in points; p-values one-sided",
                _event_table(study, self.adjusted_event_p).to_string(index=False),
                "",
            ]
        if self.sweep is not None:
            lines.append(
                f"Rolling-high sweep: {len(self.sweep.definitions)} definitions x {len(self.sweep.horizons)} horizons "
                f"per follower ({self.n_configurations} configurations over {len(self.sweep.followers)} followers); "
                "Romano-Wolf within each follower."
            )
            for family in self.families.values():
                best = int(np.nanargmin(family.adjusted.adjusted))
                definition, horizon = family.adjusted.labels[best]
                lines.append(
                    f"  {family.follower}: smallest adjusted p = {family.adjusted.adjusted[best]:.3f} ({definition}, "
                    f"{horizon} days) over {len(family.adjusted.labels)} tests; walk-forward: "
                    f"{family.walk_forward['text']}"
                )
            lines.append("")
        for name, result in self.backtests.items():
            lines += [
                f"Backtest {name}: hold {result.hold} days after each signal, otherwise cash; "
                f"{result.cost_bps:g} bps per side; deflated Sharpe ratio {self.deflated_sharpe[name]:.2f}",
                _backtest_table(result).to_string(),
                "",
            ]
        if self.lead_lag is not None:
            lines += [follower.brief() for follower in self.lead_lag.followers.values()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        verdicts = "".join(f"<li>{name}: {v.text}</li>" for name, v in self.verdicts.items())
        return self.summary_frame().to_html(index=False) + f"<ul>{verdicts}</ul>"

    def to_dict(self) -> dict[str, Any]:
        sweep: dict[str, Any] | None = None
        if self.sweep is not None:
            sweep = {
                "n_configurations": self.n_configurations,
                "n_definitions": len(self.sweep.definitions),
                "horizons": list(self.sweep.horizons),
                "followers": [str(f) for f in self.sweep.followers],
                "families": {
                    name: {
                        "method": fam.adjusted.method,
                        "reps": fam.adjusted.reps,
                        "configurations": records(fam.to_frame().drop(columns=["follower"])),
                        "family_test": test_dict(fam.adjusted.family_test),
                        "walk_forward": fam.walk_forward,
                    }
                    for name, fam in self.families.items()
                },
            }
        return {
            "leader": self.leader,
            "summary": [v.row() for v in self.verdicts.values()],
            "parameters": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.config.__dict__.items()},
            "period": [self.period[0].date().isoformat(), self.period[1].date().isoformat()],
            "events": [
                {"date": e.date.date().isoformat(), "kind": e.kind, "level": e.level, "close": e.close}
                for e in self.events
            ],
            "event_study": {name: s.to_dict() for name, s in self.event_studies.items()},
            "adjusted_p": records(self.adjusted_event_p),
            "sweep": sweep,
            "backtest": {
                name: {
                    "metrics": _clean_map(r.metrics),
                    "buy_and_hold": _clean_map(r.benchmark_metrics),
                    "deflated_sharpe": jsonable(self.deflated_sharpe[name]),
                    "hold": r.hold,
                    "cost_bps": r.cost_bps,
                    "equity": _weekly(r.equity),
                    "buy_and_hold_equity": _weekly(r.benchmark_equity),
                }
                for name, r in self.backtests.items()
            },
            "lead_lag": self.lead_lag.to_dict() if self.lead_lag is not None else None,
            "verdict": {name: v.text for name, v in self.verdicts.items()},
            "verdict_rule": self.verdict_rule,
            "verdict_words": {name: v.to_dict() for name, v in self.verdicts.items()},
            "notes": self.notes,
            "seconds": round(self.seconds, 2),
        }


def _clean_map(values: dict[str, float]) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in values.items()}


def _event_table(study: FollowerEventStudy, adjusted: pd.DataFrame) -> pd.DataFrame:
    """A follower's per-horizon statistics as a person reads them (strings; the numbers are in to_dict)."""
    holm = adjusted[adjusted["follower"] == study.follower].set_index("horizon")["p_adjusted"]
    rows = []
    for h, row in study.stats.iterrows():
        rows.append(
            {
                "days": h,
                "N": int(row["n"]),
                "after events": percent(row["simple_mean"]),
                "all days": percent(row["simple_baseline"]),
                "excess": points(row["simple_excess"]),
                "95% interval": f"{points(row['simple_low'])} to {points(row['simple_high'])}",
                "hit rate": f"{row['hit_rate']:.0%} vs {row['baseline_hit_rate']:.0%}",
                "placebo p": f"{row['p_placebo']:.3f}",
                "bootstrap p": f"{row['p_bootstrap']:.3f}",
                "Holm p": f"{holm.get(h, math.nan):.3f}",
                "MDE": points(row["simple_mde"]),
            }
        )
    return pd.DataFrame(rows)


#: Backtest metrics that are rates (shown as percentages); the rest are ratios or counts.
_RATE_METRICS = ("total_return", "cagr", "volatility", "max_drawdown", "exposure")


def _backtest_table(result: BacktestResult) -> pd.DataFrame:
    """Strategy beside buy-and-hold: rates as percentages (with thousands separators), ratios to two
    decimals, trades as whole numbers."""

    def cell(metric: str, value: float) -> str:
        if not math.isfinite(value):
            return "n/a"
        if metric in _RATE_METRICS:
            return f"{value:,.0%}" if abs(value) >= 10 else f"{value:.1%}"
        return f"{value:,.0f}" if metric == "n_trades" else f"{value:.2f}"

    metrics = result.to_frame()
    return pd.DataFrame(
        {col: [cell(str(m), float(v)) for m, v in metrics[col].items()] for col in metrics.columns},
        index=metrics.index,
    )


def _weekly(series: pd.Series) -> dict[str, list[Any]]:
    """Charts need shape, not every day: weekly points keep the JSON small."""
    weekly = series.resample("W").last().dropna()
    return {"dates": [d.date().isoformat() for d in weekly.index], "values": [round(float(v), 6) for v in weekly]}


def _crypto_grid(followers: Sequence[Follower]) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """Daily closes of the crypto followers on one calendar-day grid, and each day's close time."""
    frames = {f.name: f.bars()[0] for f in followers}
    grid = pd.concat(frames, axis=1).sort_index()
    grid = grid.reindex(pd.date_range(grid.index[0], grid.index[-1], freq="D"))
    return grid, decision_times("crypto_utc", pd.DatetimeIndex(grid.index))


def _walk_forward(
    inputs: StudyInputs,
    close: pd.Series,
    times: pd.DatetimeIndex,
    grid: SweepGrid,
    horizons: Sequence[int],
    split: pd.Timestamp,
    cfg: StudyConfig,
) -> dict[str, Any]:
    """Pick the best definition and horizon in sample (by t-statistic), report it out of sample."""
    leader = inputs.leader_close
    in_sample = leader.index <= split
    if in_sample.sum() < 300 or (~in_sample).sum() < 63:
        return {"text": "not enough data on one side of the split", "split": split.date().isoformat()}
    entry = entry_map_after(inputs.leader_known, times)
    # In sample, the follower ends at the split: no forward window and no baseline sees the future.
    close_in_sample = close.where(close.index <= split)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSampleWarning)
        result = run_sweep(leader[in_sample], close_in_sample.to_frame(), entry[in_sample], horizons, grid)
    t = result.t_stat[:, 0, :]
    if not np.isfinite(t).any():
        return {"text": "no in-sample configuration had enough events", "split": split.date().isoformat()}
    d, hi = np.unravel_index(int(np.nanargmax(t)), t.shape)
    definition = result.definitions.iloc[int(d)]
    horizon = int(result.horizons[int(hi)])
    events = breakout_events(
        leader,
        int(definition["lookback"]),
        float(definition["threshold"]),
        int(definition["confirmation"]),
        int(definition["cooldown"]),
    )
    outcomes = forward_log_returns(close, entry, horizon)[:, 0]
    oos_rows = np.flatnonzero(~in_sample)
    oos_events = events[events >= oos_rows[0]] if len(oos_rows) else events[:0]
    at_events = outcomes[oos_events]
    at_events = at_events[np.isfinite(at_events)]
    baseline = float(np.nanmean(outcomes[oos_rows])) if np.isfinite(outcomes[oos_rows]).any() else math.nan
    mean = float(at_events.mean()) if len(at_events) else math.nan
    text = f"in-sample best {definition['label']} at {horizon} days (t = {t[d, hi]:.2f}); out of sample " + (
        f"{len(at_events)} events, {np.expm1(mean):+.1%} (geometric average) vs {np.expm1(baseline):+.1%} all days"
        if len(at_events)
        else "no event with a complete forward window"
    )
    return {
        "split": split.date().isoformat(),
        "definition": str(definition["label"]),
        "horizon": horizon,
        "in_sample_t": float(t[d, hi]),
        "oos_events": len(at_events),
        "oos_mean": jsonable(mean),
        "oos_baseline": jsonable(baseline),
        "oos_excess": jsonable(mean - baseline),
        "text": text,
    }


def declustered_events(inputs: StudyInputs, cfg: StudyConfig) -> list[BreakoutEvent]:
    """The leader's breakout events as the study defines them (the ledger scores the same ones).

    Detected on the whole history (a new all-time high is only new against every earlier close),
    then declustered by the cooldown."""
    history = inputs.leader_history if inputs.leader_history is not None else inputs.leader_close
    raw_events = detect_breakouts(history, cfg.breakout_config(history), name=inputs.leader)
    return decluster(raw_events, pd.DatetimeIndex(history.index), cfg.cooldown)


def run_study(
    inputs: StudyInputs,
    config: StudyConfig | None = None,
    *,
    progress: Progress | None = None,
    lead_lag: Callable[[StudyInputs], Any] | None = None,
    sweep_mapper: ChunkMapper | None = None,
    follower_mapper: FollowerMapper | None = None,
) -> StudyResult:
    """Run the whole thesis test on prepared inputs (see ``study.inputs.build_inputs``).

    ``sweep_mapper`` runs the sweep's chunks and ``follower_mapper`` the per-follower work (event
    study, sweep family, walk-forward, backtest) elsewhere (``study.distributed.dask_mapper``)."""
    cfg = config or StudyConfig()
    started = time.perf_counter()
    step = progress or (lambda _label, _frac: None)
    notes: list[str] = []
    leader = inputs.leader_close
    if len(leader) < 300:
        raise DataValidationError(f"{inputs.leader}: {len(leader)} sessions are too few for a study (need 300)")

    step("breakouts", 0.05)
    # Detect on the whole history (a new all-time high is only new against every earlier close),
    # then keep the events inside the study window.
    events = [e for e in declustered_events(inputs, cfg) if leader.index[0] <= e.date <= leader.index[-1]]
    if len(events) < 5:
        notes.append(f"only {len(events)} events: every statistic below is barely informative")

    step("lead-lag", 0.1)
    lead_lag_report = None
    if lead_lag is not None:
        try:
            lead_lag_report = lead_lag(inputs)
        except (ValueError, np.linalg.LinAlgError) as exc:  # e.g. too few weeks for the lags asked
            notes.append(f"lead-lag skipped: {exc}")

    step("sweep", 0.2)
    crypto = [f for f in inputs.followers.values() if f.periods_per_year == 365]
    sweep: SweepResult | None = None
    grid = cfg.sweep_grid()
    spans: dict[str, tuple[pd.Series, pd.DatetimeIndex]] = {}
    if crypto:
        closes, times = _crypto_grid(crypto)
        entry = entry_map_after(inputs.leader_known, times)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ShortSampleWarning)
            sweep = run_sweep(leader, closes, entry, cfg.horizons, grid, mapper=sweep_mapper)
        for follower in crypto:  # each follower's closes on the sweep's day grid, over its own life
            live = closes[follower.name].notna().to_numpy()
            first, last = int(np.argmax(live)), len(live) - int(np.argmax(live[::-1]))
            spans[follower.name] = (closes[follower.name].iloc[first:last], times[first:last])

    # Everything else is per follower and independent: one task each, run here or on a cluster.
    shared = SharedWork(
        core=replace(inputs, followers={}, equities={}),
        events=events,
        config=cfg,
        sweep_events=(sweep.event_offsets, sweep.event_indices) if sweep is not None else None,
    )
    crypto_rank = {f.name: i for i, f in enumerate(crypto)}
    tasks = [
        FollowerTask(i, crypto_rank.get(name), follower, *spans.get(name, (None, None)))
        for i, (name, follower) in enumerate(inputs.followers.items())
    ]
    outcomes: dict[str, FollowerOutcome] = {}
    for outcome in (follower_mapper or map_followers_locally)(follower_outcome, shared, tasks):
        outcomes[outcome.name] = outcome
        for category, message in outcome.warned:
            warnings.warn(message, category, stacklevel=2)
        step(f"follower {outcome.name}", 0.25 + 0.7 * len(outcomes) / len(tasks))
    ordered = [outcomes[name] for name in inputs.followers]  # results stream in any order
    studies = {o.name: o.study for o in ordered}
    families = {o.name: o.family for o in ordered if o.family is not None}
    backtests = {o.name: o.backtest for o in ordered if o.backtest is not None}
    dsr = {o.name: o.deflated_sharpe for o in ordered if o.backtest is not None}
    notes += [o.note for o in ordered if o.note]

    family_rows = [
        {"follower": name, "horizon": h, "p_placebo": s.stats.loc[h, "p_placebo"]}
        for name, s in studies.items()
        for h in cfg.horizons
    ]
    adjusted = pd.DataFrame(family_rows)
    finite = adjusted["p_placebo"].notna().to_numpy()
    adjusted["p_adjusted"] = np.nan
    if finite.any():
        adjusted.loc[finite, "p_adjusted"] = holm(adjusted.loc[finite, "p_placebo"].to_numpy())

    step("verdict", 0.97)
    sweep_family = (
        f"{len(sweep.definitions)} rolling-high definitions x {len(sweep.horizons)} horizons"
        if sweep is not None
        else ""
    )
    verdicts = {
        name: follower_verdict(
            name,
            inputs.leader,
            study,
            adjusted,
            cfg.alpha,
            sweep=families[name].adjusted if name in families else None,
            sweep_family=sweep_family,
            lead_lag=lead_lag_report.followers.get(name) if lead_lag_report is not None else None,
        )
        for name, study in studies.items()
    }
    step("done", 1.0)
    return StudyResult(
        leader=inputs.leader,
        config=cfg,
        period=(pd.Timestamp(leader.index[0]), pd.Timestamp(leader.index[-1])),
        events=events,
        event_studies=studies,
        sweep=sweep,
        families=families,
        backtests=backtests,
        deflated_sharpe=dsr,
        lead_lag=lead_lag_report,
        verdicts=verdicts,
        adjusted_event_p=adjusted,
        seconds=time.perf_counter() - started,
        notes=notes,
    )


@dataclass(frozen=True)
class SharedWork:
    """What every follower's task reads: the leader side of the inputs (no followers), the events,
    the settings and the sweep's events (CSR offsets, indices). Small, and the same for all: a
    cluster receives it once."""

    core: StudyInputs
    events: list[BreakoutEvent]
    config: StudyConfig
    sweep_events: tuple[np.ndarray, np.ndarray] | None


@dataclass(frozen=True)
class FollowerTask:
    """One follower's share of the study: its position (it sets the seeds), and for a crypto
    follower its closes on the sweep's day grid over its own life, with their close times."""

    index: int
    crypto_index: int | None
    follower: Follower
    span: pd.Series | None
    span_times: pd.DatetimeIndex | None


@dataclass(frozen=True)
class FollowerOutcome:
    """Everything the study found for one follower; what a task sends back to the driver."""

    name: str
    study: FollowerEventStudy
    family: SweepFamily | None
    backtest: BacktestResult | None
    deflated_sharpe: float
    note: str | None
    warned: tuple[tuple[type[Warning], str], ...] = ()


#: Runs ``work(shared, task)`` for every task and yields the outcomes, in any order.
FollowerMapper = Callable[
    [Callable[[SharedWork, FollowerTask], FollowerOutcome], SharedWork, Sequence[FollowerTask]],
    Iterator[FollowerOutcome],
]


def map_followers_locally(
    work: Callable[[SharedWork, FollowerTask], FollowerOutcome], shared: SharedWork, tasks: Sequence[FollowerTask]
) -> Iterator[FollowerOutcome]:
    """One follower after another in this process."""
    for task in tasks:
        yield work(shared, task)


def follower_outcome(shared: SharedWork, task: FollowerTask) -> FollowerOutcome:
    """Event study, sweep family (Romano-Wolf + walk-forward) and backtest of one follower.

    Warnings raised on the way travel back in the outcome, so a cluster run reports the same
    caveats as a local one (the driver re-raises them)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = _follower_outcome(shared, task)
    kept = tuple((w.category, str(w.message)) for w in caught)
    return replace(outcome, warned=kept)


def _follower_outcome(shared: SharedWork, task: FollowerTask) -> FollowerOutcome:
    cfg, inputs, follower = shared.config, shared.core, task.follower
    study = follower_event_study(
        inputs,
        follower,
        shared.events,
        horizons=cfg.horizons,
        path_days=cfg.path_days,
        reps=cfg.reps,
        placebo_draws=cfg.placebo_draws,
        alpha=cfg.alpha,
        seed=cfg.seed + task.index,
    )
    if task.crypto_index is None or task.span is None or task.span_times is None or shared.sweep_events is None:
        return FollowerOutcome(follower.name, study, None, None, math.nan, None)
    grid = cfg.sweep_grid()
    leader = inputs.leader_close
    span_entry = entry_map_after(inputs.leader_known, task.span_times)
    excess = signal_excess_returns(leader, task.span, span_entry, cfg.horizons, grid)
    excess = excess.loc[:, excess.to_numpy().std(axis=0) > 0]  # finite by construction
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSampleWarning)
        rw = romano_wolf(excess, reps=cfg.rw_reps, alpha=cfg.alpha, seed=cfg.seed + 7 * task.crypto_index)
    split = pd.Timestamp(cfg.in_sample_end)
    family = SweepFamily(
        follower.name, rw, _walk_forward(inputs, task.span, task.span_times, grid, cfg.horizons, split, cfg)
    )
    close, times = follower.bars()
    if close.isna().any():
        note = f"backtest of {follower.name} skipped: its daily closes have gaps"
        return FollowerOutcome(follower.name, study, family, None, math.nan, note)
    entry = entry_map_after(inputs.leader_known, times)
    positions = np.searchsorted(pd.DatetimeIndex(leader.index), pd.DatetimeIndex([e.date for e in shared.events]))
    signals = entry[positions[positions < len(entry)]]
    signals = signals[signals >= 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSampleWarning)
        result = backtest_hold(
            close, signals, cfg.backtest_hold, fee_bps=cfg.fee_bps, slippage_bps=cfg.slippage_bps, execution_lag=0
        )
    trial_sr = _trial_sharpes(close, entry, shared.sweep_events, cfg)
    n_trials = max(len(trial_sr), 1)
    dsr = result.deflated_sharpe(n_trials, float(np.nanvar(trial_sr)) if len(trial_sr) > 1 else 0.0)
    return FollowerOutcome(follower.name, study, family, result, dsr, None)


def _trial_sharpes(
    close: pd.Series, entry: np.ndarray, sweep_events: tuple[np.ndarray, np.ndarray], cfg: StudyConfig
) -> np.ndarray:
    """Per-period Sharpe of every (definition, hold) the sweep tried, on the sweep's own events
    (CSR offsets and leader-session indices): the spread the DSR deflates by."""
    offsets, indices = sweep_events
    signal_sets = []
    for d in range(len(offsets) - 1):
        signals = entry[indices[offsets[d] : offsets[d + 1]]]
        signal_sets.append(signals[signals >= 0])
    sharpes = hold_sharpes(
        close, signal_sets, cfg.horizons, fee_bps=cfg.fee_bps, slippage_bps=cfg.slippage_bps, execution_lag=0
    )
    return sharpes.ravel()
