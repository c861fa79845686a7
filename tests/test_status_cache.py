"""The status path's caches give the answers a fresh computation gives, on the real data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import riskcurve
from riskcurve.catalog import Catalog
from riskcurve.data.panel import AlignedPanel
from riskcurve.data.store import Store
from riskcurve.service import Riskcurve
from tests.show_helpers import copy_store


@pytest.fixture(scope="module")
def warm(real_store_path: Path) -> Riskcurve:
    """A service that has already answered 'latest' (its claims are checked and kept)."""
    rc = riskcurve.open(real_store_path)
    rc.status("latest")
    return rc


@pytest.mark.parametrize("as_of", ["2026-01-09", "2026-04-30", "latest"])
def test_a_status_with_kept_claims_equals_a_fresh_one(warm: Riskcurve, real_store_path: Path, as_of: str) -> None:
    fresh = riskcurve.open(real_store_path).status(as_of).to_dict()
    assert warm.status(as_of).to_dict() == fresh
    assert any(c["word"] != "pending" for c in fresh["claims"]["claims"])  # some claims were checked


def test_latest_is_the_newest_leader_close_as_the_store_facts_say(warm: Riskcurve) -> None:
    assert warm.resolve("latest") == warm.facts().latest


def test_kept_claims_are_checked_again_when_the_store_changes(real_store_path: Path, tmp_path: Path) -> None:
    db = copy_store(real_store_path, tmp_path)
    rc = riskcurve.open(db)
    before = rc.claims("latest").to_dict()
    check = next(c for c in before["claims"] if c["id"] == "crypto-three-month-decline")
    # A revised BTC close for the claim's data date, published before the end of its check date.
    day = pd.Timestamp(check["date"])
    published = pd.Timestamp(check["checked_on"], tz="UTC") + pd.Timedelta(hours=12)
    with rc.writer() as store:
        close = store.as_of(["BTC"], fields=["close"], start=day, end=day)["value"].iloc[0]
        store.con.execute(
            "INSERT INTO observations VALUES ('BTC', '', 'close', ?, ?, ?, 'test', ?)",
            [day.date(), 2 * close, published, published],
        )
    after = rc.claims("latest").to_dict()
    assert after == riskcurve.open(db).claims("latest").to_dict()
    revised = next(c for c in after["claims"] if c["id"] == "crypto-three-month-decline")
    assert revised["value"] != check["value"]


def test_the_coded_preload_holds_what_the_store_gives(real_store: Store, catalog: Catalog) -> None:
    """The panel reads series and field as positions (no string per row); what it keeps per (series,
    field) must be exactly the store's as-of rows, in the same order."""
    moment = pd.Timestamp("2026-01-09 23:59:59", tz="UTC")
    ids, fields = list(catalog), ["close", "value", "volume", "market_cap"]
    panel = AlignedPanel(real_store, catalog, moment)
    panel.preload(ids, fields)
    plain = real_store.as_of(ids, fields=fields, as_of=moment)
    body = plain[["member", "date", "value", "available_at"]]
    groups = plain.groupby(["series_id", "field"], sort=False).indices
    assert len(groups) > 100  # every stored series and field of the catalog
    for (sid, field), rows in groups.items():
        pd.testing.assert_frame_equal(panel._cache[(sid, field)], body.iloc[rows].reset_index(drop=True))
