"""The liquidity-channel series of CHANNELS-2026-12.md: conventions and release rules, on the real data.

(Each file's import, units and last date: test_channels.py.)"""

from __future__ import annotations

import pandas as pd
import pytest

from riskcurve.catalog import Catalog
from riskcurve.data.store import Store
from tests.conftest import stored


def test_wtregen_is_the_thursday_to_wednesday_mean_of_the_daily_closes(real_store: Store) -> None:
    """CHANNELS-2026-12.md: WTREGEN is a week average, not a Wednesday level (the old label was wrong)."""
    daily = stored(real_store, "TGA_DTS", "value")
    weekly = stored(real_store, "WTREGEN", "value")
    calendar_days = daily.resample("D").ffill()  # a weekend's balance is Friday's close, as the Fed averages it
    week_mean = calendar_days.rolling(7).mean()
    weeks = weekly.index[
        (weekly.index >= daily.index.min() + pd.Timedelta(days=7)) & (weekly.index <= daily.index.max())
    ]
    diff = (week_mean.reindex(weeks) - weekly.reindex(weeks)).abs()
    assert len(weeks) >= 200 and diff.max() < 1.0  # millions: rounding only
    wednesday_level = daily.reindex(weeks)
    assert (wednesday_level - weekly.reindex(weeks)).abs().max() > 10_000  # the level differs from the average


def test_bill_purchases_settled_in_2026_to_august_19_add_up_to_about_304bn(real_store: Store) -> None:
    purchases = stored(real_store, "FED_BILL_PURCHASES", "value")
    total = purchases.loc["2026-01-01":"2026-08-19"].sum()
    assert total == pytest.approx(304.2, abs=0.1)


def test_daily_treasury_statement_is_known_the_next_business_day_at_16_new_york(
    real_store: Store, catalog: Catalog
) -> None:
    friday = pd.Timestamp("2026-01-09")  # published Monday 2026-01-12 16:00 New York
    before = pd.Timestamp("2026-01-12 15:59", tz="America/New_York")
    after = pd.Timestamp("2026-01-12 16:00", tz="America/New_York")
    assert catalog["TGA_DTS"].release.available_at(pd.DatetimeIndex([friday]))[0] == after.tz_convert("UTC")
    assert friday not in stored(real_store, "TGA_DTS", "value", str(before.tz_convert("UTC"))).index
    assert friday in stored(real_store, "TGA_DTS", "value", str(after.tz_convert("UTC"))).index


def test_mortgage_rate_is_known_at_noon_on_its_thursday(real_store: Store) -> None:
    thursday = pd.Timestamp("2026-01-08")
    known = stored(real_store, "MORTGAGE30US", "value", "2026-01-08 17:00")  # 12:00 New York
    unknown = stored(real_store, "MORTGAGE30US", "value", "2026-01-08 16:59")
    assert thursday in known.index and thursday not in unknown.index


def test_live_only_series_are_skipped_offline_not_failed(real_store: Store) -> None:
    for series_id in ("WSHOBL", "WDTGAL", "TAX_REFUNDS_DTS", "BOOK_DEPTH_BTC", "BOOK_DEPTH_ETH"):
        assert stored(real_store, series_id, "value").empty
