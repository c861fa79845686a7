"""The four-stage monitor: which stage of the rotation the market is in, why, and since when.

Stage 1 credit easing -> 2 large caps rally -> 3 small caps lead -> 4 crypto follows (0 = none).
Every stage is a short list of transparent rules on the indicator board (metric, comparison,
threshold from the config). A stage counts as *reached* when its rules all pass and the stage before
it was reached within the last ``memory_sessions`` sessions: the thesis is a sequence, not a
checklist. A rule on a metric that is unknown at the time (a stale feed, too little history) is
neither passed nor failed: it blocks the stage and says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from annotated_types import Ge

from riskcurve._json import jsonable
from riskcurve._typing import Role
from riskcurve.catalog import Catalog
from riskcurve.data.panel import AlignedPanel
from riskcurve.errors import CatalogError, unknown_key_hint
from riskcurve.events import CalendarEvent, events_near
from riskcurve.measures.board import Board, BoardConfig, compute_board
from riskcurve.measures.breakout import BreakoutEvent
from riskcurve.measures.liquidity import TGA_CONVENTIONS
from riskcurve.thesis import FOLLOW_WINDOW_DAYS

if TYPE_CHECKING:  # the service attaches them; the stage rules never read them
    from riskcurve.channels import Channels
    from riskcurve.claims import Claims

Comparison = Literal[">=", "<="]

STAGE_NAMES: dict[int, str] = {
    0: "No rotation",
    1: "Credit easing",
    2: "Large caps rally",
    3: "Small caps lead",
    4: "Crypto follows",
}


@dataclass(frozen=True)
class Rule:
    """``metric op threshold`` on the board; ``label`` may hold ``{window}`` (filled from the board's
    metric metadata, e.g. "63-session"); ``percent``: the metric is a fraction shown as a percentage."""

    metric: str
    op: Comparison
    threshold: float
    label: str
    percent: bool = False

    def evaluate(self, values: pd.Series) -> pd.Series:
        """Nullable boolean per row: NA where the metric is unknown."""
        known = values.notna()
        passed = values >= self.threshold if self.op == ">=" else values <= self.threshold
        return pd.Series(pd.array(np.where(known, passed, False), dtype="boolean"), index=values.index).where(
            known, pd.NA
        )


def default_rules() -> dict[int, tuple[Rule, ...]]:
    return {
        1: (
            Rule("hy_oas_chg_13w", "<=", 0.0, "HY spread 13-week change, pp (narrowing)"),
            Rule("hy_oas_pct_rank", "<=", 50.0, "HY spread percentile over 5 years"),
            Rule("net_liquidity_chg_13w", ">=", 0.0, "Fed net liquidity 13-week change, USD bn"),
        ),
        2: (
            Rule("spx_vs_ma200", ">=", 0.0, "S&P 500 vs its 200-session average", percent=True),
            Rule("spx_ret", ">=", 0.03, "S&P 500 {window} return", percent=True),
            Rule("nasdaq_ret", ">=", 0.0, "Nasdaq-100 {window} return (Composite if NDX is stale)", percent=True),
        ),
        3: (
            Rule("rut_minus_spx", ">=", 0.0, "Russell 2000 minus S&P 500, {window} return", percent=True),
            Rule("rut_minus_nasdaq", ">=", 0.0, "Russell 2000 minus Nasdaq-100, {window} return", percent=True),
            Rule("sessions_since_breakout", "<=", 63.0, "Sessions since the last Russell 2000 breakout"),
        ),
        4: (
            Rule("eth_ret", ">=", 0.05, "ETH {window} return", percent=True),
            Rule("eth_btc_vs_ma50", ">=", 0.0, "ETH/BTC vs its 50-day average", percent=True),
            Rule("altseason", ">=", 50.0, "Altcoin season index (top-50, {window})"),
        ),
    }


#: Metric names before the window became metadata; still accepted in ``[stages.thresholds]``.
RENAMED_METRICS: dict[str, str] = {
    "spx_ret_63": "spx_ret",
    "nasdaq_ret_63": "nasdaq_ret",
    "rut_minus_spx_63": "rut_minus_spx",
    "rut_minus_nasdaq_63": "rut_minus_nasdaq",
    "eth_ret_30d": "eth_ret",
}


def _renamed(thresholds: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in thresholds.items():
        if key in RENAMED_METRICS:
            warnings.warn(
                f"config [stages.thresholds]: {key!r} is now {RENAMED_METRICS[key]!r} (the window is "
                "[board] return_window / crypto_return_days); rename it",
                DeprecationWarning,
                stacklevel=3,
            )
        out[RENAMED_METRICS.get(key, key)] = value
    return out


STAGE_KEYS = ("memory_sessions", "confirm_sessions", "follow_window_days", "thresholds")


@dataclass(frozen=True)
class StageConfig:
    """Rules and sequencing; ``from_mapping`` reads ``[stages]`` (``memory_sessions``,
    ``confirm_sessions``, ``follow_window_days``, and ``[stages.thresholds]`` metric = value).

    ``confirm_sessions``: a new stage must hold that many sessions in a row before the monitor
    switches to it, so a rule hovering at its threshold does not flip the stage (and alerts) daily.
    """

    rules: Mapping[int, tuple[Rule, ...]] = field(default_factory=default_rules)
    memory_sessions: Annotated[int, Ge(1)] = 126
    confirm_sessions: Annotated[int, Ge(1)] = 3
    follow_window_days: tuple[Annotated[int, Ge(0)], Annotated[int, Ge(1)]] = FOLLOW_WINDOW_DAYS

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> StageConfig:
        raw = dict(raw)
        base = cls()
        thresholds = _renamed(raw.pop("thresholds", {}))
        unknown = set(raw) - set(STAGE_KEYS)
        if unknown:
            key = sorted(unknown)[0]
            raise CatalogError(f"config [stages]: unknown key {key!r}; {unknown_key_hint(key, STAGE_KEYS)}")
        metrics = {rule.metric for rules in base.rules.values() for rule in rules}
        bad = set(thresholds) - metrics
        if bad:
            raise CatalogError(f"config [stages.thresholds]: unknown metrics {sorted(bad)}; known: {sorted(metrics)}")
        for metric, value in thresholds.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise CatalogError(f"config [stages.thresholds]: {metric} must be a number, got {value!r}")
        rules = {
            k: tuple(replace(r, threshold=float(thresholds.get(r.metric, r.threshold))) for r in rs)
            for k, rs in base.rules.items()
        }
        window = raw.get("follow_window_days", base.follow_window_days)
        if not (
            isinstance(window, list | tuple)
            and len(window) == 2
            and all(isinstance(d, int) for d in window)
            and 0 <= window[0] < window[1]
        ):
            raise CatalogError(
                f"config [stages]: follow_window_days must be [start, end] days with 0 <= start < end, got {window!r}"
            )
        # Types of the counts are checked where the configuration is parsed (riskcurve.service).
        return cls(
            rules=rules,
            memory_sessions=raw.get("memory_sessions", base.memory_sessions),
            confirm_sessions=raw.get("confirm_sessions", base.confirm_sessions),
            follow_window_days=(window[0], window[1]),
        )


@dataclass
class StageHistory:
    """Per session: each rule's verdict, each stage active/reached, and the overall stage."""

    rules: dict[int, pd.DataFrame]  # stage -> session x metric nullable booleans
    active: pd.DataFrame  # session x stage (bool)
    reached: pd.DataFrame  # session x stage (bool)
    raw_stage: pd.Series  # session -> highest stage reached that session
    stage: pd.Series  # session -> confirmed stage (0..4), see StageConfig.confirm_sessions

    def timeline(self, known: pd.Series | None = None) -> pd.DataFrame:
        """Runs of the overall stage: start, end, stage, name, sessions.

        ``known`` (per session) marks where the stage can be known at all; elsewhere (no leader
        close that session) a run reads stage <NA>, "unknown", never "No rotation".
        """
        if self.stage.empty:
            return pd.DataFrame(columns=["start", "end", "stage", "name", "sessions"])
        values = self.stage.to_numpy()
        if known is not None:
            values = np.where(known.reindex(self.stage.index, fill_value=True).to_numpy(dtype=bool), values, -1)
        breaks = np.flatnonzero(np.diff(values)) + 1
        starts = np.r_[0, breaks]
        ends = np.r_[breaks - 1, len(values) - 1]
        index = self.stage.index
        first = values[starts]
        return pd.DataFrame(
            {
                "start": index[starts],
                "end": index[ends],
                "stage": pd.array([int(v) if v >= 0 else None for v in first], dtype="Int64"),
                "name": [STAGE_NAMES[int(v)] if v >= 0 else "unknown" for v in first],
                "sessions": ends - starts + 1,
            }
        )


