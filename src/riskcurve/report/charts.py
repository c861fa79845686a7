"""Plotly figures of the thesis, shared by the HTML report and the dashboard.

Every builder is a pure function of the indicator board, the stage timeline or the freshness table
and returns a ``plotly.graph_objects.Figure``; nothing here reads the store, so the report and the
dashboard draw exactly the same figures. Long daily histories are thinned for
*display only* (one point per week before the last three years, every point after) so a report of the
whole history stays a few megabytes; each thinned chart says so in its subtitle. The numbers behind
the status and the rules are never thinned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from riskcurve.measures.board import AltseasonCoins, Board
from riskcurve.snapshot import Snapshot
from riskcurve.stages import STAGE_NAMES, AltseasonReading, Status

DAILY_YEARS = 3  # the most recent years keep every point
TEMPLATE = "plotly_white"
HEIGHT = 440
STAGE_COLORS: dict[int | None, str] = {
    0: "#bab0ac",
    1: "#4e79a7",
    2: "#59a14f",
    3: "#f28e2b",
    4: "#e15759",
    None: "rgba(120, 120, 120, 0.25)",  # unknown: no leader close on those sessions
}
BREAKOUT_STYLE = {
    "ath": ("All-time high", "#d62728", "triangle-up", 11),
    "round_level": ("Round level", "#9467bd", "diamond", 9),
    "rolling_high": ("52-week high", "#2ca02c", "circle", 6),
}
RANGE_BUTTONS = [
    {"count": 1, "label": "1y", "step": "year", "stepmode": "backward"},
    {"count": 3, "label": "3y", "step": "year", "stepmode": "backward"},
    {"count": 10, "label": "10y", "step": "year", "stepmode": "backward"},
    {"step": "all", "label": "all"},
]


def thin(series: pd.Series, daily_years: int = DAILY_YEARS) -> tuple[pd.Series, pd.Timestamp | None]:
    """Known values, one per week (the week's last) before the last ``daily_years`` years, all after.

    Returns the thinned series and the cut date (None when nothing was thinned). Weekly points keep
    their real dates and values, so a marker placed on a real close still sits on the line.
    """
    values = series.dropna()
    if values.empty:
        return values, None
    cut = pd.Timestamp(values.index[-1]) - pd.DateOffset(years=daily_years)
    old = values[values.index < cut]
    if old.empty:
        return values, None
    weekly = old.groupby(pd.DatetimeIndex(old.index).to_period("W")).tail(1)
    return pd.concat([weekly, values[values.index >= cut]]), cut


def _dates(index: pd.Index) -> list[str]:
    return [str(d) for d in pd.DatetimeIndex(index).strftime("%Y-%m-%d")]


def _line(series: pd.Series, name: str, **kwargs: object) -> tuple[go.Scatter, pd.Timestamp | None]:
    values, cut = thin(series)
    trace = go.Scatter(x=_dates(values.index), y=values.to_numpy(dtype="float64"), name=name, mode="lines", **kwargs)
    return trace, cut


def _thinned_note(cuts: Sequence[pd.Timestamp | None]) -> str:
    known = [c for c in cuts if c is not None]
    if not known:
        return ""
    return f"display: weekly points before {min(known):%Y-%m-%d}, daily after"


def _layout(fig: go.Figure, title: str, notes: Sequence[str] = (), *, height: int = HEIGHT) -> go.Figure:
    subtitle = " · ".join(n for n in notes if n)
    fig.update_layout(
        title={"text": title, "subtitle": {"text": subtitle}} if subtitle else {"text": title},
        template=TEMPLATE,
        height=height,
        margin={"l": 60, "r": 60, "t": 95 if subtitle else 60, "b": 40},
        legend={"orientation": "h", "y": -0.12},
        hovermode="x unified",
    )
    return fig


def _range_buttons(fig: go.Figure) -> None:
    fig.update_layout(
        xaxis={"rangeselector": {"buttons": RANGE_BUTTONS, "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"}}
    )


def display_levels(levels: Sequence[float], low: float, high: float, max_lines: int = 8) -> list[float]:
    """Round levels worth a line across ``[low, high]``: the finest step of 100, 200, 250, 500, 1000...
    that gives at most ``max_lines`` lines (every 100 points over a decade would be a barcode)."""
    inside = sorted(level for level in levels if low <= level <= high)
    for step in (100, 200, 250, 500, 1000, 2500, 5000, 10000):
        chosen = [level for level in inside if level % step == 0]
        if len(chosen) <= max_lines:
            return chosen
    return inside[:: max(1, len(inside) // max_lines)]


def rut_chart(board: Board, round_levels: Sequence[float] = (), years: int = DAILY_YEARS) -> go.Figure:
    """The Russell 2000's last ``years`` years, daily, with its breakouts and round levels (2,600 ...).

    The breakout question is about the recent tape, where a log axis over 35 years would squeeze the
    round levels into one band; the stage timeline shows the whole history. Levels broken by a
    round-level breakout in the window are drawn heavier.
    """
    close = board.frame["rut_close"].dropna()
    start = close.index[-1] - pd.DateOffset(years=years) if len(close) else pd.Timestamp.min
    recent = close[close.index >= start]
    fig = go.Figure(
        go.Scatter(
            x=_dates(recent.index),
            y=recent.to_numpy(dtype="float64"),
            name="Russell 2000",
            mode="lines",
            line={"color": "#1f77b4", "width": 1.5},
        )
    )
    for kind, (label, color, symbol, size) in BREAKOUT_STYLE.items():
        events = [e for e in board.breakouts if e.kind == kind and e.date >= start]
        if not events:
            continue
        fig.add_trace(
            go.Scatter(
                x=[e.date.strftime("%Y-%m-%d") for e in events],
                y=np.array([e.close for e in events], dtype="float64"),
                mode="markers",
                name=f"{label} breakout ({len(events)})",
                marker={"color": color, "symbol": symbol, "size": size, "line": {"width": 0.5, "color": "white"}},
                customdata=np.array([e.level for e in events], dtype="float64"),
                hovertemplate=f"{label}: close %{{y:,.2f}} above %{{customdata:,.2f}}<extra></extra>",
            )
        )
    if len(recent):
        broken = {e.level for e in board.breakouts if e.kind == "round_level" and e.date >= start}
        for level in display_levels(round_levels, float(recent.min()), float(recent.max()) * 1.05):
            fig.add_hline(
                y=level,
                line={"dash": "dot", "width": 1.8 if level in broken else 0.8, "color": "#7f7f7f"},
                annotation={"text": f"{level:,.0f}", "font": {"size": 10, "color": "#555"}},
                annotation_position="right",
            )
    fig.update_yaxes(title_text="index points")
    window = f"last {years} years, daily; every breakout rule marked; dotted: round levels (bold: broken)"
    return _layout(fig, "Russell 2000 and its breakouts", [window])


def liquidity_chart(board: Board, components: pd.DataFrame) -> go.Figure:
    """Fed net liquidity (WALCL − TGA − RRP) and its parts in USD bn, over the Russell 2000 on a
    log axis (the thesis's first and third steps on one chart); BTC one legend click away."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    cuts = []
    net, cut = _line(board.frame["net_liquidity"], "Net liquidity", line={"color": "#17becf", "width": 2.2})
    fig.add_trace(net, secondary_y=False)
    cuts.append(cut)
    for sid, label, color in (
        ("WALCL", "Fed balance sheet (WALCL)", "#1f77b4"),
        ("TGA", "Treasury General Account (Wednesday level; week average before those begin)", "#d62728"),
        ("RRPONTSYD", "Reverse repo (RRP)", "#8c564b"),
    ):
        if sid in components:
            trace, cut = _line(components[sid], label, line={"color": color, "width": 1})
            fig.add_trace(trace, secondary_y=False)
            cuts.append(cut)
    rut, cut = _line(board.frame["rut_close"], "Russell 2000 (right)", line={"color": "#333", "width": 1.2})
    fig.add_trace(rut, secondary_y=True)
    cuts.append(cut)
    # BTC on its own axis, off until clicked in the legend: two price scales at once would be noise.
    btc, cut = _line(board.frame["btc_close"], "BTC (click to show)", line={"color": "#f2a900", "width": 1.2})
    btc.update(yaxis="y3", visible="legendonly")
    fig.add_trace(btc)
    cuts.append(cut)
    fig.update_yaxes(title_text="USD bn", secondary_y=False)
    close = board.frame["rut_close"].dropna()
    ticks = log_ticks(float(close.min()), float(close.max())) if len(close) else []
    fig.update_yaxes(
        title_text="Russell 2000, index points (log)",
        type="log",
        secondary_y=True,
        showgrid=False,
        tickvals=ticks,
        ticktext=[f"{t:,.0f}" for t in ticks],
    )
    fig.update_layout(
        yaxis3={"overlaying": "y", "side": "right", "type": "log", "visible": False, "title": {"text": "BTC, USD"}}
    )
    _range_buttons(fig)
    return _layout(fig, "Fed net liquidity, its components and the Russell 2000", [_thinned_note(cuts)])


def _stacked(
    top: tuple[pd.Series, str, str], bottom: tuple[pd.Series, str, str], titles: tuple[str, str]
) -> tuple[go.Figure, list[pd.Timestamp | None]]:
    """Two thinned line panels sharing the date axis; each part is (series, trace name, color)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=titles)
    cuts = []
    for row, (series, name, color) in enumerate((top, bottom), start=1):
        trace, cut = _line(series, name, line={"color": color, "width": 1.2})
        fig.add_trace(trace, row=row, col=1)
        cuts.append(cut)
    return fig, cuts


def credit_chart(board: Board) -> go.Figure:
    """High-yield spread and the 10-year real yield: the first stage of the rotation is credit easing."""
    fig, cuts = _stacked(
        (board.frame["hy_oas_level"], "HY OAS", "#d62728"),
        (board.frame["real_yield_level"], "10y real yield", "#9467bd"),
        ("High-yield OAS, %", "10-year real yield (TIPS), %"),
    )
    return _layout(fig, "Credit: HY spread and real yield", [_thinned_note(cuts)], height=520)


def relative_chart(board: Board) -> go.Figure:
    """Small caps against large caps: RUT/SPX and RUT/NDX (rising = the Russell leads)."""
    fig, cuts = _stacked(
        (board.frame["rut_spx_ratio"], "RUT/SPX", "#1f77b4"),
        (board.frame["rut_ndx_ratio"], "RUT/NDX", "#ff7f0e"),
        ("RUT / SPX", "RUT / NDX"),
    )
    return _layout(fig, "Relative strength of the Russell 2000", [_thinned_note(cuts)], height=520)


def crypto_chart(board: Board) -> go.Figure:
    """ETH/BTC and the altcoin season index with its 25 (bitcoin season) and 75 (altcoin season) bands."""
    fig, cuts = _stacked(
        (board.frame["eth_btc"], "ETH/BTC", "#3c3c3d"),
        (board.altseason["index"], "Altcoin season index", "#e15759"),
        ("ETH / BTC", "Altcoin season index (share of top coins beating BTC over 90 days)"),
    )
    fig.add_hrect(y0=75, y1=100, row=2, col=1, fillcolor="#e15759", opacity=0.12, line_width=0)
    fig.add_hrect(y0=0, y1=25, row=2, col=1, fillcolor="#f2a900", opacity=0.12, line_width=0)
    for level, label in ((75, "altcoin season ≥ 75"), (25, "bitcoin season ≤ 25")):
        fig.add_hline(
            y=level,
            row=2,
            col=1,
            line={"dash": "dot", "width": 1, "color": "#555"},
            annotation={"text": label, "font": {"size": 10}},
            annotation_position="top left",
        )
    fig.update_yaxes(range=[0, 100], row=2, col=1)
    return _layout(fig, "Crypto breadth: ETH/BTC and altcoin season", [_thinned_note(cuts)], height=520)


def _stage_label(stage: int | None) -> str:
    return "unknown (no Russell 2000 close)" if stage is None else f"{stage} {STAGE_NAMES[stage]}"


def log_ticks(low: float, high: float, max_ticks: int = 8) -> list[float]:
    """Tick values for a log axis over ``[low, high]``: 1-2-5 steps per decade, thinned to 1-5 or
    decades only when there are too many, so a log axis never shows plotly's minor-digit clutter."""
    if not (low > 0 and high > low):
        return []
    decades = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    for steps in ((1, 2, 5), (1, 5), (1,)):
        ticks = [m * 10.0**d for d in decades for m in steps if low <= m * 10.0**d <= high]
        if len(ticks) <= max_ticks:
            return ticks
    return ticks


def timeline_chart(timeline: pd.DataFrame, board: Board | None = None) -> go.Figure:
    """The confirmed stage over history as shaded bands behind the Russell 2000 (log axis); runs
    whose stage is unknown (no leader close) are hatched grey, never drawn as stage 0."""
    fig = go.Figure()
    for stage, color in STAGE_COLORS.items():
        runs = timeline[timeline["stage"].isna()] if stage is None else timeline[timeline["stage"] == stage]
        if runs.empty:
            continue
        starts = pd.DatetimeIndex(runs["start"])
        ends = pd.DatetimeIndex(runs["end"]) + pd.Timedelta(days=1)
        fig.add_trace(
            go.Bar(
                x=[str(t) for t in (starts + (ends - starts) / 2).strftime("%Y-%m-%dT%H:%M:%S")],
                y=[1.0] * len(runs),
                width=((ends - starts) / pd.Timedelta(milliseconds=1)).to_numpy(dtype="float64"),
                marker={
                    "color": color,
                    "line": {"width": 0},
                    "pattern": {"shape": "/" if stage is None else "", "fgcolor": "#777"},
                },
                opacity=0.35,
                customdata=np.stack([_dates(starts), _dates(runs["end"])], axis=1),
                hovertemplate=f"{_stage_label(stage)}: %{{customdata[0]}} … %{{customdata[1]}}<extra></extra>",
                name=f"{_stage_label(stage)} ({int(runs['sessions'].sum()):,} sessions)",
            )
        )
    fig.update_layout(barmode="overlay", bargap=0, yaxis={"range": [0, 1], "visible": False, "fixedrange": True})
    notes = [f"{len(timeline):,} runs of the confirmed stage"]
    if board is not None:
        rut, cut = _line(board.frame["rut_close"], "Russell 2000", line={"color": "#333", "width": 1.2})
        rut.update(yaxis="y2")
        fig.add_trace(rut)
        close = board.frame["rut_close"].dropna()
        ticks = log_ticks(float(close.min()), float(close.max())) if len(close) else []
        fig.update_layout(
            yaxis2={
                "overlaying": "y",
                "side": "left",
                "type": "log",
                "title": {"text": "Russell 2000, index points (log)"},
                "tickvals": ticks,
                "ticktext": [f"{t:,.0f}" for t in ticks],
                "showgrid": True,
            }
        )
        notes.append(_thinned_note([cut]))
    _range_buttons(fig)
    fig = _layout(fig, "Stage timeline behind the Russell 2000", notes)
    fig.update_layout(hovermode="closest")
    return fig


def altseason_bars_chart(coins: AltseasonCoins, reading: AltseasonReading) -> go.Figure:
    """Each ranked coin's 90-day return, best first, against bitcoin's (a line), as Blockchaincenter
    shows them: bars above the line beat bitcoin. The dotted line marks the season threshold: when
    the bar at that rank (75 % of the universe) is above bitcoin's line, it is altcoin season.
    Coins whose return is unknown (stale feed, short history) get no bar: they are listed as unknown."""
    known = coins.known
    fig = go.Figure(
        go.Bar(
            x=[c.coin for c in known],
            y=[100 * (c.ret or 0.0) for c in known],
            marker={"color": ["#e15759" if c.beat else "#bab0ac" if not c.in_universe else "#4e79a7" for c in known]},
            customdata=[c.market_cap / 1e9 for c in known],
            hovertemplate="%{x}: %{y:+.1f}%<br>market cap USD %{customdata:,.1f} bn<extra></extra>",
            name=f"{coins.window}-day return",
        )
    )
    if coins.btc_return is not None:
        fig.add_hline(
            y=100 * coins.btc_return,
            line={"color": "#f2a900", "width": 2},
            annotation_text=f"BTC {coins.btc_return:+.1%}",
            annotation_position="top right",
        )
    rank = int(np.ceil(coins.threshold / 100 * coins.universe_size))
    if 0 < rank <= len(known):
        fig.add_vline(
            x=rank - 0.5,
            line={"dash": "dot", "color": "#555"},
            annotation_text=f"season threshold: {coins.threshold:.0f}% of {coins.universe_size} coins",
            annotation_position="top left",
        )
    index = "unknown" if reading.index is None else f"{reading.index:.0f}"
    why = f" ({reading.reason})" if reading.reason else ""
    day = "unknown date" if coins.date is None else f"{coins.date:%Y-%m-%d}"
    notes = [
        f"{day}: {coins.outperformers} of {coins.universe_size} beat bitcoin; index {index}{why}",
        f"unknown: {len(coins.unknown)} of {len(coins.coins)} ranked coins (stale feed or short history)"
        if coins.unknown
        else "",
        coins.reason or "",
    ]
    fig.update_yaxes(title_text=f"{coins.window}-day return, %", ticksuffix="%")
    fig.update_xaxes(title_text="coin (point-in-time top 50 by market cap; red: beat BTC)")
    fig = _layout(fig, "Altcoin season: each coin's 90-day return against bitcoin's", notes)
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


#: Units of the rule metrics that are not fractions (fractions read as %).
RULE_UNITS = {
    "hy_oas_chg_13w": "pp",
    "hy_oas_pct_rank": "percentile",
    "net_liquidity_chg_13w": "USD bn",
    "sessions_since_breakout": "sessions",
    "altseason": "index 0-100",
}
PASS_FILL, FAIL_FILL = "rgba(89, 161, 79, 0.10)", "rgba(225, 87, 89, 0.08)"


def rules_chart(status: Status, board: Board, years: int = DAILY_YEARS) -> go.Figure:
    """Every stage rule in its own small panel (a row per stage): the metric over the last ``years``
    years, its threshold as a dashed line, the passing side shaded green and the failing side red,
    so how far each rule is from flipping is visible at a glance."""
    stages = [st for st in status.stages if st.rules]
    cols = max((len(st.rules) for st in stages), default=1)
    titles = [f"{st.number}: {r.label}" for st in stages for r in st.rules]
    fig = make_subplots(rows=max(len(stages), 1), cols=cols, subplot_titles=titles, vertical_spacing=0.09)
    for row, st in enumerate(stages, start=1):
        for col, rule in enumerate(st.rules, start=1):
            series = board.frame[rule.metric].dropna() if rule.metric in board.frame else pd.Series(dtype=float)
            if len(series):
                series = series[series.index >= series.index[-1] - pd.DateOffset(years=years)]
            scale = 100.0 if rule.percent else 1.0
            fig.add_trace(
                go.Scatter(
                    x=_dates(series.index),
                    y=series.to_numpy(dtype="float64") * scale,
                    mode="lines",
                    line={"width": 1.2, "color": "#1f77b4"},
                    name=rule.metric,
                    showlegend=False,
                    hovertemplate=f"%{{x}}: %{{y:,.2f}}{'%' if rule.percent else ''}<extra>{rule.metric}</extra>",
                ),
                row=row,
                col=col,
            )
            level = rule.threshold * scale
            above, below = (PASS_FILL, FAIL_FILL) if rule.op == ">=" else (FAIL_FILL, PASS_FILL)
            values = series.to_numpy(dtype="float64") * scale
            low = float(min(values.min(), level)) if len(values) else level - 1
            high = float(max(values.max(), level)) if len(values) else level + 1
            pad = (high - low) * 0.05 or 1.0
            fig.add_hrect(y0=level, y1=high + pad, fillcolor=above, line_width=0, row=row, col=col)
            fig.add_hrect(y0=low - pad, y1=level, fillcolor=below, line_width=0, row=row, col=col)
            fig.add_hline(y=level, line={"dash": "dash", "width": 1, "color": "#555"}, row=row, col=col)
            fig.update_yaxes(
                title_text="%" if rule.percent else RULE_UNITS.get(rule.metric, ""),
                range=[low - pad, high + pad],
                row=row,
                col=col,
            )
    fig.update_annotations(font_size=11)
    fig = _layout(
        fig,
        "Every stage rule: value, threshold (dashed), passing side green, failing side red",
        [f"last {years} years, daily; the card above gives each rule's value and date now"],
        height=260 * max(len(stages), 1) + 120,
    )
    fig.update_layout(hovermode="closest")
    return fig


#: Row colour per FeedState: red only for a feed that should have new data and has not.
STATE_FILL = {"stale": "#fde0dd", "missing": "#fff3cd", "ended": "#eeeeee", "fresh": "white"}
STATE_ORDER = {"stale": 0, "missing": 1, "ended": 2, "fresh": 3}


def freshness_table(freshness: pd.DataFrame) -> go.Figure:
    """Every catalog series: last observation, when it was published, its age and its state (the
    service's FeedState: fresh, stale, ended or missing); stale rows first, then ended ones."""
    frame = freshness.assign(_order=freshness["state"].map(STATE_ORDER))
    frame = frame.sort_values(["_order", "age_days"], ascending=[True, False])
    states = [str(s) for s in frame["state"]]
    fill = [STATE_FILL[s] for s in states]
    columns = {
        "series": [str(s) for s in frame.index],
        "name": [str(n) for n in frame["name"]],
        "frequency": [str(f) for f in frame["frequency"]],
        "last date": [_day(v) for v in frame["last_date"]],
        "published (UTC)": [_minute(v) for v in frame["published"]],
        "age, days": ["-" if pd.isna(a) else f"{a:,.0f}" for a in frame["age_days"]],
        "state": states,
    }
    fig = go.Figure(
        go.Table(
            columnwidth=[70, 260, 60, 80, 110, 60, 50],
            header={"values": list(columns), "fill_color": "#eeeeee", "align": "left", "font": {"size": 12}},
            cells={"values": list(columns.values()), "fill_color": [fill] * len(columns), "align": "left"},
        )
    )
    counts = ", ".join(f"{states.count(s)} {s}" for s in STATE_ORDER if s in states)
    note = "ended: the other feeds of its calendar went on well past its last observation (delisted, discontinued)"
    return _layout(fig, f"Freshness of every series ({len(frame)}: {counts})", [note], height=620)


def _day(value: Any) -> str:
    return "-" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _minute(value: Any) -> str:
    return "-" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class ChartSpec:
    """A named chart of the report and the dashboard."""

    name: str
    title: str
    build: Callable[[Snapshot], go.Figure]


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("rut", "Russell 2000 and its breakouts", lambda s: rut_chart(s.board, s.round_levels)),
    ChartSpec("liquidity", "Net liquidity and the Russell 2000", lambda s: liquidity_chart(s.board, s.components)),
    ChartSpec("credit", "Credit", lambda s: credit_chart(s.board)),
    ChartSpec("relative", "Relative strength", lambda s: relative_chart(s.board)),
    ChartSpec("crypto", "ETH/BTC and altcoin season", lambda s: crypto_chart(s.board)),
    ChartSpec(
        "altseason_bars",
        "Altcoin season: coins against BTC",
        lambda s: altseason_bars_chart(s.board.altseason_coins, s.status.altseason),
    ),
    ChartSpec("rules", "Every stage rule", lambda s: rules_chart(s.status, s.board)),
    ChartSpec("timeline", "Stage timeline", lambda s: timeline_chart(s.timeline, s.board)),
    ChartSpec("freshness", "Freshness", lambda s: freshness_table(s.freshness)),
)


def build_figures(snapshot: Snapshot, names: Sequence[str] | None = None) -> dict[str, go.Figure]:
    """The charts of ``snapshot`` by name, in display order (all of them, or ``names``)."""
    wanted = set(names) if names is not None else None
    return {c.name: c.build(snapshot) for c in CHARTS if wanted is None or c.name in wanted}
