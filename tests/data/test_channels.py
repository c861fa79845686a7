"""The liquidity-channel series on the shared data: units, identities between files, release rules.

Counts and last dates are derived from the files (the data grows); the historical answers checked here
(a week's TGA average, the 2026 bill purchases) are pinned because they are past and final.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskcurve.catalog import Catalog
from riskcurve.data.panel import AlignedPanel
from riskcurve.data.sources.csvdir import CsvDirSource
from riskcurve.data.store import Store
from tests.conftest import read_data

# Series id -> (file, column holding its main value, units the panel reports them in).
NEW_FILES: dict[str, tuple[str, str, str]] = {
    "WRESBAL": ("fred/WRESBAL.csv", "value", "usd_billions"),
    "WRBWFRBL": ("fred/WRBWFRBL.csv", "value", "usd_billions"),
    "MORTGAGE30US": ("fred/MORTGAGE30US.csv", "value", "percent"),
    "TGA_DTS": ("fiscal/DTS_TGA_CLOSE.csv", "tga_close_musd", "usd_billions"),
    "TGA_DTS_FLOWS": ("fiscal/DTS_TGA_FLOWS_TOTAL.csv", "net_musd", "usd_billions"),
    "FED_BILL_PURCHASES": ("nyfed/FED_BILL_PURCHASES_BY_SETTLEMENT.csv", "bill_purchases_accepted_bn", "usd_billions"),
    "USDT_SUPPLY": ("crypto/market/USDT_SUPPLY.csv", "coingecko_market_cap_usd", "usd"),
    "USDC_SUPPLY": ("crypto/market/USDC_SUPPLY.csv", "defillama_circulating_usd", "usd"),
    "STABLECOINS_TOTAL": ("crypto/market/STABLECOINS_TOTAL_DEFILLAMA.csv", "defillama_total_circulating_usd", "usd"),
    "BTC_ETF_FLOWS": ("crypto/etf/BTC_ETF_FLOWS.csv", "total_usd_m", "usd_billions"),
    "ETH_ETF_FLOWS": ("crypto/etf/ETH_ETF_FLOWS.csv", "total_usd_m", "usd_billions"),
    "FEAR_GREED": ("crypto/market/FEAR_GREED.csv", "value", "index_points"),
    "FED_TSY_OPS": ("nyfed/FED_OUTRIGHT_TSY_OPERATIONS.csv", "accepted_b", "usd_billions"),
}
NY = "America/New_York"


def _main(catalog: Catalog, data_dir: Path, series_id: str) -> pd.Series:
    spec = catalog[series_id]
    frame = CsvDirSource(data_dir).fetch(spec)
    main = frame[(frame["field"] == spec.value_field) & (frame["member"] == "")]
    return pd.Series(main["value"].to_numpy(), index=pd.DatetimeIndex(main["date"])).sort_index()


def _ops(catalog: Catalog, data_dir: Path) -> pd.Series:
    """FED_TSY_OPS's accepted amounts, one per operation, in file order (by trade date)."""
    frame = CsvDirSource(data_dir).fetch(catalog["FED_TSY_OPS"])
    accepted = frame[frame["field"] == "accepted"].sort_values(["date", "member"], kind="stable")
    return pd.Series(accepted["value"].to_numpy(), index=pd.DatetimeIndex(accepted["date"]))


@pytest.mark.parametrize("series_id", sorted(NEW_FILES))
def test_each_new_file_imports_whole_in_its_units(catalog: Catalog, data_dir: Path, series_id: str) -> None:
    rel, column, units = NEW_FILES[series_id]
    raw = read_data(data_dir / rel)
    known = raw[column].notna() & ~((raw[column] == 0) & (column == "coingecko_market_cap_usd"))
    series = _main(catalog, data_dir, series_id) if series_id != "FED_TSY_OPS" else _ops(catalog, data_dir)
    assert len(series) == int(known.sum())
    assert series.index[-1] == raw.loc[known, "date"].max()
    expected = raw.loc[known].sort_values(["date", *(["operation_id"] if series_id == "FED_TSY_OPS" else [])])
    assert series.to_numpy() == pytest.approx(expected[column].to_numpy())
    assert catalog[series_id].standard_units()[0] == units


