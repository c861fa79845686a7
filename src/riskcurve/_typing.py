"""Shared type aliases and Literal enums, so layers agree on spelling."""

from __future__ import annotations

from typing import Literal

Calendar = Literal["nyse", "crypto_utc"]
Frequency = Literal["daily", "weekly", "monthly"]
#: A feed at a moment: fresh; stale (behind, alone or with every feed of its calendar); ended (the
#: other feeds of its calendar went on well past its last observation: delisted, discontinued); missing.
FeedState = Literal["fresh", "stale", "ended", "missing"]
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
    "flows",  # daily or per-operation flows (ETF net flows, Fed bill purchases, TGA deposits/withdrawals)
    "sentiment",  # survey or composite sentiment indices (Crypto Fear & Greed)
]
#: What a series is to the thesis (catalog ``role``); code asks the catalog by role, not by id.
Role = Literal[
    "leader",  # the index whose breakout starts step 3 (Russell 2000)
    "leader_volume",  # a tradable proxy whose volume confirms the leader's breakouts (IWM)
    "large_cap",  # step 2's broad large-cap index (S&P 500)
    "tech",  # step 2's tech index (Nasdaq-100)
    "tech_proxy",  # stands in for ``tech`` where its feed has ended (Nasdaq Composite)
    "liquidity_component",  # net liquidity = Fed assets - TGA - RRP
    "purchases",  # Fed holdings whose pace is reported (Treasuries, MBS)
    "credit",  # step 1's credit spread (HY OAS)
    "rate",  # yields the board reports (real yield, curve)
    "follower",  # crypto assets the thesis expects to follow (BTC, ETH)
    "reserves",  # bank reserves at the Fed (H.4.1)
    "mortgage_rate",  # the GSE MBS channel: mortgage rate against the 10-year yield
    "tga_daily",  # the Treasury's cash from the Daily Treasury Statement
    "bill_purchases",  # NY Fed outright bill purchases (reserve-management purchases)
    "bill_holdings",  # the Fed's Treasury-bill holdings, the stock those purchases build
    "stablecoin_supply",  # dollars parked on-chain, ready for crypto
    "etf_flows",  # US spot crypto ETF net flows
    "sentiment",  # the crypto "reset": Fear & Greed
]
SourceName = Literal["csvdir", "fred", "yahoo", "ccxt", "coingecko"]

# Columns of the standard frame every source returns (see data/sources/base.py).
STANDARD_COLUMNS: tuple[str, ...] = ("date", "member", "field", "value", "realtime_start")