def _run_start(flags: pd.Series) -> pd.Timestamp | None:
    """First date of the run of True that ends at the last row (None if the last row is False)."""
    values = flags.to_numpy(dtype=bool)
    if not len(values) or not values[-1]:
        return None
    false_positions = np.flatnonzero(~values)
    start = false_positions[-1] + 1 if len(false_positions) else 0
    return pd.Timestamp(flags.index[start])


def classify(frame: pd.DataFrame, config: StageConfig | None = None) -> StageHistory:
    """Stage of every session of the board ``frame``; causal (each row uses rows up to it only)."""
    cfg = config or StageConfig()
    rules: dict[int, pd.DataFrame] = {}
    active = pd.DataFrame(index=frame.index)
    reached = pd.DataFrame(index=frame.index)
    previous: pd.Series | None = None
    missing = sorted({r.metric for rs in cfg.rules.values() for r in rs} - set(frame.columns))
    if missing and len(frame.columns):
        raise CatalogError(
            f"stage rules use metrics the indicator board does not compute: {missing} "
            f"(renamed metrics: {RENAMED_METRICS})"
        )
    for k in sorted(cfg.rules):
        verdicts = pd.DataFrame(
            {r.metric: r.evaluate(frame[r.metric]) for r in cfg.rules[k]},
            index=frame.index,
        ).astype("boolean")
        rules[k] = verdicts
        active[k] = verdicts.fillna(False).all(axis=1).astype(bool)
        if previous is None:
            reached[k] = active[k]
        else:
            recent = previous.astype(float).rolling(cfg.memory_sessions, min_periods=1).max().astype(bool)
            reached[k] = active[k] & recent
        previous = reached[k]
    raw = pd.Series(0, index=frame.index, dtype=int)
    for k in sorted(cfg.rules):
        raw = raw.where(~reached[k], k)
    stage = pd.Series(_confirm(raw.to_numpy(), cfg.confirm_sessions), index=frame.index, name="stage")
    return StageHistory(rules=rules, active=active, reached=reached, raw_stage=raw.rename("raw_stage"), stage=stage)


