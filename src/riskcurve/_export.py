"""Write a result's table to a file: CSV with pandas, Parquet with DuckDB (no pyarrow needed).

The CLI's `export` and notebooks use this; the table itself always comes from a result's
``to_frame()`` (or ``Board.frame``), so an export holds exactly what the other presenters show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd

TableFormat = Literal["csv", "parquet"]
FORMATS: tuple[TableFormat, ...] = ("csv", "parquet")


def write_table(frame: pd.DataFrame, path: Path, fmt: TableFormat) -> None:
    """``frame`` (index dropped: exports carry their keys as columns) to ``path`` as ``fmt``."""
    if fmt == "csv":
        frame.to_csv(path, index=False, date_format="%Y-%m-%d")
        return
    # list columns (a series' fields) and objects DuckDB cannot type go as text
    safe = frame.apply(lambda c: c.map(_text) if c.dtype == object else c)
    con = duckdb.connect()
    try:
        con.from_df(safe).write_parquet(str(path))
    finally:
        con.close()


def _text(value: object) -> object:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
