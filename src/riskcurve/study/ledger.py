"""The forward-test ledger: the thesis's own dated prediction, scored as the data arrive.

The seeds claimed that after the Russell 2000's first close above 2,600 (2026-01-08) ETH and the
altcoins rally within one to three months. The ledger keeps every leader signal from a claim date on
(the study's own breakout events, declustered the same way) and, per follower and horizon, what
actually happened:

- realised: the follower's simple return ``close[entry + h] / close[entry] - 1``, entered at its first
  close after the signal became knowable (the study's entry rule), ``h`` days later;
- baseline: the follower's median ``h``-day simple return over the four years before the signal,
  i.e. every such window that had ended by the entry close (point in time: nothing the trader could
  not have known at entry). The median of the recent regime, not the all-history mean: BTC's mean
  90-day return since 2010 is about +65%, carried by the hundredfold years, which no trader in 2026
  expects as "normal";
- excess: realised minus baseline, in percentage points;
- pending until the window completes as of the ledger's as-of (with the date it will complete), and
  unknown, with the reason, when a close the return needs is missing (never a bridged gap).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskcurve._json import records
from riskcurve.measures.breakout import BreakoutEvent
from riskcurve.study.inputs import Follower
from riskcurve.study.sweep import entry_map_after
from riskcurve.thesis import THESIS_HORIZONS

#: The seeds' dated claim: the Russell 2000's first close above 2,600.
CLAIM_DATE = pd.Timestamp("2026-01-08")
#: Years of history behind the baseline: the follower's recent regime (see the module docstring).
BASELINE_YEARS = 4

Outcome = Literal["realised", "pending", "unknown"]


@dataclass(frozen=True)
class LedgerEntry:
    """One signal x follower x horizon: what happened, against what was normal before it."""

    signal_date: pd.Timestamp
    follower: str
    horizon: int
    outcome: Outcome
    entry_date: pd.Timestamp | None
    end_date: pd.Timestamp | None  # the close the return ends at (when it completes, if pending)
    realised: float  # simple return; NaN unless realised
    baseline: float  # median simple h-day return over the four years before the entry; NaN if none
    reason: str = ""

    @property
    def excess(self) -> float:
        return self.realised - self.baseline

    def text(self) -> str:
        """The cell a reader sees: '-33.2% (excess -36.0 pts)', 'pending until 2026-04-08', 'unknown: ...'."""
        if self.outcome == "pending":
            return f"pending until {self.end_date:%Y-%m-%d}" if self.end_date is not None else "pending"
        if self.outcome == "unknown":
            return f"unknown: {self.reason}"
        excess = f"excess {100 * self.excess:+.1f} pts" if math.isfinite(self.baseline) else "no baseline"
        return f"{self.realised:+.1%} ({excess})"


@dataclass(frozen=True)
class Ledger:
    """Every leader signal since the claim date and each follower's realised forward returns."""

    leader: str
    claim_date: pd.Timestamp
    as_of: pd.Timestamp
    horizons: tuple[int, ...]
    signals: tuple[BreakoutEvent, ...]
    entries: tuple[LedgerEntry, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per signal, follower and horizon."""
        columns = ["signal_date", "follower", "horizon", "outcome", "entry_date", "end_date", "realised"]
        rows = [
            {
                **{c: getattr(e, c) for c in columns},
                "baseline": e.baseline,
                "excess": e.excess,
                "reason": e.reason,
            }
            for e in self.entries
        ]
        return pd.DataFrame(rows, columns=[*columns, "baseline", "excess", "reason"])

    def summary(self) -> str:
        """One line per signal and follower: the horizons side by side."""
        spans = "/".join(map(str, self.horizons))
        head = (
            f"Forward-test ledger: {self.leader} signals since {self.claim_date:%Y-%m-%d}, as of "
            f"{self.as_of:%Y-%m-%d}; simple returns, excess over the follower's median {spans}"
            "-day return over the four years before the signal"
        )
        if not self.signals:
            return head + f"\n  no {self.leader} breakout since {self.claim_date:%Y-%m-%d}"
        lines = [head]
        for signal in self.signals:
            lines.append(f"  {signal.date:%Y-%m-%d} {signal.kind} {signal.level:,.0f} (close {signal.close:,.2f}):")
            for follower in dict.fromkeys(e.follower for e in self.entries):
                cells = [
                    f"{e.horizon}d {e.text()}"
                    for e in self.entries
                    if e.follower == follower and e.signal_date == signal.date
                ]
                lines.append(f"    {follower}: " + "; ".join(cells))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{self.summary().splitlines()[0]}</p>" + self.to_frame().to_html(index=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "leader": self.leader,
            "claim_date": self.claim_date.date().isoformat(),
            "as_of": self.as_of.isoformat(),
            "horizons": list(self.horizons),
            "baseline": "the follower's median simple return over the same horizon, on every window that "
            "started in the four years before the entry and had ended by its close (point in time)",
            "signals": [
                {"date": s.date.date().isoformat(), "kind": s.kind, "level": s.level, "close": s.close}
                for s in self.signals
            ],
            "entries": records(self.to_frame()),
        }


def _entry(
    signal: BreakoutEvent, follower: Follower, horizon: int, bar: int, closes: np.ndarray, dates: pd.DatetimeIndex
) -> LedgerEntry:
    """Score one signal for one follower at one horizon (``bar``: the entry bar, -1 when none yet)."""
    base = {"signal_date": signal.date, "follower": follower.name, "horizon": horizon}
    if bar < 0:
        return LedgerEntry(
            **base,
            outcome="pending",
            entry_date=None,
            end_date=None,
            realised=math.nan,
            baseline=math.nan,
            reason=f"no {follower.name} close after the signal yet",
        )
    entry_date = dates[bar]
    end_date = entry_date + pd.Timedelta(days=horizon) if follower.periods_per_year == 365 else None
    end = bar + horizon
    # Baseline: windows j -> j + h that had ended by the entry close, starting in the last four years.
    starts = np.arange(max(bar - BASELINE_YEARS * follower.periods_per_year, 0), max(bar - horizon + 1, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        past = closes[starts + horizon] / closes[starts] - 1
    past = past[np.isfinite(past)]
    baseline = float(np.median(past)) if len(past) else math.nan
    if end >= len(closes):
        return LedgerEntry(
            **base, outcome="pending", entry_date=entry_date, end_date=end_date, realised=math.nan, baseline=baseline
        )
    end_date = dates[end]
    missing = [d for d, c in ((entry_date, closes[bar]), (end_date, closes[end])) if not np.isfinite(c)]
    if missing:
        return LedgerEntry(
            **base,
            outcome="unknown",
            entry_date=entry_date,
            end_date=end_date,
            realised=math.nan,
            baseline=baseline,
            reason=f"no {follower.name} close on {missing[0]:%Y-%m-%d}",
        )
    return LedgerEntry(
        **base,
        outcome="realised",
        entry_date=entry_date,
        end_date=end_date,
        realised=float(closes[end] / closes[bar] - 1),
        baseline=baseline,
    )


def build_ledger(
    leader: str,
    leader_known: pd.DatetimeIndex,
    sessions: pd.DatetimeIndex,
    events: Sequence[BreakoutEvent],
    followers: Mapping[str, Follower],
    as_of: pd.Timestamp,
    *,
    claim_date: pd.Timestamp | str = CLAIM_DATE,
    horizons: Sequence[int] = THESIS_HORIZONS,
) -> Ledger:
    """Score every event on or after ``claim_date`` for every follower (``sessions``/``leader_known``:
    the leader's session dates and when each close was knowable, as the study has them)."""
    claim = pd.Timestamp(claim_date)
    signals = tuple(e for e in events if e.date >= claim)
    entries: list[LedgerEntry] = []
    for follower in followers.values():
        closes, times = follower.bars()
        entry = entry_map_after(leader_known, times)
        values = closes.to_numpy(dtype="float64")
        dates = pd.DatetimeIndex(closes.index)
        for signal in signals:
            pos = int(sessions.searchsorted(signal.date))
            bar = int(entry[pos]) if pos < len(entry) else -1
            entries += [_entry(signal, follower, h, bar, values, dates) for h in horizons]
    return Ledger(leader, claim, pd.Timestamp(as_of), tuple(horizons), signals, tuple(entries))
