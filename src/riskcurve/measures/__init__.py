"""Measures: pure, causal functions on aligned pandas objects (no files, no store).

Modules by step of the thesis: ``liquidity`` and ``credit`` (1, liquidity and credit ease),
``relative`` and ``breakout`` (2-3, large then small caps), ``breadth`` and ``context`` (4, crypto).
Every function's value at date t depends only on inputs dated on or before t; the few confirmations
that look forward (a breakout "held" for c closes) say so and are None until decided.
"""

from riskcurve.measures.breadth import altcoin_season_index
from riskcurve.measures.breakout import BreakoutConfig, BreakoutEvent, detect_breakouts, relative_strength
from riskcurve.measures.context import crypto_reset_context
from riskcurve.measures.credit import curve_10y3m, hy_oas, real_yield
from riskcurve.measures.liquidity import changes, net_liquidity, purchase_pace, tga_drawdown, zscore
from riskcurve.measures.relative import eth_btc_trend, ratio, ratio_trend, return_spread

__all__ = [
    "BreakoutConfig",
    "BreakoutEvent",
    "altcoin_season_index",
    "changes",
    "crypto_reset_context",
    "curve_10y3m",
    "detect_breakouts",
    "eth_btc_trend",
    "hy_oas",
    "net_liquidity",
    "purchase_pace",
    "ratio",
    "ratio_trend",
    "real_yield",
    "relative_strength",
    "return_spread",
    "tga_drawdown",
    "zscore",
]
