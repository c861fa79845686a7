"""The catalog: every series riskcurve knows, read from a data file so users add series without code.

The packaged ``catalog.toml`` is the default; files named in the settings (or ``RISKCURVE_CATALOG``,
several separated by ``os.pathsep``) extend it, an entry with an existing id replacing the old one.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationError,
)

from riskcurve._typing import AssetClass, Calendar, Frequency, Role, SeriesKind
from riskcurve.errors import CatalogError, unknown_key_hint

OHLCV_FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume", "market_cap")
PRICE_FIELDS: frozenset[str] = frozenset({"open", "high", "low", "close"})

# Units the panel converts to its standard ones: balance-sheet money is reported in USD billions.
UNIT_SCALE: Mapping[str, tuple[str, float]] = {
    "usd_millions": ("usd_billions", 1e-3),
    "usd_thousands": ("usd_billions", 1e-6),
    "usd_billions": ("usd_billions", 1.0),
}

# Default move limits per asset class, as factors (max_jump, max_level): a new value more than
# max_jump times (or less than 1/max_jump of) the previous one, or more than max_level times (or less
# than 1/max_level of) the median of the previous 20, is refused as a unit change or a bad row.
# Chosen from the shared data's own worst moves (1986-2026), with room to spare:
# - equity indices: worst one-session move 1.26x (S&P 500, 19 Oct 1987; Russell 2000 1.17x, Mar 2020),
#   worst distance from the 20-session median 1.57x. 1.5 / 3 still refuses a 10x or 1/10 unit slip.
# - crypto: BTC 1.64x, ETH 3.8x (2015), DOGE 4.6x, FTT 4.0x (Nov 2022) in a day, 22x from the median
#   (FTT); SHIB and LUNC exceed these and carry their own limits in catalog.toml. 6 / 40 still refuses
#   a 100x or 1000x slip (cents vs dollars, thousands).
# - liquidity (H.4.1 weeks): WALCL 1.24x a week and 2.4x its median (2008); TREAST 1.13x. The TGA
#   (WTREGEN) and MBS (WSHOMCB) swing far more and carry their own limits.
# - credit spread 1.18x a day, VIX 2.2x (Feb 2018), M2 1.06x a month, total crypto cap 1.66x.
# Rates, funding and members series (ranks, per-coin figures) cross or touch zero, where a ratio
# means nothing: no default, a catalog entry may still set one.
JUMP_LIMITS: Mapping[str, tuple[float, float]] = {
    "equity_index": (1.5, 3.0),
    "etf": (1.5, 3.0),
    "crypto": (6.0, 40.0),
    "crypto_market": (3.0, 6.0),
    "liquidity": (2.0, 5.0),
    "credit": (2.0, 5.0),
    "volatility": (3.0, 8.0),
    "money": (1.5, 2.0),
}


@cache
def _federal_holidays() -> np.ndarray:
    """US federal holidays 1950-2100: FRED and the Fed publish on federal business days only."""
    days = USFederalHolidayCalendar().holidays(start="1950-01-01", end="2100-12-31")
    return np.asarray(days.values.astype("datetime64[D]"))


@dataclass(frozen=True)
class ReleaseRule:
    """When an observation dated D first becomes known: D + months + days, then + business days, at time.

    Examples: an equity close is known at 16:00 New York on D; a crypto UTC-day close at 00:00 UTC on
    D+1; a Wednesday H.4.1 level on Thursday 16:30 New York (one federal business day later).
    """

    days: StrictInt = 0
    business_days: StrictInt = 0
    months: StrictInt = 0
    time: str = "00:00"
    tz: str = "UTC"

    def available_at(self, dates: pd.DatetimeIndex | pd.Series) -> pd.DatetimeIndex:
        """First UTC moment each observation date is knowable (vectorised; NaT stays NaT)."""
        idx = pd.DatetimeIndex(dates).normalize()
        if idx.tz is not None:
            idx = idx.tz_localize(None)
        if self.months:
            idx = idx + pd.DateOffset(months=self.months)
        if self.days:
            idx = idx + pd.Timedelta(days=self.days)
        if self.business_days:
            # A weekend/holiday date counts from the business day before it: Saturday + 1 -> Monday.
            shifted = np.busday_offset(
                idx.values.astype("datetime64[D]"),
                self.business_days,
                roll="backward",
                holidays=_federal_holidays(),
            )
            idx = pd.DatetimeIndex(shifted.astype("datetime64[ns]"))
        hours, minutes = (int(part) for part in self.time.split(":"))
        local = (idx + pd.Timedelta(hours=hours, minutes=minutes)).tz_localize(
            self.tz, nonexistent="shift_forward", ambiguous=np.zeros(len(idx), dtype=bool)
        )
        return local.tz_convert("UTC")


@dataclass(frozen=True)
class CsvSpec:
    """Where a series lives in a CSV directory, and how to read that file."""

    path: str
    member_column: str | None = None
    filter: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)  # csv column -> stored field
    ignore: tuple[str, ...] = ()
    on_duplicate: str = "error"  # "error" | "keep_first" (rank-ordered cross-sections)
    zero_missing: tuple[str, ...] = ()  # csv columns where the provider writes 0 for "unknown"


@dataclass(frozen=True)
class SeriesSpec:
    """One catalog entry. ``units`` describe the main value (close or value) as the provider reports it."""

    id: str
    name: str
    asset_class: AssetClass
    kind: SeriesKind
    units: str
    frequency: Frequency
    calendar: Calendar
    release: ReleaseRule
    symbols: Mapping[str, str] = field(default_factory=dict)
    csv: CsvSpec | None = None
    stablecoin: bool = False
    wrapped: bool = False
    plausible: tuple[float, float] | None = None
    max_jump: float | None = None  # factor one period may move the main value (None: not checked)
    max_level: float | None = None  # factor from the median of the previous 20 values (None: not checked)
    allow_nonpositive: bool = False
    description: str = ""
    main_field: str | None = None
    role: Role | None = None

    @property
    def is_price(self) -> bool:
        return self.kind == "ohlcv"

    @property
    def value_field(self) -> str:
        """The field that stands for the series in a one-column view."""
        if self.main_field is not None:
            return self.main_field
        return "close" if self.kind == "ohlcv" else "value"

    def standard_units(self) -> tuple[str, float]:
        """Units the panel reports and the factor from provider units to them."""
        return UNIT_SCALE.get(self.units, (self.units, 1.0))


class Catalog(Mapping[str, SeriesSpec]):
    """An ordered, read-only mapping of series id -> spec."""

    def __init__(self, specs: Iterable[SeriesSpec]) -> None:
        self._specs: dict[str, SeriesSpec] = {}
        for spec in specs:
            self._specs[spec.id] = spec

    def __getitem__(self, key: str) -> SeriesSpec:
        try:
            return self._specs[key]
        except KeyError:
            raise CatalogError(f"unknown series {key!r}; `riskcurve series` lists the catalog") from None

    def __contains__(self, key: object) -> bool:  # Mapping's would raise CatalogError for a missing id
        return key in self._specs

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def select(self, ids: Iterable[str] | None = None, *, asset_class: str | None = None) -> list[SeriesSpec]:
        """Specs for the given ids (validated) or all, optionally of one asset class."""
        specs = [self[i] for i in ids] if ids else list(self._specs.values())
        return [s for s in specs if asset_class is None or s.asset_class == asset_class]

    def by_role(self, role: Role) -> list[str]:
        """Ids of the series with ``role``, in catalog order (e.g. ``by_role("liquidity_component")``)."""
        return [s.id for s in self._specs.values() if s.role == role]

    def one(self, role: Role) -> str:
        """The id of the single series with ``role``; CatalogError when there is none or several."""
        ids = self.by_role(role)
        if len(ids) != 1:
            raise CatalogError(f"the catalog needs exactly one series with role {role!r}, has {ids}")
        return ids[0]

    def crypto_universe(self) -> list[SeriesSpec]:
        """Coins eligible for altcoin measures: crypto prices that are neither stablecoins nor wrapped."""
        return [s for s in self._specs.values() if s.asset_class == "crypto" and not (s.stablecoin or s.wrapped)]


# -- the file schema: pydantic models mirror the TOML; every mistake names entry, key and expectation ----
class _Strict(BaseModel):
    """Unknown keys are errors (a typo such as ``plausable`` would silently drop a guard); numbers and
    flags keep their TOML type (no "5" -> 5, no 1 -> true)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _ReleaseModel(_Strict):
    days: StrictInt = 0
    business_days: StrictInt = 0
    months: StrictInt = 0
    time: Annotated[str, StringConstraints(pattern=r"^\d{1,2}:\d{2}$")] = "00:00"
    tz: str = "UTC"


