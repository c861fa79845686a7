"""The decomposition chart draws the service's channel readings: the parts add up to the net change."""

from __future__ import annotations

from pathlib import Path

import pytest

import riskcurve
from riskcurve.report.channel_charts import decomposition_figure


def test_bars_are_the_contributions_and_add_up(real_store_path: Path) -> None:
    status = riskcurve.open(real_store_path).status("2026-01-09")
    assert status.channels is not None
    fig = decomposition_figure(status.channels)
    bars = {trace.name: list(trace.y) for trace in fig.data}
    net = bars.pop("net liquidity change")
    assert len(net) == 2
    for i, value in enumerate(net):
        assert sum(v[i] for v in bars.values()) == pytest.approx(value, abs=1e-6)
    assert net[0] == pytest.approx(status.channels["net_liquidity_net_4w"].value)
