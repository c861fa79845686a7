"""Crypto adapters: exchange candles through ccxt, and CoinGecko's daily market charts.

Both date a value by the UTC day it closes. A ccxt daily candle is stamped with its 00:00 UTC open, which
is already its day. CoinGecko's daily point at 00:00 UTC of day d is a snapshot taken as day d-1 ends,
so it is re-dated to d-1; its last point is the live price, which belongs to the still-forming day and
is dropped with every other incomplete period.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlsplit

import ccxt
import pandas as pd

from riskcurve.catalog import SeriesSpec
from riskcurve.data.sources.base import Source, long_from_wide
from riskcurve.data.sources.http import Clock, HttpClient, RetryPolicy, finish, json_payload, redact, utc_now
from riskcurve.errors import RateLimitError, SourceError

DAY_MS = 86_400_000
OHLCV_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
CANDLE_FIELDS = {c: c for c in OHLCV_COLUMNS[1:]}

COINGECKO_URL = "https://api.coingecko.com/api/v3"
# The REST host each exchange's daily candles come from, probed before an update asks for them.
EXCHANGE_HOSTS = {"binance": "api.binance.com", "kraken": "api.kraken.com", "coinbase": "api.exchange.coinbase.com"}
COINGECKO_KEY_HEADER = "x-cg-demo-api-key"
# The free and demo plans serve only the last 365 days of history.
COINGECKO_FREE_DAYS = 365
# Demo keys get 30 calls/minute; the keyless tier is lower and varies, so stay near 10/minute.
COINGECKO_DEMO_INTERVAL = 60.0 / 30 + 0.1
COINGECKO_KEYLESS_INTERVAL = 6.0
# market_chart array -> stored field
CHART_FIELDS = {"prices": "close", "market_caps": "market_cap", "total_volumes": "volume"}
GLOBAL_ID = "global"
# A /global snapshot this soon after 00:00 UTC still stands for the previous day's close.
GLOBAL_CLOSE_WINDOW = pd.Timedelta(minutes=30)


def close_dates(stamps: pd.DatetimeIndex, tolerance: pd.Timedelta) -> pd.DatetimeIndex:
    """The UTC day each snapshot closes: a snapshot up to ``tolerance`` after 00:00 of day d closes d-1.

    Any later snapshot belongs to its own, still-forming day (dropped until that day is complete).
    """
    return (stamps - tolerance).ceil("D") - pd.Timedelta(days=1)


class CcxtSource(Source):
    """Daily spot OHLCV from an exchange via ccxt (catalog symbol ``ccxt``, e.g. ``BTC/USDT``).

    Candles are paged forward with ``since`` (``page_limit`` per call, Binance's spot maximum is 1000);
    without ``since`` paging starts at the epoch, which Binance answers from the pair's listing.
    ccxt's own rate limiter is on; rate-limit and network errors are retried with backoff.
    """

    name: ClassVar[str] = "ccxt"

    def __init__(
        self,
        exchange: Any | None = None,
        *,
        exchange_id: str = "binance",
        page_limit: int = 1000,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Clock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self._exchange = exchange
        self.exchange_id = exchange_id if exchange is None else str(getattr(exchange, "id", exchange_id))
        self.page_limit = page_limit
        self.retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleep
        self._now = now
        self._rng = rng if rng is not None else random.Random()

    @property
    def exchange(self) -> Any:
        """The ccxt exchange, built on first use (building one touches no network)."""
        if self._exchange is None:
            self._exchange = getattr(ccxt, self.exchange_id)({"enableRateLimit": True})
        return self._exchange

    def supports(self, spec: SeriesSpec) -> bool:
        return spec.kind == "ohlcv" and bool(spec.symbols.get("ccxt"))

    def hosts(self) -> tuple[str, ...]:
        return (EXCHANGE_HOSTS.get(self.exchange_id, f"api.{self.exchange_id}.com"),)

    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        symbol = spec.symbols.get("ccxt")
        if not symbol or spec.kind != "ohlcv":
            raise SourceError(
                f"ccxt: series {spec.id} is not an exchange pair (needs ohlcv and a 'ccxt' symbol)"
            )
        who = f"ccxt {self.exchange_id} {symbol}"
        now = self._now()
        rows = self._candles(symbol, since, now, who)
        if not rows and since is None:
            raise SourceError(f"{who}: the exchange returned no daily candles")
        origin = f"ccxt:{self.exchange_id}:{symbol}"
        return finish(self._transform(rows, who), spec, since=since, now=now, origin=origin)

    def _candles(self, symbol: str, since: date | None, now: pd.Timestamp, who: str) -> list[list[Any]]:
        cursor = int(pd.Timestamp(since).value // 1_000_000) if since is not None else 0
        end = int(now.value // 1_000_000)
        rows: list[list[Any]] = []
        while cursor <= end:
            batch = self._call(symbol, cursor, who)
            if not batch:
                break
            rows.extend(batch)
            following = int(batch[-1][0]) + DAY_MS
            if following <= cursor:  # the exchange ignored ``since``: stop rather than loop
                break
            cursor = following
        return rows

    def _call(self, symbol: str, cursor: int, who: str) -> list[list[Any]]:
        """One ``fetch_ohlcv`` page; ccxt's exceptions mapped to ours, transient ones retried."""

        def attempt() -> list[list[Any]]:
            try:
                return list(self.exchange.fetch_ohlcv(symbol, "1d", since=cursor, limit=self.page_limit))
            except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as exc:
                raise RateLimitError(f"{who}: rate limited: {redact(str(exc))}") from None
            except ccxt.NetworkError as exc:  # RequestTimeout, ExchangeNotAvailable, lost connections
                raise SourceError(f"{who}: {type(exc).__name__}: {redact(str(exc))}", retryable=True) from None
            except ccxt.BadSymbol as exc:
                raise SourceError(f"{who}: no such market on {self.exchange_id}: {redact(str(exc))}") from exc
            except ccxt.BaseError as exc:
                raise SourceError(f"{who}: {type(exc).__name__}: {redact(str(exc))}") from exc

        return self.retry.call(attempt, sleep=self._sleep, rng=self._rng)

    @staticmethod
    def _transform(rows: list[list[Any]], who: str) -> pd.DataFrame:
        bad = next((row for row in rows if len(row) != len(OHLCV_COLUMNS)), None)
        if bad is not None:
            raise SourceError(
                f"{who}: malformed candle {bad!r}, expected [time, open, high, low, close, volume]"
            )
        table = pd.DataFrame(rows, columns=list(OHLCV_COLUMNS))
        stamps = pd.to_numeric(table["timestamp"], errors="coerce")
        if stamps.isna().any() or ((stamps % DAY_MS) != 0).any():
            bad_stamp = table["timestamp"][stamps.isna() | (stamps % DAY_MS != 0)].iloc[0]
            raise SourceError(f"{who}: candle time {bad_stamp!r} is not a 00:00 UTC day start")
        table = table.assign(timestamp=stamps.astype("int64")).drop_duplicates("timestamp", keep="last")
        days = pd.DatetimeIndex(pd.to_datetime(table["timestamp"], unit="ms")).astype("datetime64[ns]")
        wide = table.set_index(days)
        return long_from_wide(wide, CANDLE_FIELDS)


def _coingecko_status(payload: Any, who: str) -> None:
    """CoinGecko can put an error in the body as ``{"status": {"error_code": ...}}`` (also under "error")."""
    if not isinstance(payload, dict):
        return
    status = payload.get("status")
    if status is None and isinstance(payload.get("error"), dict):
        status = payload["error"].get("status")
    if not isinstance(status, dict) or not status.get("error_code"):
        return
    code, message = status.get("error_code"), str(status.get("error_message", "")).strip()
    if code == 429:
        raise RateLimitError(f"{who}: rate limited: {message}")
    raise SourceError(f"{who}: CoinGecko error {code}: {message}")


class CoinGeckoSource(Source):
    """Daily close, market cap and volume per coin (catalog symbol ``coingecko``, the CoinGecko coin id),
    and the total-market snapshot (symbol ``global``).

    History is ``/coins/{id}/market_chart?interval=daily``, limited to the last 365 days on the free and
    demo plans. ``/global`` is only a live snapshot: it is stored as the previous day's close when taken
    within ``global_close_window`` after 00:00 UTC (run the update then), otherwise it is today's
    forming value and dropped. An optional demo key (``COINGECKO_API_KEY``) raises the rate limit.
    """

    name: ClassVar[str] = "coingecko"

    def __init__(
        self,
        api_key: str | None = None,
        *,
        http: HttpClient | None = None,
        now: Clock = utc_now,
        env: Mapping[str, str] | None = None,
        global_close_window: pd.Timedelta = GLOBAL_CLOSE_WINDOW,
    ) -> None:
        if api_key is None:
            api_key = (os.environ if env is None else env).get("COINGECKO_API_KEY")
        key = api_key
        self.api_key = key.strip() if key and key.strip() else None
        interval = COINGECKO_DEMO_INTERVAL if self.api_key else COINGECKO_KEYLESS_INTERVAL
        self.http = http if http is not None else HttpClient("CoinGecko", min_interval=interval)
        self._now = now
        self.global_close_window = global_close_window

    def hosts(self) -> tuple[str, ...]:
        return (urlsplit(COINGECKO_URL).hostname or "",)

    def supports(self, spec: SeriesSpec) -> bool:
        coin = spec.symbols.get("coingecko")
        return bool(coin) and (spec.kind == "ohlcv" or coin == GLOBAL_ID)

    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        coin = spec.symbols.get("coingecko")
        if not coin:
            raise SourceError(f"CoinGecko: series {spec.id} has no 'coingecko' symbol in the catalog")
        now = self._now()
        frame = self._global() if coin == GLOBAL_ID else self._market_chart(coin, since, now)
        return finish(frame, spec, since=since, now=now, origin=f"coingecko:{coin}")

    def _get(self, path: str, coin: str, params: Mapping[str, str] | None = None) -> Any:
        headers = {COINGECKO_KEY_HEADER: self.api_key} if self.api_key else None
        who = f"CoinGecko {coin}"
        response = self.http.get(f"{COINGECKO_URL}{path}", series=coin, params=params, headers=headers)
        payload = json_payload(response, who)
        _coingecko_status(payload, who)
        return payload

    def _market_chart(self, coin: str, since: date | None, now: pd.Timestamp) -> pd.DataFrame:
        who = f"CoinGecko {coin}"
        days = COINGECKO_FREE_DAYS
        if since is not None:
            back = (now.date() - since).days
            if back > COINGECKO_FREE_DAYS:
                raise SourceError(
                    f"{who}: history from {since} is {back} days back, but CoinGecko's free/demo API serves "
                    f"only the last {COINGECKO_FREE_DAYS} days; load older data from a CSV directory instead"
                )
            days = min(COINGECKO_FREE_DAYS, max(1, back + 1))
        params = {"vs_currency": "usd", "days": str(days), "interval": "daily"}
        payload = self._get(f"/coins/{coin}/market_chart", coin, params)
        if not isinstance(payload, dict) or any(not isinstance(payload.get(k), list) for k in CHART_FIELDS):
            keys = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
            raise SourceError(f"{who}: market_chart answer lacks the {sorted(CHART_FIELDS)} arrays ({keys})")
        columns = {key: self._pairs(payload[key], key, who) for key in CHART_FIELDS}
        if columns["prices"].empty and since is None:
            raise SourceError(f"{who}: market_chart returned no prices")
        wide = pd.concat(columns, axis=1, sort=True)
        # CoinGecko reports an unknown market cap as 0: that is a missing value, not a worthless coin.
        wide["market_caps"] = wide["market_caps"].mask(wide["market_caps"] == 0)
        dates = close_dates(pd.DatetimeIndex(wide.index), pd.Timedelta(0))
        wide = wide.set_axis(dates, axis=0)
        wide = wide.loc[~wide.index.duplicated(keep="last")]
        return long_from_wide(wide, CHART_FIELDS)

    @staticmethod
    def _pairs(pairs: list[Any], key: str, who: str) -> pd.Series:
        """A ``[[ms, value], ...]`` array as a float series indexed by naive UTC time."""
        bad = next((p for p in pairs if not isinstance(p, list) or len(p) != 2), None)
        if bad is not None:
            raise SourceError(f"{who}: {key} holds {bad!r}, expected [unix_ms, value] pairs")
        stamps = pd.to_numeric(pd.Series([p[0] for p in pairs], dtype=object), errors="coerce")
        values = pd.to_numeric(pd.Series([p[1] for p in pairs], dtype=object), errors="coerce")
        if stamps.isna().any():
            raise SourceError(f"{who}: {key} has a non-numeric timestamp")
        index = pd.DatetimeIndex(pd.to_datetime(stamps.astype("int64"), unit="ms")).astype("datetime64[ns]")
        series = pd.Series(values.astype("float64").to_numpy(), index=index)
        return series.loc[~series.index.duplicated(keep="last")]

    def _global(self) -> pd.DataFrame:
        who = f"CoinGecko {GLOBAL_ID}"
        payload = self._get("/global", GLOBAL_ID)
        try:
            data = payload["data"]
            total = float(data["total_market_cap"]["usd"])
            volume = float(data["total_volume"]["usd"])
            btc = float(data["market_cap_percentage"]["btc"])
            eth = float(data["market_cap_percentage"]["eth"])
            updated = pd.Timestamp(int(data["updated_at"]), unit="s")
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(f"{who}: /global answer lacks or garbles {exc}") from exc
        day = close_dates(pd.DatetimeIndex([updated]), self.global_close_window)
        row = {
            "value": total,
            "total2": total * (1 - btc / 100),
            "total3": total * (1 - (btc + eth) / 100),
            "btc_mcap": total * btc / 100,
            "eth_mcap": total * eth / 100,
            "btc_dominance_pct": btc,
            "eth_dominance_pct": eth,
            "total_volume": volume,
        }
        return long_from_wide(pd.DataFrame(row, index=day), {k: k for k in row})


# Catalog ``ccxt`` symbols the sampler serves: ``order_book:<pair>`` and these two members datasets.
FUNDING_SYMBOL, OPEN_INTEREST_SYMBOL = "funding_rate", "open_interest"
BOOK_PREFIX = "order_book:"
# Coins whose perpetuals the sampler reads (the members the thesis's reset context looks at).
SAMPLED_COINS: tuple[str, ...] = ("BTC", "ETH")
# Binance COIN-M perpetual contract sizes in USD (BTC 100, every other coin 10): OI in USD = contracts x size.
COINM_CONTRACT_USD: Mapping[str, float] = {"BTC": 100.0}
COINM_DEFAULT_CONTRACT_USD = 10.0
# Depth bands around mid, as fractions, and the field names they are stored under (value = +-1 %).
DEPTH_BANDS: tuple[tuple[float, str], ...] = ((0.01, "1pct"), (0.02, "2pct"))
BOOK_LEVELS = 5000  # Binance spot's deepest order-book snapshot


def book_depth(bids: list[list[float]], asks: list[list[float]]) -> dict[str, float]:
    """USD (quote) depth within each band of mid, per side and both; ``mid`` too.

    A band the snapshot does not reach across (its deepest level is inside the band) would only be a
    lower bound: it is left out (unknown), never reported short.
    """
    if not bids or not asks:
        raise ValueError("an order-book side (it is empty)")
    best_bid, best_ask = float(bids[0][0]), float(asks[0][0])
    if best_bid >= best_ask:
        raise ValueError(f"the order book (crossed: bid {best_bid:g} >= ask {best_ask:g})")
    mid = (best_bid + best_ask) / 2
    out = {"mid": mid}
    for band, name in DEPTH_BANDS:
        low, high = mid * (1 - band), mid * (1 + band)
        if float(bids[-1][0]) > low or float(asks[-1][0]) < high:
            continue
        bid = sum(float(p) * float(q) for p, q, *_ in bids if float(p) >= low)
        ask = sum(float(p) * float(q) for p, q, *_ in asks if float(p) <= high)
        out |= {f"bid_{name}": bid, f"ask_{name}": ask, f"depth_{name}": bid + ask}
    if "depth_1pct" in out:
        out["value"] = out.pop("depth_1pct")
    return out


class CcxtSampler(Source):
    """Live-only market state through ccxt, stored so history accrues from the first run.

    - ``order_book:<pair>`` (Binance spot): depth within +-1 % / +-2 % of mid, one snapshot per run, dated
      its UTC day and stamped (``realtime_start``) with the moment it was taken; a later run the same day
      stores a revision, known from its own time.
    - ``funding_rate`` (Binance COIN-M perpetuals, the market of the offline Coinalyze file): the settled
      funding rates of each UTC day as percent per 8h, open/high/low/close per coin (close = the day's
      last settlement; Coinalyze's daily figures may differ slightly, and a live update re-reading their
      days stores the exchange's as revisions, known from when they were fetched).
    - ``open_interest`` (Binance COIN-M perpetuals, the offline file's market): the daily OI history the
      exchange keeps (about 30 days), in USD; a 00:00 UTC reading closes the previous day.
    """

    name: ClassVar[str] = "ccxt_sampler"

    def __init__(self, exchanges: Mapping[str, Any] | None = None, *, now: Clock = utc_now) -> None:
        self._exchanges: dict[str, Any] = dict(exchanges or {})
        self._now = now

    def _exchange(self, exchange_id: str) -> Any:
        if exchange_id not in self._exchanges:
            self._exchanges[exchange_id] = getattr(ccxt, exchange_id)({"enableRateLimit": True})
        return self._exchanges[exchange_id]

    def hosts(self) -> tuple[str, ...]:
        return ("api.binance.com", "dapi.binance.com")  # spot order books; COIN-M funding and open interest

    def supports(self, spec: SeriesSpec) -> bool:
        symbol = spec.symbols.get("ccxt", "")
        return symbol.startswith(BOOK_PREFIX) or symbol in {FUNDING_SYMBOL, OPEN_INTEREST_SYMBOL}

    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        symbol = spec.symbols.get("ccxt", "")
        now = self._now()
        who = f"ccxt {spec.id}"
        try:
            if symbol.startswith(BOOK_PREFIX):
                frame = self._book(symbol.removeprefix(BOOK_PREFIX), now)
            elif symbol == FUNDING_SYMBOL:
                frame = self._funding(since, now)
            elif symbol == OPEN_INTEREST_SYMBOL:
                frame = self._open_interest(since)
            else:
                raise SourceError(f"{who}: the sampler does not serve ccxt symbol {symbol!r}")
        except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as exc:
            raise RateLimitError(f"{who}: rate limited: {redact(str(exc))}") from exc
        except ccxt.NetworkError as exc:
            raise SourceError(f"{who}: {type(exc).__name__}: {redact(str(exc))}", retryable=True) from exc
        except ccxt.BaseError as exc:
            raise SourceError(f"{who}: {type(exc).__name__}: {redact(str(exc))}") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(f"{who}: the exchange's answer lacks or garbles {exc}") from exc
        return finish(frame, spec, since=since, now=now, origin=f"ccxt:{symbol}")

    def _book(self, pair: str, now: pd.Timestamp) -> pd.DataFrame:
        book = self._exchange("binance").fetch_order_book(pair, limit=BOOK_LEVELS)
        depth = book_depth(list(book.get("bids") or []), list(book.get("asks") or []))
        day = pd.DatetimeIndex([now.tz_convert("UTC").tz_localize(None).normalize()])
        wide = pd.DataFrame({k: [v] for k, v in depth.items()}, index=day)
        return long_from_wide(wide, {k: k for k in depth}, realtime_start=pd.Series([now]))

    def _funding(self, since: date | None, now: pd.Timestamp) -> pd.DataFrame:
        start = pd.Timestamp(since or (now - pd.Timedelta(days=30)).date())
        parts = []
        for coin in SAMPLED_COINS:
            rows = self._exchange("binancecoinm").fetch_funding_rate_history(
                f"{coin}/USD:{coin}", since=int(start.value // 1_000_000), limit=1000
            )
            rates = pd.Series(
                [float(r["fundingRate"]) * 100 for r in rows],
                index=pd.to_datetime([int(r["timestamp"]) for r in rows], unit="ms"),
                dtype="float64",
            )
            if rates.empty:
                continue
            days = rates.groupby(rates.index.normalize())
            wide = pd.DataFrame({"open": days.first(), "high": days.max(), "low": days.min(), "close": days.last()})
            wide.index = pd.DatetimeIndex(wide.index).astype("datetime64[ns]")
            parts.append(long_from_wide(wide, {c: c for c in wide.columns}, member=coin))
        return pd.concat(parts, ignore_index=True) if parts else long_from_wide(pd.DataFrame(), {})

    def _open_interest(self, since: date | None) -> pd.DataFrame:
        parts = []
        for coin in SAMPLED_COINS:
            since_ms = int(pd.Timestamp(since).value // 1_000_000) if since is not None else None
            rows = self._exchange("binancecoinm").fetch_open_interest_history(
                f"{coin}/USD:{coin}", "1d", since=since_ms, limit=30
            )
            size = COINM_CONTRACT_USD.get(coin, COINM_DEFAULT_CONTRACT_USD)
            usd = pd.Series(
                [float(r["openInterestAmount"]) * size for r in rows],
                index=pd.to_datetime([int(r["timestamp"]) for r in rows], unit="ms"),
                dtype="float64",
            )
            if usd.empty:
                continue
            usd.index = close_dates(pd.DatetimeIndex(usd.index), pd.Timedelta(0)).astype("datetime64[ns]")
            usd = usd[~usd.index.duplicated(keep="last")]
            parts.append(long_from_wide(pd.DataFrame({"close": usd}), {"close": "close"}, member=coin))
        return pd.concat(parts, ignore_index=True) if parts else long_from_wide(pd.DataFrame(), {})
