"""CSV-directory source: the offline layout of ``shared/data`` (and any user folder laid out the same way).

Price files are ``date,open,high,low,close,volume[,market_cap]``, FRED files ``date,value``; multi-member
files (open interest, rankings) name their member column in the catalog. Empty cell = unknown.
Every malformed cell is reported with its file and line number; nothing is silently coerced. A zero
market cap, and a zero in a column the catalog lists as ``zero_missing``, is the provider's "unknown".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from riskcurve.catalog import OHLCV_FIELDS, SeriesSpec
from riskcurve.data.sources.base import Lines, Source, clip, cut, empty_standard_frame, validate_standard_frame
from riskcurve.errors import DataValidationError, SourceError


def _line(position: int) -> int:
    """1-based file line of a 0-based data row (line 1 is the header)."""
    return position + 2


class CsvDirSource(Source):
    """Reads the catalog's ``csv`` path below ``root``."""

    name: ClassVar[str] = "csvdir"
    complete: ClassVar[bool] = True

    def __init__(self, root: Path, now: Callable[[], pd.Timestamp] | None = None) -> None:
        self.root = Path(root)
        self._now = now or (lambda: pd.Timestamp.now(tz="UTC"))
        if not self.root.is_dir():
            raise SourceError(f"CSV directory {self.root} does not exist or is not a directory")

    def supports(self, spec: SeriesSpec) -> bool:
        return spec.csv is not None

    def path_of(self, spec: SeriesSpec) -> Path:
        if spec.csv is None:
            raise SourceError(f"{spec.id}: the catalog gives no csv path")
        return self.root / spec.csv.path

    def origin(self, spec: SeriesSpec) -> str:
        return str(self.path_of(spec))

    def fingerprint(self, spec: SeriesSpec, since: date | None = None) -> str | None:
        """File content plus how we read it: any edit to either forces a real re-read."""
        path = self.path_of(spec)
        if not path.exists():
            return None
        digest = hashlib.sha256(path.read_bytes())
        reading = (spec.csv, spec.kind, spec.plausible, spec.max_jump, spec.max_level, spec.allow_nonpositive, since)
        digest.update(repr(reading).encode())
        return digest.hexdigest()

    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        path = self.path_of(spec)
        raw = self._extract(path, spec)
        frame, lines = self._transform(raw, spec, path)
        if since is not None:
            frame = frame[frame["date"] >= pd.Timestamp(since)]
        # A row for a period that has not ended (today's crypto day, a session still trading) is
        # provisional: storing it would make its final value look like a revision.
        complete = spec.release.available_at(frame["date"]) <= self._now()
        frame = frame[np.asarray(complete)].reset_index(drop=True)
        return validate_standard_frame(frame, spec, str(path), lines)

    # -- extract: numbers parsed by the C reader, only empty cells missing -----------------------
    @staticmethod
    def _extract(path: Path, spec: SeriesSpec) -> pd.DataFrame:
        """A column holding any text that is not a plain number (``NaN``, ``n/a``, ``1,0``) stays text,
        so ``_transform`` can point at the exact cell."""
        if not path.exists():
            raise SourceError(f"{path}: file not found")
        assert spec.csv is not None
        text_columns = {"date", *spec.csv.ignore, *spec.csv.filter}
        if spec.csv.member_column:
            text_columns.add(spec.csv.member_column)
        try:
            raw = pd.read_csv(
                path, dtype=dict.fromkeys(text_columns, str), keep_default_na=False, na_values=[""]
            )
        except pd.errors.EmptyDataError:
            raise DataValidationError(f"{path}: file is empty") from None
        except pd.errors.ParserError as exc:
            raise DataValidationError(f"{path}: not a well-formed CSV: {str(exc)[:200]}") from None
        except UnicodeDecodeError as exc:
            raise DataValidationError(f"{path}: not UTF-8 text: {exc.reason} at byte {exc.start}") from None
        if "date" not in raw.columns:
            header = clip(",".join(map(str, raw.columns)))
            raise DataValidationError(f"{path}: missing column 'date' (header: {header})")
        return raw

    # -- transform: typed long frame in the standard shape --------------------------------------
    def _transform(self, raw: pd.DataFrame, spec: SeriesSpec, path: Path) -> tuple[pd.DataFrame, Lines]:
        """The standard frame and where each of its (member, date) rows sits in the file."""
        csv = spec.csv
        assert csv is not None
        for column, wanted in csv.filter.items():
            if column not in raw.columns:
                raise DataValidationError(f"{path}: missing filter column {column!r}")
            raw = raw[raw[column] == wanted]
        member_col = csv.member_column
        if member_col is not None and member_col not in raw.columns:
            raise DataValidationError(f"{path}: missing member column {member_col!r}")
        fields = dict(csv.fields) or self._default_fields(raw, spec, path)
        missing = [c for c in fields if c not in raw.columns]
        if missing:
            raise DataValidationError(f"{path}: missing column(s) {clip(', '.join(missing))} for {spec.id}")
        unexpected = set(raw.columns) - set(fields) - {"date", member_col, *csv.filter, *csv.ignore}
        if unexpected:
            raise DataValidationError(f"{path}: unexpected column(s) {clip(', '.join(sorted(map(str, unexpected))))}")

        positions = np.arange(len(raw))
        dates = pd.to_datetime(raw["date"], format="%Y-%m-%d", errors="coerce")
        bad_dates = dates.isna().to_numpy()
        if bad_dates.any():
            i = int(np.argmax(bad_dates))
            raise DataValidationError(
                f"{path}, line {_line(int(positions[i]))}: unparsable date {cut(raw['date'].iloc[i])} (want YYYY-MM-DD)"
            )
        self._check_future(dates, positions, path)
        members = raw[member_col].astype(str) if member_col else pd.Series("", index=raw.index)
        if csv.on_duplicate == "keep_first":
            keep = ~pd.DataFrame({"d": dates, "m": members}).duplicated().to_numpy()
            raw, dates, members, positions = raw[keep], dates[keep], members[keep], positions[keep]
        self._check_order(dates, members, positions, path)

        day_of, member_of = dates.to_numpy(dtype="datetime64[ns]"), members.to_numpy(dtype=object)
        kept: list[np.ndarray] = []  # per field, the raw rows holding a value
        values: list[np.ndarray] = []
        for column, field in fields.items():
            numbers = self._numbers(raw[column], column, positions, path)
            mask = ~np.isnan(numbers)
            # The data's convention: a zero market cap means unknown (CoinGecko's), as do zeros in the
            # columns the catalog names.
            if field == "market_cap" or column in csv.zero_missing:
                mask &= numbers != 0.0
            kept.append(np.flatnonzero(mask))
            values.append(numbers[kept[-1]])
        lines = self._lines(dates, members, positions)
        if not kept:
            return empty_standard_frame(), lines
        rows = np.concatenate(kept)
        frame = pd.DataFrame(
            {
                "date": day_of[rows],
                # Categoricals: a handful of distinct names over a million rows stay cheap all the way to DuckDB.
                "member": (
                    pd.Categorical(member_of[rows].astype(str))
                    if member_col
                    else pd.Categorical.from_codes(np.zeros(len(rows), dtype=np.int8), [""])
                ),
                "value": np.concatenate(values),
                "field": pd.Categorical.from_codes(
                    np.repeat(np.arange(len(kept)), [len(k) for k in kept]), list(fields.values())
                ),
                "realtime_start": pd.Series(pd.NaT, index=pd.RangeIndex(len(rows)), dtype="datetime64[ns, UTC]"),
            }
        )
        return frame, lines

    @staticmethod
    def _numbers(text: pd.Series, column: str, positions: np.ndarray, path: Path) -> np.ndarray:
        """A column as float64 (NaN: empty cell); any text that is not a finite number is an error."""
        values = pd.to_numeric(text, errors="coerce")
        unparsable = (values.isna() & text.notna()).to_numpy()
        if unparsable.any():
            i = int(np.argmax(unparsable))
            raise DataValidationError(
                f"{path}, line {_line(int(positions[i]))}: column {column!r} has unparsable number {cut(text.iloc[i])}"
            )
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        infinite = np.isinf(numbers)
        if infinite.any():
            i = int(np.argmax(infinite))
            raise DataValidationError(
                f"{path}, line {_line(int(positions[i]))}: column {column!r} is not finite ({clip(str(text.iloc[i]))})"
            )
        return numbers

    @staticmethod
    def _lines(dates: pd.Series, members: pd.Series, positions: np.ndarray) -> Lines:
        day_of, member_of = dates.to_numpy(), members.to_numpy()

        def line(member: str, day: pd.Timestamp) -> int | None:
            hits = np.flatnonzero((day_of == np.datetime64(day)) & (member_of == member))
            return _line(int(positions[hits[0]])) if len(hits) else None

        return line

    def _check_future(self, dates: pd.Series, positions: np.ndarray, path: Path) -> None:
        """A row dated after the run's (UTC) tomorrow cannot be an observation: a typo or a bad feed.
        (Today's and tomorrow's rows may be provisional periods, dropped later without a fuss.)"""
        limit = self._now().tz_convert("UTC").tz_localize(None).normalize() + pd.Timedelta(days=1)
        future = (dates > limit).to_numpy()
        if future.any():
            i = int(np.argmax(future))
            raise DataValidationError(
                f"{path}, line {_line(int(positions[i]))}: row dated {dates.iloc[i]:%Y-%m-%d} is after the run "
                f"({limit - pd.Timedelta(days=1):%Y-%m-%d}): a future date is a typo or a bad feed; nothing was stored"
            )

    @staticmethod
    def _default_fields(raw: pd.DataFrame, spec: SeriesSpec, path: Path) -> dict[str, str]:
        if spec.kind == "ohlcv":
            if "close" not in raw.columns:
                raise DataValidationError(f"{path}: missing column 'close' for price series {spec.id}")
            return {c: c for c in OHLCV_FIELDS if c in raw.columns}
        if spec.kind == "value":
            if "value" not in raw.columns:
                raise DataValidationError(f"{path}: missing column 'value' for {spec.id}")
            return {"value": "value"}
        raise DataValidationError(f"{path}: member series {spec.id} needs csv.fields in the catalog")

    @staticmethod
    def _check_order(dates: pd.Series, members: pd.Series, positions: np.ndarray, path: Path) -> None:
        """Dates must strictly ascend within each member: duplicates and disorder are errors."""
        frame = pd.DataFrame({"d": dates.to_numpy(), "m": members.to_numpy(), "p": positions})
        previous = frame.groupby("m", sort=False)["d"].shift()
        same = (frame["d"] == previous).to_numpy()
        back = (frame["d"] < previous).to_numpy()
        for mask, what in ((same, "duplicate date"), (back, "date out of order")):
            if mask.any():
                i = int(np.argmax(mask))
                member = f" (member {frame['m'].iloc[i]})" if frame["m"].iloc[i] else ""
                raise DataValidationError(
                    f"{path}, line {_line(int(frame['p'].iloc[i]))}: {what} {frame['d'].iloc[i]:%Y-%m-%d}{member}"
                )
