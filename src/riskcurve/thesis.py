"""The thesis's numbers, once: windows, horizons, staleness and coverage limits.

"Liquidity rotates down the risk curve" is tested with a handful of fixed choices (how far back a
return looks, how long after a breakout crypto should follow, when a feed counts as ended). They
live here so the board, the stage monitor, the study and the presenters cannot drift apart; each
says why it has its value.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

#: NYSE sessions behind the equity returns and spreads of the board: a quarter (252 / 4).
RETURN_WINDOW: Final = 63
#: UTC days behind the crypto returns of the board: a month.
CRYPTO_RETURN_DAYS: Final = 30

#: Days after a Russell 2000 breakout in which the thesis expects crypto to follow ("1-3 months").
FOLLOW_WINDOW_DAYS: Final = (30, 90)
#: Forward horizons of the event study, in days (one week to half a year).
STUDY_HORIZONS: Final = (7, 30, 60, 90, 180)
#: The horizons the thesis itself names ("within one to three months"): its lag claim is tested on these.
THESIS_HORIZONS: Final = (30, 60, 90)

#: How old a series' newest observation may be before it counts as stale, by frequency.
STALE_AFTER: Final[dict[str, pd.Timedelta]] = {
    "daily": pd.Timedelta(days=5),  # a long weekend plus a holiday
    "weekly": pd.Timedelta(days=12),  # one missed print
    "monthly": pd.Timedelta(days=95),  # dated the 1st, published ~8 weeks later
}
#: A derived crypto value (a return, an index) older than this at a decision time reads unknown.
CRYPTO_STALE: Final = pd.Timedelta(days=5)
#: Net liquidity: a carried H.4.1 component older than this (two missed weekly prints) is unknown.
LIQUIDITY_STALE: Final = pd.Timedelta(days=14)

# Altcoin season index (Blockchaincenter: top 50 ex stablecoins and wrapped, 90-day returns vs BTC).
ALTSEASON_TOP_N: Final = 50
ALTSEASON_WINDOW_DAYS: Final = 90
#: Fewest coins of the point-in-time top 50 with a complete 90-day window for the index to count.
#: In shared/data, while the monthly CoinMarketCap rankings are current (2020-01 .. 2025-10) the
#: catalog prices 30-44 of each point-in-time top 50 (27 at the lowest, in 2025); before 2020 only
#: the catalog's own daily caps rank coins and 1-15 coins qualify; after the last snapshot the
#: count decays as coin feeds end (1 by 2026-10). 20 (two fifths of the top 50) keeps the whole
#: snapshot era and refuses the thin pre-2020 and decaying tails, where one coin moves a share of
#: a dozen by 8 points.
ALTSEASON_MIN_UNIVERSE: Final = 20
#: Oldest ranking snapshot the index may rank by, in days. Snapshots are dated the 1st of each
#: month, 28-31 days apart, and known a day later, so a current ranking is at most 32 days old;
#: 45 days tolerates a snapshot two weeks late but not a missed month (59+ days).
ALTSEASON_MAX_RANKING_AGE: Final = pd.Timedelta(days=45)

#: The thesis's own date: the Russell 2000's first close above 2,600 and the order for $200B of GSE
#: MBS purchases (2026-01-08). Channel figures "since" count from it; the claims table checks against it.
CHANNEL_ANCHOR: Final = pd.Timestamp("2026-01-08")
#: The first settlement of the Fed's reserve-management bill purchases (about $40B a month).
RMP_START: Final = pd.Timestamp("2025-12-12")
