"""The indicator board: every measure of the thesis, point-in-time, on the NYSE decision clock.

This is where the pure measures meet the AlignedPanel. Each row is an NYSE session; each value is
what a trader could have known at that session's 16:00 New York close (levels published by then,
crypto days completed by then). Prices keep their own calendars for returns and breakouts; derived
crypto series are put on the clock only from the moment their UTC day is complete.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Annotated, Any

import numpy as np
import pandas as pd
from annotated_types import Ge, Gt

from riskcurve._json import jsonable
from riskcurve._typing import Role
from riskcurve.data.panel import AlignedPanel, calendar_days, decision_times, nyse_sessions, on_clock_published
from riskcurve.errors import CatalogError, ShortSampleWarning, unknown_key_hint
from riskcurve.measures.breadth import ALTSEASON, altcoin_season_index, altseason_coins
from riskcurve.measures.breakout import BreakoutConfig, BreakoutEvent, detect_breakouts, relative_strength
from riskcurve.measures.context import crypto_reset_context
from riskcurve.measures.credit import curve_10y3m, hy_oas, real_yield
from riskcurve.measures.liquidity import (
    changes,
    net_liquidity,
    panel_wednesday_tga,
    purchase_pace,
    tga_drawdown,
    zscore,
)
from riskcurve.measures.relative import eth_btc_trend, ratio, return_spread
from riskcurve.thesis import (
    ALTSEASON_MAX_RANKING_AGE,
    ALTSEASON_MIN_UNIVERSE,
    ALTSEASON_TOP_N,
    ALTSEASON_WINDOW_DAYS,
    CRYPTO_RETURN_DAYS,
    CRYPTO_STALE,
    LIQUIDITY_STALE,
    RETURN_WINDOW,
)


@dataclass(frozen=True)
class BoardConfig:
    """What the board computes; ``from_mapping`` reads the ``[board]`` section of the config file."""

    leader: str = "RUT"
    start: str = "1990-01-01"
    breakout: BreakoutConfig = field(
        default_factory=lambda: BreakoutConfig(round_levels=tuple(float(x) for x in range(500, 5001, 100)))
    )
    # Windows look back, never forward: a window below one would read a later close (look-ahead).
    return_window: Annotated[int, Ge(1)] = RETURN_WINDOW
    crypto_return_days: Annotated[int, Ge(1)] = CRYPTO_RETURN_DAYS
    hy_rank_years: Annotated[float, Gt(0)] = 5.0
    altseason_top_n: Annotated[int, Ge(1)] = ALTSEASON_TOP_N
    altseason_window: Annotated[int, Ge(1)] = ALTSEASON_WINDOW_DAYS
    altseason_min_universe: Annotated[int, Ge(1)] = ALTSEASON_MIN_UNIVERSE
    altseason_max_ranking_age_days: Annotated[int, Ge(0)] = ALTSEASON_MAX_RANKING_AGE.days

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> BoardConfig:
        raw = dict(raw)
        breakout_raw = dict(raw.pop("breakout", {}))
        known = {f.name for f in fields(cls)} - {"breakout"}
        unknown = set(raw) - known
        if unknown:
            key = sorted(unknown)[0]
            raise CatalogError(f"config [board]: unknown key {key!r}; {unknown_key_hint(key, [*known, 'breakout'])}")
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
        if "start" in raw:
            try:
                raw["start"] = pd.Timestamp(str(raw["start"])).date().isoformat()
            except (TypeError, ValueError):
                raise CatalogError(f"config [board]: start {raw['start']!r} is not a date (YYYY-MM-DD)") from None
        return replace(base, **raw)


@dataclass(frozen=True)
class CoinReturn:
    """One coin of the altcoin season ranking: its window return (None = unknown, ``reason`` says why)."""

    coin: str
    market_cap: float
    ret: float | None
    in_universe: bool
    beat: bool  # in the universe and a strictly higher return than bitcoin's
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "coin": self.coin,
            "market_cap": jsonable(self.market_cap),
            "return": jsonable(self.ret),
            "in_universe": self.in_universe,
            "beat_btc": self.beat,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class AltseasonCoins:
    """Per-coin returns behind the altcoin season index on one UTC day (Blockchaincenter's bars): each
    coin of the point-in-time ranking against bitcoin's return; the index is the share that beat it."""

    date: pd.Timestamp | None
    window: int
    btc_return: float | None
    coins: tuple[CoinReturn, ...] = ()
    threshold: float = ALTSEASON
    reason: str | None = None  # why there is nothing to show

    @property
    def known(self) -> tuple[CoinReturn, ...]:
        """Coins with a known return, best first (the bars)."""
        return tuple(sorted((c for c in self.coins if c.ret is not None), key=lambda c: -(c.ret or 0.0)))

    @property
    def unknown(self) -> tuple[CoinReturn, ...]:
        return tuple(c for c in self.coins if c.ret is None)

    @property
    def outperformers(self) -> int:
        return sum(c.beat for c in self.coins)

    @property
    def universe_size(self) -> int:
        return sum(c.in_universe for c in self.coins)

    def to_frame(self) -> pd.DataFrame:
        """One row per coin of the ranking, largest market cap first (return NaN = unknown)."""
        columns = ["coin", "market_cap", "return", "in_universe", "beat_btc", "reason"]
        return pd.DataFrame([c.to_dict() for c in self.coins], columns=columns).astype({"return": "float64"})

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": jsonable(self.date),
            "window_days": self.window,
            "btc_return": jsonable(self.btc_return),
            "threshold": self.threshold,
            "universe_size": self.universe_size,
            "outperformers": self.outperformers,
            "coins": [c.to_dict() for c in self.coins],
            "reason": self.reason,
        }

    def summary(self) -> str:
        if self.date is None or self.btc_return is None:
            return f"altcoin season coins: unknown ({self.reason or 'no bitcoin return'})"
        return (
            f"altcoin season coins on {self.date:%Y-%m-%d}: {self.outperformers} of {self.universe_size} beat "
            f"bitcoin's {self.window}-day {self.btc_return:+.1%}; {len(self.unknown)} unknown"
        )


