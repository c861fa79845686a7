"""CcxtSource against recorded Binance klines; CoinGeckoSource against recorded market_chart and /global."""

from __future__ import annotations

import json
import random
from datetime import date
from typing import Any

import ccxt
import pandas as pd
import pytest
import requests

from riskcurve.catalog import SeriesSpec, load_catalog
from riskcurve.data.sources.crypto import CcxtSource, CoinGeckoSource
from riskcurve.data.sources.http import HttpStatusError, RetryPolicy
from riskcurve.errors import RateLimitError, SourceError
from tests.data.http_fakes import Answer, FakeTime, Recorded, fake_client, fixture

CATALOG = load_catalog()
BTC: SeriesSpec = CATALOG["BTC"]
TOTAL: SeriesSpec = CATALOG["CRYPTO_TOTAL_MCAP"]
DAY_MS = 86_400_000


def field(frame: pd.DataFrame, name: str) -> dict[str, float]:
    part = frame[frame["field"] == name]
    return {f"{d:%Y-%m-%d}": v for d, v in zip(part["date"], part["value"], strict=True)}


# ---------------------------------------------------------------- ccxt (Binance spot klines)

KLINES: list[list[Any]] = json.loads(fixture("ccxt/binance_BTCUSDT_1d_klines.json"))
# 2023-09-14 12:00 UTC: the 2023-09-14 candle (the fixture's last) is still forming.
MID_DAY = pd.Timestamp("2023-09-14 12:00", tz="UTC")


class FakeExchange:
    """Serves the recorded Binance klines through ccxt's own Binance parser, honouring since/limit;
    ``failures`` are raised first, one per call."""

    id = "binance"

    def __init__(self, klines: list[list[Any]] = KLINES, failures: tuple[BaseException, ...] = ()) -> None:
        self.parser = ccxt.binance()
        self.klines = klines
        self.failures = list(failures)
        self.calls: list[tuple[str, str, int | None, int | None]] = []

    def fetch_ohlcv(
        self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
    ) -> list:
        self.calls.append((symbol, timeframe, since, limit))
        if self.failures:
            raise self.failures.pop(0)
        rows = [k for k in self.klines if since is None or k[0] >= since][: limit or 500]
        return [self.parser.parse_ohlcv(k) for k in rows]


def ccxt_source(
    exchange: FakeExchange, now: pd.Timestamp = MID_DAY, **kwargs: Any
) -> tuple[CcxtSource, FakeTime]:
    clock = FakeTime()
    src = CcxtSource(exchange, sleep=clock.sleep, now=lambda: now, rng=random.Random(5), **kwargs)
    return src, clock


def test_ccxt_candles_parse_and_forming_candle_is_dropped() -> None:
    exchange = FakeExchange()
    src, _ = ccxt_source(exchange)
    frame = src.fetch(BTC)
    assert exchange.calls[0] == ("BTC/USDT", "1d", 0, 1000)
    closes = field(frame, "close")
    assert min(closes) == "2023-09-01" and max(closes) == "2023-09-13"  # 09-14 is still forming
    assert closes["2023-09-01"] == 25800.72
    assert field(frame, "open")["2023-09-11"] == 25830.02
    assert field(frame, "high")["2023-09-12"] == 26567.0
    assert field(frame, "low")["2023-09-11"] == 24901.0
    assert field(frame, "volume")["2023-09-01"] == 34930.21583  # base-asset volume, as Binance reports it
    assert set(frame["field"]) == {"open", "high", "low", "close", "volume"}
    assert frame["realtime_start"].isna().all()


