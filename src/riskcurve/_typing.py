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
    "reserves",  # bank reserves at the Fed (week average WRESBAL, Wednesday level WRBWFRBL)
    "mortgage_rate",  # 30-year mortgage rate (the GSE MBS channel: mortgage minus 10-year yield)
    "tga_daily",  # daily TGA closing balance from the Daily Treasury Statement
    "tga_wednesday",  # H.4.1 Wednesday-level TGA (WDTGAL), the net-liquidity convention
    "tga_flows",  # daily TGA deposits / withdrawals / net (DTS)
    "tax_refunds",  # DTS "IRS Tax Refunds Individual" withdrawals
    "bill_purchases",  # Fed Treasury-bill purchases accepted, by settlement date (NY Fed operations)
    "bill_holdings",  # Fed holdings of Treasury bills (H.4.1 WSHOBL)
    "treasury_operations",  # every NY Fed outright Treasury operation
    "stablecoin_supply",  # supply of one stablecoin (USDT, USDC)
    "stablecoin_total",  # supply of all stablecoins together
    "etf_flows",  # US spot crypto ETF daily net flows
    "sentiment",  # crypto Fear & Greed index
    "market_depth",  # order-book depth near mid, sampled live
    "funding",  # perpetual funding rates
    "open_interest",  # perpetual open interest
]
SourceName = Literal["csvdir", "fred", "yahoo", "ccxt", "coingecko", "fiscal", "nyfed", "defillama", "alternative_me"]

# Columns of the standard frame every source returns (see data/sources/base.py).
STANDARD_COLUMNS: tuple[str, ...] = ("date", "member", "field", "value", "realtime_start")
