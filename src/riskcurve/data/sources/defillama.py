"""DefiLlama stablecoins API: circulating supply per stablecoin and for all of them, in USD.

``stablecoins.llama.fi/stablecoin/{id}`` answers ``{"id", "name", "symbol", "tokens": [{"date": unix_s,
"circulating": {"peggedUSD": n}}, ...]}``; ``/stablecoincharts/all`` answers a list
``[{"date": "unix_s", "totalCirculatingUSD": {"peggedUSD": n}, ...}]``. Each point is stamped 00:00 UTC of
its day and kept with that date (the offline files' convention); the current day's point moves until the
day ends, so it is never stored (the next run stores it once its day is over).

Catalog symbol ``defillama``: a stablecoin id (``"1"`` USDT, ``"2"`` USDC) or ``"all"``. A per-coin
series gets its supply as ``value`` and as ``defillama`` (the offline history's ``value`` is CoinGecko's
market cap, within about 1 % of it: the field says which figure a day holds).
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import pandas as pd

from riskcurve.catalog import SeriesSpec
from riskcurve.data.sources.base import Source, long_from_wide
from riskcurve.data.sources.http import Clock, HttpClient, finish, host_of, json_payload, utc_now
from riskcurve.errors import SourceError

DEFILLAMA_URL = "https://stablecoins.llama.fi"
ALL = "all"


class DefiLlamaSource(Source):
    """Stablecoin supply (catalog symbol ``defillama``)."""

    name: ClassVar[str] = "defillama"

    def __init__(self, *, http: HttpClient | None = None, now: Clock = utc_now) -> None:
        self.http = http if http is not None else HttpClient("DefiLlama")
        self._now = now

    def hosts(self) -> tuple[str, ...]:
        return host_of(DEFILLAMA_URL)

    def supports(self, spec: SeriesSpec) -> bool:
        return bool(spec.symbols.get("defillama"))

    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        coin = spec.symbols.get("defillama")
        if not coin:
            raise SourceError(f"DefiLlama: series {spec.id} has no 'defillama' symbol in the catalog")
        who = f"DefiLlama {spec.id}"
        now = self._now()
        if coin == ALL:
            payload = self._get("/stablecoincharts/all", spec, who)
            points, key = payload, "totalCirculatingUSD"
        else:
            payload = self._get(f"/stablecoin/{coin}", spec, who)
            points = payload.get("tokens") if isinstance(payload, dict) else None
            key = "circulating"
        if not isinstance(points, list):
            raise SourceError(f"{who}: answer lacks its list of daily points ({_shape(payload)})")
        # Today's point moves until the UTC day ends, whatever the catalog's release hour: never store it.
        today = now.tz_convert("UTC").tz_localize(None).normalize()
        supply = _supply(points, key, who)
        supply = supply[supply.index < today]
        if supply.empty and since is None:
            raise SourceError(f"{who}: the response holds no supply points")
        fields = {"value": "value"} if coin == ALL else {"value": "value", "defillama": "defillama"}
        wide = pd.DataFrame({"value": supply, "defillama": supply})
        frame = long_from_wide(wide, fields)
        return finish(frame, spec, since=since, now=now, origin=f"defillama:{coin}")

    def _get(self, path: str, spec: SeriesSpec, who: str) -> Any:
        payload = json_payload(self.http.get(f"{DEFILLAMA_URL}{path}", series=spec.id), who)
        if isinstance(payload, dict) and "message" in payload and "tokens" not in payload:
            raise SourceError(f"{who}: DefiLlama says {str(payload['message'])[:200]!r}")
        return payload


def _supply(points: list[Any], key: str, who: str) -> pd.Series:
    """``peggedUSD`` by UTC day; a point that is not a 00:00 UTC stamp with a number is an error."""
    days, values = [], []
    for point in points:
        try:
            stamp = pd.Timestamp(int(point["date"]), unit="s")
            amount = float(point[key]["peggedUSD"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(f"{who}: point {str(point)[:120]} lacks or garbles {exc}") from exc
        if stamp != stamp.normalize():
            raise SourceError(f"{who}: point time {stamp} is not a 00:00 UTC day stamp")
        days.append(stamp)
        values.append(amount)
    series = pd.Series(values, index=pd.DatetimeIndex(days).astype("datetime64[ns]"), dtype="float64")
    return series[~series.index.duplicated(keep="last")].sort_index()


def _shape(payload: Any) -> str:
    return ", ".join(sorted(payload)) if isinstance(payload, dict) else type(payload).__name__