def _confirm(raw: np.ndarray, sessions: int) -> np.ndarray:
    """Switch to a new stage only after it has been the raw stage ``sessions`` times in a row."""
    out = np.empty_like(raw)
    current, run = (int(raw[0]) if len(raw) else 0), 0
    for i, value in enumerate(raw):
        run = run + 1 if i and value == raw[i - 1] else 1
        if value != current and run >= sessions:
            current = int(value)
        out[i] = current
    return out


def _day(stamp: pd.Timestamp | None) -> str:
    return "unknown date" if stamp is None else f"{stamp:%Y-%m-%d}"


@dataclass(frozen=True)
class RuleEvidence:
    """One rule on the last session: its value and the date that value is true for, or why unknown."""

    metric: str
    label: str
    op: Comparison
    threshold: float
    value: float | None  # None = unknown
    date: pd.Timestamp | None  # the date the value is true for (last real observation)
    passed: bool | None  # None = unknown
    source: str | None  # series that fed it when it is a proxy or named input, e.g. "IXIC"
    reason: str | None  # why unknown, when value/passed is None
    percent: bool = False

    def formatted(self, value: float | None = None) -> str:
        """The value (or ``value``) as text: "+4.2%", "6,024.2", or "unknown (reason)"."""
        x = self.value if value is None else value
        if x is None:
            return f"unknown ({self.reason})" if self.reason else "unknown"
        return f"{x:+.1%}" if self.percent else f"{x:,.2f}".rstrip("0").rstrip(".")

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "label": self.label,
            "op": self.op,
            "threshold": self.threshold,
            "value": jsonable(self.value),
            "date": jsonable(self.date),
            "passed": self.passed,
            "source": self.source,
            "reason": self.reason,
            "display": self.formatted(),  # the one way the value reads: CLI, card and alerts alike
            "threshold_display": self.formatted(self.threshold),
        }


