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
from typing import Any, cast, get_args

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar

from riskcurve._typing import AssetClass, Calendar, Frequency, Role, SeriesKind
from riskcurve.errors import CatalogError

OHLCV_FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume", "market_cap")
PRICE_FIELDS: frozenset[str] = frozenset({"open", "high", "low", "close"})

# Units the panel converts to its standard ones: balance-sheet money is reported in USD billions.
UNIT_SCALE: Mapping[str, tuple[str, float]] = {
    "usd_millions": ("usd_billions", 1e-3),
    "usd_thousands": ("usd_billions", 1e-6),
    "usd_billions": ("usd_billions", 1.0),
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

    days: int = 0
    business_days: int = 0
    months: int = 0
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


def _require(entry: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise CatalogError(f"{where}: missing required key {key!r}")
    return entry[key]


def _literal(value: Any, literal: Any, key: str, where: str) -> Any:
    allowed = get_args(literal)
    if value not in allowed:
        raise CatalogError(f"{where}: {key}={value!r} is not one of {', '.join(allowed)}")
    return value


def _parse_entry(entry: Mapping[str, Any], where: str) -> SeriesSpec:
    sid = str(_require(entry, "id", where))
    where = f"{where} (series {sid})"
    release_raw = dict(entry.get("release", {}))
    unknown = set(release_raw) - {"days", "business_days", "months", "time", "tz"}
    if unknown:
        raise CatalogError(f"{where}: unknown release keys {sorted(unknown)}")
    release = ReleaseRule(**release_raw)
    try:
        release.available_at(pd.DatetimeIndex(["2020-01-01"]))
    except Exception as exc:  # bad tz or time text
        raise CatalogError(f"{where}: invalid release rule {release_raw}: {exc}") from exc
    csv_raw = entry.get("csv")
    csv: CsvSpec | None
    if csv_raw is None:
        csv = None
    elif isinstance(csv_raw, str):
        csv = CsvSpec(path=csv_raw)
    else:
        csv = CsvSpec(
            path=str(_require(csv_raw, "path", where)),
            member_column=csv_raw.get("member_column"),
            filter=dict(csv_raw.get("filter", {})),
            fields=dict(csv_raw.get("fields", {})),
            ignore=tuple(csv_raw.get("ignore", ())),
            on_duplicate=str(csv_raw.get("on_duplicate", "error")),
        )
        if csv.on_duplicate not in {"error", "keep_first"}:
            raise CatalogError(f"{where}: csv.on_duplicate must be 'error' or 'keep_first'")
    plausible = entry.get("plausible")
    if entry.get("kind") == "members" and "main_field" not in entry:
        raise CatalogError(f"{where}: a members series needs main_field (the field that stands for it)")
    if plausible is not None and (len(plausible) != 2 or plausible[0] >= plausible[1]):
        raise CatalogError(f"{where}: plausible must be [low, high] with low < high")
    return SeriesSpec(
        id=sid,
        name=str(_require(entry, "name", where)),
        asset_class=cast(AssetClass, _literal(_require(entry, "asset_class", where), AssetClass, "asset_class", where)),
        kind=cast(SeriesKind, _literal(_require(entry, "kind", where), SeriesKind, "kind", where)),
        units=str(_require(entry, "units", where)),
        frequency=cast(Frequency, _literal(_require(entry, "frequency", where), Frequency, "frequency", where)),
        calendar=cast(Calendar, _literal(_require(entry, "calendar", where), Calendar, "calendar", where)),
        release=release,
        symbols=dict(entry.get("symbols", {})),
        csv=csv,
        stablecoin=bool(entry.get("stablecoin", False)),
        wrapped=bool(entry.get("wrapped", False)),
        plausible=(float(plausible[0]), float(plausible[1])) if plausible is not None else None,
        allow_nonpositive=bool(entry.get("allow_nonpositive", False)),
        description=str(entry.get("description", "")),
        main_field=entry.get("main_field"),
        role=cast(Role, _literal(entry["role"], Role, "role", where)) if "role" in entry else None,
    )


def _parse_file(text: str, where: str) -> list[SeriesSpec]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: not valid TOML: {exc}") from exc
    entries = raw.get("series", [])
    if not isinstance(entries, list):
        raise CatalogError(f"{where}: expected [[series]] tables")
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
        if not path.exists():
            raise CatalogError(f"catalog file {path} does not exist")
        for spec in _parse_file(path.read_text(encoding="utf-8"), str(path)):
            specs[spec.id] = spec
    return Catalog(specs.values())
