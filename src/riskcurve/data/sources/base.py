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

    @abstractmethod
    def supports(self, spec: SeriesSpec) -> bool:
        """Whether this source can deliver ``spec`` (it has the needed symbol or file)."""

    @abstractmethod
    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        """Observations of ``spec`` dated on or after ``since`` (all when None), as a standard frame."""

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


def validate_standard_frame(frame: pd.DataFrame, spec: SeriesSpec, origin: str) -> pd.DataFrame:
    """Check a source's output against the catalog; raise a specific DataValidationError or return it.

    ``origin`` names where the data came from (a file path or "fred:WALCL") for the message.
    """
    missing = [c for c in STANDARD_COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError(f"{origin}: standard frame lacks columns {missing}")
    values = frame["value"].to_numpy(dtype="float64")
    if not np.isfinite(values).all():
        bad = frame.loc[~np.isfinite(values)].iloc[0]
        raise DataValidationError(
            f"{origin}: non-finite value {bad['value']} for {bad['field']} on {bad['date']:%Y-%m-%d}"
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
                f"{origin}: non-positive price {bad['value']} ({bad['field']}) on {bad['date']:%Y-%m-%d}"
            )
    if spec.plausible is not None:
        low, high = spec.plausible
        main = frame["field"] == spec.value_field
        out = main & ((frame["value"] < low) | (frame["value"] > high))
        if out.any():
            bad = frame.loc[out].iloc[0]
            raise DataValidationError(
                f"{origin}: {spec.value_field}={bad['value']:g} on {bad['date']:%Y-%m-%d} is outside the "
                f"plausible range [{low:g}, {high:g}] {spec.units} for {spec.id}: wrong units or a bad row?"
            )
    return frame