@dataclass(frozen=True)
class StageEvidence:
    number: int
    name: str
    active: bool
    reached: bool
    rules_passing_since: pd.Timestamp | None  # start of the current run of all rules passing
    rules: tuple[RuleEvidence, ...]

    @property
    def unknown_rules(self) -> tuple[RuleEvidence, ...]:
        return tuple(r for r in self.rules if r.passed is None)

    @property
    def state(self) -> str:
        """'rules pass', 'rules do not pass', or 'unknown' when no rule fails but some cannot be
        evaluated: a stage that cannot be assessed is not a stage that failed."""
        if self.active:
            return "rules pass"
        if self.unknown_rules and not any(r.passed is False for r in self.rules):
            return "unknown"
        return "rules do not pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "active": self.active,
            "reached": self.reached,
            "state": self.state,
            "rules_passing_since": jsonable(self.rules_passing_since),
            "rules": [r.to_dict() for r in self.rules],
        }


@dataclass(frozen=True)
class AltseasonReading:
    """The altcoin season index behind the last session, with its coverage (or why unknown)."""

    index: float | None
    universe_size: int | None
    ranking_date: pd.Timestamp | None  # the market-cap ranking snapshot it ranked by
    date: pd.Timestamp | None  # the UTC day it is computed for
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: jsonable(getattr(self, k)) for k in ("index", "universe_size", "ranking_date", "date", "reason")}


