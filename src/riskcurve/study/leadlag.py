"""Lead-lag between the leader (an equity index) and each follower: weekly CCF, Granger, VAR, daily correlation.

The thesis says the leader moves first and the followers catch up. This module measures that
with the standard tools, each stated so it can be read without the code: the weekly
cross-correlation function with its (approximate) 95% band, Granger tests in *both*
directions, a two-variable VAR with orthogonalized impulse responses, and, as context, the
contemporaneous daily correlation with several equity indices by market regime.

Timing is the whole difficulty, because the leader closes at 16:00 New York on exchange
sessions and a crypto follower closes at 00:00 UTC every day.

Weekly returns. Week w is the Saturday..Friday week; it ends at the leader's last session in
it (the Friday close, or Thursday's when Friday is a holiday). The leader's weekly log return
runs from that close in week w-1 to the one in week w. The follower's return runs between its
last closes *at or before* the same two UTC moments (``Follower.close_time`` against
``StudyInputs.leader_known``). For an equity follower on the same exchange the two intervals
are identical. For crypto it is the UTC day that ended 20 hours (New York summer time) or 21
hours (winter) *before* the equity close: the crypto week runs Friday 00:00 UTC to Friday
00:00 UTC, the equity week Friday ~20:00 UTC to Friday ~20:00 UTC.

Why at-or-before: it is the only pairing in which every weekly row is complete at the moment
the leader's close becomes known, so nothing that happened after that moment enters row w (no
look-ahead; a rule acting at the leader close could have built the same table), and crypto
moves after the US close cannot inflate the contemporaneous (k = 0) correlation, which is
therefore, if anything, understated. Its one cost: the leader's last session of week w (about
one of its five) lies inside the follower's week w+1, so same-day co-movement on that day
leaks into the k = +1 correlation and into the one-week Granger test leader -> follower. For a
daily same-session correlation rho that mechanical k = +1 weekly correlation is roughly
rho / sqrt(5 * 7) ~ 0.17 rho. Read a k = +1 peak, or a Granger rejection at lag 1 only, with
that in mind; lags of two weeks and more are free of it. ``follower_grace`` moves the cut-off:
``pd.Timedelta(hours=6)`` takes the crypto day that ends 3-4 hours *after* the US close, so the
weekly intervals overlap ~98% instead of ~88% and the (smaller) leak goes to k = -1, against
the thesis rather than for it.

Alignment control. That leak to k = -1 is the reverse direction's trap: a crypto week that closes
hours after the equity week carries the US evening's news, which equities price only in their
next week, so crypto seems to lead. Every crypto follower's two-way Granger tests are therefore
also run at the other alignment (``FollowerLeadLag.control``): with a grace, again with the crypto
week ending *before* the equity close (the data hold daily UTC bars only, so that is the close of
the UTC day before the equity close date, 20-21 h earlier); without one, on UTC weeks. A reverse
lead that is there on UTC weeks and gone when the crypto week ends first is an alignment artefact.

Daily returns. Each equity session return (close d-1 -> close d) is paired with the follower's
return between its closes at or before the same two moments. For crypto under the default
that is from the UTC day ending before close d-1 to the UTC day ending before close d, i.e.
the move over UTC calendar day d-1 (Friday -> Monday pairs with UTC Friday..Sunday). Those two
intervals share only the 3-4 hours between the US close and midnight UTC, and none of session
d's trading hours, so the default daily "contemporaneous" correlation largely measures crypto
on day d-1 against equities on day d; it is free of look-ahead but understates same-day
co-movement. Pass ``follower_grace=pd.Timedelta(hours=6)`` to pair session d with UTC day d.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from statsmodels.tsa.api import VAR

from riskcurve.data.panel import decision_times, nyse_sessions
from riskcurve.errors import DataValidationError, ShortSampleWarning
from riskcurve.study.inference import MIN_OBSERVATIONS, HypothesisTest, granger_causality, lead_lag_scan
from riskcurve.study.inputs import Follower, StudyInputs

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Below this many complete weeks the weekly statistics are reported with a warning (two years).
MIN_WEEKS = 104
#: The default ``follower_grace``: a follower close counts only if it is no later than the equity close.
NO_GRACE = pd.Timedelta(0)
#: A grace that reaches the UTC midnight after a US close (3-4 h later): crypto on UTC calendar weeks.
UTC_WEEK_GRACE = pd.Timedelta(hours=6)
_HOUR = pd.Timedelta(hours=1)
_WEEK = "W-FRI"


class Regime(NamedTuple):
    """A named date range of equity sessions, inclusive at both ends (``end=None``: to the last session)."""

    label: str
    start: str | pd.Timestamp
    end: str | pd.Timestamp | None


#: ``(label, start, end)``; a :class:`Regime` or a plain tuple.
RegimeSpec = tuple[str, str | pd.Timestamp, str | pd.Timestamp | None]

#: Before Covid, the 2020-2021 liquidity surge, and the tightening cycle since 2022.
DEFAULT_REGIMES: tuple[Regime, ...] = (
    Regime("2017-2019", "2017-01-01", "2019-12-31"),
    Regime("2020-2021", "2020-01-01", "2021-12-31"),
    Regime("2022-", "2022-01-01", None),
)


# --------------------------------------------------------------------------- result types


def _num(value: float) -> float | None:
    """A float for JSON: NaN and infinities become None (JSON has no NaN)."""
    return float(value) if math.isfinite(value) else None


def _nums(values: npt.ArrayLike) -> list[float | None]:
    return [_num(float(v)) for v in np.asarray(values, dtype=np.float64)]


def _iso(stamp: pd.Timestamp | None) -> str | None:
    return None if stamp is None or pd.isna(stamp) else pd.Timestamp(stamp).date().isoformat()


@dataclass(frozen=True, eq=False)
class CrossCorrelation:
    """corr(leader[t], follower[t + k]) for k = -K..K weeks; k > 0 means the leader leads.

    ``band`` is z_{1-alpha/2} / sqrt(n) per lag, the white-noise band: it assumes independent,
    homoskedastic returns, so it is approximate. Volatility clustering, autocorrelation and the
    partial overlap of the two series' weekly windows (module docstring) make the true band
    somewhat wider, and with 2K+1 lags about one in twenty falls outside it by chance.
    """

    lags: IntArray
    corr: FloatArray
    n: IntArray
    band: FloatArray
    alpha: float

    @property
    def outside(self) -> npt.NDArray[np.bool_]:
        """Lags whose correlation lies outside the band."""
        return np.abs(self.corr) > self.band

    @property
    def peak_lag(self) -> int:
        """The lag with the largest absolute correlation."""
        return int(self.lags[np.nanargmax(np.abs(self.corr))])

    def to_frame(self) -> pd.DataFrame:
        """One row per lag: correlation, overlap N, band, and whether it lies outside."""
        return pd.DataFrame(
            {"corr": self.corr, "n": self.n, "band": self.band, "outside": self.outside},
            index=pd.Index(self.lags, name="lag"),
        )


@dataclass(frozen=True)
class GrangerTest:
    """One Granger test with the pieces a table needs beside its readable :class:`HypothesisTest`."""

    cause: str
    effect: str
    role: str  # "leader -> follower" or "follower -> leader"
    lags: int
    df_num: int
    df_denom: int
    test: HypothesisTest

    def to_dict(self) -> dict[str, Any]:
        """JSON-able record: the sentences, N, F, p-value and decision."""
        t = self.test
        return {
            "name": t.name,
            "cause": self.cause,
            "effect": self.effect,
            "causal_direction": self.role,
            "lags": self.lags,
            "null": t.null,
            "alternative": t.alternative,
            "direction": t.direction,
            "n": t.n,
            "f_stat": _num(t.statistic),
            "df_num": self.df_num,
            "df_denom": self.df_denom,
            "pvalue": _num(t.pvalue),
            "alpha": t.alpha,
            "reject": t.reject,
            "conclusion": t.conclusion,
        }


@dataclass(frozen=True, eq=False)
class VarImpulse:
    """A VAR on (leader, follower) weekly returns and its orthogonalized impulse responses.

    Cholesky ordering is leader first, the thesis' causal order: a leader shock may move the
    follower in the same week, a follower shock reaches the leader only a week later (its
    week-0 response is zero by construction). Responses are to a one-standard-deviation shock,
    in weekly log-return units, for weeks 0..H; bands are statsmodels' asymptotic
    (Lütkepohl) intervals at ``1 - alpha``.
    """

    order: int
    aic_order: int
    max_lags: int
    n_obs: int
    alpha: float
    leader_to_follower: FloatArray
    leader_to_follower_lower: FloatArray
    leader_to_follower_upper: FloatArray
    follower_to_leader: FloatArray
    follower_to_leader_lower: FloatArray
    follower_to_leader_upper: FloatArray

    @property
    def weeks(self) -> IntArray:
        """Response horizons 0..H in weeks."""
        return np.arange(self.leader_to_follower.shape[0], dtype=np.int64)

    def to_frame(self) -> pd.DataFrame:
        """One row per week: both responses and their bands."""
        return pd.DataFrame(
            {
                "leader_to_follower": self.leader_to_follower,
                "l2f_lower": self.leader_to_follower_lower,
                "l2f_upper": self.leader_to_follower_upper,
                "follower_to_leader": self.follower_to_leader,
                "f2l_lower": self.follower_to_leader_lower,
                "f2l_upper": self.follower_to_leader_upper,
            },
            index=pd.Index(self.weeks, name="week"),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able record; ``lower``/``upper`` belong to the leader -> follower response."""
        return {
            "order": self.order,
            "aic_order": self.aic_order,
            "max_lags": self.max_lags,
            "n": self.n_obs,
            "alpha": self.alpha,
            "weeks": [int(w) for w in self.weeks],
            "irf_leader_to_follower": _nums(self.leader_to_follower),
            "lower": _nums(self.leader_to_follower_lower),
            "upper": _nums(self.leader_to_follower_upper),
            "irf_follower_to_leader": _nums(self.follower_to_leader),
            "lower_follower_to_leader": _nums(self.follower_to_leader_lower),
            "upper_follower_to_leader": _nums(self.follower_to_leader_upper),
        }


