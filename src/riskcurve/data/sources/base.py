"""The contract every provider adapter keeps: query -> extract -> transform into the standard frame.

Sources standardise names, dates and units of *form* (tidy long frame, float values, naive dates)
but never clean, fill or merge: that is the store's validation and the panel's job.

The standard frame has exactly these columns:

- ``date``  datetime64[ns], naive, midnight: the provider's observation date (UTC day for crypto,
  the session date for equities, the FRED observation date for FRED);
- ``member`` str: "" for a plain series; the coin for multi-member datasets (open interest, rankings);
- ``field`` str: "close", "open", ..., "value", or a catalog-mapped column name;
- ``value`` float64, finite (missing values are simply absent rows);
- ``realtime_start`` datetime64[ns, UTC] or NaT: the provider's own first-known stamp (ALFRED
  vintages), which overrides the catalog's release rule when later than it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import date
from typing import ClassVar

import numpy as np
import pandas as pd

from riskcurve._typing import STANDARD_COLUMNS
from riskcurve.catalog import PRICE_FIELDS, SeriesSpec
from riskcurve.errors import DataValidationError


class Source(ABC):
    """A provider adapter. Subclasses implement the three steps; ``fetch`` strings them together."""

    name: ClassVar[str]
    #: Whether ``fetch(spec)`` returns every row the provider holds (a file read whole): then rows the
    #: store has but the input lacks mean the input was cut, not that the provider's window moved.
    complete: ClassVar[bool] = False

    @abstractmethod
    def supports(self, spec: SeriesSpec) -> bool:
        """Whether this source can deliver ``spec`` (it has the needed symbol or file)."""

    @abstractmethod
    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        """Observations of ``spec`` dated on or after ``since`` (all when None), as a standard frame."""

    def origin(self, spec: SeriesSpec) -> str:
        """Where ``spec``'s data comes from, for messages (a file path for a CSV directory)."""
        return f"{self.name}:{spec.id}"

    def hosts(self) -> tuple[str, ...]:
        """The network hosts ``fetch`` talks to, probed once per update run (none for local files)."""
        return ()

    def fingerprint(self, spec: SeriesSpec, since: date | None = None) -> str | None:
        """A cheap digest of what ``fetch`` would return, when the source can tell without fetching.

        Equal digests let an update skip an unchanged input; None (the default, for live providers)
        means "always fetch".
        """
        return None


def empty_standard_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.Series([], dtype="datetime64[ns]"),
            "member": pd.Series([], dtype=object),
            "field": pd.Series([], dtype=object),
            "value": pd.Series([], dtype="float64"),
            "realtime_start": pd.Series([], dtype="datetime64[ns, UTC]"),
        }
    )


def long_from_wide(
    wide: pd.DataFrame, fields: dict[str, str], *, member: str = "", realtime_start: pd.Series | None = None
) -> pd.DataFrame:
    """Melt a date-indexed wide frame (columns -> fields) into the standard frame, dropping missing cells.

    ``fields`` maps wide column -> stored field name; unmapped columns are ignored.
    """
    if wide.empty:
        return empty_standard_frame()
    parts = []
    for column, field in fields.items():
        if column not in wide.columns:
            continue
        values = pd.to_numeric(wide[column], errors="coerce").astype("float64")
        mask = values.notna().to_numpy()
        part = pd.DataFrame(
            {
                "date": pd.DatetimeIndex(wide.index[mask]).astype("datetime64[ns]"),
                "member": member,
                "field": field,
                "value": values.to_numpy()[mask],
            }
        )
        if realtime_start is not None:
            part["realtime_start"] = pd.DatetimeIndex(realtime_start.to_numpy()[mask])
        else:
            part["realtime_start"] = pd.NaT
        parts.append(part)
    if not parts:
        return empty_standard_frame()
    frame = pd.concat(parts, ignore_index=True)
    frame["realtime_start"] = pd.to_datetime(frame["realtime_start"], utc=True)
    return frame[list(STANDARD_COLUMNS)]


# The file line of a (member, date) row, when the source knows it (a CSV file); asked only on errors.
Lines = Callable[[str, pd.Timestamp], int | None]