@dataclass
class Status:
    """What `riskcurve status` reports: the stage now, the evidence, and the context around it.

    ``stage`` is None when it cannot be known (``unknown_reason`` says why): unknown is not
    "no rotation", which is stage 0 on fresh inputs whose rules just do not pass.
    """

    as_of: pd.Timestamp
    session: pd.Timestamp | None
    stage: int | None  # confirmed stage; None = unknown (see unknown_reason)
    raw_stage: int | None  # today's rules, before confirmation
    confirmed_since: pd.Timestamp | None  # start of the confirmed stage's run
    unknown_reason: str | None
    leader_close: pd.Timestamp | None  # the newest real close of the leader (what the data reach)
    stages: tuple[StageEvidence, ...]
    breakouts: list[BreakoutEvent]
    altseason: AltseasonReading
    notes: list[str]  # flags such as proxy switches that a stage start depends on
    indicators: dict[str, Any]
    indicator_dates: dict[str, pd.Timestamp | None]
    context: dict[str, Any]
    follow_window: dict[str, Any] | None
    events: list[CalendarEvent]
    freshness: pd.DataFrame
    timeline: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    channels: Channels | None = None  # the liquidity channels beside the rules (the service adds them)
    claims: Claims | None = None  # the thesis's dated claims against the data
    indicator_sources: dict[str, str] = field(default_factory=dict)  # metric -> series that fed it (board.sources)

    @property
    def name(self) -> str:
        return "unknown" if self.stage is None else STAGE_NAMES[self.stage]

    @property
    def stale(self) -> list[str]:
        return [str(s) for s in self.freshness.index[self.freshness["stale"].to_numpy(dtype=bool)]]

    def headline(self) -> str:
        if self.stage is None:
            return f"stage unknown — {self.unknown_reason}"
        since = f", confirmed since {_day(self.confirmed_since)}" if self.confirmed_since is not None else ""
        raw = f" (today's rules: stage {self.raw_stage})" if self.raw_stage != self.stage else ""
        blocked = f"; {self.assessment}" if self.assessment else ""
        return f"stage {self.stage} {self.name}{since}{raw}{blocked}"

    @property
    def assessment(self) -> str | None:
        """The stage above the current one, when it cannot be assessed (no rule fails, one is unknown)."""
        above = next((st for st in self.stages if self.stage is not None and st.number == self.stage + 1), None)
        if above is None or above.state != "unknown":
            return None
        labels = ", ".join(r.label.split(" (")[0] for r in above.unknown_rules)
        return f"stage {above.number} cannot be assessed ({labels} unknown)"

    def _figure(self, key: str, unit: str = "", percent: bool = False) -> str:
        value = self.indicators.get(key)
        if value is None:
            return "unknown"
        text = f"{value:+.1%}" if percent else f"{value:,.1f}{unit}"
        return f"{text} ({_day(self.indicator_dates.get(key))})"

    def _tga_convention(self, prefix: str = "") -> str:
        """Which TGA the net-liquidity figures use (a Wednesday level, or the week average before those begin)."""
        source = self.indicator_sources.get("net_liquidity")
        return f"{prefix}{TGA_CONVENTIONS[source]}" if source in TGA_CONVENTIONS else ""

    def summary(self) -> str:
        """A short plain-text headline, the rules and key figures, each with its date."""
        session = f", session {_day(self.session)}" if self.session is not None else ""
        lines = [f"riskcurve status as of {self.as_of:%Y-%m-%d %H:%M} UTC{session}", self.headline()]
        for st in self.stages:
            state = "reached" if st.reached else st.state
            passing = st.rules_passing_since
            since = f", rules passing since {_day(passing)}" if passing is not None else ""
            lines.append(f"  {st.number} {st.name}: {state}{since}")
            for r in st.rules:
                verdict = {True: "pass", False: "fail", None: "unknown"}[r.passed]
                when = f" ({_day(r.date)})" if r.value is not None else ""
                source = f" [{r.source}]" if r.source else ""
                lines.append(
                    f"      {r.label}: {r.formatted()}{when}{source} {r.op} {r.formatted(r.threshold)} -> {verdict}"
                )
        alt = self.altseason
        alt_text = (
            f"{alt.index:.0f} ({alt.universe_size} coins, ranking {_day(alt.ranking_date)}; {_day(alt.date)})"
            if alt.index is not None
            else f"unknown ({alt.reason})"
        )
        lines += [
            f"  net liquidity: {self._figure('net_liquidity', ' USD bn')}{self._tga_convention(', TGA as ')}",
            f"  HY spread: {self._figure('hy_oas_level', ' %')}",
            f"  altcoin season index: {alt_text}",
        ]
        lines += [f"  note: {n}" for n in self.notes]
        if self.stale:
            stale = ", ".join(self.stale)
            lines.append(f"  stale series (newest observation older than its frequency allows): {stale}")
        lines += [part.summary() for part in (self.channels, self.claims) if part is not None]
        return "\n".join(lines)

    __str__ = summary

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: stage, rule, value, date, threshold, passed, source."""
        return pd.DataFrame(
            [
                {
                    "stage": st.number,
                    "rule": r.label,
                    "metric": r.metric,
                    "value": r.value,
                    "date": r.date,
                    "op": r.op,
                    "threshold": r.threshold,
                    "passed": r.passed,
                    "source": r.source,
                    "reason": r.reason,
                }
                for st in self.stages
                for r in st.rules
            ]
        )

    def _repr_html_(self) -> str:
        return f"<p><b>{self.headline()}</b></p>" + self.to_frame().to_html(index=False, na_rep="unknown")

    def to_dict(self) -> dict[str, Any]:
        ind = self.indicators
        when = self.session.date() if self.session is not None else self.as_of.date()
        return {
            "as_of": self.as_of.isoformat(),
            "session": jsonable(self.session),
            "stage": self.stage,
            "stage_name": self.name,
            "unknown_reason": self.unknown_reason,
            "leader_close": jsonable(self.leader_close),
            "assessment": self.assessment,
            "raw_stage": self.raw_stage,
            "confirmed_since": jsonable(self.confirmed_since),
            "stages": [st.to_dict() for st in self.stages],
            "breakouts": [e.to_dict() for e in self.breakouts],
            "net_liquidity": {
                "usd_bn": ind.get("net_liquidity"),
                "change_4w": ind.get("net_liquidity_chg_4w"),
                "change_13w": ind.get("net_liquidity_chg_13w"),
                "change_26w": ind.get("net_liquidity_chg_26w"),
                "zscore_1y": ind.get("net_liquidity_z1y"),
                "date": jsonable(self.indicator_dates.get("net_liquidity")),
                "tga_convention": self._tga_convention() or None,
            },
            "purchases": {
                "treasury_monthly_usd_bn": ind.get("treasury_monthly"),
                "mbs_monthly_usd_bn": ind.get("mbs_monthly"),
                "tga_change_13w_usd_bn": ind.get("tga_chg_13w"),
                "date": jsonable(self.indicator_dates.get("treasury_monthly")),
            },
            "credit": {
                "hy_oas_pct": ind.get("hy_oas_level"),
                "hy_oas_change_13w": ind.get("hy_oas_chg_13w"),
                "hy_oas_percentile_5y": ind.get("hy_oas_pct_rank"),
                "real_yield_10y": ind.get("real_yield_level"),
                "real_yield_change_13w": ind.get("real_yield_chg_13w"),
                "curve_10y3m": ind.get("curve_10y3m"),
                "date": jsonable(self.indicator_dates.get("hy_oas_level")),
            },
            "rotation": {
                "rut_spx_ratio": ind.get("rut_spx_ratio"),
                "rut_ndx_ratio": ind.get("rut_ndx_ratio"),
                "rut_minus_spx": ind.get("rut_minus_spx"),
                "rut_minus_nasdaq": ind.get("rut_minus_nasdaq"),
                "rut_outperformance_streak": ind.get("rut_rs_streak"),
                "eth_btc": ind.get("eth_btc"),
                "eth_btc_vs_ma50": ind.get("eth_btc_vs_ma50"),
                "date": jsonable(self.indicator_dates.get("rut_minus_spx")),
                "eth_btc_date": jsonable(self.indicator_dates.get("eth_btc")),
            },
            "altseason": self.altseason.to_dict(),
            "channels": self.channels.to_dict() if self.channels is not None else None,
            "claims": self.claims.to_dict() if self.claims is not None else None,
            "context": self.context,
            "follow_window": self.follow_window,
            "events": [e.to_dict(when) for e in self.events],
            "stale": self.stale,
            "timeline": [{k: jsonable(v) for k, v in run.items()} for run in self.timeline.to_dict("records")],
            "freshness": [
                {"series": sid, **{k: jsonable(v) for k, v in row.items()}} for sid, row in self.freshness.iterrows()
            ],
            "notes": list(self.notes),
        }


def _follow_window(events: Sequence[BreakoutEvent], when: pd.Timestamp, days: tuple[int, int]) -> dict[str, Any] | None:
    """The window after the last breakout in which the thesis expects crypto to follow."""
    if not events:
        return None
    last = events[-1].date
    opens, closes = last + pd.Timedelta(days=days[0]), last + pd.Timedelta(days=days[1])
    if when > closes + pd.Timedelta(days=days[1]):
        return None
    state = "pending" if when < opens else ("open" if when <= closes else "closed")
    return {
        "breakout_date": last.date().isoformat(),
        "opens": opens.date().isoformat(),
        "closes": closes.date().isoformat(),
        "state": state,
    }


def _stamp(value: Any) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def _unknown_why(metric: str, board: Board, session: pd.Timestamp) -> str:
    """Why a rule's metric is unknown on ``session``: no computation, a stale input, or short history."""
    if metric not in board.frame.columns:
        return "the board does not compute it"
    last = _stamp(board.dates[metric].iloc[-1]) if metric in board.dates.columns else None
    if metric == "altseason":
        reason = _altseason_at(board, last).reason
        if reason:
            return reason
    if last is None:
        return "no observation yet"
    if last < session:
        return f"no observation on {session:%Y-%m-%d}; the newest is from {last:%Y-%m-%d}"
    return "not enough history for its window"


