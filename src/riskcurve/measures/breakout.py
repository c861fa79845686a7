"""Breakout events on a close series, and the confirmations that separate real ones from noise.

Step (3) of the thesis is "small caps lead": the Russell 2000 breaking out of a long range (a first
all-time high in years, a first close above a round number, a jump above its 52-week high) is the
event the study measures crypto's response from. An event is a *date*: the session whose close
broke the level. Whether the breakout held, came on volume, or came with small caps beating large
caps are confirmations attached to the event.

Detection is causal: an event dated t is decided by closes up to t. Of the confirmations, volume
and relative strength look only at data up to t; "held for c closes" necessarily looks at the c-1
sessions after t, is known only then, and says so (None while still undecided). A signal built on
it must be dated at the confirming session, not at the breakout.

Sessions are counted on the observations present (NaN closes are dropped), so pass each series in
its own trading calendar, with its full history: the first close in the input is taken as the
starting high, so a series cut in the middle of a bull market shows spurious "all-time" highs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from riskcurve._json import jsonable
from riskcurve.errors import DataValidationError
from riskcurve.measures._common import clean_series, position, run_length, warn_short

BreakoutKind = Literal["ath", "round_level", "rolling_high"]
#: Confirmation values: a flag, a number, or None for "not decidable (yet)".
Confirmation = bool | float | None


@dataclass(frozen=True)
class BreakoutEvent:
    """One breakout: ``series`` closed at ``close`` above ``level`` on ``date``.

    ``level`` is the level broken: the prior all-time high, the round number, or the prior
    rolling high. ``confirmations`` holds facts about the event by name: rule details
    (``gap_sessions``, ``pct_above``) and the checks :func:`detect_breakouts` adds.
    """

    series: str
    date: pd.Timestamp
    kind: BreakoutKind
    level: float
    close: float
    confirmations: dict[str, Confirmation] = field(default_factory=dict)
    #: Whether the close stayed above the level for ``hold_closes`` closes; None while pending.
    held: bool | None = None

    def summary(self) -> str:
        held = {True: "yes", False: "no", None: "pending"}[self.held]
        ratio = self.confirmations.get("volume_ratio")
        volume = f"; volume {ratio:.2f}x its average" if isinstance(ratio, float) and np.isfinite(ratio) else ""
        return (
            f"{self.series} breakout ({self.kind}) on {self.date:%Y-%m-%d}: close {self.close:,.2f} above "
            f"{self.level:,.2f}; held: {held}{volume}"
        )

    __str__ = summary

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: v for k, v in self.to_dict().items() if k != "confirmations"}])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON wants it (the one shape the status, the API and the report use)."""
        return {
            "series": self.series,
            "date": self.date.date().isoformat(),
            "kind": self.kind,
            "level": float(self.level),
            "close": float(self.close),
            "held": self.held,
            "volume_ratio": jsonable(self.confirmations.get("volume_ratio")),
            "confirmations": {k: jsonable(v) for k, v in self.confirmations.items()},
        }


@dataclass(frozen=True)
class BreakoutConfig:
    """Parameters of :func:`detect_breakouts`; the defaults describe the RUT study's base case.

    - ``kinds``: which rules to run.
    - ``ath_min_gap``: sessions since the previous all-time high (250 ~ one trading year).
    - ``round_levels``: levels for the first-close-above rule, e.g. ``tuple(range(1000, 4001, 100))``.
    - ``rolling_lookback``, ``rolling_pct``: close above the prior ``lookback``-session high by ``pct`` %.
    - ``hold_closes``: closes (breakout day included) that must stay above the level.
    - ``volume_multiple``, ``volume_window``: volume at least ``multiple`` x its mean over the
      ``window`` sessions before.
    - ``rs_window``: sessions over which the leader must beat the others.
    """

    kinds: tuple[BreakoutKind, ...] = ("ath", "round_level", "rolling_high")
    ath_min_gap: int = 250
    round_levels: tuple[float, ...] = ()
    rolling_lookback: int = 252
    rolling_pct: float = 0.0
    hold_closes: int = 3
    volume_multiple: float = 1.5
    volume_window: int = 50
    rs_window: int = 63

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(get_args(BreakoutKind))
        if unknown:
            raise ValueError(f"BreakoutConfig: unknown kinds {sorted(unknown)}")
        for key in ("ath_min_gap", "rolling_lookback", "hold_closes", "volume_window", "rs_window"):
            if getattr(self, key) < 1:
                raise ValueError(f"BreakoutConfig: {key} must be at least 1")