@dataclass
class Board:
    """Indicators on NYSE sessions (``frame``), the leader's breakouts, and crypto-day detail.

    ``dates`` (same index as ``frame``, metric -> date) holds the date each figure is true for: the
    last real observation behind it (the older input's, for a spread). Where a figure is NaN it
    holds the last observation there was, so a reader can say *why* it is unknown. ``sources`` names
    the series that fed a metric with a stand-in (``nasdaq_ret``: "NDX" or "IXIC"), per session.
    ``windows`` says over what a metric is measured ("63-session"), so names never carry it.
    ``names`` gives short names of the series the board read (``{"RUT": "Russell 2000"}``).
    """

    as_of: pd.Timestamp
    frame: pd.DataFrame
    breakouts: list[BreakoutEvent]
    altseason: pd.DataFrame
    context: dict[str, pd.DataFrame]
    dates: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    windows: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    leader: str = "RUT"
    altseason_coins: AltseasonCoins = field(
        default_factory=lambda: AltseasonCoins(None, ALTSEASON_WINDOW_DAYS, None, reason="not computed")
    )

    def latest(self) -> pd.Series:
        """The last session's indicators (what ``status`` reports)."""
        return self.frame.iloc[-1] if len(self.frame) else pd.Series(dtype="float64")

    def to_frame(self) -> pd.DataFrame:
        """Every indicator on every NYSE session (the board itself)."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """The last session's indicators, each with the date it is true for and its window."""
        latest = self.latest()
        dates = self.dates.iloc[-1] if len(self.dates) else pd.Series(dtype="datetime64[ns]")
        return {
            "as_of": self.as_of.isoformat(),
            "session": jsonable(pd.Timestamp(self.frame.index[-1])) if len(self.frame) else None,
            "sessions": len(self.frame),
            "indicators": {
                str(k): {"value": jsonable(v), "date": jsonable(dates.get(k)), "window": self.windows.get(str(k))}
                for k, v in latest.items()
            },
            "breakouts": [e.to_dict() for e in self.breakouts],
        }

    def summary(self) -> str:
        if self.frame.empty:
            return f"indicator board as of {self.as_of:%Y-%m-%d %H:%M} UTC: no sessions"
        first, last = self.frame.index[0], self.frame.index[-1]
        known = int(self.latest().notna().sum())
        return (
            f"indicator board as of {self.as_of:%Y-%m-%d %H:%M} UTC: {len(self.frame):,} NYSE sessions "
            f"{first:%Y-%m-%d} .. {last:%Y-%m-%d}, {known} of {self.frame.shape[1]} indicators known on the last, "
            f"{len(self.breakouts):,} {self.leader} breakouts"
        )

    __str__ = summary

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>" + self.frame.tail(10).to_html()


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


