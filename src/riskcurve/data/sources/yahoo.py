"""Yahoo Finance adapter through yfinance: daily OHLCV of indices, ETFs and (as a fallback) coins.

Prices are unadjusted (``auto_adjust=False``): Close is the traded close, not Adj Close, so the store
keeps what was printed; adjusting is a panel decision. Dates are Yahoo's session dates (UTC days for
coins). yfinance's ``download`` logs failures instead of raising them; the default downloader turns a
logged rate limit back into ``YFRateLimitError`` so it can be retried with backoff.
"""

from __future__ import annotations

import logging
import random
import time
import warnings
from collections.abc import Callable
from datetime import date
from typing import ClassVar

import pandas as pd

from riskcurve.catalog import SeriesSpec
from riskcurve.data.sources.base import Source, long_from_wide
from riskcurve.data.sources.http import Clock, RetryPolicy, finish, utc_now
from riskcurve.errors import RateLimitError, SourceError

# yfinance column -> stored field; Adj Close is deliberately not stored.
YAHOO_FIELDS: dict[str, str] = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Volume": "volume",
}

Downloader = Callable[[str, date | None], pd.DataFrame]


class _Collect(logging.Handler):
    """Keeps the messages yfinance logs while one download runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def yfinance_download(symbol: str, start: date | None) -> pd.DataFrame:
    """``yf.download`` of one ticker, daily, unadjusted, no actions; full history when ``start`` is None.

    yfinance catches per-ticker errors and only logs them, returning an empty frame; a logged rate limit
    is raised again as ``YFRateLimitError``, other logged reasons travel in ``frame.attrs["errors"]``.
    """
    import yfinance as yf
    from yfinance.exceptions import YFRateLimitError

    collect = _Collect()
    logger = logging.getLogger("yfinance")
    logger.addHandler(collect)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="yfinance")  # pandas-3 noise
            frame = yf.download(
                symbol,
                **({"period": "max"} if start is None else {"start": start.isoformat()}),
                interval="1d",
                auto_adjust=False,
                actions=False,
                progress=False,
                threads=False,
                multi_level_index=True,
            )
    finally:
        logger.removeHandler(collect)
    if any("YFRateLimitError" in m or "Rate limited" in m for m in collect.messages):
        raise YFRateLimitError()
    frame = frame if frame is not None else pd.DataFrame()
    frame.attrs["errors"] = [m.strip() for m in collect.messages if m.strip()]
    return frame


def _single_ticker(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """The Price columns of ``symbol`` from yfinance's (Price, Ticker) MultiIndex (or flat) columns."""
    if not isinstance(frame.columns, pd.MultiIndex):
        return frame
    names = list(frame.columns.names)
    level = names.index("Ticker") if "Ticker" in names else frame.columns.nlevels - 1
    tickers = list(dict.fromkeys(frame.columns.get_level_values(level)))
    wanted = symbol.upper()
    if wanted not in tickers:
        if len(tickers) != 1:
            raise SourceError(f"yahoo {symbol}: ticker missing from the download (got {tickers})")
        wanted = tickers[0]
    return pd.DataFrame(frame.xs(wanted, axis=1, level=level))


class YahooSource(Source):
    """OHLCV by Yahoo ticker (catalog symbol ``yahoo``), fields open/high/low/close/volume."""

    name: ClassVar[str] = "yahoo"

    def __init__(
        self,
        *,
        download: Downloader = yfinance_download,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Clock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self._download = download
        self.retry = retry if retry is not None else RetryPolicy(base_delay=5.0)
        self._sleep = sleep
        self._now = now
        self._rng = rng if rng is not None else random.Random()

    def supports(self, spec: SeriesSpec) -> bool:
        return spec.kind == "ohlcv" and bool(spec.symbols.get("yahoo"))

    def hosts(self) -> tuple[str, ...]:
        return ("query2.finance.yahoo.com",)

    def fetch(self, spec: SeriesSpec, since: date | None = None) -> pd.DataFrame:
        symbol = spec.symbols.get("yahoo")
        if not symbol:
            raise SourceError(f"yahoo: series {spec.id} has no 'yahoo' symbol in the catalog")
        raw = self._download_with_backoff(symbol, since)
        frame = self._transform(raw, symbol, since)
        return finish(frame, spec, since=since, now=self._now(), origin=f"yahoo:{symbol}")

    def _download_with_backoff(self, symbol: str, since: date | None) -> pd.DataFrame:
        from yfinance.exceptions import YFRateLimitError


        def attempt() -> pd.DataFrame:
            try:
                return self._download(symbol, since)
            except YFRateLimitError:
                raise RateLimitError(f"yahoo {symbol}: rate limited (YFRateLimitError)") from None
            except SourceError:
                raise
            except Exception as exc:  # yfinance raises assorted types (JSON, HTTP, its own)
                raise SourceError(f"yahoo {symbol}: download failed: {type(exc).__name__}: {exc}") from exc

        return self.retry.call(attempt, sleep=self._sleep, rng=self._rng)

    def _transform(self, raw: pd.DataFrame, symbol: str, since: date | None) -> pd.DataFrame:
        wide = _single_ticker(raw, symbol)
        missing = [c for c in YAHOO_FIELDS if c not in wide.columns]
        if missing and not wide.empty:
            raise SourceError(f"yahoo {symbol}: download lacks columns {missing} (got {list(wide.columns)})")
        present = [c for c in YAHOO_FIELDS if c in wide.columns]
        if present:
            wide = wide.dropna(how="all", subset=present)
        if wide.empty:
            reasons = [m.strip() for m in raw.attrs.get("errors", []) if "Failed download" not in m]
            if since is not None and all("no price data found" in r for r in reasons):
                return long_from_wide(wide, YAHOO_FIELDS)  # a quiet window: nothing new yet
            raise SourceError(f"yahoo {symbol}: empty download ({'; '.join(reasons) or 'no rows'})")
        if not isinstance(wide.index, pd.DatetimeIndex):
            kind = type(wide.index).__name__
            raise SourceError(f"yahoo {symbol}: download is not indexed by date (got {kind})")
        index = wide.index.tz_localize(None) if wide.index.tz is not None else wide.index
        wide = wide.set_axis(index.normalize().astype("datetime64[ns]"), axis=0)
        return long_from_wide(wide, YAHOO_FIELDS)
