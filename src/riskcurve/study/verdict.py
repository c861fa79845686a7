"""The lab's verdict per follower, in a trader's words: one rule for the word, simple returns, scoped tests.

The event study works in log returns (they add up over time and behave under the bootstrap); a
trader reads simple returns. Every figure here is therefore a simple return: the geometric-average
return after the events (``exp(mean log) - 1``), the same on all days, and the excess between them
in points, with a bootstrap interval for that excess (``inference.excess_interval``). The word
follows one rule (:data:`VERDICT_RULE`, :func:`verdict_word`), and each multiple-testing adjustment
is named with the family it adjusts over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from riskcurve._json import jsonable
from riskcurve.thesis import THESIS_HORIZONS

if TYPE_CHECKING:
    from riskcurve.study.events import FollowerEventStudy
    from riskcurve.study.inference import MultipleTestResult
    from riskcurve.study.leadlag import FollowerLeadLag

VerdictWord = Literal["evidence", "suggestive", "no evidence", "no data"]


def verdict_rule(alpha: float, tests: int) -> str:
    """The rule for the verdict word, said once beside the verdicts."""
    return (
        "Verdict rule, decided at whichever of 30, 60 or 90 days (the thesis's one to three months) has the "
        "smallest placebo p: 'evidence' when the era-matched placebo p (events against random dates of their own "
        f"year), Holm-adjusted over the event study's {tests} follower x horizon tests (Holm p), is below "
        f"{alpha:.0%} and no single era carries the result; 'suggestive' when the unadjusted placebo p is below "
        f"{alpha:.0%} (or one era carries an adjusted result); otherwise 'no evidence'. Returns are simple: "
        "exp(mean log return) - 1, a geometric average; the excess is in points over the same on all days, with "
        "a 95% stationary-bootstrap interval (events and baseline both resampled)."
    )


def verdict_word(p_placebo: float, p_holm: float, carried_by: str | None, alpha: float) -> VerdictWord:
    """The one rule of :func:`verdict_rule`: an unknown p is no data, never "no evidence"."""
    if not math.isfinite(p_placebo):
        return "no data"
    if math.isfinite(p_holm) and p_holm < alpha and carried_by is None:
        return "evidence"
    if p_placebo < alpha:
        return "suggestive"
    return "no evidence"


def points(value: float, digits: int = 0) -> str:
    """A difference of simple returns as percentage points: 0.383 -> '+38 pts'; NaN -> 'n/a'."""
    return f"{100 * value:+.{digits}f} pts" if math.isfinite(value) else "n/a"


def percent(value: float, digits: int = 0) -> str:
    """A simple return or a rate as a percentage: 0.62 -> '+62%'; NaN -> 'n/a'."""
    return f"{value:+.{digits}%}" if math.isfinite(value) else "n/a"


@dataclass(frozen=True)
class HorizonExcess:
    """One follower at one horizon, in simple returns: what the summary table shows."""

    horizon: int
    n: int
    mean: float  # geometric-average simple return after the events
    baseline: float  # the same over every day
    excess: float  # points of simple return: mean - baseline
    low: float  # 95% bootstrap interval of the excess
    high: float
    mde: float  # minimum detectable excess (80% power), points at the baseline
    hit_rate: float
    baseline_hit_rate: float
    p_placebo: float
    p_holm: float

    @classmethod
    def from_stats(cls, stats: pd.Series, horizon: int, p_holm: float) -> HorizonExcess:
        return cls(
            horizon=horizon,
            n=int(stats["n"]),
            mean=float(stats["simple_mean"]),
            baseline=float(stats["simple_baseline"]),
            excess=float(stats["simple_excess"]),
            low=float(stats["simple_low"]),
            high=float(stats["simple_high"]),
            mde=float(stats["simple_mde"]),
            hit_rate=float(stats["hit_rate"]),
            baseline_hit_rate=float(stats["baseline_hit_rate"]),
            p_placebo=float(stats["p_placebo"]),
            p_holm=p_holm,
        )

    def interval(self) -> str | None:
        """'-3 to +90': the excess's 95% interval in points; None when it could not be estimated."""
        return f"{100 * self.low:+.0f} to {100 * self.high:+.0f}" if math.isfinite(self.low) else None

    def cell(self) -> str:
        """'+38 pts (-3 to +90)': the excess and its interval, as the summary table shows them."""
        if not math.isfinite(self.excess):
            return "n/a"
        interval = self.interval()
        return points(self.excess) + (f" ({interval})" if interval else "")