def test_ccxt_pages_forward_with_since() -> None:
    exchange = FakeExchange()
    src, _ = ccxt_source(exchange, page_limit=5, now=pd.Timestamp("2023-09-20", tz="UTC"))
    frame = src.fetch(BTC, since=date(2023, 9, 3))
    start = int(pd.Timestamp("2023-09-03", tz="UTC").value // 1_000_000)
    assert [c[2] for c in exchange.calls] == [
        start,
        start + 5 * DAY_MS,
        start + 10 * DAY_MS,
        start + 12 * DAY_MS,
    ]
    assert list(field(frame, "close")) == [f"2023-09-{d:02d}" for d in range(3, 15)]


def test_ccxt_rate_limit_then_success() -> None:
    exchange = FakeExchange(failures=(ccxt.RateLimitExceeded("binance 429 Too Many Requests"),))
    src, clock = ccxt_source(exchange)
    assert len(field(src.fetch(BTC), "close")) == 13
    assert len(clock.sleeps) == 1


def test_ccxt_exception_mapping() -> None:
    src, _ = ccxt_source(
        FakeExchange(failures=(ccxt.DDoSProtection("418 I'm a teapot"),) * 2), retry=RetryPolicy(2)
    )
    with pytest.raises(RateLimitError, match=r"ccxt binance BTC/USDT: rate limited: 418 .*gave up after 2"):
        src.fetch(BTC)
    src, _ = ccxt_source(FakeExchange(failures=(ccxt.RequestTimeout("timed out"),) * 2), retry=RetryPolicy(2))
    with pytest.raises(SourceError, match="RequestTimeout: timed out") as caught:
        src.fetch(BTC)
    assert caught.value.retryable and not isinstance(caught.value, RateLimitError)
    src, _ = ccxt_source(
        FakeExchange(failures=(ccxt.ExchangeNotAvailable("maintenance"),)), retry=RetryPolicy(1)
    )
    with pytest.raises(SourceError, match="ExchangeNotAvailable") as caught:
        src.fetch(BTC)
    assert caught.value.retryable
    exchange = FakeExchange(failures=(ccxt.BadSymbol("binance does not have market symbol FOO/USDT"),))
    src, clock = ccxt_source(exchange)
    with pytest.raises(SourceError, match="no such market on binance") as caught:
        src.fetch(BTC)
    assert not caught.value.retryable and clock.sleeps == [] and len(exchange.calls) == 1


def test_ccxt_empty_and_malformed_answers() -> None:
    src, _ = ccxt_source(FakeExchange(klines=[]))
    with pytest.raises(SourceError, match="returned no daily candles"):
        src.fetch(BTC)

    class Shifted(FakeExchange):
        def fetch_ohlcv(
            self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
        ) -> list:
            return [
                [row[0] + 3_600_000, *row[1:]] for row in super().fetch_ohlcv(symbol, timeframe, since, limit)
            ]

    src, _ = ccxt_source(Shifted())
    with pytest.raises(SourceError, match="is not a 00:00 UTC day start"):
        src.fetch(BTC)

    class Short(FakeExchange):
        def fetch_ohlcv(
            self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
        ) -> list:
            return [row[:5] for row in super().fetch_ohlcv(symbol, timeframe, since, limit)]

    src, _ = ccxt_source(Short())
    with pytest.raises(SourceError, match="malformed candle"):
        src.fetch(BTC)


def test_ccxt_supports_exchange_pairs_only() -> None:
    src = CcxtSource(FakeExchange())
    assert src.supports(BTC)
    assert not src.supports(CATALOG["USDT"])  # no ccxt symbol
    assert not src.supports(CATALOG["FUNDING"])  # a derivatives dataset, not a pair
    assert not src.supports(CATALOG["SPX"])


# ---------------------------------------------------------------- CoinGecko

# The live point of the recorded market_chart answer is 2024-04-01 15:01:22 UTC.
TAKEN = pd.Timestamp("2024-04-01 15:02", tz="UTC")
DEMO_KEY = "CG-demo0123456789abcdefgh"


def gecko(
    *answers: Answer, now: pd.Timestamp = TAKEN, **kwargs: Any
) -> tuple[CoinGeckoSource, Recorded, list[float]]:
    http, adapter, clock = fake_client("CoinGecko", *answers)
    return CoinGeckoSource(http=http, now=lambda: now, env={}, **kwargs), adapter, clock.sleeps


def ok(body: str) -> tuple[int, str, dict[str, str]]:
    return (200, body, {})


def test_market_chart_redates_midnight_snapshots_and_drops_the_live_point() -> None:
    src, adapter, _ = gecko(ok(fixture("coingecko/bitcoin_market_chart_daily.json")))
    frame = src.fetch(BTC)
    assert str(adapter.requests[0].url).startswith(
        "https://api.coingecko.com/api/v3/coins/bitcoin/market_chart?"
    )
    assert adapter.params() == {"vs_currency": "usd", "days": "365", "interval": "daily"}
    closes = field(frame, "close")
    # the 2024-03-31 00:00 UTC snapshot is the close of 2024-03-30; the 15:01 live price is dropped
    assert list(closes) == [f"2024-03-{d}" for d in range(25, 32)]
    assert closes["2024-03-30"] == 69702.3087473573
    assert closes["2024-03-31"] == 71246.9514406015
    assert field(frame, "market_cap")["2024-03-30"] == 1370247487960.09
    assert field(frame, "volume")["2024-03-31"] == 19723005998.215
    assert set(frame["field"]) == {"close", "market_cap", "volume"}


def test_market_chart_incremental_asks_only_the_needed_days() -> None:
    src, adapter, _ = gecko(ok(fixture("coingecko/bitcoin_market_chart_daily.json")))
    frame = src.fetch(BTC, since=date(2024, 3, 29))
    assert adapter.params()["days"] == "4"
    assert list(field(frame, "close")) == ["2024-03-29", "2024-03-30", "2024-03-31"]


def test_market_chart_older_than_the_free_window_is_refused_clearly() -> None:
    src, adapter, _ = gecko()
    with pytest.raises(SourceError, match=r"CoinGecko bitcoin: .*only the last 365 days"):
        src.fetch(BTC, since=date(2022, 1, 1))
    assert adapter.requests == []
    body = fixture("coingecko/error_365_days.json")  # what the API says when asked anyway
    src, _, _ = gecko((401, body, {}))
    with pytest.raises(HttpStatusError, match="limited to querying historical data within the past 365 days"):
        src.fetch(BTC)


def test_demo_key_goes_in_its_header_never_in_messages() -> None:
    src, adapter, _ = gecko((404, fixture("coingecko/error_coin_not_found.json"), {}), api_key=DEMO_KEY)
    with pytest.raises(HttpStatusError, match=r"CoinGecko bitcoin: HTTP 404 .*coin not found") as caught:
        src.fetch(BTC)
    assert adapter.requests[0].headers["x-cg-demo-api-key"] == DEMO_KEY
    assert DEMO_KEY not in str(caught.value)
    src, adapter, _ = gecko(ok(fixture("coingecko/bitcoin_market_chart_daily.json")))
    src.fetch(BTC)
    assert "x-cg-demo-api-key" not in adapter.requests[0].headers


def test_429_then_success_honours_retry_after() -> None:
    busy = (429, fixture("coingecko/error_429.json"), {"Retry-After": "60"})
    src, adapter, sleeps = gecko(busy, ok(fixture("coingecko/bitcoin_market_chart_daily.json")))
    assert len(field(src.fetch(BTC), "close")) == 7
    assert sleeps == [60.0] and len(adapter.requests) == 2


def test_rate_limit_in_a_200_body_is_a_rate_limit_error() -> None:
    src, _, _ = gecko(ok(fixture("coingecko/error_429.json")))
    with pytest.raises(RateLimitError, match="You've exceeded the Rate Limit"):
        src.fetch(BTC)


def test_server_errors_exhausted() -> None:
    src, adapter, _ = gecko(*[(500, "Internal Server Error", {})] * 4)
    with pytest.raises(SourceError, match=r"CoinGecko bitcoin: HTTP 500 .*gave up after 4 attempts"):
        src.fetch(BTC)
    assert len(adapter.requests) == 4


def test_timeouts_are_retried_then_reported() -> None:
    timeout = requests.exceptions.ConnectTimeout("connect timed out")
    src, adapter, sleeps = gecko(timeout, ok(fixture("coingecko/bitcoin_market_chart_daily.json")))
    assert len(field(src.fetch(BTC), "close")) == 7 and len(sleeps) == 1
    src, adapter, _ = gecko(*[requests.exceptions.ReadTimeout("read timed out")] * 4)
    with pytest.raises(
        SourceError, match=r"CoinGecko bitcoin: no answer within 30s .*gave up after 4"
    ) as caught:
        src.fetch(BTC)
    assert caught.value.retryable and len(adapter.requests) == 4


def test_malformed_market_chart_answers() -> None:
    cases = {
        '{"prices": [[1711411200000, 69875.6]], "market_caps": []}': "lacks the",
        "<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>": "an HTML page",
        '{"prices": [[1711411200000, 1.0]': "not valid JSON",
        '{"prices": [[1711411200000]], "market_caps": [], "total_volumes": []}': r"expected \[unix_ms",
        "": "empty response",
    }
    for body, message in cases.items():
        src, _, _ = gecko(ok(body))
        with pytest.raises(SourceError, match=message):
            src.fetch(BTC)
    src, _, _ = gecko(ok('{"prices": [], "market_caps": [], "total_volumes": []}'))
    with pytest.raises(SourceError, match="returned no prices"):
        src.fetch(BTC)


def test_unknown_market_cap_zero_is_missing() -> None:
    body = json.dumps(
        {
            "prices": [[1711411200000, 0.52], [1711497600000, 0.55]],
            "market_caps": [[1711411200000, 0], [1711497600000, 1.2e9]],
            "total_volumes": [[1711411200000, 3.1e7], [1711497600000, None]],
        }
    )
    src, _, _ = gecko(ok(body))
    frame = src.fetch(BTC)
    assert field(frame, "market_cap") == {"2024-03-26": 1.2e9}
    assert field(frame, "volume") == {"2024-03-25": 3.1e7}
    assert field(frame, "close") == {"2024-03-25": 0.52, "2024-03-26": 0.55}


def test_global_snapshot_soon_after_midnight_is_the_previous_close() -> None:
    # updated_at 2024-04-01 00:10:12 UTC
    src, adapter, _ = gecko(
        ok(fixture("coingecko/global.json")), now=pd.Timestamp("2024-04-01 00:11", tz="UTC")
    )
    frame = src.fetch(TOTAL)
    assert adapter.requests[0].url == "https://api.coingecko.com/api/v3/global"
    assert set(frame["date"]) == {pd.Timestamp("2024-03-31")}
    values = dict(zip(frame["field"], frame["value"], strict=True))
    assert values["value"] == 2837692766057.777
    assert values["btc_dominance_pct"] == 49.38414213 and values["eth_dominance_pct"] == 15.42484712
    assert values["btc_mcap"] == pytest.approx(1401370211582.37, rel=1e-7)
    assert values["total2"] == pytest.approx(2837692766057.777 - 1401370211582.37, rel=1e-7)
    assert values["total3"] == pytest.approx(values["total2"] - values["eth_mcap"], rel=1e-12)
    assert values["total_volume"] == 73560798261.0045


def test_global_snapshot_during_the_day_is_forming_and_dropped() -> None:
    doc = json.loads(fixture("coingecko/global.json"))
    doc["data"]["updated_at"] = int(pd.Timestamp("2024-04-01 13:00", tz="UTC").timestamp())
    src, _, _ = gecko(ok(json.dumps(doc)), now=pd.Timestamp("2024-04-01 13:01", tz="UTC"))
    assert src.fetch(TOTAL).empty


def test_global_missing_key_is_a_clear_error() -> None:
    doc = json.loads(fixture("coingecko/global.json"))
    del doc["data"]["market_cap_percentage"]
    src, _, _ = gecko(ok(json.dumps(doc)))
    with pytest.raises(
        SourceError, match="CoinGecko global: /global answer lacks or garbles 'market_cap_percentage'"
    ):
        src.fetch(TOTAL)


def test_coingecko_supports_coins_and_the_global_snapshot() -> None:
    src = CoinGeckoSource(env={})
    assert src.supports(BTC) and src.supports(CATALOG["USDT"]) and src.supports(TOTAL)
    assert not src.supports(CATALOG["WALCL"]) and not src.supports(CATALOG["IWM"])
