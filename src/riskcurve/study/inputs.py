"""From the panel to the study's plain inputs: leader sessions, follower closes, entry maps, regimes.

This is the one study module that reads the AlignedPanel; everything after it works on the arrays
and series assembled here, so the statistics never know where the numbers came from.

Timing: a leader close is knowable at its session's 16:00 New York close. A follower is entered at
its first close strictly *after* that moment (for crypto, the UTC day ending a few hours later;
for another equity, the next session), which is when a trader acting on the signal could trade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskcurve.data.panel import AlignedPanel, decision_times
from riskcurve.errors import DataValidationError
from riskcurve.measures.board import crypto_closes, point_in_time_caps

ALTS = "ALTS"


@dataclass
class Follower:
    """A follower's closes on its own bar dates and the UTC moment each close happened."""

    name: str
    close: pd.Series
    close_time: pd.DatetimeIndex
    periods_per_year: int

    def bars(self) -> tuple[pd.Series, pd.DatetimeIndex]:
        """Closes on the follower's full bar grid and when each bar closes (UTC).

        Crypto gets every calendar day (a missing day stays NaN, so "h bars ahead" is "h days
        ahead" and a gap is never bridged); other followers keep their own sessions.
        """
        if self.periods_per_year != 365:
            return self.close, self.close_time
        days = pd.date_range(self.close.index[0], self.close.index[-1], freq="D")
        return self.close.reindex(days), decision_times("crypto_utc", days)


@dataclass
class StudyInputs:
    leader: str
    leader_close: pd.Series  # on the leader's own sessions
    leader_known: pd.DatetimeIndex  # UTC moment each leader close was knowable
    followers: dict[str, Follower]
    regime: pd.Series  # leader above its 200-session average, per leader session (bool)
    equities: dict[str, pd.Series] = field(default_factory=dict)  # peers of the leader (SPX, NDX), session closes
    leader_history: pd.Series | None = None  # uncut closes: an all-time high needs the years before --start


def alt_basket(panel: AlignedPanel, top_n: int = 10) -> pd.Series:
    """Equal-weight index of the ``top_n`` largest altcoins *as of each day* (not today's survivors).

    Membership for the return from day t-1 to t is decided by the ranking known at t-1 (excluding
    BTC, ETH, stablecoins and wrapped tokens); a member without both closes drops out of that day's
    average. The index starts at 100.
    """
    coins = [s.id for s in panel.catalog.crypto_universe() if s.id not in ("BTC", "ETH")]
    closes = crypto_closes(panel, coins)
    if closes.empty:
        return pd.Series(dtype="float64", name=ALTS)
    caps = point_in_time_caps(panel, coins)
    caps = caps[caps.notna().any(axis=1)]
    position = np.searchsorted(caps.index.to_numpy(), closes.index.to_numpy(), side="right") - 1
    ranking = np.full(closes.shape, np.nan)
    ranking[position >= 0] = caps.to_numpy(dtype="float64")[position[position >= 0]]
    returns = (closes / closes.shift(1) - 1).to_numpy()
    # Rank by yesterday's known caps among coins with a return today.
    prior = np.vstack([np.full((1, closes.shape[1]), np.nan), ranking[:-1]])
    eligible = np.isfinite(prior) & np.isfinite(returns)
    order = np.argsort(np.where(eligible, -prior, np.inf), axis=1, kind="stable")[:, :top_n]
    members = np.take_along_axis(eligible, order, axis=1)
    chosen = np.take_along_axis(np.nan_to_num(returns), order, axis=1)
    count = members.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = pd.Series(np.where(count > 0, (chosen * members).sum(axis=1) / count, np.nan), index=closes.index)
    valid = daily.notna().to_numpy()
    if not valid.any():
        return pd.Series(dtype="float64", name=ALTS)
    first = int(np.argmax(valid))
    returns = daily.iloc[first:]
    level = 100 * (1 + returns.fillna(0.0)).cumprod()
    level[returns.isna()] = np.nan  # a day no member traded has no close; the next day resumes
    if first > 0:
        level = pd.concat([pd.Series([100.0], index=closes.index[first - 1 : first]), level])
    return level.dropna().rename(ALTS)


def _follower(panel: AlignedPanel, name: str, alt_top_n: int) -> Follower:
    if name == ALTS:
        close = alt_basket(panel, alt_top_n)
        if close.empty:
            raise DataValidationError(f"follower {ALTS}: no altcoin closes as of {panel.as_of:%Y-%m-%d}")
        return Follower(name, close, decision_times("crypto_utc", pd.DatetimeIndex(close.index)), 365)
    spec = panel.catalog[name]
    close = panel.series(name)
    if close.empty:
        raise DataValidationError(f"follower {name}: the store has no closes as of {panel.as_of:%Y-%m-%d}")
    return Follower(
        name,
        close,
        decision_times(spec.calendar, pd.DatetimeIndex(close.index)),
        365 if spec.calendar == "crypto_utc" else 252,
    )


def build_inputs(
    panel: AlignedPanel,
    leader: str = "RUT",
    followers: Sequence[str] = ("BTC", "ETH", ALTS),
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    alt_top_n: int = 10,
    peers: Sequence[str] = ("SPX", "NDX"),
) -> StudyInputs:
    """Everything the study needs, cut to [start, end] (leader dates; followers keep their tails
    so forward returns of late events can still be measured as far as the data reaches)."""
    close = history = panel.series(leader)
    if close.empty:
        raise DataValidationError(f"leader {leader}: the store has no closes as of {panel.as_of:%Y-%m-%d}")
    regime = close > close.rolling(200).mean()
    window = slice(pd.Timestamp(start) if start else None, pd.Timestamp(end) if end else None)
    close, regime = close.loc[window], regime.loc[window]
    spec = panel.catalog[leader]
    return StudyInputs(
        leader=leader,
        leader_close=close,
        leader_known=decision_times(spec.calendar, pd.DatetimeIndex(close.index)),
        followers={name: _follower(panel, name, alt_top_n) for name in followers},
        regime=regime.rename("regime"),
        equities={sid: panel.series(sid).loc[window] for sid in peers if sid in panel.catalog and sid != leader},
        leader_history=history,
    )