def _label(close: pd.Series, name: str | None) -> str:
    if name is not None:
        return name
    return "close" if close.name is None else str(close.name)


def ath_breakouts(close: pd.Series, min_gap: int = 250, *, name: str | None = None) -> list[BreakoutEvent]:
    """New all-time closing highs that come at least ``min_gap`` sessions after the previous one.

    A close is an all-time high when it is strictly above every earlier close. The gap is counted
    in sessions from the previous all-time-high close (the first close counts as one) to this one,
    so with closes ``1, 3, 2, 2, 4`` the 4 is 3 sessions after the 3. Only the *first* high after
    a long drought is an event: the highs that follow it in the same run have a gap of 1.
    ``confirmations["gap_sessions"]`` records the gap. Warns and returns [] when the input has no
    more than ``min_gap`` closes (no gap that long can be seen).
    """
    s = clean_series(close, "ath_breakouts")
    if len(s) <= min_gap:
        warn_short("ath_breakouts", len(s), min_gap + 1)
        return []
    x = s.to_numpy()
    prior_max = np.maximum.accumulate(x)[:-1]
    new_highs = np.flatnonzero(x[1:] > prior_max) + 1
    gaps = np.diff(np.concatenate([[0], new_highs]))
    label = _label(close, name)
    return [
        BreakoutEvent(
            series=label,
            date=s.index[int(pos)],
            kind="ath",
            level=float(prior_max[pos - 1]),
            close=float(x[pos]),
            confirmations={"gap_sessions": float(gap)},
        )
        for pos, gap in zip(new_highs, gaps, strict=True)
        if gap >= min_gap
    ]


def round_level_breakouts(close: pd.Series, levels: Iterable[float], *, name: str | None = None) -> list[BreakoutEvent]:
    """The first close ever above each round level (e.g. RUT above 2,600 on 2026-01-08 at 2,603.91).

    "Above" is strict. Only the first crossing of a level counts; later re-crossings after a dip are
    not new information about the level. A level already exceeded by the first close in the input
    gives no event (the crossing happened before the data starts), nor does one never reached.
    One event per level, so a close that clears several levels at once gives several events.
    """
    s = clean_series(close, "round_level_breakouts")
    if len(s) < 2:
        warn_short("round_level_breakouts", len(s), 2)
        return []
    x = s.to_numpy()
    wanted = np.unique(np.asarray(list(levels), dtype="float64"))
    first_above = np.searchsorted(np.maximum.accumulate(x), wanted, side="right")
    label = _label(close, name)
    return [
        BreakoutEvent(series=label, date=s.index[int(pos)], kind="round_level", level=float(level), close=float(x[pos]))
        for level, pos in zip(wanted, first_above, strict=True)
        if 0 < pos < len(x)
    ]


def rolling_high_breakouts(
    close: pd.Series, lookback: int = 252, pct: float = 0.0, *, name: str | None = None
) -> list[BreakoutEvent]:
    """Closes more than ``pct`` % above the highest close of the previous ``lookback`` sessions.

    An event is the first session of a run of such closes (the day the condition turns on), so a
    steady advance making a new high every day is one event, not one per day. ``level`` is the
    prior rolling high; ``confirmations["pct_above"]`` is how far above it the close was, in %.
    Needs ``lookback`` earlier closes; warns and returns [] when the input is no longer than that.
    """
    s = clean_series(close, "rolling_high_breakouts")
    if len(s) <= lookback:
        warn_short("rolling_high_breakouts", len(s), lookback + 1)
        return []
    prior_high = s.shift(1).rolling(lookback, min_periods=lookback).max().to_numpy()
    x = s.to_numpy()
    above = x > prior_high * (1 + pct / 100)
    starts = np.flatnonzero(above & ~np.concatenate([[False], above[:-1]]))
    label = _label(close, name)
    return [
        BreakoutEvent(
            series=label,
            date=s.index[int(pos)],
            kind="rolling_high",
            level=float(prior_high[pos]),
            close=float(x[pos]),
            confirmations={"pct_above": float(100 * (x[pos] / prior_high[pos] - 1))},
        )
        for pos in starts
    ]