def point_in_time_caps(
    panel: AlignedPanel, coins: list[str], *, top_n: int | None = None, exclude: Sequence[str] = ()
) -> pd.DataFrame:
    """Market-cap rankings as known on each date: the coins' own daily caps until the first monthly
    CoinMarketCap top-200 snapshot, the snapshots from then on (each a complete ranking from its date).
    Rankings decide universes by what was big *then*, not by today's survivors.

    With ``top_n``, a coin keeps its cap in a snapshot only if it ranks among the snapshot's
    ``top_n`` members not in ``exclude``, counting members the catalog has no prices for: so the
    universe is "the point-in-time top N that we can price", and its size says the coverage.
    """
    panel.preload(coins, ["market_cap"])  # one query for the whole universe, not one per coin
    daily_caps = pd.concat({c: panel.series(c, "market_cap") for c in coins}, axis=1, sort=True)
    snapshots = panel.members("CMC_TOP200", "market_cap") if "CMC_TOP200" in panel.catalog else pd.DataFrame()
    if len(snapshots):
        if top_n is not None:
            ranked = snapshots.drop(columns=[c for c in exclude if c in snapshots.columns])
            ranked = ranked.where(ranked.rank(axis=1, ascending=False, method="first") <= top_n)
            snapshots = ranked
        daily_caps = daily_caps[daily_caps.index < snapshots.index[0]]
        daily_caps = pd.concat([daily_caps, snapshots.reindex(columns=coins)]).sort_index()
    return daily_caps.reindex(columns=coins)


def crypto_closes(panel: AlignedPanel, coins: list[str]) -> pd.DataFrame:
    """Closes of ``coins`` on every UTC day from the first to the last (NaN where a coin has none)."""
    panel.preload(coins)  # one query for the whole universe, not one per coin
    closes = pd.concat({c: panel.series(c) for c in coins}, axis=1, sort=True).dropna(how="all")
    if closes.empty:  # before any crypto history, or a store without coins
        return closes
    return closes.reindex(pd.date_range(closes.index[0], closes.index[-1], freq="D"))


