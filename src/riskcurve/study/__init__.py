"""The thesis lab: breakout sweeps, honest inference and a cost-aware backtest.

Works on plain arrays and pandas objects handed to it and never knows where the numbers came
from; the store and panel layers do the fetching and aligning. Compiled kernels live in
``_kernels`` beside readable reference versions in ``tests/study/_reference.py`` that the tests compare
against.
"""

from riskcurve.study.backtest import BacktestResult, backtest_hold, deflated_sharpe_ratio
from riskcurve.study.events import FollowerEventStudy, decluster, follower_event_study
from riskcurve.study.inference import (
    HypothesisTest,
    block_bootstrap_pvalue,
    granger_causality,
    min_detectable_effect,
    placebo_test,
    romano_wolf,
    spa_test,
    stationary_bootstrap_ci,
    stepm,
)
from riskcurve.study.inputs import StudyInputs, build_inputs
from riskcurve.study.lab import StudyConfig, StudyResult, run_study
from riskcurve.study.leadlag import LeadLagReport, lead_lag
from riskcurve.study.sweep import SweepGrid, SweepResult, run_sweep

__all__ = [
    "BacktestResult",
    "FollowerEventStudy",
    "HypothesisTest",
    "LeadLagReport",
    "StudyConfig",
    "StudyInputs",
    "StudyResult",
    "SweepGrid",
    "SweepResult",
    "backtest_hold",
    "block_bootstrap_pvalue",
    "build_inputs",
    "decluster",
    "deflated_sharpe_ratio",
    "follower_event_study",
    "granger_causality",
    "lead_lag",
    "min_detectable_effect",
    "placebo_test",
    "romano_wolf",
    "run_study",
    "run_sweep",
    "spa_test",
    "stationary_bootstrap_ci",
    "stepm",
]
