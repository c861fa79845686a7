"""The API's cache: one board per (store version, visible data, last session, stale inputs), exact at every moment."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import riskcurve
from riskcurve.catalog import Catalog
from riskcurve.data.store import Store
from riskcurve.errors import AsOfError
from riskcurve.service import STUDY_STATE_KEY, StudyRun
from riskcurve.web.cache import StoreView
from tests.conftest import latest_close
from tests.show_helpers import copy_store


def view_of(path: Path) -> StoreView:
    return StoreView(riskcurve.open(path))


def test_moments_with_the_same_data_share_a_board_and_stay_exact(real_store_path: Path) -> None:
    view = view_of(real_store_path)
    first = view.resolve("latest")
    later = first + pd.Timedelta(minutes=10)  # nothing is published in between
    after_fred = first + pd.Timedelta(hours=2)  # the next FRED daily values are out by then
    assert view.key(first) == view.key(later) != view.key(after_fred)
    cached = view.snapshot(view.key(first), later)
    fresh = riskcurve.open(real_store_path).snapshot(later)
    assert cached.status.to_dict() == fresh.status.to_dict()  # as_of, ages and stale flags moved to later
    pd.testing.assert_frame_equal(cached.freshness, fresh.freshness)
    assert json.loads(view.status_json(later)) == fresh.status.to_dict()


def test_weeks_later_the_cached_answer_is_stage_unknown(real_store_path: Path) -> None:
    """Weeks after the newest close the leader has not closed on the last session: the view must say
    the stage is unknown, exactly as a fresh computation does, not repeat the stage it had."""
    view = view_of(real_store_path)
    first = view.resolve("latest")
    weeks_later = first + pd.Timedelta(days=20)
    assert json.loads(view.status_json(first))["stage"] is not None
    fresh = riskcurve.open(real_store_path).status(weeks_later).to_dict()
    assert json.loads(view.status_json(weeks_later)) == fresh and fresh["stage"] is None


def test_resolve_follows_the_status_command_rules(real_store_path: Path, catalog: Catalog, data_dir: Path) -> None:
    view = view_of(real_store_path)
    assert view.resolve("latest") == latest_close(data_dir, catalog)  # the newest RUT close's publication
    assert view.resolve("2026-08-21") == pd.Timestamp("2026-08-21T23:59:59.999999Z")  # end of that UTC day
    assert view.resolve("2026-08-21T12:00:00+02:00") == pd.Timestamp("2026-08-21T10:00:00Z")
    with pytest.raises(AsOfError, match="2026-02-30"):
        view.resolve("2026-02-30")


def test_a_new_store_version_is_seen_at_once(real_store_path: Path, tmp_path: Path) -> None:
    path = copy_store(real_store_path, tmp_path)
    view = view_of(path)
    now = pd.Timestamp.now(tz="UTC")
    assert view.study(now)["study"] is None
    signature = view.signature()
    run = StudyRun(pd.Timestamp("2026-01-02", tz="UTC"), "cafe", pd.Timestamp("2026-12-01", tz="UTC"), {"verdict": {}})
    with Store(path) as store:
        store.set_state(STUDY_STATE_KEY, json.dumps(run.to_dict()))
    assert view.signature() != signature
    assert view.study(now)["study"] == run.to_dict()


def test_distinct_as_of_keep_the_response_cache_under_its_byte_cap(real_store_path: Path) -> None:
    """Hundreds of dashboard requests with distinct as_of once grew the server by 150 MB: the cache
    counted entries, not bytes. Now it keeps the newest responses within its byte budget."""
    cap = 6 * 2**20
    view = StoreView(riskcurve.open(real_store_path), response_bytes=cap)
    first = view.resolve("latest")
    sizes = [len(view.charts_json(first + pd.Timedelta(seconds=i))) for i in range(40)]
    assert sum(sizes) > 2 * cap  # the requests alone would overflow it
    assert 0 < view._responses.nbytes <= cap
    assert len(view._snapshots) <= 4
    again = first + pd.Timedelta(seconds=39)
    assert view.charts_json(again) == view.charts_json(again)  # the newest stays cached and answers alike
