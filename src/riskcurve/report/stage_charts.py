"""Plotly figures of the stage model, built from its document (``StageModelReport.to_dict()``).

Like the study's charts they read the JSON form, so `riskcurve`'s report, the dashboard and
``/api/stage-model`` output all draw the same figures.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from riskcurve.report.study_charts import _layout

#: One colour per rung, light to dark down the risk curve.
RUNG_COLOURS = {
    "credit": "#6a51a3",
    "SPX": "#2171b5",
    "RUT": "#238b45",
    "BTC": "#fd8d3c",
    "ETH": "#e6550d",
    "ALTS": "#a63603",
}


def ladder_chart(doc: dict[str, Any]) -> go.Figure:
    """Per cycle (one row each, newest on top), the day each rung turned, counted from the cycle's start."""
    ladder = doc["ladder"]
    cycles = ladder["cycles"]
    labels = [
        f"{c['start']}{' (open)' if c['open'] else ''}"
        + (f" tau {c['tau']:+.2f}" if c["ranked"] and c["tau"] is not None else " not ranked")
        for c in cycles
    ]
    fig = go.Figure()
    for rung in ladder["rungs"]:
        key = rung["key"]
        days = [c["days"].get(key) for c in cycles]
        dates = [c["turns"].get(key) or c["states"].get(key) for c in cycles]
        fig.add_trace(
            go.Scatter(
                x=days,
                y=labels,
                mode="markers",
                name=f"{rung['thesis_rank']}. {rung['name']}",
                marker={
                    "size": 12,
                    "color": RUNG_COLOURS.get(key),
                    "symbol": "diamond" if key == "credit" else "circle",
                },
                customdata=dates,
                hovertemplate=f"{rung['name']}: %{{customdata}} (day %{{x}})<extra></extra>",
            )
        )
    subtitle = (
        f"mean Kendall tau {_num(ladder['mean_tau'])} vs the thesis order, permutation p {_num(ladder['p_tau'], '.3f')}"
        f" over {ladder['ranked_cycles']} ranked cycles; {ladder['trend_rule']}"
    )
    fig = _layout(fig, "The ladder per cycle: days from the VIX peak to each rung's turn", subtitle)
    fig.update_layout(height=max(320, 60 + 34 * len(cycles)))
    fig.update_xaxes(title="days after the cycle's start (VIX peak)", zeroline=True)
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def stage_returns_chart(doc: dict[str, Any], horizon: int = 90) -> go.Figure:
    """Mean forward ``horizon``-day simple return by confirmed stage, per follower, with its interval."""
    returns = doc["stage_returns"]
    fig = go.Figure()
    for follower in returns["followers"]:
        cells = [
            c for c in returns["cells"] if c["follower"] == follower and c["horizon"] == horizon and c["era"] == "all"
        ]
        means = [100 * c["mean"] if c["mean"] is not None else None for c in cells]
        fig.add_trace(
            go.Bar(
                x=[f"stage {c['stage']}" if c["stage"] != "all" else "all sessions" for c in cells],
                y=means,
                name=follower,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [_gap(c["upper"], c["mean"]) for c in cells],
                    "arrayminus": [_gap(c["mean"], c["lower"]) for c in cells],
                },
                customdata=[c["independent"] for c in cells],
                hovertemplate=f"{follower} %{{x}}: %{{y:+.1f}}% (%{{customdata}} independent episodes)<extra></extra>",
            )
        )
    fig = _layout(
        fig,
        f"Forward {horizon}-day simple return by the confirmed stage at the start",
        f"mean with its {returns['level']:.0%} stationary-bootstrap interval; stage as known on each session",
    )
    fig.update_yaxes(title="%", ticksuffix="%")
    return fig


def stage_figures(doc: dict[str, Any]) -> dict[str, go.Figure]:
    """Every stage-model figure by name."""
    return {"stage-returns": stage_returns_chart(doc), "stage-ladder": ladder_chart(doc)}


def _gap(high: float | None, low: float | None) -> float | None:
    return None if high is None or low is None else 100 * (high - low)


def _num(value: float | None, spec: str = "+.2f") -> str:
    return "unknown" if value is None else format(value, spec)
