"""The net-liquidity decomposition as a chart: each part's contribution to the 4- and 13-week change.

Drawn from the service's ``Channels`` readings (``net_liquidity_{part}_{weeks}w``), the same numbers
`riskcurve status --json` prints, so report and status never disagree.
"""

from __future__ import annotations

import plotly.graph_objects as go

from riskcurve.channels import Channels

PARTS = {"fed_assets": "from Fed assets", "tga": "from the TGA", "rrp": "from reverse repo"}
HORIZONS = (4, 13)


def decomposition_figure(channels: Channels) -> go.Figure:
    """Grouped bars per horizon (each part's signed contribution, USD bn) and the net change as a marker;
    a horizon whose figures are unknown is named in the subtitle with its reason instead of drawn."""
    known = [w for w in HORIZONS if channels[f"net_liquidity_net_{w}w"].value is not None]
    labels = [f"{w} weeks to {channels[f'net_liquidity_net_{w}w'].date:%Y-%m-%d}" for w in known]
    fig = go.Figure()
    for part, label in PARTS.items():
        fig.add_bar(name=label, x=labels, y=[channels[f"net_liquidity_{part}_{w}w"].value for w in known])
    fig.add_scatter(
        name="net liquidity change",
        x=labels,
        y=[channels[f"net_liquidity_net_{w}w"].value for w in known],
        mode="markers",
        marker={"size": 12, "symbol": "diamond"},
    )
    missing = [f"{w} weeks: {channels[f'net_liquidity_net_{w}w'].display}" for w in HORIZONS if w not in known]
    fig.update_layout(
        title={
            "text": "Net-liquidity change by part, USD bn (Wednesday levels)",
            "subtitle": {"text": "; ".join(missing) or "parts add up to the net change exactly"},
        },
        barmode="group",
        yaxis_title="USD bn",
        template="plotly_white",
        height=360,
    )
    return fig
