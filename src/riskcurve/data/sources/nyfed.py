"""NY Fed Markets API: results of the Desk's outright Treasury operations.

``/api/tsy/all/results/details/search.json?startDate=&endDate=`` answers
``{"treasury": {"auctions": [{"operationId", "operationType", "operationDirection", "operationDate",
"settlementDate", "totalParAmtSubmitted", "totalParAmtAccepted", ...}]}}`` with amounts in US dollars;
they are stored in USD billions like the offline files. Catalog symbol ``nyfed``:

- ``bill_purchases``: accepted bill purchases summed by settlement date (``value``) with ``operations`` (their count);
- ``operations``: every operation by its id (member), ``submitted`` and ``accepted``, dated its trade day.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import pandas as pd

from riskcurve.catalog import SeriesSpec
from riskcurve.data.sources.base import Source, long_from_wide
from riskcurve.data.sources.http import Clock, HttpClient, finish, host_of, json_payload, utc_now
from riskcurve.errors import SourceError

NYFED_URL = "https://markets.newyorkfed.org/api/tsy/all/results/details/search.json"
# The Desk's operation history in this API starts with the 2008 operations.
FIRST_DAY = date(2008, 1, 1)
BILL_PURCHASE = "Outright Bill Purchase"
USD_PER_BN = 1e9


class NyFedSource(Source):
    """Outright Treasury operation results (catalog symbol ``nyfed``)."""

    name: ClassVar[str] = "nyfed"

    def __init__(self, *, http: HttpClient | None = None, now: Clock = utc_now) -> None:
        self.http = http if http is not None else HttpClient("NY Fed")
        self._now = now

    def hosts(self) -> tuple[str, ...]:
        return host_of(NYFED_URL)

    def supports(self, spec: SeriesSpec) -> bool:
        return spec.symbols.get("nyfed") in {"bill_purchases", "operations"}

    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        symbol = spec.symbols.get("nyfed")
        if symbol not in {"bill_purchases", "operations"}:
            raise SourceError(f"NY Fed: series {spec.id} has no usable 'nyfed' symbol ({symbol!r})")
        now = self._now()
        ops = self._operations(spec, since or FIRST_DAY, now.date())
        if ops.empty and since is None:
            raise SourceError(f"NY Fed {spec.id}: the response holds no operations")
        frame = self._bill_purchases(ops) if symbol == "bill_purchases" else self._by_operation(ops)
        return finish(frame, spec, since=since, now=now, origin=f"nyfed:{symbol}")

    def _operations(self, spec: SeriesSpec, start: date, end: date) -> pd.DataFrame:
        who = f"NY Fed {spec.id}"
        params = {"startDate": start.isoformat(), "endDate": end.isoformat()}
        payload = json_payload(self.http.get(NYFED_URL, series=spec.id, params=params), who)
        auctions = payload.get("treasury", {}).get("auctions") if isinstance(payload, dict) else None
        if not isinstance(auctions, list):
            raise SourceError(f"{who}: answer lacks treasury.auctions ({_shape(payload)})")
        rows = [_operation(item, who) for item in auctions]
        return pd.DataFrame(rows, columns=["id", "type", "trade", "settle", "submitted", "accepted"])

    @staticmethod
    def _bill_purchases(ops: pd.DataFrame) -> pd.DataFrame:
        bills = ops[ops["type"] == BILL_PURCHASE]
        daily = bills.groupby("settle").agg(value=("accepted", "sum"), operations=("id", "count"))
        daily.index = pd.DatetimeIndex(daily.index).astype("datetime64[ns]")
        return long_from_wide(daily.astype("float64"), {"value": "value", "operations": "operations"})

    @staticmethod
    def _by_operation(ops: pd.DataFrame) -> pd.DataFrame:
        parts = [
            long_from_wide(
                group.set_index(pd.DatetimeIndex(group["trade"]).astype("datetime64[ns]")),
                {"submitted": "submitted", "accepted": "accepted"},
                member=str(op_id),
            )
            for op_id, group in ops.groupby("id")
        ]
        return pd.concat(parts, ignore_index=True) if parts else long_from_wide(pd.DataFrame(), {})


def _operation(item: Any, who: str) -> dict[str, Any]:
    """One operation's id, type, dates and amounts (USD bn); a missing or garbled key is an error."""
    try:
        return {
            "id": str(item["operationId"]),
            "type": str(item["operationType"]),
            "trade": date.fromisoformat(str(item["operationDate"])),
            "settle": date.fromisoformat(str(item["settlementDate"])),
            "submitted": float(item["totalParAmtSubmitted"]) / USD_PER_BN,
            "accepted": float(item["totalParAmtAccepted"]) / USD_PER_BN,
        }
    except (KeyError, TypeError, ValueError) as exc:
        ident = item.get("operationId") if isinstance(item, dict) else item
        raise SourceError(f"{who}: operation {ident!r} lacks or garbles {exc}") from exc


def _shape(payload: Any) -> str:
    return ", ".join(sorted(payload)) if isinstance(payload, dict) else type(payload).__name__
