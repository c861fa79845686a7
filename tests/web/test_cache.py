"""The API's cache: one board per (store version, visible data, last session), exact at every moment."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from riskcurve.catalog import Catalog
from riskcurve.config import load_settings
from riskcurve.data.store import Store
from riskcurve.report.snapshot import take_snapshot
from riskcurve.web.cache import BadAsOf, StoreView
from tests.conftest import latest_close
from tests.show_helpers import copy_store


def test_moments_with_the_same_data_share_a_board_and_stay_exact(real_store_path: Path, catalog: Catalog) -> None:
    view = StoreView(real_store_path, catalog, load_settings())
    first = view.resolve("latest")
    later = first + pd.Timedelta(minutes=10)  # nothing is published in between
    after_fred = first + pd.Timedelta(hours=2)  # the next FRED daily values are out by then
    assert view.key(first) == view.key(later) != view.key(after_fred)
    cached = view.snapshot(view.key(first), later)
    with Store(real_store_path, read_only=True) as store:
        fresh = take_snapshot(store, catalog, load_settings(), later)
    assert cached.status == fresh.status  # as_of, ages and stale flags moved to the later moment
    pd.testing.assert_frame_equal(cached.freshness, fresh.freshness)
    assert json.loads(view.status_json(later)) == fresh.status


def test_resolve_follows_the_status_command_rules(real_store_path: Path, catalog: Catalog, data_dir: Path) -> None:
    view = StoreView(real_store_path, catalog, load_settings())
    assert view.resolve("latest") == latest_close(data_dir, catalog)  # the newest RUT close's publication
    assert view.resolve("2026-08-21") == pd.Timestamp("2026-08-21T23:59:59.999999Z")  # end of that UTC day
    assert view.resolve("2026-08-21T12:00:00+02:00") == pd.Timestamp("2026-08-21T10:00:00Z")
    with pytest.raises(BadAsOf, match="is not a date"):
        view.resolve("2026-02-30")


def test_a_new_store_version_is_seen_at_once(real_store_path: Path, catalog: Catalog, tmp_path: Path) -> None:
    path = copy_store(real_store_path, tmp_path)
    view = StoreView(path, catalog, load_settings())
    assert view.study_text() is None
    signature = view.signature()
    with Store(path) as store:
        store.set_state("study:last", '{"verdict": "supported"}')
    assert view.signature() != signature
    assert view.study_text() == '{"verdict": "supported"}'
