"""The liquidity-channel adapters against answers in each provider's documented format, errors included."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import ccxt
import pandas as pd
import pytest

from riskcurve.catalog import load_catalog
from riskcurve.data.sources.crypto import CcxtSampler, book_depth
from riskcurve.data.sources.defillama import DefiLlamaSource
from riskcurve.data.sources.feargreed import FearGreedSource
from riskcurve.data.sources.fiscal import FiscalDataSource
from riskcurve.data.sources.http import HttpStatusError
from riskcurve.data.sources.nyfed import NyFedSource
from riskcurve.data.store import Store
from riskcurve.data.update import live_sources
from riskcurve.errors import DataValidationError, RateLimitError, SourceError
from tests.data.http_fakes import Answer, Recorded, fake_client, fixture

CATALOG = load_catalog()
LATER = pd.Timestamp("2026-11-02 12:00", tz="UTC")


def ok(name: str) -> tuple[int, str, dict[str, str]]:
    return (200, fixture(name), {})


def values(frame: pd.DataFrame, field: str = "value", member: str = "") -> dict[str, float]:
    rows = frame[(frame["field"] == field) & (frame["member"] == member)]
    return {f"{d:%Y-%m-%d}": v for d, v in zip(rows["date"], rows["value"], strict=True)}


def fiscal(*answers: Answer, now: pd.Timestamp = LATER) -> tuple[FiscalDataSource, Recorded]:
    http, adapter, _ = fake_client("Fiscal Data", *answers)
    return FiscalDataSource(http=http, now=lambda: now), adapter


# ---------------------------------------------------------------- Fiscal Data (DTS)
def test_dts_tga_close_pages_and_reads_the_closing_row() -> None:
    source, adapter = fiscal(
        ok("fiscal/operating_cash_balance_page1.json"), ok("fiscal/operating_cash_balance_page2.json")
    )
    frame = source.fetch(CATALOG["TGA_DTS"], since=date(2025, 12, 30))
    # The real closes (fiscal/DTS_TGA_CLOSE.csv), from the "Closing Balance" row's open_today_bal.
    assert values(frame) == {"2025-12-30": 826406.0, "2025-12-31": 872853.0}
    assert [adapter.params(i)["page[number]"] for i in range(2)] == ["1", "2"]
    params = adapter.params(0)
    assert (
        params["filter"]
        == "account_type:in:(Treasury General Account (TGA) Closing Balance),record_date:gte:2025-12-30"
    )
    assert params["page[size]"] == "10000"
    assert str(adapter.requests[0].url).startswith(
        "https://api.fiscaldata.treasury.gov/services/api/fiscal_service/v1/accounting/dts/operating_cash_balance?"
    )


def test_dts_flows_are_deposits_minus_withdrawals() -> None:
    source, _ = fiscal(ok("fiscal/operating_cash_balance_page1.json"), ok("fiscal/operating_cash_balance_page2.json"))
    frame = source.fetch(CATALOG["TGA_DTS_FLOWS"])
    # The same days in fiscal/DTS_TGA_FLOWS_TOTAL.csv: net -32,596 and 46,441.
    assert values(frame) == {"2025-12-30": -32596.0, "2025-12-31": 46441.0}
    assert values(frame, "deposits")["2025-12-31"] == 276366.0


def test_dts_value_is_not_stored_before_the_next_business_day_afternoon() -> None:
    early = pd.Timestamp("2026-01-02 15:59", tz="America/New_York").tz_convert("UTC")
    source, _ = fiscal(
        ok("fiscal/operating_cash_balance_page1.json"), ok("fiscal/operating_cash_balance_page2.json"), now=early
    )
    assert list(values(source.fetch(CATALOG["TGA_DTS"]))) == ["2025-12-30"]


def test_tax_refunds_sum_the_individual_lines() -> None:
    source, adapter = fiscal(ok("fiscal/deposits_withdrawals_withdrawals.json"))
    frame = source.fetch(CATALOG["TAX_REFUNDS_DTS"])
    assert values(frame) == {"2026-04-14": 5431.0, "2026-04-15": 4410.0}  # EFT + checks; "null" is unknown
    assert adapter.params()["filter"] == "transaction_type:eq:Withdrawals"
    assert "/deposits_withdrawals_operating_cash?" in str(adapter.requests[0].url)


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        ((400, fixture("fiscal/error_bad_filter.json"), {}), HttpStatusError, "HTTP 400"),
        ((200, "{not json", {}), SourceError, "not valid JSON"),
        ((200, '{"error": "x", "message": "Invalid query"}', {}), SourceError, "Invalid query"),
        (ok("fiscal/empty.json"), SourceError, "no rows"),
        (ok("fiscal/operating_cash_balance_in_dollars.json"), DataValidationError, "plausible range"),
    ],
)
def test_fiscal_errors(answer: Answer, error: type[Exception], words: str) -> None:
    source, _ = fiscal(answer)
    with pytest.raises(error, match=words):
        source.fetch(CATALOG["TGA_DTS"])


# ---------------------------------------------------------------- NY Fed
def nyfed(*answers: Answer) -> tuple[NyFedSource, Recorded]:
    http, adapter, _ = fake_client("NY Fed", *answers)
    return NyFedSource(http=http, now=lambda: LATER), adapter


def test_bill_purchases_by_settlement_date_in_billions() -> None:
    source, adapter = nyfed(ok("nyfed/tsy_results_details.json"))
    frame = source.fetch(CATALOG["FED_BILL_PURCHASES"], since=date(2026, 8, 1))
    # The offline file's last two rows: 4.243 bn settled 08-19 and 08-21 (the coupon purchase is left out).
    assert values(frame) == {"2026-08-19": 4.243, "2026-08-21": 4.243}
    assert values(frame, "operations") == {"2026-08-19": 1.0, "2026-08-21": 1.0}
    assert adapter.params() == {"startDate": "2026-08-01", "endDate": "2026-11-02"}
    assert str(adapter.requests[0].url).startswith(
        "https://markets.newyorkfed.org/api/tsy/all/results/details/search.json"
    )


def test_operations_by_id_and_trade_date() -> None:
    source, _ = nyfed(ok("nyfed/tsy_results_details.json"))
    frame = source.fetch(CATALOG["FED_TSY_OPS"])
    assert values(frame, "accepted", "OR 081826 26") == {"2026-08-18": 2.0}
    assert values(frame, "submitted", "OR 082026 25") == {"2026-08-20": pytest.approx(28.333)}


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        ((503, "<html><title>Service Unavailable</title></html>", {}), SourceError, "HTTP 503"),
        ((200, '{"treasury": {}}', {}), SourceError, "lacks treasury.auctions"),
        (ok("nyfed/tsy_results_garbled.json"), SourceError, "OR 081826 25"),
        (ok("nyfed/tsy_results_empty.json"), SourceError, "no operations"),
    ],
)
def test_nyfed_errors(answer: Answer, error: type[Exception], words: str) -> None:
    answers = [answer] * 4 if answer[0] == 503 else [answer]  # 5xx is retried
    source, _ = nyfed(*answers)
    with pytest.raises(error, match=words):
        source.fetch(CATALOG["FED_BILL_PURCHASES"])


# ---------------------------------------------------------------- DefiLlama
def defillama(*answers: Answer) -> tuple[DefiLlamaSource, Recorded]:
    http, adapter, _ = fake_client("DefiLlama", *answers)
    now = pd.Timestamp("2026-08-22 12:00", tz="UTC")  # the 08-22 point is still forming
    return DefiLlamaSource(http=http, now=lambda: now), adapter


def test_stablecoin_supply_per_coin_keeps_complete_days() -> None:
    source, adapter = defillama(ok("defillama/stablecoin_1.json"))
    frame = source.fetch(CATALOG["USDT_SUPPLY"])
    assert values(frame) == {"2026-08-20": 182.9e9, "2026-08-21": 183.0e9}
    assert values(frame, "defillama") == values(frame)
    assert str(adapter.requests[0].url) == "https://stablecoins.llama.fi/stablecoin/1"


def test_total_stablecoin_supply() -> None:
    source, adapter = defillama(ok("defillama/stablecoincharts_all.json"))
    frame = source.fetch(CATALOG["STABLECOINS_TOTAL"])
    assert values(frame) == {"2026-08-20": 306.49e9, "2026-08-21": 307.19e9}
    assert set(frame["field"]) == {"value"}
    assert str(adapter.requests[0].url) == "https://stablecoins.llama.fi/stablecoincharts/all"


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (ok("defillama/error_not_found.json"), "stablecoin not found"),
        ((200, '{"tokens": [{"date": 1787184000, "circulating": {}}]}', {}), "peggedUSD"),
        ((200, '{"tokens": [{"date": 1787184001, "circulating": {"peggedUSD": 1e11}}]}', {}), "not a 00:00 UTC"),
        ((200, '{"tokens": []}', {}), "no supply points"),
        ((200, "[1, 2", {}), "not valid JSON"),
    ],
)
def test_defillama_errors(answer: Answer, words: str) -> None:
    source, _ = defillama(answer)
    with pytest.raises(SourceError, match=words):
        source.fetch(CATALOG["USDT_SUPPLY"])


def test_defillama_unit_change_is_refused(tmp_path: Path) -> None:
    """Supply in millions instead of dollars: the store refuses it against the history it holds."""
    spec = CATALOG["USDT_SUPPLY"]
    history = pd.DataFrame(
        {
            "date": pd.date_range("2026-07-20", periods=30, freq="D").astype("datetime64[ns]"),
            "member": "",
            "field": "value",
            "value": 182.0e9,
            "realtime_start": pd.Series(pd.NaT, index=range(30), dtype="datetime64[ns, UTC]"),
        }
    )
    body = '{"tokens": [{"date": 1787184000, "circulating": {"peggedUSD": 182900}}]}'
    source, _ = defillama((200, body, {}))
    with Store(tmp_path / "s.duckdb") as store:
        store.apply([(spec, "csvdir", history)])
        report = store.apply([(spec, "defillama", source.fetch(spec, since=date(2026, 8, 20)))])
        assert [r.status for r in report.results] == ["failed"]
        assert "a unit change" in str(report.results[0].message)
        assert store.as_of(["USDT_SUPPLY"])["value"].min() == 182.0e9  # nothing was stored


# ---------------------------------------------------------------- alternative.me
def fng(*answers: Answer) -> tuple[FearGreedSource, Recorded]:
    http, adapter, _ = fake_client("alternative.me", *answers)
    now = pd.Timestamp("2026-08-21 12:00", tz="UTC")
    return FearGreedSource(http=http, now=lambda: now), adapter


def test_fear_greed_history() -> None:
    source, adapter = fng(ok("alternative_me/fng.json"))
    frame = source.fetch(CATALOG["FEAR_GREED"])
    # The same values as crypto/market/FEAR_GREED.csv on these days.
    assert values(frame) == {"2026-08-19": 46.0, "2026-08-20": 62.0, "2026-08-21": 72.0}
    assert adapter.params() == {"limit": "0", "format": "json"}
    source, adapter = fng(ok("alternative_me/fng.json"))
    source.fetch(CATALOG["FEAR_GREED"], since=date(2026, 8, 19))
    assert adapter.params()["limit"] == "4"


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (ok("alternative_me/error.json"), SourceError, "Limit must be an integer"),
        ((429, "Too Many Requests", {"Retry-After": "1"}), RateLimitError, "HTTP 429"),
        ((200, '{"data": [{"value": "x", "timestamp": "1787184000"}]}', {}), SourceError, "garbles"),
        ((200, '{"data": []}', {}), SourceError, "no index values"),
        ((200, '{"data": [{"value": "4200", "timestamp": "1787184000"}]}', {}), DataValidationError, "plausible"),
    ],
)
def test_fear_greed_errors(answer: Answer, error: type[Exception], words: str) -> None:
    answers = [answer] * 4 if answer[0] == 429 else [answer]
    source, _ = fng(*answers)
    with pytest.raises(error, match=words):
        source.fetch(CATALOG["FEAR_GREED"])


# ---------------------------------------------------------------- ccxt sampler
class FakeExchange:
    """Answers like ccxt's unified methods (order book, funding history, open-interest history)."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((method, args, kwargs))
            answer = self.answers[method]
            if isinstance(answer, BaseException):
                raise answer
            return answer(*args) if callable(answer) else answer

        return call


