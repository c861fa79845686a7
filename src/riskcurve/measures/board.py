"""The indicator board: every measure of the thesis, point-in-time, on the NYSE decision clock.

This is where the pure measures meet the AlignedPanel. Each row is an NYSE session; each value is
what a trader could have known at that session's 16:00 New York close (levels published by then,
crypto days completed by then). Prices keep their own calendars for returns and breakouts; derived
crypto series are put on the clock only from the moment their UTC day is complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from riskcurve.data.panel import AlignedPanel, calendar_days, decision_times, nyse_sessions
from riskcurve.errors import CatalogError
from riskcurve.measures.breadth import altcoin_season_index
from riskcurve.measures.breakout import BreakoutConfig, BreakoutEvent, detect_breakouts, relative_strength
from riskcurve.measures.context import crypto_reset_context
from riskcurve.measures.credit import curve_10y3m, hy_oas, real_yield
from riskcurve.measures.liquidity import MAX_STALENESS, changes, purchase_pace, tga_drawdown, zscore
from riskcurve.measures.relative import eth_btc_trend, ratio

LEVEL_SERIES = ("WALCL", "WTREGEN", "RRPONTSYD", "TREAST", "WSHOMCB", "BAMLH0A0HYM2", "DFII10", "DGS10", "DGS3MO")
EQUITY_SERIES = ("RUT", "SPX", "NDX", "IXIC")
CRYPTO_STALE = pd.Timedelta(days=5)


@dataclass(frozen=True)
class BoardConfig:
    """What the board computes; ``from_mapping`` reads the ``[board]`` section of the config file."""

    leader: str = "RUT"
    start: str = "1990-01-01"
    breakout: BreakoutConfig = field(
        default_factory=lambda: BreakoutConfig(round_levels=tuple(float(x) for x in range(500, 5001, 100)))
    )
    return_window: int = 63
    crypto_return_days: int = 30
    hy_rank_years: float = 5.0
    altseason_top_n: int = 50
    altseason_window: int = 90
    altseason_min_universe: int = 10

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> BoardConfig:
        raw = dict(raw)
        breakout_raw = dict(raw.pop("breakout", {}))
        known = {f.name for f in fields(cls)} - {"breakout"}
        unknown = set(raw) - known
        if unknown:
            raise CatalogError(f"config [board]: unknown keys {sorted(unknown)}")
        base = cls()
        if breakout_raw:
            if "kinds" in breakout_raw:
                breakout_raw["kinds"] = tuple(breakout_raw["kinds"])
            if "round_levels" in breakout_raw:
                breakout_raw["round_levels"] = tuple(float(x) for x in breakout_raw["round_levels"])
            try:
                base = replace(base, breakout=replace(base.breakout, **breakout_raw))
            except (TypeError, ValueError) as exc:
                raise CatalogError(f"config [board.breakout]: {exc}") from exc
        return replace(base, **raw)


@dataclass
class Board:
    """Indicators on NYSE sessions (``frame``), the leader's breakouts, and crypto-day detail."""

    as_of: pd.Timestamp
    frame: pd.DataFrame
    breakouts: list[BreakoutEvent]
    altseason: pd.DataFrame
    context: dict[str, pd.DataFrame]

    def latest(self) -> pd.Series:
        """The last session's indicators (what ``status`` reports)."""
        return self.frame.iloc[-1] if len(self.frame) else pd.Series(dtype="float64")


def _sessions(panel: AlignedPanel, start: str) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    days = calendar_days("nyse", pd.Timestamp(start), panel.as_of.tz_localize(None).normalize())
    times = decision_times("nyse", days)
    keep = times <= panel.as_of
    return days[keep], times[keep]


def _sessions_since(events: list[BreakoutEvent], sessions: pd.DatetimeIndex) -> np.ndarray:
    """NYSE sessions elapsed since the latest breakout on or before each session (NaN before the first).

    Counted on the full exchange calendar, so a breakout before the board's first row still counts
    from its own date.
    """
    out = np.full(len(sessions), np.nan)
    if not events:
        return out
    calendar = nyse_sessions().union(sessions)
    event_pos = np.unique(calendar.searchsorted(pd.DatetimeIndex([e.date for e in events])))
    here = calendar.searchsorted(sessions)
    last = np.searchsorted(event_pos, here, side="right") - 1
    seen = last >= 0
    out[seen] = here[seen] - event_pos[last[seen]]
    return out


