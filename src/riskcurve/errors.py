"""Typed errors and warnings: bad input must fail clearly and specifically, never silently."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


class RiskcurveError(Exception):
    """Base of every error riskcurve raises on purpose."""


class CatalogError(RiskcurveError):
    """The catalog file is malformed or names an unknown series."""


class DataValidationError(RiskcurveError):
    """Incoming data is malformed; the message names the file/series and line."""


class UnitMismatchError(DataValidationError):
    """Incoming values are in other units than the catalog (and the store) say."""


class SourceError(RiskcurveError):
    """A provider failed: HTTP error, timeout, rate limit, empty or malformed payload."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        #: seconds the provider asked to wait before a retry (Retry-After), when it said
        self.retry_after: float | None = None


class RateLimitError(SourceError):
    """The provider asked us to slow down (HTTP 429 or its equivalent)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True)


class ConfigError(RiskcurveError):
    """A settings file is malformed; the message names the file, the key and what was expected."""


class AsOfError(RiskcurveError, ValueError):
    """An as-of text that is not 'latest', a date or a timestamp, or a moment outside the accepted
    range (presenters: exit 2 / HTTP 422)."""


class FutureAsOfError(AsOfError):
    """An as-of moment after now: nothing is known about it yet."""


class StoreError(RiskcurveError):
    """The store cannot be opened or migrated."""


class StoreBusy(StoreError):
    """A writer (`riskcurve update` or `watch`) holds DuckDB's file lock; retry in a few seconds."""

    retry_after = 5


class NoDataError(StoreError):
    """The store holds none of what was asked for yet (e.g. no leader closes for 'latest')."""


class RiskcurveWarning(UserWarning):
    """Base of riskcurve's typed warnings."""


class StaleDataWarning(RiskcurveWarning):
    """A series has no recent observation as of the requested time."""


class ShortSampleWarning(RiskcurveWarning):
    """A statistic rests on so few observations that it is barely informative."""


class UnitConversionWarning(RiskcurveWarning):
    """Values were rescaled to the panel's standard units."""


def unknown_key_hint(key: str, known: Sequence[str]) -> str:
    """'did you mean …?' for a near miss (a typo must not silently drop a setting), else the known keys."""
    close = difflib.get_close_matches(key, known, n=1)
    return f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