def test_known_levels_in_panel_units(real_store: Store, catalog: Catalog) -> None:
    panel = AlignedPanel(real_store, catalog, as_of="2026-11-30")
    assert panel.series("TGA_DTS")[pd.Timestamp("2025-12-31")] == pytest.approx(872.853)  # USD bn
    assert panel.series("TGA_DTS")[pd.Timestamp("2025-10-29")] == pytest.approx(983.859)
    assert panel.series("WRESBAL")[pd.Timestamp("2025-12-31")] == pytest.approx(2960, rel=0.01)
    assert panel.series("MORTGAGE30US")[pd.Timestamp("2026-10-08")] == pytest.approx(7.40)
    usdt = panel.series("USDT_SUPPLY")[pd.Timestamp("2026-01-01")]
    assert 187.0e9 < usdt < 187.4e9
    assert panel.series("FEAR_GREED")[pd.Timestamp("2018-02-02")] == 15


def test_dts_net_flow_is_the_change_in_the_closing_balance(catalog: Catalog, data_dir: Path) -> None:
    closes = _main(catalog, data_dir, "TGA_DTS")
    net = _main(catalog, data_dir, "TGA_DTS_FLOWS")
    change = closes.diff().reindex(net.index).dropna()
    gap = (net.reindex(change.index) - change).abs()
    assert gap.max() <= 11 and gap.median() <= 3  # USD mn; CHANNELS-2026-12.md: within 11 mn every day


def test_bill_purchases_agree_with_the_operations_and_the_running_total(catalog: Catalog, data_dir: Path) -> None:
    """The 2026 bill purchases (304.2bn to 08-19, test_channels_data.py) three ways: the settlement file,
    its own running total since the first reserve-management purchase, and the operations file."""
    spec = catalog["FED_BILL_PURCHASES"]
    frame = CsvDirSource(data_dir).fetch(spec)
    settled = frame[frame["field"] == "value"].set_index("date")["value"].loc["2026-01-01":"2026-08-19"].sum()
    raw = read_data(data_dir / "nyfed/FED_BILL_PURCHASES_BY_SETTLEMENT.csv").set_index("date")
    cumulative = raw["cum_bill_purchases_since_2025_12_12_bn"].dropna()
    assert cumulative["2026-08-19"] - cumulative[:"2025-12-31"].iloc[-1] == pytest.approx(settled)
    ops = read_data(data_dir / "nyfed/FED_OUTRIGHT_TSY_OPERATIONS.csv")
    bills = ops[(ops["operation_type"] == "Outright Bill Purchase") & (ops["settlement_date"] >= "2026-01-01")]
    assert bills.loc[bills["settlement_date"] <= "2026-08-19", "accepted_b"].sum() == pytest.approx(settled)


# ---------------------------------------------------------------- release rules
def _at(text: str, tz: str = NY) -> pd.Timestamp:
    return pd.Timestamp(text, tz=tz).tz_convert("UTC")


@pytest.mark.parametrize(
    ("series_id", "day", "known_at"),
    [
        # DTS for Wednesday 2025-12-31 comes out on Friday 2026-01-02 (New Year's Day is a holiday).
        ("TGA_DTS", "2025-12-31", "2026-01-02 16:00"),
        ("TGA_DTS_FLOWS", "2026-01-09", "2026-01-12 16:00"),  # Friday -> Monday
        ("TAX_REFUNDS_DTS", "2026-04-15", "2026-04-16 16:00"),
        # H.4.1: Wednesday's figures on Thursday 16:30 (Friday when Thursday is Thanksgiving).
        ("WRESBAL", "2026-01-07", "2026-01-08 16:30"),
        ("WRBWFRBL", "2025-11-26", "2025-11-28 16:30"),
        ("WSHOBL", "2026-08-19", "2026-08-20 16:30"),
        ("WDTGAL", "2026-08-19", "2026-08-20 16:30"),
        ("MORTGAGE30US", "2026-01-08", "2026-01-08 12:00"),  # PMMS: Thursday noon, dated that day
        # Dated by settlement: the results came out on the trade day before it.
        ("FED_BILL_PURCHASES", "2026-08-19", "2026-08-19 00:00"),
        ("FED_TSY_OPS", "2026-08-18", "2026-08-18 16:00"),  # dated by trade day: that afternoon
        # Farside's next-morning figures get revised: final from 18:00 New York the next business day.
        ("BTC_ETF_FLOWS", "2026-01-09", "2026-01-12 18:00"),
        ("ETH_ETF_FLOWS", "2026-01-08", "2026-01-09 18:00"),
    ],
)
def test_release_rules(catalog: Catalog, series_id: str, day: str, known_at: str) -> None:
    available = catalog[series_id].release.available_at(pd.DatetimeIndex([day]))[0]
    assert available == _at(known_at)


