"""Inference for the thesis lab: bootstrap intervals, placebo and multiple-testing tests.

Why this module exists: a breakout sweep tries hundreds of definitions on a few dozen
episodes, overlapping forward windows and autocorrelated crypto returns. Naive t-statistics
then reject far too often. Every test here therefore (a) respects serial dependence with the
stationary bootstrap or a placebo of equally spaced random dates, (b) adjusts for the number
of configurations tried when asked about a whole sweep, and (c) reports itself as a
:class:`HypothesisTest` that states the null, the direction, N, the statistic, the p-value
and the conclusion in words, so a result can be read without the code.

Inputs are plain arrays or pandas objects; NaNs are refused rather than dropped, because a
gap inside a series silently glues unrelated blocks together in a block bootstrap.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskcurve.errors import DataValidationError, ShortSampleWarning
from riskcurve.study import _kernels

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Alternative = Literal["greater", "less", "two-sided"]

#: Below this many observations a bootstrap or placebo p-value is reported with a warning.
MIN_OBSERVATIONS = 30
#: Below this many events a placebo comparison is reported with a warning.
MIN_EVENTS = 5
_SEED_LIMIT = 2**32
_DIRECTION_WORDS = {
    "greater": "one-sided, larger than under the null",
    "less": "one-sided, smaller than under the null",
    "two-sided": "two-sided, different from the null",
}


@dataclass(frozen=True)
class HypothesisTest:
    """Outcome of one hypothesis test, readable on its own.

    ``null`` and ``alternative`` are sentences; ``direction`` is the sidedness. ``reject`` is
    ``pvalue < alpha``; ``conclusion`` words it, and never reads a non-rejection as proof of
    the null.
    """

    name: str
    null: str
    alternative: str
    direction: Alternative
    n: int
    statistic_name: str
    statistic: float
    pvalue: float
    alpha: float = 0.05
    notes: str = ""

    @property
    def reject(self) -> bool:
        """Whether the p-value is below ``alpha`` (a NaN p-value never rejects)."""
        return bool(self.pvalue < self.alpha)

    @property
    def conclusion(self) -> str:
        """The decision in words, at the test's own ``alpha``."""
        level = f"{self.alpha:.0%}"
        if self.reject:
            return f"Reject the null at the {level} level (p = {self.pvalue:.3g}): {self.alternative}."
        return (
            f"Cannot reject the null at the {level} level (p = {self.pvalue:.3g}); "
            "the data are consistent with it, which does not show it is true."
        )

    def summary(self) -> str:
        """Multi-line report: null, direction, N, statistic, p-value, conclusion."""
        lines = [
            self.name,
            f"  null:        {self.null}",
            f"  alternative: {self.alternative} ({_DIRECTION_WORDS[self.direction]})",
            f"  N:           {self.n}",
            f"  statistic:   {self.statistic_name} = {self.statistic:.4g}",
            f"  p-value:     {self.pvalue:.4g} (alpha = {self.alpha:g})",
            f"  conclusion:  {self.conclusion}",
        ]
        if self.notes:
            lines.append(f"  notes:       {self.notes}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        """One-row frame, so many tests can be concatenated into a table."""
        return pd.DataFrame(
            [
                {
                    "name": self.name,
                    "null": self.null,
                    "direction": self.direction,
                    "n": self.n,
                    "statistic_name": self.statistic_name,
                    "statistic": self.statistic,
                    "pvalue": self.pvalue,
                    "alpha": self.alpha,
                    "reject": self.reject,
                }
            ]
        )


@dataclass(frozen=True)
class BootstrapCI:
    """A stationary-bootstrap confidence interval and the settings that produced it."""

    estimate: float
    lower: float
    upper: float
    level: float
    method: str
    block: float
    reps: int
    n: int

    def summary(self) -> str:
        """One line: estimate, interval, and how it was obtained."""
        return (
            f"{self.estimate:.4g}  [{self.lower:.4g}, {self.upper:.4g}]  "
            f"{self.level:.0%} {self.method} CI, stationary bootstrap, mean block {self.block:.3g}, "
            f"{self.reps} resamples, N = {self.n}"
        )

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        """One-row frame of the interval and its settings."""
        return pd.DataFrame([self.__dict__])


@dataclass(frozen=True, eq=False)
class MultipleTestResult:
    """Per-configuration p-values of a sweep, raw and adjusted for the whole family.

    ``adjusted`` controls the family-wise error rate: the chance that *any* configuration is
    declared significant when none has an effect stays at ``alpha``.
    """

    labels: pd.Index
    statistic: FloatArray
    pvalue: FloatArray
    adjusted: FloatArray
    method: str
    direction: Alternative
    n_obs: int
    reps: int
    block: float
    alpha: float = 0.05

    @property
    def rejected(self) -> pd.Index:
        """Labels of configurations whose adjusted p-value is below ``alpha``."""
        return self.labels[self.adjusted < self.alpha]

    @property
    def family_test(self) -> HypothesisTest:
        """The family-wise test: does *any* configuration beat the null?"""
        finite = np.isfinite(self.statistic)
        best = int(np.nanargmax(self._signed())) if finite.any() else 0
        null, alternative = {
            "greater": ("no configuration has a positive mean", "at least one configuration has a positive mean"),
            "less": ("no configuration has a negative mean", "at least one configuration has a negative mean"),
            "two-sided": ("every configuration has mean zero", "at least one configuration has a non-zero mean"),
        }[self.direction]
        return HypothesisTest(
            name=f"{self.method} family-wise test over {len(self.labels)} configurations",
            null=null,
            alternative=alternative,
            direction=self.direction,
            n=self.n_obs,
            statistic_name=f"max studentized mean (best: {self.labels[best]})",
            statistic=float(np.nanmax(self._signed())) if finite.any() else math.nan,
            pvalue=float(np.nanmin(self.adjusted)) if finite.any() else math.nan,
            alpha=self.alpha,
            notes=f"stationary bootstrap, {self.reps} resamples, mean block {self.block:.3g}",
        )

    def _signed(self) -> FloatArray:
        if self.direction == "less":
            return -self.statistic
        if self.direction == "two-sided":
            return np.abs(self.statistic)
        return self.statistic

    def to_frame(self) -> pd.DataFrame:
        """One row per configuration: statistic, raw and adjusted p-values, rejection."""
        return pd.DataFrame(
            {
                "statistic": self.statistic,
                "pvalue": self.pvalue,
                "adjusted_pvalue": self.adjusted,
                "reject": self.adjusted < self.alpha,
            },
            index=self.labels,
        )

    def summary(self, top: int = 10) -> str:
        """Family-wise conclusion followed by the ``top`` configurations by adjusted p-value."""
        frame = self.to_frame().sort_values(["adjusted_pvalue", "pvalue"]).head(top)
        return "\n".join(
            [
                str(self.family_test),
                f"{len(self.rejected)} of {len(self.labels)} configurations significant after "
                f"{self.method} adjustment at {self.alpha:g}:",
                frame.to_string(float_format=lambda v: f"{v:.4g}"),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True, eq=False)
class GrangerResult:
    """Batched Granger-causality ssr-F tests, one per (cause -> effect) pair."""

    cause: tuple[Hashable, ...]
    effect: tuple[Hashable, ...]
    lags: int
    f_stat: FloatArray
    df_num: int
    df_denom: int
    pvalue: FloatArray
    n_obs: int
    alpha: float = 0.05

    @property
    def labels(self) -> list[str]:
        """Label "cause -> effect" of each pair, in input order."""
        return [f"{c} -> {e}" for c, e in zip(self.cause, self.effect, strict=True)]

    def to_frame(self) -> pd.DataFrame:
        """One row per pair: F, degrees of freedom, p-value."""
        return pd.DataFrame(
            {
                "cause": list(self.cause),
                "effect": list(self.effect),
                "lags": self.lags,
                "f_stat": self.f_stat,
                "df_num": self.df_num,
                "df_denom": self.df_denom,
                "pvalue": self.pvalue,
            }
        )

    def tests(self) -> list[HypothesisTest]:
        """Each pair as a :class:`HypothesisTest` (unadjusted for the number of pairs)."""
        return [
            HypothesisTest(
                name=f"Granger causality {label} ({self.lags} lags, ssr F test)",
                null=f"lags of {c} add nothing to predicting {e} beyond {e}'s own lags",
                alternative=f"lags of {c} help predict {e}",
                direction="greater",
                n=self.n_obs,
                statistic_name=f"F({self.df_num}, {self.df_denom})",
                statistic=float(f),
                pvalue=float(p),
                alpha=self.alpha,
            )
            for label, c, e, f, p in zip(self.labels, self.cause, self.effect, self.f_stat, self.pvalue, strict=True)
        ]

    def summary(self) -> str:
        """Table of all pairs with the count significant (unadjusted) at ``alpha``."""
        n_sig = int(np.sum(self.pvalue < self.alpha))
        head = (
            f"Granger causality, {len(self.labels)} pairs, {self.lags} lags, N = {self.n_obs}; "
            f"{n_sig} significant at {self.alpha:g} before any multiple-testing adjustment"
        )
        return head + "\n" + self.to_frame().to_string(float_format=lambda v: f"{v:.4g}")

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True, eq=False)
class LeadLagResult:
    """Correlation of leader returns today with follower returns ``lag`` steps later."""

    lags: IntArray
    corr: FloatArray
    n: IntArray
    t_stat: FloatArray
    pvalue: FloatArray

    @property
    def best_lag(self) -> int:
        """The lag with the largest positive correlation."""
        return int(self.lags[np.nanargmax(self.corr)])

    def to_frame(self) -> pd.DataFrame:
        """One row per lag: correlation, overlap N, t-statistic and naive p-value."""
        return pd.DataFrame(
            {"corr": self.corr, "n": self.n, "t_stat": self.t_stat, "pvalue": self.pvalue},
            index=pd.Index(self.lags, name="lag"),
        )

    def summary(self) -> str:
        """Best lag and the five strongest lags; p-values assume serially independent returns."""
        top = self.to_frame().sort_values("corr", ascending=False).head(5)
        return (
            f"Lead-lag scan over lags {self.lags[0]}..{self.lags[-1]}: best lag {self.best_lag} "
            "(p-values are naive: they ignore autocorrelation and the number of lags scanned)\n"
            + top.to_string(float_format=lambda v: f"{v:.4g}")
        )

    def __str__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------- helpers


def _finite_1d(x: npt.ArrayLike, what: str) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DataValidationError(
            f"{what} contains {int((~np.isfinite(arr)).sum())} non-finite values; "
            "drop or fill them first (a block bootstrap must not glue across gaps)"
        )
    return arr


def _finite_2d(x: npt.ArrayLike, what: str) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{what} must be one- or two-dimensional, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DataValidationError(f"{what} contains non-finite values; drop or fill them first")
    return np.ascontiguousarray(arr)


def _resolve_seed(seed: int | None) -> int:
    """A kernel seed: the given one (checked) or a fresh one from OS entropy."""
    if seed is None:
        return int(np.random.default_rng().integers(_SEED_LIMIT))
    if not 0 <= seed < _SEED_LIMIT:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    return int(seed)


def _resolve_block(x: FloatArray, block: float | None) -> float:
    """Mean block length: as given, or Politis-White (2004) via arch, at least 1."""
    if block is not None:
        if block < 1:
            raise ValueError(f"block must be >= 1, got {block}")
        return float(block)
    if x.ndim == 1:
        return max(1.0, _kernels.stationary_block_length(x))
    # Many columns: the median over at most 100 evenly spaced ones is representative and cheap.
    cols = np.unique(np.linspace(0, x.shape[1] - 1, min(x.shape[1], 100)).astype(np.int64))
    sample = x[:, cols]
    sample = sample[:, sample.std(axis=0) > 0]
    if sample.shape[1] == 0:
        return 1.0
    return max(1.0, float(np.median([_kernels.stationary_block_length(col) for col in sample.T])))


def _check_reps(reps: int) -> None:
    if reps < 1:
        raise ValueError(f"reps must be positive, got {reps}")


def _bootstrap_pvalue(boot: FloatArray, observed: float, center: float, alternative: Alternative) -> float:
    """(1 + #resamples at least as extreme) / (reps + 1): never exactly zero."""
    if alternative == "greater":
        extreme = int(np.sum(boot >= observed))
    elif alternative == "less":
        extreme = int(np.sum(boot <= observed))
    else:
        extreme = int(np.sum(np.abs(boot - center) >= abs(observed - center)))
    return (1 + extreme) / (boot.shape[0] + 1)


# --------------------------------------------------------------------------- bootstrap


def stationary_bootstrap_ci(
    x: npt.ArrayLike,
    stat: Literal["mean"] | Callable[[FloatArray], float] = "mean",
    reps: int = 10_000,
    block: float | None = None,
    *,
    level: float = 0.95,
    method: Literal["percentile", "basic"] = "percentile",
    seed: int | None = None,
) -> BootstrapCI:
    """Confidence interval for a statistic of a dependent series (Politis-Romano 1994).

    The mean (the default) runs entirely in a compiled kernel that never materializes the
    resampled series. Any other ``stat`` (a function of a 1-D array) is applied to index
    paths generated in chunks of 256 resamples. ``block=None`` picks the mean block length
    by Politis-White (2004) (``_kernels.stationary_block_length``, arch's estimator).
    """
    arr = _finite_1d(x, "x")
    _check_reps(reps)
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if method not in ("percentile", "basic"):
        raise ValueError(f"unknown method {method!r}; use 'percentile' or 'basic'")
    n = arr.shape[0]
    if n < 2:
        raise ValueError("need at least two observations for a bootstrap")
    if n < MIN_OBSERVATIONS:
        warnings.warn(
            f"bootstrap CI on only {n} observations is barely informative",
            ShortSampleWarning,
            stacklevel=2,
        )
    b = _resolve_block(arr, block)
    s = _resolve_seed(seed)
    if stat == "mean":
        estimate = float(arr.mean())
        boot = _kernels.stationary_bootstrap_means(arr[:, None], reps, 1.0 / b, s)[:, 0]
        label = "mean"
    else:
        estimate = float(stat(arr))
        boot = np.empty(reps)
        chunk = 256
        chunk_seeds = np.random.default_rng(s).integers(_SEED_LIMIT, size=(reps + chunk - 1) // chunk)
        for i, start in enumerate(range(0, reps, chunk)):
            m = min(chunk, reps - start)
            idx = _kernels.stationary_bootstrap_indices(n, m, 1.0 / b, int(chunk_seeds[i]))
            boot[start : start + m] = [stat(arr[row]) for row in idx]
        label = getattr(stat, "__name__", "statistic")
    tail = (1.0 - level) / 2.0
    q_lo, q_hi = np.quantile(boot, [tail, 1.0 - tail])
    if method == "percentile":
        lower, upper = float(q_lo), float(q_hi)
    else:
        lower, upper = 2 * estimate - float(q_hi), 2 * estimate - float(q_lo)
    return BootstrapCI(estimate, lower, upper, level, f"{method} ({label})", b, reps, n)


def block_bootstrap_pvalue(
    x: npt.ArrayLike,
    null_value: float = 0.0,
    alternative: Alternative = "greater",
    reps: int = 10_000,
    block: float | None = None,
    *,
    alpha: float = 0.05,
    seed: int | None = None,
    name: str = "Stationary-bootstrap test of the mean",
) -> HypothesisTest:
    """Test the mean of a dependent series against ``null_value`` by the stationary bootstrap.

    The resampled means are re-centred on ``null_value`` (the null is imposed by shifting
    the sample, the usual way to bootstrap a test rather than an interval), and the p-value
    is the share of resampled means at least as extreme as the observed one.
    """
    arr = _finite_1d(x, "x")
    _check_reps(reps)
    n = arr.shape[0]
    if n < 2:
        raise ValueError("need at least two observations for a bootstrap")
    if n < MIN_OBSERVATIONS:
        warnings.warn(
            f"bootstrap test on only {n} observations is barely informative",
            ShortSampleWarning,
            stacklevel=2,
        )
    b = _resolve_block(arr, block)
    observed = float(arr.mean())
    boot = _kernels.stationary_bootstrap_means(arr[:, None], reps, 1.0 / b, _resolve_seed(seed))[:, 0]
    boot = boot - observed + null_value
    return HypothesisTest(
        name=name,
        null=f"the expected value of the series equals {null_value:g}",
        alternative={
            "greater": f"the expected value exceeds {null_value:g}",
            "less": f"the expected value is below {null_value:g}",
            "two-sided": f"the expected value differs from {null_value:g}",
        }[alternative],
        direction=alternative,
        n=n,
        statistic_name="sample mean",
        statistic=observed,
        pvalue=_bootstrap_pvalue(boot, observed, null_value, alternative),
        alpha=alpha,
        notes=f"{reps} resamples, mean block {b:.3g}",
    )


@dataclass(frozen=True)
class ExcessInterval:
    """A bootstrap interval for an events' mean minus the all-days mean, in log and simple units."""

    log_lower: float
    log_upper: float
    #: Points of simple return: ``exp(mean log after events) - exp(mean log on all days)``.
    simple_lower: float
    simple_upper: float
    level: float
    reps: int


def excess_interval(
    events: npt.ArrayLike,
    days: npt.ArrayLike,
    reps: int = 10_000,
    event_block: float | None = None,
    *,
    level: float = 0.95,
    seed: int | None = None,
) -> ExcessInterval:
    """Percentile interval for the excess of the events' mean outcome over the all-days mean.

    Why not the mean's interval shifted by the baseline: the baseline is itself an estimate, from
    overlapping forward windows, and its error is not small next to that of a dozen events. Both
    means are resampled by the stationary bootstrap, the events as ``stationary_bootstrap_ci``
    does (``event_block``) and the days with their own Politis-White block; the two are drawn
    independently (the events are among the days, so the true covariance is positive and the
    interval is, if anything, a little wide). The simple-return interval comes from the same draws.
    """
    ev, base = _finite_1d(events, "events"), _finite_1d(days, "days")
    _check_reps(reps)
    if ev.shape[0] < 2 or base.shape[0] < 2:
        raise ValueError("need at least two events and two days for a bootstrap")
    s = _resolve_seed(seed)
    ev_means = _kernels.stationary_bootstrap_means(ev[:, None], reps, 1.0 / _resolve_block(ev, event_block), s)[:, 0]
    base_means = _kernels.stationary_bootstrap_means(
        base[:, None], reps, 1.0 / _resolve_block(base, None), (s + 1) % _SEED_LIMIT
    )[:, 0]
    tail = (1.0 - level) / 2.0
    log_lo, log_hi = np.quantile(ev_means - base_means, [tail, 1.0 - tail])
    simple_lo, simple_hi = np.quantile(np.exp(ev_means) - np.exp(base_means), [tail, 1.0 - tail])
    return ExcessInterval(float(log_lo), float(log_hi), float(simple_lo), float(simple_hi), level, reps)


def placebo_test(
    event_indices: npt.ArrayLike,
    outcomes: npt.ArrayLike,
    n_draws: int = 10_000,
    min_spacing: int = 1,
    alternative: Alternative = "greater",
    *,
    alpha: float = 0.05,
    seed: int | None = None,
    name: str = "Placebo test: events vs random dates",
) -> HypothesisTest:
    """Compare the mean outcome after events with the same mean after random placebo dates.

    ``outcomes[i]`` is what follows date ``i`` (e.g. the follower's forward return from the
    entry bar mapped from leader session ``i``; NaN where unavailable). Placebo sets have the
    same number of events and the same minimum spacing (use the sweep's cooldown), drawn
    uniformly over the dates with a finite outcome; spacing is counted in those dates. This
    keeps the overlap structure of the forward windows, which is what a t-test ignores.
    """
    values_all = np.asarray(outcomes, dtype=np.float64)
    if values_all.ndim != 1:
        raise ValueError("outcomes must be one-dimensional")
    events = np.asarray(event_indices, dtype=np.int64)
    if events.size and (events.min() < 0 or events.max() >= values_all.shape[0]):
        raise ValueError("event_indices fall outside outcomes")
    if min_spacing < 1:
        raise ValueError(f"min_spacing must be >= 1, got {min_spacing}")
    _check_reps(n_draws)
    event_values = values_all[events]
    event_values = event_values[np.isfinite(event_values)]
    m = event_values.shape[0]
    if m == 0:
        raise ValueError("no event has a finite outcome")
    if m < MIN_EVENTS:
        warnings.warn(f"placebo test on only {m} events is barely informative", ShortSampleWarning, stacklevel=2)
    values = np.ascontiguousarray(values_all[np.isfinite(values_all)])
    if values.shape[0] - (m - 1) * (min_spacing - 1) < m:
        raise ValueError(f"cannot place {m} placebo events {min_spacing} apart among {values.shape[0]} dates")
    placebo = _kernels.placebo_means(values, m, min_spacing, n_draws, _resolve_seed(seed))
    null = f"the mean outcome after the {m} events is no different from the mean after {m} random dates at least "
    return _placebo_hypothesis(
        name, null + f"{min_spacing} apart", "random dates", m, float(event_values.mean()), placebo, alternative, alpha
    )


def _placebo_hypothesis(
    name: str,
    null: str,
    pool: str,
    n: int,
    observed: float,
    placebo: FloatArray,
    alternative: Alternative,
    alpha: float,
    extra: str = "",
) -> HypothesisTest:
    """The placebo tests' one way of reporting: the events' mean outcome against the placebo means
    (``placebo``, one per draw) of ``n`` dates from ``pool``, in words."""
    center = float(placebo.mean())
    return HypothesisTest(
        name=name,
        null=null,
        alternative={
            "greater": f"outcomes after events are higher than after {pool}",
            "less": f"outcomes after events are lower than after {pool}",
            "two-sided": f"outcomes after events differ from those after {pool}",
        }[alternative],
        direction=alternative,
        n=n,
        statistic_name="mean outcome after events",
        statistic=observed,
        pvalue=_bootstrap_pvalue(placebo, observed, center, alternative),
        alpha=alpha,
        notes=f"placebo mean {center:.4g}, sd {placebo.std(ddof=1):.4g}, {placebo.shape[0]} draws{extra}",
    )


#: Fewer eligible dates than this in an event's calendar year widen its placebo pool to +-1 year.
MIN_ERA_POOL = 20


@dataclass(frozen=True)
class EraPlacebo:
    """An era-matched placebo test and the years whose pool had to be widened to +-1 year."""

    test: HypothesisTest
    widened: tuple[int, ...]
    placebo_mean: float


def era_matched_placebo_test(
    event_indices: npt.ArrayLike,
    outcomes: npt.ArrayLike,
    years: npt.ArrayLike,
    exclude: npt.ArrayLike | None = None,
    n_draws: int = 10_000,
    alternative: Alternative = "greater",
    *,
    min_pool: int = MIN_ERA_POOL,
    alpha: float = 0.05,
    seed: int | None = None,
    name: str = "Era-matched placebo test: events vs random dates of the same year",
) -> EraPlacebo:
    """Compare the mean outcome after events with the mean after random dates of the same era.

    Why: an unmatched placebo pool mixes eras, so a follower that rose 1000-fold in its early
    years makes any early event look special. Here each event's placebo date is drawn from the
    dates of its own calendar year (``years[i]`` per date) that have a finite outcome and are not
    ``exclude``-d (pass the event windows, so the events' own aftermath is not its baseline);
    a year with fewer than ``min_pool`` such dates draws from +-1 year instead (reported in
    ``widened``; if even that is short, from every eligible date). One placebo date per event per
    draw, independently; the statistic is the mean outcome after the events.
    """
    values = np.asarray(outcomes, dtype=np.float64)
    year = np.asarray(years, dtype=np.int64)
    events = np.asarray(event_indices, dtype=np.int64)
    if values.ndim != 1 or year.shape != values.shape:
        raise ValueError("outcomes and years must be one-dimensional and of equal length")
    if events.size and (events.min() < 0 or events.max() >= values.shape[0]):
        raise ValueError("event_indices fall outside outcomes")
    _check_reps(n_draws)
    events = events[np.isfinite(values[events])]
    m = events.shape[0]
    if m == 0:
        raise ValueError("no event has a finite outcome")
    if m < MIN_EVENTS:
        warnings.warn(f"placebo test on only {m} events is barely informative", ShortSampleWarning, stacklevel=2)
    eligible = np.isfinite(values)
    if exclude is not None:
        eligible &= ~np.asarray(exclude, dtype=bool)
    if not eligible.any():
        raise ValueError("no date outside the event windows has a finite outcome")
    rng = np.random.default_rng(_resolve_seed(seed))
    total = np.zeros(n_draws)
    widened: set[int] = set()
    for event in events:
        pool = eligible & (year == year[event])
        if pool.sum() < min_pool:
            widened.add(int(year[event]))
            pool = eligible & (np.abs(year - year[event]) <= 1)
            if pool.sum() < min_pool:
                pool = eligible
        candidates = values[pool]
        total += candidates[rng.integers(0, candidates.shape[0], n_draws)]
    placebo = total / m
    wider = f"; pool widened to +-1 year for {', '.join(map(str, sorted(widened)))}" if widened else ""
    null = (
        f"the mean outcome after the {m} events is no different from the mean after one random date "
        "per event from the same calendar year, outside every event window"
    )
    test = _placebo_hypothesis(
        name, null, "random dates of the same year", m, float(values[events].mean()), placebo, alternative, alpha, wider
    )
    center = float(placebo.mean())
    return EraPlacebo(test, tuple(sorted(widened)), center)


def min_detectable_effect(
    n: int, sd: float, alpha: float = 0.05, power: float = 0.8, alternative: Alternative = "greater"
) -> float:
    """Smallest true mean a z-test on ``n`` observations with spread ``sd`` detects with ``power``.

    ``(z_{1-alpha} + z_{power}) * sd / sqrt(n)`` (``alpha/2`` when two-sided). Use it before
    reading a non-rejection: with 20 events and a 30% monthly sd, nothing below ~19% is
    detectable. For overlapping or autocorrelated samples pass the effective ``n``.
    """
    from scipy import stats  # imported when used: ~1 s that the ledger and status never need
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    if sd < 0:
        raise ValueError(f"sd must be non-negative, got {sd}")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must be in (0, 1)")
    a = alpha / 2 if alternative == "two-sided" else alpha
    return float((stats.norm.ppf(1 - a) + stats.norm.ppf(power)) * sd / math.sqrt(n))


# --------------------------------------------------------------------------- multiple testing


def spa_test(
    benchmark_losses: npt.ArrayLike | pd.Series,
    model_losses: npt.ArrayLike | pd.DataFrame,
    reps: int = 1000,
    block: int | None = None,
    *,
    alpha: float = 0.05,
    seed: int | None = None,
) -> HypothesisTest:
    """Hansen's (2005) Superior Predictive Ability test via ``arch.bootstrap.SPA``.

    Losses are per period, lower is better (for strategies: the negative return). The
    consistent p-value is reported; lower and upper bounds go in ``notes``. ``block=None``
    uses arch's default mean block length, sqrt(T).
    """
    bench = _finite_1d(benchmark_losses, "benchmark_losses")
    models = model_losses if isinstance(model_losses, pd.DataFrame) else _finite_2d(model_losses, "models")
    if isinstance(models, pd.DataFrame) and not np.isfinite(models.to_numpy(dtype=np.float64)).all():
        raise DataValidationError("model_losses contains non-finite values; drop or fill them first")
    if models.shape[0] != bench.shape[0]:
        raise ValueError("benchmark and model losses must have the same number of periods")
    from arch.bootstrap import SPA  # imported when used, like scipy.stats

    spa = SPA(bench, models, block_size=block, reps=reps, bootstrap="stationary", seed=seed)
    spa.compute()
    p = spa.pvalues
    diff = bench[:, None] - np.asarray(models, dtype=np.float64)
    return HypothesisTest(
        name=f"Hansen SPA test, {models.shape[1]} models vs benchmark",
        null="no model has a lower expected loss than the benchmark",
        alternative="at least one model has a lower expected loss than the benchmark",
        direction="greater",
        n=int(bench.shape[0]),
        statistic_name="max mean loss improvement over the benchmark",
        statistic=float(diff.mean(axis=0).max()),
        pvalue=float(p["consistent"]),
        alpha=alpha,
        notes=f"lower p = {p['lower']:.4g}, upper p = {p['upper']:.4g}, {reps} resamples",
    )


def stepm(
    benchmark_losses: npt.ArrayLike | pd.Series,
    model_losses: npt.ArrayLike | pd.DataFrame,
    size: float = 0.05,
    reps: int = 1000,
    block: int | None = None,
    *,
    seed: int | None = None,
) -> list[Hashable]:
    """Models that beat the benchmark by Romano-Wolf StepM (``arch.bootstrap.StepM``).

    Returns column labels for a DataFrame, integer positions otherwise; the family-wise error
    rate of the returned set is ``size``.
    """
    bench = _finite_1d(benchmark_losses, "benchmark_losses")
    models = model_losses if isinstance(model_losses, pd.DataFrame) else _finite_2d(model_losses, "models")
    from arch.bootstrap import StepM

    step = StepM(bench, models, size=size, block_size=block, reps=reps, bootstrap="stationary", seed=seed)
    step.compute()
    return list(step.superior_models)


def romano_wolf(
    x: npt.ArrayLike | pd.DataFrame,
    alternative: Alternative = "greater",
    reps: int = 2000,
    block: float | None = None,
    *,
    alpha: float = 0.05,
    seed: int | None = None,
) -> MultipleTestResult:
    """Romano-Wolf (2005, 2016) step-down adjusted p-values for the column means of ``x``.

    ``x`` is (periods, configurations), e.g. :func:`riskcurve.study.sweep.signal_excess_returns`.
    Each column is studentized, ``t_k = sqrt(T) mean_k / sd_k``; all columns are resampled
    *jointly* with the stationary bootstrap (one kernel pass yields every column's resampled
    mean), which keeps their cross-correlation, so the adjustment is far less conservative
    than Holm when configurations overlap. Step-down: the j-th largest statistic is compared
    with the bootstrap maximum over itself and all smaller ones; adjusted p-values are made
    monotone. Columns with zero variance (a definition that never fired) get p = 1 and
    do not enter the maxima. Memory is a few ``reps x configurations`` float arrays (2,000
    resamples of 3,000 configurations: ~200 MB), so test families, not whole 600k-cell sweeps.
    """
    arr = _finite_2d(x, "x")
    labels = x.columns if isinstance(x, pd.DataFrame) else pd.RangeIndex(arr.shape[1])
    _check_reps(reps)
    n, k = arr.shape
    if n < MIN_OBSERVATIONS:
        warnings.warn(f"Romano-Wolf on only {n} periods is barely informative", ShortSampleWarning, stacklevel=2)
    mean = arr.mean(axis=0)
    sd = arr.std(axis=0, ddof=1)
    valid = sd > 0
    t_stat = np.full(k, np.nan)
    t_stat[valid] = math.sqrt(n) * mean[valid] / sd[valid]
    pvalue = np.ones(k)
    adjusted = np.ones(k)
    b = _resolve_block(arr, block)
    if valid.any():
        cols = np.flatnonzero(valid)
        boot = _kernels.stationary_bootstrap_means(
            np.ascontiguousarray(arr[:, cols]), reps, 1.0 / b, _resolve_seed(seed)
        )
        t_boot = math.sqrt(n) * (boot - mean[cols]) / sd[cols]
        observed = t_stat[cols]
        if alternative == "less":
            observed, t_boot = -observed, -t_boot
        elif alternative == "two-sided":
            observed, t_boot = np.abs(observed), np.abs(t_boot)
        pvalue[cols] = (1 + (t_boot >= observed).sum(axis=0)) / (reps + 1)
        order = np.argsort(-observed, kind="stable")
        # tail_max[:, j] = max over the j-th largest statistic and every smaller one.
        tail_max = np.maximum.accumulate(t_boot[:, order][:, ::-1], axis=1)[:, ::-1]
        step = (1 + (tail_max >= observed[order]).sum(axis=0)) / (reps + 1)
        adjusted[cols[order]] = np.maximum.accumulate(step)
    return MultipleTestResult(
        labels=pd.Index(labels),
        statistic=t_stat,
        pvalue=pvalue,
        adjusted=adjusted,
        method="Romano-Wolf step-down",
        direction=alternative,
        n_obs=n,
        reps=reps,
        block=b,
        alpha=alpha,
    )


def holm(pvalues: npt.ArrayLike) -> FloatArray:
    """Holm (1979) step-down adjusted p-values: valid under any dependence, but conservative."""
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.shape[0]
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = stepped
    return out


# --------------------------------------------------------------------------- Granger, lead-lag


def granger_causality(
    data: pd.DataFrame | npt.ArrayLike,
    pairs: Sequence[tuple[Hashable, Hashable]],
    lags: int,
    *,
    alpha: float = 0.05,
) -> GrangerResult:
    """Granger-causality ssr F tests for many ``(cause, effect)`` pairs at once.

    Equal to statsmodels' ``grangercausalitytests(..)[lags][0]["ssr_ftest"]`` for each pair
    (constant plus ``lags`` lags of both series), computed with batched QR instead of two
    statsmodels OLS fits per pair. ``pairs`` are column labels for a DataFrame, column
    positions for an array. Run it on returns, not price levels (levels are handled
    accurately, but the F distribution does not hold for unit-root series). A pair with a
    constant series gets NaN. If the cause's lags are exactly collinear with the effect's own
    lags the design is rank-deficient; the fit then matches statsmodels' pseudo-inverse but
    the F keeps the nominal degrees of freedom.
    """
    from scipy import stats
    if isinstance(data, pd.DataFrame):
        columns = list(data.columns)
        arr = _finite_2d(data.to_numpy(dtype=np.float64), "data")
        position: dict[Hashable, int] = {c: i for i, c in enumerate(columns)}
        try:
            cause = np.array([position[c] for c, _ in pairs], dtype=np.int64)
            effect = np.array([position[e] for _, e in pairs], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(f"unknown column {exc.args[0]!r} in pairs") from exc
    else:
        arr = _finite_2d(data, "data")
        cause = np.array([c for c, _ in pairs], dtype=np.int64)
        effect = np.array([e for _, e in pairs], dtype=np.int64)
        both = np.concatenate([cause, effect])
        if both.size and (both.min() < 0 or both.max() >= arr.shape[1]):
            raise ValueError("pair positions fall outside the data's columns")
    if (cause == effect).any():
        raise ValueError("a pair names the same series as cause and effect")
    if lags < 1:
        raise ValueError(f"lags must be positive, got {lags}")
    if arr.shape[0] <= 3 * lags + 1:
        raise ValueError(f"{arr.shape[0]} observations are too few for {lags} lags")
    f_stat, df_num, df_denom = _kernels.granger_ssr_f(arr, cause, effect, lags)
    pvalue = stats.f.sf(f_stat, df_num, df_denom)
    return GrangerResult(
        cause=tuple(c for c, _ in pairs),
        effect=tuple(e for _, e in pairs),
        lags=lags,
        f_stat=f_stat,
        df_num=df_num,
        df_denom=df_denom,
        pvalue=np.asarray(pvalue, dtype=np.float64),
        n_obs=int(arr.shape[0] - lags),
        alpha=alpha,
    )


def lead_lag_scan(leader_returns: npt.ArrayLike, follower_returns: npt.ArrayLike, max_lag: int = 90) -> LeadLagResult:
    """Correlation of ``leader_returns[t]`` with ``follower_returns[t + lag]`` for lag 0..max_lag.

    Both series must be on one calendar (align them first); NaN pairs are skipped per lag.
    The p-values use the t distribution of a correlation under independence, so they screen
    rather than prove: confirm a peak with :func:`placebo_test` or the bootstrap.
    """
    from scipy import stats
    x = np.asarray(leader_returns, dtype=np.float64)
    y = np.asarray(follower_returns, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("leader and follower returns must be 1-D and of equal length")
    if not 0 <= max_lag < x.shape[0] - 3:
        raise ValueError(f"max_lag must be in [0, {x.shape[0] - 4}]")
    lags = np.arange(max_lag + 1, dtype=np.int64)
    corr = np.full(lags.shape[0], np.nan)
    count = np.zeros(lags.shape[0], dtype=np.int64)
    for i, lag in enumerate(lags):
        a = x[: x.shape[0] - lag]
        b = y[lag:]
        ok = np.isfinite(a) & np.isfinite(b)
        count[i] = int(ok.sum())
        if count[i] > 3 and a[ok].std() > 0 and b[ok].std() > 0:
            corr[i] = float(np.corrcoef(a[ok], b[ok])[0, 1])
    dof = count - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t_stat = corr * np.sqrt(dof / (1.0 - corr**2))
    pvalue = 2 * stats.t.sf(np.abs(t_stat), np.maximum(dof, 1))
    return LeadLagResult(lags, corr, count, t_stat, np.asarray(pvalue, dtype=np.float64))
