"""The thesis's dated claims, checked against the data as known on each claim's check date.

Claims live in an editable file (``claims.toml``, plus the user's own through ``RISKCURVE_CLAIMS``).
Each names a figure the data give (a liquidity-channel reading, or a market figure defined here), the
date to check it on, and one test. The verdict is a plain word: *holds*, *does not hold*, *no data*
when the figure is unknown on that date (an ended feed is not a "no"), or *pending* while the check
date is still ahead of the as-of.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from riskcurve._json import records
from riskcurve.channels import Channels, compute_channels, format_value
from riskcurve.config import describe_errors, read_toml
from riskcurve.data.panel import AlignedPanel
from riskcurve.errors import CatalogError, unknown_key_hint
from riskcurve.events import iso_date

Word = Literal["holds", "does not hold", "no data", "pending"]

#: Sessions in the "recent" and the "usual" volume of the high-volume test.
RECENT_SESSIONS, YEAR_SESSIONS = 20, 250


def _simple_return(close: pd.Series, on: pd.Timestamp, days: int) -> tuple[float, pd.Timestamp] | None:
    """Close-to-close simple return over ``days`` calendar days to the last close on or before ``on``;
    both closes must be observed in the series (no carried price: the start is the close ``days``
    before, or unknown)."""
    known = close.dropna().loc[:on]
    if known.empty:
        return None
    end = pd.Timestamp(known.index[-1])
    start = end - pd.Timedelta(days=days)
    if start not in known.index or on - end > pd.Timedelta(days=5):
        return None
    return float(known.iloc[-1] / known.loc[start] - 1), end


def _year_to_date(close: pd.Series, on: pd.Timestamp) -> tuple[float, pd.Timestamp] | None:
    """Simple return from the previous year's last close to the last close on or before ``on``."""
    known = close.dropna().loc[:on]
    before = known.loc[: pd.Timestamp(on.year - 1, 12, 31)]
    if known.empty or before.empty or known.index[-1].year != on.year:
        return None
    return float(known.iloc[-1] / before.iloc[-1] - 1), pd.Timestamp(known.index[-1])


def _volume_ratio(volume: pd.Series, on: pd.Timestamp) -> tuple[float, pd.Timestamp] | None:
    """Average volume of the last 20 sessions over that of the 250 before them."""
    known = volume.dropna().loc[:on]
    if len(known) < RECENT_SESSIONS + YEAR_SESSIONS or on - known.index[-1] > pd.Timedelta(days=5):
        return None
    recent, usual = known.iloc[-RECENT_SESSIONS:], known.iloc[-RECENT_SESSIONS - YEAR_SESSIONS : -RECENT_SESSIONS]
    return float(recent.mean() / usual.mean()), pd.Timestamp(known.index[-1])


MarketFigure = Callable[[AlignedPanel, pd.Timestamp], "tuple[float, pd.Timestamp] | None"]

#: Figures a claim may name beside the channel readings: (how to compute it, unit).
MARKET_FIGURES: dict[str, tuple[MarketFigure, str]] = {
    "rut_ytd": (lambda p, on: _year_to_date(p.series(p.catalog.one("leader"), "close"), on), "return"),
    "iwm_volume_ratio": (
        lambda p, on: _volume_ratio(p.series(p.catalog.one("leader_volume"), "volume"), on),
        "ratio",
    ),
    "btc_return_90d": (lambda p, on: _simple_return(p.series("BTC", "close"), on, 90), "return"),
    "eth_return_90d": (lambda p, on: _simple_return(p.series("ETH", "close"), on, 90), "return"),
}


class ClaimEntry(BaseModel):
    """One ``[[claim]]`` table: exactly one of ``below``, ``above``, ``between``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    made: Annotated[dt.date, BeforeValidator(iso_date)]
    check: Annotated[dt.date, BeforeValidator(iso_date)] | None = None
    source: str = ""
    figure: str = Field(min_length=1)
    below: float | None = None
    above: float | None = None
    between: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> ClaimEntry:
        tests = [t for t in (self.below, self.above, self.between) if t is not None]
        if len(tests) != 1:
            raise ValueError("give exactly one test: below, above or between = [low, high]")
        if self.between is not None and self.between[0] > self.between[1]:
            raise ValueError(f"between {list(self.between)}: low is above high")
        return self


class ClaimFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    claim: list[ClaimEntry] = []


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    made: dt.date
    check: dt.date
    source: str
    figure: str
    below: float | None
    above: float | None
    between: tuple[float, float] | None

    def test(self, unit: str) -> str:
        """The test in the figure's unit, as a person reads it ("between +10.0% and +20.0%")."""
        if self.between is not None:
            return f"between {format_value(self.between[0], unit)} and {format_value(self.between[1], unit)}"
        if self.below is not None:
            return f"below {format_value(self.below, unit)}"
        return f"above {format_value(float(self.above or 0.0), unit)}"

    def judge(self, value: float) -> bool:
        if self.between is not None:
            return self.between[0] <= value <= self.between[1]
        return value < self.below if self.below is not None else value > float(self.above or 0.0)