class _CsvModel(_Strict):
    path: str
    member_column: str | None = None
    filter: dict[str, str] = {}
    fields: dict[str, str] = {}
    ignore: list[str] = []
    on_duplicate: Literal["error", "keep_first"] = "error"
    zero_missing: list[str] = []


class _EntryModel(_Strict):
    id: str
    name: str
    asset_class: AssetClass
    kind: SeriesKind
    units: str
    frequency: Frequency
    calendar: Calendar
    release: _ReleaseModel = _ReleaseModel()
    symbols: dict[str, str] = {}
    csv: str | _CsvModel | None = None
    stablecoin: StrictBool = False
    wrapped: StrictBool = False
    plausible: tuple[StrictFloat, StrictFloat] | None = None
    max_jump: Annotated[StrictFloat, Field(gt=1)] | Literal["off"] | None = None
    max_level: Annotated[StrictFloat, Field(gt=1)] | Literal["off"] | None = None
    allow_nonpositive: StrictBool = False
    description: str = ""
    main_field: str | None = None
    role: Role | None = None


# What each key takes, in the words of the file (pydantic's own text names Python types).
_EXPECTED: Mapping[str, str] = {
    "release": 'a table such as { time = "16:00", tz = "America/New_York" }',
    "release.time": 'a time "HH:MM" (text)',
    "csv": 'a path (text) or a table { path = "...", ... }',
    "plausible": "a list [low, high] of two numbers",
    "max_jump": 'a factor above 1 (number) or "off"',
    "max_level": 'a factor above 1 (number) or "off"',
    "symbols": 'a table of text such as { yahoo = "^RUT" }',
    "csv.filter": "a table of text",
    "csv.fields": "a table of text (csv column = stored field)",
    "csv.ignore": "a list of column names (text)",
    "csv.zero_missing": "a list of column names (text)",
}
_MODELS: Mapping[str, type[BaseModel]] = {"": _EntryModel, "release": _ReleaseModel, "csv": _CsvModel}