@pytest.mark.parametrize(
    ("series_id", "day", "known_at"),
    [
        # A DefiLlama day's point moves until the day ends: known at the next UTC midnight.
        ("USDT_SUPPLY", "2026-01-01", "2026-01-02 00:00"),
        ("USDC_SUPPLY", "2026-01-01", "2026-01-02 00:00"),
        ("STABLECOINS_TOTAL", "2026-01-01", "2026-01-02 00:00"),
        ("FEAR_GREED", "2026-01-01", "2026-01-01 00:10"),
        ("BOOK_DEPTH_BTC", "2026-01-01", "2026-01-01 00:00"),  # a sample's own stamp (realtime_start) rules
    ],
)
def test_crypto_release_rules(catalog: Catalog, series_id: str, day: str, known_at: str) -> None:
    assert catalog[series_id].release.available_at(pd.DatetimeIndex([day]))[0] == _at(known_at, "UTC")


def test_dts_value_is_unknown_until_the_next_business_day_afternoon(real_store: Store, catalog: Catalog) -> None:
    times = pd.DatetimeIndex(["2026-01-02 15:59", "2026-01-02 16:01"]).tz_localize(NY)
    panel = AlignedPanel(real_store, catalog, as_of="2026-01-31")
    tga = panel.on_clock(["TGA_DTS"], times)["TGA_DTS"]
    assert tga.iloc[0] == pytest.approx(panel.series("TGA_DTS")[pd.Timestamp("2025-12-30")])
    assert tga.iloc[1] == pytest.approx(872.853)
    early = AlignedPanel(real_store, catalog, as_of=times[0])
    assert early.series("TGA_DTS").index[-1] == pd.Timestamp("2025-12-30")


def test_stablecoin_and_etf_days_are_unknown_until_their_release(real_store: Store, catalog: Catalog) -> None:
    """USDT of 2026-01-08 is known from 2026-01-09 00:00 UTC; the ETF flows of Thursday 2026-01-08 from
    Friday 18:00 New York, not the Friday morning (Farside's morning figures get revised)."""
    day = pd.Timestamp("2026-01-08")
    before, after = _at("2026-01-08 23:59", "UTC"), _at("2026-01-09 00:00", "UTC")
    assert AlignedPanel(real_store, catalog, as_of=before).series("USDT_SUPPLY").index[-1] < day
    assert AlignedPanel(real_store, catalog, as_of=after).series("USDT_SUPPLY").index[-1] == day
    for sid in ("BTC_ETF_FLOWS", "ETH_ETF_FLOWS"):
        morning = AlignedPanel(real_store, catalog, as_of=_at("2026-01-09 17:59")).series(sid)
        evening = AlignedPanel(real_store, catalog, as_of=_at("2026-01-09 18:00")).series(sid)
        assert morning.index[-1] < day and evening.index[-1] == day


# Series whose value for day D is only known after D is over (in its own time zone).
NEXT_DAY = (
    "TGA_DTS",
    "TGA_DTS_FLOWS",
    "TAX_REFUNDS_DTS",
    "WRESBAL",
    "WRBWFRBL",
    "WSHOBL",
    "WDTGAL",
    "BTC_ETF_FLOWS",
    "ETH_ETF_FLOWS",
    "USDT_SUPPLY",
    "USDC_SUPPLY",
    "STABLECOINS_TOTAL",
)


