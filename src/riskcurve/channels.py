"""Every liquidity channel the thesis names, as known at one moment, with its date and its convention.

``compute_channels(panel, anchor)`` reads the channel series through the panel (so only what was
published by the panel's as-of exists) and returns a :class:`Channels`: one :class:`ChannelReading`
per figure, each with the observation date it is true for, the convention it uses (a week average or a
Wednesday level, a sum of flows or a level), and a reason when it is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from riskcurve._json import records
from riskcurve.data.panel import AlignedPanel
from riskcurve.measures import channels as ch
from riskcurve.measures.liquidity import TGA_CONVENTIONS, panel_wednesday_tga
from riskcurve.thesis import CHANNEL_ANCHOR, RMP_START, STALE_AFTER

#: Units as a reader sees them, and how to print a value in each.
_FORMATS: dict[str, Callable[[float], str]] = {
    "usd_bn": lambda v: f"{'-' if v < 0 else ''}${abs(v):,.1f}bn",
    "usd_bn_month": lambda v: f"{'-' if v < 0 else ''}${abs(v):,.1f}bn/month",
    "pct": lambda v: f"{v:.2f}%",
    "pp": lambda v: f"{v:+.2f} pp",
    "growth": lambda v: f"{v:+.1%}",
    "index": lambda v: f"{v:.0f}",
    "pct8h": lambda v: f"{v:+.4f}% per 8h",
    "rank": lambda v: f"{v:.0%} of its history",
    "return": lambda v: f"{v:+.1%}",
    "ratio": lambda v: f"{v:.2f}x",
}


def format_value(value: float, unit: str) -> str:
    """A figure as a person reads it in its unit (``usd_bn``, ``pct``, ``growth``, ``return``, ...)."""
    return _FORMATS[unit](value)


#: Every reading's key, in the order shown (a claim names its figure by one of these).
CHANNEL_KEYS: tuple[str, ...] = (
    "bill_pace_30d",
    "bill_pace_since_rmp",
    "bill_holdings_chg_4w",
    "reserves",
    "reserves_chg_4w",
    "reserves_chg_13w",
    "tga",
    "tga_chg_since",
    "tga_chg_4w",
    "mortgage_spread",
    "mortgage_spread_chg_since",
    "usdt_supply",
    "usdt_growth_30d",
    "usdt_growth_90d",
    "usdc_supply",
    "usdc_growth_30d",
    "usdc_growth_90d",
    "stablecoins_total",
    "btc_etf_5d",
    "btc_etf_20d",
    "eth_etf_5d",
    "eth_etf_20d",
    "net_liquidity_net_4w",
    "net_liquidity_fed_assets_4w",
    "net_liquidity_tga_4w",
    "net_liquidity_rrp_4w",
    "net_liquidity_net_13w",
    "net_liquidity_fed_assets_13w",
    "net_liquidity_tga_13w",
    "net_liquidity_rrp_13w",
    "btc_funding_7d",
    "btc_funding_rank",
    "btc_open_interest",
    "btc_open_interest_rank",
    "btc_depth_1pct",
    "btc_depth_1pct_rank",
    "btc_depth_2pct",
    "btc_depth_2pct_rank",
    "eth_depth_1pct",
    "eth_depth_1pct_rank",
    "eth_depth_2pct",
    "eth_depth_2pct_rank",
    "fear_greed",
    "fear_greed_rank",
)


@dataclass(frozen=True)
class ChannelReading:
    """One channel figure: its value (None: unknown, see ``reason``), unit, date and convention."""

    key: str
    channel: str
    label: str
    value: float | None
    unit: str
    date: pd.Timestamp | None
    convention: str
    reason: str | None = None

    @property
    def display(self) -> str:
        if self.value is None:
            return f"unknown: {self.reason}"
        return format_value(self.value, self.unit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "channel": self.channel,
            "label": self.label,
            "value": None if self.value is None else round(self.value, 6),
            "unit": self.unit,
            "date": None if self.date is None else self.date.date().isoformat(),
            "convention": self.convention,
            "display": self.display,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Channels:
    """The liquidity channels as known at ``as_of``; ``anchor`` is the date "since" figures count from."""

    as_of: pd.Timestamp
    anchor: pd.Timestamp
    readings: tuple[ChannelReading, ...]

    def __getitem__(self, key: str) -> ChannelReading:
        for reading in self.readings:
            if reading.key == key:
                return reading
        raise KeyError(key)

    def summary(self) -> str:
        lines = [f'liquidity channels as of {self.as_of:%Y-%m-%d %H:%M} UTC ("since" = {self.anchor:%Y-%m-%d})']
        for r in self.readings:
            day = f"{r.date:%Y-%m-%d}" if r.date is not None else "—"
            lines.append(f"  {r.label:<50} {r.display:<34} {day}")
        return "\n".join(lines)

    __str__ = summary

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.to_dict() for r in self.readings])

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "anchor": self.anchor.date().isoformat(),
            "readings": records(self.to_frame()),
        }

    def _repr_html_(self) -> str:
        return self.to_frame()[["channel", "label", "display", "date", "convention"]].to_html(index=False)


@dataclass(frozen=True)
class _Context:
    """What every reading of one computation shares: the day it is computed for."""

    until: pd.Timestamp

    def reading(
        self,
        key: str,
        channel: str,
        label: str,
        figure: ch.Figure | None,
        unit: str,
        convention: str,
        series: pd.Series,
        max_age: pd.Timedelta,
        too_short: str = "history too short",
    ) -> ChannelReading:
        """A reading, unknown with its reason when there is no figure (``too_short``: the reason when
        data exist but too few for the figure) or its data are older than ``max_age``."""
        known = series.dropna()
        last = pd.Timestamp(known.index[-1]) if len(known) else None
        newest = figure.date if figure is not None else last
        reason = None
        if last is None:
            reason = "no data"
        elif newest is not None and self.until - newest > max_age:
            reason = f"no data since {newest:%Y-%m-%d} ({(self.until - newest).days} days)"
        elif figure is None:
            reason = too_short
        if reason is not None:
            return ChannelReading(key, channel, label, None, unit, None, convention, reason)
        assert figure is not None
        return ChannelReading(key, channel, label, figure.value, unit, figure.date, convention)


def _scaled(figure: ch.Figure | None, factor: float) -> ch.Figure | None:
    return None if figure is None else ch.Figure(figure.value * factor, figure.date)


DAILY, WEEKLY = STALE_AFTER["daily"], STALE_AFTER["weekly"]
#: NY Fed bill operations settle a few times a month, not every day.
OPERATIONS_STALE = pd.Timedelta(days=30)


def compute_channels(panel: AlignedPanel, anchor: pd.Timestamp = CHANNEL_ANCHOR) -> Channels:
    """Every channel reading at the panel's as-of (USD amounts in billions, the panel's standard unit)."""
    s = panel.series
    at = _Context(pd.Timestamp(panel.as_of.tz_convert("UTC").date()))
    bills, holdings = s("FED_BILL_PURCHASES"), s("WSHOBL")
    reserves, tga = s("WRBWFRBL"), s("TGA_DTS")
    mortgage = ch.spread_on_same_date(s("MORTGAGE30US"), s("DGS10"))
    ops, h41, dts, pmms = (
        "NY Fed operations, by settlement date",
        "H.4.1 Wednesday level",
        "Daily Treasury Statement closing balance",
        "PMMS weekly rate minus DGS10 of the same date",
    )
    readings = [
        at.reading(
            "bill_pace_30d",
            "Fed bill purchases",
            "bill purchases, last 30 days",
            ch.monthly_pace(bills, 30, at.until),
            "usd_bn_month",
            ops,
            bills,
            OPERATIONS_STALE,
        ),
        at.reading(
            "bill_pace_since_rmp",
            "Fed bill purchases",
            f"bill purchases since {RMP_START:%Y-%m-%d}",
            ch.pace_since(bills, RMP_START, at.until),
            "usd_bn_month",
            f"{ops}, monthly average",
            bills,
            OPERATIONS_STALE,
        ),
        at.reading(
            "bill_holdings_chg_4w",
            "Fed bill purchases",
            "bill holdings, 4-week change (WSHOBL, live only)",
            ch.change_over(holdings, 28),
            "usd_bn",
            h41,
            holdings,
            WEEKLY,
        ),
        at.reading(
            "reserves", "bank reserves", "reserves (WRBWFRBL)", ch.level(reserves), "usd_bn", h41, reserves, WEEKLY
        ),
        *(
            at.reading(
                f"reserves_chg_{w}w",
                "bank reserves",
                f"reserves, {w}-week change",
                ch.change_over(reserves, 7 * w),
                "usd_bn",
                h41,
                reserves,
                WEEKLY,
            )
            for w in (4, 13)
        ),
        at.reading("tga", "Treasury General Account", "TGA, daily close", ch.level(tga), "usd_bn", dts, tga, DAILY),
        at.reading(
            "tga_chg_since",
            "Treasury General Account",
            f"TGA change since {anchor:%Y-%m-%d}",
            ch.change_since(tga, anchor),
            "usd_bn",
            f"{dts}; negative = drawdown, adds liquidity",
            tga,
            DAILY,
        ),
        at.reading(
            "tga_chg_4w",
            "Treasury General Account",
            "TGA, 4-week change",
            ch.change_over(tga, 28),
            "usd_bn",
            dts,
            tga,
            DAILY,
        ),
        at.reading(
            "mortgage_spread",
            "GSE MBS purchases",
            "30y mortgage rate minus 10y Treasury",
            ch.level(mortgage),
            "pct",
            pmms,
            mortgage,
            WEEKLY,
        ),
        at.reading(
            "mortgage_spread_chg_since",
            "GSE MBS purchases",
            f"mortgage spread change since {anchor:%Y-%m-%d}",
            ch.change_since(mortgage, anchor),
            "pp",
            pmms,
            mortgage,
            WEEKLY,
        ),
    ]
    snapshot = "snapshot at about 00:00 UTC on its date"
    for coin in ("USDT", "USDC"):
        supply = s(f"{coin}_SUPPLY")
        readings.append(
            at.reading(
                f"{coin.lower()}_supply",
                "stablecoins",
                f"{coin} supply",
                _scaled(ch.level(supply), 1e-9),
                "usd_bn",
                snapshot,
                supply,
                DAILY,
            )
        )
        readings += [
            at.reading(
                f"{coin.lower()}_growth_{d}d",
                "stablecoins",
                f"{coin} supply, {d}-day growth",
                ch.growth_over(supply, d),
                "growth",
                f"simple growth, {snapshot}",
                supply,
                DAILY,
            )
            for d in (30, 90)
        ]
    total = s("STABLECOINS_TOTAL")
    readings.append(
        at.reading(
            "stablecoins_total",
            "stablecoins",
            "all stablecoins (DefiLlama)",
            _scaled(ch.level(total), 1e-9),
            "usd_bn",
            snapshot,
            total,
            DAILY,
        )
    )
    for fund in ("BTC", "ETH"):
        flows = s(f"{fund}_ETF_FLOWS")
        readings += [
            at.reading(
                f"{fund.lower()}_etf_{n}d",
                "spot ETF flows",
                f"{fund} spot ETFs, net flow over {n} sessions",
                ch.sum_of_last(flows, n),
                "usd_bn",
                "Farside daily net flows, all US funds",
                flows,
                DAILY,
            )
            for n in (5, 20)
        ]
    readings += _decomposition(at, s("WALCL"), panel_wednesday_tga(panel), s("RRPONTSYD"))
    readings += _reset(at, panel)
    return Channels(as_of=panel.as_of, anchor=anchor, readings=tuple(readings))


#: The percentile of a reset figure needs this much of its own history (daily samples).
RESET_MIN_HISTORY = 250
RANK_CONVENTION = "share of its own history at or below the latest value"


def _reset(at: _Context, panel: AlignedPanel) -> list[ChannelReading]:
    """The crypto "reset" the thesis rests on: BTC funding and open interest, BTC and ETH order-book
    depth within 1% and 2% of mid (live samples: their history accrues from the first `update`), and Fear
    & Greed, each with its date and its percentile against its own history (unknown, with how much
    history there is, until it has ``RESET_MIN_HISTORY`` days)."""
    funding = panel.members("FUNDING", "close").get("BTC", pd.Series(dtype=float)).dropna()
    interest = panel.members("OI_BINANCE_COINM", "close").get("BTC", pd.Series(dtype=float)).dropna()
    out = [
        *_ranked(at, "btc_funding", "BTC perpetual funding", funding, "pct8h", "Coinalyze daily close, percent per 8h",
                 level=funding.rolling(7).mean(), level_label="BTC perpetual funding, 7-day mean",
                 level_key="btc_funding_7d"),
        *_ranked(at, "btc_open_interest", "BTC open interest", interest, "usd_bn", "Coinalyze daily close",
                 scale=1e-9, level_label="BTC open interest (Binance coin-margined)"),
    ]  # fmt: skip
    for coin in ("BTC", "ETH"):
        for field, pct in (("value", 1), ("depth_2pct", 2)):
            depth = panel.series(f"BOOK_DEPTH_{coin}", field).dropna()
            out += _ranked(
                at,
                f"{coin.lower()}_depth_{pct}pct",
                f"{coin} order-book depth within {pct}% of mid",
                depth,
                "usd_bn",
                "Binance spot bid + ask, sampled by update/watch (live only)",
                scale=1e-9,
                no_data="no sample yet: update/watch sample it live, from their first run on",
            )
    greed = panel.series("FEAR_GREED")
    out += _ranked(
        at, "fear_greed", "Crypto Fear & Greed", greed, "index", "alternative.me, 00:00 UTC",
        level_label="Crypto Fear & Greed (0-100)",
    )  # fmt: skip
    return out


def _ranked(
    at: _Context,
    key: str,
    label: str,
    series: pd.Series,
    unit: str,
    convention: str,
    *,
    scale: float = 1.0,
    level: pd.Series | None = None,
    level_label: str | None = None,
    level_key: str | None = None,
    no_data: str | None = None,
) -> list[ChannelReading]:
    """A reset figure's level (``level`` when it is a smoothing of ``series``) and its percentile;
    ``no_data`` says why a series without a single observation has none."""
    known = series.dropna()
    figure = _scaled(ch.level(known if level is None else level), scale)
    shown = at.reading(level_key or key, "crypto reset", level_label or label, figure, unit, convention, known, DAILY)
    rank = at.reading(
        f"{key}_rank",
        "crypto reset",
        f"{label}, percentile",
        ch.percentile_of_last(known, RESET_MIN_HISTORY),
        "rank",
        RANK_CONVENTION,
        known,
        DAILY,
        too_short=f"history too short ({len(known)} of {RESET_MIN_HISTORY} days)",
    )
    if no_data is not None and known.empty:
        shown, rank = replace(shown, reason=no_data), replace(rank, reason=no_data)
    return [shown, rank]


def _decomposition(at: _Context, fed: pd.Series, tga: pd.DataFrame, rrp: pd.Series) -> list[ChannelReading]:
    """The 4- and 13-week change of net liquidity and its parts, with the board's Wednesday-level TGA
    (``panel_wednesday_tga``: the DTS Wednesday close, WDTGAL, WTREGEN only before either begins), so
    every part is a level of the same Wednesday where the data allow; the convention names the TGA used."""
    level = tga["value"]
    out = []
    for weeks in (4, 13):
        parts = ch.net_liquidity_decomposition(fed, level, rrp, weeks)
        convention = _decomposition_convention(tga, None if parts is None else parts["net"].date, weeks)
        for part, label in (
            ("net", "net liquidity"),
            ("fed_assets", "  from Fed assets"),
            ("tga", "  from the TGA"),
            ("rrp", "  from reverse repo"),
        ):
            figure = None if parts is None else parts[part]
            out.append(
                at.reading(
                    f"net_liquidity_{part}_{weeks}w",
                    "net liquidity",
                    f"{label}, {weeks}-week change",
                    figure,
                    "usd_bn",
                    convention,
                    level,
                    WEEKLY,
                )
            )
    return out


def _decomposition_convention(tga: pd.DataFrame, end: pd.Timestamp | None, weeks: int) -> str:
    """The convention text naming the TGA convention at both ends of the window (both when it switched)."""
    sources = tga["source"]
    if end is not None:
        sources = sources.loc[end - pd.Timedelta(weeks=weeks, days=7) : end]
    names = list(dict.fromkeys(TGA_CONVENTIONS[str(s)] for s in sources.iloc[[0, -1]])) if len(sources) else []
    tga_text = " then ".join(names) or "Wednesday level"
    return f"WALCL - TGA - RRP, TGA as {tga_text}"
