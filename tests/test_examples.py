"""examples/ run as a user would run them, on the real store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_tour_prints_status_and_board_and_writes_a_chart(real_store_path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    run = subprocess.run(
        [sys.executable, str(REPO / "examples" / "tour.py"), str(real_store_path), str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("riskcurve status as of ")
    assert "spx_vs_ma200" in run.stdout and "net_liquidity" in run.stdout  # the rules and the board tables
    chart = tmp_path / "tour-net-liquidity.html"
    html = chart.read_text()
    assert "Net liquidity and the Russell 2000, data to " in html and "USD billions" in html
    assert "<script src=\"https://cdn.plot.ly" not in html and len(html) > 1_000_000  # plotly inlined: offline
