"""The shared HTTP client: retries, Retry-After, rate limiting, clear and key-free error messages."""

from __future__ import annotations

from datetime import date
from email.utils import format_datetime
from typing import Any

import pandas as pd
import pytest
import requests

from riskcurve.catalog import ReleaseRule, SeriesSpec
from riskcurve.data.sources.http import (
    HttpClient,
    HttpStatusError,
    RetryPolicy,
    finish,
    redact,
    response_detail,
)
from riskcurve.errors import RateLimitError, SourceError
from tests.data.http_fakes import Answer, FakeTime, Recorded, Reply, fake_client


def client(*answers: Answer, **kwargs: Any) -> tuple[HttpClient, Recorded, FakeTime]:
    return fake_client("FRED", *answers, **kwargs)


URL = "https://api.stlouisfed.org/fred/series/observations"
PARAMS = {"series_id": "WALCL", "api_key": "abcdef0123456789abcdef0123456789", "file_type": "json"}


def test_success_passes_params_and_timeout() -> None:
    http, adapter, clock = client((200, '{"observations": []}', {}), timeout=12.5)
    response = http.get(URL, series="WALCL", params={"series_id": "WALCL"})
    assert response.json() == {"observations": []}
    assert adapter.requests[0].url == f"{URL}?series_id=WALCL"
    assert adapter.timeouts == [12.5]
    assert clock.sleeps == []


def test_429_then_success_waits_for_retry_after() -> None:
    http, adapter, clock = client(
        (429, '{"error_code":429,"error_message":"Too Many Requests."}', {"Retry-After": "17"}),
        (200, "ok", {}),
    )
    assert http.get(URL, series="WALCL").text == "ok"
    assert clock.sleeps == [17.0]
    assert len(adapter.requests) == 2


def test_retry_after_as_http_date_in_the_past_means_no_wait() -> None:
    past = format_datetime(pd.Timestamp("2000-01-01", tz="UTC").to_pydatetime(), usegmt=True)
    http, _, clock = client((503, "busy", {"Retry-After": past}), (200, "ok", {}))
    assert http.get(URL, series="WALCL").text == "ok"
    assert clock.sleeps == [0.0]


def test_429_exhausted_is_a_rate_limit_error_naming_provider_and_series() -> None:
    busy: Reply = (429, '{"error_code":429,"error_message":"Too Many Requests."}', {})
    http, adapter, clock = client(busy, busy, busy, retry=RetryPolicy(attempts=3, base_delay=2.0))
    with pytest.raises(RateLimitError) as caught:
        http.get(URL, series="WALCL")
    message = str(caught.value)
    assert "FRED WALCL" in message and "HTTP 429" in message and "Too Many Requests." in message
    assert "gave up after 3 attempts" in message
    assert caught.value.retryable
    assert len(adapter.requests) == 3
    # exponential backoff with jitter: retry k waits within [d/2, d] for d = 2 * 2**k
    assert len(clock.sleeps) == 2
    assert 1.0 <= clock.sleeps[0] <= 2.0 and 2.0 <= clock.sleeps[1] <= 4.0


def test_retry_after_beyond_the_cap_fails_at_once() -> None:
    http, adapter, clock = client((429, "slow down", {"Retry-After": "3600"}))
    with pytest.raises(RateLimitError, match="asks to wait 3600s"):
        http.get(URL, series="WALCL")
    assert clock.sleeps == [] and len(adapter.requests) == 1


def test_5xx_exhausted_is_retryable_source_error_with_status() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    http, adapter, _ = client(*[(502, page, {})] * 4)
    with pytest.raises(SourceError) as caught:
        http.get(URL, series="WALCL", params=PARAMS)
    error = caught.value
    assert isinstance(error, HttpStatusError) and error.status == 502 and error.retryable
    assert "FRED WALCL: HTTP 502" in str(error)
    assert "an HTML page (502 Bad Gateway)" in str(error)
    assert "gave up after 4 attempts" in str(error)
    assert len(adapter.requests) == 4


def test_5xx_then_success() -> None:
    http, _, clock = client((500, "oops", {}), (200, "ok", {}))
    assert http.get(URL, series="WALCL").text == "ok"
    assert len(clock.sleeps) == 1


