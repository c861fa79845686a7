"""alternative.me Crypto Fear & Greed Index: one 0-100 score per UTC day, keyless.

``api.alternative.me/fng/?limit=0&format=json`` answers ``{"name": ..., "data": [{"value": "40",
"value_classification": "Fear", "timestamp": "1551157200", ...}], "metadata": {"error": null}}``; each
timestamp is 00:00 UTC of the day the value is for (newest first). ``limit=0`` is the whole history.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import pandas as pd

from riskcurve.catalog import SeriesSpec
from riskcurve.data.sources.base import Source, long_from_wide
from riskcurve.data.sources.http import Clock, HttpClient, finish, host_of, json_payload, utc_now
from riskcurve.errors import SourceError

FNG_URL = "https://api.alternative.me/fng/"


class FearGreedSource(Source):
    """The Fear & Greed Index (catalog symbol ``alternative = "fng"``)."""

    name: ClassVar[str] = "alternative_me"

    def __init__(self, *, http: HttpClient | None = None, now: Clock = utc_now) -> None:
        self.http = http if http is not None else HttpClient("alternative.me")
        self._now = now

    def hosts(self) -> tuple[str, ...]:
        return host_of(FNG_URL)

    def supports(self, spec: SeriesSpec) -> bool:
        return spec.symbols.get("alternative") == "fng"

    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        who = f"alternative.me {spec.id}"
        now = self._now()
        # The API counts back from today: ask for just enough days on an incremental update.
        limit = 0 if since is None else max(1, (now.date() - since).days + 2)
        params = {"limit": str(limit), "format": "json"}
        payload = json_payload(self.http.get(FNG_URL, series=spec.id, params=params), who)
        if not isinstance(payload, dict):
            raise SourceError(f"{who}: expected a JSON object, got {type(payload).__name__}")
        error = (payload.get("metadata") or {}).get("error") if isinstance(payload.get("metadata"), dict) else None
        if error:
            raise SourceError(f"{who}: alternative.me error: {str(error)[:200]}")
        rows = payload.get("data")
        if not isinstance(rows, list) or (not rows and since is None):
            raise SourceError(f"{who}: the response holds no index values")
        wide = pd.DataFrame({"value": _scores(rows, who)})
        return finish(long_from_wide(wide, {"value": "value"}), spec, since=since, now=now, origin="alternative.me:fng")


def _scores(rows: list[Any], who: str) -> pd.Series:
    days, values = [], []
    for row in rows:
        try:
            stamp = pd.Timestamp(int(row["timestamp"]), unit="s")
            value = float(row["value"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(f"{who}: row {str(row)[:120]} lacks or garbles {exc}") from exc
        if stamp != stamp.normalize():
            raise SourceError(f"{who}: timestamp {stamp} is not 00:00 UTC")
        days.append(stamp)
        values.append(value)
    series = pd.Series(values, index=pd.DatetimeIndex(days).astype("datetime64[ns]"), dtype="float64")
    return series[~series.index.duplicated(keep="first")].sort_index()
