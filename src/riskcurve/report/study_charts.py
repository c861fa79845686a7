"""Plotly figures of the thesis lab, built from the study document (``StudyResult.to_dict()``).

They read the JSON form on purpose: the report, the dashboard and a cached study in the store all
share one shape, and a chart can be redrawn from ``riskcurve study --json`` output alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from riskcurve.thesis import FOLLOW_WINDOW_DAYS

TEMPLATE = "plotly_white"
HEIGHT = 420


def _layout(fig: go.Figure, title: str, subtitle: str = "") -> go.Figure:
    text = f"{title}<br><sup>{subtitle}</sup>" if subtitle else title
    fig.update_layout(
        template=TEMPLATE,
        height=HEIGHT,
        title={"text": text, "x": 0.01},
        margin={"l": 60, "r": 30, "t": 70, "b": 45},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def event_paths(doc: dict[str, Any], follower: str) -> go.Figure:
    """Average path after the breakouts with its bootstrap band, every event's own path behind it."""
    study = doc["event_study"][follower]
    path = study["path"]
    day = path["day"]
    fig = go.Figure()
    for label, values in path["events"].items():
        fig.add_trace(
            go.Scatter(
                x=day,
                y=_pct(values),
                mode="lines",
                name=label,
                line={"width": 1},
                opacity=0.35,
                legendgroup="events",
                showlegend=False,
                hovertemplate=f"{label}<br>day %{{x}}: %{{y:.1f}}%<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=day + day[::-1],
            y=_pct(path["high"]) + _pct(path["low"])[::-1],
            fill="toself",
            fillcolor="rgba(31,119,180,0.18)",
            line={"width": 0},
            name="95% band (events resampled)",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(x=day, y=_pct(path["mean"]), mode="lines", name="mean path", line={"width": 3, "color": "#1f77b4"})
    )
    fig.add_vrect(
        x0=FOLLOW_WINDOW_DAYS[0],
        x1=FOLLOW_WINDOW_DAYS[1],
        fillcolor="#f28e2b",
        opacity=0.08,
        line_width=0,
        annotation_text="thesis window",
        annotation_position="top left",
    )
    fig.add_hline(y=0, line={"color": "#888", "width": 1})
    fig.update_xaxes(title="days after entry")
    fig.update_yaxes(title="cumulative log return, %")
    n = len(path["events"])
    return _layout(fig, f"{follower} after {doc['leader']} breakouts", f"{n} events; thin lines are single events")


def ccf_bars(doc: dict[str, Any], follower: str) -> go.Figure:
    """Weekly cross-correlation, leader(t) vs follower(t+k): bars beyond the band stand out."""
    ll = (doc.get("lead_lag") or {}).get("followers", {}).get(follower)
    fig = go.Figure()
    if not ll:
        return _layout(fig, f"{doc['leader']} -> {follower}: cross-correlation", "no lead-lag result")
    ccf = ll["ccf"]
    lags = ccf["lags"]
    band = ccf["band"] if isinstance(ccf["band"], list) else [ccf["band"]] * len(lags)
    colors = [
        "#e15759" if c is not None and w is not None and abs(c) > w else "#4e79a7"
        for c, w in zip(ccf["corr"], band, strict=True)
    ]
    fig.add_trace(go.Bar(x=lags, y=ccf["corr"], marker_color=colors, name="correlation"))
    for sign in (1, -1):
        fig.add_trace(
            go.Scatter(
                x=lags,
                y=[None if w is None else sign * w for w in band],
                mode="lines",
                line={"dash": "dash", "color": "#888"},
                name="approximate 95% band",
                showlegend=sign == 1,
                hoverinfo="skip",
            )
        )
    fig.update_xaxes(title="lag k in weeks (positive: the leader leads)")
    fig.update_yaxes(title="correlation")
    n = ccf["n"] if not isinstance(ccf["n"], list) else max(ccf["n"])
    return _layout(
        fig,
        f"{doc['leader']} vs {follower}: weekly cross-correlation",
        f"N = {n} weeks; red bars lie outside the dashed ±1.96/sqrt(N) band",
    )


def sweep_heatmap(doc: dict[str, Any], follower: str) -> go.Figure:
    """Studentized excess of every breakout definition x horizon, hover shows raw and adjusted p."""
    sweep = doc.get("sweep") or {}
    family = sweep.get("families", {}).get(follower)
    fig = go.Figure()
    if not family:
        return _layout(fig, f"{follower}: sweep", "no sweep result")
    rows = family["configurations"]
    definitions = list(dict.fromkeys(r["definition"] for r in rows))
    horizons = sorted({int(r["horizon"]) for r in rows})
    z = np.full((len(definitions), len(horizons)), np.nan)
    text = np.full(z.shape, "", dtype=object)
    for r in rows:
        i, j = definitions.index(r["definition"]), horizons.index(int(r["horizon"]))
        z[i, j] = np.nan if r["statistic"] is None else r["statistic"]
        text[i, j] = f"p={_p(r['pvalue'])}, adj={_p(r['adjusted_pvalue'])}"
    limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    fig.add_trace(
        go.Heatmap(
            z=z.tolist(),
            x=[f"{h}d" for h in horizons],
            y=definitions,
            text=text.tolist(),
            zmin=-limit,
            zmax=limit,
            colorscale="RdBu",
            reversescale=True,
            colorbar={"title": "t"},
            hovertemplate="%{y} at %{x}<br>t = %{z:.2f}<br>%{text}<extra></extra>",
        )
    )
    best = family["family_test"]
    return _layout(
        fig,
        f"{follower}: {len(definitions)} breakout definitions x {len(horizons)} horizons",
        f"Romano-Wolf family test: smallest adjusted p = {_p(best['pvalue'])} "
        f"(of {sweep['n_configurations']} configurations across all followers)",
    )


def backtest_equity(doc: dict[str, Any], follower: str) -> go.Figure:
    """Strategy equity (hold after breakouts, net of costs) against buy-and-hold, log scale."""
    bt = (doc.get("backtest") or {}).get(follower)
    fig = go.Figure()
    if not bt:
        return _layout(fig, f"{follower}: backtest", "no backtest (gaps in the follower's closes)")
    fig.add_trace(
        go.Scatter(
            x=bt["equity"]["dates"],
            y=bt["equity"]["values"],
            name="hold after breakouts",
            line={"width": 2, "color": "#f28e2b"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=bt["buy_and_hold_equity"]["dates"],
            y=bt["buy_and_hold_equity"]["values"],
            name="buy and hold",
            line={"width": 1.5, "color": "#4e79a7"},
        )
    )
    fig.update_yaxes(type="log", title="equity (start = 1)")
    m, b = bt["metrics"], bt["buy_and_hold"]
    return _layout(
        fig,
        f"{follower}: hold {bt['hold']} days after each breakout, else cash",
        f"{bt['cost_bps']:g} bps a side; Sharpe {_f(m.get('sharpe'))} vs {_f(b.get('sharpe'))}; "
        f"deflated Sharpe {_f(bt.get('deflated_sharpe'))}; weekly points",
    )


def study_figures(doc: dict[str, Any]) -> dict[str, go.Figure]:
    """Every study chart, keyed ``kind:follower`` in a stable order."""
    figures: dict[str, go.Figure] = {}
    for follower in doc["event_study"]:
        figures[f"paths:{follower}"] = event_paths(doc, follower)
        figures[f"ccf:{follower}"] = ccf_bars(doc, follower)
        figures[f"sweep:{follower}"] = sweep_heatmap(doc, follower)
        figures[f"backtest:{follower}"] = backtest_equity(doc, follower)
    return figures


def _pct(values: list[float | None]) -> list[float | None]:
    return [None if v is None else 100 * v for v in values]


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
