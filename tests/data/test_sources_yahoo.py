"""YahooSource against frames in the exact shape ``yf.download(..., auto_adjust=False)`` returns."""

from __future__ import annotations

import io
import logging
import random
from datetime import date
from typing import Any

import pandas as pd
import pytest
from yfinance.exceptions import YFRateLimitError

from riskcurve.catalog import SeriesSpec, load_catalog
from riskcurve.data.sources import yahoo
from riskcurve.data.sources.http import RetryPolicy
from riskcurve.data.sources.yahoo import YahooSource, yfinance_download
from riskcurve.errors import RateLimitError, SourceError
from tests.data.http_fakes import FakeTime, fixture

CATALOG = load_catalog()
IWM: SeriesSpec = CATALOG["IWM"]
# Friday 2024-01-12, 10:00 New York: that session is still trading.
DURING_SESSION = pd.Timestamp("2024-01-12 15:00", tz="UTC")
AFTER = pd.Timestamp("2024-01-16 12:00", tz="UTC")


def download_frame() -> pd.DataFrame:
    """The recorded IWM download: columns MultiIndex (Price, Ticker), naive DatetimeIndex named Date."""
    frame = pd.read_csv(
        io.StringIO(fixture("yahoo/IWM_download.csv")), header=[0, 1], index_col=0, parse_dates=True
    )
    frame.index = pd.DatetimeIndex(frame.index).astype("datetime64[ns]")
    frame.index.name = "Date"
    return frame


def yahoo_empty() -> pd.DataFrame:
    """What yf.download returns when every ticker failed (yfinance.utils.empty_df, concatenated)."""
    from yfinance import utils

    empty = utils.empty_df()
    data = pd.concat({"IWM": empty}, axis=1, names=["Ticker", "Price"]).swaplevel(0, 1, axis=1)
    return data.sort_index(level=0, axis=1)


class Downloads:
    """An injected downloader replaying results (frames or exceptions) and recording its calls."""

    def __init__(self, *results: pd.DataFrame | BaseException) -> None:
        self.results = list(results)
        self.calls: list[tuple[str, date | None]] = []

    def __call__(self, symbol: str, start: date | None) -> pd.DataFrame:
        self.calls.append((symbol, start))
        result = self.results.pop(0)
        if isinstance(result, BaseException):
            raise result
        return result


def source(
    *results: pd.DataFrame | BaseException, now: pd.Timestamp = AFTER, **kwargs: Any
) -> tuple[YahooSource, Downloads, FakeTime]:
    downloads = Downloads(*results)
    clock = FakeTime()
    src = YahooSource(download=downloads, sleep=clock.sleep, now=lambda: now, rng=random.Random(3), **kwargs)
    return src, downloads, clock


def field(frame: pd.DataFrame, name: str) -> dict[str, float]:
    part = frame[frame["field"] == name]
    return {f"{d:%Y-%m-%d}": v for d, v in zip(part["date"], part["value"], strict=True)}


def test_download_parses_unadjusted_ohlcv() -> None:
    src, downloads, _ = source(download_frame())
    frame = src.fetch(IWM)
    assert downloads.calls == [("IWM", None)]
    assert set(frame["field"]) == {"open", "high", "low", "close", "volume"}  # no Adj Close
    assert field(frame, "close")["2024-01-02"] == 199.52  # Close, not Adj Close (197.1497)
    assert field(frame, "open")["2024-01-03"] == 197.40
    assert field(frame, "high")["2024-01-08"] == 196.97
    assert field(frame, "low")["2024-01-11"] == 191.30
    assert field(frame, "volume")["2024-01-12"] == 42992100.0
    assert list(field(frame, "close")) == [
        "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08",
        "2024-01-09", "2024-01-10", "2024-01-11", "2024-01-12",
    ]  # fmt: skip
    assert frame["date"].dtype == "datetime64[ns]" and frame["realtime_start"].isna().all()
    assert len(frame) == 9 * 5


def test_session_still_trading_is_dropped() -> None:
    src, _, _ = source(download_frame(), now=DURING_SESSION)
    frame = src.fetch(IWM)
    assert max(field(frame, "close")) == "2024-01-11"