def _cut(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _key(error: Mapping[str, Any]) -> str:
    """The dotted TOML key of a pydantic error, without pydantic's union-branch and list-index tags."""

    def tag(part: str) -> bool:
        return (
            part in {"str", "float", "int", "bool"}
            or part.startswith(("literal[", "constrained-", "tuple[", "function-", "dict[", "list["))
            or (part.startswith("_") and part.endswith("Model"))
        )

    parts = [str(part) for part in error["loc"] if not isinstance(part, int)]
    return ".".join(p for p in parts if not tag(p)) or "?"


def _describe(error: Mapping[str, Any]) -> str:
    """One pydantic error in the file's words: key, what was expected, what was found."""
    key, kind = _key(error), error["type"]
    if kind == "missing":
        return f"missing required key {key!r}"
    if kind == "extra_forbidden":
        parent, _, name = key.rpartition(".")
        known = list(_MODELS.get(parent, _EntryModel).model_fields)
        return f"unknown key {key!r} ({unknown_key_hint(name, known)})"
    if kind == "literal_error" and key in {"asset_class", "kind", "frequency", "calendar", "role"}:
        return f"{key}={_cut(error['input'])} is not one of {error['ctx']['expected']}"
    expected = _EXPECTED.get(key, str(error["msg"]).removeprefix("Input should be "))
    return f"key {key!r}: expected {expected}, got {_cut(error['input'])}"


def _problems(exc: ValidationError) -> list[str]:
    """One message per key; of a union's branch errors the deepest (``csv.ignore`` rather than ``csv``)."""
    kept: dict[str, Mapping[str, Any]] = {}
    for error in sorted(exc.errors(), key=lambda e: -len(_key(e))):
        key = _key(error)
        if key not in kept and not any(k.startswith(key + ".") for k in kept):
            kept[key] = error
    return list(dict.fromkeys(_describe(e) for e in kept.values()))


def _validated(entry: object, where: str) -> _EntryModel:
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: expected a [[series]] table, got {_cut(entry)}")
    if "id" in entry and isinstance(entry["id"], str):
        where = f"{where} (series {entry['id']})"
    try:
        return _EntryModel.model_validate(entry)
    except ValidationError as exc:
        raise CatalogError(f"{where}: {'; '.join(_problems(exc))}") from None


def _limit(value: float | str | None, default: float | None) -> float | None:
    """An explicit factor, "off" (None) or the asset class's default."""
    if value == "off":
        return None
    return float(value) if value is not None else default


def _parse_entry(entry: object, where: str) -> SeriesSpec:
    model = _validated(entry, where)
    where = f"{where} (series {model.id})"
    release = ReleaseRule(**model.release.model_dump())
    try:
        release.available_at(pd.DatetimeIndex(["2020-01-01"]))
    except Exception as exc:  # bad tz or time text
        raise CatalogError(f"{where}: invalid release rule {model.release.model_dump()}: {exc}") from exc
    raw_csv = model.csv
    csv = (
        None
        if raw_csv is None
        else CsvSpec(path=raw_csv)
        if isinstance(raw_csv, str)
        else CsvSpec(
            **{**raw_csv.model_dump(), "ignore": tuple(raw_csv.ignore), "zero_missing": tuple(raw_csv.zero_missing)}
        )
    )
    if model.kind == "members" and model.main_field is None:
        raise CatalogError(f"{where}: a members series needs main_field (the field that stands for it)")
    if model.plausible is not None and model.plausible[0] >= model.plausible[1]:
        raise CatalogError(f"{where}: plausible must be [low, high] with low < high")
    # Moves are checked on log ratios: a members series (ranks, per-coin figures) or one that may
    # cross zero has no meaningful ratio, so it is checked only when its entry asks for it.
    ratio_ok = model.kind != "members" and not model.allow_nonpositive
    default_jump, default_level = JUMP_LIMITS.get(model.asset_class, (None, None)) if ratio_ok else (None, None)
    return SeriesSpec(
        id=model.id,
        name=model.name,
        asset_class=model.asset_class,
        kind=model.kind,
        units=model.units,
        frequency=model.frequency,
        calendar=model.calendar,
        release=release,
        symbols=dict(model.symbols),
        csv=csv,
        stablecoin=model.stablecoin,
        wrapped=model.wrapped,
        plausible=model.plausible,
        max_jump=_limit(model.max_jump, default_jump),
        max_level=_limit(model.max_level, default_level),
        allow_nonpositive=model.allow_nonpositive,
        description=model.description,
        main_field=model.main_field,
        role=model.role,
    )


def _parse_file(text: str, where: str) -> list[SeriesSpec]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: not valid TOML: {exc}") from exc
    unknown = sorted(set(raw) - {"series"})
    if unknown:
        hint = unknown_key_hint(unknown[0], ["series"])
        raise CatalogError(f"{where}: unknown top-level key {unknown[0]!r} ({hint}): the file holds [[series]] tables")
    entries = raw.get("series", [])
    if not isinstance(entries, list):
        raise CatalogError(f"{where}: expected [[series]] tables, got series = {_cut(entries)}")
    specs = [_parse_entry(e, f"{where} entry {i + 1}") for i, e in enumerate(entries)]
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen:
            raise CatalogError(f"{where}: series id {spec.id!r} appears twice")
        seen.add(spec.id)
    return specs


def load_catalog(extra: Iterable[Path] = ()) -> Catalog:
    """The packaged catalog, extended/overridden by each extra file in order."""
    text = resources.files("riskcurve").joinpath("catalog.toml").read_text(encoding="utf-8")
    specs = {s.id: s for s in _parse_file(text, "catalog.toml")}
    for path in extra:
        if not path.is_file():
            raise CatalogError(f"catalog file {path} does not exist or is not a file")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise CatalogError(f"catalog file {path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
        for spec in _parse_file(text, str(path)):
            specs[spec.id] = spec
    return Catalog(specs.values())