def _rule_evidence(rule: Rule, verdicts: pd.Series, board: Board, session: pd.Timestamp) -> RuleEvidence:
    latest = board.frame.iloc[-1]
    raw = latest.get(rule.metric)
    value = None if raw is None or pd.isna(raw) else float(raw)
    date = _stamp(board.dates[rule.metric].iloc[-1]) if value is not None and rule.metric in board.dates else None
    source = board.sources[rule.metric].iloc[-1] if rule.metric in board.sources.columns else None
    passed = verdicts.iloc[-1]
    return RuleEvidence(
        metric=rule.metric,
        label=rule.label.format(window=board.windows.get(rule.metric, "")).replace("  ", " "),
        op=rule.op,
        threshold=rule.threshold,
        value=value,
        date=date if value is not None else None,
        passed=None if passed is pd.NA else bool(passed),
        source=None if source is None or pd.isna(source) else str(source),
        reason=None if value is not None else _unknown_why(rule.metric, board, session),
        percent=rule.percent,
    )


def _stage_evidence(history: StageHistory, cfg: StageConfig, board: Board) -> tuple[StageEvidence, ...]:
    if board.frame.empty:
        return tuple(StageEvidence(k, STAGE_NAMES[k], False, False, None, ()) for k in sorted(cfg.rules))
    session = pd.Timestamp(board.frame.index[-1])
    return tuple(
        StageEvidence(
            number=k,
            name=STAGE_NAMES[k],
            active=bool(history.active[k].iloc[-1]),
            reached=bool(history.reached[k].iloc[-1]),
            rules_passing_since=_run_start(history.active[k]),
            rules=tuple(_rule_evidence(r, history.rules[k][r.metric], board, session) for r in cfg.rules[k]),
        )
        for k in sorted(cfg.rules)
    )