def _label(loc: tuple[int | str, ...]) -> str:
    return ": ".join(f"claim {p + 1}" if isinstance(p, int) else str(p) for p in loc if p != "claim")


def _parse(raw: dict[str, Any], where: str, figures: Iterable[str]) -> list[Claim]:
    try:
        parsed = ClaimFile.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(f"{where}: {describe_errors(exc, ClaimFile, _label)}") from None
    known = sorted(set(figures))
    out = []
    for n, e in enumerate(parsed.claim, start=1):
        if e.figure not in known:
            hint = unknown_key_hint(e.figure, known)
            raise CatalogError(f"{where}: claim {n} ({e.id}): unknown figure {e.figure!r}; {hint}")
        between = (e.between[0], e.between[1]) if e.between is not None else None
        out.append(Claim(e.id, e.text, e.made, e.check or e.made, e.source, e.figure, e.below, e.above, between))
    return out


def load_claims(figures: Iterable[str], extra: Sequence[Path] = ()) -> list[Claim]:
    """The packaged claims plus the user's files; ``figures`` are the names a claim may test."""
    names = list(figures)
    text = resources.files("riskcurve").joinpath("claims.toml").read_text(encoding="utf-8")
    try:
        claims = _parse(tomllib.loads(text), "claims.toml", names)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"claims.toml: not valid TOML: {exc}") from None
    for path in extra:
        if not path.exists():
            raise CatalogError(f"claim file {path} does not exist")
        claims.extend(_parse(read_toml(path, CatalogError), str(path), names))
    ids = [c.id for c in claims]
    if len(ids) != len(set(ids)):
        raise CatalogError(f"claim ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    return claims


@dataclass(frozen=True)
class ClaimCheck:
    """A claim, the figure the data give on its check date, and the plain word."""

    claim: Claim
    value: float | None
    unit: str
    date: pd.Timestamp | None
    word: Word
    reason: str | None = None

    @property
    def display(self) -> str:
        if self.value is None:
            return f"unknown: {self.reason}"
        return format_value(self.value, self.unit)

    def to_dict(self) -> dict[str, Any]:
        c = self.claim
        return {
            "id": c.id,
            "claim": c.text,
            "made": c.made.isoformat(),
            "checked_on": c.check.isoformat(),
            "source": c.source,
            "figure": c.figure,
            "test": c.test(self.unit) if self.unit else "",
            "value": None if self.value is None else round(self.value, 6),
            "unit": self.unit,
            "date": None if self.date is None else self.date.date().isoformat(),
            "display": self.display,
            "word": self.word,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Claims:
    """The claims-vs-data table; each row is checked as of its own date, not the table's ``as_of``."""

    as_of: pd.Timestamp
    checks: tuple[ClaimCheck, ...]

    def summary(self) -> str:
        lines = ["claims vs data (each checked as known on its date)"]
        for c in self.checks:
            day = f", data of {c.date:%Y-%m-%d}" if c.date is not None else ""
            test = f" (test: {c.claim.test(c.unit)})" if c.unit else ""
            lines.append(f"  {c.word:<13} {c.claim.text}")
            lines.append(f"  {'':<13} on {c.claim.check:%Y-%m-%d}: {c.display}{test}{day}")
        return "\n".join(lines)

    __str__ = summary

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.to_dict() for c in self.checks])

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "claims": records(self.to_frame())}

    def _repr_html_(self) -> str:
        return self.to_frame()[["word", "claim", "checked_on", "display", "test", "date"]].to_html(index=False)


def pending(claim: Claim) -> ClaimCheck:
    """A claim whose check date is after the as-of: nothing is judged yet."""
    unit = MARKET_FIGURES[claim.figure][1] if claim.figure in MARKET_FIGURES else ""
    return ClaimCheck(claim, None, unit, None, "pending", f"checked on {claim.check:%Y-%m-%d}")


def check_claims(claims: Sequence[Claim], panel: AlignedPanel) -> list[ClaimCheck]:
    """Claims that share a check date, judged on ``panel`` (a view as of the end of that date); the
    channel readings are computed once for all of them."""
    channels = compute_channels(panel) if any(c.figure not in MARKET_FIGURES for c in claims) else None
    return [_check(claim, panel, channels) for claim in claims]


def _check(claim: Claim, panel: AlignedPanel, channels: Channels | None) -> ClaimCheck:
    day = pd.Timestamp(claim.check)
    if claim.figure in MARKET_FIGURES:
        compute, unit = MARKET_FIGURES[claim.figure]
        result = compute(panel, day)
        if result is None:
            return ClaimCheck(claim, None, unit, None, "no data", "the data do not cover this date")
        value, date = result
    else:
        assert channels is not None
        reading = channels[claim.figure]
        if reading.value is None or reading.date is None:
            return ClaimCheck(claim, None, reading.unit, None, "no data", reading.reason)
        value, date, unit = reading.value, reading.date, reading.unit
    word: Word = "holds" if claim.judge(value) and np.isfinite(value) else "does not hold"
    return ClaimCheck(claim, value, unit, date, word)
