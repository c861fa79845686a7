"""One way to turn results into JSON: NaN/NaT/NA become null, numpy scalars plain Python, dates ISO.

Status documents, study results and the dashboard's snapshot all go through here, so a value
reads the same in `--json` output, the HTML report and the API.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

# Fifteen significant digits would keep binary noise (-0.06999999999999984); ten keep every figure
# riskcurve computes (levels in USD billions to the million, returns to 1e-10) and drop the noise.
SIGNIFICANT_DIGITS = 10


def jsonable(value: Any) -> Any:
    """A scalar as JSON wants it (tuples, e.g. sweep labels, become "a/b"; floats rounded, see
    ``rounded``, so the CLI, the API and the report print the same digits)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, tuple):
        return "/".join(str(v) for v in value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return rounded(value) if np.isfinite(value) else None
    return value


def iso_moment(value: Any) -> str | None:
    """A timestamp as full ISO text (None for a missing one): when something happened, not which day."""
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as JSON-ready dicts."""
    return [{str(k): jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]


def rounded(value: Any) -> Any:
    """``value`` with every float rounded to ``SIGNIFICANT_DIGITS`` (dicts and lists walked)."""
    if isinstance(value, float) and np.isfinite(value):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


def dumps(document: Any, *, indent: int | None = 2) -> str:
    """The one JSON text riskcurve prints: numbers rounded, nothing but JSON types."""
    return json.dumps(rounded(document), indent=indent, default=jsonable)