def _altseason_at(board: Board, day: pd.Timestamp | None) -> AltseasonReading:
    """The altcoin season reading for UTC ``day`` (the day the board's last session used)."""
    alt = board.altseason
    if day is None or day not in alt.index:
        return AltseasonReading(None, None, None, None, "no altcoin season index for this session")
    row = alt.loc[day]
    size = None if pd.isna(row["universe_size"]) else int(row["universe_size"])
    index = None if pd.isna(row["index"]) else float(row["index"])
    reason = row.get("reason")
    return AltseasonReading(
        index=index,
        universe_size=size,
        ranking_date=_stamp(row.get("ranking_date")),
        date=pd.Timestamp(day),
        reason=None if index is not None else (str(reason) if isinstance(reason, str) else "unknown"),
    )


def _leader_unknown(board: Board, session: pd.Timestamp | None) -> str | None:
    """The reason the stage cannot be known: the leader has no close on the last session.

    A board without observation dates (a frame built by hand) is taken at its word.
    """
    column = f"{board.leader.lower()}_close"
    name = board.names.get(board.leader, board.leader)
    if board.dates.empty and session is not None:
        return None
    if session is None or column not in board.dates.columns:
        return f"no {name} close as of this moment"
    last = _stamp(board.dates[column].iloc[-1])
    if last is None:
        return f"no {name} close as of this moment"
    if last < session:
        return f"newest {name} close {last:%Y-%m-%d}; `--as-of latest` shows that day"
    return None


def _newest_leader_close(board: Board) -> pd.Timestamp | None:
    column = f"{board.leader.lower()}_close"
    if column not in board.dates.columns or board.dates.empty:
        return None
    return _stamp(board.dates[column].dropna().max()) if board.dates[column].notna().any() else None


def _leader_observed(board: Board) -> pd.Series | None:
    """Per session: did the leader close that session (so a stage can be known)? None: no dates."""
    column = f"{board.leader.lower()}_close"
    if board.dates.empty or column not in board.dates.columns:
        return None
    observed = pd.DatetimeIndex(board.dates[column]) == pd.DatetimeIndex(board.frame.index)
    return pd.Series(observed, index=board.frame.index)


def _switches(sources: pd.Series) -> pd.DatetimeIndex:
    """Sessions on which a stand-in series took over from another (or handed back)."""
    known = sources.dropna()
    changed = known.ne(known.shift()) & known.shift().notna()
    return pd.DatetimeIndex(known.index[changed.to_numpy()])


def _proxy_notes(
    stages: tuple[StageEvidence, ...], board: Board, confirmed_since: pd.Timestamp | None, stage: int | None
) -> list[str]:
    """Flag a stage start that falls on, or rests on, a switch of input series (NDX -> IXIC)."""
    notes: list[str] = []
    for st in stages:
        start = st.rules_passing_since
        if start is None:
            continue
        end = confirmed_since if (st.number == stage and confirmed_since is not None) else start
        for rule in st.rules:
            if rule.metric not in board.sources.columns:
                continue
            sources = board.sources[rule.metric]
            for day in _switches(sources):
                if start <= day <= max(start, end):
                    before = sources[sources.index < day].dropna()
                    old = before.iloc[-1] if len(before) else "?"
                    notes.append(
                        f"stage {st.number} starts {start:%Y-%m-%d}; {rule.metric} switched from {old} to "
                        f"{sources[day]} on {day:%Y-%m-%d}: the start rests on that switch"
                        if day != start
                        else f"stage {st.number} starts {start:%Y-%m-%d}, the session the {rule.metric} input "
                        f"switched from {old} to {sources[day]}"
                    )
    return list(dict.fromkeys(notes))


