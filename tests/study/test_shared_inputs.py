"""The service prepares the study's inputs once and keeps the stage model per data and moment: the
shared and kept results equal what the plain functions compute afresh on the real data."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import riskcurve
from riskcurve.catalog import Catalog
from riskcurve.data.panel import AlignedPanel
from riskcurve.data.store import Store
from riskcurve.errors import RiskcurveWarning
from riskcurve.service import Riskcurve, StudyRequest
from riskcurve.study import inputs as study_inputs
from riskcurve.study.inputs import StudyInputs, build_inputs
from riskcurve.study.lab import StudyConfig, run_study
from riskcurve.study.leadlag import lead_lag
from riskcurve.study.precedents import load_precedents
from riskcurve.study.stage_inputs import build_stage_inputs
from riskcurve.study.stage_model import run_stage_model

AS_OF = "2026-10-09"


def _without_seconds(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "seconds"}


def _fresh_inputs(store_path: Path, catalog: Catalog, followers: tuple[str, ...]) -> StudyInputs:
    with Store(store_path, read_only=True) as store, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_inputs(AlignedPanel(store, catalog, AS_OF), followers=followers)


@pytest.fixture
def rc(real_store_path: Path) -> Riskcurve:
    return riskcurve.open(real_store_path)


def test_the_stage_model_on_the_ledgers_inputs_equals_a_fresh_one(rc: Riskcurve, real_store_path: Path) -> None:
    rc.ledger(AS_OF)  # prepares ETH, BTC and ALTS: the stage model's followers
    kept = rc.stage_model(AS_OF)
    assert rc.stage_model(AS_OF) is kept  # asked again (report, dashboard): not recomputed
    with Store(real_store_path, read_only=True) as store, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel = AlignedPanel(store, rc.catalog, rc.resolve(AS_OF))
        fresh = run_stage_model(build_stage_inputs(panel, rc.board_config, rc.stage_config), load_precedents())
    assert _without_seconds(kept.to_dict()) == _without_seconds(fresh.to_dict())


def test_a_study_on_shared_inputs_equals_one_on_fresh_inputs(
    rc: Riskcurve, real_store_path: Path, catalog: Catalog
) -> None:
    rc.ledger(AS_OF, followers=("ETH",))  # the study below reuses these inputs
    run = rc.study(StudyRequest(followers=("ETH",)), AS_OF, keep=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = run_study(
            _fresh_inputs(real_store_path, catalog, ("ETH",)),
            StudyConfig(),
            lead_lag=lambda i: lead_lag(i, i.equities, follower_grace=pd.Timedelta(hours=6)),
        )
    volatile = {"timings", "seconds"}
    ours = {k: v for k, v in run.result.to_dict().items() if k not in volatile}
    theirs = {k: v for k, v in fresh.to_dict().items() if k not in volatile}
    assert ours == theirs
    assert run.to_dict()["ledger"] == rc.ledger(AS_OF, followers=("ETH",)).to_dict()


def test_inputs_are_built_once_and_their_caveats_reach_every_caller(
    rc: Riskcurve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger and the stage model of one moment build the inputs once; a caveat raised while
    building them is in the stage model's notes too, though the ledger built them."""
    calls: list[tuple[str, ...]] = []

    def build_and_warn(panel: AlignedPanel, leader: str, followers: list[str], **cut: Any) -> StudyInputs:
        calls.append(tuple(followers))
        warnings.warn("a planted caveat", RiskcurveWarning, stacklevel=1)
        return build_inputs(panel, leader, followers, **cut)

    monkeypatch.setattr(study_inputs, "build_inputs", build_and_warn)
    rc.ledger(AS_OF)
    report = rc.stage_model(AS_OF)
    assert calls == [("ETH", "BTC", "ALTS")]
    assert "a planted caveat" in report.notes
