"""Shared fixtures: the real data in ../shared/data, read through the project's own CSV source."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from riskcurve.catalog import Catalog, load_catalog
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
