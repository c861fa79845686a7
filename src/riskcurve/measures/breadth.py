"""Crypto breadth: the altcoin season index (Blockchaincenter method), survivorship-free.

Step (4) of the thesis ends with altcoins outperforming bitcoin. Blockchaincenter's index: take
the top 50 coins by market cap, leaving out stablecoins and wrapped/asset-backed tokens; the index
is the share of them (in %) whose 90-day return beat bitcoin's. 75 and above is "altcoin season",
25 and below "bitcoin season".

The universe must be the top 50 *as of each date*: using today's top 50 for 2018 would keep only
the coins that survived and thrived, and inflate every historical reading. So the market-cap
ranking is taken point in time, from the latest snapshot dated on or before each day.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskcurve.errors import ShortSampleWarning
from riskcurve.measures._common import asof_positions, check_frame, clean_series

#: Readings at or above this are "altcoin season", at or below BITCOIN_SEASON "bitcoin season".
ALTSEASON = 75.0
BITCOIN_SEASON = 25.0


def _window_return(values: pd.DataFrame, days: int) -> np.ndarray:
    """Simple return over exactly ``days`` calendar days, row by row (NaN if either day is absent).

    Exact, not as-of: a coin with a hole in its history must not get a 95-day return passed off as
    a 90-day one.
    """
    then = values.reindex(pd.DatetimeIndex(values.index) - pd.Timedelta(days=days))
    return values.to_numpy(dtype="float64") / then.to_numpy(dtype="float64") - 1


@dataclass(frozen=True)
class _Ranked:
    """Per date (rows) and coin (columns): each coin's window return, whether it is in the universe
    and whether it beat the benchmark; shared by the index and the per-coin view so both rank the
    same way."""

    returns: np.ndarray
    bench_ret: np.ndarray
    in_universe: np.ndarray
    beat: np.ndarray
    ranked_cap: np.ndarray  # point-in-time caps of coins in the ranking and not excluded (NaN otherwise)


def _ranking(
    close: pd.DataFrame,
    market_cap: pd.DataFrame,
    btc: pd.Series,
    exclude: Iterable[str] | pd.Series,
    *,
    top_n: int,
    window: int,
    benchmark: str,
    what: str,
) -> _Ranked:
    check_frame(close, f"{what}: close")
    check_frame(market_cap, f"{what}: market_cap")
    bench = clean_series(btc, f"{what}: btc")
    coins = pd.Index(close.columns)
    if isinstance(exclude, pd.Series):
        exclude = exclude.index[exclude.astype(bool).to_numpy()].astype(str)
    excluded = coins.isin([*exclude, benchmark])

    returns = _window_return(close.astype("float64"), window)
    bench_all = pd.Series(_window_return(bench.to_frame(), window)[:, 0], index=bench.index)
    bench_ret = bench_all.reindex(close.index).to_numpy()

    snapshots = market_cap.reindex(columns=coins)[market_cap.notna().any(axis=1)]
    pos = asof_positions(pd.DatetimeIndex(snapshots.index), pd.DatetimeIndex(close.index))
    caps = np.full(returns.shape, np.nan)
    caps[pos >= 0] = snapshots.to_numpy(dtype="float64")[pos[pos >= 0]]

    eligible = ~np.isnan(caps) & ~np.isnan(returns) & ~excluded[np.newaxis, :]
    order = np.argsort(np.where(eligible, -caps, np.inf), axis=1, kind="stable")[:, :top_n]
    in_universe = np.zeros_like(eligible)
    np.put_along_axis(in_universe, order, np.take_along_axis(eligible, order, axis=1), axis=1)
    with np.errstate(invalid="ignore"):
        beat = returns > bench_ret[:, np.newaxis]
    ranked_cap = np.where(excluded[np.newaxis, :], np.nan, caps)
    return _Ranked(returns, bench_ret, in_universe, beat, ranked_cap)


def altcoin_season_index(
    close: pd.DataFrame,
    market_cap: pd.DataFrame,
    btc: pd.Series,
    exclude: Iterable[str] | pd.Series = (),
    *,
    top_n: int = 50,
    window: int = 90,
    benchmark: str = "BTC",
) -> pd.DataFrame:
    """Altcoin season index on the dates of ``close``.

    Parameters
    ----------
    close:
        Wide frame, UTC days x coins, of daily closes in USD (NaN where a coin has no price).
    market_cap:
        Wide frame, dates x coins, of market caps: daily, or point-in-time snapshots (e.g. monthly
        CoinMarketCap top-200). Each row is a complete ranking: on every date the latest row dated
        on or before it is used, as a whole, so a coin missing from that row is not in the
        ranking (it is not carried over from an older snapshot). Never a later row.
    btc:
        Bitcoin's daily close, the benchmark, on the same UTC days.
    exclude:
        Coins never in the universe: stablecoins, wrapped and asset-backed tokens, as names or as
        a boolean Series of flags indexed by coin (e.g. ``exclude_from_altseason`` of the symbol
        flags file). ``benchmark`` is always left out too.
    top_n, window:
        Universe size (50) and return horizon in calendar days (90).

    Returns
    -------
    DataFrame indexed like ``close`` with ``index`` (0-100; NaN when the universe is empty or
    bitcoin has no ``window``-day return), ``universe_size`` (eligible coins used, at most
    ``top_n``) and ``outperformers`` (how many of them beat bitcoin).

    On each date a coin is eligible when it is in the current ranking, not excluded, and has a
    close both that day and exactly ``window`` days before; the ``top_n`` eligible coins with the
    largest market cap form the universe (all of them when fewer, with a
    :class:`ShortSampleWarning` saying on how many dates). Beating bitcoin means a strictly higher
    simple return. Equal market caps are ranked in column order of ``close``.
    """
    ranked = _ranking(
        close, market_cap, btc, exclude, top_n=top_n, window=window, benchmark=benchmark, what="altcoin_season_index"
    )
    size = ranked.in_universe.sum(axis=1)
    winners = (ranked.in_universe & ranked.beat).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where((size > 0) & ~np.isnan(ranked.bench_ret), 100.0 * winners / size, np.nan)

    short = (size < top_n) & ~np.isnan(index)
    if short.any():
        warnings.warn(
            f"altcoin_season_index: fewer than {top_n} eligible coins on {int(short.sum())} of "
            f"{len(size)} dates (smallest universe {int(size[short].min())}); see universe_size",
            ShortSampleWarning,
            stacklevel=2,
        )
    return pd.DataFrame(
        {"index": index, "universe_size": size, "outperformers": winners},
        index=close.index,
    )


def altseason_coins(
    close: pd.DataFrame,
    market_cap: pd.DataFrame,
    btc: pd.Series,
    day: pd.Timestamp,
    exclude: Iterable[str] | pd.Series = (),
    *,
    top_n: int = 50,
    window: int = 90,
    benchmark: str = "BTC",
) -> tuple[float, pd.DataFrame]:
    """The coins behind the index on ``day``: bitcoin's ``window``-day return, and per coin of the
    point-in-time ranking (largest market cap first) its return, whether it is in the universe and
    beat bitcoin, and why its return is unknown (no close that day, or none ``window`` days before).

    The same ranking as :func:`altcoin_season_index`, so the coins marked as beating bitcoin are
    exactly its ``outperformers`` on ``day``.
    """
    day = pd.Timestamp(day)
    start = day - pd.Timedelta(days=window)
    rows = close.reindex(pd.DatetimeIndex([start, day]))
    known_caps = market_cap[market_cap.index <= day]
    ranked = _ranking(
        rows,
        known_caps[known_caps.notna().any(axis=1)].tail(1),  # the ranking in force on the day
        btc.reindex(rows.index),  # the two closes its return needs
        exclude,
        top_n=top_n,
        window=window,
        benchmark=benchmark,
        what="altseason_coins",
    )
    caps = ranked.ranked_cap[1]
    listed = ~np.isnan(caps)
    by_cap = np.argsort(np.where(listed, -caps, np.inf), kind="stable")[: int(min(listed.sum(), top_n))]
    keep = np.zeros(len(caps), dtype=bool)
    keep[by_cap] = True
    keep |= ranked.in_universe[1]
    order = [i for i in np.argsort(-np.where(keep, caps, -np.inf), kind="stable") if keep[i]]
    coins = pd.Index(close.columns)[order]
    frame = pd.DataFrame(
        {
            "market_cap": caps[order],
            "return": ranked.returns[1][order],
            "in_universe": ranked.in_universe[1][order],
            "beat": ranked.in_universe[1][order] & ranked.beat[1][order],
        },
        index=pd.Index(coins, name="coin"),
    )
    frame["reason"] = _unknown_returns(close[coins], day, start, window)
    frame.loc[frame["reason"].notna(), "return"] = np.nan
    return float(ranked.bench_ret[1]), frame


def _unknown_returns(close: pd.DataFrame, day: pd.Timestamp, start: pd.Timestamp, window: int) -> list[str | None]:
    """Per column of ``close``, why it has no ``window``-day return on ``day`` (None when it has one).
    One pass over the frame, not one per coin: the board computes this for every status."""
    upto = close[close.index <= day]
    seen = upto.notna().to_numpy()
    dates = pd.DatetimeIndex(upto.index)

    def row(when: pd.Timestamp) -> np.ndarray:
        return seen[dates.get_loc(when)] if when in dates else np.zeros(seen.shape[1], dtype=bool)

    on_day, on_start, prior = row(day), row(start), seen[dates < day]
    reasons: list[str | None] = []
    for j in range(seen.shape[1]):
        if not on_day[j]:
            earlier = np.flatnonzero(prior[:, j])
            newest = f"newest close {dates[earlier[-1]]:%Y-%m-%d}" if len(earlier) else "no close yet"
            reasons.append(f"stale: no close on {day:%Y-%m-%d} ({newest})")
        elif not on_start[j]:
            first = dates[np.flatnonzero(seen[:, j])[0]]
            short = first > start
            reasons.append(
                f"too short a history: first close {first:%Y-%m-%d}, under {window} days"
                if short
                else f"no close on {start:%Y-%m-%d}, {window} days before"
            )
        else:
            reasons.append(None)
    return reasons
