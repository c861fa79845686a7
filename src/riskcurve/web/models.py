"""Response models of /api/status and /api/study: the documents of ``Status.to_dict()`` and
``StudyRun.to_dict()`` written down as pydantic models, so /docs and /openapi.json show their schema.

They document, they do not re-validate: the endpoints return the service's pre-serialised JSON (the
status is cached as bytes per data moment) and FastAPI only uses these models for the schema. A test
validates real responses against them, so the models cannot drift from what is served. Parts other
modules own and extend (channels, claims, the study's statistics) allow extra fields.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Day = str  # YYYY-MM-DD, or an ISO timestamp where a moment is meant


class Open(BaseModel):
    """A part whose owner may add fields: those pass through, typed as they come."""

    model_config = ConfigDict(extra="allow")


class RuleOut(BaseModel):
    metric: str
    label: str
    op: str = Field(examples=[">="])
    threshold: float
    value: float | None = Field(description="None = unknown (see reason)")
    date: Day | None = Field(description="the date the value is true for")
    passed: bool | None = Field(description="None = unknown")
    source: str | None = Field(description="the series that fed it when a stand-in or named input")
    reason: str | None
    display: str = Field(description="the value as people read it", examples=["+4.2%"])
    threshold_display: str


class StageOut(BaseModel):
    number: int
    name: str
    active: bool
    reached: bool
    state: str = Field(examples=["rules pass", "rules do not pass", "unknown"])
    rules_passing_since: Day | None
    rules: list[RuleOut]


class StatusBreakout(Open):
    series: str
    date: Day
    kind: str
    level: float
    close: float
    held: bool | None = Field(description="None while it is too early to say")
    volume_ratio: float | None
    confirmations: dict[str, Any]


class NetLiquidity(BaseModel):
    usd_bn: float | None
    change_4w: float | None
    change_13w: float | None
    change_26w: float | None
    zscore_1y: float | None
    date: Day | None
    tga_convention: str | None = Field(description="which TGA the figure subtracts (Wednesday level or week average)")


class Purchases(BaseModel):
    treasury_monthly_usd_bn: float | None
    mbs_monthly_usd_bn: float | None
    tga_change_13w_usd_bn: float | None
    date: Day | None


class Credit(BaseModel):
    hy_oas_pct: float | None
    hy_oas_change_13w: float | None
    hy_oas_percentile_5y: float | None
    real_yield_10y: float | None
    real_yield_change_13w: float | None
    curve_10y3m: float | None
    date: Day | None


class Rotation(BaseModel):
    rut_spx_ratio: float | None
    rut_ndx_ratio: float | None
    rut_minus_spx: float | None
    rut_minus_nasdaq: float | None
    rut_outperformance_streak: float | None
    eth_btc: float | None
    eth_btc_vs_ma50: float | None
    date: Day | None
    eth_btc_date: Day | None


class Altseason(BaseModel):
    index: float | None = Field(description="0-100; None = unknown (see reason)")
    universe_size: int | None
    ranking_date: Day | None
    date: Day | None
    reason: str | None


class ChannelReading(Open):
    key: str
    channel: str
    label: str
    value: float | None
    unit: str
    date: Day | None
    display: str
    reason: str | None


class ChannelsOut(Open):
    as_of: Day
    readings: list[ChannelReading]


class ClaimOut(Open):
    id: str
    claim: str
    made: Day
    value: float | None
    date: Day | None
    display: str
    word: str = Field(description="the plain word the data give the claim", examples=["holds", "does not hold"])
    reason: str | None


class ClaimsOut(Open):
    as_of: Day
    claims: list[ClaimOut]


class CalendarEventOut(Open):
    date: Day
    end: Day | None
    kind: str
    title: str
    days_from_as_of: int


class TimelineRun(BaseModel):
    start: Day
    end: Day
    stage: int | None
    name: str
    sessions: int


class FreshnessRow(Open):
    series: str
    last_date: Day | None
    published: Day | None
    age_days: float | None
    stale: bool


class StatusOut(BaseModel):
    """`riskcurve status --json`: the stage, every rule with its value, threshold and date, the context."""

    as_of: Day
    session: Day | None = Field(description="the last NYSE session closed by as_of")
    stage: int | None = Field(description="confirmed stage 0-4; None = unknown (see unknown_reason)")
    stage_name: str
    unknown_reason: str | None
    leader_close: Day | None = Field(description="the newest real close of the leader")
    assessment: str | None
    raw_stage: int | None = Field(description="today's rules, before confirmation")
    confirmed_since: Day | None
    stages: list[StageOut]
    breakouts: list[StatusBreakout]
    net_liquidity: NetLiquidity
    purchases: Purchases
    credit: Credit
    rotation: Rotation
    altseason: Altseason
    channels: ChannelsOut | None
    claims: ClaimsOut | None
    context: dict[str, dict[str, Any]] = Field(description="per coin: drawdowns, volatility, funding, with a date")
    follow_window: dict[str, Any] | None
    events: list[CalendarEventOut]
    stale: list[str]
    timeline: list[TimelineRun]
    freshness: list[FreshnessRow]
    notes: list[str]


class LedgerSignal(Open):
    date: Day
    kind: str
    level: float
    close: float


class LedgerEntryOut(Open):
    signal_date: Day
    follower: str
    horizon: int
    outcome: str = Field(examples=["realised", "pending", "unknown"])
    entry_date: Day | None
    end_date: Day | None
    realised: float | None
    baseline: float | None
    excess: float | None
    reason: str | None


class LedgerOut(Open):
    leader: str
    claim_date: Day
    as_of: Day
    horizons: list[int]
    signals: list[LedgerSignal]
    entries: list[LedgerEntryOut]


class HorizonStats(Open):
    horizon: int
    n: int = Field(description="events with a complete forward window")
    mean: float | None
    excess_all: float | None = Field(description="mean minus the mean over all days")
    p_placebo: float | None
    p_bootstrap: float | None


class FollowerStudy(Open):
    follower: str
    events: list[dict[str, Any]]
    stats: list[HorizonStats]


class AdjustedP(Open):
    follower: str
    horizon: int
    p_adjusted: float | None = Field(description="Holm-adjusted over the follower x horizon tests")


class SummaryRow(Open):
    """One follower's line of the study's summary table; also ``excess_{h}d_pts`` and
    ``interval_{h}d_pts`` per horizon (points of simple return, 95% interval of the excess)."""

    follower: str
    n: int = Field(description="events with a forward return at the deciding horizon")
    decided_at_days: int | None = Field(description="the thesis horizon (30/60/90 days) that decides the word")
    p_placebo: float | None = Field(description="era-matched placebo p at the deciding horizon")
    p_holm: float | None = Field(description="Holm-adjusted over the event study's follower x horizon tests")
    mde_pts: float | None = Field(description="minimum detectable excess (80% power), points")
    verdict: str = Field(description="evidence / suggestive / no evidence / no data, by verdict_rule")


class StudyEvent(Open):
    date: Day
    kind: str
    level: float
    close: float


class StudyOut(Open):
    """The last `riskcurve study` result: its as-of, data fingerprint and run time, the ledger, the
    event study per follower with adjusted p-values, the sweep, backtests and verdicts."""

    as_of: Day
    fingerprint: str = Field(description="the data the study saw")
    computed_at: Day
    label: str
    ledger: LedgerOut | None = None
    leader: str | None = None
    period: list[Day] | None = None
    events: list[StudyEvent] = []
    event_study: dict[str, FollowerStudy] = {}
    adjusted_p: list[AdjustedP] = []
    summary: list[SummaryRow] = Field(default=[], description="the one-screen table, a row per follower")
    verdict_rule: str | None = Field(default=None, description="the rule that gives each verdict word")
    verdict: dict[str, str] = Field(default={}, description="per follower, in words")
    notes: list[str] = []