def test_incremental_since_is_passed_and_honoured() -> None:
    src, downloads, _ = source(download_frame())
    frame = src.fetch(IWM, since=date(2024, 1, 10))
    assert downloads.calls == [("IWM", date(2024, 1, 10))]
    assert list(field(frame, "close")) == ["2024-01-10", "2024-01-11", "2024-01-12"]


def test_flat_columns_are_accepted() -> None:
    flat = download_frame().droplevel("Ticker", axis=1)  # yf.download(..., multi_level_index=False)
    src, _, _ = source(flat)
    assert field(src.fetch(IWM), "close")["2024-01-05"] == 193.25


def test_rate_limit_then_success_backs_off() -> None:
    src, downloads, clock = source(YFRateLimitError(), YFRateLimitError(), download_frame())
    assert len(src.fetch(IWM)) == 45
    assert len(downloads.calls) == 3
    # default policy: 5 s doubling, jittered into [d/2, d]
    assert 2.5 <= clock.sleeps[0] <= 5.0 and 5.0 <= clock.sleeps[1] <= 10.0


def test_rate_limit_exhausted_is_a_rate_limit_error() -> None:
    src, downloads, _ = source(*[YFRateLimitError()] * 2, retry=RetryPolicy(attempts=2))
    with pytest.raises(RateLimitError, match=r"yahoo IWM: rate limited .*gave up after 2 attempts"):
        src.fetch(IWM)
    assert len(downloads.calls) == 2


def test_empty_download_is_an_error_with_yfinance_reason() -> None:
    empty = yahoo_empty()
    empty.attrs["errors"] = [
        "1 Failed download:",
        "['IWM']: possibly delisted; no price data found (1d period=max)",
    ]
    src, _, _ = source(empty)
    with pytest.raises(SourceError, match=r"yahoo IWM: empty download \(\['IWM'\]: possibly delisted"):
        src.fetch(IWM)


def test_empty_recent_window_means_nothing_new() -> None:
    empty = yahoo_empty()
    empty.attrs["errors"] = ["['IWM']: possibly delisted; no price data found (1d 2024-01-13 -> 2024-01-15)"]
    src, _, _ = source(empty)
    assert src.fetch(IWM, since=date(2024, 1, 13)).empty


def test_missing_column_is_a_clear_error() -> None:
    src, _, _ = source(download_frame().drop(columns="Volume", level="Price"))
    with pytest.raises(SourceError, match=r"yahoo IWM: download lacks columns \['Volume'\]"):
        src.fetch(IWM)


def test_other_failures_become_source_errors() -> None:
    src, _, _ = source(ValueError("Expecting value: line 1 column 1 (char 0)"))
    with pytest.raises(SourceError, match="yahoo IWM: download failed: ValueError: Expecting value"):
        src.fetch(IWM)


def test_supports_needs_ohlcv_and_a_yahoo_symbol() -> None:
    src = YahooSource()
    assert src.supports(IWM) and src.supports(CATALOG["BTC"])
    assert not src.supports(CATALOG["WALCL"])


def test_default_downloader_calls_yfinance_unadjusted_and_surfaces_logged_rate_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """yf.download swallows per-ticker errors and only logs them; the rate limit must not vanish."""
    import yfinance

    calls: list[dict[str, Any]] = []

    def limited(tickers: str, **kwargs: Any) -> pd.DataFrame:
        calls.append({"tickers": tickers, **kwargs})
        logger = logging.getLogger("yfinance")
        logger.error("\n1 Failed download:")
        logger.error("['IWM']: YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')")
        return yahoo_empty()

    monkeypatch.setattr(yfinance, "download", limited)
    with pytest.raises(YFRateLimitError):
        yfinance_download("IWM", None)
    assert calls[0]["tickers"] == "IWM" and calls[0]["period"] == "max" and "start" not in calls[0]
    assert calls[0]["auto_adjust"] is False and calls[0]["actions"] is False and calls[0]["interval"] == "1d"

    def fine(tickers: str, **kwargs: Any) -> pd.DataFrame:
        calls.append({"tickers": tickers, **kwargs})
        return download_frame()

    monkeypatch.setattr(yfinance, "download", fine)
    frame = yfinance_download("IWM", date(2024, 1, 2))
    assert calls[-1]["start"] == "2024-01-02" and "period" not in calls[-1]
    assert frame.attrs["errors"] == []
    assert yahoo.YahooSource(download=lambda s, d: frame, now=lambda: AFTER).fetch(IWM).shape == (45, 5)
