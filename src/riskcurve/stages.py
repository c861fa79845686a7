"""The four-stage monitor: which stage of the rotation the market is in, why, and since when.

Stage 1 credit easing -> 2 large caps rally -> 3 small caps lead -> 4 crypto follows (0 = none).
Every stage is a short list of transparent rules on the indicator board (metric, comparison,
threshold from the config). A stage counts as *reached* when its rules all pass and the stage before
it was reached within the last ``memory_sessions`` sessions: the thesis is a sequence, not a
checklist. A rule on a metric that is unknown at the time (a stale feed, too little history) is
neither passed nor failed: it blocks the stage and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskcurve._json import jsonable
from riskcurve.data.panel import AlignedPanel
from riskcurve.errors import CatalogError
from riskcurve.events import CalendarEvent, events_near
from riskcurve.measures.board import Board, BoardConfig, compute_board
from riskcurve.measures.breakout import BreakoutEvent

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
    metric: str
    op: Comparison
    threshold: float
    label: str

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
            Rule("spx_vs_ma200", ">=", 0.0, "S&P 500 vs its 200-session average"),
            Rule("spx_ret_63", ">=", 0.03, "S&P 500 63-session return"),
            Rule("nasdaq_ret_63", ">=", 0.0, "Nasdaq-100 63-session return (Composite if NDX is stale)"),
        ),
        3: (
            Rule("rut_minus_spx_63", ">=", 0.0, "Russell 2000 minus S&P 500, 63-session return"),
            Rule("rut_minus_nasdaq_63", ">=", 0.0, "Russell 2000 minus Nasdaq-100, 63-session return"),
            Rule("sessions_since_breakout", "<=", 63.0, "Sessions since the last Russell 2000 breakout"),
        ),
        4: (
            Rule("eth_ret_30d", ">=", 0.05, "ETH 30-day return"),
            Rule("eth_btc_vs_ma50", ">=", 0.0, "ETH/BTC vs its 50-day average"),
            Rule("altseason", ">=", 50.0, "Altcoin season index (top-50, 90 days)"),
        ),
    }


@dataclass(frozen=True)
class StageConfig:
    """Rules and sequencing; ``from_mapping`` reads ``[stages]`` (``memory_sessions``,
    ``confirm_sessions``, ``follow_window_days``, and ``[stages.thresholds]`` metric = value).

    ``confirm_sessions``: a new stage must hold that many sessions in a row before the monitor
    switches to it, so a rule hovering at its threshold does not flip the stage (and alerts) daily.
    """

    rules: Mapping[int, tuple[Rule, ...]] = field(default_factory=default_rules)
    memory_sessions: int = 126
    confirm_sessions: int = 3
    follow_window_days: tuple[int, int] = (30, 90)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> StageConfig:
        raw = dict(raw)
        base = cls()
        thresholds = dict(raw.pop("thresholds", {}))
        unknown = set(raw) - {"memory_sessions", "confirm_sessions", "follow_window_days"}
        if unknown:
            raise CatalogError(f"config [stages]: unknown keys {sorted(unknown)}")
        metrics = {rule.metric for rules in base.rules.values() for rule in rules}
        bad = set(thresholds) - metrics
        if bad:
            raise CatalogError(f"config [stages.thresholds]: unknown metrics {sorted(bad)}; known: {sorted(metrics)}")
        rules = {
            k: tuple(replace(r, threshold=float(thresholds.get(r.metric, r.threshold))) for r in rs)
            for k, rs in base.rules.items()
        }
        window = tuple(raw.get("follow_window_days", base.follow_window_days))
        if len(window) != 2 or not 0 <= window[0] < window[1]:
            raise CatalogError("config [stages]: follow_window_days must be [start, end] with 0 <= start < end")
        return cls(
            rules=rules,
            memory_sessions=int(raw.get("memory_sessions", base.memory_sessions)),
            confirm_sessions=int(raw.get("confirm_sessions", base.confirm_sessions)),
            follow_window_days=(int(window[0]), int(window[1])),
        )


@dataclass
class StageHistory:
    """Per session: each rule's verdict, each stage active/reached, and the overall stage."""

    rules: dict[int, pd.DataFrame]  # stage -> session x metric nullable booleans
    active: pd.DataFrame  # session x stage (bool)
    reached: pd.DataFrame  # session x stage (bool)
    raw_stage: pd.Series  # session -> highest stage reached that session
    stage: pd.Series  # session -> confirmed stage (0..4), see StageConfig.confirm_sessions

    def timeline(self) -> pd.DataFrame:
        """Runs of the overall stage: start, end, stage, name, sessions."""
        if self.stage.empty:
            return pd.DataFrame(columns=["start", "end", "stage", "name", "sessions"])
        values = self.stage.to_numpy()
        breaks = np.flatnonzero(np.diff(values)) + 1
        starts = np.r_[0, breaks]
        ends = np.r_[breaks - 1, len(values) - 1]
        index = self.stage.index
        return pd.DataFrame(
            {
                "start": index[starts],
                "end": index[ends],
                "stage": values[starts].astype(int),
                "name": [STAGE_NAMES[int(v)] for v in values[starts]],
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
            "(a changed [board] return_window renames the *_63 metrics)"
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


def _breakout_dict(event: BreakoutEvent) -> dict[str, Any]:
    return {
        "series": event.series,
        "date": event.date.date().isoformat(),
        "kind": event.kind,
        "level": event.level,
        "close": event.close,
        "confirmations": {k: jsonable(v) for k, v in event.confirmations.items()},
    }


@dataclass
class Status:
    """What `riskcurve status` reports: the stage now, the evidence, and the context around it."""

    as_of: pd.Timestamp
    session: pd.Timestamp | None
    stage: int
    raw_stage: int
    since: pd.Timestamp | None
    stages: list[dict[str, Any]]
    breakouts: list[BreakoutEvent]
    indicators: dict[str, Any]
    altseason: dict[str, Any]
    context: dict[str, Any]
    follow_window: dict[str, Any] | None
    events: list[CalendarEvent]
    freshness: pd.DataFrame
    timeline: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def name(self) -> str:
        return STAGE_NAMES[self.stage]

    @property
    def stale(self) -> list[str]:
        return [str(s) for s in self.freshness.index[self.freshness["stale"].to_numpy(dtype=bool)]]

    def to_dict(self) -> dict[str, Any]:
        ind = self.indicators
        when = self.session.date() if self.session is not None else self.as_of.date()
        return {
            "as_of": self.as_of.isoformat(),
            "session": jsonable(self.session),
            "stage": self.stage,
            "stage_name": self.name,
            "raw_stage": self.raw_stage,
            "since": jsonable(self.since),
            "stages": self.stages,
            "breakouts": [_breakout_dict(e) for e in self.breakouts],
            "net_liquidity": {
                "usd_bn": ind.get("net_liquidity"),
                "change_4w": ind.get("net_liquidity_chg_4w"),
                "change_13w": ind.get("net_liquidity_chg_13w"),
                "change_26w": ind.get("net_liquidity_chg_26w"),
                "zscore_1y": ind.get("net_liquidity_z1y"),
            },
            "purchases": {
                "treasury_monthly_usd_bn": ind.get("treasury_monthly"),
                "mbs_monthly_usd_bn": ind.get("mbs_monthly"),
                "tga_change_13w_usd_bn": ind.get("tga_chg_13w"),
            },
            "credit": {
                "hy_oas_pct": ind.get("hy_oas_level"),
                "hy_oas_change_13w": ind.get("hy_oas_chg_13w"),
                "hy_oas_percentile_5y": ind.get("hy_oas_pct_rank"),
                "real_yield_10y": ind.get("real_yield_level"),
                "real_yield_change_13w": ind.get("real_yield_chg_13w"),
                "curve_10y3m": ind.get("curve_10y3m"),
            },
            "rotation": {
                "rut_spx_ratio": ind.get("rut_spx_ratio"),
                "rut_ndx_ratio": ind.get("rut_ndx_ratio"),
                "rut_minus_spx_63": ind.get("rut_minus_spx_63"),
                "rut_minus_nasdaq_63": ind.get("rut_minus_nasdaq_63"),
                "rut_outperformance_streak": ind.get("rut_rs_streak"),
                "eth_btc": ind.get("eth_btc"),
                "eth_btc_vs_ma50": ind.get("eth_btc_vs_ma50"),
            },
            "altseason": self.altseason,
            "context": self.context,
            "follow_window": self.follow_window,
            "events": [e.to_dict(when) for e in self.events],
            "stale": self.stale,
            "timeline": [{k: jsonable(v) for k, v in run.items()} for run in self.timeline.to_dict("records")],
            "freshness": [
                {"series": sid, **{k: jsonable(v) for k, v in row.items()}} for sid, row in self.freshness.iterrows()
            ],
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
    if frame.empty:
        session = None
        stage, raw_stage, since, latest = 0, 0, None, pd.Series(dtype="float64")
    else:
        session = pd.Timestamp(frame.index[-1])
        stage = int(history.stage.iloc[-1])
        raw_stage = int(history.raw_stage.iloc[-1])
        since = _run_start(history.stage == stage)
        latest = frame.iloc[-1]
    stages = []
    for k in sorted(cfg.rules):
        verdicts = history.rules[k]
        stages.append(
            {
                "number": k,
                "name": STAGE_NAMES[k],
                "active": bool(history.active[k].iloc[-1]) if len(frame) else False,
                "reached": bool(history.reached[k].iloc[-1]) if len(frame) else False,
                "since": jsonable(_run_start(history.active[k])) if len(frame) else None,
                "rules": [
                    {
                        "metric": r.metric,
                        "label": r.label,
                        "value": jsonable(latest.get(r.metric)),
                        "op": r.op,
                        "threshold": r.threshold,
                        "passed": jsonable(verdicts[r.metric].iloc[-1]) if len(frame) else None,
                    }
                    for r in cfg.rules[k]
                ],
            }
        )
    when = session or board.as_of.tz_localize(None).normalize()
    alt = board.altseason.dropna(subset=["index"])
    altseason = (
        {
            "index": jsonable(alt["index"].iloc[-1]),
            "universe_size": jsonable(alt["universe_size"].iloc[-1]),
            "date": jsonable(pd.Timestamp(alt.index[-1])),
        }
        if len(alt)
        else {"index": None, "universe_size": None, "date": None}
    )
    context = {
        coin: (
            {"date": jsonable(pd.Timestamp(f.index[-1])), **{k: jsonable(v) for k, v in f.iloc[-1].items()}}
            if len(f)
            else {}
        )
        for coin, f in board.context.items()
    }
    recent = [e for e in board.breakouts if e.date >= when - pd.Timedelta(days=365)]
    return Status(
        as_of=board.as_of,
        session=session,
        stage=stage,
        raw_stage=raw_stage,
        since=since,
        stages=stages,
        breakouts=recent,
        indicators={k: jsonable(v) for k, v in latest.items()},
        altseason=altseason,
        context=context,
        follow_window=_follow_window(board.breakouts, when, cfg.follow_window_days),
        events=events_near(calendar, date.fromisoformat(when.date().isoformat()), event_days),
        freshness=freshness if freshness is not None else pd.DataFrame(columns=["stale"]),
        timeline=history.timeline(),
    )


CORE_SERIES = (
    "RUT",
    "SPX",
    "NDX",
    "IXIC",
    "IWM",
    "WALCL",
    "WTREGEN",
    "RRPONTSYD",
    "TREAST",
    "WSHOMCB",
    "BAMLH0A0HYM2",
    "DFII10",
    "DGS10",
    "DGS3MO",
    "BTC",
    "ETH",
)


def status_at(
    panel: AlignedPanel,
    *,
    board_config: BoardConfig | None = None,
    stage_config: StageConfig | None = None,
    calendar: Sequence[CalendarEvent] = (),
) -> Status:
    """The full status as of ``panel.as_of``: board, stages, freshness of the series it rests on."""
    board = compute_board(panel, board_config)
    freshness = panel.staleness([s for s in CORE_SERIES if s in panel.catalog])
    return build_status(board, stage_config, calendar=calendar, freshness=freshness)
