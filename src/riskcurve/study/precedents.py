"""The precedents the thesis cites (2017, 2020-2021): what the data say happened, next to the claim.

Per precedent (``precedents.toml``), inside its window: the Russell 2000's first all-time-high breakout
(the board's breakout rule; any breakout kind when the window has no all-time high), then, after it, the
first ETH and altcoin-basket trend turns (the ladder's rule), the ETH and basket peaks, the peak of the
altcoin season index (unknown, with the index's own reason, where its point-in-time universe is too thin,
as before 2020 in the shared data), the first confirmed stage 3 and stage 4 of the window, and each lag in
days from the breakout. The claim's lag window is set beside the ETH turn's lag: "follows within one to
three months" is a claim about the rally's start, not its peak, so both are shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from riskcurve._json import jsonable
from riskcurve.config import read_toml
from riskcurve.errors import CatalogError
from riskcurve.measures.breakout import BreakoutEvent
from riskcurve.study.ladder import TrendRule, trend_up, turn_dates

REQUIRED = ("id", "name", "window", "claim", "claimed_lag_days", "source")
OPTIONAL_DATES = ("claimed_breakout", "claimed_eth_peak", "claimed_altseason_peak")


@dataclass(frozen=True)
class Precedent:
    """What an article claims about one precedent (a ``[[precedent]]`` table of ``precedents.toml``)."""

    id: str
    name: str
    window: tuple[pd.Timestamp, pd.Timestamp]
    claim: str
    claimed_lag_days: tuple[int, int]
    source: str
    claimed_breakout: str | None = None
    claimed_eth_peak: str | None = None
    claimed_altseason_peak: str | None = None


def _parse(table: Mapping[str, Any], where: str) -> Precedent:
    missing = [k for k in REQUIRED if k not in table]
    if missing:
        raise CatalogError(f"{where}: missing {', '.join(missing)}")
    unknown = set(table) - {*REQUIRED, *OPTIONAL_DATES}
    if unknown:
        known = ", ".join((*REQUIRED, *OPTIONAL_DATES))
        raise CatalogError(f"{where}: unknown key {sorted(unknown)[0]!r}; known: {known}")
    try:
        first, last = (pd.Timestamp(str(d)) for d in table["window"])
        low, high = (int(d) for d in table["claimed_lag_days"])
        for key in OPTIONAL_DATES:
            if key in table:
                pd.Timestamp(str(table[key]))
    except (TypeError, ValueError) as exc:
        raise CatalogError(f"{where}: window, claimed_lag_days or a claimed date is malformed ({exc})") from None
    if not (first < last and 0 <= low <= high):
        raise CatalogError(f"{where}: window must be [first, last] with first < last and lags [low, high] >= 0")
    return Precedent(
        id=str(table["id"]),
        name=str(table["name"]),
        window=(first, last),
        claim=str(table["claim"]),
        claimed_lag_days=(low, high),
        source=str(table["source"]),
        **{k: str(table[k]) for k in OPTIONAL_DATES if k in table},
    )


def load_precedents(path: Path | None = None) -> tuple[Precedent, ...]:
    """The packaged ``precedents.toml`` (or the file ``path``), checked: a mistake names the table."""
    if path is None:
        import tomllib

        name = "precedents.toml"
        raw = tomllib.loads(resources.files("riskcurve").joinpath(name).read_text(encoding="utf-8"))
    else:
        name, raw = str(path), read_toml(path, CatalogError)
    tables = raw.get("precedent", [])
    out = tuple(_parse(t, f"{name}: precedent {t.get('id', i + 1)!r}") for i, t in enumerate(tables))
    ids = [p.id for p in out]
    if len(ids) != len(set(ids)):
        raise CatalogError(f"{name}: precedent ids repeat")
    return out


@dataclass(frozen=True)
class Happened:
    """One dated fact of a precedent: when, the value then, the lag from the breakout, or why unknown."""

    what: str
    date: pd.Timestamp | None
    value: float | None = None
    lag_days: int | None = None
    reason: str | None = None

    def text(self) -> str:
        if self.date is None:
            return f"{self.what}: unknown ({self.reason})" if self.reason else f"{self.what}: none"
        value = f" at {self.value:,.2f}" if self.value is not None and math.isfinite(self.value) else ""
        lag = f", {self.lag_days:+,} days" if self.lag_days is not None else ""
        return f"{self.what} {self.date:%Y-%m-%d}{value}{lag}"

    def short(self) -> str:
        """'ETH turn 2017-01-04 (+51 d)', 'altseason peak unknown' (the reason is in ``to_dict``)."""
        if self.date is None:
            return f"{self.what} unknown" if self.reason else f"{self.what}: none"
        lag = f" ({self.lag_days:+,} d)" if self.lag_days else ""
        return f"{self.what} {self.date:%Y-%m-%d}{lag}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "date": jsonable(self.date),
            "value": jsonable(self.value),
            "lag_days": self.lag_days,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PrecedentCheck:
    """A precedent's claim and what the data say happened, fact by fact."""

    precedent: Precedent
    breakout: BreakoutEvent | None
    facts: tuple[Happened, ...]

    def fact(self, what: str) -> Happened:
        for f in self.facts:
            if f.what == what:
                return f
        raise KeyError(what)

    @property
    def verdict(self) -> str:
        """Did crypto's rally start (the ETH trend turn) within the claimed lag of the breakout?"""
        lag = self.fact("ETH turn").lag_days if self.breakout is not None else None
        if lag is None:
            return "cannot be checked: no breakout or no ETH turn in the window"
        low, high = self.precedent.claimed_lag_days
        if lag < 0:
            return f"ETH's uptrend began {-lag:,} days before the breakout: crypto led, not followed"
        where = "inside" if low <= lag <= high else "before" if lag < low else "after"
        return f"ETH turned {lag:,} days after the breakout: {where} the claimed {low}-{high} days"

    def summary(self) -> str:
        p = self.precedent
        if self.breakout is None:
            return f"{p.id}: {self.fact('RUT breakout').text()}"
        parts = "; ".join(self.fact(w).short() for w in ("ETH turn", "ETH peak", "altseason peak"))
        return (
            f"{p.id}: {self.breakout.kind} breakout {self.breakout.date:%Y-%m-%d}; {parts}\n"
            f"    claim: breakout {p.claimed_breakout or '?'}, ETH peak {p.claimed_eth_peak or '?'}, crypto within "
            f"{p.claimed_lag_days[0]}-{p.claimed_lag_days[1]} days. {self.verdict}"
        )

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"precedent": self.precedent.id, **f.to_dict()} for f in self.facts])

    def to_dict(self) -> dict[str, Any]:
        p = self.precedent
        return {
            "id": p.id,
            "name": p.name,
            "window": [jsonable(p.window[0]), jsonable(p.window[1])],
            "claim": p.claim,
            "claimed": {
                "lag_days": list(p.claimed_lag_days),
                "breakout": p.claimed_breakout,
                "eth_peak": p.claimed_eth_peak,
                "altseason_peak": p.claimed_altseason_peak,
            },
            "source": p.source,
            "breakout": self.breakout.to_dict() if self.breakout is not None else None,
            "facts": [f.to_dict() for f in self.facts],
            "verdict": self.verdict,
        }

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>" + self.to_frame().to_html(index=False)