def ladder(start: float, step: float, n: int, amount: float) -> list[list[float]]:
    return [[start + i * step, amount] for i in range(n)]


def test_book_depth_known_answer() -> None:
    # mid 100; bids 99.9, 99.8, ... and asks 100.1, 100.2, ... of 1 coin each.
    bids, asks = ladder(99.9, -0.1, 40, 1.0), ladder(100.1, 0.1, 40, 1.0)
    depth = book_depth(bids, asks)
    assert depth["mid"] == pytest.approx(100.0)
    # Within 1 %: bids 99.0..99.9 (10 levels), asks 100.1..101.0 (10 levels).
    assert depth["bid_1pct"] == pytest.approx(sum(99.9 - 0.1 * i for i in range(10)))
    assert depth["value"] == pytest.approx(depth["bid_1pct"] + depth["ask_1pct"])
    assert depth["depth_2pct"] == pytest.approx(
        sum(99.9 - 0.1 * i for i in range(20)) + sum(100.1 + 0.1 * i for i in range(20))
    )


def test_book_depth_is_unknown_past_the_snapshot() -> None:
    depth = book_depth(ladder(99.9, -0.1, 15, 1.0), ladder(100.1, 0.1, 40, 1.0))
    assert "value" in depth and "depth_2pct" not in depth and "bid_2pct" not in depth
    with pytest.raises(ValueError, match="crossed"):
        book_depth([[101.0, 1.0]], [[100.0, 1.0]])


