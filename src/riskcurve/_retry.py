"""Waiting for something another process holds (DuckDB's file lock, the writer marker): one tenacity
policy for the store, the writer marker and the watcher, so each waits the same way.

The live adapters' retries on provider failures are ``RetryPolicy`` in ``data/sources/http.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import tenacity

T = TypeVar("T")


class StillHeld(Exception):
    """Raised by an attempt when the resource is still held; the last one is re-raised at the deadline."""


def wait_while_held(
    attempt: Callable[[], T],
    seconds: float,
    *,
    first: float = 0.05,
    most: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``attempt()`` again, with doubling pauses from ``first`` up to ``most``, while it raises
    :class:`StillHeld` and ``seconds`` have not passed (0: one try). Other errors pass at once."""
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_delay(seconds),
        wait=tenacity.wait_exponential(multiplier=first, min=first, max=most),
        retry=tenacity.retry_if_exception_type(StillHeld),
        sleep=sleep,
        reraise=True,
    )
    return retrying(attempt)