def _position(s: pd.Series, date: pd.Timestamp, what: str) -> int:
    pos = position(s.index, date)
    if pos < 0:
        raise DataValidationError(f"{what}: {date} is not an observation date of the series")
    return pos


def consecutive_closes_above(close: pd.Series, level: float, date: pd.Timestamp, c: int = 3) -> bool | None:
    """Whether the ``c`` closes starting at ``date`` (itself included) all stay strictly above ``level``.

    A breakout that gives the level back the next day was noise. This looks *forward* from the
    breakout, so the answer is known only at the c-th close: False as soon as one close falls back
    to or below the level, True once ``c`` closes held, None while the data ends before that.
    ``date`` must be an observation date of ``close`` (DataValidationError otherwise).
    """
    s = clean_series(close, "consecutive_closes_above")
    pos = _position(s, date, "consecutive_closes_above")
    window = s.to_numpy()[pos : pos + c]
    if (window <= level).any():
        return False
    return None if len(window) < c else True


def volume_ratio(volume: pd.Series, date: pd.Timestamp, window: int = 50) -> float:
    """Volume on ``date`` divided by the mean volume of the ``window`` sessions before it.

    The current day is left out of the average so a single huge day is compared with normal trade,
    not with itself. NaN when ``date`` has no volume, fewer than ``window`` earlier sessions have
    one, or the average is zero.
    """
    v = clean_series(volume, "volume_ratio")
    pos = position(v.index, date)
    if pos < window:
        return float("nan")
    mean = float(v.iloc[pos - window : pos].mean())
    return float(v.iloc[pos]) / mean if mean > 0 else float("nan")


def volume_confirmation(volume: pd.Series, date: pd.Timestamp, multiple: float = 1.5, window: int = 50) -> bool | None:
    """Whether volume on ``date`` was at least ``multiple`` times its prior ``window``-session mean.

    Breakouts on heavy volume are the ones with buyers behind them. Pass the volume of a tradable
    proxy (IWM for the Russell 2000: index volume from data vendors is unreliable, Yahoo's ^RUT
    volume is a copy of S&P 500 volume). None when :func:`volume_ratio` cannot be computed.
    """
    ratio = volume_ratio(volume, date, window)
    return None if np.isnan(ratio) else bool(ratio >= multiple)


def relative_strength(leader: pd.Series, others: Mapping[str, pd.Series], window: int = 63) -> pd.DataFrame:
    """Is the leader beating each other series, over ``window`` sessions and day by day?

    Columns, for each name ``k`` in ``others``:

    - ``excess_{k}``: leader's ``window``-session return minus k's (NaN until ``window`` sessions exist);
    - ``beats_{k}``: excess > 0 (nullable boolean, NA where excess is NaN);
    - ``streak_{k}``: sessions in a row, up to today, in which the leader's daily return beat k's;

    plus ``beats_all`` (beats every other) and ``streak_all`` (days in a row beating all at once).
    "Small caps lead" means RUT beats SPX and NDX over a quarter, not just on the breakout day.

    Inputs are joined on their common dates (drop a date missing from any), so pass series on the
    same trading calendar (RUT, SPX, NDX: NYSE sessions).
    """
    frames = {"__leader__": clean_series(leader, "relative_strength: leader")}
    frames.update({k: clean_series(v, f"relative_strength: {k}") for k, v in others.items()})
    aligned = pd.concat(frames, axis=1, join="inner")
    period = aligned / aligned.shift(window) - 1
    daily = aligned / aligned.shift(1) - 1
    out = pd.DataFrame(index=aligned.index)
    beats_all = np.ones(len(aligned), dtype=bool)
    known_all = np.ones(len(aligned), dtype=bool)
    wins_all = np.ones(len(aligned), dtype=bool)
    for k in others:
        excess = period["__leader__"] - period[k]
        known = excess.notna().to_numpy()
        wins = (daily["__leader__"] > daily[k]).to_numpy()
        out[f"excess_{k}"] = excess
        out[f"beats_{k}"] = _nullable(excess.to_numpy() > 0, known, aligned.index)
        out[f"streak_{k}"] = run_length(wins)
        beats_all &= excess.to_numpy() > 0
        known_all &= known
        wins_all &= wins
    out["beats_all"] = _nullable(beats_all, known_all, aligned.index)
    out["streak_all"] = run_length(wins_all)
    return out


