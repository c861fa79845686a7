"""Bootstrap, placebo, multiple-testing and Granger tests against arch, statsmodels and hand values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from arch.bootstrap import StationaryBootstrap
from statsmodels.stats.multitest import multipletests

from riskcurve.errors import DataValidationError, ShortSampleWarning
from riskcurve.study import (
    HypothesisTest,
    _kernels,
    block_bootstrap_pvalue,
    granger_causality,
    min_detectable_effect,
    placebo_test,
    romano_wolf,
    spa_test,
    stationary_bootstrap_ci,
    stepm,
)
from riskcurve.study.inference import holm, lead_lag_scan
from tests.study import _reference


def _ar1(rng: np.random.Generator, n: int, phi: float = 0.6, mu: float = 0.0) -> np.ndarray:
    e = rng.normal(size=n)
    x = np.empty(n)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x + mu


def test_bootstrap_ci_agrees_with_arch_within_monte_carlo_error() -> None:
    x = _ar1(np.random.default_rng(3), 1000)
    ours = stationary_bootstrap_ci(x, reps=10_000, block=12, seed=1)
    bs = StationaryBootstrap(12, x, seed=2)
    arch_ci = bs.conf_int(np.mean, reps=10_000, method="percentile").ravel()
    # Spread of the bootstrap mean (width / 3.92); a 2.5% quantile from 10,000 draws has a
    # Monte Carlo sd of about 0.03 of it, so two independent runs differ by < 0.15 of it.
    spread = (arch_ci[1] - arch_ci[0]) / 3.92
    assert abs(ours.lower - arch_ci[0]) < 0.15 * spread
    assert abs(ours.upper - arch_ci[1]) < 0.15 * spread
    assert ours.estimate == pytest.approx(x.mean())
    assert "95% percentile (mean) CI, stationary bootstrap, mean block 12" in str(ours)


def test_bootstrap_ci_options() -> None:
    x = _ar1(np.random.default_rng(4), 400, mu=1.0)
    auto = stationary_bootstrap_ci(x, reps=2000, seed=5)
    assert auto.block > 1.5  # Politis-White picks up the AR(1) dependence
    mean_path = stationary_bootstrap_ci(x, reps=2000, block=auto.block, seed=5)
    callable_path = stationary_bootstrap_ci(x, np.mean, reps=2000, block=auto.block, seed=5)
    width = mean_path.upper - mean_path.lower
    assert abs(callable_path.lower - mean_path.lower) < 0.1 * width
    median = stationary_bootstrap_ci(x, np.median, reps=500, block=auto.block, seed=5, method="basic")
    assert median.lower < np.median(x) < median.upper
    again = stationary_bootstrap_ci(x, reps=2000, block=auto.block, seed=5)
    assert (again.lower, again.upper) == (mean_path.lower, mean_path.upper)
    with pytest.raises(DataValidationError, match="non-finite"):
        stationary_bootstrap_ci(np.array([1.0, np.nan, 2.0]))
    with pytest.warns(ShortSampleWarning):
        stationary_bootstrap_ci(x[:20], reps=100, block=2, seed=0)


def test_block_bootstrap_pvalue_words_and_decisions() -> None:
    rng = np.random.default_rng(6)
    effect = block_bootstrap_pvalue(_ar1(rng, 800, mu=0.5), reps=5000, seed=1)
    assert effect.reject and effect.pvalue < 0.01
    assert effect.n == 800 and effect.direction == "greater"
    text = str(effect)
    for fragment in ("null:", "expected value of the series equals 0", "N:", "p-value:", "Reject the null"):
        assert fragment in text
    null = block_bootstrap_pvalue(_ar1(rng, 800), reps=5000, seed=1, alternative="two-sided")
    assert not null.reject
    assert "Cannot reject the null" in null.conclusion and "does not show it is true" in null.conclusion


def test_placebo_test_detects_planted_events_and_not_random_ones() -> None:
    rng = np.random.default_rng(7)
    outcomes = rng.normal(0.0, 0.1, 3000)
    outcomes[:50] = np.nan  # no entry bar yet
    events = np.arange(100, 2900, 70)
    planted = outcomes.copy()
    planted[events] += 0.08
    hit = placebo_test(events, planted, n_draws=5000, min_spacing=21, seed=1)
    assert hit.reject and hit.pvalue < 0.001 and hit.n == len(events)
    assert "random dates at least 21 apart" in hit.null
    miss = placebo_test(events, outcomes, n_draws=5000, min_spacing=21, seed=1)
    assert not miss.reject
    with pytest.raises(ValueError, match="cannot place"):
        placebo_test(events, outcomes, min_spacing=200)


def test_min_detectable_effect_hand_value() -> None:
    assert min_detectable_effect(100, 1.0) == pytest.approx((1.6448536 + 0.8416212) / 10, rel=1e-6)
    assert min_detectable_effect(100, 1.0, alternative="two-sided") == pytest.approx(0.2801585, rel=1e-6)


@pytest.mark.parametrize("lags", [1, 2, 5])
def test_granger_equals_statsmodels(lags: int) -> None:
    rng = np.random.default_rng(lags)
    data = rng.normal(size=(700, 5))
    data[2:, 1] += 0.25 * data[:-2, 0]  # 0 -> 1 at lag 2
    data[1:, 3] += 0.1 * data[:-1, 1]
    pairs = [(i, j) for i in range(5) for j in range(5) if i != j]
    result = granger_causality(data, pairs, lags)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _reference.granger_statsmodels(data, pairs, lags)
    np.testing.assert_allclose(result.f_stat, expected[:, 0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(result.pvalue, expected[:, 1], rtol=1e-8, atol=1e-12)
    assert result.df_num == lags and result.df_denom == 700 - 3 * lags - 1
    if lags >= 2:
        assert result.pvalue[pairs.index((0, 1))] < 1e-6


@pytest.mark.parametrize("integration", [1, 2])
@pytest.mark.parametrize("force_svd", [False, True])
def test_granger_on_ill_conditioned_levels_equals_statsmodels(
    integration: int, force_svd: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Random-walk (I(1)) and doubly integrated (I(2)) levels make the lagged design nearly
    # collinear; I(2) exceeds the Gram condition limit, so those pairs are re-fitted by SVD.
    # Forcing the SVD path for every pair must give the same answers.
    if force_svd:
        monkeypatch.setattr(_kernels, "GRAM_CONDITION_LIMIT", 0.0)
    levels = np.random.default_rng(21).normal(size=(500, 4))
    for _ in range(integration):
        levels = np.cumsum(levels, axis=0)
    pairs = [(1, 0), (0, 1), (2, 3), (3, 2)]
    result = granger_causality(levels + 1000, pairs, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _reference.granger_statsmodels(levels + 1000, pairs, 4)
    np.testing.assert_allclose(result.f_stat, expected[:, 0], rtol=1e-8)


def test_granger_normal_equations_alone_would_lose_digits_on_i2_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the SVD refit exists: without it, I(2) levels miss statsmodels by more than 1e-8."""
    monkeypatch.setattr(_kernels, "GRAM_CONDITION_LIMIT", np.inf)
    levels = np.cumsum(np.cumsum(np.random.default_rng(21).normal(size=(500, 4)), axis=0), axis=0) + 1000
    pairs = [(1, 0), (0, 1), (2, 3), (3, 2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _reference.granger_statsmodels(levels, pairs, 4)
    error = np.abs(granger_causality(levels, pairs, 4).f_stat / expected[:, 0] - 1)
    assert error.max() > 1e-8


def test_granger_degenerate_pairs() -> None:
    data = np.random.default_rng(22).normal(size=(200, 3))
    data[:, 2] = 1.5
    result = granger_causality(data, [(0, 1), (2, 1), (1, 2)], 2)
    assert np.isfinite(result.f_stat[0]) and np.isnan(result.f_stat[1:]).all()
    with pytest.raises(ValueError, match="same series"):
        granger_causality(data, [(1, 1)], 2)


def test_granger_with_labels_and_summary() -> None:
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["iwm", "eth", "sol"])
    frame.loc[1:, "eth"] += 0.4 * frame["iwm"].to_numpy()[:-1]
    result = granger_causality(frame, [("iwm", "eth"), ("eth", "iwm"), ("iwm", "sol")], 1)
    assert result.labels == ["iwm -> eth", "eth -> iwm", "iwm -> sol"]
    first = result.tests()[0]
    assert isinstance(first, HypothesisTest) and first.reject
    assert "lags of iwm add nothing to predicting eth" in first.null
    assert "before any multiple-testing adjustment" in result.summary()
    assert list(result.to_frame().columns) == ["cause", "effect", "lags", "f_stat", "df_num", "df_denom", "pvalue"]
    with pytest.raises(ValueError, match="unknown column"):
        granger_causality(frame, [("iwm", "btc")], 1)


def test_romano_wolf_finds_the_planted_column_only() -> None:
    rng = np.random.default_rng(12)
    x = rng.normal(size=(1500, 20))
    x[:, 7] += 0.12
    x[:, 0] = 0.0  # a definition that never fired
    result = romano_wolf(pd.DataFrame(x, columns=[f"cfg{i}" for i in range(20)]), reps=2000, block=5, seed=3)
    assert list(result.rejected) == ["cfg7"]
    frame = result.to_frame()
    assert (frame["adjusted_pvalue"] >= frame["pvalue"] - 1e-12).all()
    assert frame.loc["cfg0", "adjusted_pvalue"] == 1.0 and np.isnan(frame.loc["cfg0", "statistic"])
    ordered = frame.dropna().sort_values("statistic", ascending=False)["adjusted_pvalue"]
    assert ordered.is_monotonic_increasing
    family = result.family_test
    assert family.reject and "cfg7" in family.statistic_name
    assert "1 of 20 configurations significant" in result.summary()


def test_holm_matches_statsmodels() -> None:
    p = np.random.default_rng(13).uniform(0, 0.2, 30)
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=1e-12)


def test_spa_and_stepm_find_the_better_model() -> None:
    rng = np.random.default_rng(14)
    bench = rng.normal(size=1000)
    models = pd.DataFrame(rng.normal(size=(1000, 5)), columns=list("abcde"))
    models["c"] -= 0.3  # lower loss: better
    test = spa_test(bench, models, reps=500, seed=1)
    assert test.reject and test.n == 1000
    assert stepm(bench, models, reps=500, seed=1) == ["c"]
    null = spa_test(bench, models.drop(columns="c") + 0.05, reps=500, seed=1)
    assert not null.reject


def test_lead_lag_scan_finds_planted_lag() -> None:
    rng = np.random.default_rng(15)
    x = rng.normal(size=2000)
    y = rng.normal(size=2000)
    y[30:] += 0.5 * x[:-30]
    scan = lead_lag_scan(x, y, max_lag=60)
    assert scan.best_lag == 30
    assert scan.to_frame().loc[30, "pvalue"] < 1e-10
    assert "best lag 30" in str(scan)