def _daily_return(close: pd.Series, days: int) -> pd.Series:
    """Return over ``days`` calendar days on a daily grid: needs a close exactly that many days back."""
    close = close.dropna()
    if close.empty:
        return close
    grid = close.reindex(pd.date_range(close.index[0], close.index[-1], freq="D"))
    return (grid / grid.shift(days) - 1).dropna()


def point_in_time_caps(panel: AlignedPanel, coins: list[str]) -> pd.DataFrame:
    """Market-cap rankings as known on each date: the coins' own daily caps until the first monthly
    CoinMarketCap top-200 snapshot, the snapshots from then on (each a complete ranking from its date).
    Rankings decide universes by what was big *then*, not by today's survivors."""
    daily_caps = pd.concat({c: panel.series(c, "market_cap") for c in coins}, axis=1).sort_index()
    snapshots = panel.members("CMC_TOP200", "market_cap") if "CMC_TOP200" in panel.catalog else pd.DataFrame()
    if len(snapshots):
        daily_caps = daily_caps[daily_caps.index < snapshots.index[0]]
        daily_caps = pd.concat([daily_caps, snapshots.reindex(columns=coins)]).sort_index()
    return daily_caps.reindex(columns=coins)


def crypto_closes(panel: AlignedPanel, coins: list[str]) -> pd.DataFrame:
    """Closes of ``coins`` on every UTC day from the first to the last (NaN where a coin has none)."""
    closes = pd.concat({c: panel.series(c) for c in coins}, axis=1).sort_index().dropna(how="all")
    if closes.empty:  # before any crypto history, or a store without coins
        return closes
    return closes.reindex(pd.date_range(closes.index[0], closes.index[-1], freq="D"))


def _altseason(panel: AlignedPanel, config: BoardConfig) -> pd.DataFrame:
    """Altcoin season index on UTC days, ranking by point-in-time market caps (no survivorship)."""
    catalog = panel.catalog
    coins = [s.id for s in catalog.crypto_universe()]
    closes = crypto_closes(panel, coins)
    if closes.empty or "BTC" not in closes or closes["BTC"].isna().all():
        return pd.DataFrame({"index": [], "universe_size": [], "outperformers": []}, index=pd.DatetimeIndex([]))
    excluded = [s.id for s in catalog.values() if s.asset_class == "crypto" and (s.stablecoin or s.wrapped)]
    index = altcoin_season_index(
        closes,
        point_in_time_caps(panel, coins),
        closes["BTC"],
        exclude=excluded,
        top_n=config.altseason_top_n,
        window=config.altseason_window,
    )
    # A share of a handful of coins is not an altcoin season: too thin a universe reads unknown.
    index.loc[index["universe_size"] < config.altseason_min_universe, "index"] = np.nan
    return index


def _reset_context(panel: AlignedPanel, coin: str) -> pd.DataFrame:
    """Reset measures of one coin; derivatives columns read NaN once their own feed has gone stale."""
    close = panel.series(coin)
    if close.empty:
        return pd.DataFrame()
    extras: dict[str, pd.Series] = {}
    for key, sid in (("open_interest", "OI_BINANCE_COINM"), ("funding", "FUNDING")):
        if sid in panel.catalog:
            values = panel.series(sid, member=coin)
            if len(values):
                extras[key] = values
    context = crypto_reset_context(close, **extras)
    for key, columns in (("open_interest", ("oi_chg_7d", "oi_chg_30d")), ("funding", ("funding", "funding_7d"))):
        if key in extras:
            too_old = context.index > extras[key].index[-1] + CRYPTO_STALE
            context.loc[too_old, list(columns)] = np.nan
    return context