def _peak(what: str, values: pd.Series, start: pd.Timestamp, end: pd.Timestamp, reason: str) -> Happened:
    inside = values[(values.index >= start) & (values.index <= end)].dropna()
    if inside.empty:
        return Happened(what, None, reason=reason)
    day = pd.Timestamp(inside.idxmax())
    return Happened(what, day, float(inside.max()), (day - start).days)


def _trend_start(
    what: str, values: pd.Series | None, start: pd.Timestamp, end: pd.Timestamp, rule: TrendRule
) -> Happened:
    """The turn that started the uptrend in force at ``start`` (a negative lag: it led), else the first
    turn after ``start`` up to ``end``."""
    if values is None or values.dropna().empty:
        return Happened(what, None, reason="no closes")
    turns = turn_dates(values, rule)
    state = trend_up(values, rule)
    state = state[state.index <= start].dropna()
    if len(state) and state.iloc[-1] == 1:
        earlier = turns[turns <= start]
        if not len(earlier):
            return Happened(what, None, reason=f"in its uptrend since its first average, before {start:%Y-%m-%d}")
        day = pd.Timestamp(earlier[-1])
    else:
        later = turns[(turns > start) & (turns <= end)]
        if not len(later):
            return Happened(what, None, reason=f"no turn by the trend rule from {start:%Y-%m-%d} to {end:%Y-%m-%d}")
        day = pd.Timestamp(later[0])
    return Happened(what, day, float(values.get(day, math.nan)), (day - start).days)


