"""Shared fixtures: the real data in ../shared/data, read through the project's own CSV source.

The data grows (new rows are appended to the files), so tests never pin a file's last date or row
count: they derive them here from the files at test time. Known historical answers (a close on a
given date, a breakout) stay pinned in the tests themselves.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from riskcurve.catalog import Catalog, SeriesSpec, load_catalog
from riskcurve.data.panel import STALE_AFTER, nyse_sessions
from riskcurve.data.store import Store
from riskcurve.data.update import csv_sources, run_update

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("RISKCURVE_TEST_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA_DIR.is_dir():
        pytest.fail(f"real data not found at {DATA_DIR} (set RISKCURVE_TEST_DATA)")
    return DATA_DIR


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def real_store_path(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, catalog: Catalog) -> Path:
    """One full import of ../shared/data per test session (read it, never write to it)."""
    path = tmp_path_factory.mktemp("store") / "real.duckdb"
    with Store(path) as store:
        report = run_update(store, list(catalog.values()), csv_sources(data_dir))
        assert report.ok, report.failed
    return path


@pytest.fixture
def real_store(real_store_path: Path) -> Iterator[Store]:
    with Store(real_store_path, read_only=True) as store:
        yield store


@pytest.fixture
def data_copy(tmp_path: Path, data_dir: Path) -> Path:
    """A writable copy of a few real files, laid out like ../shared/data, for mutation tests."""
    root = tmp_path / "data"
    for rel in (
        "equities/RUT.csv",
        "equities/IWM.csv",
        "fred/WALCL.csv",
        "fred/WTREGEN.csv",
        "fred/RRPONTSYD.csv",
        "crypto/BTC.csv",
        "crypto/ETH.csv",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir / rel, root / rel)
    return root


def write_csv(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.lstrip(), encoding="utf-8")
    return path


def stored(store: Store, series_id: str, field: str, as_of: str | None = None) -> pd.Series:
    frame = store.as_of([series_id], fields=[field], as_of=pd.Timestamp(as_of, tz="UTC") if as_of else None)
    return pd.Series(frame["value"].to_numpy(), index=pd.DatetimeIndex(frame["date"]))


# ------------------------------------------------------------------ facts derived from the data files
def read_data(path: Path) -> pd.DataFrame:
    """A data CSV as the files hold it: dates parsed, empty cells NaN (and nothing else is NaN)."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""], parse_dates=["date"])


def last_date(data_dir: Path, rel: str) -> pd.Timestamp:
    """The date of the file's last row (e.g. ``last_date(data_dir, "equities/RUT.csv")``)."""
    return pd.Timestamp(read_data(data_dir / rel)["date"].max())


def day_after(data_dir: Path, rel: str, days: int = 1) -> str:
    """ISO date ``days`` after the file's last row: a date the file does not hold yet, for appended rows."""
    return (last_date(data_dir, rel) + pd.Timedelta(days=days)).date().isoformat()


def row_count(data_dir: Path, rel: str) -> int:
    """Data rows in the file (the header is line 1, so row n is line n + 1)."""
    return len(read_data(data_dir / rel))


def cell_count(
    path: Path,
    member_column: str | None = None,
    ignore: Iterable[str] = (),
    since: str | pd.Timestamp | None = None,
    tail: int | None = None,
    zero_missing: Iterable[str] = (),
) -> int:
    """Non-empty value cells (one stored row each), optionally from ``since`` on or in the last ``tail``
    rows; a zero market cap (or a zero in a ``zero_missing`` column) means unknown and is not stored."""
    raw = read_data(path)
    if since is not None:
        raw = raw[raw["date"] >= pd.Timestamp(since)]
    if tail is not None:
        raw = raw.tail(tail)
    values = raw.drop(columns=["date", *([member_column] if member_column else []), *ignore])
    count = int(values.notna().sum().sum())
    for column in {"market_cap", *zero_missing} & set(values.columns):
        count -= int((values[column] == 0).sum())
    return count


def published(spec: SeriesSpec, day: pd.Timestamp | str) -> pd.Timestamp:
    """When the observation dated ``day`` is first known (UTC), by the catalog's release rule."""
    return pd.Timestamp(spec.release.available_at(pd.DatetimeIndex([pd.Timestamp(day)]))[0])


def latest_close(data_dir: Path, catalog: Catalog, leader: str = "RUT") -> pd.Timestamp:
    """What ``--as-of latest`` means: when the newest leader close in the files is published."""
    spec = catalog[leader]
    assert spec.csv is not None
    return published(spec, last_date(data_dir, spec.csv.path))


def first_session_from(day: pd.Timestamp) -> pd.Timestamp:
    """The first NYSE session on or after ``day``."""
    sessions = nyse_sessions()
    return pd.Timestamp(sessions[sessions >= pd.Timestamp(day).normalize()][0])


def known_last_date(data_dir: Path, spec: SeriesSpec, as_of: pd.Timestamp) -> pd.Timestamp | None:
    """The newest observation date of the series' file already published at ``as_of`` (None: none)."""
    assert spec.csv is not None
    column = {v: k for k, v in spec.csv.fields.items()}.get(spec.value_field, spec.value_field)
    raw = read_data(data_dir / spec.csv.path)
    dates = pd.DatetimeIndex(raw.loc[raw[column].notna(), "date"])
    dates = dates[spec.release.available_at(dates) <= as_of]
    return pd.Timestamp(dates.max()) if len(dates) else None


def stale_in_files(data_dir: Path, catalog: Catalog, ids: Iterable[str], as_of: pd.Timestamp) -> list[str]:
    """The series (in ``ids`` order) whose newest published observation is older than STALE_AFTER at
    ``as_of``, counted in whole days (the as-of day minus the observation date)."""
    as_of = pd.Timestamp(as_of).tz_convert("UTC")
    stale = []
    for sid in ids:
        spec = catalog[sid]
        last = known_last_date(data_dir, spec, as_of)
        if last is None or as_of.tz_localize(None).normalize() - last > STALE_AFTER[spec.frequency]:
            stale.append(sid)
    return stale