def test_timeout_retried_then_reported() -> None:
    timeout = requests.exceptions.ReadTimeout("read timed out")
    http, adapter, _ = client(timeout, timeout, retry=RetryPolicy(attempts=2), timeout=5)
    with pytest.raises(SourceError) as caught:
        http.get(URL, series="WALCL", params=PARAMS)
    assert caught.value.retryable
    assert "FRED WALCL: no answer within 5s" in str(caught.value)
    assert len(adapter.requests) == 2


def test_connection_error_then_success() -> None:
    http, _, clock = client(requests.exceptions.ConnectionError("connection reset"), (200, "ok", {}))
    assert http.get(URL, series="WALCL").text == "ok"
    assert len(clock.sleeps) == 1


def test_4xx_is_final_and_keeps_status_and_provider_detail() -> None:
    body = '{"error_code":400,"error_message":"Bad Request.  The series does not exist."}'
    http, adapter, clock = client((400, body, {}))
    with pytest.raises(HttpStatusError) as caught:
        http.get(URL, series="NOPE", params=PARAMS)
    error = caught.value
    assert error.status == 400 and not error.retryable
    assert error.detail == "Bad Request.  The series does not exist."
    assert str(error).startswith(
        "FRED NOPE: HTTP 400 from https://api.stlouisfed.org/fred/series/observations?"
    )
    assert len(adapter.requests) == 1 and clock.sleeps == []


def test_api_key_never_appears_in_messages() -> None:
    key = PARAMS["api_key"]
    body = f'{{"error_code":400,"error_message":"Bad Request.  Echo api_key={key} back"}}'
    http, _, _ = client((400, body, {}))
    with pytest.raises(SourceError) as caught:
        http.get(URL, series="WALCL", params=PARAMS)
    assert key not in str(caught.value)
    assert "api_key=REDACTED" in str(caught.value)

    http, _, _ = client(
        requests.exceptions.ConnectionError(f"Max retries exceeded with url: /x?api_key={key}")
    )
    http.retry = RetryPolicy(attempts=1)
    with pytest.raises(SourceError) as caught:
        http.get(URL, series="WALCL", params=PARAMS)
    assert key not in str(caught.value)


def test_minimum_interval_between_requests() -> None:
    http, _, clock = client((200, "a", {}), (200, "b", {}), min_interval=0.5)
    http.get(URL, series="WALCL")
    http.get(URL, series="WALCL")
    assert clock.sleeps == [0.5]


def test_redact_covers_key_styles() -> None:
    assert (
        redact("https://x/y?series_id=A&api_key=secret&b=1") == "https://x/y?series_id=A&api_key=REDACTED&b=1"
    )
    assert redact("https://x/y?x_cg_demo_api_key=secret") == "https://x/y?x_cg_demo_api_key=REDACTED"


def test_response_detail_shortens_plain_text_but_the_error_keeps_it_whole() -> None:
    assert response_detail("a\n  b " + "c" * 400).startswith("a b ccc")
    assert response_detail("c" * 400).endswith("...")
    long = "Bad Request. " + "x" * 400 + " the phrase an adapter looks for"
    http, _, _ = client((400, f'{{"error_code":400,"error_message":"{long}"}}', {}))
    with pytest.raises(HttpStatusError) as caught:
        http.get(URL, series="WALCL")
    assert caught.value.detail == long
    assert str(caught.value).endswith("...")


SPEC = SeriesSpec(
    id="X",
    name="x",
    asset_class="crypto",
    kind="ohlcv",
    units="usd",
    frequency="daily",
    calendar="crypto_utc",
    release=ReleaseRule(days=1),
)


def test_finish_drops_incomplete_periods_and_rows_before_since() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]).astype("datetime64[ns]"),
            "member": "",
            "field": "close",
            "value": [1.0, 2.0, 3.0],
            "realtime_start": pd.Series([pd.NaT] * 3, dtype="datetime64[ns, UTC]"),
        }
    )
    now = pd.Timestamp("2024-01-03 12:00", tz="UTC")  # the 2024-01-03 candle is still forming
    out = finish(frame, SPEC, since=date(2024, 1, 2), now=now, origin="test")
    assert list(out["date"]) == [pd.Timestamp("2024-01-02")]
    assert list(out["value"]) == [2.0]