def _altseason_peak(altseason: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> Happened:
    """The index's peak after the breakout; unknown when the index is unknown on most days of the window."""
    inside = altseason[(altseason.index >= start) & (altseason.index <= end)]
    known = inside["index"].dropna() if "index" in inside else pd.Series(dtype="float64")
    if inside.empty or len(known) < len(inside) / 2:
        reasons = inside["reason"].dropna() if "reason" in inside else pd.Series(dtype=object)
        share = f"known on {len(known):,} of {len(inside):,} days"
        why = f"{share}; mostly: {reasons.mode().iloc[0]}" if len(reasons) else share or "no index"
        return Happened("altseason peak", None, reason=why)
    day = pd.Timestamp(known.idxmax())
    return Happened("altseason peak", day, float(known.max()), (day - start).days)


def _first_stage(
    stage: pd.Series, number: int, first: pd.Timestamp, last: pd.Timestamp, start: pd.Timestamp
) -> Happened:
    inside = stage[(stage.index >= first) & (stage.index <= last)]
    hits = inside.index[(inside == number).fillna(False).to_numpy(dtype=bool)]
    if not len(hits):
        return Happened(f"stage {number}", None, reason=f"no confirmed stage {number} in the window")
    return Happened(f"stage {number}", pd.Timestamp(hits[0]), lag_days=(hits[0] - start).days)


def check_precedent(
    precedent: Precedent,
    breakouts: Sequence[BreakoutEvent],
    closes: Mapping[str, pd.Series],
    altseason: pd.DataFrame,
    stage: pd.Series,
    rule: TrendRule | None = None,
) -> PrecedentCheck:
    """What the data say happened in the precedent's window (module docstring). ``closes``: ETH, BTC,
    ALTS; ``stage``: the confirmed stage per session (``<NA>`` unknown)."""
    rule = rule or TrendRule()
    first, last = precedent.window
    inside = [e for e in breakouts if first <= e.date <= last]
    athes = [e for e in inside if e.kind == "ath"]
    breakout = (athes or inside)[0] if inside else None
    if breakout is None:
        none = Happened("RUT breakout", None, reason=f"no breakout between {first:%Y-%m-%d} and {last:%Y-%m-%d}")
        return PrecedentCheck(precedent, None, (none,))
    start = breakout.date
    facts = (
        Happened("RUT breakout", start, breakout.close, 0),
        _trend_start("ETH turn", closes.get("ETH"), start, last, rule),
        _trend_start("ALTS turn", closes.get("ALTS"), start, last, rule),
        _peak("ETH peak", closes.get("ETH", pd.Series(dtype="float64")), start, last, "no ETH closes"),
        _peak("ALTS peak", closes.get("ALTS", pd.Series(dtype="float64")), start, last, "no basket closes"),
        _altseason_peak(altseason, start, last),
        _first_stage(stage, 3, first, last, start),
        _first_stage(stage, 4, first, last, start),
    )
    return PrecedentCheck(precedent, breakout, facts)