# Rounding in the provider's own figures: a high may sit this far (relatively) below the close.
_OHLC_TOL = 1e-9
# Previous observations whose median the level check compares against, and how many it needs.
_LEVEL_WINDOW, _LEVEL_MIN = 20, 5


def clip(text: str, limit: int = 80) -> str:
    """Text from the input for a message, cut to ``limit`` characters (a 5 MB cell stays out)."""
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} chars)"


def cut(value: object, limit: int = 80) -> str:
    """``repr`` of a user value for a message, clipped."""
    return clip(repr(value), limit)


def _where(origin: str, lines: Lines | None, member: str, day: pd.Timestamp) -> str:
    """"file, line N" when the line is known, else "origin, 2024-01-05"; plus the member if any."""
    line = lines(member, pd.Timestamp(day)) if lines is not None else None
    place = f"{origin}, line {line}" if line is not None else f"{origin}, {pd.Timestamp(day):%Y-%m-%d}"
    return f"{place} (member {member})" if member else place


def validate_standard_frame(
    frame: pd.DataFrame, spec: SeriesSpec, origin: str, lines: Lines | None = None
) -> pd.DataFrame:
    """Check a source's output against the catalog; raise a specific DataValidationError or return it.

    ``origin`` names where the data came from (a file path or "fred:WALCL") for the message, ``lines``
    the file line of each (member, date) when known.
    """
    missing = [c for c in STANDARD_COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError(f"{origin}: standard frame lacks columns {missing}")
    values = frame["value"].to_numpy(dtype="float64")
    if not np.isfinite(values).all():
        bad = frame.loc[~np.isfinite(values)].iloc[0]
        raise DataValidationError(
            f"{_where(origin, lines, bad['member'], bad['date'])}: non-finite value {bad['value']} for {bad['field']}"
        )
    if frame["date"].isna().any():
        raise DataValidationError(f"{origin}: observation without a date")
    dupes = frame.duplicated(["date", "member", "field"], keep=False)
    if dupes.any():
        bad = frame.loc[dupes].iloc[0]
        member = f" member {bad['member']}" if bad["member"] else ""
        raise DataValidationError(f"{origin}: duplicate observation{member} for {bad['date']:%Y-%m-%d}")
    if spec.is_price and not spec.allow_nonpositive:
        prices = frame["field"].isin(PRICE_FIELDS) & (frame["value"] <= 0)
        if prices.any():
            bad = frame.loc[prices].iloc[0]
            raise DataValidationError(
                f"{_where(origin, lines, bad['member'], bad['date'])}: "
                f"non-positive price {bad['value']} ({bad['field']})"
            )
    if spec.plausible is not None:
        low, high = spec.plausible
        main = frame["field"] == spec.value_field
        out = main & ((frame["value"] < low) | (frame["value"] > high))
        if out.any():
            bad = frame.loc[out].iloc[0]
            raise DataValidationError(
                f"{_where(origin, lines, bad['member'], bad['date'])}: {spec.value_field}={bad['value']:g} is outside "
                f"the plausible range [{low:g}, {high:g}] {spec.units} for {spec.id}: wrong units or a bad row?"
            )
    _check_ohlcv(frame, spec, origin, lines)
    check_moves(frame, spec, origin, lines)
    return frame


def _check_ohlcv(frame: pd.DataFrame, spec: SeriesSpec, origin: str, lines: Lines | None) -> None:
    """high >= max(open, close), low <= min(open, close), volume >= 0 on every row; a missing cell
    (CoinGecko's close-only days) is unknown, not a violation. The first bad (member, date) is named."""
    fields = frame["field"].to_numpy()
    if not set(pd.unique(fields)) & {"high", "low", "volume"}:
        return
    rows, members, dates = _row_keys(frame)
    values = frame["value"].to_numpy(dtype="float64")

    def column(name: str) -> np.ndarray:
        """One field's values by (member, date) row; NaN where it is missing (no duplicates: checked)."""
        out = np.full(len(members), np.nan)
        hit = fields == name
        out[rows[hit]] = values[hit]
        return out

    opened, high, low, close, volume = (column(c) for c in ("open", "high", "low", "close", "volume"))
    with np.errstate(invalid="ignore"):
        top, bottom = np.fmax(opened, close), np.fmin(opened, close)
        slack = _OHLC_TOL * np.abs(top)
        checks = (
            (high < top - slack, lambda i: f"high {high[i]:g} is below max(open, close) = {top[i]:g}"),
            (low > bottom + slack, lambda i: f"low {low[i]:g} is above min(open, close) = {bottom[i]:g}"),
            (high < low, lambda i: f"high {high[i]:g} is below low {low[i]:g}"),
            (volume < 0, lambda i: f"negative volume {volume[i]:g}"),
        )
    for mask, what in checks:
        bad = np.flatnonzero(mask)
        if len(bad):
            i = int(bad[np.lexsort((dates[bad], members[bad]))[0]])
            raise DataValidationError(
                f"{_where(origin, lines, members[i], pd.Timestamp(dates[i]))}: {what(i)} for {spec.id}"
            )


def _row_keys(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each observation's (member, date) row number, and each row's member and date: a wide view of
    the long frame without pandas' pivot (a tenth of the cost on a price file)."""
    member_codes, member_names = pd.factorize(frame["member"].to_numpy(dtype=object))
    days = frame["date"].to_numpy(dtype="datetime64[D]").astype("int64")
    rows, keys = pd.factorize((member_codes.astype("int64") << 32) + (days - days.min() if len(days) else days))
    first = np.zeros(len(keys), dtype="int64")
    first[rows[::-1]] = np.arange(len(rows))[::-1]
    return rows, np.asarray(member_names, dtype=object)[member_codes[first]], frame["date"].to_numpy()[first]


def check_moves(
    frame: pd.DataFrame,
    spec: SeriesSpec,
    origin: str,
    lines: Lines | None = None,
    only: pd.Series | None = None,
) -> None:
    """Refuse a main value that jumps beyond the series' limits: against the previous observation
    (``max_jump``) or the median of the previous 20 (``max_level``). A unit change (thousands,
    cents, a 10x feed) moves far more than any real market did in one period.

    ``only`` (booleans aligned with ``frame``) limits the check to those rows, the others being
    history to compare with (the store checks new rows against what it holds)."""
    if spec.max_jump is None and spec.max_level is None:
        return
    values = frame["value"].to_numpy(dtype="float64")
    keep = (frame["field"].to_numpy() == spec.value_field) & (values > 0)
    checked = np.ones(len(frame), dtype=bool) if only is None else only.to_numpy(dtype=bool)
    codes, members = pd.factorize(frame["member"].to_numpy(dtype=object)[keep])
    dates, logs, checked = frame["date"].to_numpy()[keep], np.log(values[keep]), checked[keep]
    # One stable sort by (member, date), split per member: members in order of appearance (the codes'
    # order), each by date, without a scan of every row per member.
    order = np.lexsort((dates, codes))
    groups = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1) if len(order) else []
    for member, rows in zip(members, groups, strict=True):
        _check_member_moves(spec, origin, lines, str(member), dates[rows], logs[rows], checked[rows])


def _check_member_moves(
    spec: SeriesSpec,
    origin: str,
    lines: Lines | None,
    member: str,
    dates: np.ndarray,
    logs: np.ndarray,
    checked: np.ndarray,
) -> None:
    """``check_moves`` for one member's log values in date order."""
    previous = np.concatenate([[np.nan], logs[:-1]])
    median = pd.Series(logs).rolling(_LEVEL_WINDOW, min_periods=_LEVEL_MIN).median().shift().to_numpy()
    for limit, base, what in (
        (spec.max_jump, previous, "the previous value"),
        (spec.max_level, median, f"the median of the previous {_LEVEL_WINDOW}"),
    ):
        if limit is None:
            continue
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero((np.abs(logs - base) > np.log(limit)) & checked)
        if len(bad):
            i = int(bad[0])
            ratio = float(np.exp(logs[i] - base[i]))
            raise DataValidationError(
                f"{_where(origin, lines, member, pd.Timestamp(dates[i]))}: {spec.value_field}={np.exp(logs[i]):g} "
                f"is {ratio:.4g}x {what} ({np.exp(base[i]):g}), beyond the {limit:g}x a period "
                f"{spec.id} allows: a unit change or a bad row? Nothing was stored "
                "(set max_jump / max_level in the catalog if the move is real)."
            )
