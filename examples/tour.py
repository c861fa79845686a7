"""A notebook-style tour of riskcurve from Python: open the store, status and board as DataFrames,
one chart. Run it as a script, or paste the cells into Jupyter (each ``# %%`` is a cell).

    .venv/bin/python examples/tour.py [STORE.duckdb] [OUT_DIR]

Defaults: the store riskcurve uses (``RISKCURVE_DB`` or the user data dir) and ``out/``.
"""

# %%
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

import riskcurve

db = sys.argv[1] if len(sys.argv) > 1 else None
out = Path(sys.argv[2] if len(sys.argv) > 2 else "out")
rc = riskcurve.open(db)

# %% The stage as of the newest Russell 2000 close, one row per rule (value, date, threshold, state)
status = rc.status("latest")
print(status.summary().splitlines()[0])
rules = status.to_frame()
print(rules.to_string(max_rows=20, max_colwidth=40))

# %% The indicator board: one row per NYSE session, every figure as known then
board = rc.board("latest").frame
print(board[["net_liquidity", "hy_oas_level", "rut_minus_spx", "altseason"]].dropna(how="all").tail())

# %% One chart: net liquidity (USD billions) over the Russell 2000, written as a self-contained HTML file
recent = board.loc[board.index >= board.index[-1] - pd.Timedelta(days=3 * 365)]
figure = go.Figure()
figure.add_scatter(x=recent.index, y=recent["net_liquidity"], name="net liquidity (USD bn)")
figure.add_scatter(x=recent.index, y=recent["rut_close"], name="Russell 2000", yaxis="y2")
figure.update_layout(
    title=f"Net liquidity and the Russell 2000, data to {recent.index[-1]:%Y-%m-%d}",
    yaxis={"title": "USD billions"},
    yaxis2={"title": "index points", "overlaying": "y", "side": "right"},
)
out.mkdir(parents=True, exist_ok=True)
chart = out / "tour-net-liquidity.html"
figure.write_html(chart, include_plotlyjs=True)
print(f"wrote {chart}")
