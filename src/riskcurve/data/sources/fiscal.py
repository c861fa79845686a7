"""Treasury Fiscal Data API: the Daily Treasury Statement's operating cash balance and cash flows.

Answers are JSON ``{"data": [...], "meta": {"total-pages": n, ...}, "links": {"next": ...}}`` with every
amount as text in USD millions (``"null"`` for an empty cell). The catalog symbol ``fiscaldata`` names a
table and what to take from it:

- ``operating_cash_balance:<account_type>[|<account_type>]``: Table I rows. Since the April 2022 layout the
  TGA's closing balance sits in ``open_today_bal`` of the "... Closing Balance" row (``close_today_bal``
  is ``"null"``); older layouts report it in ``close_today_bal``. With two account types (deposits, then
  withdrawals) the fields are ``deposits``, ``withdrawals`` and ``value`` = their difference.
- ``deposits_withdrawals_operating_cash:<transaction_type>:<category prefix>``: Table II, the day's sum of
  ``transaction_today_amt`` over the categories starting with the prefix (EFT and check lines alike).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, ClassVar

import pandas as pd

from riskcurve.catalog import SeriesSpec
from riskcurve.data.sources.base import Source, long_from_wide
from riskcurve.data.sources.http import Clock, HttpClient, finish, host_of, json_payload, utc_now
from riskcurve.errors import SourceError

FISCAL_URL = "https://api.fiscaldata.treasury.gov/services/api/fiscal_service/v1/accounting/dts"
PAGE_SIZE = 10_000  # the API's maximum
MAX_PAGES = 100  # 1M rows: far past any DTS table, so a "next" link that never ends cannot loop
NULLS = frozenset({"", "null", None})


class FiscalDataSource(Source):
    """DTS tables through the keyless Fiscal Data API (catalog symbol ``fiscaldata``)."""

    name: ClassVar[str] = "fiscal"

    def __init__(self, *, http: HttpClient | None = None, now: Clock = utc_now) -> None:
        self.http = http if http is not None else HttpClient("Fiscal Data")
        self._now = now

    def hosts(self) -> tuple[str, ...]:
        return host_of(FISCAL_URL)

    def supports(self, spec: SeriesSpec) -> bool:
        return bool(spec.symbols.get("fiscaldata"))

    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        symbol = spec.symbols.get("fiscaldata", "")
        table, _, selector = symbol.partition(":")
        if table == "operating_cash_balance" and selector:
            wide = self._balances(spec, selector.split("|"), since)
        elif table == "deposits_withdrawals_operating_cash" and selector.count(":") == 1:
            kind, prefix = selector.split(":")
            wide = self._flows(spec, kind, prefix, since)
        else:
            raise SourceError(f"Fiscal Data: series {spec.id} has an unusable 'fiscaldata' symbol {symbol!r}")
        if wide.empty and since is None:
            raise SourceError(f"Fiscal Data {spec.id}: the response holds no rows")
        frame = long_from_wide(wide, {c: c for c in wide.columns})
        return finish(frame, spec, since=since, now=self._now(), origin=f"fiscal:{table}")

    def _rows(self, table: str, spec: SeriesSpec, filters: list[str]) -> Iterator[dict[str, Any]]:
        """Every row of ``table`` matching ``filters``, page by page (``meta["total-pages"]``)."""
        who = f"Fiscal Data {spec.id}"
        page = 1
        while True:
            params = {
                "filter": ",".join(filters),
                "sort": "record_date",
                "page[size]": str(PAGE_SIZE),
                "page[number]": str(page),
            }
            payload = json_payload(self.http.get(f"{FISCAL_URL}/{table}", series=spec.id, params=params), who)
            if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
                shape = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
                message = payload.get("message") if isinstance(payload, dict) else None
                raise SourceError(f"{who}: answer has no 'data' list ({message or shape})")
            yield from payload["data"]
            meta = payload.get("meta")
            pages = meta.get("total-pages", 1) if isinstance(meta, dict) else 1
            if not isinstance(pages, int) or page >= min(pages, MAX_PAGES):
                return
            page += 1

    def _balances(self, spec: SeriesSpec, accounts: list[str], since: date | None) -> pd.DataFrame:
        who = f"Fiscal Data {spec.id}"
        filters = [f"account_type:in:({','.join(accounts)})"]
        if since is not None:
            filters.append(f"record_date:gte:{since.isoformat()}")
        values: dict[tuple[str, str], float] = {}
        for row in self._rows("operating_cash_balance", spec, filters):
            account = row.get("account_type")
            if account not in accounts:
                continue
            # April 2022 layout: the day's figure is the "today" column of its own row.
            cell = row.get("open_today_bal") if "Closing Balance" in account or "Total" in account else None
            if cell in NULLS:
                cell = row.get("close_today_bal")
            if cell in NULLS:
                continue
            values[(_record_date(row, who), account)] = _amount(cell, "balance", row, who)
        wide = pd.Series(values, dtype="float64").unstack() if values else pd.DataFrame()
        if wide.empty:
            return pd.DataFrame()
        wide.index = pd.DatetimeIndex(wide.index).astype("datetime64[ns]")
        if len(accounts) == 1:
            return wide.rename(columns={accounts[0]: "value"})[["value"]]
        deposits, withdrawals = (wide.get(a, pd.Series(index=wide.index, dtype="float64")) for a in accounts[:2])
        return pd.DataFrame({"value": deposits - withdrawals, "deposits": deposits, "withdrawals": withdrawals})

    def _flows(self, spec: SeriesSpec, kind: str, prefix: str, since: date | None) -> pd.DataFrame:
        who = f"Fiscal Data {spec.id}"
        filters = [f"transaction_type:eq:{kind}"]
        if since is not None:
            filters.append(f"record_date:gte:{since.isoformat()}")
        totals: dict[str, float] = {}
        for row in self._rows("deposits_withdrawals_operating_cash", spec, filters):
            category = str(row.get("transaction_catg") or "")
            cell = row.get("transaction_today_amt")
            if not category.startswith(prefix) or cell in NULLS:
                continue
            day = _record_date(row, who)
            totals[day] = totals.get(day, 0.0) + _amount(cell, "transaction_today_amt", row, who)
        if not totals:
            return pd.DataFrame()
        series = pd.Series(totals, dtype="float64")
        return pd.DataFrame({"value": series.to_numpy()}, index=pd.DatetimeIndex(series.index).astype("datetime64[ns]"))


def _record_date(row: dict[str, Any], who: str) -> str:
    day = str(row.get("record_date") or "")
    try:
        return date.fromisoformat(day).isoformat()
    except ValueError:
        raise _bad(row, "record_date", who) from None


def _amount(cell: object, field: str, row: dict[str, Any], who: str) -> float:
    try:
        return float(str(cell))
    except ValueError:
        raise _bad(row, field, who) from None


def _bad(row: dict[str, Any], field: str, who: str) -> SourceError:
    return SourceError(f"{who}: row dated {row.get('record_date')!r} has an unusable {field} {row.get(field)!r}")