def _ranking_dates(caps: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Date of the ranking row in force on each day (NaT before the first)."""
    rows = pd.DatetimeIndex(caps.index[caps.notna().any(axis=1).to_numpy()])
    pos = np.searchsorted(rows.to_numpy(), days.to_numpy(), side="right") - 1
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[pos >= 0] = rows.to_numpy()[pos[pos >= 0]]
    return pd.DatetimeIndex(out)


def _altseason_reasons(frame: pd.DataFrame, config: BoardConfig) -> pd.Series:
    """Why the index is unknown on each day (None where it is known)."""
    age = (pd.DatetimeIndex(frame.index) - pd.DatetimeIndex(frame["ranking_date"])).days.to_numpy()
    size = frame["universe_size"].to_numpy()
    reasons = np.full(len(frame), None, dtype=object)
    thin = size < config.altseason_min_universe
    old = age > config.altseason_max_ranking_age_days
    reasons[np.isnan(frame["index"].to_numpy())] = _no_btc_return(config.altseason_window)
    for i in np.flatnonzero(thin):
        reasons[i] = (
            f"only {int(size[i])} of the point-in-time top {config.altseason_top_n} have a complete "
            f"{config.altseason_window}-day window (minimum {config.altseason_min_universe})"
        )
    for i in np.flatnonzero(old):
        reasons[i] = (
            f"the market-cap ranking is from {frame.index[i] - pd.Timedelta(days=int(age[i])):%Y-%m-%d}, "
            f"{int(age[i])} days old (limit {config.altseason_max_ranking_age_days})"
        )
    reasons[np.isnan(age)] = "no market-cap ranking yet"
    return pd.Series(reasons, index=frame.index)


@dataclass(frozen=True)
class _AltInputs:
    """What the altcoin season index ranks: closes on UTC days, point-in-time caps, coins left out."""

    closes: pd.DataFrame
    caps: pd.DataFrame
    excluded: list[str]


def _altseason_inputs(panel: AlignedPanel, config: BoardConfig) -> _AltInputs | None:
    """None before any bitcoin close (nothing to rank against)."""
    catalog = panel.catalog
    coins = [s.id for s in catalog.crypto_universe()]
    closes = crypto_closes(panel, coins)
    if closes.empty or "BTC" not in closes or closes["BTC"].isna().all():
        return None
    excluded = [s.id for s in catalog.values() if s.asset_class == "crypto" and (s.stablecoin or s.wrapped)]
    caps = point_in_time_caps(panel, coins, top_n=config.altseason_top_n, exclude=[*excluded, "BTC"])
    return _AltInputs(closes, caps, excluded)


def _altseason(inputs: _AltInputs | None, config: BoardConfig) -> pd.DataFrame:
    """Altcoin season index on UTC days, ranking by point-in-time market caps (no survivorship).

    Columns: ``index`` (NaN when unknown), ``universe_size``, ``outperformers``, ``ranking_date``
    (the ranking snapshot in force) and ``reason`` (why unknown). Too thin a universe or too old
    a ranking reads unknown: a share of a handful of coins is not an altcoin season.
    """
    columns = ["index", "universe_size", "outperformers", "ranking_date", "reason"]
    if inputs is None:
        return pd.DataFrame({c: [] for c in columns}, index=pd.DatetimeIndex([]))
    closes, caps = inputs.closes, inputs.caps
    with warnings.catch_warnings():  # thin universes are reported per day, below
        warnings.simplefilter("ignore", ShortSampleWarning)
        index = altcoin_season_index(
            closes,
            caps,
            closes["BTC"],
            exclude=inputs.excluded,
            top_n=config.altseason_top_n,
            window=config.altseason_window,
        )
    index["ranking_date"] = _ranking_dates(caps, pd.DatetimeIndex(index.index))
    index["reason"] = _altseason_reasons(index, config)
    index.loc[index["reason"].notna(), "index"] = np.nan
    return index


def _altseason_coins(inputs: _AltInputs | None, config: BoardConfig, day: Any) -> AltseasonCoins:
    """The per-coin returns behind the index on ``day`` (the day the last session's reading is for)."""
    window = config.altseason_window
    if inputs is None or pd.isna(day):
        return AltseasonCoins(None, window, None, reason="no altcoin season index for this session")
    day = pd.Timestamp(day)
    btc, frame = altseason_coins(
        inputs.closes,
        inputs.caps,
        inputs.closes["BTC"],
        day,
        inputs.excluded,
        top_n=config.altseason_top_n,
        window=window,
    )
    coins = tuple(
        CoinReturn(
            coin=str(coin),
            market_cap=float(row["market_cap"]),
            ret=None if pd.isna(row["return"]) else float(row["return"]),
            in_universe=bool(row["in_universe"]),
            beat=bool(row["beat"]),
            reason=row["reason"] if isinstance(row["reason"], str) else None,
        )
        for coin, row in frame.iterrows()
    )
    known = not np.isnan(btc)
    return AltseasonCoins(
        day, window, btc if known else None, coins, reason=None if known else _no_btc_return(window)
    )


def _no_btc_return(window: int) -> str:
    """Why the season is unknown when bitcoin itself has no return over the window."""
    return f"bitcoin has no {window}-day return"


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


Columns = dict[str, pd.Series]


def _older(*dates: pd.Series) -> pd.Series:
    """Per row, the oldest of several observation dates (NaT if any is NaT): a figure built from
    several inputs is true for the oldest of them."""
    frame = pd.concat(dates, axis=1)
    return frame.min(axis=1).where(frame.notna().all(axis=1))


def _liquidity_and_credit(
    panel: AlignedPanel, times: pd.DatetimeIndex, index: pd.DatetimeIndex, cfg: BoardConfig
) -> tuple[Columns, Columns, Columns]:
    """Published levels as known at each close: net liquidity, purchases, TGA, credit, rates; and
    which TGA convention fed the net-liquidity figures each session."""
    catalog = panel.catalog
    walcl, _, rrp = catalog.by_role("liquidity_component")  # the TGA is the Wednesday-level one below
    treast, mbs = catalog.by_role("purchases")
    hy = catalog.one("credit")
    real_10y, nominal_10y, bill_3m = catalog.by_role("rate")
    levels, seen = panel.on_clock_dated([treast, mbs, hy, real_10y, nominal_10y, bill_3m], times)
    levels.index = seen.index = index
    # Net liquidity from the components as published by each close; a component whose newest
    # observation is older than LIQUIDITY_STALE (two missed weekly prints) makes the sum unknown.
    parts, parts_seen = panel.on_clock_dated([walcl, rrp], times, max_age=LIQUIDITY_STALE)
    parts.index = parts_seen.index = index
    tga, tga_seen, tga_source = _wednesday_tga_on_clock(panel, times, index)
    net = net_liquidity(parts[walcl], tga, parts[rrp])
    out: Columns = {"net_liquidity": net, "net_liquidity_tga": tga}
    out.update({f"net_liquidity_{k}": v for k, v in changes(net.dropna()).items()})
    out["net_liquidity_z1y"] = zscore(net.dropna())
    pace = purchase_pace(levels[treast].dropna(), levels[mbs].dropna())
    out.update(dict(pace.items()))
    out["tga_chg_13w"] = tga_drawdown(tga.dropna())
    out.update({f"hy_oas_{k}": v for k, v in hy_oas(levels[hy].dropna(), rank_years=cfg.hy_rank_years).items()})
    out.update({f"real_yield_{k}": v for k, v in real_yield(levels[real_10y].dropna()).items()})
    out["curve_10y3m"] = curve_10y3m(levels[nominal_10y].dropna(), levels[bill_3m].dropna())
    net_date = _older(parts_seen[walcl], tga_seen, parts_seen[rrp])
    dates: Columns = {k: net_date for k in out if k.startswith("net_liquidity")}
    dates["net_liquidity_tga"] = dates["tga_chg_13w"] = tga_seen
    dates.update({k: _older(seen[treast], seen[mbs]) for k in pace.columns})
    dates.update({k: seen[hy] for k in out if k.startswith("hy_oas_")})
    dates.update({k: seen[real_10y] for k in out if k.startswith("real_yield_")})
    dates["curve_10y3m"] = _older(seen[nominal_10y], seen[bill_3m])
    sources = {k: tga_source for k in out if k.startswith("net_liquidity") or k == "tga_chg_13w"}
    return out, dates, sources


def _wednesday_tga_on_clock(
    panel: AlignedPanel, times: pd.DatetimeIndex, index: pd.DatetimeIndex
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The Wednesday-level TGA (``panel_wednesday_tga``) as published by each close, its observation
    date and the series it came from (TGA_DTS, WDTGAL or WTREGEN: the convention), per session."""
    tga = panel_wednesday_tga(panel)
    values, seen = on_clock_published(tga, times, max_age=LIQUIDITY_STALE)
    source = pd.Series(tga["source"].reindex(pd.DatetimeIndex(seen)).to_numpy(), index=index, dtype=object)
    return pd.Series(values.to_numpy(), index=index), pd.Series(seen.to_numpy(), index=index), source


def _equities(
    panel: AlignedPanel, times: pd.DatetimeIndex, index: pd.DatetimeIndex, cfg: BoardConfig
) -> tuple[Columns, Columns, Columns]:
    """Closes, returns, spreads and ratios from closes observed on each session itself.

    A close carried from an earlier session (a feed that ended, a missing day) is a level a screen
    shows, not a price that moved: a return, spread or ratio needs both of its endpoints observed
    on their own sessions, so across a carried price it is NaN, never a fake zero.
    """
    catalog = panel.catalog
    leader, large, tech, proxy = cfg.leader, catalog.one("large_cap"), catalog.one("tech"), catalog.one("tech_proxy")
    ids = list(dict.fromkeys([leader, large, tech, proxy]))
    closes, seen = panel.on_clock_dated(ids, times)
    closes.index = seen.index = index
    real = closes.where(seen.to_numpy() == index.to_numpy()[:, None])
    window = cfg.return_window
    out: Columns = {}
    dates: Columns = {}
    for sid in ids:
        key = sid.lower()
        out[f"{key}_close"] = closes[sid]
        out[f"{key}_ret"] = real[sid] / real[sid].shift(window) - 1
        dates[f"{key}_close"] = dates[f"{key}_ret"] = seen[sid]
    out["spx_vs_ma200"] = real[large] / real[large].rolling(200).mean() - 1
    dates["spx_vs_ma200"] = seen[large]
    # The Nasdaq-100 feed can lag (NDX ends before IXIC in shared/data): where NDX's return is
    # unknown the Composite's stands in, always as a whole window of one series (never a spliced
    # level), and ``sources`` says which series fed each session.
    use_tech = out[f"{tech.lower()}_ret"].notna()
    use_proxy = ~use_tech & out[f"{proxy.lower()}_ret"].notna()
    source = pd.Series(None, index=index, dtype=object)
    source[use_proxy.to_numpy()] = proxy
    source[use_tech.to_numpy()] = tech
    out["nasdaq_ret"] = out[f"{tech.lower()}_ret"].where(use_tech, out[f"{proxy.lower()}_ret"])
    dates["nasdaq_ret"] = seen[tech].where(use_tech | ~use_proxy, seen[proxy])
    lead = leader.lower()
    out[f"{lead}_minus_spx"] = return_spread(real[leader], real[large], window)
    dates[f"{lead}_minus_spx"] = _older(seen[leader], seen[large])
    spread_tech = return_spread(real[leader], real[tech], window)
    spread_proxy = return_spread(real[leader], real[proxy], window)
    out[f"{lead}_minus_nasdaq"] = spread_tech.where(use_tech, spread_proxy.where(use_proxy))
    dates[f"{lead}_minus_nasdaq"] = _older(seen[leader], dates["nasdaq_ret"])
    for other in (large, tech):
        out[f"{lead}_{other.lower()}_ratio"] = ratio(real[leader], real[other])
        dates[f"{lead}_{other.lower()}_ratio"] = _older(seen[leader], seen[other])
    rs = relative_strength(real[leader], {large: real[large], tech: real[tech]}, window)
    out[f"{lead}_rs_streak"] = rs["streak_all"].reindex(index)
    dates[f"{lead}_rs_streak"] = _older(seen[leader], seen[large], seen[tech])
    return out, dates, {"nasdaq_ret": source, f"{lead}_minus_nasdaq": source}


def _crypto(
    panel: AlignedPanel, times: pd.DatetimeIndex, index: pd.DatetimeIndex, cfg: BoardConfig, altseason: pd.DataFrame
) -> tuple[Columns, Columns]:
    """Crypto measures computed on UTC days, on the clock only once their day is complete."""
    out: Columns = {}
    dates: Columns = {}

    def put(name: str, series: pd.Series) -> None:
        values, days = panel.align_dated(series, "crypto_utc", times, CRYPTO_STALE)
        out[name] = pd.Series(values.to_numpy(), index=index)
        dates[name] = pd.Series(days.to_numpy(), index=index)

    btc, eth = (panel.series(c) for c in panel.catalog.by_role("follower"))
    for coin, close in (("btc", btc), ("eth", eth)):
        put(f"{coin}_close", close)
        put(f"{coin}_ret", _daily_return(close, cfg.crypto_return_days))
    pair = pd.concat({"ETH": eth, "BTC": btc}, axis=1, join="inner")
    if len(pair):
        trend = eth_btc_trend(pair["ETH"], pair["BTC"])
        put("eth_btc", trend["value"])
        put("eth_btc_vs_ma50", trend["value"] / trend["ma_50"] - 1)
    else:
        for name in ("eth_btc", "eth_btc_vs_ma50"):
            out[name] = pd.Series(np.nan, index=index)
            dates[name] = pd.Series(pd.NaT, index=index)
    put("altseason", altseason["index"].astype("float64"))
    put("altseason_universe", altseason["universe_size"].astype("float64"))
    return out, dates


def _daily_return(close: pd.Series, days: int) -> pd.Series:
    """Return over ``days`` calendar days on a daily grid: needs a close exactly that many days back
    (NaN on a day without one, so a hole is unknown rather than yesterday's value)."""
    close = close.dropna()
    if close.empty:
        return close
    grid = close.reindex(pd.date_range(close.index[0], close.index[-1], freq="D"))
    return (grid / grid.shift(days) - 1).iloc[days:]


def _short_name(name: str) -> str:
    """ "Russell 2000 price index" -> "Russell 2000": how a sentence names an index."""
    for suffix in (" price index", " index"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def board_on(panel: AlignedPanel, config: BoardConfig | None = None, board: Board | None = None) -> Board:
    """``board`` when given (one already computed at this panel's moment, e.g. a snapshot's), else the
    board computed on the panel: callers that may hold one need not compute it twice."""
    if board is None:
        return compute_board(panel, config)
    if board.as_of != panel.as_of:
        raise ValueError(f"the board is as of {board.as_of}, the panel as of {panel.as_of}")
    return board


def compute_board(panel: AlignedPanel, config: BoardConfig | None = None) -> Board:
    """All indicators as of ``panel.as_of``, one row per NYSE session since ``config.start``."""
    cfg = config or BoardConfig()
    catalog = panel.catalog
    coins = [s.id for s in catalog.crypto_universe()]
    roles: tuple[Role, ...] = (
        "liquidity_component", "tga_daily", "tga_wednesday", "purchases", "credit", "rate", "large_cap", "tech",
        "tech_proxy", "leader_volume",
    )  # fmt: skip
    used = [cfg.leader, *(sid for role in roles for sid in catalog.by_role(role))]
    panel.preload(used, ["close", "value", "volume"])
    panel.preload(coins, ["close", "market_cap"])  # not their volume: a third of the rows, unused here
    sessions, times = _sessions(panel, cfg.start)
    index = pd.DatetimeIndex(sessions, name="date")

    columns, dates, sources = _liquidity_and_credit(panel, times, index, cfg)
    equity, equity_dates, equity_sources = _equities(panel, times, index, cfg)
    sources.update(equity_sources)
    columns.update(equity)
    dates.update(equity_dates)

    large, tech = catalog.one("large_cap"), catalog.one("tech")
    breakouts = detect_breakouts(
        panel.series(cfg.leader),
        cfg.breakout,
        volume=panel.series(catalog.one("leader_volume"), "volume"),
        others={large: panel.series(large), tech: panel.series(tech)},
        name=cfg.leader,
    )
    # Unknown on a session without a leader close: a breakout could have happened unseen.
    leader_seen = dates[f"{cfg.leader.lower()}_close"]
    since = pd.Series(_sessions_since(breakouts, index), index=index)
    columns["sessions_since_breakout"] = since.where(leader_seen.to_numpy() == index.to_numpy())
    dates["sessions_since_breakout"] = leader_seen

    alt_inputs = _altseason_inputs(panel, cfg)
    altseason = _altseason(alt_inputs, cfg)
    crypto, crypto_dates = _crypto(panel, times, index, cfg, altseason)
    alt_day = crypto_dates["altseason"].iloc[-1] if len(index) else None
    columns.update(crypto)
    dates.update(crypto_dates)

    frame = pd.DataFrame({k: v.reindex(index) for k, v in columns.items()}, index=index)
    when = pd.DataFrame({k: pd.DatetimeIndex(v.reindex(index)) for k, v in dates.items()}, index=index)
    windows = {
        f"{s.lower()}_ret": f"{cfg.return_window}-session" for s in (cfg.leader, large, tech, catalog.one("tech_proxy"))
    }
    windows.update(
        {
            k: f"{cfg.return_window}-session"
            for k in ("nasdaq_ret", f"{cfg.leader.lower()}_minus_spx", f"{cfg.leader.lower()}_minus_nasdaq")
        }
    )
    windows.update({"btc_ret": f"{cfg.crypto_return_days}-day", "eth_ret": f"{cfg.crypto_return_days}-day"})
    windows["altseason"] = f"{cfg.altseason_window}-day"
    return Board(
        as_of=panel.as_of,
        frame=frame,
        breakouts=breakouts,
        altseason=altseason,
        context={coin: _reset_context(panel, coin) for coin in ("BTC", "ETH")},
        dates=when,
        sources=pd.DataFrame(sources, index=index),
        windows=windows,
        names={sid: _short_name(catalog[sid].name) for sid in used if sid in catalog},
        leader=cfg.leader,
        altseason_coins=_altseason_coins(alt_inputs, cfg, alt_day),
    )
