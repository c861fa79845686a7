"""Shared type aliases and Literal enums, so layers agree on spelling."""

from __future__ import annotations

from typing import Literal

Calendar = Literal["nyse", "crypto_utc"]
Frequency = Literal["daily", "weekly", "monthly"]
SeriesKind = Literal["ohlcv", "value", "members"]
AssetClass = Literal[
    "equity_index",
    "etf",
    "liquidity",
    "rate",
    "credit",
    "volatility",
    "money",
    "crypto",
    "crypto_market",
    "derivatives",
]
SourceName = Literal["csvdir", "fred", "yahoo", "ccxt", "coingecko"]

# Columns of the standard frame every source returns (see data/sources/base.py).
STANDARD_COLUMNS: tuple[str, ...] = ("date", "member", "field", "value", "realtime_start")
