"""The thesis lab: breakout sweeps, honest inference and a cost-aware backtest.

Works on plain arrays and pandas objects handed to it and never knows where the numbers came
from; the store and panel layers do the fetching and aligning. Compiled kernels live in
``_kernels`` beside readable reference versions in ``tests/study/_reference.py`` that the tests compare
against.

The names below load on first use (PEP 562): importing one submodule, such as ``study.inputs``
for the service, must not pay for scipy.stats, statsmodels, arch and numba up front.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOME = {
    "backtest": ("BacktestResult", "backtest_hold", "deflated_sharpe_ratio"),
    "events": ("FollowerEventStudy", "decluster", "follower_event_study"),
    "inference": (
        "HypothesisTest",
        "block_bootstrap_pvalue",
        "granger_causality",
        "min_detectable_effect",
        "placebo_test",
        "romano_wolf",
        "spa_test",
        "stationary_bootstrap_ci",
        "stepm",
    ),
    "inputs": ("StudyInputs", "build_inputs"),
    "lab": ("StudyConfig", "StudyResult", "run_study"),
    "leadlag": ("LeadLagReport", "lead_lag"),
    "sweep": ("SweepGrid", "SweepResult", "run_sweep"),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}

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


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