def compute_board(panel: AlignedPanel, config: BoardConfig | None = None) -> Board:
    """All indicators as of ``panel.as_of``, one row per NYSE session since ``config.start``."""
    cfg = config or BoardConfig()
    coins = [s.id for s in panel.catalog.crypto_universe()]
    panel.preload([*LEVEL_SERIES, *EQUITY_SERIES, "IWM", *coins], ["close", "value", "volume", "market_cap"])
    sessions, times = _sessions(panel, cfg.start)
    out = pd.DataFrame(index=pd.DatetimeIndex(sessions, name="date"))

    # Liquidity and credit: published levels as known at each close.
    levels = panel.on_clock(LEVEL_SERIES, times)
    levels.index = out.index
    # Net liquidity from the components as published by each close; a component whose newest
    # observation is older than MAX_STALENESS (two missed weekly prints) makes the sum unknown.
    parts = panel.on_clock(("WALCL", "WTREGEN", "RRPONTSYD"), times, max_age=MAX_STALENESS)
    net = pd.Series(
        (parts["WALCL"] - parts["WTREGEN"] - parts["RRPONTSYD"]).to_numpy(), index=out.index, name="net_liquidity"
    )
    out["net_liquidity"] = net
    out = out.join(changes(net.dropna()).add_prefix("net_liquidity_"))
    out["net_liquidity_z1y"] = zscore(net.dropna())
    out = out.join(purchase_pace(levels["TREAST"].dropna(), levels["WSHOMCB"].dropna()))
    out["tga_chg_13w"] = tga_drawdown(levels["WTREGEN"].dropna())
    out = out.join(hy_oas(levels["BAMLH0A0HYM2"].dropna(), rank_years=cfg.hy_rank_years).add_prefix("hy_oas_"))
    out = out.join(real_yield(levels["DFII10"].dropna()).add_prefix("real_yield_"))
    out["curve_10y3m"] = curve_10y3m(levels["DGS10"].dropna(), levels["DGS3MO"].dropna())

    # Equities: own-calendar closes (the clock is their calendar); stale feeds read NaN.
    closes = panel.on_clock(EQUITY_SERIES, times)
    closes.index = out.index
    window = cfg.return_window
    for sid in EQUITY_SERIES:
        out[f"{sid.lower()}_close"] = closes[sid]
        out[f"{sid.lower()}_ret_{window}"] = closes[sid] / closes[sid].shift(window) - 1
    out["spx_vs_ma200"] = closes["SPX"] / closes["SPX"].rolling(200).mean() - 1
    # The Nasdaq-100 feed can lag (NDX ends before IXIC in shared/data): where NDX's return is unknown
    # the Composite's stands in, as a return (never a spliced level).
    out[f"nasdaq_ret_{window}"] = out[f"ndx_ret_{window}"].fillna(out[f"ixic_ret_{window}"])
    leader = cfg.leader.lower()
    for other in ("SPX", "NDX"):
        pair = closes[[cfg.leader, other]].dropna()
        out[f"{leader}_{other.lower()}_ratio"] = ratio(pair[cfg.leader], pair[other])
    out[f"{leader}_minus_spx_{window}"] = out[f"{leader}_ret_{window}"] - out[f"spx_ret_{window}"]
    out[f"{leader}_minus_nasdaq_{window}"] = out[f"{leader}_ret_{window}"] - out[f"nasdaq_ret_{window}"]
    rs = relative_strength(closes[cfg.leader], {"SPX": closes["SPX"], "NDX": closes["NDX"]}, window)
    out[f"{leader}_rs_streak"] = rs["streak_all"]

    breakouts = detect_breakouts(
        panel.series(cfg.leader),
        cfg.breakout,
        volume=panel.series("IWM", "volume"),
        others={"SPX": panel.series("SPX"), "NDX": panel.series("NDX")},
        name=cfg.leader,
    )
    out["sessions_since_breakout"] = _sessions_since(breakouts, out.index)

    # Crypto: computed on UTC days, on the clock only once the day is complete.
    btc, eth = panel.series("BTC"), panel.series("ETH")
    days = cfg.crypto_return_days
    for coin, close in (("btc", btc), ("eth", eth)):
        out[f"{coin}_close"] = panel.align(close, "crypto_utc", times, CRYPTO_STALE).to_numpy()
        out[f"{coin}_ret_{days}d"] = panel.align(
            _daily_return(close, days), "crypto_utc", times, CRYPTO_STALE
        ).to_numpy()
    pair = pd.concat({"ETH": eth, "BTC": btc}, axis=1, join="inner")
    if len(pair):
        trend = eth_btc_trend(pair["ETH"], pair["BTC"])
        out["eth_btc"] = panel.align(trend["value"], "crypto_utc", times, CRYPTO_STALE).to_numpy()
        out["eth_btc_vs_ma50"] = panel.align(
            trend["value"] / trend["ma_50"] - 1, "crypto_utc", times, CRYPTO_STALE
        ).to_numpy()
    else:
        out["eth_btc"] = out["eth_btc_vs_ma50"] = np.nan
    altseason = _altseason(panel, cfg)
    out["altseason"] = panel.align(altseason["index"], "crypto_utc", times, CRYPTO_STALE).to_numpy()
    out["altseason_universe"] = panel.align(altseason["universe_size"], "crypto_utc", times, CRYPTO_STALE).to_numpy()
    context = {coin: _reset_context(panel, coin) for coin in ("BTC", "ETH")}
    return Board(as_of=panel.as_of, frame=out, breakouts=breakouts, altseason=altseason, context=context)
