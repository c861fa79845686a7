"""Plumbing shared by the live adapters: a polite HTTP client, a retry policy and the common last step.

Providers fail in a few known ways (429 with Retry-After, 5xx, timeouts, dropped connections); handling
them once here keeps every adapter's message the same shape -- provider, series, HTTP status, URL with
any API key redacted -- and lets tests replace the network (``session``) and the waiting (``sleep``).
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pandas as pd
import requests
import tenacity

from riskcurve.catalog import SeriesSpec
from riskcurve.data.sources.base import empty_standard_frame, validate_standard_frame
from riskcurve.errors import RateLimitError, SourceError

_SECRET_PARAM = re.compile(r"(?<![\w-])([\w-]*(?:api_key|apikey|api-key|token)[\w-]*=)[^&#\s\"']*", re.I)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_DETAIL_CHARS = 300

Clock = Callable[[], pd.Timestamp]
T = TypeVar("T")


def utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def host_of(url: str) -> tuple[str, ...]:
    """The host of a provider's base URL, as ``Source.hosts`` returns it (probed once per update)."""
    host = urlsplit(url).hostname
    return (host,) if host else ()


def redact(text: str) -> str:
    """Hide API keys in URLs (``api_key=...``, ``x_cg_demo_api_key=...``) before text reaches a message."""
    return _SECRET_PARAM.sub(r"\1REDACTED", text)