@dataclass(frozen=True)
class Verdict:
    """One follower's verdict: the word, the horizon it was decided at, the numbers, the paragraph."""

    follower: str
    word: VerdictWord
    horizon: int | None  # the thesis horizon with the smallest placebo p; None without data
    horizons: tuple[HorizonExcess, ...]
    carried_by: str | None  # the era that carries the result, if one does
    text: str

    def at(self, horizon: int) -> HorizonExcess | None:
        return next((h for h in self.horizons if h.horizon == horizon), None)

    def row(self) -> dict[str, Any]:
        """The summary-table record: excess in points of simple return (numbers; JSON and report)."""
        decided = self.at(self.horizon) if self.horizon is not None else None
        row: dict[str, Any] = {"follower": self.follower, "n": decided.n if decided else 0}
        for h in self.horizons:
            row[f"excess_{h.horizon}d_pts"] = jsonable(round(100 * h.excess, 1))
            row[f"interval_{h.horizon}d_pts"] = h.interval()
        row.update(
            decided_at_days=self.horizon,
            p_placebo=jsonable(decided.p_placebo) if decided else None,
            p_holm=jsonable(decided.p_holm) if decided else None,
            mde_pts=jsonable(round(100 * decided.mde, 1)) if decided else None,
            verdict=self.word,
        )
        return row

    def cells(self) -> dict[str, str]:
        """The same row as a reader sees it (the CLI's table)."""
        decided = self.at(self.horizon) if self.horizon is not None else None
        cells = {"follower": self.follower, "N": str(decided.n) if decided else "0"}
        cells.update({f"{h.horizon}d excess (95%)": h.cell() for h in self.horizons})
        at = f" ({self.horizon}d)" if decided else ""
        cells["placebo p"] = f"{decided.p_placebo:.3f}{at}" if decided else "n/a"
        cells["Holm p"] = f"{decided.p_holm:.3f}" if decided and math.isfinite(decided.p_holm) else "n/a"
        cells["MDE"] = points(decided.mde) if decided else "n/a"
        cells["verdict"] = self.word
        return cells

    def to_dict(self) -> dict[str, Any]:
        return {
            "follower": self.follower,
            "word": self.word,
            "horizon": self.horizon,
            "carried_by": self.carried_by,
            "horizons": [{k: jsonable(v) for k, v in h.__dict__.items()} for h in self.horizons],
            "text": self.text,
        }


def follower_verdict(
    name: str,
    leader: str,
    study: FollowerEventStudy,
    adjusted: pd.DataFrame,
    alpha: float,
    *,
    sweep: MultipleTestResult | None = None,
    sweep_family: str = "",
    lead_lag: FollowerLeadLag | None = None,
) -> Verdict:
    """The verdict on one follower: the word by :func:`verdict_word` at the thesis horizon with the
    smallest placebo p, and a paragraph of about four lines that says what each number means."""
    holm = adjusted[adjusted["follower"] == name].set_index("horizon")["p_adjusted"]
    horizons = tuple(
        HorizonExcess.from_stats(study.stats.loc[h], h, float(holm.get(h, math.nan)))
        for h in THESIS_HORIZONS
        if h in study.stats.index
    )
    tested = [h for h in horizons if math.isfinite(h.p_placebo)]
    if not tested:
        text = f"no {leader} breakout has a complete forward window in {name}'s data, so the data say nothing."
        return Verdict(name, "no data", None, horizons, None, text)
    best = min(tested, key=lambda h: (h.p_placebo, -h.excess))
    era = carrying_era(study, best.horizon, alpha)
    carried_by = str(era["era"]) if era is not None else None
    word = verdict_word(best.p_placebo, best.p_holm, carried_by, alpha)
    lower = " (lower)" if best.hit_rate < best.baseline_hit_rate else ""
    lines = [
        f"{word.upper()} ({best.horizon} days, {best.n} events): after a {leader} breakout {name} returned "
        f"{percent(best.mean)} on average vs {percent(best.baseline)} on all days, an excess of {points(best.excess)} "
        f"(95% {best.interval() or 'n/a'}); up after {best.hit_rate:.0%} of events vs "
        f"{best.baseline_hit_rate:.0%} of days{lower}.",
        f"Placebo p = {best.p_placebo:.3f}, Holm p = {best.p_holm:.3f}. " + era_sentence(study, best.horizon, alpha),
        _power_sentence(best) + _sweep_sentence(name, sweep, sweep_family),
    ]
    if lead_lag is not None:
        lines.append(lead_lag.two_way())
    return Verdict(name, word, best.horizon, horizons, carried_by, " ".join(line.strip() for line in lines))


