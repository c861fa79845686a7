"""FRED adapter: the public fredgraph CSV without a key, the ALFRED-aware API with one.

Without ``FRED_API_KEY`` the keyless graph download is used; it carries no vintage information, so
``realtime_start`` stays NaT and the catalog's release rule alone dates each observation.

With a key, ``fred/series/observations`` is asked for every real-time period (ALFRED), so each value
comes with the date FRED first published it. The standard frame holds one row per (date, field), not one
per vintage, so ``vintage`` picks which value a date keeps:

- ``"latest"`` (default): today's value, stamped with the first ``realtime_start`` at which that very
  value was published (a revision is only known from its own publication date);
- ``"first_release"``: the value as first published, stamped with that publication date -- the
  look-ahead-free series for backtests.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import pandas as pd

from riskcurve.catalog import SeriesSpec
from riskcurve.data.sources.base import Source, long_from_wide
from riskcurve.data.sources.http import (
    Clock,
    HttpClient,
    HttpStatusError,
    finish,
    json_payload,
    looks_like_html,
    response_detail,
    utc_now,
)
from riskcurve.errors import SourceError

FRED_CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
FRED_API_URL = "https://api.stlouisfed.org/fred/series/observations"
# FRED's documented limit is 120 requests per minute per key.
FRED_MIN_INTERVAL = 60.0 / 120
# ALFRED's real-time bounds: the earliest start it accepts and its "no end yet" date.
ALFRED_START = date(1776, 7, 4)
ALFRED_OPEN_END = "9999-12-31"
# FRED marks a missing observation with "."; some downloads leave the cell empty instead.
MISSING = frozenset({".", ""})
# Halving the real-time window this many times covers any series' vintage count.
MAX_WINDOW_SPLITS = 12
DATE_HEADERS = ("observation_date", "DATE")

Vintage = Literal["latest", "first_release"]


def _numbers(cells: pd.Series, lines: pd.Index, who: str) -> pd.Series:
    """Cells as floats; a cell that is neither missing nor a number is an error, never a silent gap."""
    values = pd.to_numeric(cells, errors="coerce").astype("float64")
    bad = values.isna().to_numpy()
    if bad.any():
        position = int(bad.nonzero()[0][0])
        raise SourceError(f"{who}: {lines[position]}: value {cells.iloc[position]!r} is not a number")
    return values


def _dates(cells: pd.Series, lines: pd.Index, who: str) -> pd.DatetimeIndex:
    parsed = pd.to_datetime(cells, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        position = int(bad.nonzero()[0][0])
        raise SourceError(f"{who}: {lines[position]}: date {cells.iloc[position]!r} is not YYYY-MM-DD")
    return pd.DatetimeIndex(pd.DatetimeIndex(parsed).astype("datetime64[ns]"))


def parse_fredgraph_csv(text: str, symbol: str) -> pd.DataFrame:
    """A fredgraph.csv body (``observation_date,SERIES`` or the older ``DATE,SERIES``) as a wide frame."""
    who = f"FRED {symbol}"
    if not text.strip():
        raise SourceError(f"{who}: empty response where the fredgraph CSV was expected")
    if looks_like_html(text):
        raise SourceError(f"{who}: expected the fredgraph CSV but got {response_detail(text)}; wrong id?")
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(f"{who}: unreadable CSV: {exc}") from exc
    header = [str(c) for c in raw.columns]
    value_column = next((c for c in header[1:] if c.upper() == symbol.upper()), None)
    if not header or header[0] not in DATE_HEADERS or value_column is None:
        raise SourceError(
            f"{who}: unexpected CSV header {','.join(header)!r}; expected 'observation_date,{symbol}' "
            f"(or the older 'DATE,{symbol}')"
        )
    cells = raw[value_column].str.strip()
    present = ~cells.isin(MISSING)
    lines = pd.Index([f"line {i + 2}" for i in range(len(raw))])
    dates = _dates(raw[header[0]].str.strip(), lines, who)
    values = _numbers(cells[present], lines[present.to_numpy()], who)
    return pd.DataFrame({"value": values.to_numpy()}, index=dates[present.to_numpy()])


def _observation_table(rows: list[Any], who: str) -> pd.DataFrame:
    """API observations (one per date and real-time period) as date / realtime_start / raw value text."""
    try:
        table = pd.DataFrame(
            {
                "date": [row["date"] for row in rows],
                "realtime_start": [row["realtime_start"] for row in rows],
                "value": [str(row["value"]).strip() for row in rows],
            },
            dtype=object,
        )
    except KeyError as exc:
        raise SourceError(f"{who}: malformed observation in the API answer (no {exc})") from exc
    except TypeError as exc:
        raise SourceError(f"{who}: malformed observation in the API answer ({exc})") from exc
    lines = pd.Index([f"observation {i + 1}" for i in range(len(rows))])
    table["date"] = _dates(table["date"], lines, who)
    table["realtime_start"] = _dates(table["realtime_start"], lines, who)
    return table.sort_values(["date", "realtime_start"], kind="stable").reset_index(drop=True)


def pick_vintage(table: pd.DataFrame, vintage: Vintage, who: str) -> pd.DataFrame:
    """One value per date from all its real-time periods, with the date it was first published (UTC)."""
    if vintage == "latest":
        current = table.groupby("date", sort=True).tail(1)
        current = current.loc[~current["value"].isin(MISSING)]
        same = table.merge(current[["date", "value"]], on=["date", "value"])
        first_seen = same.groupby("date")["realtime_start"].min()
        chosen = current.set_index("date")
        chosen["realtime_start"] = first_seen.reindex(chosen.index)
    else:
        published = table.loc[~table["value"].isin(MISSING)]
        chosen = published.groupby("date", sort=True).head(1).set_index("date")
    lines = pd.Index([f"observation dated {d:%Y-%m-%d}" for d in chosen.index])
    return pd.DataFrame(
        {
            "value": _numbers(chosen["value"], lines, who).to_numpy(),
            "realtime_start": pd.DatetimeIndex(chosen["realtime_start"]).tz_localize("UTC"),
        },
        index=pd.DatetimeIndex(chosen.index),
    )


def _says(exc: HttpStatusError, phrase: str) -> bool:
    return exc.status == 400 and phrase in exc.detail.lower()


class FredSource(Source):
    """FRED series by their FRED id (catalog symbol ``fred``); field ``value`` in the provider's units."""

    name: ClassVar[str] = "fred"
    api_page: ClassVar[int] = 100_000  # FRED's maximum ``limit``

    def __init__(
        self,
        api_key: str | None = None,
        *,
        vintage: Vintage = "latest",
        http: HttpClient | None = None,
        now: Clock = utc_now,
        env: Mapping[str, str] | None = None,
    ) -> None:
        key = api_key if api_key is not None else (os.environ if env is None else env).get("FRED_API_KEY")
        self.api_key = key.strip() if key and key.strip() else None
        self.vintage: Vintage = vintage
        self.http = http if http is not None else HttpClient("FRED", min_interval=FRED_MIN_INTERVAL)
        self._now = now

    def supports(self, spec: SeriesSpec) -> bool:
        return bool(spec.symbols.get("fred"))

    def hosts(self) -> tuple[str, ...]:
        return (urlsplit(FRED_API_URL if self.api_key else FRED_CSV_URL).hostname or "",)

    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        symbol = spec.symbols.get("fred")
        if not symbol:
            raise SourceError(f"FRED: series {spec.id} has no 'fred' symbol in the catalog")
        now = self._now()
        if self.api_key:
            wide = self._from_api(symbol, since, now.date())
            frame = long_from_wide(wide, {"value": "value"}, realtime_start=wide["realtime_start"])
        else:
            wide = self._from_csv(symbol, since)
            frame = long_from_wide(wide, {"value": "value"})
        if wide.empty and since is None:
            raise SourceError(f"FRED {symbol}: the response holds no observations")
        return finish(frame, spec, since=since, now=now, origin=f"fred:{symbol}")

    def _from_csv(self, symbol: str, since: date | None) -> pd.DataFrame:
        params = {"id": symbol}
        if since is not None:
            params["cosd"] = since.isoformat()
        return parse_fredgraph_csv(self.http.get(FRED_CSV_URL, series=symbol, params=params).text, symbol)

    def _from_api(self, symbol: str, since: date | None, today: date) -> pd.DataFrame:
        who = f"FRED {symbol}"
        try:
            # Observations dated on/after ``since`` were all published on/after it: no earlier vintage needed.
            rows = self._vintage_rows(symbol, since, since or ALFRED_START, None, today, depth=0)
        except HttpStatusError as exc:
            if not _says(exc, "does not exist in alfred"):
                raise
            rows = self._pages(symbol, since, None)  # FRED-only series: today's values, no vintage stamps
            table = _observation_table(rows, who)
            table = table.loc[~table["value"].isin(MISSING)]
            lines = pd.Index([f"observation {i + 1}" for i in range(len(table))])
            values = _numbers(table["value"], lines, who)
            return pd.DataFrame(
                {"value": values.to_numpy(), "realtime_start": pd.NaT}, index=pd.DatetimeIndex(table["date"])
            )
        return pick_vintage(_observation_table(rows, who), self.vintage, who)

    def _vintage_rows(
        self, symbol: str, since: date | None, start: date, end: date | None, today: date, *, depth: int
    ) -> list[Any]:
        """All real-time periods in [start, end]; halves the window when FRED refuses too many vintages.

        A half that predates the series' ALFRED history simply has no periods.
        """
        try:
            return self._pages(symbol, since, (start, end))
        except HttpStatusError as exc:
            if depth and (_says(exc, "does not exist in alfred") or _says(exc, "no vintage dates exist")):
                return []
            last = min(end, today) if end is not None else today
            too_many = _says(exc, "maximum number of vintage dates")
            if not too_many or depth >= MAX_WINDOW_SPLITS or last <= start:
                raise
            middle = start + (last - start) // 2
            early = self._vintage_rows(symbol, since, start, middle, today, depth=depth + 1)
            late = self._vintage_rows(symbol, since, middle + timedelta(days=1), end, today, depth=depth + 1)
            return early + late

    def _pages(self, symbol: str, since: date | None, window: tuple[date, date | None] | None) -> list[Any]:
        """Every observation of one API query, following ``offset`` until ``count`` is reached."""
        who = f"FRED {symbol}"
        params = {
            "series_id": symbol,
            "api_key": str(self.api_key),
            "file_type": "json",
            "output_type": "1",  # observations by real-time period
            "limit": str(self.api_page),
        }
        if since is not None:
            params["observation_start"] = since.isoformat()
        if window is not None:
            params["realtime_start"] = window[0].isoformat()
            params["realtime_end"] = window[1].isoformat() if window[1] is not None else ALFRED_OPEN_END
        rows: list[Any] = []
        while True:
            params["offset"] = str(len(rows))
            payload = json_payload(self.http.get(FRED_API_URL, series=symbol, params=params), who)
            page = payload.get("observations") if isinstance(payload, dict) else None
            if not isinstance(page, list):
                detail = response_detail(str(payload))
                raise SourceError(f"{who}: API answer lacks the 'observations' list: {detail}")
            rows.extend(page)
            count = payload.get("count")
            if not page or not isinstance(count, int) or len(rows) >= count:
                return rows
