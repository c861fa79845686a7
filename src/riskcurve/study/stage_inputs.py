"""The stage model's inputs from the panel: the point-in-time stage of every session, the followers,
the ladder's rungs, the VIX, the breakouts and the altcoin season index.

The stage comes from the same board and classifier as ``riskcurve status`` (``stages.build_status``):
each session's confirmed stage is what the causal classifier said on that session, from the values
published by its close. The rungs are each series' history as known at the as-of (a look back at
dated turns, not a trading signal).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from riskcurve.data.panel import AlignedPanel, decision_times
from riskcurve.errors import DataValidationError
from riskcurve.measures.board import Board, BoardConfig, board_on
from riskcurve.measures.breakout import BreakoutEvent
from riskcurve.stages import StageConfig, build_status
from riskcurve.study.inputs import Follower, StudyInputs, build_inputs
from riskcurve.study.stage_model import stage_by_session

VIX = "VIXCLS"


@dataclass
class StageModelInputs:
    as_of: pd.Timestamp
    stage: pd.Series  # confirmed stage per NYSE session of the board (<NA>: unknown)
    known_at: pd.DatetimeIndex  # when each of those sessions closed (the entry rule's clock)
    assessable: pd.Series  # per session: could the stage-4 rules be evaluated (all their metrics known)?
    followers: dict[str, Follower]
    rungs: dict[str, pd.Series]  # ladder rung -> closes (the HY spread for "credit") on its own dates
    vix: pd.Series
    breakouts: list[BreakoutEvent]
    altseason: pd.DataFrame
    notes: list[str]  # followers left out (no closes yet at the as-of)


def _study_inputs(
    build: Callable[[Sequence[str]], StudyInputs], followers: Sequence[str]
) -> tuple[StudyInputs, list[str]]:
    """The study's inputs for the followers that have closes at the as-of (a view of 2014 has no ETH),
    and a note for each one left out."""
    try:
        return build(followers), []
    except DataValidationError:
        kept, notes = [], []
        for name in followers:
            try:
                build([name])
                kept.append(name)
            except DataValidationError as exc:
                notes.append(f"stage model: {exc} (left out)")
        return build(kept), notes


def build_stage_inputs(
    panel: AlignedPanel,
    board_config: BoardConfig | None = None,
    stage_config: StageConfig | None = None,
    followers: Sequence[str] = ("ETH", "BTC", "ALTS"),
    *,
    board: Board | None = None,
    study_inputs: Callable[[Sequence[str]], StudyInputs] | None = None,
) -> StageModelInputs:
    """Everything the stage model needs as of ``panel.as_of``, the board computed once (``board``: one
    already computed on this panel's moment and ``board_config``, e.g. the report's snapshot's).

    ``study_inputs`` builds the study's inputs for some followers on this panel (default
    ``build_inputs``); the service passes the ones it already prepared for the study and the ledger.
    """
    board_cfg, stage_cfg = board_config or BoardConfig(), stage_config or StageConfig()
    board = board_on(panel, board_cfg, board)
    status = build_status(board, stage_cfg)
    sessions = pd.DatetimeIndex(board.frame.index)
    metrics = [rule.metric for rule in stage_cfg.rules.get(4, ())]
    build = study_inputs or (lambda names: build_inputs(panel, board_cfg.leader, list(names)))
    inputs, notes = _study_inputs(build, followers)
    catalog = panel.catalog
    rungs = {
        "credit": panel.series(catalog.one("credit")),
        "SPX": panel.series(catalog.one("large_cap")),
        "RUT": inputs.leader_close,
        **{name: f.close for name, f in inputs.followers.items()},
    }
    return StageModelInputs(
        as_of=panel.as_of,
        stage=stage_by_session(status.timeline, sessions),
        known_at=decision_times("nyse", sessions),
        assessable=board.frame[metrics].notna().all(axis=1) if metrics else pd.Series(True, index=sessions),
        followers=inputs.followers,
        rungs=rungs,
        vix=panel.series(VIX) if VIX in catalog else pd.Series(dtype="float64"),
        breakouts=list(board.breakouts),
        altseason=board.altseason,
        notes=notes,
    )