def _power_sentence(row: HorizonExcess) -> str:
    """How large an excess these events could have shown, and how many events this one would need."""
    text = f"Detectable with {row.n} events (80% power): {points(row.mde)} or more"
    log_excess = math.log1p(row.mean) - math.log1p(row.baseline)
    log_mde = math.log1p(row.baseline + row.mde) - math.log1p(row.baseline)
    if log_excess > 0 and row.n:
        needed = math.ceil((log_mde / log_excess) ** 2 * row.n)
        return text + f"; this excess needs about {needed} events. "
    return text + ". "


def _sweep_sentence(name: str, sweep: MultipleTestResult | None, family: str) -> str:
    """The rolling-high sweep is a separate signal: its best adjusted p, with the family it adjusts over."""
    if sweep is None or not len(sweep.labels):
        return ""
    best = int(pd.Series(sweep.adjusted).idxmin())
    definition, horizon = sweep.labels[best]
    return (
        f"Rolling-high sweep, a separate signal: best Romano-Wolf p = {sweep.adjusted[best]:.3f} over its "
        f"{len(sweep.labels)} tests for {name} ({family}; {definition}, {horizon} days)."
    )


def carrying_era(study: FollowerEventStudy, horizon: int, alpha: float) -> pd.Series | None:
    """The era whose removal leaves no positive excess at ``horizon`` or (for a result significant on its
    placebo) leaves it insignificant; None when no era does or the excess is not positive."""
    row = study.stats.loc[horizon]
    eras = study.eras
    without = eras[(eras["horizon"] == horizon) & (eras["scope"] == "without")].dropna(subset=["excess"])
    if not row["excess_all"] > 0 or len(without) < 2:
        return None
    carries = without[(without["excess"] <= 0) | ((row["p_placebo"] < alpha) & (without["p_placebo"] >= alpha))]
    if carries.empty:
        return None
    return carries.sort_values(["excess", "p_placebo"], ascending=[True, False]).iloc[0]


def era_sentence(study: FollowerEventStudy, horizon: int, alpha: float) -> str:
    """Whether one era carries the result at ``horizon`` (in points of simple return), or the range the
    excess stays in with any one era left out. Empty when the excess is not positive."""
    eras = study.eras
    at = eras[eras["horizon"] == horizon]
    without = at[(at["scope"] == "without")].dropna(subset=["excess"])
    if not study.stats.loc[horizon, "excess_all"] > 0 or len(without) < 2:
        return ""
    worst = carrying_era(study, horizon, alpha)
    if worst is not None:
        alone = at[(at["era"] == worst["era"]) & (at["scope"] == "only")]
        return (
            f"The result comes from {worst['era']} ({int(alone['n'].iloc[0])} events): without it, "
            f"{points(_simple_excess(worst))} (p = {worst['p_placebo']:.2f}, {int(worst['n'])} events)."
        )
    excess = without.apply(_simple_excess, axis=1)
    return (
        f"No single era carries it: without any one era the excess stays {points(excess.min())} to "
        f"{points(excess.max())}."
    )


def _simple_excess(row: pd.Series) -> float:
    """An era row's excess in points of simple return (its mean and baseline are mean log returns)."""
    return math.exp(row["mean"]) - math.exp(row["baseline"])