def _nullable(flags: np.ndarray, known: np.ndarray, index: pd.Index) -> pd.Series:
    """A nullable-boolean Series: ``flags`` where ``known``, NA elsewhere."""
    out = pd.Series(pd.array(flags, dtype="boolean"), index=index)
    out[~known] = pd.NA
    return out


_KIND_ORDER: dict[str, int] = {kind: i for i, kind in enumerate(get_args(BreakoutKind))}


def detect_breakouts(
    close: pd.Series,
    config: BreakoutConfig | None = None,
    *,
    volume: pd.Series | None = None,
    others: Mapping[str, pd.Series] | None = None,
    name: str | None = None,
) -> list[BreakoutEvent]:
    """Every breakout of ``close`` under ``config``, with confirmations, sorted by date (then kind).

    Confirmations added to each event:

    - the field ``held``: :func:`consecutive_closes_above` the event's level over ``hold_closes``
      closes (forward-looking, None while pending);
    - with ``volume``: ``volume_ratio`` (float, NaN if unknown) and ``volume_ok``
      (:func:`volume_confirmation`);
    - with ``others`` (e.g. ``{"SPX": spx, "NDX": ndx}``): ``rs_beats_all`` (None while fewer
      than ``rs_window`` sessions), ``rs_streak`` and ``rs_excess_{k}`` from :func:`relative_strength`.
    """
    cfg = config or BreakoutConfig()
    label = _label(close, name)
    events: list[BreakoutEvent] = []
    if "ath" in cfg.kinds:
        events += ath_breakouts(close, cfg.ath_min_gap, name=label)
    if "round_level" in cfg.kinds:
        events += round_level_breakouts(close, cfg.round_levels, name=label)
    if "rolling_high" in cfg.kinds:
        events += rolling_high_breakouts(close, cfg.rolling_lookback, cfg.rolling_pct, name=label)
    events.sort(key=lambda e: (e.date, _KIND_ORDER[e.kind], e.level))
    if not events:
        return []
    # Confirmations for all events at once: the same answers as the one-event functions above,
    # without re-validating the whole series per event (hundreds of events on a long history).
    s = clean_series(close, "detect_breakouts")
    dates = pd.DatetimeIndex([e.date for e in events])
    held = _held_all(
        s.to_numpy(), pd.DatetimeIndex(s.index).get_indexer(dates), np.array([e.level for e in events]), cfg.hold_closes
    )
    extras: list[dict[str, Confirmation]] = [{} for _ in held]
    if volume is not None:
        v = clean_series(volume, "detect_breakouts: volume")
        prior_mean = v.rolling(cfg.volume_window).mean().shift(1)
        ratios = (v / prior_mean.where(prior_mean > 0)).reindex(dates).to_numpy(dtype="float64")
        for extra, ratio in zip(extras, ratios, strict=True):
            extra["volume_ratio"] = float(ratio)
            extra["volume_ok"] = None if np.isnan(ratio) else bool(ratio >= cfg.volume_multiple)
    if others:
        rs = relative_strength(close, others, cfg.rs_window).reindex(dates)
        beats = rs["beats_all"].to_numpy(dtype=object, na_value=None)
        streak = rs["streak_all"].to_numpy(dtype="float64")
        excess = {k: rs[f"excess_{k}"].to_numpy(dtype="float64") for k in others}
        for i, extra in enumerate(extras):
            extra["rs_beats_all"] = None if beats[i] is None else bool(beats[i])
            extra["rs_streak"] = float(streak[i])
            extra.update({f"rs_excess_{k}": float(values[i]) for k, values in excess.items()})
    return [
        replace(e, confirmations={**e.confirmations, **extra}, held=h)
        for e, extra, h in zip(events, extras, held, strict=True)
    ]


def _held_all(values: np.ndarray, positions: np.ndarray, levels: np.ndarray, c: int) -> list[bool | None]:
    """:func:`consecutive_closes_above` for many (position, level) pairs."""
    out: list[bool | None] = []
    for pos, level in zip(positions, levels, strict=True):
        window = values[pos : pos + c]
        out.append(False if (window <= level).any() else (None if len(window) < c else True))
    return out