@dataclass(frozen=True)
class RegimeCorrelation:
    """Daily correlation of one follower with one equity within one regime, with a Fisher-z interval.

    ``start``/``end`` are the first and last paired sessions actually found in the regime
    (None when there are none); the regime's configured bounds are in its label.
    """

    equity: str
    regime: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    n: int
    corr: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able record with ISO dates."""
        return {
            "equity": self.equity,
            "regime": self.regime,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "n": self.n,
            "corr": _num(self.corr),
            "ci_low": _num(self.ci_low),
            "ci_high": _num(self.ci_high),
        }


@dataclass(frozen=True, eq=False)
class FollowerLeadLag:
    """Every lead-lag statistic of one follower against the leader.

    ``weekly`` holds the aligned weekly log returns actually used (columns: leader, follower;
    index: the leader's week-end session), so every number here can be recomputed from it.
    ``rolling`` maps a window in sessions to the rolling daily correlation with the leader.
    ``follower_offset_hours`` is the median time from the paired follower close to the leader
    close (about 20-21 for crypto under the default alignment, 0 for a same-exchange equity,
    negative when ``follower_grace`` reaches a later close).
    """

    leader: str
    follower: str
    weekly: pd.DataFrame
    ccf: CrossCorrelation
    granger: list[GrangerTest]
    var: VarImpulse
    regime_correlations: list[RegimeCorrelation]
    rolling: dict[int, pd.Series]
    alpha: float
    follower_grace: pd.Timedelta
    follower_offset_hours: float
    #: Both directions' Granger tests again at the other alignment (module docstring), crypto only.
    control: list[GrangerTest] = field(default_factory=list)
    control_grace: pd.Timedelta | None = None

    def _alignments(self, role: str) -> tuple[GrangerTest, GrangerTest]:
        """The smallest-p Granger test of ``role`` on UTC weeks, and the same lags with the crypto week
        ending before the equity close (``control`` is the other alignment)."""
        pairs = [(self.follower_grace, self.granger), (self.control_grace or NO_GRACE, self.control)]
        utc, before = sorted(pairs, key=lambda pair: pair[0], reverse=True)
        tests = [g for g in utc[1] if g.role == role]
        best = min(tests, key=lambda g: g.test.pvalue if math.isfinite(g.test.pvalue) else 2.0)
        return best, next(g for g in before[1] if g.role == best.role and g.lags == best.lags)

    def reverse_lead(self) -> str:
        """One sentence: the strongest follower -> leader Granger test on each alignment, and what remains."""
        if not self.control or self.control_grace is None:
            return ""
        best, same = self._alignments("follower -> leader")
        p_utc, p_before = best.test.pvalue, same.test.pvalue
        lags = f"{best.lags} weekly lag" + ("s" if best.lags > 1 else "")
        head = (
            f"{self.follower}->{self.leader} Granger p = {p_utc:.4f} ({lags}) on UTC weeks, "
            f"p = {p_before:.4f} when the {self.follower} week ends before the {self.leader} close"
        )
        return head + ": " + self._reverse_conclusion(p_utc, p_before) + "."

    def _reverse_conclusion(self, p_utc: float, p_before: float) -> str:
        if p_utc >= self.alpha and p_before >= self.alpha:
            return "no reverse lead on either alignment"
        if p_before >= self.alpha:
            return "the reverse lead is an alignment artefact"
        return f"a reverse lead remains ({self.follower} moved before {self.leader})"

    def two_way(self) -> str:
        """Both directions in one sentence, each at its smallest-p lag count and on both alignments.

        A leader -> follower lead counts only on UTC weeks, where the same-day leak runs against it;
        with the crypto week ending first the leak runs for it (module docstring)."""
        if not self.control or self.control_grace is None:
            return ""
        forward, forward_before = self._alignments("leader -> follower")
        reverse, reverse_before = self._alignments("follower -> leader")
        leads = forward.test.pvalue < self.alpha

        def pair(utc: GrangerTest, before: GrangerTest) -> str:
            lags = f"{utc.lags} lag" + ("s" if utc.lags > 1 else "")
            return f"{_p(utc.test.pvalue)} / {_p(before.test.pvalue)} ({lags})"

        return (
            f"Weekly Granger p (UTC weeks / {self.follower} week ending first): {self.leader}->{self.follower} "
            f"{pair(forward, forward_before)}, {self.follower}->{self.leader} {pair(reverse, reverse_before)}: "
            + (f"{self.leader} led" if leads else f"no {self.leader} lead")
            + "; "
            + self._reverse_conclusion(reverse.test.pvalue, reverse_before.test.pvalue)
            + "."
        )

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows: ``kind`` is ccf, granger, irf or regime_corr; ``value`` is corr, F or response."""
        leader, follower = self.leader, self.follower
        rows: list[dict[str, Any]] = [
            {
                "kind": "ccf",
                "equity": leader,
                "label": f"{leader}(t) vs {follower}(t+k)",
                "lag": lag,
                "n": n,
                "value": corr,
                "lower": -band,
                "upper": band,
            }
            for lag, corr, n, band in zip(self.ccf.lags, self.ccf.corr, self.ccf.n, self.ccf.band, strict=True)
        ]
        rows += [
            {
                "kind": "granger",
                "equity": leader,
                "label": f"{g.cause} -> {g.effect}",
                "lag": g.lags,
                "n": g.test.n,
                "value": g.test.statistic,
                "pvalue": g.test.pvalue,
            }
            for g in self.granger
        ]
        irf = self.var.to_frame()
        for label, column, low, high in (
            (f"{leader} shock -> {follower}", "leader_to_follower", "l2f_lower", "l2f_upper"),
            (f"{follower} shock -> {leader}", "follower_to_leader", "f2l_lower", "f2l_upper"),
        ):
            rows += [
                {
                    "kind": "irf",
                    "equity": leader,
                    "label": label,
                    "lag": week,
                    "n": self.var.n_obs,
                    "value": row[column],
                    "lower": row[low],
                    "upper": row[high],
                }
                for week, row in irf.iterrows()
            ]
        rows += [
            {
                "kind": "regime_corr",
                "equity": r.equity,
                "label": r.regime,
                "n": r.n,
                "value": r.corr,
                "lower": r.ci_low,
                "upper": r.ci_high,
            }
            for r in self.regime_correlations
        ]
        frame = pd.DataFrame(rows, columns=["kind", "equity", "label", "lag", "n", "value", "lower", "upper", "pvalue"])
        frame.insert(0, "follower", self.follower)
        frame["lag"] = frame["lag"].astype("Int64")
        frame["n"] = frame["n"].astype("Int64")
        return frame

    def summary(self) -> str:
        """Readable report: sample and alignment, CCF, every Granger test in words, IRFs, correlations."""
        leader, follower = self.leader, self.follower
        weeks = self.weekly.index
        grace = self.follower_grace
        alignment = (
            f"{follower} closes at or before each {leader} close"
            if grace == NO_GRACE
            else f"{follower} closes at or before {grace} after each {leader} close"
        )
        offset = self.follower_offset_hours
        if offset > 0:
            alignment += (
                f"; the paired {follower} close is a median {offset:.1f} h before the {leader} close, so a daily "
                f"pair shares only the last {max(24 - offset, 0):.0f} h of a one-day interval"
            )
        elif offset < 0:
            alignment += f"; the paired {follower} close is a median {-offset:.1f} h after the {leader} close"
        level = f"{1 - self.alpha:.0%}"
        lines = [
            f"Lead-lag {leader} -> {follower}",
            f"  weekly sample: {len(weeks)} weeks of log returns, weeks ending {_iso(weeks[0])} .. {_iso(weeks[-1])}"
            " (Saturday..Friday weeks, ending at the last session)",
            f"  alignment: {alignment} (UTC close times; see riskcurve.study.leadlag for what this implies)",
            "",
            f"Cross-correlation {leader}(t) vs {follower}(t+k) in weeks; k > 0: {leader} leads. "
            f"{level} band = z/sqrt(n), approximate (assumes independent, homoskedastic returns; "
            "volatility clustering widens it, and ~1 lag in 20 falls outside by chance)"
            + (
                f"; as aligned, {leader}'s last session of each week lies in {follower}'s next week, so k = +1 "
                "(and lag-1 Granger below) also carry same-day co-movement:"
                if offset > 0
                else ":"
            ),
            self.ccf.to_frame().to_string(float_format=_fmt),
            f"  largest |corr| at k = {self.ccf.peak_lag}; outside the band at k = "
            + (", ".join(str(k) for k in self.ccf.lags[self.ccf.outside]) or "none"),
            "",
            f"Granger causality on weekly returns, both directions ({len(self.granger)} tests, unadjusted):",
        ]
        lines += [str(g.test) for g in self.granger]
        if self.control:
            lines += ["", f"Alignment control: {self.reverse_lead()}"]
        var = self.var
        lines += [
            "",
            f"VAR({var.order}) on weekly returns, order by AIC up to {var.max_lags}"
            + (f" (AIC chose {var.aic_order}; at least 1 lag is fitted)" if var.aic_order != var.order else "")
            + f", N = {var.n_obs}.",
            f"Orthogonalized impulse responses (ordering {leader}, {follower}; one-s.d. shock, weekly log-return "
            f"units) with {level} asymptotic bands:",
            var.to_frame()
            .rename(
                columns={
                    "leader_to_follower": f"{leader}->{follower}",
                    "follower_to_leader": f"{follower}->{leader}",
                }
            )
            .to_string(float_format=_fmt),
            "",
            f"Daily correlation of {follower} with each equity by regime ({level} Fisher-z interval; "
            "session returns paired as described above):",
            pd.DataFrame([r.to_dict() for r in self.regime_correlations]).to_string(index=False, float_format=_fmt),
        ]
        latest = [
            f"{w} sessions: {s.dropna().iloc[-1]:.3f} ({_iso(s.dropna().index[-1])})"
            for w, s in self.rolling.items()
            if s.notna().any()
        ]
        lines.append(f"Rolling daily correlation with {leader}, latest: " + ("; ".join(latest) or "none"))
        return "\n".join(lines)

    def brief(self) -> str:
        """The statistics of ``summary`` as a person reads them (``riskcurve study --details``): the sample
        and alignment, the cross-correlations outside the band, every Granger p on both alignments, the
        VAR's responses and the regime correlations."""
        leader, follower, ccf = self.leader, self.follower, self.ccf
        weeks = self.weekly.index
        outside = ", ".join(
            f"k = {k}: {c:+.2f}" for k, c in zip(ccf.lags[ccf.outside], ccf.corr[ccf.outside], strict=True)
        )
        offset = self.follower_offset_hours
        lines = [
            f"Lead-lag {leader} -> {follower}: {len(weeks)} weeks ending {_iso(weeks[0])} .. {_iso(weeks[-1])}; "
            f"{follower}'s close is paired with each {leader} close up to {self.follower_grace / _HOUR:.0f} h after it "
            f"(median {abs(offset):.1f} h {'before' if offset > 0 else 'after'})",
            f"  weekly cross-correlation, k > 0: {leader} leads (approximate band +-{float(np.max(ccf.band)):.2f}): "
            f"largest at k = {ccf.peak_lag}; outside the band: {outside or 'none'}",
            "  Granger p-values on weekly returns (unadjusted):",
            self._granger_table().to_string(),
            self._var_sentence(),
            f"  daily correlation of {follower} with each equity by regime (95% Fisher-z interval, sessions):",
            self._regime_table().to_string(),
            "",
        ]
        return "\n".join(lines)

    def _granger_table(self) -> pd.DataFrame:
        """Rows: direction and lags; columns: the alignment (this one, and the control's if any)."""
        columns = {_alignment_label(self.follower, self.follower_grace): self.granger}
        if self.control and self.control_grace is not None:
            columns[_alignment_label(self.follower, self.control_grace)] = self.control
        return pd.DataFrame(
            {
                label: {
                    f"{g.cause}->{g.effect}, {g.lags} lag{'s' if g.lags > 1 else ''}": _p(g.test.pvalue) for g in tests
                }
                for label, tests in columns.items()
            }
        )

    def _regime_table(self) -> pd.DataFrame:
        """Rows: equity; columns: regime; cells: 'corr (low to high), n'."""
        cells = pd.DataFrame(
            [
                {
                    "equity": r.equity,
                    "regime": r.regime,
                    "cell": f"{r.corr:.2f} ({r.ci_low:.2f} to {r.ci_high:.2f}), {r.n:,}".replace("-0.00", "0.00"),
                }
                for r in self.regime_correlations
            ]
        )
        if cells.empty:
            return cells
        return cells.pivot(index="equity", columns="regime", values="cell").rename_axis(index=None, columns=None)

    def _var_sentence(self) -> str:
        var, leader, follower = self.var, self.leader, self.follower
        later = int(np.argmax(np.abs(var.leader_to_follower[1:]))) + 1 if len(var.weeks) > 1 else 0
        return (
            f"  VAR({var.order}), N = {var.n_obs:,}: a one-s.d. {leader} shock moves {follower} "
            f"{var.leader_to_follower[0]:+.1%} the same week ({var.leader_to_follower_lower[0]:+.1%} to "
            f"{var.leader_to_follower_upper[0]:+.1%}); its largest later response is "
            f"{var.leader_to_follower[later]:+.1%} in week {later} ({var.leader_to_follower_lower[later]:+.1%} to "
            f"{var.leader_to_follower_upper[later]:+.1%}); weekly log returns"
        )

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: lists, floats (None for NaN), ints, strings; rolling series cut to one point a week."""
        weeks = self.weekly.index
        return {
            "leader": self.leader,
            "follower": self.follower,
            "follower_grace_hours": self.follower_grace / pd.Timedelta(hours=1),
            "follower_offset_hours": _num(self.follower_offset_hours),
            "weekly": {"n": len(weeks), "start": _iso(weeks[0]), "end": _iso(weeks[-1])},
            "ccf": {
                "lags": [int(k) for k in self.ccf.lags],
                "corr": _nums(self.ccf.corr),
                "band": _nums(self.ccf.band),
                "n": [int(n) for n in self.ccf.n],
                "alpha": self.alpha,
            },
            "granger": [g.to_dict() for g in self.granger],
            "alignment_control": {
                "follower_grace_hours": None
                if self.control_grace is None
                else self.control_grace / pd.Timedelta(hours=1),
                "granger": [g.to_dict() for g in self.control],
                "reverse_lead": self.reverse_lead(),
            },
            "var": self.var.to_dict(),
            "regime_correlations": [r.to_dict() for r in self.regime_correlations],
            "rolling": {str(w): _weekly_points(s) for w, s in self.rolling.items()},
        }


@dataclass(frozen=True, eq=False)
class LeadLagReport:
    """Lead-lag statistics of every follower against one leader, and the settings used."""

    leader: str
    followers: dict[str, FollowerLeadLag]
    settings: dict[str, Any]

    def __getitem__(self, follower: str) -> FollowerLeadLag:
        return self.followers[follower]

    def to_frame(self) -> pd.DataFrame:
        """All followers' tidy rows, one table."""
        return pd.concat([f.to_frame() for f in self.followers.values()], ignore_index=True)

    def summary(self) -> str:
        """Each follower's report, one after another."""
        return "\n\n".join(f.summary() for f in self.followers.values())

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``{"leader", "settings", "followers": {name: FollowerLeadLag.to_dict()}}``."""
        return {
            "leader": self.leader,
            "settings": self.settings,
            "followers": {name: f.to_dict() for name, f in self.followers.items()},
        }


def _p(value: float) -> str:
    """A p-value as read: three decimals, '<0.001' below that."""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _alignment_label(follower: str, grace: pd.Timedelta) -> str:
    return "UTC weeks" if grace > NO_GRACE else f"{follower} week ends first"


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _weekly_points(series: pd.Series) -> dict[str, list[Any]]:
    """The last valid value of each Saturday..Friday week, keeping its own session date."""
    valid = series.dropna()
    dates = pd.DatetimeIndex(valid.index)
    last = ~dates.to_period(_WEEK).duplicated(keep="last")
    return {"dates": [_iso(d) for d in dates[last]], "values": _nums(valid.to_numpy()[last])}


# --------------------------------------------------------------------------- alignment


def _session_dates(index: pd.Index, what: str) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        raise DataValidationError(f"{what}: the index must be a DatetimeIndex of session dates")
    dates = index.tz_localize(None) if index.tz is not None else index
    if not dates.is_monotonic_increasing or not dates.is_unique:
        raise DataValidationError(f"{what}: session dates must be unique and increasing")
    return dates.normalize()


def _check_sessions(close: pd.Series, close_time: pd.DatetimeIndex, what: str) -> FloatArray:
    """Closes as a float array, refusing gaps, non-positive values and misaligned or naive times."""
    values = close.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        raise DataValidationError(
            f"{what}: {int(bad.sum())} missing or non-positive closes (first at {close.index[np.argmax(bad)]}); "
            "pass exchange sessions only"
        )
    if len(close_time) != len(values):
        raise DataValidationError(f"{what}: {len(values)} closes but {len(close_time)} close times")
    if close_time.tz is None:
        raise DataValidationError(f"{what}: close times must be timezone-aware (UTC)")
    return values


_DAY_NS = 86_400_000_000_000


def _own_bar_close(follower: Follower, cutoff_ns: np.ndarray) -> np.ndarray:
    """When the follower's own bar last completed at or before each cutoff (UTC ns): the last UTC
    midnight for crypto, the last NYSE 16:00 close otherwise."""
    if follower.periods_per_year == 365:
        return (cutoff_ns // _DAY_NS) * _DAY_NS
    closes = decision_times("nyse", nyse_sessions()).as_unit("ns").asi8
    return closes[np.clip(np.searchsorted(closes, cutoff_ns, side="right") - 1, 0, None)]


def _follower_asof(follower: Follower, moments: pd.DatetimeIndex, grace: pd.Timedelta) -> tuple[FloatArray, FloatArray]:
    """The follower's close of its own bar ending at or before each ``moment + grace`` (NaN if it has none).

    Only that bar counts: an older close carried to the moment would make a return of zero (and
    a correlation over fake flat days) where the follower simply has no data. Also returns how
    many hours before each moment that close happened (NaN where none), so a report can state the
    offset its alignment implies instead of leaving it to the reader.
    """
    if follower.close_time.tz is None or moments.tz is None:
        raise DataValidationError(f"follower {follower.name}: close times must be timezone-aware (UTC)")
    if len(follower.close_time) != len(follower.close):
        raise DataValidationError(
            f"follower {follower.name}: {len(follower.close)} closes but {len(follower.close_time)} close times"
        )
    close = follower.close.to_numpy(dtype=np.float64)
    times = follower.close_time.as_unit("ns").asi8
    usable = np.isfinite(close) & (close > 0)
    close, times = close[usable], times[usable]
    if np.any(np.diff(times) <= 0):
        raise DataValidationError(f"follower {follower.name}: close times must be strictly increasing")
    cutoff = (moments + grace).as_unit("ns").asi8
    position = np.searchsorted(times, cutoff, side="right") - 1
    out = np.full(len(moments), np.nan)
    hours = np.full(len(moments), np.nan)
    found = np.flatnonzero(position >= 0)
    found = found[times[position[found]] == _own_bar_close(follower, cutoff[found])]
    out[found] = close[position[found]]
    hours[found] = (moments.as_unit("ns").asi8[found] - times[position[found]]) / 3.6e12
    return out, hours


def weekly_returns(
    leader_close: pd.Series,
    leader_known: pd.DatetimeIndex,
    follower: Follower,
    *,
    follower_grace: pd.Timedelta = NO_GRACE,
) -> pd.DataFrame:
    """Weekly log returns of leader and follower over the same intervals (see the module docstring).

    One row per Saturday..Friday week that has a leader session, indexed by its last session
    (Friday, or Thursday when Friday is a holiday); columns ``leader`` and ``follower``. The
    first week, a week after a week without any session, and weeks the follower has no fresh
    close for are NaN rather than a return over a longer span.
    """
    dates = _session_dates(leader_close.index, "leader")
    close = _check_sessions(leader_close, leader_known, "leader")
    periods = dates.to_period(_WEEK)
    last = ~periods.duplicated(keep="last")
    week_close = close[last]
    week_follower, _ = _follower_asof(follower, leader_known[last], pd.Timedelta(follower_grace))
    consecutive = np.diff(periods[last].asi8) == 1
    with np.errstate(invalid="ignore", divide="ignore"):
        leader_ret = np.where(consecutive, np.log(week_close[1:] / week_close[:-1]), np.nan)
        follower_ret = np.where(consecutive, np.log(week_follower[1:] / week_follower[:-1]), np.nan)
    return pd.DataFrame(
        {"leader": leader_ret, "follower": follower_ret}, index=pd.DatetimeIndex(dates[last][1:], name="week_end")
    )


def paired_daily_returns(
    equity_close: pd.Series,
    equity_close_time: pd.DatetimeIndex,
    follower: Follower,
    *,
    follower_grace: pd.Timedelta = NO_GRACE,
) -> pd.DataFrame:
    """Each equity session's log return (close d-1 -> d) beside the follower's over the same interval.

    The follower's return runs between its last closes at or before the two equity close
    moments (plus ``follower_grace``); see the module docstring for what that means for crypto.
    Indexed by session d; columns ``equity`` and ``follower`` (NaN where the follower has no
    fresh close).
    """
    dates = _session_dates(equity_close.index, "equity")
    close = _check_sessions(equity_close, equity_close_time, "equity")
    paired, _ = _follower_asof(follower, equity_close_time, pd.Timedelta(follower_grace))
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {"equity": np.log(close[1:] / close[:-1]), "follower": np.log(paired[1:] / paired[:-1])},
            index=pd.DatetimeIndex(dates[1:], name="session"),
        )


def _longest_complete_run(frame: pd.DataFrame) -> pd.DataFrame:
    """The longest block of consecutive rows without NaN: Granger and VAR need an unbroken series."""
    ok = np.isfinite(frame.to_numpy(dtype=np.float64)).all(axis=1)
    if not ok.any():
        return frame.iloc[0:0]
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
    starts, ends = edges[::2], edges[1::2]
    best = int(np.argmax(ends - starts))
    return frame.iloc[starts[best] : ends[best]]


# --------------------------------------------------------------------------- statistics


def _cross_correlation(x: FloatArray, y: FloatArray, max_lag: int, alpha: float) -> CrossCorrelation:
    """Both halves from lead_lag_scan: corr(y[t], x[t+m]) is corr(x[t], y[t-m]), i.e. lag k = -m."""
    ahead = lead_lag_scan(x, y, max_lag)
    behind = lead_lag_scan(y, x, max_lag)
    n = np.concatenate([behind.n[:0:-1], ahead.n])
    return CrossCorrelation(
        lags=np.arange(-max_lag, max_lag + 1, dtype=np.int64),
        corr=np.concatenate([behind.corr[:0:-1], ahead.corr]),
        n=n,
        band=stats.norm.ppf(1 - alpha / 2) / np.sqrt(n),
        alpha=alpha,
    )


def _granger_tests(
    weekly: pd.DataFrame, leader: str, follower: str, lags: Sequence[int], alpha: float
) -> list[GrangerTest]:
    out: list[GrangerTest] = []
    roles = {(leader, follower): "leader -> follower", (follower, leader): "follower -> leader"}
    for lag in lags:
        result = granger_causality(weekly, list(roles), lag, alpha=alpha)
        for (cause, effect), f_stat, pvalue in zip(roles, result.f_stat, result.pvalue, strict=True):
            test = HypothesisTest(
                name=f"Granger causality {cause} -> {effect}, weekly returns, {lag} lag(s), ssr F test",
                null=f"{cause} weekly returns do not Granger-cause {effect} weekly returns",
                alternative=(
                    f"{cause} weekly returns Granger-cause {effect} weekly returns: their last {lag} week(s) "
                    f"help predict {effect} beyond {effect}'s own past"
                ),
                direction="greater",
                n=result.n_obs,
                statistic_name=f"F({result.df_num}, {result.df_denom})",
                statistic=float(f_stat),
                pvalue=float(pvalue),
                alpha=alpha,
                notes=f"causal direction tested: {roles[(cause, effect)]}; not adjusted for the other tests",
            )
            out.append(
                GrangerTest(str(cause), str(effect), roles[(cause, effect)], lag, result.df_num, result.df_denom, test)
            )
    return out


def _var_impulse(weekly: pd.DataFrame, max_lags: int, horizon: int, alpha: float) -> VarImpulse:
    """VAR with the AIC order (at least 1: a VAR(0) has no dynamics to show) and asymptotic IRF bands."""
    model = VAR(weekly.to_numpy(dtype=np.float64))
    aic_order = int(model.select_order(maxlags=max_lags, trend="c").aic)
    order = max(1, aic_order)
    fitted = model.fit(order, trend="c")
    irf = fitted.irf(horizon)
    response = np.asarray(irf.orth_irfs)  # [week, responding variable, shocked variable]
    half = stats.norm.ppf(1 - alpha / 2) * np.asarray(irf.stderr(orth=True))
    return VarImpulse(
        order=order,
        aic_order=aic_order,
        max_lags=max_lags,
        n_obs=int(fitted.nobs),
        alpha=alpha,
        leader_to_follower=response[:, 1, 0],
        leader_to_follower_lower=response[:, 1, 0] - half[:, 1, 0],
        leader_to_follower_upper=response[:, 1, 0] + half[:, 1, 0],
        follower_to_leader=response[:, 0, 1],
        follower_to_leader_lower=response[:, 0, 1] - half[:, 0, 1],
        follower_to_leader_upper=response[:, 0, 1] + half[:, 0, 1],
    )


def _fisher_interval(r: float, n: int, alpha: float) -> tuple[float, float]:
    """Fisher z interval tanh(atanh(r) -/+ z / sqrt(n - 3)); assumes independent bivariate-normal pairs."""
    if n < 4 or not math.isfinite(r):
        return math.nan, math.nan
    with np.errstate(divide="ignore"):
        z = float(np.arctanh(r))
    half = float(stats.norm.ppf(1 - alpha / 2)) / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def _regime_correlations(
    equity: str, follower: str, pairs: pd.DataFrame, regimes: Sequence[RegimeSpec], alpha: float
) -> list[RegimeCorrelation]:
    complete = pairs.dropna()
    out: list[RegimeCorrelation] = []
    for label, start, end in regimes:
        part = complete.loc[pd.Timestamp(start) : (pd.Timestamp(end) if end is not None else None)]
        n = len(part)
        if 0 < n < MIN_OBSERVATIONS:
            warnings.warn(
                f"daily correlation of {follower} with {equity} in regime {label} rests on only {n} sessions",
                ShortSampleWarning,
                stacklevel=4,
            )
        x, y = part["equity"].to_numpy(), part["follower"].to_numpy()
        r = float(np.corrcoef(x, y)[0, 1]) if n >= 3 and x.std() > 0 and y.std() > 0 else math.nan
        low, high = _fisher_interval(r, n, alpha)
        first, last = (part.index[0], part.index[-1]) if n else (None, None)
        out.append(RegimeCorrelation(equity, label, first, last, n, r, low, high))
    return out


# --------------------------------------------------------------------------- entry point


def _follower_report(
    inputs: StudyInputs,
    follower: Follower,
    equities: Mapping[str, tuple[pd.Series, pd.DatetimeIndex]],
    *,
    max_lag_weeks: int,
    granger_lags: Sequence[int],
    var_max_lags: int,
    irf_weeks: int,
    regimes: Sequence[RegimeSpec],
    rolling_windows: Sequence[int],
    alpha: float,
    grace: pd.Timedelta,
) -> FollowerLeadLag:
    leader, name = inputs.leader, follower.name
    if name == leader:
        raise ValueError(f"follower {name} has the leader's name")
    weekly = _aligned_weeks(inputs, follower, grace)
    need = max(max_lag_weeks + 4, 3 * max(*granger_lags, var_max_lags) + 2)
    if len(weekly) < need:
        raise ValueError(f"{leader} vs {name}: only {len(weekly)} complete weeks; these settings need at least {need}")
    if len(weekly) < MIN_WEEKS:
        warnings.warn(
            f"lead-lag {leader} vs {name} rests on only {len(weekly)} weeks", ShortSampleWarning, stacklevel=3
        )
    control_grace, control = None, []
    if follower.periods_per_year == 365:  # an equity follower's weeks end at the same close either way
        control_grace = NO_GRACE if grace > NO_GRACE else UTC_WEEK_GRACE
        control = _granger_tests(_aligned_weeks(inputs, follower, control_grace), leader, name, granger_lags, alpha)
    x, y = weekly[leader].to_numpy(), weekly[name].to_numpy()
    _, offset = _follower_asof(follower, inputs.leader_known, grace)
    correlations: list[RegimeCorrelation] = []
    rolling: dict[int, pd.Series] = {}
    for equity, (close, close_time) in equities.items():
        pairs = paired_daily_returns(close, close_time, follower, follower_grace=grace)
        correlations += _regime_correlations(equity, name, pairs, regimes, alpha)
        if equity == leader:
            rolling = {
                w: pairs["equity"]
                .rolling(w, min_periods=w)
                .corr(pairs["follower"])
                .rename(f"{name} vs {leader}, {w} sessions")
                for w in rolling_windows
            }
    return FollowerLeadLag(
        leader=leader,
        follower=name,
        weekly=weekly,
        ccf=_cross_correlation(x, y, max_lag_weeks, alpha),
        granger=_granger_tests(weekly, leader, name, granger_lags, alpha),
        var=_var_impulse(weekly, var_max_lags, irf_weeks, alpha),
        regime_correlations=correlations,
        rolling=rolling,
        alpha=alpha,
        follower_grace=grace,
        follower_offset_hours=float(np.nanmedian(offset)),
        control=control,
        control_grace=control_grace,
    )


def _aligned_weeks(inputs: StudyInputs, follower: Follower, grace: pd.Timedelta) -> pd.DataFrame:
    """The longest unbroken run of weekly (leader, follower) returns at one alignment."""
    weekly = weekly_returns(inputs.leader_close, inputs.leader_known, follower, follower_grace=grace)
    return _longest_complete_run(weekly).set_axis([inputs.leader, follower.name], axis=1)


def lead_lag(
    inputs: StudyInputs,
    equities: Mapping[str, pd.Series] | None = None,
    *,
    max_lag_weeks: int = 12,
    granger_lags: Sequence[int] = (1, 2, 4),
    var_max_lags: int = 8,
    irf_weeks: int = 12,
    regimes: Sequence[RegimeSpec] = DEFAULT_REGIMES,
    rolling_windows: Sequence[int] = (30, 60, 90),
    alpha: float = 0.05,
    follower_grace: pd.Timedelta | str = NO_GRACE,
) -> LeadLagReport:
    """Weekly CCF, two-way Granger tests, VAR impulse responses and daily regime correlations per follower.

    ``equities`` are further NYSE indices (e.g. ``{"SPX": ..., "NDX": ...}``) whose daily
    correlation with each follower is reported beside the leader's; their closes are on NYSE
    session dates (NaNs are dropped, as from a column of a wider frame) and are taken as known
    at 16:00 New York. ``follower_grace`` (default 0) is how long after an equity close a
    follower close still counts as simultaneous with it; the module docstring explains the
    default and when to change it. Regimes are ``(label, start, end)`` on equity session dates,
    inclusive, ``end=None`` meaning open-ended. Granger tests are reported unadjusted.
    """
    grace = pd.Timedelta(follower_grace)
    if grace < NO_GRACE:
        raise ValueError(f"follower_grace must not be negative, got {grace}")
    if max_lag_weeks < 1 or var_max_lags < 1 or irf_weeks < 1:
        raise ValueError("max_lag_weeks, var_max_lags and irf_weeks must be positive")
    if not granger_lags or min(granger_lags) < 1:
        raise ValueError(f"granger_lags must be positive lags, got {tuple(granger_lags)}")
    if rolling_windows and min(rolling_windows) < 3:
        raise ValueError(f"rolling windows must be at least 3 sessions, got {tuple(rolling_windows)}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    for label, start, end in regimes:
        if end is not None and pd.Timestamp(end) < pd.Timestamp(start):
            raise ValueError(f"regime {label} ends before it starts")
    extra = dict(equities or {})
    if inputs.leader in extra:
        raise ValueError(f"equities must not repeat the leader {inputs.leader}; its own closes and times are used")
    sessions: dict[str, tuple[pd.Series, pd.DatetimeIndex]] = {
        inputs.leader: (inputs.leader_close, inputs.leader_known)
    }
    for name, raw in extra.items():
        close = raw.dropna()
        sessions[name] = (close, decision_times("nyse", _session_dates(close.index, name)))
    settings = {
        "max_lag_weeks": max_lag_weeks,
        "granger_lags": [int(g) for g in granger_lags],
        "var_max_lags": var_max_lags,
        "irf_weeks": irf_weeks,
        "regimes": [
            {"label": label, "start": _iso(pd.Timestamp(start)), "end": _iso(pd.Timestamp(end)) if end else None}
            for label, start, end in regimes
        ],
        "rolling_windows": [int(w) for w in rolling_windows],
        "alpha": alpha,
        "follower_grace_hours": grace / pd.Timedelta(hours=1),
        "equities": list(sessions),
    }
    reports: dict[str, FollowerLeadLag] = {}
    for name, follower in inputs.followers.items():  # a plain loop keeps the warnings' stacklevel exact
        reports[name] = _follower_report(
            inputs,
            follower,
            sessions,
            max_lag_weeks=max_lag_weeks,
            granger_lags=granger_lags,
            var_max_lags=var_max_lags,
            irf_weeks=irf_weeks,
            regimes=regimes,
            rolling_windows=rolling_windows,
            alpha=alpha,
            grace=grace,
        )
    return LeadLagReport(inputs.leader, reports, settings)