def build_status(
    board: Board,
    config: StageConfig | None = None,
    *,
    calendar: Sequence[CalendarEvent] = (),
    freshness: pd.DataFrame | None = None,
    event_days: int = 45,
) -> Status:
    """Classify the whole board and describe its last session."""
    cfg = config or StageConfig()
    history = classify(board.frame, cfg)
    frame = board.frame
    session = pd.Timestamp(frame.index[-1]) if len(frame) else None
    latest = frame.iloc[-1] if len(frame) else pd.Series(dtype="float64")
    unknown = _leader_unknown(board, session)
    stage = raw_stage = None
    confirmed_since = None
    if unknown is None and session is not None:
        stage, raw_stage = int(history.stage.iloc[-1]), int(history.raw_stage.iloc[-1])
        confirmed_since = _run_start(history.stage == stage)
    stages = _stage_evidence(history, cfg, board)
    notes = _proxy_notes(stages, board, confirmed_since, stage)
    when = session or board.as_of.tz_localize(None).normalize()
    alt_day = _stamp(board.dates["altseason"].iloc[-1]) if "altseason" in board.dates.columns and len(frame) else None
    context = {
        coin: (
            {"date": jsonable(pd.Timestamp(f.index[-1])), **{k: jsonable(v) for k, v in f.iloc[-1].items()}}
            if len(f)
            else {}
        )
        for coin, f in board.context.items()
    }
    dates = board.dates.iloc[-1] if len(board.dates) else pd.Series(dtype="datetime64[ns]")
    sources = board.sources.iloc[-1] if len(board.sources) else pd.Series(dtype=object)
    return Status(
        as_of=board.as_of,
        session=session,
        stage=stage,
        raw_stage=raw_stage,
        confirmed_since=confirmed_since,
        unknown_reason=unknown,
        leader_close=_newest_leader_close(board),
        stages=stages,
        breakouts=[e for e in board.breakouts if e.date >= when - pd.Timedelta(days=365)],
        altseason=_altseason_at(board, alt_day),
        notes=notes,
        indicators={k: jsonable(v) for k, v in latest.items()},
        indicator_dates={str(k): _stamp(v) for k, v in dates.items()},
        indicator_sources={str(k): str(v) for k, v in sources.items() if isinstance(v, str)},
        context=context,
        follow_window=_follow_window(board.breakouts, when, cfg.follow_window_days),
        events=events_near(calendar, date.fromisoformat(when.date().isoformat()), event_days),
        freshness=freshness if freshness is not None else pd.DataFrame(columns=["stale"]),
        timeline=history.timeline(_leader_observed(board)),
    )


#: The series a status rests on, by role (their freshness is reported beside the stage).
CORE_ROLES: tuple[Role, ...] = (
    "leader",
    "large_cap",
    "tech",
    "tech_proxy",
    "leader_volume",
    "liquidity_component",
    "purchases",
    "credit",
    "rate",
    "follower",
)


def core_series(catalog: Catalog) -> list[str]:
    """Ids of the series the status rests on, from the catalog's roles."""
    return [sid for role in CORE_ROLES for sid in catalog.by_role(role)]


def status_at(
    panel: AlignedPanel,
    *,
    board_config: BoardConfig | None = None,
    stage_config: StageConfig | None = None,
    calendar: Sequence[CalendarEvent] = (),
    board: Board | None = None,
) -> Status:
    """The full status as of ``panel.as_of``: board (computed unless given), stages, freshness of the
    series it rests on."""
    board = board if board is not None else compute_board(panel, board_config)
    freshness = panel.staleness(core_series(panel.catalog))
    return build_status(board, stage_config, calendar=calendar, freshness=freshness)