def test_order_book_sample_is_stamped_when_taken() -> None:
    now = pd.Timestamp("2026-12-02 12:34", tz="UTC")
    book = {"bids": ladder(99.9, -0.1, 40, 2.0), "asks": ladder(100.1, 0.1, 40, 2.0), "timestamp": None}
    exchange = FakeExchange(fetch_order_book=book)
    frame = CcxtSampler({"binance": exchange}, now=lambda: now).fetch(CATALOG["BOOK_DEPTH_BTC"])
    assert set(frame["date"]) == {pd.Timestamp("2026-12-02")}
    assert set(frame["realtime_start"]) == {now}
    assert values(frame)["2026-12-02"] == pytest.approx(
        2 * sum(99.9 - 0.1 * i for i in range(10)) + 2 * sum(100.1 + 0.1 * i for i in range(10))
    )
    assert exchange.calls[0][1] == ("BTC/USDT",)


def test_funding_history_becomes_daily_percent_per_8h() -> None:
    now = pd.Timestamp("2026-12-02 12:00", tz="UTC")
    day = int(pd.Timestamp("2026-12-01").value // 1_000_000)
    hours = [0, 8, 16, 24 + 0, 24 + 8]  # today's settlements belong to a day still forming
    rows = [
        {"timestamp": day + h * 3_600_000, "fundingRate": r}
        for h, r in zip(hours, [1e-4, 2e-4, -5e-5, 1e-4, 1e-4], strict=True)
    ]
    exchange = FakeExchange(fetch_funding_rate_history=rows)
    frame = CcxtSampler({"binancecoinm": exchange}, now=lambda: now).fetch(CATALOG["FUNDING"], since=date(2026, 12, 1))
    assert values(frame, "close", "BTC") == {"2026-12-01": pytest.approx(-0.005)}
    assert values(frame, "high", "ETH") == {"2026-12-01": pytest.approx(0.02)}
    assert [c[1][0] for c in exchange.calls] == ["BTC/USD:BTC", "ETH/USD:ETH"]


def test_open_interest_in_usd_dated_the_day_it_closes() -> None:
    now = pd.Timestamp("2026-12-02 12:00", tz="UTC")
    midnight = int(pd.Timestamp("2026-12-02").value // 1_000_000)
    rows = [{"timestamp": midnight, "openInterestAmount": 5_000_000.0, "openInterestValue": 52.0}]
    exchange = FakeExchange(fetch_open_interest_history=rows)
    frame = CcxtSampler({"binancecoinm": exchange}, now=lambda: now).fetch(CATALOG["OI_BINANCE_COINM"])
    assert values(frame, "close", "BTC") == {"2026-12-01": 5e8}  # 100 USD contracts
    assert values(frame, "close", "ETH") == {"2026-12-01": 5e7}  # 10 USD contracts


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (ccxt.RateLimitExceeded("binance 429"), RateLimitError, "rate limited"),
        (ccxt.RequestTimeout("timed out"), SourceError, "RequestTimeout"),
        (ccxt.BadSymbol("binance does not have market symbol"), SourceError, "BadSymbol"),
        ({"bids": [], "asks": [[1.0, 1.0]]}, SourceError, "empty"),
        ({"bids": [["x", 1.0]], "asks": [[1.0, 1.0]]}, SourceError, "garbles"),
    ],
)
def test_sampler_errors(answer: Any, error: type[Exception], words: str) -> None:
    sampler = CcxtSampler({"binance": FakeExchange(fetch_order_book=answer)})
    with pytest.raises(error, match=words):
        sampler.fetch(CATALOG["BOOK_DEPTH_ETH"])


def test_every_new_live_series_has_a_live_source() -> None:
    sources = live_sources()
    for series_id in (
        "WSHOBL",
        "WDTGAL",
        "MORTGAGE30US",
        "WRESBAL",
        "TGA_DTS",
        "TGA_DTS_FLOWS",
        "TAX_REFUNDS_DTS",
        "FED_BILL_PURCHASES",
        "FED_TSY_OPS",
        "USDT_SUPPLY",
        "USDC_SUPPLY",
        "STABLECOINS_TOTAL",
        "FEAR_GREED",
        "BOOK_DEPTH_BTC",
        "BOOK_DEPTH_ETH",
        "FUNDING",
        "OI_BINANCE_COINM",
    ):
        assert [s.name for s in sources if s.supports(CATALOG[series_id])], series_id
    etf = [s.name for s in sources if s.supports(CATALOG["BTC_ETF_FLOWS"])]
    assert etf == []  # no keyless documented API: CSV only
