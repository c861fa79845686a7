"""AlignedPanel: units, calendars and availability, with a look-ahead property test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskcurve.catalog import Catalog
from riskcurve.data.panel import STALE_AFTER, AlignedPanel, decision_times
from riskcurve.data.store import Store
from tests.conftest import known_last_date, last_date, stale_in_files


def _frame(dates: list[str] | pd.DatetimeIndex, values: list[float] | np.ndarray, field: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.DatetimeIndex(dates).astype("datetime64[ns]"),
            "member": "",
            "field": field,
            "value": np.asarray(values, dtype="float64"),
            "realtime_start": pd.Series(pd.NaT, index=range(len(values)), dtype="datetime64[ns, UTC]"),
        }
    )


def test_net_liquidity_for_wednesday_2023_09_06(real_store: Store, catalog: Catalog) -> None:
    panel = AlignedPanel(real_store, catalog, as_of="2023-09-30")
    wed = pd.Timestamp("2023-09-06")
    walcl, tga, rrp = (panel.series(s)[wed] for s in ("WALCL", "WTREGEN", "RRPONTSYD"))
    assert walcl == pytest.approx(8101.318)  # millions in the file, billions in the panel
    assert tga == pytest.approx(470.881)
    assert rrp == pytest.approx(1606.244)  # already billions: not rescaled
    assert walcl - tga - rrp == pytest.approx(6024.193, abs=0.01)


def test_weekly_value_is_unknown_until_thursday_afternoon(real_store: Store, catalog: Catalog) -> None:
    panel = AlignedPanel(real_store, catalog, as_of="2023-09-30")
    times = pd.DatetimeIndex(["2023-09-07 16:00", "2023-09-07 16:29", "2023-09-07 16:31"]).tz_localize(
        "America/New_York"
    )
    walcl = panel.on_clock(["WALCL"], times)["WALCL"]
    assert walcl.tolist() == pytest.approx([8121.316, 8121.316, 8101.318])
    # As of Thursday noon, the panel has not even heard of the Wednesday value.
    early = AlignedPanel(real_store, catalog, as_of=pd.Timestamp("2023-09-07 12:00", tz="America/New_York"))
    assert early.series("WALCL").index[-1] == pd.Timestamp("2023-08-30")


def test_daily_views_respect_each_calendar(real_store: Store, catalog: Catalog) -> None:
    panel = AlignedPanel(real_store, catalog, as_of="2024-01-31")
    week = slice("2024-01-08", "2024-01-14")
    assert len(panel.returns("BTC")[week]) == 7  # crypto trades every UTC day
    assert len(panel.returns("RUT")[week]) == 5  # NYSE sessions only
    nyse = panel.daily(["RUT", "BTC"], calendar="nyse", start="2024-01-08")
    # At Friday 16:00 New York the newest complete crypto day is Thursday's.
    assert nyse.loc["2024-01-12", "BTC"] == panel.series("BTC")[pd.Timestamp("2024-01-11")]
    assert nyse.loc["2024-01-12", "RUT"] == panel.series("RUT")[pd.Timestamp("2024-01-12")]


def test_returns_never_span_a_missing_bar(tmp_path: Path, catalog: Catalog) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.apply(
            [
                (
                    catalog["SOL"],
                    "test",
                    _frame(
                        ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"],
                        [100, 110, 121, 133.1],
                        "close",
                    ),
                )
            ]
        )
        returns = AlignedPanel(store, catalog).returns("SOL")
    assert returns.index.tolist() == list(pd.date_range("2024-01-02", "2024-01-05"))
    assert returns.iloc[0] == pytest.approx(0.10)
    assert np.isnan(returns.iloc[1]) and np.isnan(
        returns.iloc[2]
    )  # 01-03 missing: no return into or out of it
    assert returns.iloc[3] == pytest.approx(0.10)


def test_equity_weekend_is_one_session_return(tmp_path: Path, catalog: Catalog) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.apply([(catalog["IWM"], "test", _frame(["2024-01-05", "2024-01-08"], [100.0, 102.0], "close"))])
        returns = AlignedPanel(store, catalog).returns("IWM", log=True)
    assert returns.index.tolist() == [pd.Timestamp("2024-01-08")]
    assert returns.iloc[0] == pytest.approx(np.log(1.02))


def test_staleness(real_store: Store, catalog: Catalog, data_dir: Path) -> None:
    # As of the end of the day of the newest Russell close, each series is stale exactly when the newest
    # observation its file has published by then is older than its frequency allows. With the data of
    # 2026-12: RUT, WALCL and ETH are current, NDX (its feed ends weeks before RUT's) and M2SL are stale.
    rut_last = last_date(data_dir, "equities/RUT.csv")
    panel = AlignedPanel(real_store, catalog, as_of=rut_last.date().isoformat())
    ids = ["RUT", "NDX", "WALCL", "M2SL", "ETH"]
    stale = panel.staleness(ids)
    expected = stale_in_files(data_dir, catalog, ids, panel.as_of)
    assert stale.index[stale["stale"]].tolist() == expected
    assert "RUT" not in expected  # the moment is RUT's own last session
    for sid in ids:
        assert stale.loc[sid, "last_date"] == known_last_date(data_dir, catalog[sid], panel.as_of), sid
    assert stale.loc["RUT", "last_date"] == rut_last

    # RUT itself: current to the end of the last day within its limit (whole days, as the as-of joins
    # count them, so a series is listed stale exactly when its values read unknown), stale the day after.
    limit = STALE_AFTER["daily"]
    fresh = AlignedPanel(real_store, catalog, as_of=(rut_last + limit).date().isoformat())
    late = AlignedPanel(real_store, catalog, as_of=(rut_last + limit + pd.Timedelta(days=1)).date().isoformat())
    assert not fresh.staleness(["RUT"]).loc["RUT", "stale"]
    assert late.staleness(["RUT"]).loc["RUT", "stale"] and late.staleness(["RUT"]).loc["RUT", "last_date"] == rut_last


def test_decision_times() -> None:
    days = pd.DatetimeIndex(["2024-01-12", "2024-07-12"])
    assert decision_times("nyse", days).tolist() == [
        pd.Timestamp("2024-01-12 21:00", tz="UTC"),
        pd.Timestamp("2024-07-12 20:00", tz="UTC"),
    ]
    assert decision_times("crypto_utc", days)[0] == pd.Timestamp("2024-01-13 00:00", tz="UTC")


def test_members_view(real_store: Store, catalog: Catalog) -> None:
    panel = AlignedPanel(real_store, catalog, as_of="2025-01-15")
    caps = panel.members("CMC_TOP200", "market_cap")
    assert caps.index[-1] == pd.Timestamp("2025-01-01")
    assert caps.loc["2025-01-01"].idxmax() == "BTC"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n_days=st.integers(30, 120),
    cut=st.floats(0.1, 0.9),
    extra_days=st.integers(1, 30),
    n_revisions=st.integers(0, 5),
    seed=st.integers(0, 2**16),
)
def test_later_data_never_changes_an_earlier_view(
    tmp_path_factory: pytest.TempPathFactory,
    catalog: Catalog,
    n_days: int,
    cut: float,
    extra_days: int,
    n_revisions: int,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2021-01-04", periods=n_days, freq="D")
    btc = np.exp(np.cumsum(rng.normal(0, 0.03, n_days))) * 30000
    weds = days[days.day_of_week == 2]
    walcl = rng.uniform(7e6, 9e6, len(weds))
    as_of = days[int(cut * (n_days - 1))] + pd.Timedelta(hours=int(rng.integers(0, 24)))
    path = tmp_path_factory.mktemp("prop") / "s.duckdb"
    with Store(path) as store:
        store.apply(
            [
                (catalog["BTC"], "t", _frame(days, btc, "close")),
                (catalog["WALCL"], "t", _frame(weds, walcl, "value")),
            ]
        )

        def view() -> tuple[pd.Series, pd.Series, pd.DataFrame]:
            panel = AlignedPanel(store, catalog, as_of=as_of)
            return panel.series("BTC"), panel.returns("WALCL"), panel.daily(["BTC", "WALCL"], "nyse")

        before = view()
        later = pd.date_range(days[-1] + pd.Timedelta(days=1), periods=extra_days, freq="D")
        revised_idx = rng.choice(n_days, size=n_revisions, replace=False)
        revised = btc.copy()
        revised[revised_idx] *= 1.01  # revisions are fetched "now", long after as_of
        store.apply(
            [
                (
                    catalog["BTC"],
                    "t",
                    _frame(days.append(later), np.r_[revised, rng.uniform(1, 2, extra_days)], "close"),
                )
            ]
        )
        after = view()
    pd.testing.assert_series_equal(before[0], after[0])
    pd.testing.assert_series_equal(before[1], after[1])
    pd.testing.assert_frame_equal(before[2], after[2])