@settings(max_examples=60, deadline=None)
@given(series_id=st.sampled_from(NEXT_DAY), offset=st.integers(0, 20_000))
def test_no_new_series_is_known_on_its_own_day(series_id: str, offset: int) -> None:
    from riskcurve.catalog import load_catalog

    spec = load_catalog()[series_id]
    day = pd.Timestamp("1990-01-01") + pd.Timedelta(days=offset)
    tz = spec.release.tz
    end_of_day = pd.Timestamp(day + pd.Timedelta(days=1), tz=tz).tz_convert("UTC")
    assert spec.release.available_at(pd.DatetimeIndex([day]))[0] >= end_of_day


def _frame(days: pd.DatetimeIndex, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": days.astype("datetime64[ns]"),
            "member": "",
            "field": "value",
            "value": values.astype("float64"),
            "realtime_start": pd.Series(pd.NaT, index=range(len(days)), dtype="datetime64[ns, UTC]"),
        }
    )


# A typical level of each series, in provider units, around which the property test draws values.
LEVELS = {
    "TGA_DTS": 8e5,
    "WRESBAL": 3e6,
    "MORTGAGE30US": 6.5,
    "FED_BILL_PURCHASES": 4.0,
    "USDT_SUPPLY": 1.8e11,
    "STABLECOINS_TOTAL": 3e11,
    "BTC_ETF_FLOWS": 250.0,
    "FEAR_GREED": 50.0,
}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    series_id=st.sampled_from(sorted(LEVELS)),
    n_days=st.integers(20, 90),
    cut=st.floats(0.1, 0.9),
    hour=st.integers(0, 23),
    seed=st.integers(0, 2**16),
)
def test_a_view_holds_only_published_values_and_later_data_never_changes_it(
    tmp_path_factory: pytest.TempPathFactory,
    catalog: Catalog,
    series_id: str,
    n_days: int,
    cut: float,
    hour: int,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    spec = catalog[series_id]
    days = pd.bdate_range("2026-01-05", periods=n_days)
    if spec.frequency == "weekly":
        days = days[days.day_of_week == 2]
    values = LEVELS[series_id] * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    as_of = pd.Timestamp(days[int(cut * (len(days) - 1))], tz="UTC") + pd.Timedelta(hours=hour)
    with Store(tmp_path_factory.mktemp("channels") / "s.duckdb") as store:
        store.apply([(spec, "t", _frame(days, values))])
        before = AlignedPanel(store, catalog, as_of=as_of).series(series_id)
        published = spec.release.available_at(days) <= as_of
        assert list(before.index) == list(days[np.asarray(published)])
        later = days[-1] + pd.Timedelta(days=1)
        store.apply([(spec, "t", _frame(days.append(pd.DatetimeIndex([later])), np.r_[values * 1.01, values[-1]]))])
        after = AlignedPanel(store, catalog, as_of=as_of).series(series_id)
    pd.testing.assert_series_equal(before, after)


@pytest.mark.parametrize("series_id", ["BTC_ETF_FLOWS", "ETH_ETF_FLOWS"])
def test_etf_funds_add_up_to_the_total(catalog: Catalog, data_dir: Path, series_id: str) -> None:
    frame = CsvDirSource(data_dir).fetch(catalog[series_id])
    wide = frame.pivot_table(index="date", columns="field", values="value", observed=True)
    funds = wide.drop(columns="value")
    assert len(funds.columns) >= 10  # one field per fund
    assert (funds.sum(axis=1) - wide["value"]).abs().max() < 0.05  # US$ mn, one decimal in the source
    # The first day of the bitcoin funds (2024-01-11): +655.3 mn in all, GBTC -95.1 mn.
    if series_id == "BTC_ETF_FLOWS":
        assert wide.loc["2024-01-11", "value"] == pytest.approx(655.3)
        assert wide.loc["2024-01-11", "GBTC"] == pytest.approx(-95.1)