def looks_like_html(text: str) -> bool:
    """Error pages, captive portals and CDNs answer with HTML where CSV or JSON was expected."""
    head = text.lstrip()[:200].lower()
    return head.startswith("<!doctype html") or head.startswith("<html") or "<body" in head


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a transient failure: exponential backoff with jitter (tenacity).

    Jitter spreads retries of parallel updates so they do not hit the provider in lock-step; a server's
    own Retry-After wins over the backoff, but one asking for more than ``max_retry_after`` seconds is
    reported at once rather than stalling the whole update. Every retry loop of the live adapters goes
    through :meth:`call`, so there is one policy and one "gave up after N attempts" message.
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Delay before retry number ``retry`` (0-based): the exponential step, jittered into [d/2, d]."""
        step = min(self.max_delay, self.base_delay * 2**retry)
        return step * (0.5 + 0.5 * rng.random())

    def call(self, attempt: Callable[[], T], *, sleep: Callable[[float], None], rng: random.Random) -> T:
        """``attempt()`` until it succeeds, raises a final error, or ``attempts`` transient ones.

        Transient means a :class:`SourceError` with ``retryable`` set; its ``retry_after`` (seconds),
        when given, replaces the backoff. The last transient error is raised with "(gave up after N
        attempts)" appended.
        """
        attempts = max(1, self.attempts)

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome is not None else None
            asked = getattr(error, "retry_after", None)
            return float(asked) if asked is not None else self.backoff(state.attempt_number - 1, rng)

        def give_up(state: tenacity.RetryCallState) -> T:
            error = state.outcome.exception() if state.outcome is not None else None
            assert isinstance(error, SourceError)
            error.args = (f"{error.args[0]} (gave up after {attempts} attempts)", *error.args[1:])
            raise error

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(attempts),
            wait=wait,
            retry=tenacity.retry_if_exception(lambda e: isinstance(e, SourceError) and e.retryable),
            sleep=sleep,
            retry_error_callback=give_up,
            reraise=True,
        )
        return retrying(attempt)


class HttpStatusError(SourceError):
    """A provider answered with an HTTP error; ``status`` and the provider's own (whole, key-free)
    ``detail`` are kept so adapters can react to specific answers (FRED's ALFRED errors, for instance)."""

    def __init__(self, message: str, *, status: int, detail: str, retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable)
        self.status = status
        self.detail = detail


def _find_message(payload: Any) -> str | None:
    """The provider's error text in JSON: FRED ``error_message``, CoinGecko ``status.error_message``."""
    if isinstance(payload, dict):
        for key in ("error_message", "message", "error"):
            value = payload.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        for value in payload.values():
            found = _find_message(value)
            if found:
                return found
    return None


def response_detail(text: str, limit: int | None = _DETAIL_CHARS) -> str:
    """A key-free description of an error body, cut to ``limit`` characters for a message."""
    try:
        found = _find_message(json.loads(text))
    except ValueError:
        found = None
    if found is None:
        if looks_like_html(text):
            title = _HTML_TITLE.search(text)
            found = f"an HTML page ({' '.join(title.group(1).split())})" if title else "an HTML page"
        else:
            found = " ".join(text.split())
    if limit is not None and len(found) > limit:
        found = found[:limit] + "..."
    return redact(found)


def json_payload(response: requests.Response, who: str) -> Any:
    """The decoded JSON body, or a SourceError saying what came instead (an HTML page, broken JSON)."""
    text = response.text
    if not text.strip():
        raise SourceError(f"{who}: empty response where JSON was expected")
    if looks_like_html(text):
        raise SourceError(f"{who}: expected JSON but got {response_detail(text)}")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SourceError(f"{who}: response is not valid JSON ({exc}): {response_detail(text)}") from exc


def _retry_after(response: requests.Response) -> float | None:
    """Seconds the server asked us to wait (delta-seconds or HTTP-date form), or None."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class HttpClient:
    """GET with a timeout, a minimum interval between requests and retries on transient failures.

    ``min_interval`` keeps us under the provider's published rate (FRED: 120 requests/minute per key).
    Only 429, 5xx, timeouts and connection errors are retried; other 4xx answers are final.
    """

    def __init__(
        self,
        provider: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        min_interval: float = 0.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.provider = provider
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.min_interval = min_interval
        self.retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng if rng is not None else random.Random()
        self._last_request: float | None = None

    def _throttle(self) -> None:
        if self._last_request is not None:
            wait = self._last_request + self.min_interval - self._monotonic()
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._monotonic()

    def get(
        self,
        url: str,
        *,
        series: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """The successful response, or a SourceError/RateLimitError naming provider, series and status."""
        shown = redact(str(requests.Request("GET", url, params=dict(params or {})).prepare().url))
        who = f"{self.provider} {series}"

        def attempt() -> requests.Response:
            self._throttle()
            try:
                response = self.session.get(url, params=params, headers=headers, timeout=self.timeout)
            except requests.Timeout:
                raise SourceError(f"{who}: no answer within {self.timeout:g}s from {shown}", retryable=True) from None
            except requests.ConnectionError as exc:
                raise SourceError(f"{who}: {connection_failure(exc, shown)}", retryable=True) from None
            except requests.RequestException as exc:
                raise SourceError(f"{who}: request to {shown} failed: {redact(str(exc))}") from exc
            status = response.status_code
            if status < 400:
                return response
            detail = response_detail(response.text, limit=None)
            message = f"{who}: HTTP {status} from {shown}: {response_detail(response.text)}"
            if status != 429 and status < 500:
                raise HttpStatusError(message, status=status, detail=detail)
            wait = _retry_after(response)
            if wait is not None and wait > self.retry.max_retry_after:
                error = _transient(f"{message} (server asks to wait {wait:g}s; try later)", status, detail)
                error.retryable = False  # reported at once, but still a rate limit / server error
                raise error
            raise _transient(message, status, detail, retry_after=wait)

        return self.retry.call(attempt, sleep=self._sleep, rng=self._rng)


def connection_failure(exc: BaseException, shown: str) -> str:
    """A failed connection in plain words ("DNS lookup failed for api.stlouisfed.org") instead of
    urllib3's ``HTTPSConnectionPool(...): Max retries exceeded ... NameResolutionError`` chain."""
    text = redact(str(exc))
    host = urlsplit(shown).hostname or shown
    if "NameResolution" in text or "getaddrinfo" in text or "Name or service not known" in text:
        return f"DNS lookup failed for {host}"
    if "timed out" in text.lower():
        return f"connection to {host} timed out"
    if "refused" in text.lower():
        return f"connection to {host} refused"
    return f"connection to {shown} failed: {text}"


def _transient(message: str, status: int, detail: str, *, retry_after: float | None = None) -> SourceError:
    """The error for a failure worth retrying later (rate limit, server error), with the server's wait."""
    error: SourceError = (
        RateLimitError(message)
        if status == 429
        else HttpStatusError(message, status=status, detail=detail, retryable=True)
    )
    error.retry_after = retry_after
    return error


def finish(
    frame: pd.DataFrame, spec: SeriesSpec, *, since: date | None, now: pd.Timestamp, origin: str
) -> pd.DataFrame:
    """The common last step of every live adapter: keep complete periods dated on/after ``since``, validate.

    A period is complete once the catalog's release rule says it is known (``available_at <= now``), so a
    still-forming daily candle or today's intraday snapshot never reaches the store.
    """
    if frame.empty:
        return validate_standard_frame(empty_standard_frame(), spec, origin)
    dates = pd.DatetimeIndex(frame["date"])
    keep = spec.release.available_at(dates) <= now
    if since is not None:
        keep &= dates >= pd.Timestamp(since)
    out = frame.loc[keep].sort_values(["field", "member", "date"], kind="stable").reset_index(drop=True)
    return validate_standard_frame(out, spec, origin)
